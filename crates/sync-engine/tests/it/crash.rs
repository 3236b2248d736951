//! Crash test: a writer process (examples/writer.rs) is killed with SIGKILL at random points
//! during a stream of writes and restarted on the same store; afterwards the mirror equals the
//! simulator and every acknowledged write is present exactly once.
//!
//! Kill points: `EASDAV_CRASH_KILLS` (default 200).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use reqwest::Method;

use crate::common::*;

fn writer_path() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let p = dir.join("examples").join("writer");
    if !p.exists() {
        // `cargo test --test it` does not build examples; build it now.
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let st = Command::new(cargo)
            .args(["build", "-p", "sync-engine", "--example", "writer"])
            .status()
            .expect("run cargo build");
        assert!(st.success(), "building examples/writer failed");
    }
    assert!(p.exists(), "{} missing after build", p.display());
    p
}

/// Per name: the last acknowledged state (`put`/`upd`/`del`).
type Acks = Arc<Mutex<BTreeMap<String, String>>>;

fn run_writer(url: &str, db: &str, first: usize, count: usize, kill_after: Option<Duration>, acks: &Acks) -> bool {
    let mut child = Command::new(writer_path())
        .args([url, db, USER, PASS, &first.to_string(), &count.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn writer");
    let stdout = child.stdout.take().expect("stdout");
    let acks2 = acks.clone();
    let reader = std::thread::spawn(move || {
        let mut recovered = false;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                ["ACK", op, name] => {
                    acks2.lock().unwrap().insert((*name).to_owned(), (*op).to_owned());
                }
                ["RECOVERED"] => recovered = true,
                _ => {}
            }
        }
        recovered
    });
    if let Some(d) = kill_after {
        std::thread::sleep(d);
        let _ = child.kill(); // SIGKILL
    }
    let status = child.wait().expect("wait writer");
    let recovered = reader.join().expect("reader");
    kill_after.is_some() || (status.success() && (count > 0 || recovered))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_writes_loses_and_duplicates_nothing() {
    let kills: usize = std::env::var("EASDAV_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let sim = start_sim(|_| {}).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("mirror.db").to_string_lossy().into_owned();
    let url = sim.url();
    let acks: Acks = Arc::default();
    let mut next = 0usize;
    let mut rng = rand::thread_rng();
    for round in 0..kills {
        let delay = Duration::from_millis(rng.gen_range(30..400));
        let (u, d, a) = (url.clone(), db.clone(), acks.clone());
        let first = next;
        let t = std::time::Instant::now();
        // A long stream, so the kill always lands while the writer is running; each round uses
        // fresh names, and the next process replays whatever the killed one left pending.
        tokio::task::spawn_blocking(move || run_writer(&u, &d, first, 100_000, Some(delay), &a))
            .await
            .expect("writer round");
        if round < 3 {
            eprintln!("round {round}: {:?}", t.elapsed());
        }
        next += 100_000;
    }
    // Recover: replay the outbox and sync.
    let (u, d, a) = (url.clone(), db.clone(), acks.clone());
    let ok = tokio::task::spawn_blocking(move || run_writer(&u, &d, 0, 0, None, &a))
        .await
        .expect("recovery");
    assert!(ok, "recovery run succeeded");

    let store = store::SqliteStore::open(&db, store::SqliteConfig::default()).expect("reopen store");
    assert_mirror_matches(&sim, &store, USER).await;
    let cal = sim_folder(&sim, USER, 8).await;
    let items = control(&sim, Method::GET, &format!("/users/{USER}/folders/{cal}/items"), None).await;
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    let mut subject: BTreeMap<String, String> = BTreeMap::new();
    for it in items.as_array().expect("items") {
        let s = it["data"]["Calendar:Subject"].as_str().unwrap_or("");
        let base = s.split(' ').next().unwrap_or("").to_owned();
        *count.entry(base.clone()).or_default() += 1;
        subject.insert(base, s.to_owned());
    }
    assert!(count.values().all(|n| *n == 1), "no duplicates upstream: {count:?}");
    let acks = acks.lock().unwrap().clone();
    let mut checked = BTreeSet::new();
    for (name, op) in &acks {
        let i: usize = name.trim_start_matches('w').parse().expect("index");
        let n = count.get(name).copied().unwrap_or(0);
        // The writer may have been killed after applying, but before acknowledging, a later step.
        let later_delete = i % 5 == 0 && op != "del";
        let later_update = i % 3 == 0 && op == "put";
        match op.as_str() {
            "del" => assert_eq!(n, 0, "{name} deleted (acknowledged) but present"),
            _ if !later_delete => assert_eq!(n, 1, "{name} acknowledged ({op}) but present {n} times"),
            _ => assert!(n <= 1, "{name} present {n} times"),
        }
        if n == 1 {
            let s = subject.get(name).cloned().unwrap_or_default();
            match op.as_str() {
                "upd" => assert_eq!(s, format!("{name} v2"), "{name} acknowledged update lost"),
                _ if !later_update => assert_eq!(&s, name, "{name} content"),
                _ => {}
            }
        }
        checked.insert(name.clone());
    }
    // Outbox entries re-sent by a later process (attempts > 1) or finished only by a later one.
    let (mut total, mut resent, mut misses, mut id) = (0, 0, 0, 1);
    while misses < 50 {
        match store::Store::outbox_get(&store, store::OutboxId(id)).expect("outbox get") {
            Some(e) => {
                total += 1;
                misses = 0;
                if e.attempts > 1 {
                    resent += 1;
                }
                assert_ne!(
                    e.state,
                    store::OutboxState::Pending,
                    "entry {id} still pending after recovery"
                );
                assert_ne!(
                    e.state,
                    store::OutboxState::Sent,
                    "entry {id} still unacknowledged after recovery"
                );
            }
            None => misses += 1,
        }
        id += 1;
    }
    eprintln!("outbox: {total} entries, {resent} re-sent after a kill");
    if kills >= 100 {
        assert!(resent > 0, "some kill points must have interrupted a write in flight");
    }
    eprintln!(
        "crash test: {kills} kill points, {resent} writes re-sent after a kill, {} acknowledged names, {} items upstream",
        checked.len(),
        count.len()
    );
    assert!(
        checked.len() > kills / 4,
        "the writer made progress between kills ({} acks)",
        checked.len()
    );
    sim.shutdown().await;
}
