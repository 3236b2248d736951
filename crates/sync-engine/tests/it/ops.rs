//! Operator functions and shutdown.

use std::time::Duration;

use dav_server::backend::{Backend, BackendError, Format, Home, WriteCondition};
use reqwest::Method;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn purge_rebuilds_the_mirror_on_next_use() {
    let env = env(|_| {}, |_| {}).await;
    let sim_cal = env.sim_folder(8).await;
    seed(&env.sim, USER, &sim_cal, 7, event).await;
    env.login().await;
    let cals = env.backend.list_collections(USER, Home::Calendars).await.unwrap();
    assert_eq!(
        env.backend
            .list_resources(USER, &cals[0].id, Format::ICalendar)
            .await
            .unwrap()
            .len(),
        7
    );
    env.engine.purge(USER).await.unwrap();
    let p = env.store.partnerships_for_user(USER).unwrap().remove(0);
    assert!(env.store.list_folders(p.id).unwrap().is_empty(), "purged");
    assert!(
        !env.engine.accounts().await.unwrap()[0].locked,
        "purge leaves the account usable"
    );
    env.login().await;
    let cals = env.backend.list_collections(USER, Home::Calendars).await.unwrap();
    assert_eq!(
        env.backend
            .list_resources(USER, &cals[0].id, Format::ICalendar)
            .await
            .unwrap()
            .len(),
        7
    );
    env.check_mirror().await;
    assert!(env.engine.purge("nobody").await.is_err());
    env.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_in_flight_writes_and_refuses_new_ones() {
    let env = env(|_| {}, |_| {}).await;
    env.login().await;
    let cals = env.backend.list_collections(USER, Home::Calendars).await.unwrap();
    let cal = cals[0].id.clone();
    env.backend.list_resources(USER, &cal, Format::ICalendar).await.unwrap();
    env.control(
        Method::POST,
        "/faults",
        Some(json!({"action": {"kind": "latency", "ms": 400}, "command": "Sync"})),
    )
    .await;
    let backend = env.backend.clone();
    let c2 = cal.clone();
    let write = tokio::spawn(async move {
        backend
            .put_resource(USER, &c2, "slow.ics", &ics("slow-1", "Slow"), WriteCondition::None)
            .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    env.engine.shutdown().await;
    // The write was committed (upstream and in the store) before shutdown returned.
    let p = env.store.partnerships_for_user(USER).unwrap().remove(0);
    let f = env
        .store
        .list_folders(p.id)
        .unwrap()
        .into_iter()
        .find(|f| f.collection_name == cal)
        .unwrap();
    assert!(
        env.store.item_by_resource(f.id, "slow.ics").unwrap().is_some(),
        "committed before shutdown returned"
    );
    assert!(
        write.await.unwrap().is_ok(),
        "in-flight write finished before shutdown returned"
    );
    let after = env
        .backend
        .put_resource(USER, &cal, "late.ics", &ics("late-1", "Late"), WriteCondition::None)
        .await;
    assert!(
        matches!(after, Err(BackendError::UpstreamUnavailable { .. })),
        "{after:?}"
    );
    env.check_mirror().await;
    let sim_cal = env.sim_folder(8).await;
    let items = env
        .control(Method::GET, &format!("/users/{USER}/folders/{sim_cal}/items"), None)
        .await;
    assert_eq!(items.as_array().unwrap().len(), 1);
}
