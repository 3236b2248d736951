//! Process harness: the simulator, the gateway, nginx, Radicale and Python peers as child
//! processes on 127.0.0.1, each killed and reaped by a guard when the test ends.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The user every test uses, on the simulator and (passed through) on the gateway.
pub const USER: &str = "alice";
/// Her password.
pub const PASSWORD: &str = "secret";

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The test venv's interpreter (`EASDAV_PYTHON` or `<repo>/.venv/bin/python`); panics clearly if absent.
pub fn python() -> PathBuf {
    let p = std::env::var_os("EASDAV_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv/bin/python"));
    assert!(
        p.exists(),
        "Python interpreter {} not found: create the test venv (tests/run.sh, from tests/requirements.txt) \
         or set EASDAV_PYTHON",
        p.display()
    );
    p
}

/// A child process killed and reaped on drop.
pub struct Guard {
    /// The child (None once it was waited for).
    pub child: Option<Child>,
    /// What it is, for messages.
    pub name: String,
}

impl Guard {
    /// Wraps a spawned child.
    pub fn new(name: &str, child: Child) -> Self {
        Self {
            child: Some(child),
            name: name.to_owned(),
        }
    }

    /// The child's PID.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Sends SIGTERM and waits up to `limit` for the exit; panics if it does not exit in time.
    pub fn terminate(&mut self, limit: Duration) -> ExitStatus {
        let pid = self.pid().to_string();
        let st = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        assert!(st.success(), "kill -TERM {pid} ({}) failed", self.name);
        let mut child = self.child.take().expect("child still running");
        let deadline = Instant::now() + limit;
        loop {
            if let Some(s) = child.try_wait().expect("try_wait") {
                return s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{} did not exit within {limit:?} after SIGTERM", self.name);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Forwards a child's stdout lines to a channel (the reader thread ends with the pipe).
fn line_channel(out: ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits (bounded) for a line starting with `prefix`; returns the rest.
fn wait_line(rx: &mpsc::Receiver<String>, prefix: &str, what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(rest) = line.strip_prefix(prefix) {
                    return rest.trim().to_owned();
                }
            }
            Err(e) => panic!("{what} did not print {prefix:?} within 60 s ({e})"),
        }
    }
}

/// A running `easdav sim`.
pub struct Sim {
    /// The EAS endpoint URL.
    pub eas_url: String,
    /// The control API base URL.
    pub control: String,
    _guard: Guard,
}

impl Sim {
    /// Starts a simulator with user alice:secret on free ports.
    pub fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_easdav"))
            .args(["sim", "--listen", "127.0.0.1:0", "--control", "127.0.0.1:0"])
            .args(["--user", &format!("{USER}:{PASSWORD}")])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("easdav sim starts");
        let rx = line_channel(child.stdout.take().expect("stdout piped"));
        let guard = Guard::new("easdav sim", child);
        let eas_url = wait_line(&rx, "eas-sim listening on ", "easdav sim");
        let control = wait_line(&rx, "eas-sim control on ", "easdav sim");
        Self {
            eas_url,
            control,
            _guard: guard,
        }
    }
}

/// A running `easdav serve`.
pub struct Gateway {
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub url: String,
    /// The bound address.
    pub addr: String,
    /// The process.
    pub guard: Guard,
}

impl Gateway {
    /// Starts the gateway against `sim` with data in `data`, on `listen` (`127.0.0.1:0` for any).
    pub fn start(sim: &Sim, data: &Path, listen: &str, log: &Path) -> Self {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("gateway log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_easdav"))
            .args(["serve", "--listen", listen, "--upstream", &sim.eas_url, "--data"])
            .arg(data)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("easdav serve starts");
        let rx = line_channel(child.stdout.take().expect("stdout piped"));
        let guard = Guard::new("easdav serve", child);
        let url = wait_line(&rx, "easdav: DAV listening on ", "easdav serve");
        let url = url.trim_end_matches('/').to_owned();
        let addr = url.trim_start_matches("http://").to_owned();
        let gw = Self { url, addr, guard };
        wait_http_ok(&gw.addr, "/readyz", Duration::from_secs(30));
        gw
    }
}

/// A free loopback port (bound and released; the caller binds it right after).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// A minimal HTTP/1.0 GET; returns the status code (0 if the connection failed).
pub fn http_status(addr: &str, path: &str) -> u16 {
    let Ok(mut s) = TcpStream::connect(addr) else { return 0 };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").is_err() {
        return 0;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// Polls `path` every 100 ms until it answers 200 (panics after `limit`).
pub fn wait_http_ok(addr: &str, path: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let st = http_status(addr, path);
        if st == 200 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "http://{addr}{path} not 200 within {limit:?} (last {st})"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits (bounded) until something accepts TCP connections on `addr`.
pub fn wait_tcp(addr: &str, what: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    while TcpStream::connect(addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} not listening on {addr} within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Output of a finished peer script.
pub struct Run {
    /// Whether it exited 0.
    pub ok: bool,
    /// Its stdout.
    pub out: String,
    /// Its stderr.
    pub err: String,
}

impl Run {
    /// Panics with the whole output unless the script succeeded and printed `ALL OK`.
    pub fn assert_all_ok(&self, what: &str) {
        assert!(
            self.ok && self.out.lines().any(|l| l == "ALL OK"),
            "{what} failed:\n--- stdout\n{}\n--- stderr\n{}",
            self.out,
            self.err
        );
    }
}

/// Runs `tests/peers/<script>` with the venv's Python, bounded by `limit`.
pub fn run_peer(script: &str, args: &[&str], limit: Duration) -> Run {
    let py = python();
    let mut child = Command::new(&py)
        .arg(repo_root().join("tests/peers").join(script))
        .args(args)
        .env("PYTHONUNBUFFERED", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python starts");
    let mut so = child.stdout.take().expect("stdout");
    let mut se = child.stderr.take().expect("stderr");
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = so.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = se.read_to_string(&mut s);
        s
    });
    let mut guard = Guard::new(script, child);
    let deadline = Instant::now() + limit;
    let status = loop {
        let c = guard.child.as_mut().expect("child");
        if let Some(s) = c.try_wait().expect("try_wait") {
            break Some(s);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(guard); // kills on timeout, so the pipes close
    let out = t_out.join().unwrap_or_default();
    let err = t_err.join().unwrap_or_default();
    let Some(status) = status else {
        panic!("{script} did not finish within {limit:?}:\n--- stdout\n{out}\n--- stderr\n{err}");
    };
    eprintln!("--- {script} stdout\n{out}--- {script} stderr\n{err}");
    Run {
        ok: status.success(),
        out,
        err,
    }
}

/// A fresh simulator and gateway with their own temporary directory.
pub struct Stack {
    /// The gateway (fields drop in order: gateway, simulator, directory).
    pub gw: Gateway,
    /// The simulator.
    pub sim: Sim,
    /// Temporary directory (gateway data in `data/`, logs).
    pub dir: tempfile::TempDir,
}

impl Stack {
    /// Starts both.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let sim = Sim::start();
        let gw = Gateway::start(
            &sim,
            &dir.path().join("data"),
            "127.0.0.1:0",
            &dir.path().join("gateway.log"),
        );
        Self { gw, sim, dir }
    }

    /// The gateway's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("gateway.log")).unwrap_or_default()
    }
}
