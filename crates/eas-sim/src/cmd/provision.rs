//! Provision (MS-ASPROV): two-phase policy download and acknowledgement, and remote wipe.

use wbxml::tags::{provision as prov, settings};
use wbxml::Element;

use eas_proto::ProtocolVersion;

use super::{Ctx, Outcome};
use crate::shared::Shared;
use crate::state::WipeState;

const POLICY_TYPE: &str = "MS-EAS-Provisioning-WBXML";

/// Handles `Provision`.
pub fn provision(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let Some(doc) = doc.filter(|d| d.tag == prov::PROVISION) else {
        return super::status_response("Provision", 2);
    };
    let policy = doc.find(prov::POLICIES).and_then(|p| p.find(prov::POLICY));
    let wipe_ack = doc
        .find(prov::REMOTE_WIPE)
        .or_else(|| doc.find(prov::ACCOUNT_ONLY_REMOTE_WIPE));
    let device_info = doc.find(settings::DEVICE_INFORMATION);
    let out = shared.with_mailbox(&ctx.user, |mb| {
        let dev = mb.device(&ctx.device_id);
        dev.device_type = ctx.device_type.clone();
        if let Some(ack) = wipe_ack {
            // The device reports the wipe result; it has erased everything.
            let ok = ack.child_text(prov::STATUS).map(str::trim) == Some("1");
            if ok && matches!(dev.wipe, WipeState::Sent | WipeState::Ordered) {
                dev.wipe = WipeState::Wiped;
                dev.collections.clear();
                dev.hierarchy = None;
                dev.ping = None;
                dev.last_sync = None;
                dev.policy_key = None;
            }
            return Element::new(prov::PROVISION).with_text_child(prov::STATUS, "1");
        }
        if dev.wipe != WipeState::None {
            if dev.wipe == WipeState::Ordered {
                dev.wipe = WipeState::Sent;
            }
            return Element::new(prov::PROVISION)
                .with_text_child(prov::STATUS, "1")
                .with_child(Element::new(prov::REMOTE_WIPE));
        }
        if let Some(info) = device_info.and_then(|d| d.find(settings::SET)) {
            for e in info.elements() {
                if let (Some(name), Some(text)) = (e.tag.name(), e.text()) {
                    dev.info.insert(name.to_owned(), text.to_owned());
                }
            }
        }
        let Some(policy) = policy else {
            return Element::new(prov::PROVISION).with_text_child(prov::STATUS, "2");
        };
        if ctx.version >= ProtocolVersion::V14_1 && device_info.is_none() && policy.find(prov::POLICY_KEY).is_none() {
            // DeviceInformationRequired: 14.1+ must send DeviceInformation in the initial request.
            return Element::new(prov::PROVISION).with_text_child(prov::STATUS, "165");
        }
        let policy_type = policy
            .child_text(prov::POLICY_TYPE)
            .unwrap_or_default()
            .trim()
            .to_owned();
        let mut resp = Element::new(prov::PROVISION);
        if device_info.is_some() {
            resp.push(Element::new(settings::DEVICE_INFORMATION).with_text_child(settings::STATUS, "1"));
        }
        resp.push_text(prov::STATUS, "1");
        if policy_type != POLICY_TYPE {
            let p = Element::new(prov::POLICY)
                .with_text_child(prov::POLICY_TYPE, policy_type)
                .with_text_child(prov::STATUS, "3");
            resp.push(Element::new(prov::POLICIES).with_child(p));
            return resp;
        }
        let acked = policy
            .child_text(prov::POLICY_KEY)
            .and_then(|k| k.trim().parse::<u32>().ok());
        let policy_el = match acked {
            None => {
                let temp = fresh_key();
                dev.pending_policy_key = Some(temp);
                Element::new(prov::POLICY)
                    .with_text_child(prov::POLICY_TYPE, POLICY_TYPE)
                    .with_text_child(prov::STATUS, "1")
                    .with_text_child(prov::POLICY_KEY, temp.to_string())
                    .with_child(Element::new(prov::DATA).with_child(policy_doc()))
            }
            Some(k) if Some(k) == dev.pending_policy_key || (Some(k) == dev.policy_key && k != 0) => {
                let final_key = fresh_key();
                dev.pending_policy_key = None;
                dev.policy_key = Some(final_key);
                Element::new(prov::POLICY)
                    .with_text_child(prov::POLICY_TYPE, POLICY_TYPE)
                    .with_text_child(prov::STATUS, "1")
                    .with_text_child(prov::POLICY_KEY, final_key.to_string())
            }
            Some(_) => Element::new(prov::POLICY)
                .with_text_child(prov::POLICY_TYPE, POLICY_TYPE)
                .with_text_child(prov::STATUS, "5"),
        };
        resp.push(Element::new(prov::POLICIES).with_child(policy_el));
        resp
    });
    shared.save();
    Outcome::Wbxml(out)
}

fn fresh_key() -> u32 {
    loop {
        let k: u32 = rand::random();
        if k > 1 {
            return k;
        }
    }
}

/// A permissive policy document like Exchange's default mailbox policy.
fn policy_doc() -> Element {
    let fields = [
        (prov::DEVICE_PASSWORD_ENABLED, "0"),
        (prov::ALPHANUMERIC_DEVICE_PASSWORD_REQUIRED, "0"),
        (prov::PASSWORD_RECOVERY_ENABLED, "0"),
        (prov::REQUIRE_STORAGE_CARD_ENCRYPTION, "0"),
        (prov::ATTACHMENTS_ENABLED, "1"),
        (prov::MIN_DEVICE_PASSWORD_LENGTH, "4"),
        (prov::MAX_INACTIVITY_TIME_DEVICE_LOCK, "900"),
        (prov::MAX_DEVICE_PASSWORD_FAILED_ATTEMPTS, "8"),
        (prov::ALLOW_SIMPLE_DEVICE_PASSWORD, "1"),
        (prov::ALLOW_STORAGE_CARD, "1"),
        (prov::ALLOW_CAMERA, "1"),
        (prov::REQUIRE_DEVICE_ENCRYPTION, "0"),
        (prov::ALLOW_WI_FI, "1"),
        (prov::ALLOW_TEXT_MESSAGING, "1"),
        (prov::ALLOW_POPIMAP_EMAIL, "1"),
        (prov::ALLOW_BLUETOOTH, "2"),
        (prov::ALLOW_IR_DA, "1"),
        (prov::REQUIRE_MANUAL_SYNC_WHEN_ROAMING, "0"),
        (prov::ALLOW_DESKTOP_SYNC, "1"),
        (prov::MAX_CALENDAR_AGE_FILTER, "0"),
        (prov::ALLOW_HTML_EMAIL, "1"),
        (prov::MAX_EMAIL_AGE_FILTER, "0"),
        (prov::ALLOW_BROWSER, "1"),
        (prov::ALLOW_CONSUMER_EMAIL, "1"),
        (prov::ALLOW_REMOTE_DESKTOP, "1"),
        (prov::ALLOW_INTERNET_SHARING, "1"),
    ];
    let mut doc = Element::new(prov::EAS_PROVISION_DOC);
    for (t, v) in fields {
        doc.push_text(t, v);
    }
    doc
}
