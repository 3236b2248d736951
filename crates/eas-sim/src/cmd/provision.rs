//! Provision (MS-ASPROV): two-phase policy download and acknowledgement, and remote wipe.

use eas_proto::provision::{PolicyResponse, ProvisionRequest, ProvisionResponse, WipeKind, EAS_POLICY_TYPE};
use eas_proto::settings::DeviceInformation;
use eas_proto::{
    EasMessage, EasProvisionDoc, PolicyStatus, ProtocolVersion, ProvisionStatus, SettingsStatus, WipeAckStatus,
};
use wbxml::Element;

use super::{Ctx, Outcome};
use crate::shared::Shared;
use crate::state::{Device, WipeState};

/// Handles `Provision`.
pub fn provision(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let v = ctx.version;
    let req = match doc.as_ref().map(|d| ProvisionRequest::from_element(d, v)) {
        Some(Ok(r)) => r,
        Some(Err(e)) => {
            tracing::debug!("bad Provision: {e}");
            return answer(status_only(ProvisionStatus::ProtocolError), v);
        }
        None => return answer(status_only(ProvisionStatus::ProtocolError), v),
    };
    let resp = shared.with_mailbox(&ctx.user, |mb| plan(mb.device(&ctx.device_id), ctx, &req));
    shared.save();
    answer(resp, v)
}

fn plan(dev: &mut Device, ctx: &Ctx, req: &ProvisionRequest) -> ProvisionResponse {
    dev.device_type = ctx.device_type.clone();
    if let Some(ack) = &req.wipe_ack {
        // The device reports the wipe result; on success it has erased everything.
        if ack.status == WipeAckStatus::Success && matches!(dev.wipe, WipeState::Sent | WipeState::Ordered) {
            dev.wipe = WipeState::Wiped;
            dev.collections.clear();
            dev.hierarchy = None;
            dev.ping = None;
            dev.last_sync = None;
            dev.policy_key = None;
            dev.pending_policy_key = None;
        }
        return status_only(ProvisionStatus::Success);
    }
    if dev.wipe != WipeState::None {
        if dev.wipe == WipeState::Ordered {
            dev.wipe = WipeState::Sent;
        }
        let mut r = status_only(ProvisionStatus::Success);
        r.remote_wipe = Some(WipeKind::Full);
        return r;
    }
    if let Some(info) = &req.device_information {
        remember(dev, info);
    }
    let Some(policy) = &req.policy else {
        return status_only(ProvisionStatus::ProtocolError);
    };
    if ctx.version >= ProtocolVersion::V14_1 && req.device_information.is_none() && policy.policy_key.is_none() {
        // DeviceInformationRequired (165): 14.1+ must send DeviceInformation in the initial request.
        return status_only(ProvisionStatus::from_code(165));
    }
    let mut resp = status_only(ProvisionStatus::Success);
    if req.device_information.is_some() {
        resp.device_information_status = Some(SettingsStatus::Success);
    }
    let policy_response = |status: PolicyStatus, key: Option<u32>, doc: Option<EasProvisionDoc>| PolicyResponse {
        policy_type: policy.policy_type.clone(),
        status,
        policy_key: key,
        data: doc,
    };
    resp.policy = Some(if policy.policy_type.trim() != EAS_POLICY_TYPE {
        policy_response(PolicyStatus::UnknownPolicyType, None, None)
    } else {
        match policy.policy_key {
            None => {
                let temp = fresh_key();
                dev.pending_policy_key = Some(temp);
                policy_response(PolicyStatus::Success, Some(temp), Some(EasProvisionDoc::permissive()))
            }
            Some(k) if Some(k) == dev.pending_policy_key || (Some(k) == dev.policy_key && k != 0) => {
                let final_key = fresh_key();
                dev.pending_policy_key = None;
                dev.policy_key = Some(final_key);
                policy_response(PolicyStatus::Success, Some(final_key), None)
            }
            Some(_) => policy_response(PolicyStatus::WrongPolicyKey, None, None),
        }
    });
    resp
}

/// Stores the DeviceInformation fields a device sent.
pub(super) fn remember(dev: &mut Device, info: &DeviceInformation) {
    let fields = [
        ("Model", &info.model),
        ("IMEI", &info.imei),
        ("FriendlyName", &info.friendly_name),
        ("OS", &info.os),
        ("OSLanguage", &info.os_language),
        ("PhoneNumber", &info.phone_number),
        ("UserAgent", &info.user_agent),
        ("MobileOperator", &info.mobile_operator),
    ];
    for (name, value) in fields {
        if let Some(v) = value {
            dev.info.insert(name.to_owned(), v.clone());
        }
    }
}

fn status_only(status: ProvisionStatus) -> ProvisionResponse {
    ProvisionResponse {
        status: Some(status),
        device_information_status: None,
        policy: None,
        remote_wipe: None,
    }
}

fn answer(r: ProvisionResponse, v: ProtocolVersion) -> Outcome {
    Outcome::Wbxml(r.to_element(v))
}

fn fresh_key() -> u32 {
    loop {
        let k: u32 = rand::random();
        if k > 1 {
            return k;
        }
    }
}
