//! Fault injection: after each fault, changes in both directions still land and the mirror
//! equals the simulator item by item.

use dav_server::backend::{Backend, Format, Home, WriteCondition};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

/// Runs a round of changes in both directions under `rule`, then clears faults, syncs and
/// compares. Errors while the fault is active are allowed (they must be typed, not panics).
async fn under_fault(rule: Value, name: &str) {
    let env = env(|_| {}, |_| {}).await;
    let sim_cal = env.sim_folder(8).await;
    seed(&env.sim, USER, &sim_cal, 20, event).await;
    env.login().await;
    let cals = env.backend.list_collections(USER, Home::Calendars).await.unwrap();
    let cal = cals[0].id.clone();
    assert_eq!(
        env.backend
            .list_resources(USER, &cal, Format::ICalendar)
            .await
            .unwrap()
            .len(),
        20
    );

    env.control(Method::POST, "/faults", Some(rule)).await;
    let mut acked = Vec::new();
    for i in 0..4 {
        env.add_event(&sim_cal, &format!("{name} server {i}")).await;
        let res = env
            .backend
            .put_resource(
                USER,
                &cal,
                &format!("{name}-{i}.ics"),
                &ics(&format!("{name}-{i}"), &format!("{name} client {i}")),
                WriteCondition::None,
            )
            .await;
        match res {
            Ok(_) => acked.push(i),
            Err(e) => eprintln!("{name}: write {i} failed under fault: {e:?}"),
        }
        let _ = env.engine.sync_all(USER).await;
    }
    env.control(Method::DELETE, "/faults", None).await;
    // Retry what failed (as a DAV client would), then converge.
    for i in 0..4 {
        if !acked.contains(&i) {
            env.backend
                .put_resource(
                    USER,
                    &cal,
                    &format!("{name}-{i}.ics"),
                    &ics(&format!("{name}-{i}"), &format!("{name} client {i}")),
                    WriteCondition::None,
                )
                .await
                .unwrap_or_else(|e| panic!("{name}: retry of write {i} failed: {e:?}"));
        }
    }
    env.engine.sync_all(USER).await.unwrap();
    env.check_mirror().await;
    // Every client write exists exactly once upstream.
    let items = env
        .control(Method::GET, &format!("/users/{USER}/folders/{sim_cal}/items"), None)
        .await;
    for i in 0..4 {
        let subject = format!("{name} client {i}");
        let n = items
            .as_array()
            .unwrap()
            .iter()
            .filter(|it| it["data"]["Calendar:Subject"] == subject.as_str())
            .count();
        assert_eq!(n, 1, "{name}: {subject} present exactly once");
        let s2 = format!("{name} server {i}");
        let n = items
            .as_array()
            .unwrap()
            .iter()
            .filter(|it| it["data"]["Calendar:Subject"] == s2.as_str())
            .count();
        assert_eq!(n, 1, "{name}: {s2} present exactly once");
    }
    env.engine.shutdown().await;
}

#[tokio::test]
async fn fault_503_retry_after() {
    under_fault(
        json!({"action": {"kind": "unavailable", "retry_after": 1}, "command": "Sync", "times": 2}),
        "f503",
    )
    .await;
}

#[tokio::test]
async fn fault_500() {
    under_fault(
        json!({"action": {"kind": "server_error"}, "command": "Sync", "times": 3}),
        "f500",
    )
    .await;
}

#[tokio::test]
async fn fault_reset_mid_response() {
    under_fault(
        json!({"action": {"kind": "reset"}, "command": "Sync", "times": 3}),
        "freset",
    )
    .await;
}

#[tokio::test]
async fn fault_latency() {
    under_fault(
        json!({"action": {"kind": "latency", "ms": 300}, "command": "Sync", "times": 4}),
        "flat",
    )
    .await;
}

#[tokio::test]
async fn fault_sync_status_3() {
    under_fault(
        json!({"action": {"kind": "status", "status": 3}, "command": "Sync", "times": 2}),
        "fs3",
    )
    .await;
}

#[tokio::test]
async fn fault_sync_status_12() {
    under_fault(
        json!({"action": {"kind": "status", "status": 12}, "command": "Sync", "times": 2}),
        "fs12",
    )
    .await;
}

#[tokio::test]
async fn fault_sync_status_110() {
    under_fault(
        json!({"action": {"kind": "status", "status": 110}, "command": "Sync", "times": 2}),
        "fs110",
    )
    .await;
}

#[tokio::test]
async fn fault_throttling_in_band_111() {
    under_fault(
        json!({"action": {"kind": "throttle", "per_minute": 3, "status": 111}, "command": "Sync"}),
        "fthr111",
    )
    .await;
}

/// Exchange Online style: HTTP 503 + Retry-After 60. Writes fail at once with a typed
/// UpstreamUnavailable carrying the delay, the client stops sending (no hammering), and after a
/// restart of the gateway (fresh client, same store) everything converges.
#[tokio::test]
async fn fault_throttling_503_retry_after_60() {
    let env = env(|_| {}, |_| {}).await;
    let sim_cal = env.sim_folder(8).await;
    env.login().await;
    let cals = env.backend.list_collections(USER, Home::Calendars).await.unwrap();
    let cal = cals[0].id.clone();
    env.backend.list_resources(USER, &cal, Format::ICalendar).await.unwrap();
    env.control(
        Method::POST,
        "/faults",
        Some(json!({"action": {"kind": "throttle", "per_minute": 0, "status": null}, "command": "Sync"})),
    )
    .await;
    let before = sync_count(&env).await;
    for i in 0..5 {
        let name = format!("t{i}.ics");
        let r = env
            .backend
            .put_resource(
                USER,
                &cal,
                &name,
                &ics(&format!("t{i}"), &format!("throttled {i}")),
                WriteCondition::None,
            )
            .await;
        match r {
            Err(dav_server::backend::BackendError::UpstreamUnavailable { retry_after: Some(d) }) => {
                assert!(d.as_secs() >= 50, "server delay passed on: {d:?}")
            }
            other => panic!("expected UpstreamUnavailable with Retry-After, got {other:?}"),
        }
    }
    assert!(sync_count(&env).await - before <= 2, "no hammering while throttled");
    env.control(Method::DELETE, "/faults", None).await;
    env.add_event(&sim_cal, "while throttled").await;
    env.engine.shutdown().await;
    // Restart: a new engine on the same store.
    let engine = sync_engine::Engine::new(env.store.clone(), test_config(env.sim.url()));
    let backend = engine.dav_backend();
    assert!(backend.authenticate(USER, PASS).await.unwrap().is_some());
    for i in 0..5 {
        let name = format!("t{i}.ics");
        backend
            .put_resource(
                USER,
                &cal,
                &name,
                &ics(&format!("t{i}"), &format!("throttled {i}")),
                WriteCondition::None,
            )
            .await
            .unwrap();
    }
    engine.sync_all(USER).await.unwrap();
    assert_mirror_matches(&env.sim, env.store.as_ref(), USER).await;
    let items = env
        .control(Method::GET, &format!("/users/{USER}/folders/{sim_cal}/items"), None)
        .await;
    for i in 0..5 {
        let subject = format!("throttled {i}");
        let n = items
            .as_array()
            .unwrap()
            .iter()
            .filter(|it| it["data"]["Calendar:Subject"] == subject.as_str())
            .count();
        assert_eq!(n, 1, "{subject} exactly once");
    }
    engine.shutdown().await;
}

async fn sync_count(env: &Env) -> u64 {
    env.control(Method::GET, &format!("/users/{USER}/counters"), None).await["Sync"]
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test]
async fn fault_reprovision_142_mid_session() {
    under_fault(
        json!({"action": {"kind": "status", "status": 142}, "command": "Sync", "times": 1}),
        "f142",
    )
    .await;
}

#[tokio::test]
async fn fault_every_nth_sync_reset() {
    under_fault(
        json!({"action": {"kind": "reset"}, "command": "Sync", "nth": 2}),
        "fnth",
    )
    .await;
}
