//! Shared helpers: a simulator + engine environment, control API calls, mirror comparison.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use dav_server::backend::Backend;
use eas_client::RetryPolicy;
use eas_sim::{Config, SimHandle, Simulator, UserConfig};
use serde_json::{json, Value};
use store::{SqliteConfig, SqliteStore, Store};
use sync_engine::{DavBackend, Engine, EngineConfig};
use wbxml::tags::{calendar, contacts};

pub const USER: &str = "alice";
pub const PASS: &str = "secret";

pub struct Env {
    pub sim: SimHandle,
    pub store: Arc<dyn Store>,
    pub engine: Arc<Engine>,
    pub backend: DavBackend,
}

pub fn test_config(url: String) -> EngineConfig {
    let mut cfg = EngineConfig::new(url);
    cfg.retry = RetryPolicy::immediate(4);
    // A throttling Retry-After beyond this is reported instead of waited for.
    cfg.retry.max_retry_after = Duration::from_secs(2);
    cfg.heartbeat_initial = Duration::from_secs(60);
    cfg.heartbeat_min = Duration::from_secs(1);
    cfg.staleness = Duration::from_secs(30);
    cfg
}

pub async fn start_sim(tweak: impl FnOnce(&mut Config)) -> SimHandle {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let mut cfg = Config::loopback(vec![UserConfig::new(USER, PASS), UserConfig::new("bob", "pw")]);
    cfg.heartbeat_min = 1;
    tweak(&mut cfg);
    Simulator::start(cfg).await.expect("simulator starts")
}

pub async fn env(tweak_sim: impl FnOnce(&mut Config), tweak: impl FnOnce(&mut EngineConfig)) -> Env {
    let sim = start_sim(tweak_sim).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory(SqliteConfig::default()).expect("store"));
    let mut cfg = test_config(sim.url());
    tweak(&mut cfg);
    let engine = Engine::new(store.clone(), cfg);
    let backend = engine.dav_backend();
    Env {
        sim,
        store,
        engine,
        backend,
    }
}

impl Env {
    pub async fn login(&self) {
        let who = self.backend.authenticate(USER, PASS).await.expect("authenticate");
        assert_eq!(who.as_deref(), Some(USER));
    }

    pub async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        control(&self.sim, method, path, body).await
    }

    /// The simulator folder id of the first folder of `folder_type`.
    pub async fn sim_folder(&self, folder_type: u64) -> String {
        sim_folder(&self.sim, USER, folder_type).await
    }

    pub async fn add_event(&self, folder: &str, subject: &str) -> String {
        let v = self
            .control(
                reqwest::Method::POST,
                &format!("/users/{USER}/folders/{folder}/items"),
                Some(json!({"data": {"Subject": subject, "StartTime": "20260301T100000Z", "EndTime": "20260301T110000Z"}})),
            )
            .await;
        v["server_id"].as_str().expect("server id").to_owned()
    }

    pub async fn check_mirror(&self) {
        assert_mirror_matches(&self.sim, self.store.as_ref(), USER).await;
    }
}

pub async fn control(sim: &SimHandle, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let url = format!("{}{path}", sim.control_url().expect("control api"));
    let mut req = reqwest::Client::new().request(method, url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("control request");
    let status = resp.status();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "control {path}: {status} {v}");
    v
}

pub async fn sim_folder(sim: &SimHandle, user: &str, folder_type: u64) -> String {
    let folders = control(sim, reqwest::Method::GET, &format!("/users/{user}/folders"), None).await;
    folders
        .as_array()
        .and_then(|a| a.iter().find(|f| f["type"].as_u64() == Some(folder_type)))
        .and_then(|f| f["id"].as_str())
        .expect("folder of type")
        .to_owned()
}

/// Seeds `n` items into a simulator folder through the control API (16 in flight).
pub async fn seed(sim: &SimHandle, user: &str, folder: &str, n: usize, make: fn(usize) -> Value) {
    let base = format!(
        "{}/users/{user}/folders/{folder}/items",
        sim.control_url().expect("control")
    );
    let http = reqwest::Client::new();
    let sem = Arc::new(tokio::sync::Semaphore::new(16));
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let permit = sem.clone().acquire_owned().await.expect("semaphore");
        let (http, url, body) = (http.clone(), base.clone(), make(i));
        set.spawn(async move {
            let r = http
                .post(url)
                .json(&json!({"data": body}))
                .send()
                .await
                .expect("seed request");
            assert!(r.status().is_success(), "seed: {}", r.status());
            drop(permit);
        });
    }
    while let Some(r) = set.join_next().await {
        r.expect("seed task");
    }
}

pub fn event(i: usize) -> Value {
    json!({"Subject": format!("Event {i}"), "StartTime": format!("2026{:02}{:02}T{:02}0000Z", 1 + i % 12, 1 + i % 28, i % 24),
           "EndTime": format!("2026{:02}{:02}T{:02}3000Z", 1 + i % 12, 1 + i % 28, i % 24), "Location": "Room 1"})
}

pub fn contact(i: usize) -> Value {
    json!({"FirstName": format!("First{i}"), "LastName": format!("Last{i}"), "Email1Address": format!("p{i}@example.com")})
}

/// The key field compared per item.
fn key_of(class: &str, data: &Value) -> String {
    match class {
        "Contacts" => data["Contacts:FileAs"].as_str().unwrap_or("").to_owned(),
        "Tasks" => data["Tasks:Subject"].as_str().unwrap_or("").to_owned(),
        _ => data["Calendar:Subject"].as_str().unwrap_or("").to_owned(),
    }
}

/// Mirror == simulator for every mirrored folder: same folders, same ServerIds (no duplicates,
/// no losses), same key field per item.
pub async fn assert_mirror_matches(sim: &SimHandle, store: &dyn Store, user: &str) {
    let folders = control(sim, reqwest::Method::GET, &format!("/users/{user}/folders"), None).await;
    let p = store
        .partnerships_for_user(user)
        .expect("store")
        .into_iter()
        .next()
        .expect("partnership");
    let mirrored = store.list_folders(p.id).expect("folders");
    let mut expected_folders = 0;
    for f in folders.as_array().expect("folders array") {
        let t = f["type"].as_u64().unwrap_or(0);
        if ![7, 8, 9, 13, 14, 15].contains(&t) {
            continue;
        }
        expected_folders += 1;
        let id = f["id"].as_str().expect("id");
        let class = f["class"].as_str().unwrap_or("");
        let mf = mirrored
            .iter()
            .find(|m| m.server_id == id)
            .unwrap_or_else(|| panic!("folder {id} not mirrored"));
        let items = control(
            sim,
            reqwest::Method::GET,
            &format!("/users/{user}/folders/{id}/items"),
            None,
        )
        .await;
        let mut want: Vec<(String, String)> = items
            .as_array()
            .expect("items")
            .iter()
            .map(|i| {
                (
                    i["server_id"].as_str().unwrap_or("").to_owned(),
                    key_of(class, &i["data"]),
                )
            })
            .collect();
        want.sort();
        let summaries = store.list_items(mf.id).expect("items");
        let names: Vec<String> = summaries.iter().map(|s| s.resource_name.clone()).collect();
        let mut have: Vec<(String, String)> = store
            .get_items(mf.id, &names)
            .expect("get items")
            .into_iter()
            .map(|it| {
                let el = wbxml::decode(&it.payload).expect("payload decodes");
                let tag = match class {
                    "Contacts" => contacts::FILE_AS,
                    "Tasks" => wbxml::tags::tasks::SUBJECT,
                    _ => calendar::SUBJECT,
                };
                (it.server_id, el.child_text(tag).unwrap_or("").to_owned())
            })
            .collect();
        have.sort();
        assert_eq!(have.len(), want.len(), "item count of folder {id} ({class})");
        assert_eq!(have, want, "items of folder {id} ({class})");
    }
    assert_eq!(mirrored.len(), expected_folders, "mirrored folder count");
}

/// Polls `f` every 20 ms until it is true or `limit` passes.
pub async fn wait_until<F, Fut>(limit: Duration, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < limit {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

pub const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:UIDX\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260402T090000Z\r\nDTEND:20260402T100000Z\r\nSUMMARY:SUBJ\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

pub fn ics(uid: &str, summary: &str) -> String {
    ICS.replace("UIDX", uid).replace("SUBJ", summary)
}

pub fn vcf(uid: &str, first: &str, last: &str) -> String {
    format!("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nN:{last};{first};;;\r\nFN:{first} {last}\r\nEMAIL;TYPE=INTERNET:{first}@example.com\r\nEND:VCARD\r\n")
}
