//! Provisioning (MS-ASPROV): the two-phase policy download and acknowledgement, remote wipe, and
//! `Settings/DeviceInformation`.

use eas_proto::ProtocolVersion;
use wbxml::tags::{provision as pv, settings as st};
use wbxml::Element;

use crate::client::Client;
use crate::transport::Req;
use crate::{Error, PartnershipState, PolicyAck, Provisioning, Result};

/// The policy type of EAS 12.0+.
pub const POLICY_TYPE: &str = "MS-EAS-Provisioning-WBXML";

/// The result of a completed provisioning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvisionOutcome {
    /// The final policy key (`"0"` when the server has no policy for this device).
    pub policy_key: String,
    /// The policy settings (element name, value) from `EASProvisionDoc`.
    pub policy: Vec<(String, String)>,
}

/// What one Provision response says.
#[derive(Debug, Default)]
struct Parsed {
    status: Option<u32>,
    policy_status: Option<u32>,
    policy_key: Option<String>,
    policy: Vec<(String, String)>,
    wipe: Option<bool>,
}

impl Client {
    /// Runs the two-phase Provision now (also when a policy key is held), stores the final
    /// policy key and settings in the state and returns them.
    ///
    /// # Errors
    /// [`Error::RemoteWipe`] after acknowledging a wipe; [`Error::Provision`] when the server
    /// refuses; transport errors.
    pub async fn provision(&self) -> Result<ProvisionOutcome> {
        if self.version().is_none() {
            self.negotiate().await?;
        }
        let _g = self.inner.bootstrap.lock().await;
        self.provision_locked().await
    }

    /// Re-provisions after a 449 or provisioning status, unless another request already did so
    /// since `seen` was taken.
    pub(crate) async fn reprovision(&self, seen: &PartnershipState) -> Result<()> {
        let _g = self.inner.bootstrap.lock().await;
        if self.inner.state.borrow().policy_key != seen.policy_key {
            return Ok(());
        }
        self.provision_locked().await.map(|_| ())
    }

    /// Provisioning with the bootstrap lock held.
    pub(crate) async fn provision_locked(&self) -> Result<ProvisionOutcome> {
        let Provisioning::Enabled { ack } = self.inner.cfg.provisioning else {
            return Err(Error::Provision(
                "the server requires provisioning, which is disabled".to_owned(),
            ));
        };
        let version = self
            .version()
            .ok_or_else(|| Error::Provision("no protocol version negotiated".to_owned()))?;
        let with_info = version >= ProtocolVersion::V14_1;

        // Phase one: ask for the policy with policy key 0.
        let first = self.provision_request(self.initial_request(with_info), "0").await?;
        if let Some(account_only) = first.wipe {
            return Err(self.acknowledge_wipe(account_only, first.policy_key.as_deref()).await);
        }
        check_status(&first)?;
        if first.policy_status == Some(2) {
            // No policy for this device: provisioned without one.
            let outcome = ProvisionOutcome {
                policy_key: "0".to_owned(),
                policy: Vec::new(),
            };
            self.store_outcome(&outcome, with_info);
            return Ok(outcome);
        }
        let temp_key = first
            .policy_key
            .clone()
            .ok_or_else(|| Error::Provision("no temporary policy key in provision response".to_owned()))?;

        // Phase two: acknowledge with the temporary key; the answer holds the final key.
        let second = self.provision_request(ack_request(&temp_key, ack), &temp_key).await?;
        if let Some(account_only) = second.wipe {
            return Err(self.acknowledge_wipe(account_only, Some(&temp_key)).await);
        }
        check_status(&second)?;
        let policy_key = second
            .policy_key
            .ok_or_else(|| Error::Provision("no final policy key in acknowledgement response".to_owned()))?;
        let outcome = ProvisionOutcome {
            policy_key,
            policy: first.policy,
        };
        tracing::info!(
            user = %self.inner.cfg.user,
            ack = ?ack,
            settings = outcome.policy.len(),
            "provisioned"
        );
        self.store_outcome(&outcome, with_info);
        Ok(outcome)
    }

    fn store_outcome(&self, outcome: &ProvisionOutcome, with_info: bool) {
        self.update_state(|s| {
            s.policy_key = Some(outcome.policy_key.clone());
            s.policy = outcome.policy.clone();
            // Before 14.1 the standalone Settings command is (re)sent by the next `ensure_ready`.
            s.device_info_sent = with_info;
        });
    }

    /// Sends one Provision request with `policy_key` in `X-MS-PolicyKey`.
    async fn provision_request(&self, body: Element, policy_key: &str) -> Result<Parsed> {
        let mut req = Req::post("Provision", Some(wbxml::encode(&body)));
        req.policy_key = Some(policy_key.to_owned());
        let resp = self.send(&req).await?;
        let root = resp.body.ok_or(Error::EmptyResponse { command: "Provision" })?;
        parse(&root)
    }

    /// Acknowledges a wipe order (status 1, without waiting on the answer's content) and returns
    /// the error the caller must surface.
    async fn acknowledge_wipe(&self, account_only: bool, policy_key: Option<&str>) -> Error {
        tracing::error!(
            user = %self.inner.cfg.user,
            device_id = %self.inner.cfg.device_id,
            account_only,
            "REMOTE WIPE requested by the server: acknowledging; the mirror must be purged and the account locked"
        );
        let tag = if account_only {
            pv::ACCOUNT_ONLY_REMOTE_WIPE
        } else {
            pv::REMOTE_WIPE
        };
        let body = Element::new(pv::PROVISION).with_child(Element::new(tag).with_text_child(pv::STATUS, "1"));
        let mut req = Req::post("Provision", Some(wbxml::encode(&body)));
        req.policy_key = Some(policy_key.unwrap_or("0").to_owned());
        req.empty_ok = true;
        if let Err(e) = self.send(&req).await {
            tracing::error!(error = %e, "remote wipe acknowledgement failed");
        }
        self.update_state(|s| s.policy_key = None);
        Error::RemoteWipe { account_only }
    }

    /// The phase-one request.
    fn initial_request(&self, with_info: bool) -> Element {
        let mut root = Element::new(pv::PROVISION);
        if with_info {
            root.push(self.device_information());
        }
        root.push(
            Element::new(pv::POLICIES)
                .with_child(Element::new(pv::POLICY).with_text_child(pv::POLICY_TYPE, POLICY_TYPE)),
        );
        root
    }

    /// `settings:DeviceInformation{Set{…}}`.
    fn device_information(&self) -> Element {
        let info = &self.inner.cfg.device_info;
        let set = Element::new(st::SET)
            .with_text_child(st::MODEL, info.model.as_str())
            .with_text_child(st::FRIENDLY_NAME, info.friendly_name.as_str())
            .with_text_child(st::OS, info.os.as_str())
            .with_text_child(st::OS_LANGUAGE, info.os_language.as_str())
            .with_text_child(st::USER_AGENT, self.inner.cfg.user_agent.as_str());
        Element::new(st::DEVICE_INFORMATION).with_child(set)
    }

    /// Sends `Settings/DeviceInformation/Set` on its own (12.1/14.0; 14.1+ sends it inside
    /// Provision). Does not run [`ensure_ready`](Self::ensure_ready).
    ///
    /// # Errors
    /// Transport errors; [`Error::Status`] when the server answers a non-success status.
    pub async fn settings_device_information(&self) -> Result<()> {
        let body = Element::new(st::SETTINGS).with_child(self.device_information());
        let resp = self.send(&Req::post("Settings", Some(wbxml::encode(&body)))).await?;
        let root = resp.body.ok_or(Error::EmptyResponse { command: "Settings" })?;
        let top = root.child_text(st::STATUS).and_then(|s| s.trim().parse::<u32>().ok());
        let inner = root
            .find(st::DEVICE_INFORMATION)
            .and_then(|d| d.child_text(st::STATUS))
            .and_then(|s| s.trim().parse::<u32>().ok());
        match (top, inner) {
            (Some(1) | None, Some(1) | None) => Ok(()),
            (Some(s), _) if s != 1 => Err(Error::Status {
                command: "Settings",
                status: s,
            }),
            (_, Some(s)) => Err(Error::Status {
                command: "Settings",
                status: s,
            }),
            _ => Ok(()),
        }
    }
}

/// The phase-two acknowledgement.
fn ack_request(temp_key: &str, ack: PolicyAck) -> Element {
    let policy = Element::new(pv::POLICY)
        .with_text_child(pv::POLICY_TYPE, POLICY_TYPE)
        .with_text_child(pv::POLICY_KEY, temp_key)
        .with_text_child(pv::STATUS, ack.code().to_string());
    Element::new(pv::PROVISION).with_child(Element::new(pv::POLICIES).with_child(policy))
}

/// Reads a Provision response leniently (a missing top-level Status counts as success).
fn parse(root: &Element) -> Result<Parsed> {
    if root.tag != pv::PROVISION {
        return Err(Error::Provision(format!("unexpected root element {}", root.tag)));
    }
    let num = |e: &Element, tag| e.child_text(tag).and_then(|s| s.trim().parse::<u32>().ok());
    let mut out = Parsed {
        status: num(root, pv::STATUS),
        ..Default::default()
    };
    if root.find(pv::ACCOUNT_ONLY_REMOTE_WIPE).is_some() {
        out.wipe = Some(true);
    } else if root.find(pv::REMOTE_WIPE).is_some() {
        out.wipe = Some(false);
    }
    let policy = root.find(pv::POLICIES).and_then(|p| {
        p.find_all(pv::POLICY)
            .find(|p| p.child_text(pv::POLICY_TYPE).is_none_or(|t| t.trim() == POLICY_TYPE))
    });
    if let Some(policy) = policy {
        out.policy_status = num(policy, pv::STATUS);
        out.policy_key = policy
            .child_text(pv::POLICY_KEY)
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty());
        if let Some(doc) = policy.find(pv::DATA).and_then(|d| d.find(pv::EAS_PROVISION_DOC)) {
            out.policy = doc.elements().map(setting).collect();
        }
    }
    Ok(out)
}

/// One policy setting as (name, value); list elements join their items with commas.
fn setting(e: &Element) -> (String, String) {
    let name = e
        .tag
        .name()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:?}", e.tag));
    let value = if e.elements().next().is_some() {
        e.elements().filter_map(Element::text).collect::<Vec<_>>().join(",")
    } else {
        e.text().unwrap_or("").to_owned()
    };
    (name, value)
}

fn check_status(p: &Parsed) -> Result<()> {
    match p.status {
        None | Some(1) => {}
        Some(s) => return Err(Error::Provision(format!("provision status {s}"))),
    }
    match p.policy_status {
        None | Some(1) | Some(2) => Ok(()),
        Some(s) => Err(Error::Provision(format!("policy status {s}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_policy_and_wipe() {
        let doc = Element::new(pv::EAS_PROVISION_DOC)
            .with_text_child(pv::DEVICE_PASSWORD_ENABLED, "1")
            .with_text_child(pv::MAX_CALENDAR_AGE_FILTER, "5")
            .with_child(
                Element::new(pv::UNAPPROVED_IN_ROM_APPLICATION_LIST)
                    .with_text_child(pv::APPLICATION_NAME, "a")
                    .with_text_child(pv::APPLICATION_NAME, "b"),
            );
        let policy = Element::new(pv::POLICY)
            .with_text_child(pv::POLICY_TYPE, POLICY_TYPE)
            .with_text_child(pv::STATUS, "1")
            .with_text_child(pv::POLICY_KEY, "12345")
            .with_child(Element::new(pv::DATA).with_child(doc));
        let root = Element::new(pv::PROVISION)
            .with_text_child(pv::STATUS, "1")
            .with_child(Element::new(pv::POLICIES).with_child(policy));
        let p = parse(&root).unwrap();
        assert_eq!(p.policy_key.as_deref(), Some("12345"));
        assert_eq!(p.policy[1], ("MaxCalendarAgeFilter".to_owned(), "5".to_owned()));
        assert_eq!(p.policy[2].1, "a,b");
        assert!(p.wipe.is_none());
        assert!(check_status(&p).is_ok());

        let wipe = Element::new(pv::PROVISION)
            .with_text_child(pv::STATUS, "1")
            .with_child(Element::new(pv::ACCOUNT_ONLY_REMOTE_WIPE));
        assert_eq!(parse(&wipe).unwrap().wipe, Some(true));
        let bad = Element::new(pv::PROVISION).with_text_child(pv::STATUS, "3");
        assert!(check_status(&parse(&bad).unwrap()).is_err());
        assert!(parse(&Element::new(pv::POLICIES)).is_err());
    }

    #[test]
    fn ack_carries_temp_key_and_status() {
        let el = ack_request("999", PolicyAck::Refuse);
        let policy = el.find(pv::POLICIES).and_then(|p| p.find(pv::POLICY)).unwrap();
        assert_eq!(policy.child_text(pv::POLICY_KEY), Some("999"));
        assert_eq!(policy.child_text(pv::STATUS), Some("3"));
    }
}
