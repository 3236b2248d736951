//! Benchmark: initial mirror of N events + M contacts (upstream round trips, wall time, gateway
//! CPU per item, peak RSS) and idle memory per user with a live Ping for U users.
//!
//! The simulator runs in a child process (this binary with `--sim USERS`), so the figures read
//! from `/proc/self` are the gateway's alone.
//!
//! `cargo run --release -p sync-engine --example bench_mirror -- [EVENTS] [CONTACTS] [USERS]`
//! (defaults 10000 2000 1000).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dav_server::backend::{Backend, Format, Home};
use serde_json::{json, Value};
use store::{SqliteConfig, SqliteStore};
use sync_engine::{Engine, EngineConfig};

fn proc_status(key: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// User + system CPU time of this process (clock ticks of 10 ms).
fn cpu() -> Duration {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    // After the command name: state, ppid, …; utime and stime are fields 14 and 15 of the line.
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let ticks = num(11) + num(12);
    Duration::from_millis(ticks * 10)
}

async fn run_sim(users: usize) {
    let mut list = vec![eas_sim::UserConfig::new("alice", "secret")];
    for i in 0..users {
        list.push(eas_sim::UserConfig::new(format!("u{i}"), "pw"));
    }
    let mut cfg = eas_sim::Config::loopback(list);
    cfg.heartbeat_min = 1;
    let sim = eas_sim::Simulator::start(cfg).await.expect("sim");
    println!("{}", sim.url());
    println!("{}", sim.control_url().unwrap_or_default());
    sim.wait().await;
}

async fn seed(http: &reqwest::Client, control: &str, folder: &str, n: usize, make: impl Fn(usize) -> Value) {
    let sem = Arc::new(tokio::sync::Semaphore::new(32));
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let permit = sem.clone().acquire_owned().await.expect("sem");
        let (h, url, body) = (
            http.clone(),
            format!("{control}/users/alice/folders/{folder}/items"),
            make(i),
        );
        set.spawn(async move {
            let r = h.post(url).json(&json!({ "data": body })).send().await.expect("seed");
            assert!(r.status().is_success());
            drop(permit);
        });
    }
    while set.join_next().await.is_some() {}
}

async fn folder(http: &reqwest::Client, control: &str, t: u64) -> String {
    let v: Value = http
        .get(format!("{control}/users/alice/folders"))
        .send()
        .await
        .expect("folders")
        .json()
        .await
        .expect("json");
    v.as_array()
        .and_then(|a| a.iter().find(|f| f["type"].as_u64() == Some(t)))
        .and_then(|f| f["id"].as_str())
        .expect("folder")
        .to_owned()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--sim") {
        run_sim(args.get(2).and_then(|v| v.parse().ok()).unwrap_or(0)).await;
        return;
    }
    let events: usize = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let contacts: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(2_000);
    let users: usize = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(1_000);

    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .args(["--sim", &users.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn simulator");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let url = lines.next().and_then(Result::ok).expect("sim url");
    let control = lines.next().and_then(Result::ok).expect("control url");
    let http = reqwest::Client::new();

    let t = Instant::now();
    let cal = folder(&http, &control, 8).await;
    let con = folder(&http, &control, 9).await;
    seed(&http, &control, &cal, events, |i| {
        json!({"Subject": format!("Event {i}"), "StartTime": format!("2026{:02}{:02}T{:02}0000Z", 1 + i % 12, 1 + i % 28, i % 24),
               "EndTime": format!("2026{:02}{:02}T{:02}3000Z", 1 + i % 12, 1 + i % 28, i % 24), "Location": "Room 1",
               "Body": {"Type": 1, "Data": format!("Agenda item {i}\nSecond line")}})
    })
    .await;
    seed(&http, &control, &con, contacts, |i| {
        json!({"FirstName": format!("First{i}"), "LastName": format!("Last{i}"), "Email1Address": format!("p{i}@example.com"),
               "MobilePhoneNumber": format!("+1555{i:07}")})
    })
    .await;
    eprintln!("seeded {events} events + {contacts} contacts in {:?}", t.elapsed());

    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path().join("bench.db"), SqliteConfig::default()).expect("store");
    let mut cfg = EngineConfig::new(url.clone());
    cfg.heartbeat_min = Duration::from_secs(1);
    cfg.heartbeat_initial = Duration::from_secs(600);
    let engine = Engine::new(Arc::new(store), cfg);
    let backend = engine.dav_backend();

    let (cpu0, t0, r0) = (cpu(), Instant::now(), engine.upstream_requests());
    assert_eq!(
        backend.authenticate("alice", "secret").await.expect("login").as_deref(),
        Some("alice")
    );
    engine.sync_all("alice").await.expect("initial mirror");
    let (wall, cpu_used, trips) = (t0.elapsed(), cpu() - cpu0, engine.upstream_requests() - r0);
    let items = events + contacts;
    println!("initial mirror: {items} items ({events} events + {contacts} contacts)");
    println!("  upstream round trips: {trips}");
    println!("  wall time: {:.2} s", wall.as_secs_f64());
    println!(
        "  gateway CPU: {:.2} s = {:.1} µs/item",
        cpu_used.as_secs_f64(),
        cpu_used.as_secs_f64() * 1e6 / items as f64
    );
    println!("  peak RSS (VmHWM): {} MiB", proc_status("VmHWM:") / 1024);

    let (cpu0, t0) = (cpu(), Instant::now());
    let cals = backend
        .list_collections("alice", Home::Calendars)
        .await
        .expect("collections");
    let listed = backend
        .list_resources("alice", &cals[0].id, Format::ICalendar)
        .await
        .expect("list");
    let (wall, cpu_used) = (t0.elapsed(), cpu() - cpu0);
    println!(
        "first PROPFIND-equivalent over {} events (renders + caches iCalendar):",
        listed.len()
    );
    println!(
        "  wall {:.2} s, CPU {:.1} µs/event",
        wall.as_secs_f64(),
        cpu_used.as_secs_f64() * 1e6 / listed.len().max(1) as f64
    );
    let t0 = Instant::now();
    let again = backend
        .list_resources("alice", &cals[0].id, Format::ICalendar)
        .await
        .expect("list");
    println!(
        "  second listing (cached): {} in {:.3} s",
        again.len(),
        t0.elapsed().as_secs_f64()
    );
    println!("  peak RSS (VmHWM): {} MiB", proc_status("VmHWM:") / 1024);

    if users > 0 {
        let rss0 = proc_status("VmRSS:");
        let t0 = Instant::now();
        let sem = Arc::new(tokio::sync::Semaphore::new(16));
        let mut set = tokio::task::JoinSet::new();
        for i in 0..users {
            let permit = sem.clone().acquire_owned().await.expect("sem");
            let b = backend.clone();
            set.spawn(async move {
                let u = format!("u{i}");
                let ok = b.authenticate(&u, "pw").await;
                let _ = b.list_collections(&u, Home::Calendars).await;
                drop(permit);
                matches!(ok, Ok(Some(_)))
            });
        }
        let mut ok = 0;
        while let Some(r) = set.join_next().await {
            ok += usize::from(matches!(r, Ok(true)));
        }
        // Wait until every user's Ping is registered upstream (bounded).
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut pinging = 0;
        while Instant::now() < deadline {
            let v: Value = http
                .get(format!("{control}/users"))
                .send()
                .await
                .expect("users")
                .json()
                .await
                .expect("json");
            let _ = v;
            pinging = engine
                .accounts()
                .await
                .expect("accounts")
                .iter()
                .filter(|a| a.pinging)
                .count();
            if pinging >= users {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        let rss1 = proc_status("VmRSS:");
        println!(
            "idle users with a live Ping: {ok} logged in, {pinging} pinging (set up in {:.1} s)",
            t0.elapsed().as_secs_f64()
        );
        println!(
            "  RSS before {} MiB, after {} MiB: {:.1} KiB per user",
            rss0 / 1024,
            rss1 / 1024,
            (rss1.saturating_sub(rss0)) as f64 / users.max(1) as f64
        );
    }
    engine.shutdown().await;
    let _ = child.kill();
    let _ = child.wait();
}
