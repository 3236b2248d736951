//! Readers running while a writer applies pages never see half a page and see ctags only grow.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use store::{ItemChange, NewFolder, NewPartnership, SqliteConfig, SqliteStore, Store, SyncPage, UpstreamItem};

const PAGES: usize = 40;
const PER_PAGE: usize = 25;
const READERS: usize = 4;
const MAX_READS: usize = 20_000;

#[test]
fn readers_see_whole_pages_while_a_writer_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SqliteStore::open(dir.path().join("c.sqlite3"), SqliteConfig::default()).expect("open"));
    let p = store
        .create_partnership(&NewPartnership {
            user_name: "alice".into(),
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
                display_name: "Cal".into(),
                collection_name: None,
            },
        )
        .expect("folder");
    let start_seq = f.change_seq;
    let done = Arc::new(AtomicBool::new(false));
    // The writer starts only once every reader is running, so reads overlap writes.
    let start = Arc::new(std::sync::Barrier::new(READERS + 1));

    let readers: Vec<_> = (0..READERS)
        .map(|r| {
            let store = Arc::clone(&store);
            let done = Arc::clone(&done);
            let start = Arc::clone(&start);
            thread::spawn(move || {
                let mut last_ctag = start_seq;
                let mut reads = 0usize;
                start.wait();
                // At least one read per reader, however the threads are scheduled.
                loop {
                    reads += 1;
                    let page = store.changes_since(f.id, None, usize::MAX).expect("changes");
                    assert_eq!(page.changes.len() % PER_PAGE, 0, "reader {r} saw half a page");
                    assert_eq!(
                        page.changes.len() as i64,
                        page.new_seq - start_seq,
                        "reader {r}: log and ctag disagree"
                    );
                    assert!(page.new_seq >= last_ctag, "reader {r}: ctag went backwards");
                    last_ctag = page.new_seq;
                    let items = store.list_items(f.id).expect("list");
                    assert_eq!(items.len() % PER_PAGE, 0, "reader {r} saw half a page of items");
                    if let Some(folder) = store.folder(f.id).expect("folder") {
                        assert!(folder.change_seq >= last_ctag);
                        last_ctag = folder.change_seq;
                    }
                    if done.load(Ordering::Acquire) || reads >= MAX_READS {
                        break;
                    }
                }
                reads
            })
        })
        .collect();
    start.wait();

    for n in 0..PAGES {
        let changes = (0..PER_PAGE)
            .map(|i| {
                ItemChange::Upsert(UpstreamItem {
                    server_id: format!("1:{n}:{i}"),
                    resource_name: format!("{n}-{i}.ics"),
                    payload: vec![b'x'; 300],
                    residue: None,
                    uid: Some(format!("{n}-{i}")),
                    rendered: None,
                })
            })
            .collect();
        let page = SyncPage {
            expected_sync_key: Some(n.to_string()),
            new_sync_key: Some((n + 1).to_string()),
            changes,
            ack_outbox: None,
        };
        store.apply_sync_page(f.id, &page).expect("write page");
    }
    done.store(true, Ordering::Release);
    let total_reads: usize = readers.into_iter().map(|h| h.join().expect("reader panicked")).sum();
    assert!(total_reads >= READERS, "every reader ran at least once");
    assert_eq!(store.list_items(f.id).expect("list").len(), PAGES * PER_PAGE);
}
