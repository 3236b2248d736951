//! Model-based check of the change log: a DAV-like client that follows `changes_since` with random
//! limits, interleaved with random upstream pages, resyncs and tombstone pruning, always converges to
//! exactly the stored items with their ETags.

use std::collections::BTreeMap;

use proptest::prelude::*;
use store::{
    Folder, ItemChange, NewFolder, NewPartnership, SqliteConfig, SqliteStore, Store, StoreError, SyncPage, UpstreamItem,
};

#[derive(Debug, Clone)]
enum Op {
    /// Upstream pages: (server id, Some(payload) = upsert, None = delete).
    Page(Vec<(u8, Option<u8>)>),
    /// A resync from key 0 that resends the given server ids (payloads as given).
    Resync(Vec<(u8, u8)>),
    /// A client sync with this limit.
    ClientSync(usize),
    /// Prune every tombstone.
    Prune,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => prop::collection::vec((0u8..24, prop::option::weighted(0.8, 0u8..3)), 1..12).prop_map(Op::Page),
        1 => prop::collection::vec((0u8..24, 0u8..3), 0..20).prop_map(Op::Resync),
        3 => (1usize..8).prop_map(Op::ClientSync),
        1 => Just(Op::Prune),
    ]
}

struct Client {
    token: Option<i64>,
    items: BTreeMap<String, String>,
    full_resyncs: usize,
}

impl Client {
    fn sync(&mut self, store: &dyn Store, f: &Folder, limit: usize) {
        for _ in 0..10_000 {
            let page = match store.changes_since(f.id, self.token, limit) {
                Ok(page) => page,
                Err(StoreError::InvalidSyncToken { .. }) => {
                    // RFC 6578: start over with an initial sync.
                    self.token = None;
                    self.items.clear();
                    self.full_resyncs += 1;
                    continue;
                }
                Err(e) => panic!("changes_since: {e}"),
            };
            for change in &page.changes {
                match store.item_by_resource(f.id, &change.resource_name).expect("get") {
                    Some(item) => {
                        self.items.insert(item.resource_name, item.etag);
                    }
                    None => {
                        self.items.remove(&change.resource_name);
                    }
                }
            }
            self.token = Some(page.new_seq);
            if !page.more {
                return;
            }
        }
        panic!("client sync did not terminate");
    }
}

fn upsert(sid: u8, payload: u8) -> ItemChange {
    ItemChange::Upsert(UpstreamItem {
        server_id: format!("1:{sid}"),
        resource_name: format!("item-{sid}.ics"),
        payload: vec![payload; 10],
        residue: None,
        uid: Some(format!("uid-{sid}")),
        rendered: None,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn client_following_the_change_log_converges(ops in prop::collection::vec(op(), 1..40)) {
        let store = SqliteStore::open_in_memory(SqliteConfig::default()).expect("open");
        let p = store
            .create_partnership(&NewPartnership {
                user_name: "u".into(),
                device_id: "d".into(),
                device_type: "t".into(),
                upstream_url: "x".into(),
            })
            .expect("partnership");
        let f = store
            .create_folder(p.id, &NewFolder {
                server_id: "1".into(),
                parent_server_id: None,
                folder_type: 8,
                display_name: "Cal".into(),
                collection_name: None,
            })
            .expect("folder");
        let mut client = Client { token: None, items: BTreeMap::new(), full_resyncs: 0 };
        let mut prunes = 0usize;
        for op in ops {
            match op {
                Op::Page(changes) => {
                    let changes = changes
                        .into_iter()
                        .map(|(sid, payload)| match payload {
                            Some(payload) => upsert(sid, payload),
                            None => ItemChange::Delete { server_id: format!("1:{sid}") },
                        })
                        .collect();
                    store.apply_sync_page(f.id, &SyncPage { changes, ..SyncPage::default() }).expect("page");
                }
                Op::Resync(items) => {
                    store.begin_resync(f.id).expect("begin");
                    let changes = items.into_iter().map(|(sid, payload)| upsert(sid, payload)).collect();
                    store.apply_sync_page(f.id, &SyncPage { changes, ..SyncPage::default() }).expect("page");
                    store.finish_resync(f.id).expect("finish");
                }
                Op::ClientSync(limit) => client.sync(&store, &f, limit),
                Op::Prune => {
                    store.prune_tombstones(i64::MAX).expect("prune");
                    prunes += 1;
                }
            }
        }
        client.sync(&store, &f, 5);
        let stored: BTreeMap<String, String> =
            store.list_items(f.id).expect("list").into_iter().map(|s| (s.resource_name, s.etag)).collect();
        prop_assert_eq!(&client.items, &stored);
        // A client only restarts from scratch when tombstones were pruned.
        prop_assert!(client.full_resyncs <= prunes);
    }
}
