//! The same push/pull cycle at every protocol version, and ghosting with `Supported`.

use eas_proto::ProtocolVersion as V;
use serde_json::json;
use wbxml::tags::{airsync as air, calendar as cal, contacts as con};
use wbxml::Element;

use crate::common::*;

#[tokio::test]
async fn push_and_pull_at_every_version() {
    let sim = start().await;
    let (_, folders) = control(&sim, reqwest::Method::GET, "/users/alice/folders", None).await;
    let cal_id = folders.as_array().unwrap().iter().find(|f| f["type"] == 8).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    control(
        &sim,
        reqwest::Method::POST,
        &format!("/users/alice/folders/{cal_id}/items"),
        Some(json!({
            "Subject": "Reply", "StartTime": "20260701T100000Z", "EndTime": "20260701T110000Z",
            "ResponseRequested": "1", "Location": "Room 9"
        })),
    )
    .await;
    for (i, v) in V::ALL.into_iter().enumerate() {
        let e = device(&sim, "alice", "secret", &format!("dev{i}"), v).await;
        let f = e.folder_id(9).await;
        let (k, _) = e.initial_sync(&f).await;
        let add = Element::new(air::ADD)
            .with_text_child(air::CLIENT_ID, "c")
            .with_child(app(&[(con::FIRST_NAME, v.as_str())]));
        let c = e
            .sync(coll(&k, &f).with_child(Element::new(air::COMMANDS).with_child(add)))
            .await;
        assert_eq!(text(&c, air::STATUS), "1", "{v}");
        let r = c.find(air::RESPONSES).unwrap().find(air::ADD).unwrap();
        assert_eq!(text(r, air::STATUS), "1", "{v}");
        // 12.1 responses name the class of the collection.
        assert_eq!(c.find(air::CLASS).is_some(), v == V::V12_1, "{v}");
        // The calendar item renders per version.
        let cf = e.folder_id(8).await;
        let (_, pulled) = e.initial_sync(&cf).await;
        let d = commands(&pulled).into_iter().next().expect("calendar item").2;
        let d = d.find(air::APPLICATION_DATA).unwrap();
        assert_eq!(d.find(cal::RESPONSE_REQUESTED).is_some(), v >= V::V14_0, "{v}");
        assert_eq!(d.child_text(cal::LOCATION).is_some(), !v.is_16(), "{v}");
        assert_eq!(d.find(wbxml::tags::airsyncbase::LOCATION).is_some(), v.is_16(), "{v}");
    }
    let (_, items) = control(&sim, reqwest::Method::GET, "/users/alice/folders", None).await;
    let contacts = items.as_array().unwrap().iter().find(|f| f["type"] == 9).unwrap();
    assert_eq!(contacts["items"], 5);
    sim.shutdown().await;
}

#[tokio::test]
async fn supported_elements_are_managed_and_the_rest_is_ghosted() {
    let sim = start().await;
    let e = device(&sim, "alice", "secret", "d", V::V14_1).await;
    let f = e.folder_id(9).await;
    let supported = Element::new(air::SUPPORTED)
        .with_child(Element::new(con::FIRST_NAME))
        .with_child(Element::new(con::LAST_NAME));
    let k = text(&e.sync(coll("0", &f).with_child(supported)).await, air::SYNC_KEY);
    let add = Element::new(air::ADD)
        .with_text_child(air::CLIENT_ID, "c")
        .with_child(app(&[
            (con::FIRST_NAME, "Grace"),
            (con::LAST_NAME, "Hopper"),
            (con::COMPANY_NAME, "Navy"),
        ]));
    let c = e
        .sync(
            coll(&k, &f)
                .with_text_child(air::GET_CHANGES, "0")
                .with_child(Element::new(air::COMMANDS).with_child(add)),
        )
        .await;
    let sid = text(c.find(air::RESPONSES).unwrap().find(air::ADD).unwrap(), air::SERVER_ID);
    let k = text(&c, air::SYNC_KEY);
    let change = Element::new(air::CHANGE)
        .with_text_child(air::SERVER_ID, sid.clone())
        .with_child(app(&[(con::FIRST_NAME, "Amazing Grace")]));
    e.sync(
        coll(&k, &f)
            .with_text_child(air::GET_CHANGES, "0")
            .with_child(Element::new(air::COMMANDS).with_child(change)),
    )
    .await;
    let (_, item) = control(&sim, reqwest::Method::GET, &format!("/users/alice/items/{sid}"), None).await;
    assert_eq!(item["data"]["Contacts:FirstName"], "Amazing Grace");
    assert!(
        item["data"].get("Contacts:LastName").is_none(),
        "managed and omitted = deleted: {item}"
    );
    assert_eq!(
        item["data"]["Contacts:CompanyName"], "Navy",
        "ghosted and omitted = kept"
    );
    sim.shutdown().await;
}
