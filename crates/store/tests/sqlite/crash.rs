//! Kill -9 a writer process at arbitrary points: after restart every committed page is complete and
//! no partial page exists.
//!
//! The parent test re-runs this test binary as a child (selecting `crash_child_entry_point`, which
//! does nothing unless `STORE_CRASH_CHILD` names a database). The child applies pages forever and
//! prints the sync key of each committed page; the parent kills it after a varying number of commits,
//! reopens the database and checks it.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use store::{
    ItemChange, NewFolder, NewOutboxEntry, NewPartnership, SqliteConfig, SqliteStore, Store, SyncPage, UpstreamItem,
};

const PER_PAGE: usize = 16;
const ROUNDS: usize = 30;

fn setup(store: &SqliteStore) -> (store::PartnershipId, store::Folder) {
    let p = match store.find_partnership("crash", "D").expect("find") {
        Some(p) => p,
        None => store
            .create_partnership(&NewPartnership {
                user_name: "crash".into(),
                device_id: "D".into(),
                device_type: "t".into(),
                upstream_url: "u".into(),
            })
            .expect("partnership"),
    };
    let f = match store.folder_by_server_id(p.id, "1").expect("find") {
        Some(f) => f,
        None => store
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
            .expect("folder"),
    };
    (p.id, f)
}

/// Child side: a no-op unless started by `kill_9_never_leaves_a_partial_page`.
#[test]
fn crash_child_entry_point() {
    let Ok(path) = std::env::var("STORE_CRASH_CHILD") else {
        return;
    };
    let store = SqliteStore::open(&path, SqliteConfig::default()).expect("child open");
    let (p, f) = setup(&store);
    let mut key: usize = f.sync_key.parse().expect("numeric key");
    let mut out = std::io::stdout().lock();
    // Like the engine after a restart: an unacknowledged entry for the current key is re-sent, not
    // enqueued again.
    let mut resume = store
        .outbox_pending(p)
        .expect("pending")
        .into_iter()
        .find(|e| e.sync_key == Some(key.to_string()));
    for _ in 0..1_000_000 {
        // Each page: an outbox entry acknowledged in the page, PER_PAGE new items, one modified
        // item and one deleted item (from the previous page), and the next sync key.
        let entry = match resume.take() {
            Some(entry) => entry,
            None => store
                .outbox_enqueue(&NewOutboxEntry {
                    partnership_id: p,
                    folder_id: Some(f.id),
                    request: key.to_string().into_bytes(),
                    sync_key: Some(key.to_string()),
                    resource_name: None,
                })
                .expect("enqueue"),
        };
        store.outbox_mark_sent(entry.id).expect("mark sent");
        let mut changes: Vec<_> = (0..PER_PAGE)
            .map(|i| {
                ItemChange::Upsert(UpstreamItem {
                    server_id: format!("{key}:{i}"),
                    resource_name: format!("{key}-{i}.ics"),
                    payload: vec![b'p'; 2000],
                    residue: None,
                    uid: None,
                    rendered: None,
                })
            })
            .collect();
        if key > 0 {
            let prev = key - 1;
            changes.push(ItemChange::Delete {
                server_id: format!("{prev}:0"),
            });
            changes.push(ItemChange::Upsert(UpstreamItem {
                server_id: format!("{prev}:1"),
                resource_name: "ignored".into(),
                payload: key.to_string().into_bytes(),
                residue: None,
                uid: None,
                rendered: None,
            }));
        }
        let page = SyncPage {
            expected_sync_key: Some(key.to_string()),
            new_sync_key: Some((key + 1).to_string()),
            changes,
            ack_outbox: Some(entry.id),
        };
        store.apply_sync_page(f.id, &page).expect("apply");
        key += 1;
        writeln!(out, "committed {key}").expect("stdout");
        out.flush().expect("flush");
    }
}

#[test]
fn kill_9_never_leaves_a_partial_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("crash.sqlite3");
    let exe = std::env::current_exe().expect("test binary");
    let mut last_reported = 0usize;
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .args([
                "crash::crash_child_entry_point",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("STORE_CRASH_CHILD", &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("child stdout");
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // The first line shares its start with the test harness's "test … ..." header.
                if let Some((_, n)) = line.split_once("committed ") {
                    if tx.send(n.parse::<usize>().unwrap_or(0)).is_err() {
                        break;
                    }
                }
            }
        });
        // Kill after a varying number of commits (1..=5) so kills land at different points.
        let wait_for = 1 + round % 5;
        for _ in 0..wait_for {
            let n = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("child commits within 60 s");
            last_reported = last_reported.max(n);
        }
        // Then let it run on for a varying 0–6 ms, so the kill lands at different points of a page.
        std::thread::sleep(Duration::from_micros((round as u64 * 1_733) % 6_000));
        child.kill().expect("kill -9 the child");
        child.wait().expect("reap child");
        drop(rx);
        reader.join().expect("reader thread");

        let store = SqliteStore::open(&path, SqliteConfig::default()).expect("reopen after kill");
        let (p, f) = setup(&store);
        let key: usize = f.sync_key.parse().expect("numeric key");
        assert!(
            key >= last_reported,
            "round {round}: committed page {last_reported} lost (key {key})"
        );
        // Pages 1..key each added PER_PAGE items; pages 2..key each deleted one.
        let items = store.list_items(f.id).expect("list");
        assert_eq!(
            items.len(),
            key * PER_PAGE - key.saturating_sub(1),
            "round {round}: partial page"
        );
        let log = store.changes_since(f.id, None, usize::MAX).expect("log");
        assert_eq!(
            log.changes.len(),
            items.len(),
            "round {round}: log disagrees with items"
        );
        let seqs_per_page = |k: usize| if k == 0 { PER_PAGE } else { PER_PAGE + 2 };
        let expected_seq = f.oldest_seq + (0..key).map(seqs_per_page).sum::<usize>() as i64;
        assert_eq!(f.change_seq, expected_seq, "round {round}: ctag");
        // Every applied page's outbox entry is acknowledged with it; at most the interrupted page's
        // entry (for the current key) is still open.
        let pending = store.outbox_pending(p).expect("pending");
        assert!(pending.len() <= 1, "round {round}: {} pending", pending.len());
        for e in &pending {
            assert_eq!(
                e.sync_key,
                Some(key.to_string()),
                "round {round}: an applied page was not acknowledged"
            );
        }
    }
}
