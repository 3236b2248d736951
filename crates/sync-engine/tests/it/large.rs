//! The initial mirror of 10,000 events and 2,000 contacts, staleness-bounded coalesced reads,
//! and idle users.

use std::time::Duration;

use dav_server::backend::{Backend, CollectionKind, Format, Home};
use reqwest::Method;
use serde_json::json;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initial_mirror_of_10000_events_and_2000_contacts() {
    let env = env(|_| {}, |_| {}).await;
    let cal = env.sim_folder(8).await;
    let con = env.sim_folder(9).await;
    seed(&env.sim, USER, &cal, 10_000, event).await;
    seed(&env.sim, USER, &con, 2_000, contact).await;
    env.login().await;
    env.engine.sync_all(USER).await.unwrap();
    env.check_mirror().await;
    let cals = env.backend.list_collections(USER, Home::Calendars).await.unwrap();
    let listed = env
        .backend
        .list_resources(USER, &cals[0].id, Format::ICalendar)
        .await
        .unwrap();
    assert_eq!(listed.len(), 10_000);
    let mut names: Vec<&str> = listed.iter().map(|m| m.name.as_str()).collect();
    names.dedup();
    assert_eq!(names.len(), 10_000, "unique resource names");
    let books = env.backend.list_collections(USER, Home::AddressBooks).await.unwrap();
    assert_eq!(
        env.backend
            .list_resources(USER, &books[0].id, Format::VCard3)
            .await
            .unwrap()
            .len(),
        2_000
    );
    // 12,000 items at WindowSize 512: 20 + 4 pages plus the key-0 requests, not thousands.
    assert!(
        env.engine.upstream_requests() < 60,
        "round trips: {}",
        env.engine.upstream_requests()
    );
    env.engine.shutdown().await;
}

async fn sync_count(env: &Env) -> u64 {
    let c = env.control(Method::GET, &format!("/users/{USER}/counters"), None).await;
    c["Sync"].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn stale_reads_sync_once_for_all_concurrent_readers() {
    let env = env(|_| {}, |c| c.staleness = Duration::from_millis(1500)).await;
    // No push in this test: every Ping fails, so only the staleness bound brings changes.
    env.control(
        Method::POST,
        "/faults",
        Some(json!({"action": {"kind": "status", "status": 8}, "command": "Ping"})),
    )
    .await;
    env.login().await;
    let cals = env.backend.list_collections(USER, Home::Calendars).await.unwrap();
    let cal = cals
        .iter()
        .find(|c| c.kind == CollectionKind::Calendar)
        .unwrap()
        .id
        .clone();
    env.backend.list_resources(USER, &cal, Format::ICalendar).await.unwrap();
    // Let the background catch-up of the other folders finish.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sim_cal = env.sim_folder(8).await;
    env.add_event(&sim_cal, "Fresh").await;
    // A read within the bound serves the mirror as is.
    let before = sync_count(&env).await;
    let quick = env.backend.list_resources(USER, &cal, Format::ICalendar).await.unwrap();
    assert!(quick.is_empty(), "fresh mirror not synced again");
    assert_eq!(sync_count(&env).await, before);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let before = sync_count(&env).await;
    let reads = (0..6).map(|_| env.backend.list_resources(USER, &cal, Format::ICalendar));
    let results = futures_join(reads).await;
    for r in results {
        assert_eq!(r.unwrap().len(), 1, "every reader sees the change");
    }
    assert_eq!(
        sync_count(&env).await - before,
        1,
        "six concurrent stale reads share one Sync"
    );
    env.engine.shutdown().await;
}

async fn futures_join<F: std::future::Future>(futs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut out = Vec::new();
    let pinned: Vec<_> = futs.map(Box::pin).collect();
    // Poll all concurrently on this task.
    let mut pending: Vec<_> = pinned.into_iter().map(Some).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        results[i] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.extend(results.into_iter().flatten());
    out
}

#[tokio::test]
async fn idle_users_stop_pinging_and_resume_on_request() {
    let env = env(|_| {}, |c| c.active_idle = Duration::from_millis(500)).await;
    env.login().await;
    let cals = env.backend.list_collections(USER, Home::Calendars).await.unwrap();
    let pinging = |e: &Env| {
        let engine = e.engine.clone();
        async move { engine.accounts().await.unwrap()[0].pinging }
    };
    assert!(
        wait_until(Duration::from_secs(5), || pinging(&env)).await,
        "pinging while active"
    );
    assert!(
        wait_until(Duration::from_secs(5), || async { !pinging(&env).await }).await,
        "stops when idle"
    );
    // Changes made while idle are there on the next request.
    let sim_cal = env.sim_folder(8).await;
    env.add_event(&sim_cal, "While idle").await;
    let listed = env
        .backend
        .list_resources(USER, &cals[0].id, Format::ICalendar)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        wait_until(Duration::from_secs(5), || pinging(&env)).await,
        "pinging again after a request"
    );
    env.engine.shutdown().await;
}

#[tokio::test]
async fn heartbeat_adopts_the_server_bound_and_push_still_works() {
    // Our first heartbeat (60 s) is below the server's minimum: Ping status 5 carries 120.
    let env = env(|s| s.heartbeat_min = 120, |_| {}).await;
    env.login().await;
    let registered = wait_until(Duration::from_secs(10), || async {
        let d = env.control(Method::GET, &format!("/users/{USER}/devices"), None).await;
        d.as_array().is_some_and(|a| a.iter().any(|d| !d["ping"].is_null()))
    })
    .await;
    assert!(registered, "a Ping with an accepted heartbeat is pending upstream");
    let devices = env.control(Method::GET, &format!("/users/{USER}/devices"), None).await;
    let hb = devices
        .as_array()
        .unwrap()
        .iter()
        .find_map(|d| d["ping"]["heartbeat"].as_u64());
    assert_eq!(hb, Some(120), "server bound adopted: {devices}");
    let sim_cal = env.sim_folder(8).await;
    let sid = env.add_event(&sim_cal, "Pushed").await;
    let store = env.store.clone();
    let arrived = wait_until(Duration::from_secs(10), || {
        let (store, sid) = (store.clone(), sid.clone());
        async move {
            let p = store.partnerships_for_user(USER).unwrap().remove(0);
            let f = store
                .list_folders(p.id)
                .unwrap()
                .into_iter()
                .find(|f| f.folder_type == 8)
                .unwrap();
            store.item_by_server_id(f.id, &sid).unwrap().is_some()
        }
    })
    .await;
    assert!(arrived);
    env.engine.shutdown().await;
}
