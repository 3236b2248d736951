//! Change-log checks: RFC 6578 semantics, limits and continuation, tombstone horizon.

use std::collections::BTreeMap;

use super::{ctag, fill, folder, page, partnership, upstream};
use crate::api::Store;
use crate::error::StoreError;
use crate::model::{ChangeKind, Folder, ItemChange};

pub(super) fn changes_since_basics(store: &dyn Store) {
    let p = partnership(store, "alice");
    let f = folder(store, &p, "1");
    let empty = store.changes_since(f.id, None, 10).expect("initial on empty");
    assert_eq!(
        (empty.changes.len(), empty.new_seq, empty.more),
        (0, f.change_seq, false)
    );
    assert!(store
        .changes_since(f.id, Some(f.change_seq), 10)
        .expect("token of empty folder")
        .changes
        .is_empty());

    fill(store, &f, "1", 4);
    let t1 = ctag(store, &f);
    store
        .apply_sync_page(
            f.id,
            &page(vec![
                upstream("1:0", "x", "changed"),
                upstream("1:0", "x", "changed again"),
                ItemChange::Delete {
                    server_id: "1:1".into(),
                },
                upstream("1:9", "new.ics", "n"),
            ]),
        )
        .expect("changes");
    let t2 = ctag(store, &f);
    assert_eq!(t2, t1 + 4, "every logged change takes one sequence number");

    // Initial listing: live resources only, each once, ordered by sequence.
    let initial = store.changes_since(f.id, None, 100).expect("initial");
    let names: Vec<_> = initial.changes.iter().map(|c| c.resource_name.as_str()).collect();
    assert_eq!(names, ["item-2.ics", "item-3.ics", "item-0.ics", "new.ics"]);
    assert!(initial.changes.iter().all(|c| c.kind != ChangeKind::Delete));
    assert_eq!((initial.new_seq, initial.more), (t2, false));

    // Since t1: one entry per resource with its newest kind, including the tombstone.
    let delta = store.changes_since(f.id, Some(t1), 100).expect("delta");
    let got: Vec<_> = delta
        .changes
        .iter()
        .map(|c| (c.resource_name.as_str(), c.kind))
        .collect();
    assert_eq!(
        got,
        [
            ("item-0.ics", ChangeKind::Modify),
            ("item-1.ics", ChangeKind::Delete),
            ("new.ics", ChangeKind::Add)
        ]
    );
    assert!(delta.changes.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(delta.new_seq, t2);
    assert!(store
        .changes_since(f.id, Some(t2), 100)
        .expect("up to date")
        .changes
        .is_empty());

    // A deleted then recreated resource shows up as present.
    store
        .apply_sync_page(f.id, &page(vec![upstream("1:77", "item-1.ics", "again")]))
        .expect("recreate");
    let last = store.changes_since(f.id, Some(t2), 100).expect("delta");
    assert_eq!(last.changes.len(), 1);
    assert_eq!(
        (last.changes[0].resource_name.as_str(), last.changes[0].kind),
        ("item-1.ics", ChangeKind::Add)
    );

    // Tokens from the future or before the folder existed are invalid.
    for bad in [t2 + 100, f.change_seq - 1, -5] {
        match store.changes_since(f.id, Some(bad), 10) {
            Err(StoreError::InvalidSyncToken { folder, seq, .. }) => assert_eq!((folder, seq), (f.id, bad)),
            other => panic!("token {bad}: expected invalid, got {other:?}"),
        }
    }
}

/// Follows continuation tokens until `more` is false; returns the newest kind per resource.
fn drain(
    store: &dyn Store,
    f: &Folder,
    since: Option<i64>,
    limit: usize,
) -> (BTreeMap<String, ChangeKind>, i64, usize) {
    let mut seen = BTreeMap::new();
    let mut token = since;
    for pages in 1..=1000 {
        let page = store.changes_since(f.id, token, limit).expect("page");
        assert!(page.changes.len() <= limit.max(1), "limit honoured");
        for c in page.changes {
            seen.insert(c.resource_name, c.kind);
        }
        token = Some(page.new_seq);
        if !page.more {
            return (seen, page.new_seq, pages);
        }
    }
    panic!("continuation did not terminate");
}

pub(super) fn changes_since_limit_and_continuation(store: &dyn Store) {
    let p = partnership(store, "alice");
    let f = folder(store, &p, "1");
    fill(store, &f, "1", 25);
    let (all, token, pages) = drain(store, &f, None, 10);
    assert_eq!((all.len(), pages), (25, 3));
    assert_eq!(token, ctag(store, &f));

    // Changes made between continuation pages are not lost.
    let t0 = token;
    store
        .apply_sync_page(
            f.id,
            &page((0..12).map(|i| upstream(&format!("1:{i}"), "x", "v2")).collect()),
        )
        .expect("modify");
    let first = store.changes_since(f.id, Some(t0), 5).expect("first page");
    assert!(first.more);
    assert_eq!(first.new_seq, first.changes.last().expect("non-empty").seq);
    // Meanwhile: delete one already reported, modify one reported, add one.
    let reported = first.changes[0].resource_name.clone();
    let reported_sid = store
        .item_by_resource(f.id, &reported)
        .expect("get")
        .expect("exists")
        .server_id;
    store
        .apply_sync_page(
            f.id,
            &page(vec![
                ItemChange::Delete {
                    server_id: reported_sid,
                },
                upstream("1:20", "x", "v3"),
                upstream("1:100", "late.ics", "l"),
            ]),
        )
        .expect("interleaved");
    let (rest, end, _) = drain(store, &f, Some(first.new_seq), 5);
    assert_eq!(end, ctag(store, &f));
    assert_eq!(rest.get(&reported), Some(&ChangeKind::Delete));
    assert_eq!(rest.get("item-20.ics"), Some(&ChangeKind::Modify));
    assert_eq!(rest.get("late.ics"), Some(&ChangeKind::Add));
    let mut union: BTreeMap<String, ChangeKind> = first
        .changes
        .iter()
        .map(|c| (c.resource_name.clone(), c.kind))
        .collect();
    union.extend(rest);
    // Every modified item (0..12) is reported.
    for i in 0..12 {
        assert!(union.contains_key(&format!("item-{i}.ics")), "item-{i}.ics lost");
    }
    // A limit of zero is treated as one and still makes progress.
    let (_, _, pages) = drain(store, &f, Some(t0), 0);
    assert!(pages > 1);
}

/// Waits (bounded) until the wall clock has moved past `at`.
fn wait_past(at: i64) {
    for _ in 0..2000 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        if now > at {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    panic!("clock did not advance");
}

pub(super) fn tombstone_horizon(store: &dyn Store) {
    let p = partnership(store, "alice");
    let f = folder(store, &p, "1");
    fill(store, &f, "1", 6);
    let t_before = ctag(store, &f);
    store
        .apply_sync_page(
            f.id,
            &page(vec![
                ItemChange::Delete {
                    server_id: "1:0".into(),
                },
                ItemChange::Delete {
                    server_id: "1:1".into(),
                },
            ]),
        )
        .expect("delete a");
    let t_mid = ctag(store, &f);
    let old_at = store
        .changes_since(f.id, Some(t_before), 10)
        .expect("log")
        .changes
        .iter()
        .map(|c| c.at)
        .max()
        .expect("tombstones");
    wait_past(old_at);
    store
        .apply_sync_page(
            f.id,
            &page(vec![ItemChange::Delete {
                server_id: "1:2".into(),
            }]),
        )
        .expect("delete b");

    // The default horizon keeps fresh tombstones.
    assert_eq!(store.prune_expired_tombstones(old_at + 1).expect("prune expired"), 0);
    assert!(store.tombstone_horizon() > std::time::Duration::ZERO);

    assert_eq!(store.prune_tombstones(old_at + 1).expect("prune"), 2);
    let after = store.folder(f.id).expect("get").expect("exists");
    assert_eq!(after.oldest_seq, t_mid);
    assert!(matches!(
        store.changes_since(f.id, Some(t_before), 10),
        Err(StoreError::InvalidSyncToken { .. })
    ));
    let valid = store
        .changes_since(f.id, Some(t_mid), 10)
        .expect("token at the horizon is valid");
    let got: Vec<_> = valid
        .changes
        .iter()
        .map(|c| (c.resource_name.as_str(), c.kind))
        .collect();
    assert_eq!(got, [("item-2.ics", ChangeKind::Delete)]);
    // Live items are never pruned.
    assert_eq!(store.changes_since(f.id, None, 100).expect("initial").changes.len(), 3);
    assert_eq!(store.prune_tombstones(old_at + 1).expect("prune again"), 0);
    assert_eq!(store.prune_tombstones(i64::MAX).expect("prune all"), 1);
    assert_eq!(
        store.folder(f.id).expect("get").expect("exists").oldest_seq,
        ctag(store, &f)
    );
}

pub(super) fn initial_listing_after_prune(store: &dyn Store) {
    let p = partnership(store, "alice");
    let f = folder(store, &p, "1");
    fill(store, &f, "1", 8);
    store
        .apply_sync_page(
            f.id,
            &page(vec![ItemChange::Delete {
                server_id: "1:7".into(),
            }]),
        )
        .expect("delete");
    assert_eq!(store.prune_tombstones(i64::MAX).expect("prune"), 1);
    fill(store, &f, "2", 0);
    store
        .apply_sync_page(
            f.id,
            &page(vec![
                upstream("2:1", "late-1.ics", "a"),
                upstream("2:2", "late-2.ics", "b"),
            ]),
        )
        .expect("more");
    // The 7 live items older than the horizon come in one page, so the continuation token is valid.
    let first = store.changes_since(f.id, None, 3).expect("initial page");
    assert_eq!(first.changes.len(), 7);
    assert!(first.more);
    let (rest, _, _) = drain(store, &f, Some(first.new_seq), 3);
    let rest: Vec<_> = rest.into_iter().collect();
    assert_eq!(
        rest,
        [
            ("late-1.ics".to_string(), ChangeKind::Add),
            ("late-2.ics".to_string(), ChangeKind::Add)
        ]
    );
}
