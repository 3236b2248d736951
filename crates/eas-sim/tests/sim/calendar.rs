//! The 16.x calendar write model and the 14.1 fallback, and Exchange-like normalisation.

use eas_proto::ProtocolVersion as V;
use wbxml::tags::{airsync as air, airsyncbase as asb, calendar as cal, contacts as con};
use wbxml::Element;

use crate::common::*;

fn recurring(subject: &str) -> Element {
    app(&[
        (cal::SUBJECT, subject),
        (cal::START_TIME, "2026-12-01T09:00:00.000Z"),
        (cal::END_TIME, "20261201T100000Z"),
        (cal::BUSY_STATUS, "2"),
    ])
    .with_child(
        Element::new(cal::RECURRENCE)
            .with_text_child(cal::TYPE, "0")
            .with_text_child(cal::INTERVAL, "1")
            .with_text_child(cal::OCCURRENCES, "10"),
    )
    .with_text_child(cal::CLIENT_UID, "ical-uid-1")
}

fn one(cmd: Element, key: &str, f: &str) -> Element {
    coll(key, f)
        .with_text_child(air::GET_CHANGES, "0")
        .with_child(Element::new(air::COMMANDS).with_child(cmd))
}

fn add_cmd(cid: &str, data: Element) -> Element {
    Element::new(air::ADD)
        .with_text_child(air::CLIENT_ID, cid)
        .with_child(data)
}

fn add_status(c: &Element) -> (String, String) {
    let r = c
        .find(air::RESPONSES)
        .and_then(|r| r.find(air::ADD))
        .unwrap_or_else(|| panic!("no add response: {c:?}"));
    (text(r, air::STATUS), text(r, air::SERVER_ID))
}

#[tokio::test]
async fn v16_instances_client_uid_dedup_and_server_owned_fields() {
    let sim = start().await;
    let a = device(&sim, "alice", "secret", "a", V::V16_1).await;
    let f = a.folder_id(8).await;
    let k = text(&a.sync(coll("0", &f)).await, air::SYNC_KEY);
    let c = a.sync(one(add_cmd("c1", recurring("Standup")), &k, &f)).await;
    let (st, sid) = add_status(&c);
    assert_eq!(st, "1");
    // The server generates the UID and returns it with the Add response.
    let r = c.find(air::RESPONSES).unwrap().find(air::ADD).unwrap();
    let uid = r
        .find(air::APPLICATION_DATA)
        .and_then(|d| d.child_text(cal::UID))
        .expect("UID in Add response")
        .to_owned();
    assert!(uid.starts_with("040000008200E00074C5B7101A82E008"), "{uid}");
    let mut k = text(&c, air::SYNC_KEY);
    // Same ClientUid again (e.g. from a retry under a new ClientId): no duplicate.
    let c = a.sync(one(add_cmd("c2", recurring("Standup")), &k, &f)).await;
    assert_eq!(add_status(&c), ("1".to_owned(), sid.clone()));
    k = text(&c, air::SYNC_KEY);
    // UID, Exceptions and AttendeeStatus are refused with status 6.
    let with_uid = app(&[
        (cal::SUBJECT, "x"),
        (cal::UID, "mine"),
        (cal::START_TIME, "20261201T090000Z"),
    ]);
    let c = a.sync(one(add_cmd("c3", with_uid), &k, &f)).await;
    assert_eq!(add_status(&c).0, "6");
    k = text(&c, air::SYNC_KEY);
    let with_ex = app(&[(cal::SUBJECT, "x")]).with_child(
        Element::new(cal::EXCEPTIONS)
            .with_child(Element::new(cal::EXCEPTION).with_text_child(asb::INSTANCE_ID, "20261202T090000Z")),
    );
    let c = a.sync(one(add_cmd("c4", with_ex), &k, &f)).await;
    assert_eq!(add_status(&c).0, "6");
    k = text(&c, air::SYNC_KEY);
    // Organizer fields and DtStamp from the client are ignored.
    let forged = app(&[
        (cal::SUBJECT, "y"),
        (cal::ORGANIZER_EMAIL, "mallory@evil.test"),
        (cal::DT_STAMP, "19990101T000000Z"),
        (cal::START_TIME, "20261203T090000Z"),
        (cal::END_TIME, "20261203T100000Z"),
    ]);
    let c = a.sync(one(add_cmd("c5", forged), &k, &f)).await;
    let (_, forged_id) = add_status(&c);
    k = text(&c, air::SYNC_KEY);
    let (_, item) = control(
        &sim,
        reqwest::Method::GET,
        &format!("/users/alice/items/{forged_id}"),
        None,
    )
    .await;
    assert_eq!(item["data"]["Calendar:OrganizerEmail"], "alice@easdav.test");
    assert_ne!(item["data"]["Calendar:DtStamp"], "19990101T000000Z");
    // Change one occurrence and cancel another through InstanceId.
    let occ = Element::new(air::CHANGE)
        .with_text_child(air::SERVER_ID, sid.clone())
        .with_text_child(asb::INSTANCE_ID, "20261203T090000Z")
        .with_child(app(&[
            (cal::SUBJECT, "Standup (moved)"),
            (cal::START_TIME, "20261203T110000Z"),
            (cal::END_TIME, "20261203T120000Z"),
        ]));
    let c = a.sync(one(occ, &k, &f)).await;
    assert!(c.find(air::RESPONSES).is_none(), "{c:?}");
    k = text(&c, air::SYNC_KEY);
    let cancel = Element::new(air::DELETE)
        .with_text_child(air::SERVER_ID, sid.clone())
        .with_text_child(asb::INSTANCE_ID, "20261205T090000Z");
    let c = a.sync(one(cancel, &k, &f)).await;
    assert!(c.find(air::RESPONSES).is_none(), "{c:?}");
    // Timezone inside an instance change: status 6.
    k = text(&c, air::SYNC_KEY);
    let bad = Element::new(air::CHANGE)
        .with_text_child(air::SERVER_ID, sid.clone())
        .with_text_child(asb::INSTANCE_ID, "20261204T090000Z")
        .with_child(app(&[(cal::TIMEZONE, "AAAA")]));
    let c = a.sync(one(bad, &k, &f)).await;
    assert_eq!(
        text(c.find(air::RESPONSES).unwrap().find(air::CHANGE).unwrap(), air::STATUS),
        "6"
    );
    // Another 16.1 device sees the master with InstanceId exceptions; a 14.1 device with ExceptionStartTime.
    let b16 = device(&sim, "alice", "secret", "b16", V::V16_1).await;
    b16.folder_sync("0").await;
    let (_, pulled) = b16.initial_sync(&f).await;
    let master = commands(&pulled)
        .into_iter()
        .find(|(_, s, _)| *s == sid)
        .expect("master")
        .2;
    let data = master.find(air::APPLICATION_DATA).unwrap();
    let exs: Vec<&Element> = data
        .find(cal::EXCEPTIONS)
        .expect("exceptions")
        .find_all(cal::EXCEPTION)
        .collect();
    assert_eq!(exs.len(), 2);
    assert!(exs
        .iter()
        .any(|x| x.child_text(asb::INSTANCE_ID) == Some("20261203T090000Z")
            && x.child_text(cal::SUBJECT) == Some("Standup (moved)")));
    assert!(
        exs.iter()
            .any(|x| x.child_text(asb::INSTANCE_ID) == Some("20261205T090000Z")
                && x.child_text(cal::DELETED) == Some("1"))
    );
    assert_eq!(
        data.child_text(cal::START_TIME),
        Some("20261201T090000Z"),
        "times are normalised"
    );
    assert!(data.find(cal::CLIENT_UID).is_none());
    let b14 = device(&sim, "alice", "secret", "b14", V::V14_1).await;
    b14.folder_sync("0").await;
    let (_, pulled) = b14.initial_sync(&f).await;
    let master = commands(&pulled).into_iter().find(|(_, s, _)| *s == sid).unwrap().2;
    let ex = master
        .find(air::APPLICATION_DATA)
        .unwrap()
        .find(cal::EXCEPTIONS)
        .unwrap();
    assert!(ex
        .find_all(cal::EXCEPTION)
        .all(|x| x.find(cal::EXCEPTION_START_TIME).is_some() && x.find(asb::INSTANCE_ID).is_none()));
    sim.shutdown().await;
}

#[tokio::test]
async fn v16_all_day_location_and_series_change_drops_exceptions() {
    let sim = start().await;
    let a = device(&sim, "alice", "secret", "a", V::V16_1).await;
    let f = a.folder_id(8).await;
    let mut k = text(&a.sync(coll("0", &f)).await, air::SYNC_KEY);
    // All-day with a non-midnight start is refused; a Timezone sent with it is dropped.
    let bad = app(&[
        (cal::SUBJECT, "Holiday"),
        (cal::ALL_DAY_EVENT, "1"),
        (cal::START_TIME, "20261224T230000Z"),
        (cal::END_TIME, "20261225T230000Z"),
    ]);
    let c = a.sync(one(add_cmd("h0", bad), &k, &f)).await;
    assert_eq!(add_status(&c).0, "6");
    k = text(&c, air::SYNC_KEY);
    let good = app(&[
        (cal::SUBJECT, "Holiday"),
        (cal::ALL_DAY_EVENT, "1"),
        (cal::START_TIME, "20261225T000000Z"),
        (cal::END_TIME, "20261226T000000Z"),
        (cal::TIMEZONE, "xP///w=="),
    ])
    .with_child(Element::new(asb::LOCATION).with_text_child(asb::DISPLAY_NAME, "Home"));
    let c = a.sync(one(add_cmd("h1", good), &k, &f)).await;
    let (st, sid) = add_status(&c);
    assert_eq!(st, "1");
    k = text(&c, air::SYNC_KEY);
    let (_, item) = control(&sim, reqwest::Method::GET, &format!("/users/alice/items/{sid}"), None).await;
    assert!(item["data"].get("Calendar:Timezone").is_none(), "{item}");
    assert_eq!(item["data"]["AirSyncBase:Location"]["AirSyncBase:DisplayName"], "Home");
    // Empty elements are refused on 16.x (except Reminder).
    let empty = app(&[(cal::SUBJECT, "E")]).with_child(Element::new(cal::CATEGORIES));
    let c = a.sync(one(add_cmd("h2", empty), &k, &f)).await;
    assert_eq!(add_status(&c).0, "6");
    k = text(&c, air::SYNC_KEY);
    // A recurring series: one exception, then a new start time wipes the exceptions.
    let c = a.sync(one(add_cmd("r1", recurring("Series")), &k, &f)).await;
    let (_, rid) = add_status(&c);
    k = text(&c, air::SYNC_KEY);
    let cancel = Element::new(air::DELETE)
        .with_text_child(air::SERVER_ID, rid.clone())
        .with_text_child(asb::INSTANCE_ID, "20261202T090000Z");
    k = text(&a.sync(one(cancel, &k, &f)).await, air::SYNC_KEY);
    let (_, item) = control(&sim, reqwest::Method::GET, &format!("/users/alice/items/{rid}"), None).await;
    assert!(item["data"].get("Calendar:Exceptions").is_some());
    let moved = Element::new(air::CHANGE)
        .with_text_child(air::SERVER_ID, rid.clone())
        .with_child(app(&[
            (cal::START_TIME, "20261201T100000Z"),
            (cal::END_TIME, "20261201T110000Z"),
        ]));
    let c = a.sync(one(moved, &k, &f)).await;
    assert!(c.find(air::RESPONSES).is_none());
    let (_, item) = control(&sim, reqwest::Method::GET, &format!("/users/alice/items/{rid}"), None).await;
    assert!(item["data"].get("Calendar:Exceptions").is_none(), "{item}");
    // 16.x Change merges: the subject sent at Add time survives.
    assert_eq!(item["data"]["Calendar:Subject"], "Series");
    // InstanceId on a non-recurring item: status 6.
    let k = text(&c, air::SYNC_KEY);
    let bad = Element::new(air::DELETE)
        .with_text_child(air::SERVER_ID, sid)
        .with_text_child(asb::INSTANCE_ID, "20261225T000000Z");
    let c = a.sync(one(bad, &k, &f)).await;
    assert_eq!(
        text(c.find(air::RESPONSES).unwrap().find(air::DELETE).unwrap(), air::STATUS),
        "6"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn v14_exceptions_inside_the_item_uid_kept_location_as_text() {
    let sim = start().await;
    let a = device(&sim, "alice", "secret", "a", V::V14_1).await;
    let f = a.folder_id(8).await;
    let k = text(&a.sync(coll("0", &f)).await, air::SYNC_KEY);
    let data = recurring("Weekly")
        .with_text_child(cal::UID, "my-ical-uid")
        .with_text_child(cal::LOCATION, "Room 7")
        .with_child(
            Element::new(cal::EXCEPTIONS).with_child(
                Element::new(cal::EXCEPTION)
                    .with_text_child(cal::EXCEPTION_START_TIME, "2026-12-02T09:00:00Z")
                    .with_text_child(cal::DELETED, "1"),
            ),
        );
    let c = a.sync(one(add_cmd("w1", data), &k, &f)).await;
    let (st, sid) = add_status(&c);
    assert_eq!(st, "1");
    let b = device(&sim, "alice", "secret", "b", V::V14_1).await;
    b.folder_sync("0").await;
    let (_, pulled) = b.initial_sync(&f).await;
    let item = commands(&pulled).into_iter().find(|(_, s, _)| *s == sid).unwrap().2;
    let d = item.find(air::APPLICATION_DATA).unwrap();
    assert_eq!(d.child_text(cal::UID), Some("my-ical-uid"));
    assert_eq!(d.child_text(cal::LOCATION), Some("Room 7"));
    assert!(d.find(asb::LOCATION).is_none());
    let ex = d.find(cal::EXCEPTIONS).unwrap().find(cal::EXCEPTION).unwrap();
    assert_eq!(ex.child_text(cal::EXCEPTION_START_TIME), Some("20261202T090000Z"));
    assert!(d
        .child_text(cal::DT_STAMP)
        .is_some_and(|s| s.len() == 16 && s.ends_with('Z')));
    // A 16.1 reader of the same item gets airsyncbase:Location and InstanceId.
    let n = device(&sim, "alice", "secret", "n", V::V16_1).await;
    n.folder_sync("0").await;
    let (_, pulled) = n.initial_sync(&f).await;
    let item = commands(&pulled).into_iter().find(|(_, s, _)| *s == sid).unwrap().2;
    let d = item.find(air::APPLICATION_DATA).unwrap();
    assert_eq!(
        d.find(asb::LOCATION).and_then(|l| l.child_text(asb::DISPLAY_NAME)),
        Some("Room 7")
    );
    assert!(d.find(cal::LOCATION).is_none());
    // Contacts: birthdays normalised to the extended form and FileAs server-computed.
    let cf = a.folder_id(9).await;
    let k = text(&a.sync(coll("0", &cf)).await, air::SYNC_KEY);
    let c = a
        .sync(one(
            add_cmd(
                "p1",
                app(&[
                    (con::FIRST_NAME, "Ada"),
                    (con::LAST_NAME, "Lovelace"),
                    (con::BIRTHDAY, "18151210T000000Z"),
                ]),
            ),
            &k,
            &cf,
        ))
        .await;
    let (_, pid) = add_status(&c);
    let (_, item) = control(&sim, reqwest::Method::GET, &format!("/users/alice/items/{pid}"), None).await;
    assert_eq!(item["data"]["Contacts:Birthday"], "1815-12-10T00:00:00.000Z");
    assert_eq!(item["data"]["Contacts:FileAs"], "Lovelace, Ada");
    sim.shutdown().await;
}
