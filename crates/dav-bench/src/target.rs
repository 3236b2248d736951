//! Targets: a CalDAV base URL plus credentials, discovered and seeded like a client would.
//!
//! Built-in targets are started here as child processes on 127.0.0.1 with a free port: `easdav`
//! (this binary re-executed as `dav-bench serve-easdav`, the dav-server crate over its in-memory
//! backend) and `radicale` (the venv's `python -m radicale` with htpasswd auth in a temp dir).
//! Anything else (for example `easdav serve` over the simulator) is given as `NAME=URL` with the
//! credentials in the URL's user-info. Children are killed by handle when dropped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine as _;
use futures::StreamExt;
use reqwest::{Method, Url};
use tokio::io::AsyncBufReadExt;
use tokio::process::{Child, Command};

use crate::data::Calendar;
use crate::xml::Multistatus;
use crate::BenchError;

/// Where to send requests, and as whom.
#[derive(Debug, Clone)]
pub struct Target {
    /// Short name used in the table.
    pub name: String,
    /// Base URL (no user-info); discovery starts with a PROPFIND on it.
    pub base: Url,
    /// Basic auth user.
    pub user: String,
    /// Basic auth password.
    pub password: String,
    /// Seed with one PUT of the whole calendar on the collection URL (Radicale's import) instead
    /// of MKCALENDAR plus one PUT per event.
    pub bulk_seed: bool,
}

impl Target {
    /// Parses `NAME=URL` where the URL carries `user:password@` (percent-encoded as needed).
    pub fn parse(spec: &str) -> Result<Self, BenchError> {
        let (name, url) = spec
            .split_once('=')
            .ok_or_else(|| BenchError::Usage(format!("target {spec:?}: want NAME=URL")))?;
        let mut base = Url::parse(url).map_err(|e| BenchError::Usage(format!("target {name}: {e}")))?;
        let dec = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let user = dec(base.username());
        let password = dec(base.password().unwrap_or(""));
        if user.is_empty() {
            return Err(BenchError::Usage(format!(
                "target {name}: the URL needs user:password@"
            )));
        }
        let _ = base.set_username("");
        let _ = base.set_password(None);
        Ok(Target {
            name: name.to_owned(),
            base,
            user,
            password,
            bulk_seed: false,
        })
    }

    /// The `Authorization` header value.
    pub fn auth(&self) -> String {
        let raw = format!("{}:{}", self.user, self.password);
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
    }
}

/// A server child process started for the run; killed on drop.
#[derive(Debug)]
pub struct Spawned {
    /// How to reach it.
    pub target: Target,
    child: Child,
    _dir: Option<tempfile::TempDir>,
}

impl Spawned {
    /// Kills the child and waits for it.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

const BENCH_USER: &str = "bench";
const BENCH_PASSWORD: &str = "bench-pw";

/// Starts `dav-bench serve-easdav` (this executable) and waits for its `listening on` line.
pub async fn spawn_easdav() -> Result<Spawned, BenchError> {
    let exe = std::env::current_exe().map_err(|e| BenchError::Spawn("easdav".into(), e.to_string()))?;
    let mut child = Command::new(exe)
        .args([
            "serve-easdav",
            "--listen",
            "127.0.0.1:0",
            "--user",
            &format!("{BENCH_USER}:{BENCH_PASSWORD}"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| BenchError::Spawn("easdav".into(), e.to_string()))?;
    let out = child
        .stdout
        .take()
        .ok_or_else(|| BenchError::Spawn("easdav".into(), "no stdout".into()))?;
    let mut lines = tokio::io::BufReader::new(out).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .map_err(|_| BenchError::Spawn("easdav".into(), "no listening line within 30 s".into()))?
        .map_err(|e| BenchError::Spawn("easdav".into(), e.to_string()))?
        .unwrap_or_default();
    let addr = line
        .strip_prefix("listening on ")
        .ok_or_else(|| BenchError::Spawn("easdav".into(), format!("unexpected first line {line:?}")))?;
    let target = Target::parse(&format!("easdav=http://{BENCH_USER}:{BENCH_PASSWORD}@{addr}/"))?;
    Ok(Spawned {
        target,
        child,
        _dir: None,
    })
}

/// The Python interpreter: `--python`, else `EASDAV_PYTHON`, else `<repo>/.venv/bin/python`.
pub fn python(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("EASDAV_PYTHON").map(PathBuf::from))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"))
}

/// Starts Radicale from `python` with htpasswd (plain) auth and filesystem storage in a temp dir.
///
/// The one setting that differs from Radicale's defaults is `max_connections = 128` (default 8,
/// which would queue the 16- and 64-client cells in the accept backlog).
pub async fn spawn_radicale(python: &Path) -> Result<Spawned, BenchError> {
    let err = |m: String| BenchError::Spawn("radicale".into(), m);
    if !python.exists() {
        return Err(err(format!(
            "python interpreter {} not found (create the venv from tests/requirements.txt or set EASDAV_PYTHON)",
            python.display()
        )));
    }
    let dir = tempfile::tempdir().map_err(|e| err(e.to_string()))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| err(e.to_string()))?
        .port();
    let root = dir.path();
    std::fs::write(root.join("users"), format!("{BENCH_USER}:{BENCH_PASSWORD}\n")).map_err(|e| err(e.to_string()))?;
    let cfg = format!(
        "[server]\nhosts = 127.0.0.1:{port}\nmax_connections = 128\n[auth]\ntype = htpasswd\n\
         htpasswd_filename = {users}\nhtpasswd_encryption = plain\n[storage]\nfilesystem_folder = {coll}\n\
         [logging]\nlevel = warning\n",
        users = root.join("users").display(),
        coll = root.join("collections").display(),
    );
    std::fs::write(root.join("config"), cfg).map_err(|e| err(e.to_string()))?;
    let mut child = Command::new(python)
        .args(["-m", "radicale", "--config"])
        .arg(root.join("config"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| err(e.to_string()))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(err(format!("exited with {status} before listening")));
        }
        if Instant::now() > deadline {
            let _ = child.kill().await;
            return Err(err("not listening within 30 s".into()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut target = Target::parse(&format!(
        "radicale=http://{BENCH_USER}:{BENCH_PASSWORD}@127.0.0.1:{port}/"
    ))?;
    target.bulk_seed = true;
    Ok(Spawned {
        target,
        child,
        _dir: Some(dir),
    })
}

/// A set-up client for one target.
pub struct Setup<'a> {
    target: &'a Target,
    client: reqwest::Client,
}

/// A seeded calendar collection.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// Collection URL.
    pub url: Url,
    /// Member URLs in event order.
    pub members: Vec<Url>,
}

impl<'a> Setup<'a> {
    /// A client for `target`.
    pub fn new(target: &'a Target) -> Result<Self, BenchError> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(1800))
            .build()
            .map_err(|e| BenchError::Http(target.name.clone(), e.to_string()))?;
        Ok(Setup { target, client })
    }

    /// Sends one request and returns status and body.
    pub async fn send(
        &self,
        method: &str,
        url: &Url,
        depth: Option<&str>,
        body: String,
        ctype: &str,
    ) -> Result<(u16, Vec<u8>), BenchError> {
        let m = Method::from_bytes(method.as_bytes()).map_err(|e| BenchError::Usage(e.to_string()))?;
        let mut rb = self
            .client
            .request(m, url.clone())
            .header("Authorization", self.target.auth());
        if let Some(d) = depth {
            rb = rb.header("Depth", d);
        }
        if !body.is_empty() {
            rb = rb.header("Content-Type", ctype).body(body);
        }
        let http = |e: reqwest::Error| BenchError::Http(self.target.name.clone(), format!("{method} {url}: {e}"));
        let resp = rb.send().await.map_err(http)?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(http)?;
        Ok((status, bytes.to_vec()))
    }

    fn fail(&self, what: &str, status: u16, body: &[u8]) -> BenchError {
        let text = String::from_utf8_lossy(body);
        let snippet: String = text.chars().take(300).collect();
        BenchError::Setup(format!("{}: {what} answered {status}: {snippet}", self.target.name))
    }

    async fn prop_href(&self, url: &Url, prop: &str, ns: &str) -> Result<Url, BenchError> {
        let body = format!(
            r#"<?xml version="1.0"?><propfind xmlns="DAV:"><prop><x:{prop} xmlns:x="{ns}"/></prop></propfind>"#
        );
        let (st, b) = self.send("PROPFIND", url, Some("0"), body, "application/xml").await?;
        let href = Multistatus::parse(&b)
            .filter(|_| st == 207)
            .and_then(|ms| ms.prop(prop).map(str::to_owned));
        let href = href.ok_or_else(|| self.fail(&format!("PROPFIND {prop} on {url}"), st, &b))?;
        url.join(&href)
            .map_err(|e| BenchError::Setup(format!("{}: bad href {href:?}: {e}", self.target.name)))
    }

    /// Finds the calendar home: current-user-principal, then calendar-home-set.
    pub async fn discover_home(&self) -> Result<Url, BenchError> {
        let principal = self
            .prop_href(&self.target.base, "current-user-principal", "DAV:")
            .await?;
        self.prop_href(&principal, "calendar-home-set", "urn:ietf:params:xml:ns:caldav")
            .await
    }

    /// Re-creates calendar `slug` in `home` and uploads `cal` with `parallel` PUTs in flight.
    pub async fn seed(&self, home: &Url, slug: &str, cal: &Calendar, parallel: usize) -> Result<Seeded, BenchError> {
        let url = home
            .join(&format!("{slug}/"))
            .map_err(|e| BenchError::Setup(e.to_string()))?;
        let (st, b) = self.send("DELETE", &url, None, String::new(), "").await?;
        if !matches!(st, 200 | 204 | 404) {
            return Err(self.fail(&format!("DELETE {url}"), st, &b));
        }
        let mut members = Vec::with_capacity(cal.events.len());
        for ev in &cal.events {
            members.push(url.join(&ev.name).map_err(|e| BenchError::Setup(e.to_string()))?);
        }
        if self.target.bulk_seed {
            let (st, b) = self
                .send(
                    "PUT",
                    &url,
                    None,
                    cal.as_one_vcalendar(),
                    "text/calendar; charset=utf-8",
                )
                .await?;
            if !matches!(st, 201 | 204) {
                return Err(self.fail(&format!("whole-calendar PUT {url}"), st, &b));
            }
            return Ok(Seeded { url, members });
        }
        let mk = format!(
            r#"<?xml version="1.0"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>bench {slug}</D:displayname><C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"#
        );
        let (st, b) = self.send("MKCALENDAR", &url, None, mk, "application/xml").await?;
        if st != 201 {
            return Err(self.fail(&format!("MKCALENDAR {url}"), st, &b));
        }
        let puts = cal.events.iter().zip(&members).map(|(ev, m)| async move {
            let rb = self
                .client
                .put(m.clone())
                .header("Authorization", self.target.auth())
                .header("If-None-Match", "*")
                .header("Content-Type", "text/calendar; charset=utf-8")
                .body(ev.body.clone());
            let resp = rb
                .send()
                .await
                .map_err(|e| BenchError::Http(self.target.name.clone(), format!("PUT {m}: {e}")))?;
            let st = resp.status().as_u16();
            if st == 201 || st == 204 {
                Ok(())
            } else {
                let b = resp.bytes().await.unwrap_or_default();
                Err(self.fail(&format!("PUT {m}"), st, &b))
            }
        });
        {
            let mut stream = futures::stream::iter(puts).buffer_unordered(parallel.max(1));
            while let Some(r) = stream.next().await {
                r?;
            }
        }
        Ok(Seeded { url, members })
    }

    /// Runs sync-collection from the empty token to the end (following 507 continuations, at most
    /// 10,000 pages) and returns the final token and how many members it listed.
    pub async fn initial_sync(&self, coll: &Url) -> Result<(String, usize), BenchError> {
        let mut token = String::new();
        let mut seen = 0;
        for _ in 0..10_000 {
            let (st, b) = self
                .send("REPORT", coll, None, sync_body(&token), "application/xml")
                .await?;
            let ms = Multistatus::parse(&b)
                .filter(|_| st == 207)
                .ok_or_else(|| self.fail("sync-collection", st, &b))?;
            let next = ms
                .sync_token
                .clone()
                .ok_or_else(|| self.fail("sync-collection (no token)", st, &b))?;
            let truncated = ms
                .responses
                .iter()
                .any(|r| r.href.trim_end_matches('/') == coll.path().trim_end_matches('/'));
            seen += ms.responses.iter().filter(|r| !r.href.ends_with('/')).count();
            let done = next == token || !truncated;
            token = next;
            if done {
                return Ok((token, seen));
            }
        }
        Err(BenchError::Setup(format!(
            "{}: sync-collection did not finish in 10,000 pages",
            self.target.name
        )))
    }
}

/// The body of a sync-collection REPORT asking for ETags.
pub fn sync_body(token: &str) -> String {
    let tok = if token.is_empty() {
        "<D:sync-token/>".to_owned()
    } else {
        format!("<D:sync-token>{token}</D:sync-token>")
    };
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">{tok}<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
    )
}
