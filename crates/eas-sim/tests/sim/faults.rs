//! Fault injection by config and by control API.

use std::time::{Duration, Instant};

use eas_proto::ProtocolVersion as V;
use eas_sim::{FaultAction, FaultRule};
use reqwest::StatusCode;
use serde_json::json;
use wbxml::tags::{airsync as air, folder_hierarchy as fh};

use crate::common::*;

#[tokio::test]
async fn http_503_500_and_latency_from_the_control_api() {
    let sim = start().await;
    let e = device(&sim, "alice", "secret", "d", V::V14_1).await;
    let (s, v) = control(
        &sim,
        reqwest::Method::POST,
        "/users/alice/faults",
        Some(json!({"action": {"kind": "unavailable", "retry_after": 42}, "command": "FolderSync", "times": 1})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let r = e
        .post(
            "FolderSync",
            Some(&wbxml::Element::new(fh::FOLDER_SYNC).with_text_child(fh::SYNC_KEY, "0")),
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers["Retry-After"], "42");
    assert_eq!(e.folder_sync("0").await.0, "1", "times=1 fires once");
    // Per-user: bob is unaffected by alice's rule.
    control(
        &sim,
        reqwest::Method::POST,
        "/users/alice/faults",
        Some(json!({"action": {"kind": "server_error"}})),
    )
    .await;
    assert_eq!(
        e.post("FolderSync", None).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let bob = device(&sim, "bob", "pw", "b", V::V14_1).await;
    assert_eq!(bob.folder_sync("0").await.0, "1");
    control(&sim, reqwest::Method::DELETE, "/users/alice/faults", None).await;
    control(
        &sim,
        reqwest::Method::POST,
        "/faults",
        Some(json!({"action": {"kind": "latency", "ms": 300}, "command": "FolderSync"})),
    )
    .await;
    let t = Instant::now();
    assert_eq!(e.folder_sync("0").await.0, "1");
    assert!(t.elapsed() >= Duration::from_millis(300));
    let (_, list) = control(&sim, reqwest::Method::GET, "/faults", None).await;
    assert_eq!(list[0]["fired"], 1);
    control(&sim, reqwest::Method::DELETE, "/faults", None).await;
    let (_, counters) = control(&sim, reqwest::Method::GET, "/users/alice/counters", None).await;
    assert!(counters["FolderSync"].as_u64().unwrap() >= 4, "{counters}");
    assert!(counters["Provision"].as_u64().unwrap() >= 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn connection_reset_mid_response() {
    let sim = start_with(|c| c.faults.push(FaultRule::parse("reset,cmd=FolderSync,nth=1").unwrap())).await;
    let e = device(&sim, "alice", "secret", "d", V::V14_1).await;
    let res = e
        .http
        .post(format!("{}?Cmd=FolderSync&User=alice&DeviceId=d&DeviceType=T", e.url))
        .basic_auth("alice", Some("secret"))
        .header("MS-ASProtocolVersion", "14.1")
        .header("X-MS-PolicyKey", e.policy_key.unwrap().to_string())
        .body(wbxml::encode(
            &wbxml::Element::new(fh::FOLDER_SYNC).with_text_child(fh::SYNC_KEY, "0"),
        ))
        .send()
        .await;
    // Headers may arrive; the body must not arrive complete.
    let failed = match res {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(failed, "the response should be cut off");
    // The state change happened (the handler ran): the lost response can be replayed.
    assert_eq!(e.folder_sync("0").await.0, "1");
    sim.shutdown().await;
}

#[tokio::test]
async fn sync_status_on_the_nth_request_and_throttling() {
    let sim = start_with(|c| {
        c.faults.push(FaultRule {
            user: Some("alice".into()),
            command: Some("Sync".into()),
            nth: Some(3),
            times: None,
            action: FaultAction::Status { status: 110 },
        });
        c.faults.push(FaultRule {
            user: Some("alice".into()),
            command: Some("Sync".into()),
            nth: Some(4),
            times: None,
            action: FaultAction::Status { status: 3 },
        });
        c.faults
            .push(FaultRule::parse("status:12,user=alice,cmd=Sync,nth=5").unwrap());
        c.faults
            .push(FaultRule::parse("throttle:3,user=bob,cmd=FolderSync").unwrap());
        c.faults
            .push(FaultRule::parse("throttle:1:111,user=bob,cmd=GetItemEstimate").unwrap());
    })
    .await;
    let e = device(&sim, "alice", "secret", "d", V::V14_1).await;
    let f = e.folder_id(9).await;
    let k = text(&e.sync(coll("0", &f)).await, air::SYNC_KEY); // 1st
    let k = text(&e.sync(coll(&k, &f)).await, air::SYNC_KEY); // 2nd
    let r = e.post("Sync", Some(&sync_req(coll(&k, &f)))).await; // 3rd
    assert_eq!(r.doc().child_text(air::STATUS), Some("110"));
    assert_eq!(text(&e.sync(coll(&k, &f)).await, air::STATUS), "3"); // 4th, state dropped
    assert_eq!(text(&e.sync(coll(&k, &f)).await, air::STATUS), "12"); // 5th
    assert_eq!(text(&e.sync(coll(&k, &f)).await, air::STATUS), "3"); // 6th: the partnership is really gone
    let bob = device(&sim, "bob", "pw", "b", V::V14_1).await;
    for _ in 0..3 {
        assert_eq!(bob.folder_sync("0").await.0, "1");
    }
    let r = bob.post("FolderSync", None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers.contains_key("Retry-After"));
    assert_eq!(r.headers["X-MS-ASThrottle"], "CommandFrequency");
    let est = wbxml::Element::new(wbxml::tags::get_item_estimate::GET_ITEM_ESTIMATE);
    bob.post("GetItemEstimate", Some(&est)).await;
    let r = bob.post("GetItemEstimate", Some(&est)).await;
    assert_eq!(r.doc().child_text(wbxml::tags::get_item_estimate::STATUS), Some("111"));
    sim.shutdown().await;
}
