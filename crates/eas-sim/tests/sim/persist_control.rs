//! `--data` persistence across restarts and the control API's item endpoints.

use eas_proto::ProtocolVersion as V;
use serde_json::json;
use wbxml::tags::{airsync as air, calendar as cal};

use crate::common::*;

#[tokio::test]
async fn state_survives_a_restart_with_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let sim = start_with(|c| c.data_dir = Some(path.clone())).await;
    let mut e = device(&sim, "alice", "secret", "d", V::V16_1).await;
    let f = e.folder_id(8).await;
    let k = text(&e.sync(coll("0", &f)).await, air::SYNC_KEY);
    let add = wbxml::Element::new(air::ADD)
        .with_text_child(air::CLIENT_ID, "p1")
        .with_child(app(&[
            (cal::SUBJECT, "Persisted"),
            (cal::START_TIME, "20260101T100000Z"),
            (cal::END_TIME, "20260101T110000Z"),
        ]));
    let c = e
        .sync(coll(&k, &f).with_child(wbxml::Element::new(air::COMMANDS).with_child(add)))
        .await;
    let k = text(&c, air::SYNC_KEY);
    let key = e.policy_key;
    sim.shutdown().await;
    assert!(path.join("eas-sim-state.json").exists());
    let sim = start_with(|c| c.data_dir = Some(path.clone())).await;
    e.url = sim.url();
    e.policy_key = key;
    // Same policy key and sync key still valid; the item is there.
    let c = e.sync(coll(&k, &f)).await;
    assert_eq!(text(&c, air::STATUS), "1");
    let (_, items) = control(
        &sim,
        reqwest::Method::GET,
        &format!("/users/alice/folders/{f}/items"),
        None,
    )
    .await;
    assert_eq!(items[0]["data"]["Calendar:Subject"], "Persisted");
    sim.shutdown().await;
}

#[tokio::test]
async fn control_api_lists_and_edits_like_another_device() {
    let sim = start().await;
    let (s, users) = control(&sim, reqwest::Method::GET, "/users", None).await;
    assert_eq!(s, 200);
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["alice", "bob"]);
    assert_eq!(
        control(&sim, reqwest::Method::GET, "/users/mallory/folders", None)
            .await
            .0,
        404
    );
    let (_, folders) = control(&sim, reqwest::Method::GET, "/users/alice/folders", None).await;
    let cal_id = folders.as_array().unwrap().iter().find(|f| f["type"] == 8).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let e = device(&sim, "alice", "secret", "d", V::V14_1).await;
    e.folder_sync("0").await;
    let (k, _) = e.initial_sync(&cal_id).await;
    let (s, v) = control(&sim, reqwest::Method::POST, &format!("/users/alice/folders/{cal_id}/items"), Some(json!({"data": {"Subject": "From control", "StartTime": "2026-05-01T10:00:00Z", "EndTime": "2026-05-01T11:00:00Z", "Categories": {"Category": ["a", "b"]}}}))).await;
    assert_eq!(s, 201);
    let sid = v["server_id"].as_str().unwrap().to_owned();
    let c = e.sync(coll(&k, &cal_id)).await;
    let cmds = commands(&c);
    assert_eq!(cmds.len(), 1);
    let d = cmds[0].2.find(air::APPLICATION_DATA).unwrap();
    assert_eq!(d.child_text(cal::START_TIME), Some("20260501T100000Z"));
    assert_eq!(d.find(cal::CATEGORIES).unwrap().find_all(cal::CATEGORY).count(), 2);
    let k = text(&c, air::SYNC_KEY);
    let (s, _) = control(
        &sim,
        reqwest::Method::PUT,
        &format!("/users/alice/items/{sid}"),
        Some(json!({"merge": true, "data": {"Subject": "Renamed"}})),
    )
    .await;
    assert_eq!(s, 200);
    let (_, item) = control(&sim, reqwest::Method::GET, &format!("/users/alice/items/{sid}"), None).await;
    assert_eq!(
        (
            item["data"]["Calendar:Subject"].as_str(),
            item["data"]["Calendar:StartTime"].as_str()
        ),
        (Some("Renamed"), Some("20260501T100000Z"))
    );
    let c = e.sync(coll(&k, &cal_id)).await;
    assert_eq!(commands(&c)[0].0, air::CHANGE);
    let k = text(&c, air::SYNC_KEY);
    assert_eq!(
        control(
            &sim,
            reqwest::Method::DELETE,
            &format!("/users/alice/items/{sid}"),
            None
        )
        .await
        .0,
        200
    );
    let c = e.sync(coll(&k, &cal_id)).await;
    assert_eq!(
        commands(&c),
        vec![(
            air::DELETE,
            sid.clone(),
            wbxml::Element::new(air::DELETE).with_text_child(air::SERVER_ID, sid)
        )]
    );
    assert_eq!(
        control(
            &sim,
            reqwest::Method::POST,
            &format!("/users/alice/folders/{cal_id}/items"),
            Some(json!({"NoSuchField": 1}))
        )
        .await
        .0,
        400
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn control_api_items_as_xml_text() {
    let sim = start().await;
    let (_, folders) = control(&sim, reqwest::Method::GET, "/users/alice/folders", None).await;
    let cal_id = folders.as_array().unwrap().iter().find(|f| f["type"] == 8).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let items = format!("/users/alice/folders/{cal_id}/items");
    let data = json!({"Subject": "As XML", "StartTime": "20260601T100000Z", "EndTime": "20260601T110000Z"});
    let (_, created) = control(&sim, reqwest::Method::POST, &items, Some(data)).await;
    let path = format!("/users/alice/items/{}", created["server_id"].as_str().unwrap());
    let (_, item) = control(&sim, reqwest::Method::GET, &path, None).await;
    let xml = item["xml"].as_str().unwrap().to_owned();
    assert!(xml.contains("As XML") && xml.contains("20260601T100000Z"), "{xml}");
    let (s, copy) = control(&sim, reqwest::Method::POST, &items, Some(json!({ "xml": xml }))).await;
    assert_eq!(s, 201, "{copy}");
    let (_, copy) = control(
        &sim,
        reqwest::Method::GET,
        &format!("/users/alice/items/{}", copy["server_id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(copy["data"]["Calendar:Subject"], "As XML");
    assert_eq!(
        control(&sim, reqwest::Method::POST, &items, Some(json!({"xml": "<nope"})))
            .await
            .0,
        400
    );
    sim.shutdown().await;
}
