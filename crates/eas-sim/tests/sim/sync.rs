//! Sync: key semantics, replay, paging, client commands, other-device changes, conflicts,
//! empty/partial requests, GetChanges.

use eas_proto::ProtocolVersion as V;
use serde_json::json;
use wbxml::tags::{airsync as air, contacts as con};
use wbxml::Element;

use crate::common::*;

fn add(client_id: &str, first: &str) -> Element {
    Element::new(air::ADD)
        .with_text_child(air::CLIENT_ID, client_id)
        .with_child(app(&[(con::FIRST_NAME, first), (con::LAST_NAME, "Test")]))
}

fn push(key: &str, folder: &str, cmds: Vec<Element>) -> Element {
    let mut c = Element::new(air::COMMANDS);
    for x in cmds {
        c.push(x);
    }
    coll(key, folder).with_text_child(air::GET_CHANGES, "0").with_child(c)
}

#[tokio::test]
async fn key_zero_then_chain_replay_and_unknown_key() {
    let sim = start().await;
    let e = device(&sim, "alice", "secret", "d", V::V16_1).await;
    let f = e.folder_id(9).await;
    let c0 = e.sync(coll("0", &f)).await;
    assert_eq!(text(&c0, air::STATUS), "1");
    assert!(c0.find(air::COMMANDS).is_none(), "key 0 response carries no items");
    let k1 = text(&c0, air::SYNC_KEY);
    assert_ne!(k1, "0");
    let c1 = e.sync(push(&k1, &f, vec![add("c1", "Ada")])).await;
    let k2 = text(&c1, air::SYNC_KEY);
    let sid = text(c1.find(air::RESPONSES).unwrap().find(air::ADD).unwrap(), air::SERVER_ID);
    // The client lost the response and repeats the request with the previous key:
    // identical answer, nothing applied twice.
    let again = e.sync(push(&k1, &f, vec![add("c1", "Ada")])).await;
    assert_eq!(again, c1);
    let (_, items) = control(
        &sim,
        reqwest::Method::GET,
        &format!("/users/alice/folders/{f}/items"),
        None,
    )
    .await;
    assert_eq!(items.as_array().unwrap().len(), 1);
    assert_eq!(items[0]["server_id"], sid.as_str());
    // Once the new key is used, the old one is unknown: status 3.
    let c2 = e.sync(coll(&k2, &f)).await;
    assert_eq!(text(&c2, air::STATUS), "1");
    assert_eq!(text(&e.sync(coll(&k1, &f)).await, air::STATUS), "3");
    assert_eq!(text(&e.sync(coll("nonsense", &f)).await, air::STATUS), "3");
    sim.shutdown().await;
}

#[tokio::test]
async fn window_size_pages_with_more_available() {
    let sim = start().await;
    let e = device(&sim, "alice", "secret", "d", V::V14_1).await;
    let f = e.folder_id(9).await;
    for i in 0..5 {
        let (s, _) = control(
            &sim,
            reqwest::Method::POST,
            &format!("/users/alice/folders/{f}/items"),
            Some(json!({"FirstName": format!("P{i}")})),
        )
        .await;
        assert_eq!(s, 201);
    }
    let c = e.sync(coll("0", &f)).await;
    let mut key = text(&c, air::SYNC_KEY);
    let mut seen = Vec::new();
    for round in 0..10 {
        let c = e.sync(coll(&key, &f).with_text_child(air::WINDOW_SIZE, "2")).await;
        let cmds = commands(&c);
        assert!(cmds.len() <= 2);
        seen.extend(cmds.into_iter().map(|(_, sid, _)| sid));
        key = text(&c, air::SYNC_KEY);
        if c.find(air::MORE_AVAILABLE).is_none() {
            assert_eq!(round, 2);
            break;
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5);
    sim.shutdown().await;
}

#[tokio::test]
async fn add_change_delete_fetch_and_changes_from_another_device_arrive_as_commands() {
    let sim = start().await;
    let a = device(&sim, "alice", "secret", "a", V::V14_1).await;
    let b = device(&sim, "alice", "secret", "b", V::V14_1).await;
    let f = a.folder_id(9).await;
    b.folder_sync("0").await;
    let (ka, _) = a.initial_sync(&f).await;
    let (kb, _) = b.initial_sync(&f).await;
    let c = a.sync(push(&ka, &f, vec![add("x1", "Grace"), add("x2", "Alan")])).await;
    let resp: Vec<_> = c
        .find(air::RESPONSES)
        .unwrap()
        .find_all(air::ADD)
        .map(|r| (text(r, air::CLIENT_ID), text(r, air::SERVER_ID), text(r, air::STATUS)))
        .collect();
    assert_eq!(resp.len(), 2);
    assert!(resp.iter().all(|(_, sid, st)| !sid.is_empty() && st == "1"));
    let (grace, alan) = (resp[0].1.clone(), resp[1].1.clone());
    let ka = text(&c, air::SYNC_KEY);
    // Device b receives both as Adds.
    let cb = b.sync(coll(&kb, &f)).await;
    let cmds = commands(&cb);
    assert_eq!(cmds.len(), 2);
    assert!(cmds.iter().all(|(t, _, _)| *t == air::ADD));
    let kb = text(&cb, air::SYNC_KEY);
    // a changes Grace and deletes Alan; a's own changes are not echoed back to a.
    let change = Element::new(air::CHANGE)
        .with_text_child(air::SERVER_ID, grace.clone())
        .with_child(app(&[(con::FIRST_NAME, "Grace"), (con::LAST_NAME, "Hopper")]));
    let del = Element::new(air::DELETE).with_text_child(air::SERVER_ID, alan.clone());
    let c = a.sync(push(&ka, &f, vec![change, del])).await;
    assert!(c.find(air::RESPONSES).is_none(), "success needs no response: {c:?}");
    let ka = text(&c, air::SYNC_KEY);
    let c = a.sync(coll(&ka, &f)).await;
    assert!(commands(&c).is_empty(), "own changes echoed: {c:?}");
    let cb = b.sync(coll(&kb, &f)).await;
    let cmds = commands(&cb);
    assert!(cmds.iter().any(|(t, sid, e)| *t == air::CHANGE
        && *sid == grace
        && e.find(air::APPLICATION_DATA).unwrap().child_text(con::LAST_NAME) == Some("Hopper")));
    assert!(cmds.iter().any(|(t, sid, _)| *t == air::DELETE && *sid == alan));
    // Fetch returns the item; a missing one gets status 8.
    let kb = text(&cb, air::SYNC_KEY);
    let fetch = vec![
        Element::new(air::FETCH).with_text_child(air::SERVER_ID, grace.clone()),
        Element::new(air::FETCH).with_text_child(air::SERVER_ID, alan.clone()),
    ];
    let cb = b.sync(push(&kb, &f, fetch)).await;
    let fetched: Vec<_> = cb
        .find(air::RESPONSES)
        .unwrap()
        .find_all(air::FETCH)
        .map(|x| {
            (
                text(x, air::SERVER_ID),
                text(x, air::STATUS),
                x.find(air::APPLICATION_DATA).is_some(),
            )
        })
        .collect();
    assert_eq!(fetched, vec![(grace, "1".into(), true), (alan, "8".into(), false)]);
    sim.shutdown().await;
}

#[tokio::test]
async fn conflict_server_wins_by_default_and_client_wins_with_conflict_0() {
    let sim = start().await;
    let e = device(&sim, "alice", "secret", "d", V::V14_1).await;
    let f = e.folder_id(9).await;
    let (_, created) = control(
        &sim,
        reqwest::Method::POST,
        &format!("/users/alice/folders/{f}/items"),
        Some(json!({"FirstName": "Orig"})),
    )
    .await;
    let sid = created["server_id"].as_str().unwrap().to_owned();
    let (key, _) = e.initial_sync(&f).await;
    // Another device (the control API) changes it after the client's key.
    control(
        &sim,
        reqwest::Method::PUT,
        &format!("/users/alice/items/{sid}"),
        Some(json!({"FirstName": "Server"})),
    )
    .await;
    let change = |name: &str| {
        Element::new(air::CHANGE)
            .with_text_child(air::SERVER_ID, sid.clone())
            .with_child(app(&[(con::FIRST_NAME, name)]))
    };
    let c = e
        .sync(coll(&key, &f).with_child(Element::new(air::COMMANDS).with_child(change("Client"))))
        .await;
    let r = c.find(air::RESPONSES).unwrap().find(air::CHANGE).unwrap();
    assert_eq!(text(r, air::STATUS), "7");
    // The server's version comes down in the same response (GetChanges defaults to on).
    let cmds = commands(&c);
    assert!(cmds.iter().any(|(t, s, e)| *t == air::CHANGE
        && *s == sid
        && e.find(air::APPLICATION_DATA).unwrap().child_text(con::FIRST_NAME) == Some("Server")));
    let key = text(&c, air::SYNC_KEY);
    control(
        &sim,
        reqwest::Method::PUT,
        &format!("/users/alice/items/{sid}"),
        Some(json!({"FirstName": "Server2"})),
    )
    .await;
    let opts = Element::new(air::OPTIONS).with_text_child(air::CONFLICT, "0");
    let c = e
        .sync(
            coll(&key, &f)
                .with_text_child(air::GET_CHANGES, "0")
                .with_child(opts)
                .with_child(Element::new(air::COMMANDS).with_child(change("ClientWins"))),
        )
        .await;
    assert!(c.find(air::RESPONSES).is_none());
    let (_, item) = control(&sim, reqwest::Method::GET, &format!("/users/alice/items/{sid}"), None).await;
    assert_eq!(item["data"]["Contacts:FirstName"], "ClientWins");
    sim.shutdown().await;
}

#[tokio::test]
async fn empty_and_partial_sync_reuse_the_cached_request() {
    let sim = start().await;
    let e = device(&sim, "alice", "secret", "d", V::V14_1).await;
    // No cached request yet: status 13.
    let r = e.post("Sync", None).await;
    assert_eq!(r.doc().child_text(air::STATUS), Some("13"));
    let cal = e.folder_id(8).await;
    let con_f = e.folder_id(9).await;
    let k_cal = text(&e.sync(coll("0", &cal)).await, air::SYNC_KEY);
    let k_con = text(&e.sync(coll("0", &con_f)).await, air::SYNC_KEY);
    let full = Element::new(air::SYNC).with_child(
        Element::new(air::COLLECTIONS)
            .with_child(coll(&k_cal, &cal))
            .with_child(coll(&k_con, &con_f)),
    );
    let r = e.post("Sync", Some(&full)).await;
    assert_eq!(
        r.doc()
            .find(air::COLLECTIONS)
            .unwrap()
            .find_all(air::COLLECTION)
            .count(),
        2
    );
    control(
        &sim,
        reqwest::Method::POST,
        &format!("/users/alice/folders/{con_f}/items"),
        Some(json!({"FirstName": "New"})),
    )
    .await;
    // Empty body: the cached request runs again with the current keys.
    let r = e.post("Sync", None).await;
    let colls: Vec<Element> = r
        .doc()
        .find(air::COLLECTIONS)
        .unwrap()
        .find_all(air::COLLECTION)
        .cloned()
        .collect();
    assert_eq!(colls.len(), 2);
    let con_c = colls.iter().find(|c| text(c, air::COLLECTION_ID) == con_f).unwrap();
    assert_eq!(commands(con_c).len(), 1);
    assert!(colls.iter().all(|c| text(c, air::STATUS) == "1"));
    // Partial: only the calendar collection given, the contacts one comes from the cache.
    let k_cal = text(
        colls.iter().find(|c| text(c, air::COLLECTION_ID) == cal).unwrap(),
        air::SYNC_KEY,
    );
    let partial = Element::new(air::SYNC)
        .with_child(Element::new(air::COLLECTIONS).with_child(coll(&k_cal, &cal)))
        .with_child(Element::new(air::PARTIAL));
    let r = e.post("Sync", Some(&partial)).await;
    assert_eq!(
        r.doc()
            .find(air::COLLECTIONS)
            .unwrap()
            .find_all(air::COLLECTION)
            .count(),
        2
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn get_changes_0_pushes_without_pulling() {
    let sim = start().await;
    let e = device(&sim, "alice", "secret", "d", V::V16_1).await;
    let f = e.folder_id(9).await;
    let k = text(&e.sync(coll("0", &f)).await, air::SYNC_KEY);
    control(
        &sim,
        reqwest::Method::POST,
        &format!("/users/alice/folders/{f}/items"),
        Some(json!({"FirstName": "Pending"})),
    )
    .await;
    let c = e.sync(push(&k, &f, vec![add("n1", "Mine")])).await;
    assert!(commands(&c).is_empty());
    assert_eq!(c.find(air::RESPONSES).unwrap().find_all(air::ADD).count(), 1);
    let c = e.sync(coll(&text(&c, air::SYNC_KEY), &f)).await;
    let cmds = commands(&c);
    assert_eq!(cmds.len(), 1, "only the other item arrives: {c:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn hanging_sync_waits_for_a_change_and_checks_bounds() {
    let sim = start_with(|c| c.heartbeat_min = 60).await;
    let e = device(&sim, "alice", "secret", "d", V::V14_1).await;
    let f = e.folder_id(9).await;
    let (k, _) = e.initial_sync(&f).await;
    let out_of_bounds = Element::new(air::SYNC)
        .with_child(Element::new(air::COLLECTIONS).with_child(coll(&k, &f)))
        .with_text_child(air::HEARTBEAT_INTERVAL, "10");
    let r = e.post("Sync", Some(&out_of_bounds)).await;
    assert_eq!(
        (r.doc().child_text(air::STATUS), r.doc().child_text(air::LIMIT)),
        (Some("14"), Some("60"))
    );
    let hanging = Element::new(air::SYNC)
        .with_child(Element::new(air::COLLECTIONS).with_child(coll(&k, &f)))
        .with_text_child(air::HEARTBEAT_INTERVAL, "600");
    let pending = tokio::spawn({
        let e = Eas {
            http: e.http.clone(),
            url: e.url.clone(),
            user: e.user.clone(),
            password: e.password.clone(),
            device: e.device.clone(),
            version: e.version,
            policy_key: e.policy_key,
        };
        async move { e.post("Sync", Some(&hanging)).await }
    });
    // Poll (bounded) until the request is parked, then change something.
    for _ in 0..500 {
        let (_, c) = control(&sim, reqwest::Method::GET, "/users/alice/counters", None).await;
        if c["Sync"].as_u64() >= Some(4) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(!pending.is_finished(), "hanging Sync answered without a change");
    control(
        &sim,
        reqwest::Method::POST,
        &format!("/users/alice/folders/{f}/items"),
        Some(json!({"FirstName": "Wake"})),
    )
    .await;
    let r = tokio::time::timeout(std::time::Duration::from_secs(30), pending)
        .await
        .expect("answered")
        .unwrap();
    let c = r
        .doc()
        .find(air::COLLECTIONS)
        .unwrap()
        .find(air::COLLECTION)
        .unwrap()
        .clone();
    assert_eq!(commands(&c).len(), 1);
    sim.shutdown().await;
}
