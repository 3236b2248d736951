//! Version negotiation and proactive provisioning against stub servers.

use eas_client::{Error, PolicyAck, Provisioning};
use eas_proto::ProtocolVersion;
use wbxml::tags::{provision as pv, settings as st};

use crate::client;
use crate::stub::{eas_ok, Stub};

#[tokio::test]
async fn negotiates_16_1_and_provisions_before_first_folder_sync() {
    let stub = Stub::start(|r, _| eas_ok(r, "2.5,12.1,14.0,14.1,16.0,16.1")).await;
    let (c, _) = client(&stub.url(), |_| {});
    let mut changes = c.subscribe();
    let resp = c.folder_sync("0").await.unwrap();
    assert_eq!(resp.sync_key.as_deref(), Some("1"));
    assert_eq!(stub.commands(), ["OPTIONS", "Provision", "Provision", "FolderSync"]);

    let reqs = stub.requests();
    // Phase one: policy key 0, DeviceInformation (16.1 ≥ 14.1), policy type.
    let p1 = &reqs[1];
    assert_eq!(p1.header("MS-ASProtocolVersion"), Some("16.1"));
    assert_eq!(p1.header("X-MS-PolicyKey"), Some("0"));
    assert_eq!(p1.header("Content-Type"), Some("application/vnd.ms-sync.wbxml"));
    assert_eq!(p1.query("User").as_deref(), Some("alice@example.com"));
    assert!(p1.target.contains("User=alice%40example.com"), "{}", p1.target);
    assert_eq!(p1.query("DeviceId").as_deref(), Some("easdavtest0001"));
    assert_eq!(p1.query("DeviceType").as_deref(), Some("EasDav"));
    assert!(p1.header("Authorization").unwrap().starts_with("Basic "));
    assert!(p1.header("User-Agent").unwrap().starts_with("easdav/"));
    let e1 = p1.element().unwrap();
    assert!(e1.find(st::DEVICE_INFORMATION).and_then(|d| d.find(st::SET)).is_some());
    // Phase two: temporary key in header and body, ack status 1.
    let p2 = &reqs[2];
    assert_eq!(p2.header("X-MS-PolicyKey"), Some("111"));
    let pol = p2.element().unwrap();
    let pol = pol.find(pv::POLICIES).and_then(|p| p.find(pv::POLICY)).unwrap().clone();
    assert_eq!(pol.child_text(pv::POLICY_KEY), Some("111"));
    assert_eq!(pol.child_text(pv::STATUS), Some("1"));
    // The command carries the final key.
    assert_eq!(reqs[3].header("X-MS-PolicyKey"), Some("222"));

    let s = c.state();
    assert_eq!(s.version, Some(ProtocolVersion::V16_1));
    assert_eq!(s.policy_key.as_deref(), Some("222"));
    assert_eq!(s.policy_setting("MaxCalendarAgeFilter"), Some("4"));
    assert!(s.device_info_sent);
    assert!(s.supports("ItemOperations") && s.supports("sync") && !s.supports("Search"));
    // Duplicated MS-ASProtocolCommands headers were joined and de-duplicated.
    assert_eq!(s.commands.iter().filter(|c| *c == "Sync").count(), 1);
    assert!(changes.has_changed().unwrap());
    assert_eq!(*changes.borrow_and_update(), s);

    // A second command needs no more bootstrap.
    c.folder_sync("1").await.unwrap();
    assert_eq!(stub.commands().len(), 5);
}

#[tokio::test]
async fn pin_14_1_is_honoured() {
    let stub = Stub::start(|r, _| eas_ok(r, "12.1,14.0,14.1,16.0,16.1")).await;
    let (c, _) = client(&stub.url(), |cfg| {
        cfg.version_pin = Some(ProtocolVersion::V14_1);
        cfg.anchor_mailbox = Some("alice@example.com".to_owned());
    });
    c.folder_sync("0").await.unwrap();
    assert_eq!(c.version(), Some(ProtocolVersion::V14_1));
    for r in stub.requests().iter().skip(1) {
        assert_eq!(r.header("MS-ASProtocolVersion"), Some("14.1"));
        assert_eq!(r.header("Cookie"), Some("DefaultAnchorMailbox=alice@example.com"));
    }
}

#[tokio::test]
async fn persisted_state_is_reused_and_a_new_pin_renegotiates() {
    let stub = Stub::start(|r, _| eas_ok(r, "14.1,16.1")).await;
    let (c, _) = client(&stub.url(), |_| {});
    c.folder_sync("0").await.unwrap();
    let saved = c.state();
    // A restarted client with the saved state goes straight to the command.
    let restarted = eas_client::Client::new(
        c.config().clone(),
        saved.clone(),
        std::sync::Arc::new(eas_client::BasicAuth::new("alice@example.com", "secret")),
    )
    .unwrap();
    let before = stub.requests().len();
    restarted.folder_sync("1").await.unwrap();
    assert_eq!(stub.commands()[before..], ["FolderSync"]);
    assert_eq!(stub.requests()[before].header("X-MS-PolicyKey"), Some("222"));
    // With a pin that contradicts the saved version, OPTIONS runs again.
    let mut cfg = c.config().clone();
    cfg.version_pin = Some(ProtocolVersion::V14_1);
    let pinned = eas_client::Client::new(
        cfg,
        saved,
        std::sync::Arc::new(eas_client::BasicAuth::new("alice@example.com", "secret")),
    )
    .unwrap();
    let before = stub.requests().len();
    pinned.folder_sync("1").await.unwrap();
    assert_eq!(stub.commands()[before..], ["OPTIONS", "FolderSync"]);
    assert_eq!(pinned.version(), Some(ProtocolVersion::V14_1));
}

#[tokio::test]
async fn v14_0_sends_standalone_device_information() {
    let stub = Stub::start(|r, _| match r.cmd().as_str() {
        "Settings" => crate::stub::Reply::wbxml(
            &wbxml::Element::new(st::SETTINGS)
                .with_text_child(st::STATUS, "1")
                .with_child(wbxml::Element::new(st::DEVICE_INFORMATION).with_text_child(st::STATUS, "1")),
        ),
        _ => eas_ok(r, "12.1,14.0"),
    })
    .await;
    let (c, _) = client(&stub.url(), |_| {});
    c.folder_sync("0").await.unwrap();
    assert_eq!(
        stub.commands(),
        ["OPTIONS", "Provision", "Provision", "Settings", "FolderSync"]
    );
    let p1 = stub.requests()[1].element().unwrap();
    assert!(
        p1.find(st::DEVICE_INFORMATION).is_none(),
        "no DeviceInformation in 14.0 Provision"
    );
    assert!(c.state().device_info_sent);
}

#[tokio::test]
async fn no_common_version_is_an_error() {
    let stub = Stub::start(|r, _| eas_ok(r, "2.0,2.5,12.0")).await;
    let (c, _) = client(&stub.url(), |_| {});
    let err = c.folder_sync("0").await.unwrap_err();
    assert!(
        matches!(&err, Error::NoCommonVersion { offered } if offered == &["2.0", "2.5", "12.0"]),
        "{err}"
    );
    assert_eq!(stub.commands(), ["OPTIONS"]);

    let stub = Stub::start(|r, _| eas_ok(r, "16.1")).await;
    let (c, _) = client(&stub.url(), |cfg| cfg.version_pin = Some(ProtocolVersion::V14_1));
    assert!(matches!(c.negotiate().await, Err(Error::NoCommonVersion { .. })));
}

#[tokio::test]
async fn policy_ack_is_configurable_and_disabled_provisioning_skips_it() {
    let stub = Stub::start(|r, _| eas_ok(r, "16.1")).await;
    let (c, _) = client(&stub.url(), |cfg| {
        cfg.provisioning = Provisioning::Enabled { ack: PolicyAck::Refuse }
    });
    c.provision().await.unwrap();
    let ack = stub.requests()[2].element().unwrap();
    let pol = ack.find(pv::POLICIES).and_then(|p| p.find(pv::POLICY)).unwrap().clone();
    assert_eq!(pol.child_text(pv::STATUS), Some("3"));

    let stub = Stub::start(|r, _| eas_ok(r, "16.1")).await;
    let (c, _) = client(&stub.url(), |cfg| cfg.provisioning = Provisioning::Disabled);
    c.folder_sync("0").await.unwrap();
    assert_eq!(stub.commands(), ["OPTIONS", "FolderSync"]);
    assert_eq!(stub.requests()[1].header("X-MS-PolicyKey"), None);
}
