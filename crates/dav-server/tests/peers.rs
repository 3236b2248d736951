//! Clients nobody here wrote, against a real listener on 127.0.0.1 serving the in-memory
//! backend: python-caldav (tests/peers/dav_caldav_client.py) and caldav-server-tester
//! (tests/peers/dav_server_tester.py, which fails on any "broken" feature).
//!
//! The interpreter comes from `EASDAV_PYTHON` or `<repo>/.venv/bin/python`; a missing
//! interpreter fails the test with a clear message.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use dav_server::memory::MemoryBackend;
use dav_server::{DavConfig, DavServer};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    let p = std::env::var_os("EASDAV_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv/bin/python"));
    assert!(
        p.exists(),
        "python interpreter {} not found: create the venv from tests/requirements.txt or set EASDAV_PYTHON",
        p.display()
    );
    p
}

async fn serve() -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
    let backend = Arc::new(MemoryBackend::new());
    backend.add_user("alice@example.com", "secret");
    backend.add_user("bob", "secret2");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(DavServer::new(backend, DavConfig::default()).serve(listener));
    (format!("http://{addr}/"), task)
}

async fn run(script: &str, args: &[&str]) -> (bool, String) {
    let mut cmd = tokio::process::Command::new(python());
    cmd.arg(repo().join("tests/peers").join(script))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().expect("spawning python");
    let out = tokio::time::timeout(Duration::from_secs(400), child.wait_with_output())
        .await
        .expect("peer script timed out")
        .expect("waiting for python");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_caldav_client() {
    let (url, task) = serve().await;
    let (ok, out) = run("dav_caldav_client.py", &[&url, "alice@example.com", "secret"]).await;
    task.abort();
    println!("{out}");
    assert!(ok, "python caldav peer failed:\n{out}");
    assert!(out.contains("all caldav peer checks passed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caldav_server_tester_finds_nothing_broken() {
    let (url, task) = serve().await;
    let report = std::env::temp_dir().join(format!("easdav-cst-{}.json", std::process::id()));
    let (ok, out) = run(
        "dav_server_tester.py",
        &[&url, "alice@example.com", "secret", &report.to_string_lossy()],
    )
    .await;
    task.abort();
    let _ = std::fs::remove_file(&report);
    println!("{out}");
    assert!(ok, "caldav-server-tester reported problems:\n{out}");
    assert!(out.contains("no broken features"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_least_as_complete_as_radicale() {
    let (url, task) = serve().await;
    let (ok, out) = run("dav_radicale_compare.py", &[&url, "alice@example.com", "secret"]).await;
    task.abort();
    println!("{out}");
    assert!(ok, "comparison with radicale failed:\n{out}");
    assert!(out.contains("easdav at least as complete as radicale"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vdirsyncer_two_way_sync_of_corpus_data() {
    let (url, task) = serve().await;
    let corpus = repo().join("../shared/corpus");
    let (ok, out) = run(
        "dav_vdirsyncer.py",
        &[&url, "alice@example.com", "secret", &corpus.to_string_lossy()],
    )
    .await;
    task.abort();
    println!("{out}");
    assert!(ok, "vdirsyncer peer failed:\n{out}");
    assert!(out.contains("all vdirsyncer checks passed"));
}
