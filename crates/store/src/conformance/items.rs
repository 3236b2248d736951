//! Item checks: upserts, deletes, local writes, atomicity, lookups, resync reconciliation.

use super::{ctag, fill, folder, page, partnership, upstream};
use crate::api::Store;
use crate::error::StoreError;
use crate::etag;
use crate::model::{ChangeKind, Effect, ItemChange, LocalWrite, OutboxId, Precondition, SyncPage, UpstreamItem};

fn upstream_with(server_id: &str, name: &str, payload: &str, residue: Option<&str>, uid: &str) -> ItemChange {
    ItemChange::Upsert(UpstreamItem {
        server_id: server_id.into(),
        resource_name: name.into(),
        payload: payload.as_bytes().to_vec(),
        residue: residue.map(|r| r.as_bytes().to_vec()),
        uid: Some(uid.into()),
        rendered: Some(format!("rendered {payload}").into_bytes()),
    })
}

fn local(name: &str, server_id: &str, payload: &str, precondition: Precondition) -> ItemChange {
    ItemChange::Put(LocalWrite {
        resource_name: name.into(),
        server_id: server_id.into(),
        payload: payload.as_bytes().to_vec(),
        residue: b"X-RESIDUE".to_vec(),
        uid: Some(format!("uid-{name}")),
        rendered: None,
        precondition,
    })
}

pub(super) fn upsert_add_modify_unchanged(store: &dyn Store) {
    let p = partnership(store, "alice");
    let f = folder(store, &p, "1");
    let start = ctag(store, &f);
    let out = store
        .apply_sync_page(f.id, &page(vec![upstream_with("1:1", "a.ics", "v1", Some("r1"), "A")]))
        .expect("add");
    assert_eq!(out.applied[0].effect, Effect::Added);
    let etag1 = out.applied[0].etag.clone().expect("etag");
    assert_eq!(etag1, etag::compute(b"v1", b"r1"));
    assert_eq!(out.change_seq, start + 1);
    let item = store.item_by_resource(f.id, "a.ics").expect("get").expect("exists");
    assert_eq!(
        (item.payload.as_slice(), item.residue.as_slice(), item.uid.as_deref()),
        (&b"v1"[..], &b"r1"[..], Some("A"))
    );
    assert_eq!(item.rendered.as_deref(), Some(&b"rendered v1"[..]));

    // Same content: same ETag, no change-log entry, even if sent with a different name hint.
    let out = store
        .apply_sync_page(
            f.id,
            &page(vec![upstream_with("1:1", "other.ics", "v1", Some("r1"), "A")]),
        )
        .expect("same");
    assert_eq!(out.applied[0].effect, Effect::Unchanged);
    assert_eq!(out.applied[0].resource_name.as_deref(), Some("a.ics"));
    assert_eq!(out.change_seq, start + 1);

    // New payload, residue kept (None): new ETag over the old residue, rendered cache replaced.
    let change = ItemChange::Upsert(UpstreamItem {
        server_id: "1:1".into(),
        resource_name: "ignored.ics".into(),
        payload: b"v2".to_vec(),
        residue: None,
        uid: Some("A".into()),
        rendered: None,
    });
    let out = store.apply_sync_page(f.id, &page(vec![change])).expect("modify");
    assert_eq!(out.applied[0].effect, Effect::Modified);
    assert_eq!(out.applied[0].etag, Some(etag::compute(b"v2", b"r1")));
    let item = store.item_by_resource(f.id, "a.ics").expect("get").expect("exists");
    assert_eq!(
        (
            item.payload.as_slice(),
            item.residue.as_slice(),
            item.rendered.as_deref()
        ),
        (&b"v2"[..], &b"r1"[..], None)
    );
    let log = store.changes_since(f.id, Some(start), 100).expect("changes");
    assert_eq!(log.changes.len(), 1, "one row per resource: {log:?}");
    assert_eq!(
        (log.changes[0].kind, log.changes[0].seq),
        (ChangeKind::Modify, start + 2)
    );

    // A new residue alone changes the ETag too.
    let out = store
        .apply_sync_page(f.id, &page(vec![upstream_with("1:1", "a.ics", "v2", Some("r2"), "A")]))
        .expect("residue");
    assert_eq!(out.applied[0].effect, Effect::Modified);
    assert_eq!(out.applied[0].etag, Some(etag::compute(b"v2", b"r2")));
    assert!(matches!(
        store.apply_sync_page(f.id, &page(vec![upstream("1:2", "", "x")])),
        Err(StoreError::Invalid(_))
    ));
}

pub(super) fn upsert_resource_name_collisions(store: &dyn Store) {
    let p = partnership(store, "alice");
    let f = folder(store, &p, "1");
    let changes = vec![
        upstream("1:1", "same.ics", "a"),
        upstream("1:2", "same.ics", "b"),
        upstream("1:3", "same.ics", "c"),
        upstream("1:4", "noext", "d"),
        upstream("1:5", "noext", "e"),
    ];
    let out = store.apply_sync_page(f.id, &page(changes)).expect("apply");
    let names: Vec<_> = out
        .applied
        .iter()
        .map(|a| a.resource_name.clone().unwrap_or_default())
        .collect();
    assert_eq!(names, ["same.ics", "same-2.ics", "same-3.ics", "noext", "noext-2"]);
    assert_eq!(
        store
            .item_by_resource(f.id, "same-2.ics")
            .expect("get")
            .expect("exists")
            .server_id,
        "1:2"
    );
}

pub(super) fn delete_by_server_id(store: &dyn Store) {
    let p = partnership(store, "alice");
    let f = folder(store, &p, "1");
    fill(store, &f, "1", 3);
    let token = ctag(store, &f);
    let out = store
        .apply_sync_page(
            f.id,
            &page(vec![
                ItemChange::Delete {
                    server_id: "1:1".into(),
                },
                ItemChange::Delete {
                    server_id: "1:99".into(),
                },
            ]),
        )
        .expect("delete");
    assert_eq!(
        (out.applied[0].effect, out.applied[0].resource_name.as_deref()),
        (Effect::Deleted, Some("item-1.ics"))
    );
    assert_eq!(out.applied[0].etag, None);
    assert_eq!(out.applied[1].effect, Effect::Missing);
    assert_eq!(store.item_by_server_id(f.id, "1:1").expect("get"), None);
    assert_eq!(store.list_items(f.id).expect("list").len(), 2);
    let log = store.changes_since(f.id, Some(token), 10).expect("changes");
    assert_eq!(log.changes.len(), 1);
    assert_eq!(
        (log.changes[0].resource_name.as_str(), log.changes[0].kind),
        ("item-1.ics", ChangeKind::Delete)
    );
}

pub(super) fn local_writes_and_preconditions(store: &dyn Store) {
    let p = partnership(store, "alice");
    let f = folder(store, &p, "1");
    let out = store
        .apply_sync_page(
            f.id,
            &page(vec![local("mine.ics", "1:10", "v1", Precondition::MustNotExist)]),
        )
        .expect("create");
    assert_eq!(out.applied[0].effect, Effect::Added);
    let etag1 = out.applied[0].etag.clone().expect("etag");
    assert_eq!(etag1, etag::compute(b"v1", b"X-RESIDUE"));

    let again = store.apply_sync_page(
        f.id,
        &page(vec![local("mine.ics", "1:10", "v1", Precondition::MustNotExist)]),
    );
    match again {
        Err(StoreError::PreconditionFailed { resource_name, current }) => {
            assert_eq!(
                (resource_name.as_str(), current.as_deref()),
                ("mine.ics", Some(etag1.as_str()))
            );
        }
        other => panic!("expected precondition failure, got {other:?}"),
    }
    let wrong = store.apply_sync_page(
        f.id,
        &page(vec![local(
            "mine.ics",
            "1:10",
            "v2",
            Precondition::IfMatch("nope".into()),
        )]),
    );
    assert!(matches!(wrong, Err(StoreError::PreconditionFailed { .. })), "{wrong:?}");
    let missing = store.apply_sync_page(
        f.id,
        &page(vec![local(
            "none.ics",
            "1:11",
            "v",
            Precondition::IfMatch(etag1.clone()),
        )]),
    );
    assert!(
        matches!(missing, Err(StoreError::PreconditionFailed { current: None, .. })),
        "{missing:?}"
    );

    let out = store
        .apply_sync_page(
            f.id,
            &page(vec![local(
                "mine.ics",
                "1:10",
                "v2",
                Precondition::IfMatch(etag1.clone()),
            )]),
        )
        .expect("update");
    assert_eq!(out.applied[0].effect, Effect::Modified);
    let etag2 = out.applied[0].etag.clone().expect("etag");
    let out = store
        .apply_sync_page(f.id, &page(vec![local("mine.ics", "1:10", "v2", Precondition::None)]))
        .expect("same");
    assert_eq!(out.applied[0].effect, Effect::Unchanged);

    // Upstream delivered the item under a generated name first: the client's name wins.
    store
        .apply_sync_page(f.id, &page(vec![upstream("1:20", "generated.ics", "g")]))
        .expect("upstream add");
    let token = ctag(store, &f);
    store
        .apply_sync_page(
            f.id,
            &page(vec![local("chosen.ics", "1:20", "g", Precondition::MustNotExist)]),
        )
        .expect("put");
    assert_eq!(store.item_by_resource(f.id, "generated.ics").expect("get"), None);
    assert_eq!(
        store
            .item_by_server_id(f.id, "1:20")
            .expect("get")
            .expect("exists")
            .resource_name,
        "chosen.ics"
    );
    let kinds: Vec<_> = store
        .changes_since(f.id, Some(token), 10)
        .expect("log")
        .changes
        .into_iter()
        .map(|c| (c.resource_name, c.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("generated.ics".to_string(), ChangeKind::Delete),
            ("chosen.ics".to_string(), ChangeKind::Add)
        ]
    );

    let remove = |pre| ItemChange::Remove {
        resource_name: "mine.ics".into(),
        precondition: pre,
    };
    let bad = store.apply_sync_page(f.id, &page(vec![remove(Precondition::IfMatch(etag1.clone()))]));
    assert!(matches!(bad, Err(StoreError::PreconditionFailed { .. })), "{bad:?}");
    let out = store
        .apply_sync_page(f.id, &page(vec![remove(Precondition::IfMatch(etag2))]))
        .expect("remove");
    assert_eq!(out.applied[0].effect, Effect::Deleted);
    let out = store
        .apply_sync_page(f.id, &page(vec![remove(Precondition::None)]))
        .expect("remove again");
    assert_eq!(out.applied[0].effect, Effect::Missing);
}

pub(super) fn failed_page_applies_nothing(store: &dyn Store) {
    let p = partnership(store, "alice");
    let f = folder(store, &p, "1");
    fill(store, &f, "1", 3);
    store.set_sync_key(f.id, "5").expect("key");
    let before_items = store.list_items(f.id).expect("list");
    let before = store.folder(f.id).expect("get").expect("exists");

    let failing_pages = [
        // An invalid change after valid ones.
        vec![
            upstream("1:50", "new.ics", "n"),
            upstream("1:0", "x.ics", "changed"),
            ItemChange::Delete {
                server_id: "1:1".into(),
            },
            upstream("", "bad.ics", "b"),
        ],
        // A failed precondition after valid ones.
        vec![
            upstream("1:51", "new2.ics", "n"),
            local("item-2.ics", "1:2", "z", Precondition::MustNotExist),
        ],
    ];
    for changes in failing_pages {
        let result = store.apply_sync_page(
            f.id,
            &SyncPage {
                new_sync_key: Some("6".into()),
                changes,
                ..SyncPage::default()
            },
        );
        assert!(result.is_err(), "page must fail");
    }
    // An unknown outbox acknowledgement also rolls the page back.
    let ack = SyncPage {
        new_sync_key: Some("6".into()),
        changes: vec![upstream("1:52", "n3.ics", "n")],
        ack_outbox: Some(OutboxId(987_654)),
        ..SyncPage::default()
    };
    assert!(matches!(
        store.apply_sync_page(f.id, &ack),
        Err(StoreError::OutboxNotFound(_))
    ));

    assert_eq!(store.list_items(f.id).expect("list"), before_items);
    assert_eq!(store.folder(f.id).expect("get").expect("exists"), before);
    assert!(store
        .changes_since(f.id, Some(before.change_seq), 10)
        .expect("log")
        .changes
        .is_empty());
}

pub(super) fn sync_key_compare_and_set(store: &dyn Store) {
    let p = partnership(store, "alice");
    let f = folder(store, &p, "1");
    let first = SyncPage {
        expected_sync_key: Some("0".into()),
        new_sync_key: Some("1".into()),
        changes: vec![upstream("1:1", "a.ics", "a")],
        ack_outbox: None,
    };
    store.apply_sync_page(f.id, &first).expect("first page");
    let after = store.folder(f.id).expect("get").expect("exists");
    assert_eq!(after.sync_key, "1");
    assert!(after.last_sync_at.is_some());
    // Replaying the same page (same expected key) fails and applies nothing.
    match store.apply_sync_page(f.id, &first) {
        Err(StoreError::SyncKeyMismatch { expected, stored }) => {
            assert_eq!((expected.as_str(), stored.as_str()), ("0", "1"))
        }
        other => panic!("expected mismatch, got {other:?}"),
    }
    // A page without a new key leaves key and time alone.
    store
        .apply_sync_page(f.id, &page(vec![upstream("1:2", "b.ics", "b")]))
        .expect("no key");
    let later = store.folder(f.id).expect("get").expect("exists");
    assert_eq!((later.sync_key.as_str(), later.last_sync_at), ("1", after.last_sync_at));
    let missing = store.apply_sync_page(crate::model::FolderId(f.id.0 + 100), &page(vec![]));
    assert!(matches!(missing, Err(StoreError::FolderNotFound(_))));
}

pub(super) fn lookups(store: &dyn Store) {
    let p = partnership(store, "alice");
    let f = folder(store, &p, "1");
    let g = folder(store, &p, "2");
    store
        .apply_sync_page(
            f.id,
            &page(vec![
                upstream_with("1:1", "b.ics", "1", None, "U1"),
                upstream_with("1:2", "a.ics", "2", None, "U2"),
                upstream_with("1:3", "c.ics", "3", None, "U1"),
            ]),
        )
        .expect("fill");
    store
        .apply_sync_page(g.id, &page(vec![upstream_with("2:1", "b.ics", "other", None, "U1")]))
        .expect("fill g");

    let by_name = store.item_by_resource(f.id, "b.ics").expect("get").expect("exists");
    assert_eq!((by_name.server_id.as_str(), by_name.folder_id), ("1:1", f.id));
    assert_eq!(
        store
            .item_by_server_id(f.id, "1:2")
            .expect("get")
            .expect("exists")
            .resource_name,
        "a.ics"
    );
    assert_eq!(
        store.item_by_server_id(f.id, "2:1").expect("get"),
        None,
        "lookups are per folder"
    );
    let uids: Vec<_> = store
        .items_by_uid(f.id, "U1")
        .expect("uid")
        .into_iter()
        .map(|s| s.resource_name)
        .collect();
    assert_eq!(uids, ["b.ics", "c.ics"]);
    assert!(store.items_by_uid(f.id, "U9").expect("uid").is_empty());

    let list = store.list_items(f.id).expect("list");
    assert_eq!(
        list.iter().map(|s| s.resource_name.as_str()).collect::<Vec<_>>(),
        ["a.ics", "b.ics", "c.ics"]
    );
    assert_eq!(list[1].etag, by_name.etag);
    assert_eq!(list[1].rendered_len, Some("rendered 1".len() as i64));

    let names = vec!["c.ics".to_string(), "missing.ics".to_string(), "a.ics".to_string()];
    let got: Vec<_> = store
        .get_items(f.id, &names)
        .expect("multiget")
        .into_iter()
        .map(|i| i.resource_name)
        .collect();
    assert_eq!(got, ["c.ics", "a.ics"]);

    assert!(store
        .set_rendered(f.id, "a.ics", &list[0].etag, b"NEW")
        .expect("render"));
    assert_eq!(
        store
            .item_by_resource(f.id, "a.ics")
            .expect("get")
            .expect("exists")
            .rendered
            .as_deref(),
        Some(&b"NEW"[..])
    );
    assert!(!store
        .set_rendered(f.id, "a.ics", "stale", b"OLD")
        .expect("stale render"));
    assert_eq!(
        store
            .item_by_resource(f.id, "a.ics")
            .expect("get")
            .expect("exists")
            .rendered
            .as_deref(),
        Some(&b"NEW"[..])
    );
}

pub(super) fn resync_keeps_names_and_etags(store: &dyn Store) {
    let p = partnership(store, "alice");
    let f = folder(store, &p, "1");
    fill(store, &f, "1", 10);
    store.set_sync_key(f.id, "33").expect("key");
    let before = store.list_items(f.id).expect("list");
    let token = ctag(store, &f);

    store.begin_resync(f.id).expect("begin");
    let during = store.folder(f.id).expect("get").expect("exists");
    assert_eq!((during.sync_key.as_str(), during.resyncing), ("0", true));
    assert_eq!(
        store.list_items(f.id).expect("list"),
        before,
        "items stay readable during a resync"
    );

    // Upstream resends items 0..=8 over two pages (item 4 changed); item 9 is gone; item 10 is new.
    let page1: Vec<_> = (0..5)
        .map(|i| {
            upstream(
                &format!("1:{i}"),
                &format!("fresh-{i}.ics"),
                &if i == 4 { "changed".to_string() } else { format!("p{i}") },
            )
        })
        .collect();
    let page2: Vec<_> = (5..9)
        .map(|i| upstream(&format!("1:{i}"), &format!("fresh-{i}.ics"), &format!("p{i}")))
        .chain([upstream("1:10", "item-10.ics", "p10")])
        .collect();
    let out1 = store
        .apply_sync_page(
            f.id,
            &SyncPage {
                expected_sync_key: Some("0".into()),
                new_sync_key: Some("1".into()),
                changes: page1,
                ack_outbox: None,
            },
        )
        .expect("page 1");
    let out2 = store
        .apply_sync_page(
            f.id,
            &SyncPage {
                expected_sync_key: Some("1".into()),
                new_sync_key: Some("2".into()),
                changes: page2,
                ack_outbox: None,
            },
        )
        .expect("page 2");
    let effects: Vec<_> = out1.applied.iter().chain(&out2.applied).map(|a| a.effect).collect();
    assert_eq!(effects.iter().filter(|e| **e == Effect::Unchanged).count(), 8);
    assert_eq!(effects.iter().filter(|e| **e == Effect::Modified).count(), 1);
    assert_eq!(effects.iter().filter(|e| **e == Effect::Added).count(), 1);
    assert_eq!(store.finish_resync(f.id).expect("finish"), 1);
    let done = store.folder(f.id).expect("get").expect("exists");
    assert_eq!((done.sync_key.as_str(), done.resyncing), ("2", false));

    let after = store.list_items(f.id).expect("list");
    for old in &before {
        if old.server_id == "1:9" {
            assert!(after.iter().all(|a| a.server_id != "1:9"));
            continue;
        }
        let new = after
            .iter()
            .find(|a| a.server_id == old.server_id)
            .expect("item survives");
        assert_eq!(new.resource_name, old.resource_name, "resource names are kept");
        if old.server_id != "1:4" {
            assert_eq!(new.etag, old.etag, "unchanged content keeps its ETag");
        } else {
            assert_ne!(new.etag, old.etag);
        }
    }
    let mut log: Vec<_> = store
        .changes_since(f.id, Some(token), 100)
        .expect("log")
        .changes
        .into_iter()
        .map(|c| (c.resource_name, c.kind))
        .collect();
    log.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        log,
        [
            ("item-10.ics".into(), ChangeKind::Add),
            ("item-4.ics".into(), ChangeKind::Modify),
            ("item-9.ics".into(), ChangeKind::Delete)
        ]
    );

    // A second resync with identical content produces no change at all.
    let seq = ctag(store, &f);
    store.begin_resync(f.id).expect("begin");
    let all: Vec<_> = store
        .list_items(f.id)
        .expect("list")
        .into_iter()
        .map(|s| {
            let item = store
                .item_by_resource(f.id, &s.resource_name)
                .expect("get")
                .expect("exists");
            ItemChange::Upsert(UpstreamItem {
                server_id: item.server_id,
                resource_name: "x.ics".into(),
                payload: item.payload,
                residue: None,
                uid: item.uid,
                rendered: None,
            })
        })
        .collect();
    store.apply_sync_page(f.id, &page(all)).expect("resend");
    assert_eq!(store.finish_resync(f.id).expect("finish"), 0);
    assert_eq!(ctag(store, &f), seq);
}

pub(super) fn resync_adopts_changed_server_ids_by_uid(store: &dyn Store) {
    let p = partnership(store, "alice");
    let f = folder(store, &p, "1");
    fill(store, &f, "1", 3);
    let before = store.list_items(f.id).expect("list");
    let token = ctag(store, &f);
    store.begin_resync(f.id).expect("begin");
    // Same objects (same UIDs and content) under new server ids.
    let changes: Vec<_> = (0..3)
        .map(|i| upstream(&format!("9:{i}"), &format!("item-{i}.ics"), &format!("p{i}")))
        .collect();
    let out = store.apply_sync_page(f.id, &page(changes)).expect("page");
    assert!(out.applied.iter().all(|a| a.effect == Effect::Unchanged), "{out:?}");
    assert_eq!(store.finish_resync(f.id).expect("finish"), 0);
    let after = store.list_items(f.id).expect("list");
    assert_eq!(after.len(), 3);
    for (old, new) in before.iter().zip(&after) {
        assert_eq!((&old.resource_name, &old.etag), (&new.resource_name, &new.etag));
        assert!(new.server_id.starts_with("9:"));
    }
    assert!(store
        .changes_since(f.id, Some(token), 10)
        .expect("log")
        .changes
        .is_empty());
    // Outside a resync, a new server id with a known UID is a new item (no adoption).
    let out = store
        .apply_sync_page(f.id, &page(vec![upstream("8:0", "item-0.ics", "p0")]))
        .expect("page");
    assert_eq!(out.applied[0].effect, Effect::Added);
}
