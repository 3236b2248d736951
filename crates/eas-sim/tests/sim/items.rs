//! GetItemEstimate, ItemOperations Fetch, MoveItems.

use eas_proto::ProtocolVersion as V;
use serde_json::json;
use wbxml::tags::{airsync as air, get_item_estimate as gie, item_operations as io, moveitems as mv};
use wbxml::Element;

use crate::common::*;

#[tokio::test]
async fn estimate_fetch_and_move() {
    let sim = start().await;
    let e = device(&sim, "alice", "secret", "d", V::V14_1).await;
    let cal = e.folder_id(8).await;
    let con = e.folder_id(9).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let (_, v) = control(
            &sim,
            reqwest::Method::POST,
            &format!("/users/alice/folders/{cal}/items"),
            Some(json!({"Subject": format!("E{i}"), "StartTime": "20260301T100000Z", "EndTime": "20260301T110000Z"})),
        )
        .await;
        ids.push(v["server_id"].as_str().unwrap().to_owned());
    }
    let est = |key: &str| {
        Element::new(gie::GET_ITEM_ESTIMATE).with_child(
            Element::new(gie::COLLECTIONS).with_child(
                Element::new(gie::COLLECTION)
                    .with_text_child(air::SYNC_KEY, key)
                    .with_text_child(gie::COLLECTION_ID, cal.clone()),
            ),
        )
    };
    let r = e.post("GetItemEstimate", Some(&est("0"))).await;
    assert_eq!(r.doc().find(gie::RESPONSE).unwrap().child_text(gie::STATUS), Some("3"));
    let k = text(&e.sync(coll("0", &cal)).await, air::SYNC_KEY);
    let r = e.post("GetItemEstimate", Some(&est(&k))).await;
    let resp = r.doc().find(gie::RESPONSE).unwrap();
    assert_eq!(resp.child_text(gie::STATUS), Some("1"));
    assert_eq!(resp.find(gie::COLLECTION).unwrap().child_text(gie::ESTIMATE), Some("3"));
    assert_eq!(
        e.post("GetItemEstimate", Some(&est("999999")))
            .await
            .doc()
            .find(gie::RESPONSE)
            .unwrap()
            .child_text(gie::STATUS),
        Some("4")
    );
    // ItemOperations Fetch: one found, one missing.
    let fetch = |sid: &str| {
        Element::new(io::FETCH)
            .with_text_child(io::STORE, "Mailbox")
            .with_text_child(air::COLLECTION_ID, cal.clone())
            .with_text_child(air::SERVER_ID, sid)
    };
    let req = Element::new(io::ITEM_OPERATIONS)
        .with_child(fetch(&ids[0]))
        .with_child(fetch("nope"));
    let r = e.post("ItemOperations", Some(&req)).await;
    let fs: Vec<&Element> = r.doc().find(io::RESPONSE).unwrap().find_all(io::FETCH).collect();
    assert_eq!(text(fs[0], io::STATUS), "1");
    assert_eq!(
        fs[0]
            .find(io::PROPERTIES)
            .unwrap()
            .child_text(wbxml::tags::calendar::SUBJECT),
        Some("E0")
    );
    assert_ne!(text(fs[1], io::STATUS), "1");
    // MoveItems: to a user calendar works (new id), to Contacts (other class) fails, same folder = 4.
    let (_, made) = control(
        &sim,
        reqwest::Method::POST,
        "/users/alice/folders",
        Some(json!({"name": "Other cal", "type": 13})),
    )
    .await;
    let other = made["id"].as_str().unwrap().to_owned();
    let mv_req = |sid: &str, dst: &str| {
        Element::new(mv::MOVE_ITEMS).with_child(
            Element::new(mv::MOVE)
                .with_text_child(mv::SRC_MSG_ID, sid)
                .with_text_child(mv::SRC_FLD_ID, cal.clone())
                .with_text_child(mv::DST_FLD_ID, dst),
        )
    };
    let r = e.post("MoveItems", Some(&mv_req(&ids[1], &other))).await;
    let resp = r.doc().find(mv::RESPONSE).unwrap();
    assert_eq!(text(resp, mv::STATUS), "3");
    let new_id = text(resp, mv::DST_MSG_ID);
    assert!(new_id.starts_with(&format!("{other}:")));
    let (_, moved) = control(
        &sim,
        reqwest::Method::GET,
        &format!("/users/alice/items/{new_id}"),
        None,
    )
    .await;
    assert_eq!(moved["data"]["Calendar:Subject"], "E1");
    assert_eq!(
        text(
            e.post("MoveItems", Some(&mv_req(&ids[2], &con)))
                .await
                .doc()
                .find(mv::RESPONSE)
                .unwrap(),
            mv::STATUS
        ),
        "5"
    );
    assert_eq!(
        text(
            e.post("MoveItems", Some(&mv_req(&ids[2], &cal)))
                .await
                .doc()
                .find(mv::RESPONSE)
                .unwrap(),
            mv::STATUS
        ),
        "4"
    );
    assert_eq!(
        text(
            e.post("MoveItems", Some(&mv_req("missing", &other)))
                .await
                .doc()
                .find(mv::RESPONSE)
                .unwrap(),
            mv::STATUS
        ),
        "1"
    );
    sim.shutdown().await;
}
