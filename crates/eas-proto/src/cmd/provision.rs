//! Provision (MS-ASPROV): the two-phase policy handshake and remote wipe.
//!
//! 1. Initial request: [`ProvisionRequest::initial`] (policy key header `0`;
//!    from 14.1 on with `settings:DeviceInformation`). The response carries a
//!    temporary key and the [`EasProvisionDoc`].
//! 2. Acknowledgement: [`ProvisionRequest::acknowledge`] with the temporary
//!    key; the response carries the final key for `X-MS-PolicyKey`.
//!
//! A response may instead order a wipe ([`WipeKind`]); the client answers
//! with [`ProvisionRequest::wipe_ack`].
//!
//! ```
//! use eas_proto::provision::{ProvisionRequest, ProvisionResponse};
//! use eas_proto::settings::DeviceInformation;
//! use eas_proto::{EasMessage, EasProvisionDoc, PolicyAckStatus, ProtocolVersion};
//!
//! let v = ProtocolVersion::V16_1;
//! // Client, phase 1 (header X-MS-PolicyKey: 0).
//! let device = DeviceInformation { model: Some("easdav".into()), ..Default::default() };
//! let body = ProvisionRequest::initial(Some(device)).encode(v);
//! // Server.
//! let req = ProvisionRequest::decode(&body, v).unwrap();
//! assert!(!req.is_acknowledgement() && req.device_information.is_some());
//! let body = ProvisionResponse::policy(1111, EasProvisionDoc::permissive()).encode(v);
//! // Client, phase 2 under the temporary key.
//! let temp = ProvisionResponse::decode(&body, v).unwrap().policy_key().unwrap();
//! let body = ProvisionRequest::acknowledge(temp, PolicyAckStatus::Applied).encode(v);
//! // Server.
//! assert!(ProvisionRequest::decode(&body, v).unwrap().is_acknowledgement());
//! let body = ProvisionResponse::acknowledged(2222).encode(v);
//! // Client: the final key goes into X-MS-PolicyKey from now on.
//! assert_eq!(ProvisionResponse::decode(&body, v).unwrap().policy_key(), Some(2222));
//! ```

use wbxml::tags::{provision as pv, settings as st};
use wbxml::{Element, Tag};

use super::settings::{device_information_status, DeviceInformation};
use super::{EasMessage, EasProvisionDoc};
use crate::xml::{check_version, expect_root, num, opt_status, req_status, req_text, required, u32_of, Result};
use crate::{
    PolicyAckStatus, PolicyStatus, ProtoError, ProtocolVersion, ProvisionStatus, SettingsStatus, WipeAckStatus,
};

/// The policy type for 12.0 and later.
pub const EAS_POLICY_TYPE: &str = "MS-EAS-Provisioning-WBXML";

/// `Provision` request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProvisionRequest {
    /// `settings:DeviceInformation` (14.1+; required there in the initial request).
    pub device_information: Option<DeviceInformation>,
    /// `Policies/Policy`.
    pub policy: Option<PolicyRequest>,
    /// Wipe acknowledgement.
    pub wipe_ack: Option<WipeAck>,
}

/// The client's `Policy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRequest {
    /// `PolicyType`.
    pub policy_type: String,
    /// `PolicyKey` (the temporary key, in the acknowledgement).
    pub policy_key: Option<u32>,
    /// `Status` (in the acknowledgement).
    pub status: Option<PolicyAckStatus>,
}

/// Which wipe the server orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WipeKind {
    /// `RemoteWipe`: the whole device.
    Full,
    /// `AccountOnlyRemoteWipe` (16.1): this account's data only.
    AccountOnly,
}

impl WipeKind {
    fn tag(self) -> Tag {
        match self {
            Self::Full => pv::REMOTE_WIPE,
            Self::AccountOnly => pv::ACCOUNT_ONLY_REMOTE_WIPE,
        }
    }
}

/// The client's wipe acknowledgement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WipeAck {
    /// Which wipe is acknowledged.
    pub kind: WipeKind,
    /// Whether it succeeded.
    pub status: WipeAckStatus,
}

/// `Provision` response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvisionResponse {
    /// Top-level status (`None`: some servers omit it; treat as success).
    pub status: Option<ProvisionStatus>,
    /// Status of the DeviceInformation (14.1+).
    pub device_information_status: Option<SettingsStatus>,
    /// `Policies/Policy`.
    pub policy: Option<PolicyResponse>,
    /// A wipe order.
    pub remote_wipe: Option<WipeKind>,
}

/// The server's `Policy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyResponse {
    /// `PolicyType`, echoed.
    pub policy_type: String,
    /// Policy status.
    pub status: PolicyStatus,
    /// Temporary key (phase 1) or final key (phase 2).
    pub policy_key: Option<u32>,
    /// The policy document (phase 1).
    pub data: Option<EasProvisionDoc>,
}

impl ProvisionRequest {
    /// Phase 1: ask for the policy.
    pub fn initial(device_information: Option<DeviceInformation>) -> Self {
        ProvisionRequest {
            device_information,
            policy: Some(PolicyRequest {
                policy_type: EAS_POLICY_TYPE.to_owned(),
                policy_key: None,
                status: None,
            }),
            wipe_ack: None,
        }
    }

    /// Phase 2: acknowledge the policy under the temporary key.
    pub fn acknowledge(temporary_key: u32, status: PolicyAckStatus) -> Self {
        ProvisionRequest {
            device_information: None,
            policy: Some(PolicyRequest {
                policy_type: EAS_POLICY_TYPE.to_owned(),
                policy_key: Some(temporary_key),
                status: Some(status),
            }),
            wipe_ack: None,
        }
    }

    /// Acknowledge a wipe order.
    pub fn wipe_ack(kind: WipeKind, status: WipeAckStatus) -> Self {
        ProvisionRequest {
            device_information: None,
            policy: None,
            wipe_ack: Some(WipeAck { kind, status }),
        }
    }

    /// Whether this is a phase-2 acknowledgement (a policy with key and status).
    pub fn is_acknowledgement(&self) -> bool {
        self.policy
            .as_ref()
            .is_some_and(|p| p.policy_key.is_some() && p.status.is_some())
    }
}

impl ProvisionResponse {
    /// Phase-1 answer: the policy document under a temporary key (plus the
    /// DeviceInformation status, sent from 14.1 on).
    pub fn policy(temporary_key: u32, doc: EasProvisionDoc) -> Self {
        ProvisionResponse {
            status: Some(ProvisionStatus::Success),
            device_information_status: Some(SettingsStatus::Success),
            policy: Some(PolicyResponse {
                policy_type: EAS_POLICY_TYPE.to_owned(),
                status: PolicyStatus::Success,
                policy_key: Some(temporary_key),
                data: Some(doc),
            }),
            remote_wipe: None,
        }
    }

    /// Phase-2 answer: the final key.
    pub fn acknowledged(final_key: u32) -> Self {
        ProvisionResponse {
            status: Some(ProvisionStatus::Success),
            device_information_status: None,
            policy: Some(PolicyResponse {
                policy_type: EAS_POLICY_TYPE.to_owned(),
                status: PolicyStatus::Success,
                policy_key: Some(final_key),
                data: None,
            }),
            remote_wipe: None,
        }
    }

    /// A wipe order.
    pub fn wipe(kind: WipeKind) -> Self {
        ProvisionResponse {
            status: Some(ProvisionStatus::Success),
            device_information_status: None,
            policy: None,
            remote_wipe: Some(kind),
        }
    }

    /// The policy key the response carries, if any.
    pub fn policy_key(&self) -> Option<u32> {
        self.policy.as_ref().and_then(|p| p.policy_key)
    }

    /// Whether the response succeeded: top-level status absent or 1, and
    /// the policy (if any) with status 1.
    pub fn is_success(&self) -> bool {
        self.status.is_none_or(ProvisionStatus::is_success)
            && self.policy.as_ref().is_none_or(|p| p.status.is_success())
    }
}

fn policy_key(el: &Element) -> Result<Option<u32>> {
    el.find(pv::POLICY_KEY).map(u32_of).transpose()
}

fn wipe_kind(el: &Element, version: ProtocolVersion) -> Result<Option<(WipeKind, &Element)>> {
    if let Some(w) = el.find(pv::REMOTE_WIPE) {
        return Ok(Some((WipeKind::Full, w)));
    }
    if let Some(w) = el.find(pv::ACCOUNT_ONLY_REMOTE_WIPE) {
        check_version(pv::ACCOUNT_ONLY_REMOTE_WIPE, ProtocolVersion::V16_1, version)?;
        return Ok(Some((WipeKind::AccountOnly, w)));
    }
    Ok(None)
}

impl EasMessage for ProvisionRequest {
    const ROOT: Tag = pv::PROVISION;

    fn to_element(&self, version: ProtocolVersion) -> Element {
        let mut el = Element::new(Self::ROOT);
        if let Some(di) = &self.device_information {
            if version >= ProtocolVersion::V14_1 {
                el.push(di.to_element(version));
            }
        }
        if let Some(p) = &self.policy {
            let mut policy = Element::new(pv::POLICY).with_text_child(pv::POLICY_TYPE, p.policy_type.as_str());
            if let Some(k) = p.policy_key {
                policy.push(num(pv::POLICY_KEY, k));
            }
            if let Some(s) = p.status {
                policy.push(num(pv::STATUS, s.code()));
            }
            el.push(Element::new(pv::POLICIES).with_child(policy));
        }
        if let Some(w) = &self.wipe_ack {
            if w.kind == WipeKind::Full || version >= ProtocolVersion::V16_1 {
                el.push(Element::new(w.kind.tag()).with_child(num(pv::STATUS, w.status.code())));
            }
        }
        el
    }

    fn from_element(el: &Element, version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        let device_information = match el.find(st::DEVICE_INFORMATION) {
            Some(di) => {
                check_version(st::DEVICE_INFORMATION, ProtocolVersion::V14_1, version)?;
                Some(DeviceInformation::from_element(di, version)?)
            }
            None => None,
        };
        let policy = match el.find(pv::POLICIES) {
            Some(ps) => {
                let p = required(ps, pv::POLICY)?;
                Some(PolicyRequest {
                    policy_type: req_text(p, pv::POLICY_TYPE)?,
                    policy_key: policy_key(p)?,
                    status: opt_status(p, pv::STATUS)?,
                })
            }
            None => None,
        };
        let wipe_ack = match wipe_kind(el, version)? {
            Some((kind, w)) => Some(WipeAck {
                kind,
                status: req_status(w, pv::STATUS)?,
            }),
            None => None,
        };
        Ok(ProvisionRequest {
            device_information,
            policy,
            wipe_ack,
        })
    }
}

impl EasMessage for ProvisionResponse {
    const ROOT: Tag = pv::PROVISION;

    fn to_element(&self, version: ProtocolVersion) -> Element {
        let mut el = Element::new(Self::ROOT);
        if let Some(s) = self.status {
            el.push(num(pv::STATUS, s.code()));
        }
        if let Some(s) = self.device_information_status {
            if version >= ProtocolVersion::V14_1 {
                el.push(Element::new(st::DEVICE_INFORMATION).with_child(num(st::STATUS, s.code())));
            }
        }
        if let Some(p) = &self.policy {
            let mut policy = Element::new(pv::POLICY)
                .with_text_child(pv::POLICY_TYPE, p.policy_type.as_str())
                .with_child(num(pv::STATUS, p.status.code()));
            if let Some(k) = p.policy_key {
                policy.push(num(pv::POLICY_KEY, k));
            }
            if let Some(doc) = &p.data {
                policy.push(Element::new(pv::DATA).with_child(doc.to_element()));
            }
            el.push(Element::new(pv::POLICIES).with_child(policy));
        }
        if let Some(kind) = self.remote_wipe {
            if kind == WipeKind::Full || version >= ProtocolVersion::V16_1 {
                el.push(Element::new(kind.tag()));
            }
        }
        el
    }

    fn from_element(el: &Element, version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        let device_information_status = match el.find(st::DEVICE_INFORMATION) {
            Some(di) => {
                check_version(st::DEVICE_INFORMATION, ProtocolVersion::V14_1, version)?;
                device_information_status(di)?
            }
            None => None,
        };
        let policy = match el.find(pv::POLICIES) {
            Some(ps) => {
                let p = required(ps, pv::POLICY)?;
                let data = match p.find(pv::DATA) {
                    Some(d) => match d.find(pv::EAS_PROVISION_DOC) {
                        Some(doc) => Some(EasProvisionDoc::from_element(doc)?),
                        None => {
                            return Err(ProtoError::MissingElement {
                                parent: pv::DATA,
                                missing: pv::EAS_PROVISION_DOC,
                            })
                        }
                    },
                    None => None,
                };
                Some(PolicyResponse {
                    policy_type: req_text(p, pv::POLICY_TYPE)?,
                    status: req_status(p, pv::STATUS)?,
                    policy_key: policy_key(p)?,
                    data,
                })
            }
            None => None,
        };
        Ok(ProvisionResponse {
            status: opt_status(el, pv::STATUS)?,
            device_information_status,
            policy,
            remote_wipe: wipe_kind(el, version)?.map(|(k, _)| k),
        })
    }
}
