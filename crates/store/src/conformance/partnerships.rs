//! Partnership checks: CRUD, locking, remote-wipe purge.

use super::{fill, folder, page, partnership, upstream};
use crate::api::Store;
use crate::error::StoreError;
use crate::model::{FolderId, LockState, NewOutboxEntry, NewPartnership, PartnershipPatch};

pub(super) fn partnership_crud(store: &dyn Store) {
    let alice = partnership(store, "alice@example.com");
    assert_eq!(alice.hierarchy_sync_key, "0");
    assert_eq!(alice.lock, LockState::Unlocked);
    assert_eq!(alice.policy_key, None);

    let dup = store.create_partnership(&NewPartnership {
        user_name: "alice@example.com".into(),
        device_id: alice.device_id.clone(),
        device_type: "other".into(),
        upstream_url: "https://x.invalid".into(),
    });
    assert!(matches!(dup, Err(StoreError::AlreadyExists(_))), "{dup:?}");
    let empty = store.create_partnership(&NewPartnership {
        user_name: String::new(),
        device_id: "D".into(),
        device_type: "t".into(),
        upstream_url: "u".into(),
    });
    assert!(matches!(empty, Err(StoreError::Invalid(_))), "{empty:?}");

    // A second device of the same user is a separate partnership.
    let second = store
        .create_partnership(&NewPartnership {
            user_name: "alice@example.com".into(),
            device_id: "DEV-2".into(),
            device_type: "easdav".into(),
            upstream_url: "https://upstream.invalid".into(),
        })
        .expect("second device");
    let bob = partnership(store, "bob");
    assert_eq!(
        store.partnerships_for_user("alice@example.com").expect("list"),
        vec![alice.clone(), second.clone()]
    );
    assert_eq!(store.list_partnerships().expect("list").len(), 3);
    assert_eq!(
        store.find_partnership("bob", "DEV-bob").expect("find"),
        Some(bob.clone())
    );
    assert_eq!(store.find_partnership("bob", "DEV-alice").expect("find"), None);
    assert_eq!(store.partnership(alice.id).expect("get"), Some(alice.clone()));

    let patch = PartnershipPatch {
        policy_key: Some(Some("3942919513".into())),
        protocol_version: Some(Some("16.1".into())),
        upstream_url: Some("https://redirected.invalid/Microsoft-Server-ActiveSync".into()),
        hierarchy_sync_key: Some("7".into()),
        policy_settings: Some(Some(r#"{"DevicePasswordEnabled":"1"}"#.into())),
    };
    let updated = store.update_partnership(alice.id, &patch).expect("update");
    assert_eq!(updated.policy_key.as_deref(), Some("3942919513"));
    assert_eq!(updated.protocol_version.as_deref(), Some("16.1"));
    assert_eq!(
        updated.upstream_url,
        "https://redirected.invalid/Microsoft-Server-ActiveSync"
    );
    assert_eq!(updated.hierarchy_sync_key, "7");
    assert_eq!(
        updated.policy_settings.as_deref(),
        Some(r#"{"DevicePasswordEnabled":"1"}"#)
    );
    // Clearing one nullable field leaves the others alone.
    let cleared = store
        .update_partnership(
            alice.id,
            &PartnershipPatch {
                policy_key: Some(None),
                ..PartnershipPatch::default()
            },
        )
        .expect("clear");
    assert_eq!(cleared.policy_key, None);
    assert_eq!(cleared.protocol_version.as_deref(), Some("16.1"));
    assert_eq!(
        store.partnership(bob.id).expect("get"),
        Some(bob.clone()),
        "other partnership untouched"
    );

    store
        .record_error(alice.id, Some("provision failed: status 142"))
        .expect("record error");
    let with_error = store.partnership(alice.id).expect("get").expect("exists");
    assert_eq!(with_error.last_error.as_deref(), Some("provision failed: status 142"));
    assert!(with_error.last_error_at.is_some());
    store.record_error(alice.id, None).expect("clear error");
    let cleared = store.partnership(alice.id).expect("get").expect("exists");
    assert_eq!((cleared.last_error, cleared.last_error_at), (None, None));

    let missing = crate::model::PartnershipId(alice.id.0 + 1000);
    assert!(matches!(
        store.record_error(missing, None),
        Err(StoreError::PartnershipNotFound(_))
    ));
    assert!(matches!(
        store.update_partnership(missing, &PartnershipPatch::default()),
        Err(StoreError::PartnershipNotFound(_))
    ));
    assert_eq!(store.partnership(missing).expect("get"), None);
}

pub(super) fn lock_blocks_writes(store: &dyn Store) {
    let p = partnership(store, "carol");
    let f = folder(store, &p, "1");
    fill(store, &f, "1", 2);
    store.lock_partnership(p.id, "operator request").expect("lock");
    let locked = store.partnership(p.id).expect("get").expect("exists");
    match &locked.lock {
        LockState::Locked { reason, wiped_at, .. } => {
            assert_eq!(reason, "operator request");
            assert_eq!(*wiped_at, None);
        }
        other => panic!("expected locked, got {other:?}"),
    }
    let write = store.apply_sync_page(f.id, &page(vec![upstream("1:9", "new.ics", "x")]));
    assert!(matches!(write, Err(StoreError::Locked(id)) if id == p.id), "{write:?}");
    assert!(matches!(
        store.create_folder(p.id, &super::new_folder("2", "Other")),
        Err(StoreError::Locked(_))
    ));
    let outbox = store.outbox_enqueue(&NewOutboxEntry {
        partnership_id: p.id,
        folder_id: Some(f.id),
        request: vec![1],
        sync_key: None,
        resource_name: None,
    });
    assert!(matches!(outbox, Err(StoreError::Locked(_))), "{outbox:?}");
    // Reads still work while locked (the DAV layer refuses access itself).
    assert_eq!(store.list_items(f.id).expect("list").len(), 2);

    store.unlock_partnership(p.id).expect("unlock");
    assert_eq!(
        store.partnership(p.id).expect("get").expect("exists").lock,
        LockState::Unlocked
    );
    store
        .apply_sync_page(f.id, &page(vec![upstream("1:9", "new.ics", "x")]))
        .expect("write after unlock");
    assert_eq!(store.list_items(f.id).expect("list").len(), 3);
}

pub(super) fn purge_removes_everything_and_locks(store: &dyn Store) {
    let p = partnership(store, "dave");
    let other = partnership(store, "erin");
    let cal = folder(store, &p, "1");
    let contacts = folder(store, &p, "2");
    let kept = folder(store, &other, "1");
    fill(store, &cal, "1", 3);
    fill(store, &contacts, "2", 2);
    fill(store, &kept, "1", 4);
    store
        .update_partnership(
            p.id,
            &PartnershipPatch {
                policy_key: Some(Some("123".into())),
                hierarchy_sync_key: Some("5".into()),
                ..PartnershipPatch::default()
            },
        )
        .expect("patch");
    let entry = NewOutboxEntry {
        partnership_id: p.id,
        folder_id: Some(cal.id),
        request: vec![1, 2],
        sync_key: Some("1".into()),
        resource_name: None,
    };
    store.outbox_enqueue(&entry).expect("enqueue");
    store
        .outbox_enqueue(&NewOutboxEntry {
            folder_id: None,
            ..entry
        })
        .expect("enqueue");
    let token = store.folder(cal.id).expect("get").expect("exists").change_seq;

    let report = store.purge_partnership(p.id, "remote wipe requested").expect("purge");
    assert_eq!((report.folders, report.items, report.outbox), (2, 5, 2));
    let after = store.partnership(p.id).expect("get").expect("partnership row survives");
    assert_eq!(after.hierarchy_sync_key, "0");
    assert_eq!(after.policy_key, None);
    match after.lock {
        LockState::Locked { reason, wiped_at, .. } => {
            assert_eq!(reason, "remote wipe requested");
            assert!(wiped_at.is_some());
        }
        other => panic!("expected locked, got {other:?}"),
    }
    assert!(store.list_folders(p.id).expect("list").is_empty());
    assert_eq!(store.folder(cal.id).expect("get"), None);
    assert!(store.outbox_pending(p.id).expect("pending").is_empty());
    assert!(matches!(
        store.changes_since(cal.id, Some(token), 10),
        Err(StoreError::FolderNotFound(FolderId(_)))
    ));
    assert_eq!(
        store.list_items(kept.id).expect("list").len(),
        4,
        "another user's mirror is untouched"
    );

    // After an operator unlock, the account can be mirrored again and old tokens stay invalid.
    store.unlock_partnership(p.id).expect("unlock");
    let again = store
        .create_folder(p.id, &super::new_folder("1", "Folder 1"))
        .expect("recreate");
    assert_eq!(again.collection_name, cal.collection_name);
    assert_ne!(again.id, cal.id);
    assert!(matches!(
        store.changes_since(again.id, Some(token), 10),
        Err(StoreError::InvalidSyncToken { .. })
    ));
}
