//! Folder hierarchy: defaults, FolderSync key chain, create/update/delete, hierarchy-change signals.

use eas_proto::ProtocolVersion as V;
use serde_json::json;
use wbxml::tags::{airsync as air, folder_hierarchy as fh, ping as png};
use wbxml::Element;

use crate::common::*;

#[tokio::test]
async fn default_hierarchy_and_key_chain_with_replay_and_status_9() {
    let sim = start().await;
    let e = device(&sim, "alice", "secret", "d", V::V14_1).await;
    let (st, k1, d) = e.folder_sync("0").await;
    assert_eq!(st, "1");
    let adds: Vec<(String, String)> = d
        .find(fh::CHANGES)
        .unwrap()
        .find_all(fh::ADD)
        .map(|a| (text(a, fh::DISPLAY_NAME), text(a, fh::TYPE)))
        .collect();
    for (name, t) in [
        ("Inbox", "2"),
        ("Drafts", "3"),
        ("Deleted Items", "4"),
        ("Sent Items", "5"),
        ("Outbox", "6"),
        ("Tasks", "7"),
        ("Calendar", "8"),
        ("Contacts", "9"),
        ("Notes", "10"),
    ] {
        assert!(adds.contains(&(name.into(), t.into())), "{name} missing: {adds:?}");
    }
    assert_eq!(d.find(fh::CHANGES).unwrap().child_text(fh::COUNT), Some("9"));
    let (st, k2, d2) = e.folder_sync(&k1).await;
    assert_eq!(
        (st.as_str(), d2.find(fh::CHANGES).unwrap().child_text(fh::COUNT)),
        ("1", Some("0"))
    );
    assert_ne!(k1, k2);
    // Repeating the previous request (lost response) replays the same answer.
    let (_, k2b, _) = e.folder_sync(&k1).await;
    assert_eq!(k2b, k2);
    assert_eq!(e.folder_sync("bogus").await.0, "9");
    sim.shutdown().await;
}

#[tokio::test]
async fn folder_create_update_delete_and_other_devices_see_them() {
    let sim = start().await;
    let a = device(&sim, "alice", "secret", "a", V::V16_1).await;
    let b = device(&sim, "alice", "secret", "b", V::V16_1).await;
    let (_, ka, _) = a.folder_sync("0").await;
    let (_, kb, _) = b.folder_sync("0").await;
    let create = Element::new(fh::FOLDER_CREATE)
        .with_text_child(fh::SYNC_KEY, ka.clone())
        .with_text_child(fh::PARENT_ID, "0")
        .with_text_child(fh::DISPLAY_NAME, "Team")
        .with_text_child(fh::TYPE, "13");
    let r = a.post("FolderCreate", Some(&create)).await;
    assert_eq!(r.doc().child_text(fh::STATUS), Some("1"));
    let id = text(r.doc(), fh::SERVER_ID);
    let ka = text(r.doc(), fh::SYNC_KEY);
    // Same name again: status 2; a default type: status 10.
    let dup = Element::new(fh::FOLDER_CREATE)
        .with_text_child(fh::SYNC_KEY, ka.clone())
        .with_text_child(fh::PARENT_ID, "0")
        .with_text_child(fh::DISPLAY_NAME, "Team")
        .with_text_child(fh::TYPE, "13");
    assert_eq!(
        a.post("FolderCreate", Some(&dup)).await.doc().child_text(fh::STATUS),
        Some("2")
    );
    // Device a's own key already covers its creation.
    let (_, ka, d) = a.folder_sync(&ka).await;
    assert_eq!(d.find(fh::CHANGES).unwrap().child_text(fh::COUNT), Some("0"));
    // Device b learns it.
    let (_, kb, d) = b.folder_sync(&kb).await;
    let add = d
        .find(fh::CHANGES)
        .unwrap()
        .find(fh::ADD)
        .expect("b sees the new folder");
    assert_eq!(
        (text(add, fh::SERVER_ID), text(add, fh::TYPE)),
        (id.clone(), "13".to_owned())
    );
    let upd = Element::new(fh::FOLDER_UPDATE)
        .with_text_child(fh::SYNC_KEY, ka.clone())
        .with_text_child(fh::SERVER_ID, id.clone())
        .with_text_child(fh::PARENT_ID, "0")
        .with_text_child(fh::DISPLAY_NAME, "Team 2");
    let r = a.post("FolderUpdate", Some(&upd)).await;
    assert_eq!(r.doc().child_text(fh::STATUS), Some("1"));
    let ka = text(r.doc(), fh::SYNC_KEY);
    let (_, kb, d) = b.folder_sync(&kb).await;
    assert_eq!(
        d.find(fh::CHANGES)
            .unwrap()
            .find(fh::UPDATE)
            .map(|u| text(u, fh::DISPLAY_NAME)),
        Some("Team 2".into())
    );
    let del = Element::new(fh::FOLDER_DELETE)
        .with_text_child(fh::SYNC_KEY, ka)
        .with_text_child(fh::SERVER_ID, id.clone());
    assert_eq!(
        a.post("FolderDelete", Some(&del)).await.doc().child_text(fh::STATUS),
        Some("1")
    );
    let (_, _, d) = b.folder_sync(&kb).await;
    assert_eq!(
        d.find(fh::CHANGES)
            .unwrap()
            .find(fh::DELETE)
            .map(|x| text(x, fh::SERVER_ID)),
        Some(id)
    );
    // Default folders cannot be deleted (status 3).
    let inbox = a.folder_id(2).await;
    let (_, k2, _) = a.folder_sync("0").await;
    let del = Element::new(fh::FOLDER_DELETE)
        .with_text_child(fh::SYNC_KEY, k2)
        .with_text_child(fh::SERVER_ID, inbox);
    assert_eq!(
        a.post("FolderDelete", Some(&del)).await.doc().child_text(fh::STATUS),
        Some("3")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn hierarchy_change_gives_sync_status_12_and_ping_status_7() {
    let sim = start().await;
    let e = device(&sim, "alice", "secret", "d", V::V16_1).await;
    let cal = e.folder_id(8).await;
    let (key, _) = e.initial_sync(&cal).await;
    let (s, _) = control(
        &sim,
        reqwest::Method::POST,
        "/users/alice/folders",
        Some(json!({"name": "Birthdays", "type": 13})),
    )
    .await;
    assert_eq!(s, 201);
    let c = e.sync(coll(&key, &cal)).await;
    assert_eq!(text(&c, air::STATUS), "12");
    let ping = Element::new(png::PING)
        .with_text_child(png::HEARTBEAT_INTERVAL, "5")
        .with_child(
            Element::new(png::FOLDERS).with_child(
                Element::new(png::FOLDER)
                    .with_text_child(png::ID, cal.clone())
                    .with_text_child(png::CLASS, "Calendar"),
            ),
        );
    assert_eq!(
        e.post("Ping", Some(&ping)).await.doc().child_text(png::STATUS),
        Some("7")
    );
    // After a FolderSync the old key works again.
    e.folder_sync("0").await;
    assert_eq!(text(&e.sync(coll(&key, &cal)).await, air::STATUS), "1");
    sim.shutdown().await;
}
