//! Runs the pyactivesync peer session (tests/peers/pyactivesync_session.py) against the
//! built `easdav sim` binary. Needs the test venv (`EASDAV_PYTHON` or `<repo>/.venv/bin/python`).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    let p = std::env::var_os("EASDAV_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv/bin/python"));
    assert!(
        p.exists(),
        "Python interpreter {} not found: create the test venv (tests/run.sh) or set EASDAV_PYTHON",
        p.display()
    );
    p
}

/// Kills the simulator when the test ends, however it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn pyactivesync_session_against_easdav_sim() {
    let py = python();
    let mut sim = Command::new(env!("CARGO_BIN_EXE_easdav"))
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--control",
            "127.0.0.1:0",
            "--user",
            "alice:secret",
        ])
        .args(["--user", "bob:pw"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("easdav sim starts");
    let stdout = sim.stdout.take().expect("stdout piped");
    let _guard = Guard(sim);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let (mut url, mut control) = (None, None);
    let deadline = Instant::now() + Duration::from_secs(30);
    while url.is_none() || control.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx.recv_timeout(left).expect("simulator printed its addresses in time");
        if let Some(u) = line.strip_prefix("eas-sim listening on ") {
            url = Some(u.to_owned());
        } else if let Some(c) = line.strip_prefix("eas-sim control on ") {
            control = Some(c.to_owned());
        }
    }
    let (url, control) = (url.unwrap_or_default(), control.unwrap_or_default());
    let mut child = Command::new(py)
        .arg(repo_root().join("tests/peers/pyactivesync_session.py"))
        .args([
            "--url",
            &url,
            "--control",
            &control,
            "--user",
            "alice",
            "--password",
            "secret",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python starts");
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(s) = child.try_wait().expect("waiting for python") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pyactivesync session did not finish within 180 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut out = String::new();
    let mut err = String::new();
    child.stdout.take().map(|mut s| s.read_to_string(&mut out));
    child.stderr.take().map(|mut s| s.read_to_string(&mut err));
    assert!(status.success(), "session failed ({status}):\n{out}\n{err}");
    assert!(out.lines().any(|l| l == "ALL OK"), "no ALL OK:\n{out}\n{err}");
    let steps = out.lines().filter(|l| l.starts_with("ok ")).count();
    assert!(steps >= 21, "only {steps} steps passed:\n{out}");
    for needle in [
        "contact Add returned ServerId",
        "Ping returned status 2",
        "arrives as a Sync Change",
    ] {
        assert!(out.contains(needle), "missing step {needle:?}:\n{out}");
    }
}
