//! Provisioning: 449 / 142 / 144 gates, two-phase Provision, remote wipe.

use eas_proto::ProtocolVersion as V;
use reqwest::StatusCode;
use wbxml::tags::{folder_hierarchy as fh, provision as prov};
use wbxml::Element;

use crate::common::*;

fn folder_sync0() -> Element {
    Element::new(fh::FOLDER_SYNC).with_text_child(fh::SYNC_KEY, "0")
}

#[tokio::test]
async fn unprovisioned_devices_get_449_on_12_1_and_142_on_14_plus() {
    let sim = start().await;
    let old = Eas::new(&sim, "alice", "secret", "d12", V::V12_1);
    assert_eq!(old.post("FolderSync", Some(&folder_sync0())).await.status.as_u16(), 449);
    let mut new = Eas::new(&sim, "alice", "secret", "d16", V::V16_1);
    let r = new.post("FolderSync", Some(&folder_sync0())).await;
    assert_eq!(r.doc().child_text(fh::STATUS), Some("142"));
    // 14.1+: the initial Provision must carry DeviceInformation.
    let bare =
        Element::new(prov::PROVISION)
            .with_child(Element::new(prov::POLICIES).with_child(
                Element::new(prov::POLICY).with_text_child(prov::POLICY_TYPE, "MS-EAS-Provisioning-WBXML"),
            ));
    assert_eq!(
        new.post("Provision", Some(&bare)).await.doc().child_text(prov::STATUS),
        Some("165")
    );
    let key = new.provision().await;
    assert!(key > 1);
    assert_eq!(new.folder_sync("0").await.0, "1");
    new.policy_key = Some(key ^ 0x55);
    let r = new.post("FolderSync", Some(&folder_sync0())).await;
    assert_eq!(r.doc().child_text(fh::STATUS), Some("144"));
    // Policy keys are per device: another device presenting this key is still unprovisioned.
    let mut other = Eas::new(&sim, "alice", "secret", "other", V::V16_1);
    other.policy_key = Some(key);
    assert_eq!(
        other
            .post("FolderSync", Some(&folder_sync0()))
            .await
            .doc()
            .child_text(fh::STATUS),
        Some("142")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn provisioning_can_be_switched_off() {
    let sim = start_with(|c| c.provisioning = false).await;
    let e = Eas::new(&sim, "alice", "secret", "d", V::V14_1);
    assert_eq!(e.folder_sync("0").await.0, "1");
    sim.shutdown().await;
}

#[tokio::test]
async fn remote_wipe_ordered_by_control_api_is_delivered_and_acknowledged() {
    let sim = start().await;
    let mut e = Eas::new(&sim, "alice", "secret", "phone1", V::V16_1);
    e.provision().await;
    let cal = e.folder_id(8).await;
    e.initial_sync(&cal).await;
    let (s, _) = control(&sim, reqwest::Method::POST, "/users/alice/devices/phone1/wipe", None).await;
    assert_eq!(s, 200);
    // Other commands now demand provisioning (140 RemoteWipeRequested).
    assert_eq!(
        e.post("FolderSync", Some(&folder_sync0()))
            .await
            .doc()
            .child_text(fh::STATUS),
        Some("140")
    );
    // The next Provision carries RemoteWipe.
    let req =
        Element::new(prov::PROVISION)
            .with_child(Element::new(prov::POLICIES).with_child(
                Element::new(prov::POLICY).with_text_child(prov::POLICY_TYPE, "MS-EAS-Provisioning-WBXML"),
            ));
    let r = e.post("Provision", Some(&req)).await;
    assert!(r.doc().find(prov::REMOTE_WIPE).is_some(), "{:?}", r.doc());
    let (_, devs) = control(&sim, reqwest::Method::GET, "/users/alice/devices", None).await;
    assert_eq!(devs[0]["wipe"], "sent");
    // Acknowledge: the device is wiped (partnerships gone) and stays blocked.
    let ack =
        Element::new(prov::PROVISION).with_child(Element::new(prov::REMOTE_WIPE).with_text_child(prov::STATUS, "1"));
    assert_eq!(
        e.post("Provision", Some(&ack)).await.doc().child_text(prov::STATUS),
        Some("1")
    );
    let (_, devs) = control(&sim, reqwest::Method::GET, "/users/alice/devices", None).await;
    assert_eq!(devs[0]["wipe"], "wiped");
    assert_eq!(devs[0]["collections"], serde_json::json!({}));
    assert_eq!(devs[0]["provisioned"], false);
    assert!(e
        .post("Provision", Some(&req))
        .await
        .doc()
        .find(prov::REMOTE_WIPE)
        .is_some());
    // An admin removing the partnership lets the device start over.
    assert_eq!(
        control(&sim, reqwest::Method::DELETE, "/users/alice/devices/phone1", None)
            .await
            .0,
        200
    );
    e.provision().await;
    assert_eq!(e.folder_sync("0").await.0, "1");
    assert_ne!(e.post("FolderSync", None).await.status, StatusCode::UNAUTHORIZED);
    sim.shutdown().await;
}
