//! Outbox checks: the write-through lifecycle.

use super::{folder, partnership, upstream};
use crate::api::Store;
use crate::error::StoreError;
use crate::model::{NewOutboxEntry, OutboxId, OutboxState, SyncPage};

pub(super) fn outbox_lifecycle(store: &dyn Store) {
    let p = partnership(store, "alice");
    let q = partnership(store, "bob");
    let f = folder(store, &p, "1");
    let g = folder(store, &q, "1");
    let entry = |request: &[u8]| NewOutboxEntry {
        partnership_id: p.id,
        folder_id: Some(f.id),
        request: request.to_vec(),
        sync_key: Some("7".into()),
        resource_name: Some("a.ics".into()),
    };
    let a = store
        .outbox_enqueue(&entry(b"\x03\x01\x6a\x00request-a"))
        .expect("enqueue");
    assert_eq!(
        (a.state, a.attempts, a.last_attempt_at),
        (OutboxState::Pending, 0, None)
    );
    assert_eq!(a.request, b"\x03\x01\x6a\x00request-a");
    assert_eq!(
        (a.sync_key.as_deref(), a.resource_name.as_deref(), a.folder_id),
        (Some("7"), Some("a.ics"), Some(f.id))
    );
    let b = store.outbox_enqueue(&entry(b"request-b")).expect("enqueue");
    let c = store
        .outbox_enqueue(&NewOutboxEntry {
            folder_id: None,
            ..entry(b"folder-create")
        })
        .expect("enqueue");
    assert!(a.id < b.id && b.id < c.id);

    let sent = store.outbox_mark_sent(a.id).expect("sent");
    assert_eq!((sent.state, sent.attempts), (OutboxState::Sent, 1));
    assert!(sent.last_attempt_at.is_some());
    // Re-sending after a lost response counts another attempt with the same bytes and key.
    let resent = store.outbox_mark_sent(a.id).expect("resent");
    assert_eq!(
        (resent.attempts, resent.request.as_slice(), resent.sync_key.as_deref()),
        (2, &b"\x03\x01\x6a\x00request-a"[..], Some("7"))
    );

    let ids: Vec<_> = store
        .outbox_pending(p.id)
        .expect("pending")
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, [a.id, b.id, c.id]);
    assert!(store.outbox_pending(q.id).expect("pending").is_empty());

    store.outbox_ack(a.id).expect("ack");
    store.outbox_fail(b.id, "status 6: invalid item").expect("fail");
    assert_eq!(
        store.outbox_get(a.id).expect("get").expect("exists").state,
        OutboxState::Acked
    );
    let failed = store.outbox_get(b.id).expect("get").expect("exists");
    assert_eq!(
        (failed.state, failed.error.as_deref()),
        (OutboxState::Failed, Some("status 6: invalid item"))
    );
    let ids: Vec<_> = store
        .outbox_pending(p.id)
        .expect("pending")
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, [c.id]);
    assert!(
        matches!(store.outbox_mark_sent(a.id), Err(StoreError::Invalid(_))),
        "a finished entry is not sent again"
    );

    assert!(matches!(
        store.outbox_ack(OutboxId(c.id.0 + 100)),
        Err(StoreError::OutboxNotFound(_))
    ));
    assert!(matches!(
        store.outbox_mark_sent(OutboxId(c.id.0 + 100)),
        Err(StoreError::OutboxNotFound(_))
    ));
    assert_eq!(store.outbox_get(OutboxId(c.id.0 + 100)).expect("get"), None);
    let cross = store.outbox_enqueue(&NewOutboxEntry {
        folder_id: Some(g.id),
        ..entry(b"x")
    });
    assert!(matches!(cross, Err(StoreError::Invalid(_))), "{cross:?}");

    assert_eq!(store.outbox_prune_finished(i64::MAX).expect("prune"), 2);
    assert_eq!(store.outbox_get(a.id).expect("get"), None);
    assert!(
        store.outbox_get(c.id).expect("get").is_some(),
        "unfinished entries are never pruned"
    );
}

pub(super) fn outbox_ack_in_page(store: &dyn Store) {
    let p = partnership(store, "alice");
    let q = partnership(store, "bob");
    let f = folder(store, &p, "1");
    let entry = store
        .outbox_enqueue(&NewOutboxEntry {
            partnership_id: p.id,
            folder_id: Some(f.id),
            request: b"sync".to_vec(),
            sync_key: Some("0".into()),
            resource_name: Some("a.ics".into()),
        })
        .expect("enqueue");
    let other = store
        .outbox_enqueue(&NewOutboxEntry {
            partnership_id: q.id,
            folder_id: None,
            request: b"sync".to_vec(),
            sync_key: None,
            resource_name: None,
        })
        .expect("enqueue");
    store.outbox_mark_sent(entry.id).expect("sent");
    // Acknowledging another partnership's entry fails the whole page.
    let wrong = SyncPage {
        expected_sync_key: Some("0".into()),
        new_sync_key: Some("1".into()),
        changes: vec![upstream("1:1", "a.ics", "a")],
        ack_outbox: Some(other.id),
    };
    assert!(store.apply_sync_page(f.id, &wrong).is_err());
    assert!(store.list_items(f.id).expect("list").is_empty());

    let right = SyncPage {
        ack_outbox: Some(entry.id),
        ..wrong
    };
    store.apply_sync_page(f.id, &right).expect("page with ack");
    assert_eq!(
        store.outbox_get(entry.id).expect("get").expect("exists").state,
        OutboxState::Acked
    );
    assert_eq!(store.list_items(f.id).expect("list").len(), 1);
    assert_eq!(store.folder(f.id).expect("get").expect("exists").sync_key, "1");
    assert!(store.outbox_pending(p.id).expect("pending").is_empty());
}
