//! Folder checks: slugs, updates, deletion, hierarchy sync pages.

use super::{ctag, fill, new_folder, partnership};
use crate::api::Store;
use crate::error::StoreError;
use crate::model::{FolderChange, FolderPatch, FolderSyncPage, NewFolder};

pub(super) fn folder_create_and_lookup(store: &dyn Store) {
    let p = partnership(store, "alice");
    let cal = store.create_folder(p.id, &new_folder("1", "Calendar")).expect("create");
    assert_eq!(cal.collection_name, "calendar");
    assert_eq!(cal.sync_key, "0");
    assert_eq!(cal.last_sync_at, None);
    assert!(!cal.resyncing);
    assert_eq!(cal.change_seq, cal.oldest_seq, "a new folder has an empty log");
    // Same display name: the slug is made unique; non-ASCII names fall back to the server id.
    let cal2 = store.create_folder(p.id, &new_folder("2", "Calendar")).expect("create");
    assert_eq!(cal2.collection_name, "calendar-2");
    let cyr = store
        .create_folder(p.id, &new_folder("3:1", "Контакты"))
        .expect("create");
    assert_eq!(cyr.collection_name, "collection-3-1");
    let chosen = store
        .create_folder(
            p.id,
            &NewFolder {
                collection_name: Some("work".into()),
                ..new_folder("4", "Work stuff")
            },
        )
        .expect("create");
    assert_eq!(chosen.collection_name, "work");

    let dup_name = store.create_folder(
        p.id,
        &NewFolder {
            collection_name: Some("work".into()),
            ..new_folder("5", "W")
        },
    );
    assert!(matches!(dup_name, Err(StoreError::AlreadyExists(_))), "{dup_name:?}");
    let dup_sid = store.create_folder(p.id, &new_folder("1", "Again"));
    assert!(matches!(dup_sid, Err(StoreError::AlreadyExists(_))), "{dup_sid:?}");
    let bad = store.create_folder(
        p.id,
        &NewFolder {
            collection_name: Some("a/b".into()),
            ..new_folder("6", "x")
        },
    );
    assert!(matches!(bad, Err(StoreError::Invalid(_))), "{bad:?}");

    assert_eq!(store.folder_by_server_id(p.id, "2").expect("find"), Some(cal2.clone()));
    assert_eq!(
        store.folder_by_collection(p.id, "work").expect("find"),
        Some(chosen.clone())
    );
    assert_eq!(store.folder_by_collection(p.id, "nope").expect("find"), None);
    let ids: Vec<_> = store
        .list_folders(p.id)
        .expect("list")
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(ids, vec![cal.id, cal2.id, cyr.id, chosen.id]);

    // Collection names are per partnership.
    let q = partnership(store, "bob");
    assert_eq!(
        store
            .create_folder(q.id, &new_folder("1", "Calendar"))
            .expect("create")
            .collection_name,
        "calendar"
    );
    assert_eq!(store.folder_by_server_id(q.id, "2").expect("find"), None);
}

pub(super) fn folder_update_keeps_identity(store: &dyn Store) {
    let p = partnership(store, "alice");
    let f = store.create_folder(p.id, &new_folder("1", "Calendar")).expect("create");
    fill(store, &f, "1", 3);
    let before = ctag(store, &f);
    let patch = FolderPatch {
        display_name: Some("Renamed".into()),
        parent_server_id: Some(Some("9".into())),
        color: Some(Some("#FF0000FF".into())),
        description: Some(Some("team".into())),
        sort_order: Some(Some(3)),
        ..FolderPatch::default()
    };
    let updated = store.update_folder(f.id, &patch).expect("update");
    assert_eq!(updated.display_name, "Renamed");
    assert_eq!(updated.parent_server_id.as_deref(), Some("9"));
    assert_eq!(
        updated.collection_name, "calendar",
        "the collection name is stable across renames"
    );
    assert_eq!(
        (
            updated.color.as_deref(),
            updated.description.as_deref(),
            updated.sort_order
        ),
        (Some("#FF0000FF"), Some("team"), Some(3))
    );
    assert_eq!(updated.change_seq, before);
    assert_eq!(store.list_items(f.id).expect("list").len(), 3);
    let cleared = store
        .update_folder(
            f.id,
            &FolderPatch {
                color: Some(None),
                ..FolderPatch::default()
            },
        )
        .expect("clear colour");
    assert_eq!((cleared.color, cleared.description.as_deref()), (None, Some("team")));

    store.set_sync_key(f.id, "42").expect("set key");
    assert_eq!(store.folder(f.id).expect("get").expect("exists").sync_key, "42");
}

pub(super) fn folder_delete_invalidates_tokens(store: &dyn Store) {
    let p = partnership(store, "alice");
    let f = store.create_folder(p.id, &new_folder("1", "Calendar")).expect("create");
    fill(store, &f, "1", 5);
    let token = ctag(store, &f);
    assert!(store
        .changes_since(f.id, Some(token), 10)
        .expect("valid token")
        .changes
        .is_empty());

    store.delete_folder(f.id).expect("delete");
    assert_eq!(store.folder(f.id).expect("get"), None);
    assert!(store
        .list_items(f.id)
        .expect("list of a deleted folder is empty")
        .is_empty());
    assert!(matches!(
        store.changes_since(f.id, Some(token), 10),
        Err(StoreError::FolderNotFound(_))
    ));
    assert!(matches!(store.delete_folder(f.id), Err(StoreError::FolderNotFound(_))));

    // A new folder reusing the collection name rejects every token of the old one.
    let again = store
        .create_folder(p.id, &new_folder("1", "Calendar"))
        .expect("recreate");
    assert_eq!(again.collection_name, "calendar");
    for seq in [0, 1, token - 1, token] {
        let r = store.changes_since(again.id, Some(seq), 10);
        assert!(
            matches!(r, Err(StoreError::InvalidSyncToken { .. })),
            "token {seq}: {r:?}"
        );
    }
    fill(store, &again, "1", 1);
    let page = store.changes_since(again.id, None, 10).expect("initial");
    assert_eq!(page.changes.len(), 1);
}

fn add(server_id: &str, name: &str) -> FolderChange {
    FolderChange::Add(NewFolder {
        server_id: server_id.into(),
        parent_server_id: Some("0".into()),
        folder_type: 8,
        display_name: name.into(),
        collection_name: None,
    })
}

pub(super) fn folder_sync_page(store: &dyn Store) {
    let p = partnership(store, "alice");
    let first = FolderSyncPage {
        expected_sync_key: Some("0".into()),
        new_sync_key: "1".into(),
        full: true,
        changes: vec![add("1", "Calendar"), add("2", "Contacts"), add("3", "Tasks")],
    };
    let folders = store.apply_folder_sync(p.id, &first).expect("initial folder sync");
    assert_eq!(
        folders.iter().map(|f| f.collection_name.as_str()).collect::<Vec<_>>(),
        ["calendar", "contacts", "tasks"]
    );
    assert_eq!(
        store
            .partnership(p.id)
            .expect("get")
            .expect("exists")
            .hierarchy_sync_key,
        "1"
    );

    // A stale key applies nothing.
    let stale = FolderSyncPage {
        expected_sync_key: Some("0".into()),
        new_sync_key: "9".into(),
        changes: vec![add("4", "X")],
        full: false,
    };
    assert!(matches!(
        store.apply_folder_sync(p.id, &stale),
        Err(StoreError::SyncKeyMismatch { .. })
    ));
    assert_eq!(store.list_folders(p.id).expect("list").len(), 3);

    let contacts = store.folder_by_server_id(p.id, "2").expect("find").expect("exists");
    let second = FolderSyncPage {
        expected_sync_key: Some("1".into()),
        new_sync_key: "2".into(),
        full: false,
        changes: vec![
            FolderChange::Update {
                server_id: "2".into(),
                parent_server_id: Some("0".into()),
                display_name: "People".into(),
                folder_type: 9,
            },
            FolderChange::Delete { server_id: "3".into() },
            add("5", "Holidays"),
        ],
    };
    let folders = store.apply_folder_sync(p.id, &second).expect("incremental");
    let names: Vec<_> = folders
        .iter()
        .map(|f| {
            (
                f.server_id.as_str(),
                f.display_name.as_str(),
                f.collection_name.as_str(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("1", "Calendar", "calendar"),
            ("2", "People", "contacts"),
            ("5", "Holidays", "holidays")
        ]
    );
    let renamed = store.folder(contacts.id).expect("get").expect("exists");
    assert_eq!((renamed.id, renamed.folder_type), (contacts.id, 9));
    assert_eq!(
        store
            .partnership(p.id)
            .expect("get")
            .expect("exists")
            .hierarchy_sync_key,
        "2"
    );
    // A delete of an unknown folder is not an error.
    let third = FolderSyncPage {
        new_sync_key: "3".into(),
        changes: vec![FolderChange::Delete { server_id: "77".into() }],
        ..FolderSyncPage::default()
    };
    assert_eq!(store.apply_folder_sync(p.id, &third).expect("unknown delete").len(), 3);
}

pub(super) fn folder_sync_full_listing(store: &dyn Store) {
    let p = partnership(store, "alice");
    let first = FolderSyncPage {
        new_sync_key: "1".into(),
        full: true,
        changes: vec![add("1", "Calendar"), add("2", "Contacts")],
        ..FolderSyncPage::default()
    };
    store.apply_folder_sync(p.id, &first).expect("first");
    let cal = store.folder_by_server_id(p.id, "1").expect("find").expect("exists");
    fill(store, &cal, "1", 4);
    store.set_sync_key(cal.id, "17").expect("key");
    store
        .update_folder(
            cal.id,
            &FolderPatch {
                color: Some(Some("#00FF00FF".into())),
                ..FolderPatch::default()
            },
        )
        .expect("colour");
    let seq = ctag(store, &cal);

    // A hierarchy resync from key 0 lists folder 1 again (renamed) but not folder 2.
    let resync = FolderSyncPage {
        expected_sync_key: None,
        new_sync_key: "1".into(),
        full: true,
        changes: vec![add("1", "Kalender"), add("6", "New")],
    };
    let folders = store.apply_folder_sync(p.id, &resync).expect("resync");
    assert_eq!(folders.len(), 2);
    let kept = store.folder(cal.id).expect("get").expect("folder 1 keeps its identity");
    assert_eq!(kept.display_name, "Kalender");
    assert_eq!(
        (
            kept.collection_name.as_str(),
            kept.sync_key.as_str(),
            kept.color.as_deref()
        ),
        ("calendar", "17", Some("#00FF00FF"))
    );
    assert_eq!(kept.change_seq, seq);
    assert_eq!(store.list_items(cal.id).expect("list").len(), 4);
    assert_eq!(store.folder_by_server_id(p.id, "2").expect("find"), None);
}
