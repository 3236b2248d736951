//! Mirror, DAV reads, write-through, push, hierarchy changes, resync and remote wipe.

use std::time::Duration;

use dav_server::backend::{Backend, BackendError, CollectionKind, CollectionPatch, Format, Home, WriteCondition};
use reqwest::Method;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn login_initial_mirror_and_dav_reads() {
    let env = env(|_| {}, |_| {}).await;
    let cal = env.sim_folder(8).await;
    let con = env.sim_folder(9).await;
    seed(&env.sim, USER, &cal, 40, event).await;
    seed(&env.sim, USER, &con, 12, contact).await;

    assert_eq!(env.backend.authenticate(USER, "wrong").await.unwrap(), None);
    assert_eq!(env.backend.authenticate("mallory", "x").await.unwrap(), None);
    assert!(
        env.engine.accounts().await.unwrap().is_empty(),
        "failed logins create nothing"
    );
    env.login().await;
    let cals = env.backend.list_collections(USER, Home::Calendars).await.unwrap();
    assert_eq!(cals.len(), 2, "calendar + tasks: {cals:?}");
    assert_eq!(cals[0].kind, CollectionKind::Calendar);
    assert!(cals.iter().any(|c| c.kind == CollectionKind::Tasks));
    let books = env.backend.list_collections(USER, Home::AddressBooks).await.unwrap();
    assert_eq!(books.len(), 1);

    let list = env
        .backend
        .list_resources(USER, &cals[0].id, Format::ICalendar)
        .await
        .unwrap();
    assert_eq!(list.len(), 40);
    let all = env
        .backend
        .get_resources(USER, &cals[0].id, None, Format::ICalendar)
        .await
        .unwrap();
    assert_eq!(all.len(), 40);
    assert!(all
        .iter()
        .all(|r| r.body.contains("BEGIN:VEVENT") && r.body.contains("SUMMARY:Event ")));
    for r in &all {
        let m = list.iter().find(|m| m.name == r.meta.name).expect("listed");
        assert_eq!(m.etag, r.meta.etag);
        assert_eq!(m.size, r.body.len() as u64);
    }
    let cards = env
        .backend
        .get_resources(USER, &books[0].id, None, Format::VCard3)
        .await
        .unwrap();
    assert!(
        cards.iter().all(|c| c.body.contains("UID:easdav-")),
        "contacts created in Exchange get a stable UID: {}",
        cards[0].body
    );
    assert_eq!(cards.len(), 12);
    assert!(
        cards.iter().all(|c| c.body.contains("VERSION:3.0")),
        "{}",
        cards[0].body
    );
    let v4 = env
        .backend
        .get_resources(USER, &books[0].id, None, Format::VCard4)
        .await
        .unwrap();
    assert!(v4.iter().all(|c| c.body.contains("VERSION:4.0")));
    assert_ne!(
        v4[0].meta.etag,
        cards.iter().find(|c| c.meta.name == v4[0].meta.name).unwrap().meta.etag
    );

    // Initial sync-collection lists every member.
    let ch = env
        .backend
        .changes(USER, &cals[0].id, None, None, Format::ICalendar)
        .await
        .unwrap();
    assert_eq!(ch.changed.len(), 40);
    env.check_mirror().await;
    let reports = env.engine.accounts().await.unwrap();
    assert_eq!(reports.len(), 1);
    assert!(reports[0].folders.iter().any(|f| f.items == 40));
    env.engine.shutdown().await;
}

#[tokio::test]
async fn write_through_create_update_delete() {
    let env = env(|_| {}, |_| {}).await;
    env.login().await;
    let cals = env.backend.list_collections(USER, Home::Calendars).await.unwrap();
    let cal = cals
        .iter()
        .find(|c| c.kind == CollectionKind::Calendar)
        .unwrap()
        .id
        .clone();
    let before = env.backend.collection(USER, &cal).await.unwrap().seq;

    let put = env
        .backend
        .put_resource(
            USER,
            &cal,
            "mine.ics",
            &ics("u-1", "Created here"),
            WriteCondition::MustNotExist,
        )
        .await
        .unwrap();
    assert!(put.created);
    assert!(env.backend.collection(USER, &cal).await.unwrap().seq > before);
    let sim_cal = env.sim_folder(8).await;
    let items = env
        .control(Method::GET, &format!("/users/{USER}/folders/{sim_cal}/items"), None)
        .await;
    assert_eq!(items.as_array().unwrap().len(), 1);
    assert_eq!(items[0]["data"]["Calendar:Subject"], "Created here");

    // Second create with the same name must not exist.
    let again = env
        .backend
        .put_resource(USER, &cal, "mine.ics", &ics("u-1", "x"), WriteCondition::MustNotExist)
        .await;
    assert_eq!(again.unwrap_err(), BackendError::PreconditionFailed);
    let wrong = env
        .backend
        .put_resource(
            USER,
            &cal,
            "mine.ics",
            &ics("u-1", "x"),
            WriteCondition::IfMatch("nope".into()),
        )
        .await;
    assert_eq!(wrong.unwrap_err(), BackendError::PreconditionFailed);
    // Same UID under another name.
    let dup = env
        .backend
        .put_resource(USER, &cal, "other.ics", &ics("u-1", "x"), WriteCondition::None)
        .await;
    assert!(matches!(dup.unwrap_err(), BackendError::UidConflict { .. }));

    let upd = env
        .backend
        .put_resource(
            USER,
            &cal,
            "mine.ics",
            &ics("u-1", "Updated here"),
            WriteCondition::IfMatch(put.etag.clone()),
        )
        .await
        .unwrap();
    assert!(!upd.created);
    assert_ne!(upd.etag, put.etag);
    let items = env
        .control(Method::GET, &format!("/users/{USER}/folders/{sim_cal}/items"), None)
        .await;
    assert_eq!(items[0]["data"]["Calendar:Subject"], "Updated here");
    let got = env
        .backend
        .get_resources(USER, &cal, Some(&["mine.ics".to_owned()]), Format::ICalendar)
        .await
        .unwrap();
    assert!(got[0].body.contains("SUMMARY:Updated here"), "{}", got[0].body);
    assert_eq!(got[0].meta.etag, upd.etag);

    // Contacts.
    let books = env.backend.list_collections(USER, Home::AddressBooks).await.unwrap();
    let book = &books[0].id;
    env.backend
        .put_resource(
            USER,
            book,
            "ada.vcf",
            &vcf("c-1", "Ada", "Lovelace"),
            WriteCondition::None,
        )
        .await
        .unwrap();
    let sim_con = env.sim_folder(9).await;
    let items = env
        .control(Method::GET, &format!("/users/{USER}/folders/{sim_con}/items"), None)
        .await;
    assert_eq!(items[0]["data"]["Contacts:FirstName"], "Ada");

    // Delete with a wrong ETag fails, with the right one succeeds.
    let bad = env.backend.delete_resource(USER, &cal, "mine.ics", Some("nope")).await;
    assert_eq!(bad.unwrap_err(), BackendError::PreconditionFailed);
    env.backend
        .delete_resource(USER, &cal, "mine.ics", Some(&upd.etag))
        .await
        .unwrap();
    let items = env
        .control(Method::GET, &format!("/users/{USER}/folders/{sim_cal}/items"), None)
        .await;
    assert!(items.as_array().unwrap().is_empty());
    assert_eq!(
        env.backend
            .delete_resource(USER, &cal, "mine.ics", None)
            .await
            .unwrap_err(),
        BackendError::NotFound
    );
    let ch = env
        .backend
        .changes(USER, &cal, Some(before), None, Format::ICalendar)
        .await
        .unwrap();
    assert!(ch.removed.contains(&"mine.ics".to_owned()));

    // Not representable / unparsable data is refused before anything is sent.
    let junk = env
        .backend
        .put_resource(
            USER,
            &cal,
            "junk.ics",
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            WriteCondition::None,
        )
        .await;
    assert!(matches!(junk.unwrap_err(), BackendError::NotRepresentable { .. }));
    env.check_mirror().await;
    env.engine.shutdown().await;
}

#[tokio::test]
async fn server_change_arrives_by_ping() {
    let env = env(|_| {}, |_| {}).await;
    env.login().await;
    let cals = env.backend.list_collections(USER, Home::Calendars).await.unwrap();
    let cal = cals[0].id.clone();
    let sim_cal = env.sim_folder(8).await;
    // Wait until the Ping is registered upstream.
    let pinging = wait_until(Duration::from_secs(10), || async {
        let d = control(&env.sim, Method::GET, &format!("/users/{USER}/devices"), None).await;
        d.as_array().is_some_and(|a| a.iter().any(|d| !d["ping"].is_null()))
    })
    .await;
    assert!(pinging, "engine pings");
    let seq = env.backend.collection(USER, &cal).await.unwrap().seq;
    let sid = env.add_event(&sim_cal, "Pushed").await;
    let store = env.store.clone();
    let arrived = wait_until(Duration::from_secs(10), || {
        let store = store.clone();
        let sid = sid.clone();
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
    assert!(arrived, "server change reached the mirror by push");
    let ch = env
        .backend
        .changes(USER, &cal, Some(seq), None, Format::ICalendar)
        .await
        .unwrap();
    assert_eq!(ch.changed.len(), 1);

    // Hierarchy: a new calendar folder appears, a deleted one disappears.
    let v = env
        .control(
            Method::POST,
            &format!("/users/{USER}/folders"),
            Some(json!({"name": "Team", "type": 13})),
        )
        .await;
    let new_id = v["id"].as_str().unwrap().to_owned();
    env.add_event(&new_id, "In team").await;
    let appeared = wait_until(Duration::from_secs(10), || async {
        let cals = env.backend.list_collections(USER, Home::Calendars).await.unwrap();
        cals.iter().any(|c| c.display_name == "Team")
    })
    .await;
    assert!(appeared, "new folder appears");
    env.control(Method::DELETE, &format!("/users/{USER}/folders/{new_id}"), None)
        .await;
    let gone = wait_until(Duration::from_secs(10), || async {
        let cals = env.backend.list_collections(USER, Home::Calendars).await.unwrap();
        !cals.iter().any(|c| c.display_name == "Team")
    })
    .await;
    assert!(gone, "deleted folder disappears");
    env.engine.sync_all(USER).await.unwrap();
    env.check_mirror().await;
    env.engine.shutdown().await;
}

#[tokio::test]
async fn collections_create_rename_delete() {
    let env = env(|_| {}, |_| {}).await;
    env.login().await;
    let patch = CollectionPatch {
        display_name: Some("Work".into()),
        color: Some(Some("#FF0000FF".into())),
        ..Default::default()
    };
    let info = env
        .backend
        .create_collection(USER, "work", CollectionKind::Calendar, patch)
        .await
        .unwrap();
    assert_eq!(info.display_name, "Work");
    assert_eq!(info.color.as_deref(), Some("#FF0000FF"));
    let folders = env.control(Method::GET, &format!("/users/{USER}/folders"), None).await;
    assert!(folders
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "Work" && f["type"] == 13));
    let renamed = env
        .backend
        .update_collection(
            USER,
            "work",
            CollectionPatch {
                display_name: Some("Work 2".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.display_name, "Work 2");
    let folders = env.control(Method::GET, &format!("/users/{USER}/folders"), None).await;
    assert!(folders.as_array().unwrap().iter().any(|f| f["name"] == "Work 2"));
    env.backend
        .put_resource(USER, "work", "w.ics", &ics("w-1", "In work"), WriteCondition::None)
        .await
        .unwrap();
    env.backend.delete_collection(USER, "work").await.unwrap();
    let folders = env.control(Method::GET, &format!("/users/{USER}/folders"), None).await;
    assert!(!folders.as_array().unwrap().iter().any(|f| f["name"] == "Work 2"));
    assert_eq!(
        env.backend.collection(USER, "work").await.unwrap_err(),
        BackendError::NotFound
    );
    env.check_mirror().await;
    env.engine.shutdown().await;
}

#[tokio::test]
async fn resync_keeps_names_and_etags() {
    let env = env(|_| {}, |_| {}).await;
    let sim_cal = env.sim_folder(8).await;
    seed(&env.sim, USER, &sim_cal, 25, event).await;
    env.login().await;
    let cals = env.backend.list_collections(USER, Home::Calendars).await.unwrap();
    let cal = cals[0].id.clone();
    env.backend
        .put_resource(USER, &cal, "local.ics", &ics("l-1", "Local"), WriteCondition::None)
        .await
        .unwrap();
    let before = env.backend.list_resources(USER, &cal, Format::ICalendar).await.unwrap();
    let seq = env.backend.collection(USER, &cal).await.unwrap().seq;
    // The partnership's state for the folder is lost upstream (status 3).
    env.control(
        Method::POST,
        "/faults",
        Some(json!({"action": {"kind": "status", "status": 3}, "command": "Sync", "times": 1})),
    )
    .await;
    env.engine.force_resync(USER).await.unwrap();
    env.engine.sync_all(USER).await.unwrap();
    let after = env.backend.list_resources(USER, &cal, Format::ICalendar).await.unwrap();
    assert_eq!(before, after, "same names and etags after resync");
    let ch = env
        .backend
        .changes(USER, &cal, Some(seq), None, Format::ICalendar)
        .await
        .unwrap();
    assert!(
        ch.changed.is_empty() && ch.removed.is_empty(),
        "no change storm: {ch:?}"
    );
    env.check_mirror().await;
    env.engine.shutdown().await;
}

#[tokio::test]
async fn remote_wipe_purges_and_locks() {
    let env = env(|_| {}, |_| {}).await;
    let sim_cal = env.sim_folder(8).await;
    seed(&env.sim, USER, &sim_cal, 5, event).await;
    env.login().await;
    let cals = env.backend.list_collections(USER, Home::Calendars).await.unwrap();
    assert_eq!(
        env.backend
            .list_resources(USER, &cals[0].id, Format::ICalendar)
            .await
            .unwrap()
            .len(),
        5
    );
    let device = env.engine.accounts().await.unwrap()[0].device_id.clone();
    env.control(Method::POST, &format!("/users/{USER}/devices/{device}/wipe"), None)
        .await;
    let locked = wait_until(Duration::from_secs(10), || async {
        let _ = env.engine.sync_all(USER).await;
        env.engine.accounts().await.unwrap()[0].locked
    })
    .await;
    assert!(locked, "account locked after wipe");
    assert_eq!(
        env.backend.list_collections(USER, Home::Calendars).await.unwrap_err(),
        BackendError::Locked
    );
    assert!(
        env.backend.authenticate(USER, PASS).await.is_err(),
        "login refused while locked"
    );
    let p = env.store.partnerships_for_user(USER).unwrap().remove(0);
    assert!(env.store.list_folders(p.id).unwrap().is_empty(), "mirror purged");
    // Wipe acknowledged upstream.
    let devices = env.control(Method::GET, &format!("/users/{USER}/devices"), None).await;
    assert!(devices.to_string().contains("wipe"), "{devices}");

    // Operator unlocks after the Exchange admin removed the partnership.
    env.control(Method::DELETE, &format!("/users/{USER}/devices/{device}"), None)
        .await;
    // The operator runs in another process (`easdav accounts unlock`): a second engine on the store.
    let operator = sync_engine::Engine::new(env.store.clone(), test_config(env.sim.url()));
    operator.unlock(USER).await.unwrap();
    assert!(!operator.accounts().await.unwrap()[0].locked);
    env.login().await;
    let cals = env.backend.list_collections(USER, Home::Calendars).await.unwrap();
    assert_eq!(
        env.backend
            .list_resources(USER, &cals[0].id, Format::ICalendar)
            .await
            .unwrap()
            .len(),
        5
    );
    env.check_mirror().await;
    env.engine.shutdown().await;
}
