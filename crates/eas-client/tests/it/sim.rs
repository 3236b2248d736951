//! Tests against the real simulator (`eas-sim`) in-process, over loopback HTTP.

use std::sync::Arc;
use std::time::Duration;

use eas_client::{
    BearerAuth, Client, ClientConfig, Error, PartnershipState, RecordingSleeper, RetryPolicy, StaticTokens,
};
use eas_proto::folder_sync::FolderChange;
use eas_proto::ping::{PingFolder, PingRequest};
use eas_proto::sync::{ServerCommand, SyncCollection, SyncRequest};
use eas_proto::{FolderType, ItemClass, PingStatus, ProtocolVersion};
use eas_sim::{Config, FaultRule, SimHandle, Simulator, UserConfig};
use serde_json::{json, Value};

const DEVICE: &str = "easdavsimtest01";

async fn start(tweak: impl FnOnce(&mut Config)) -> SimHandle {
    let mut cfg = Config::loopback(vec![UserConfig::new("alice", "secret").with_token("tok-good")]);
    tweak(&mut cfg);
    Simulator::start(cfg).await.expect("start simulator")
}

fn basic_client(sim: &SimHandle, tweak: impl FnOnce(&mut ClientConfig)) -> (Client, RecordingSleeper) {
    let mut cfg = ClientConfig::new("alice", DEVICE, "EasDav");
    cfg.retry = RetryPolicy::immediate(3);
    tweak(&mut cfg);
    let sleeper = RecordingSleeper::default();
    let auth = Arc::new(eas_client::BasicAuth::new("alice", "secret"));
    let c = Client::with_sleeper(cfg, PartnershipState::new(sim.url()), auth, Arc::new(sleeper.clone())).unwrap();
    (c, sleeper)
}

async fn control(sim: &SimHandle, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let url = format!("{}{path}", sim.control_url().expect("control api"));
    let mut req = reqwest::Client::new().request(method, url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("control request");
    assert!(resp.status().is_success(), "control {path}: {}", resp.status());
    resp.json().await.expect("control json")
}

async fn device(sim: &SimHandle) -> Value {
    let devices = control(sim, reqwest::Method::GET, "/users/alice/devices", None).await;
    devices
        .as_array()
        .and_then(|a| a.iter().find(|d| d["id"] == DEVICE).cloned())
        .expect("device known to the simulator")
}

fn folder_of(changes: &[FolderChange], t: FolderType) -> String {
    changes
        .iter()
        .find_map(|c| match c {
            FolderChange::Add(f) if f.folder_type == t => Some(f.server_id.clone()),
            _ => None,
        })
        .expect("folder of type")
}

#[tokio::test]
async fn bootstrap_sync_and_ping_at_16_1() {
    let sim = start(|c| c.heartbeat_min = 1).await;
    let (c, _) = basic_client(&sim, |_| {});
    let fs = c.folder_sync("0").await.unwrap();
    assert!(fs.status.is_success());
    assert_eq!(c.version(), Some(ProtocolVersion::V16_1));
    let dev = device(&sim).await;
    assert_eq!(dev["provisioned"], true);
    assert_eq!(dev["policy_key"].to_string(), c.state().policy_key.unwrap());
    assert_eq!(dev["info"]["Model"], "easdav");
    assert!(!c.state().policy.is_empty(), "policy settings recorded");

    // Initial sync of the contacts folder, then a server-side change is pulled.
    let contacts = folder_of(&fs.changes, FolderType::Contacts);
    let first = SyncRequest {
        collections: vec![SyncCollection::new("0", contacts.as_str())],
        ..Default::default()
    };
    let r = c.sync(&first).await.unwrap().expect("sync body");
    let key = r.collections[0].sync_key.clone().expect("sync key");
    control(
        &sim,
        reqwest::Method::POST,
        &format!("/users/alice/folders/{contacts}/items"),
        Some(json!({"FirstName": "Ada"})),
    )
    .await;
    let mut col = SyncCollection::new(key, contacts.as_str());
    col.get_changes = Some(true);
    let r = c
        .sync(&SyncRequest {
            collections: vec![col],
            ..Default::default()
        })
        .await
        .unwrap()
        .expect("sync body");
    let adds = r.collections[0]
        .commands
        .iter()
        .filter(|c| matches!(c, ServerCommand::Add { .. }))
        .count();
    assert!(adds >= 1, "{r:?}");

    // A 1-second Ping expires with status 1.
    let ping = PingRequest {
        heartbeat_interval: Some(1),
        folders: vec![PingFolder {
            id: contacts.clone(),
            class: ItemClass::Contacts,
        }],
    };
    let p = c.ping(&ping).await.unwrap().expect("ping body");
    assert_eq!(p.status, PingStatus::Expired);
    sim.shutdown().await;
}

#[tokio::test]
async fn version_pin_and_exo_minimum() {
    let sim = start(|c| c.min_version = ProtocolVersion::V16_1).await;
    let (c, _) = basic_client(&sim, |cfg| cfg.version_pin = Some(ProtocolVersion::V14_1));
    assert!(matches!(c.folder_sync("0").await, Err(Error::NoCommonVersion { .. })));
    sim.shutdown().await;

    let sim = start(|_| {}).await;
    let (c, _) = basic_client(&sim, |cfg| cfg.version_pin = Some(ProtocolVersion::V14_1));
    assert!(c.folder_sync("0").await.unwrap().status.is_success());
    assert_eq!(c.version(), Some(ProtocolVersion::V14_1));
    assert_eq!(
        device(&sim).await["info"]["Model"],
        "easdav",
        "DeviceInformation inside 14.1 Provision"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn lost_partnership_is_reprovisioned_transparently() {
    let sim = start(|_| {}).await;
    let (c, _) = basic_client(&sim, |_| {});
    c.folder_sync("0").await.unwrap();
    let old_key = c.state().policy_key.unwrap();
    // The admin removes the partnership: the next command gets 142, the client provisions again.
    control(
        &sim,
        reqwest::Method::DELETE,
        &format!("/users/alice/devices/{DEVICE}"),
        None,
    )
    .await;
    assert!(c.folder_sync("0").await.unwrap().status.is_success());
    let new_key = c.state().policy_key.unwrap();
    assert_ne!(old_key, new_key);
    assert_eq!(device(&sim).await["policy_key"].to_string(), new_key);
    sim.shutdown().await;
}

#[tokio::test]
async fn remote_wipe_from_the_simulator() {
    let sim = start(|_| {}).await;
    let (c, _) = basic_client(&sim, |_| {});
    c.folder_sync("0").await.unwrap();
    control(
        &sim,
        reqwest::Method::POST,
        &format!("/users/alice/devices/{DEVICE}/wipe"),
        None,
    )
    .await;
    let err = c.folder_sync("0").await.unwrap_err();
    assert!(matches!(err, Error::RemoteWipe { account_only: false }), "{err}");
    assert_eq!(
        device(&sim).await["wipe"],
        "wiped",
        "the wipe was acknowledged upstream"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn simulator_faults_503_reset_500_and_throttling() {
    let rule = |s: &str| FaultRule::parse(s).unwrap();
    let sim = start(|c| {
        c.faults = vec![
            rule("503:7,cmd=FolderSync,nth=1"),
            rule("reset,cmd=FolderSync,nth=2"),
            rule("500,cmd=FolderSync,nth=3"),
        ]
    })
    .await;
    let (c, sleeper) = basic_client(&sim, |cfg| cfg.retry = RetryPolicy::immediate(4));
    assert!(c.folder_sync("0").await.unwrap().status.is_success());
    // 503 honoured Retry-After exactly (no jitter), then reset and 500 used the back-off.
    assert_eq!(
        sleeper.delays(),
        [
            Duration::from_secs(7),
            Duration::from_millis(2),
            Duration::from_millis(4)
        ]
    );
    sim.shutdown().await;

    let sim = start(|c| c.faults = vec![rule("status:111,cmd=FolderSync")]).await;
    let (c, sleeper) = basic_client(&sim, |_| {});
    let err = c.folder_sync("0").await.unwrap_err();
    assert!(matches!(err, Error::Throttled { status: Some(111), .. }), "{err}");
    assert_eq!(sleeper.delays().len(), 2);
    sim.shutdown().await;

    let sim = start(|c| c.faults = vec![rule("throttle:3,cmd=FolderSync")]).await;
    let (c, sleeper) = basic_client(&sim, |cfg| cfg.retry = RetryPolicy::immediate(2));
    for _ in 0..3 {
        c.folder_sync("0").await.unwrap();
    }
    let err = c.folder_sync("0").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Throttled {
                retry_after: Some(_),
                status: None
            }
        ),
        "{err}"
    );
    assert_eq!(sleeper.delays(), [Duration::from_secs(60)]);
    sim.shutdown().await;
}

#[tokio::test]
async fn bearer_token_refresh_against_simulator() {
    let sim = start(|_| {}).await;
    let tokens = Arc::new(StaticTokens::new(vec!["tok-expired".into(), "tok-good".into()]));
    let c = Client::new(
        ClientConfig::new("alice", DEVICE, "EasDav"),
        PartnershipState::new(sim.url()),
        Arc::new(BearerAuth::new(tokens)),
    )
    .unwrap();
    assert!(c.folder_sync("0").await.unwrap().status.is_success());
    sim.shutdown().await;
}

#[tokio::test]
async fn every_version_bootstraps_and_recovers_a_lost_partnership() {
    for v in [
        ProtocolVersion::V12_1,
        ProtocolVersion::V14_0,
        ProtocolVersion::V14_1,
        ProtocolVersion::V16_0,
    ] {
        let sim = start(|_| {}).await;
        let (c, _) = basic_client(&sim, |cfg| cfg.version_pin = Some(v));
        let fs = c.folder_sync("0").await.unwrap();
        assert!(fs.status.is_success(), "{v}");
        assert_eq!(c.version(), Some(v));
        assert!(c.state().device_info_sent, "{v}");
        assert_eq!(
            device(&sim).await["info"]["Model"],
            "easdav",
            "{v}: DeviceInformation delivered"
        );
        // Losing the partnership yields 449 (12.1) or 142 (14.0+); both re-provision.
        control(
            &sim,
            reqwest::Method::DELETE,
            &format!("/users/alice/devices/{DEVICE}"),
            None,
        )
        .await;
        let cal = folder_of(&fs.changes, FolderType::Calendar);
        let first = SyncRequest {
            collections: vec![SyncCollection::new("0", cal)],
            ..Default::default()
        };
        let r = c.sync(&first).await.unwrap().expect("sync body");
        assert!(r.collections[0].status.is_success(), "{v}: {r:?}");
        assert_eq!(
            device(&sim).await["policy_key"].to_string(),
            c.state().policy_key.unwrap(),
            "{v}"
        );
        c.folder_sync("0").await.unwrap();
        assert_eq!(
            device(&sim).await["info"]["Model"],
            "easdav",
            "{v}: DeviceInformation sent again"
        );
        sim.shutdown().await;
    }
}
