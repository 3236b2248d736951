//! A tiny gateway process for the crash test: runs the engine on a SQLite file against an EAS
//! URL and writes a stream of events through it, printing `ACK <op> <name>` after each
//! acknowledged write (stdout is flushed per line).
//!
//! Usage: `writer <eas-url> <db-path> <user> <password> <first-index> <count>`
//! With `count = 0` it only recovers (replays the outbox, syncs everything) and exits.

use std::io::Write;
use std::sync::Arc;

use dav_server::backend::{Backend, Home, WriteCondition};
use store::{SqliteConfig, SqliteStore};
use sync_engine::{Engine, EngineConfig};

fn ics(name: &str, summary: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//crash//EN\r\nBEGIN:VEVENT\r\nUID:{name}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260402T090000Z\r\nDTEND:20260402T100000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, db, user, password, first, count] = args.as_slice() else {
        eprintln!("usage: writer <eas-url> <db-path> <user> <password> <first-index> <count>");
        std::process::exit(2);
    };
    let first: usize = first.parse().unwrap_or(0);
    let count: usize = count.parse().unwrap_or(0);
    let store = match SqliteStore::open(db, SqliteConfig::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("store: {e}");
            std::process::exit(1);
        }
    };
    let mut cfg = EngineConfig::new(url.clone());
    cfg.retry = eas_client::RetryPolicy::immediate(4);
    cfg.heartbeat_min = std::time::Duration::from_secs(1);
    let engine = Engine::new(Arc::new(store), cfg);
    let backend = engine.dav_backend();
    match backend.authenticate(user, password).await {
        Ok(Some(_)) => {}
        other => {
            eprintln!("login failed: {other:?}");
            std::process::exit(1);
        }
    }
    let cals = match backend.list_collections(user, Home::Calendars).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("collections: {e}");
            std::process::exit(1);
        }
    };
    let Some(cal) = cals
        .into_iter()
        .find(|c| c.kind == dav_server::backend::CollectionKind::Calendar)
    else {
        eprintln!("no calendar");
        std::process::exit(1);
    };
    let mut out = std::io::stdout();
    for i in first..first + count {
        let name = format!("w{i}.ics");
        let r = backend
            .put_resource(
                user,
                &cal.id,
                &name,
                &ics(&format!("w{i}"), &format!("w{i}")),
                WriteCondition::None,
            )
            .await;
        match r {
            Ok(_) => {
                let _ = writeln!(out, "ACK put w{i}");
            }
            Err(e) => {
                eprintln!("put {name}: {e}");
                continue;
            }
        }
        if i % 3 == 0
            && backend
                .put_resource(
                    user,
                    &cal.id,
                    &name,
                    &ics(&format!("w{i}"), &format!("w{i} v2")),
                    WriteCondition::None,
                )
                .await
                .is_ok()
        {
            let _ = writeln!(out, "ACK upd w{i}");
        }
        if i % 5 == 0 && backend.delete_resource(user, &cal.id, &name, None).await.is_ok() {
            let _ = writeln!(out, "ACK del w{i}");
        }
        let _ = out.flush();
    }
    if count == 0 {
        if let Err(e) = engine.sync_all(user).await {
            eprintln!("sync: {e}");
            std::process::exit(1);
        }
        let _ = writeln!(out, "RECOVERED");
    }
    let _ = out.flush();
    engine.shutdown().await;
}
