//! Store benchmarks, each with a baseline measured in the same run.
//!
//! - `insert_10k`: 10,000 upstream items (1.5 KB payload each) in pages of 512, one transaction per
//!   page, through `apply_sync_page` (ETag hashing, change log, sync key) against a plain SQLite
//!   insert loop into an equivalent items table without change log (same pragmas, same pages).
//! - `changes_since_10k`: initial listing of 10,000 resources, paged listing (limit 1,000) and an
//!   incremental query of the last 100 changes.
//! - `lookups`: single-item reads by resource name, server id and UID, a 100-item multiget and a
//!   10,000-item listing, against a plain primary-key SELECT.
//!
//! Run with `cargo bench -p store --bench store`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rusqlite::{params, Connection};
use store::{
    Durability, Folder, ItemChange, NewFolder, NewPartnership, SqliteConfig, SqliteStore, Store, SyncPage, UpstreamItem,
};
use tempfile::TempDir;

const ITEMS: usize = 10_000;
const PAGE: usize = 512;
const PAYLOAD: usize = 1_500;

fn payload(i: usize) -> Vec<u8> {
    let mut p = vec![b'x'; PAYLOAD];
    p[..8].copy_from_slice(&(i as u64).to_be_bytes());
    p
}

fn pages() -> Vec<SyncPage> {
    let items: Vec<usize> = (0..ITEMS).collect();
    items
        .chunks(PAGE)
        .enumerate()
        .map(|(n, chunk)| SyncPage {
            expected_sync_key: Some(n.to_string()),
            new_sync_key: Some((n + 1).to_string()),
            changes: chunk
                .iter()
                .map(|&i| {
                    ItemChange::Upsert(UpstreamItem {
                        server_id: format!("1:{i}"),
                        resource_name: format!("event-{i}.ics"),
                        payload: payload(i),
                        residue: None,
                        uid: Some(format!("uid-{i}")),
                        rendered: None,
                    })
                })
                .collect(),
            ack_outbox: None,
        })
        .collect()
}

fn fresh(durability: Durability) -> (TempDir, SqliteStore, Folder) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = SqliteConfig {
        durability,
        ..SqliteConfig::default()
    };
    let store = SqliteStore::open(dir.path().join("bench.sqlite3"), config).expect("open");
    let p = store
        .create_partnership(&NewPartnership {
            user_name: "bench".into(),
            device_id: "D".into(),
            device_type: "t".into(),
            upstream_url: "u".into(),
        })
        .expect("partnership");
    let f = store
        .create_folder(
            p.id,
            &NewFolder {
                server_id: "1".into(),
                parent_server_id: None,
                folder_type: 8,
                display_name: "Calendar".into(),
                collection_name: None,
            },
        )
        .expect("folder");
    (dir, store, f)
}

fn plain_sqlite() -> (TempDir, Connection) {
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = Connection::open(dir.path().join("plain.sqlite3")).expect("open");
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
         CREATE TABLE items (id INTEGER PRIMARY KEY, folder_id INTEGER NOT NULL, server_id TEXT NOT NULL,
           resource_name TEXT NOT NULL, etag TEXT NOT NULL, payload BLOB NOT NULL, uid TEXT,
           UNIQUE (folder_id, resource_name), UNIQUE (folder_id, server_id));",
    )
    .expect("schema");
    (dir, conn)
}

fn plain_insert(conn: &mut Connection) {
    let items: Vec<usize> = (0..ITEMS).collect();
    for chunk in items.chunks(PAGE) {
        let tx = conn.transaction().expect("tx");
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO items (folder_id, server_id, resource_name, etag, payload, uid) \
                     VALUES (1, ?1, ?2, 'etag', ?3, ?4)",
                )
                .expect("prepare");
            for &i in chunk {
                stmt.execute(params![
                    format!("1:{i}"),
                    format!("event-{i}.ics"),
                    payload(i),
                    format!("uid-{i}")
                ])
                .expect("insert");
            }
        }
        tx.commit().expect("commit");
    }
}

fn insert(c: &mut Criterion) {
    let mut group = c.benchmark_group("insert_10k");
    group.sample_size(10);
    let pages = pages();
    group.bench_function("baseline_plain_sqlite_insert", |b| {
        b.iter_batched(
            plain_sqlite,
            |(_dir, mut conn)| plain_insert(&mut conn),
            BatchSize::PerIteration,
        )
    });
    for (name, durability) in [
        ("apply_sync_page_full", Durability::Full),
        ("apply_sync_page_normal", Durability::Normal),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || fresh(durability),
                |(_dir, store, f)| {
                    for page in &pages {
                        store.apply_sync_page(f.id, page).expect("apply");
                    }
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn filled() -> (TempDir, SqliteStore, Folder) {
    let (dir, store, f) = fresh(Durability::Full);
    for page in &pages() {
        store.apply_sync_page(f.id, page).expect("apply");
    }
    (dir, store, f)
}

fn changes(c: &mut Criterion) {
    let (_dir, store, f) = filled();
    let current = store.folder(f.id).expect("folder").expect("exists").change_seq;
    let mut group = c.benchmark_group("changes_since_10k");
    group.sample_size(20);
    group.bench_function("initial_all", |b| {
        b.iter(|| {
            let page = store.changes_since(f.id, None, usize::MAX).expect("changes");
            assert_eq!(page.changes.len(), ITEMS);
        })
    });
    group.bench_function("initial_paged_1000", |b| {
        b.iter(|| {
            let mut token = None;
            let mut total = 0;
            for _ in 0..100 {
                let page = store.changes_since(f.id, token, 1000).expect("changes");
                total += page.changes.len();
                token = Some(page.new_seq);
                if !page.more {
                    break;
                }
            }
            assert_eq!(total, ITEMS);
        })
    });
    group.bench_function("incremental_last_100", |b| {
        b.iter(|| {
            let page = store.changes_since(f.id, Some(current - 100), 1000).expect("changes");
            assert_eq!(page.changes.len(), 100);
        })
    });
    group.finish();
}

fn lookups(c: &mut Criterion) {
    let (_dir, store, f) = filled();
    let (_plain_dir, mut conn) = plain_sqlite();
    plain_insert(&mut conn);
    let mut group = c.benchmark_group("lookups_10k");
    let mut i = 0usize;
    group.bench_function("baseline_plain_select_by_name", |b| {
        b.iter(|| {
            i = (i + 7919) % ITEMS;
            let mut stmt = conn
                .prepare_cached("SELECT server_id, etag, payload FROM items WHERE folder_id = 1 AND resource_name = ?1")
                .expect("prepare");
            let row: (String, String, Vec<u8>) = stmt
                .query_row([format!("event-{i}.ics")], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .expect("row");
            assert_eq!(row.2.len(), PAYLOAD);
        })
    });
    group.bench_function("item_by_resource", |b| {
        b.iter(|| {
            i = (i + 7919) % ITEMS;
            assert!(store
                .item_by_resource(f.id, &format!("event-{i}.ics"))
                .expect("get")
                .is_some());
        })
    });
    group.bench_function("item_by_server_id", |b| {
        b.iter(|| {
            i = (i + 7919) % ITEMS;
            assert!(store.item_by_server_id(f.id, &format!("1:{i}")).expect("get").is_some());
        })
    });
    group.bench_function("items_by_uid", |b| {
        b.iter(|| {
            i = (i + 7919) % ITEMS;
            assert_eq!(store.items_by_uid(f.id, &format!("uid-{i}")).expect("get").len(), 1);
        })
    });
    let names: Vec<String> = (0..100).map(|k| format!("event-{}.ics", k * 97)).collect();
    group.bench_function("multiget_100", |b| {
        b.iter(|| assert_eq!(store.get_items(f.id, &names).expect("get").len(), 100))
    });
    group.sample_size(20);
    group.bench_function("list_items_10k", |b| {
        b.iter(|| assert_eq!(store.list_items(f.id).expect("list").len(), ITEMS))
    });
    group.finish();
}

criterion_group!(benches, insert, changes, lookups);
criterion_main!(benches);
