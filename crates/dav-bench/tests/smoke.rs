//! Runs the `dav-bench` binary with tiny settings: against both built-in servers (easdav's
//! in-memory dav-server and Radicale from the venv), and against an external target given only as
//! a URL with credentials. Asserts completion and that every response was validated; no timings.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_dav-bench");

/// Waits for `child` at most `limit`, killing it on timeout; returns (success, stdout, stderr).
fn finish(mut child: Child, limit: Duration) -> (bool, String, String) {
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let (mut out, mut err) = (String::new(), String::new());
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    (status.is_some_and(|s| s.success()), out, err)
}

const TINY: &[&str] = &[
    "--events",
    "200",
    "--listing-events",
    "40",
    "--multiget",
    "20",
    "--duration-secs",
    "0.3",
    "--warmup-secs",
    "0.1",
];

/// `validated N responses, 0 failed` with N > 0.
fn assert_all_validated(out: &str) {
    let line = out
        .lines()
        .find(|l| l.starts_with("validated "))
        .unwrap_or_else(|| panic!("no summary in:\n{out}"));
    let n: usize = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    assert!(n > 0, "{line}");
    assert!(line.ends_with(", 0 failed"), "{line}");
}

#[test]
fn tiny_run_against_easdav_and_radicale() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("bench.md");
    let child = Command::new(BIN)
        .args(TINY)
        .args(["--concurrency", "1,4", "--out"])
        .arg(&md)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (ok, out, err) = finish(child, Duration::from_secs(600));
    assert!(
        ok,
        "dav-bench failed (Radicale needs <repo>/.venv or EASDAV_PYTHON)\nstdout:\n{out}\nstderr:\n{err}"
    );
    assert_all_validated(&out);
    // Both servers found the same number of resources for the month, inside the generator's bracket.
    let counts: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("calendar-query for the month returns"))
        .collect();
    assert_eq!(counts.len(), 2, "{out}");
    let n = |l: &str| l.split_whitespace().rev().nth(1).map(str::to_owned);
    assert_eq!(n(counts[0]), n(counts[1]), "{counts:?}");
    let table = std::fs::read_to_string(&md).unwrap();
    assert!(table.contains("req/s easdav/radicale"), "{table}");
    for case in ["sync", "multiget", "propfind", "query"] {
        for c in [1, 4] {
            let row = format!("| {case} | {c} |");
            let line = table
                .lines()
                .find(|l| l.starts_with(&row))
                .unwrap_or_else(|| panic!("no {row} in\n{table}"));
            // 2 targets x 3 figures + 3 ratios, and every ratio is a number.
            assert_eq!(line.matches('|').count(), 2 + 9 + 1, "{line}");
            assert!(!line.contains("n/a"), "{line}");
        }
    }
}

#[test]
fn external_target_is_a_url_with_credentials() {
    let mut server = Command::new(BIN)
        .args([
            "serve-easdav",
            "--listen",
            "127.0.0.1:0",
            "--user",
            "ann@example.com:p w",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let stdout = server.stdout.take().unwrap();
    BufReader::new(stdout).read_line(&mut first).unwrap();
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{first:?}"))
        .to_owned();
    let child = Command::new(BIN)
        .args(TINY)
        .args([
            "--builtin",
            "",
            "--concurrency",
            "2",
            "--cases",
            "sync,query",
            "--baseline",
            "gw",
            "--target",
        ])
        .arg(format!("gw=http://ann%40example.com:p%20w@{addr}/"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (ok, out, err) = finish(child, Duration::from_secs(300));
    let _ = server.kill();
    let _ = server.wait();
    assert!(ok, "stdout:\n{out}\nstderr:\n{err}");
    assert_all_validated(&out);
    assert!(out.contains("| sync | 2 |") && out.contains("| query | 2 |"), "{out}");
    assert!(!out.contains("| multiget |"), "{out}");
}
