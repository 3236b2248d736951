//! A tiny scripted HTTP/1.1 server on 127.0.0.1:0 for exact fault cases (one request per
//! connection, `Connection: close`), plus a fake EAS responder to build scripts on.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use wbxml::tags::{folder_hierarchy as fh, provision as pv};
use wbxml::Element;

/// One request as the stub saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `Cmd` query parameter (`OPTIONS` for OPTIONS).
    pub fn cmd(&self) -> String {
        if self.method == "OPTIONS" {
            return "OPTIONS".to_owned();
        }
        self.query("Cmd").unwrap_or_default()
    }

    pub fn query(&self, key: &str) -> Option<String> {
        let q = self.target.split_once('?')?.1;
        q.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == key).then(|| percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
        })
    }

    pub fn element(&self) -> Option<Element> {
        wbxml::decode(&self.body).ok()
    }
}

/// What the stub answers.
pub enum Reply {
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Headers promising 100 bytes, 10 bytes, then the connection is closed.
    ResetMidBody,
    /// Waits, then answers.
    Delayed(Duration, Box<Reply>),
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply::Http {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn wbxml(el: &Element) -> Reply {
        Reply::Http {
            status: 200,
            headers: vec![("Content-Type".into(), "application/vnd.ms-sync.wbxml".into())],
            body: wbxml::encode(el),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Http { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }
}

type Handler = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

/// A running stub; the accept loop ends when the stub is dropped.
pub struct Stub {
    pub addr: std::net::SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: JoinHandle<()>,
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Stub {
    /// Starts a stub; `handler` gets each request and its 0-based index.
    pub async fn start(handler: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static) -> Stub {
        Self::start_with(handler, None).await
    }

    /// Starts a stub that speaks TLS with `tls` (HTTPS); handshake failures drop the connection.
    pub async fn start_tls(
        handler: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
        tls: Arc<rustls::ServerConfig>,
    ) -> Stub {
        Self::start_with(handler, Some(tokio_rustls::TlsAcceptor::from(tls))).await
    }

    async fn start_with(
        handler: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind stub");
        let addr = listener.local_addr().expect("stub addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let counter = Arc::new(AtomicUsize::new(0));
        let reqs = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let (handler, reqs, counter, tls) = (handler.clone(), reqs.clone(), counter.clone(), tls.clone());
                tokio::spawn(async move {
                    let limit = Duration::from_secs(20);
                    match tls {
                        None => {
                            let _ = tokio::time::timeout(limit, serve(sock, handler, reqs, counter)).await;
                        }
                        Some(acceptor) => {
                            let _ = tokio::time::timeout(limit, async move {
                                if let Ok(stream) = acceptor.accept(sock).await {
                                    serve(stream, handler, reqs, counter).await;
                                }
                            })
                            .await;
                        }
                    }
                });
            }
        });
        Stub { addr, requests, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}/Microsoft-Server-ActiveSync", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// The commands seen, in order.
    pub fn commands(&self) -> Vec<String> {
        self.requests().iter().map(Recorded::cmd).collect()
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut sock: S,
    handler: Arc<Handler>,
    reqs: Arc<Mutex<Vec<Recorded>>>,
    counter: Arc<AtomicUsize>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let target = first.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    let rec = Recorded {
        method,
        target,
        headers,
        body,
    };
    let index = counter.fetch_add(1, Ordering::SeqCst);
    reqs.lock().unwrap().push(rec.clone());
    let mut reply = handler(&rec, index);
    while let Reply::Delayed(d, inner) = reply {
        tokio::time::sleep(d).await;
        reply = *inner;
    }
    match reply {
        Reply::Http { status, headers, body } => {
            let mut out = format!(
                "HTTP/1.1 {status} Stub\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (n, v) in headers {
                out.push_str(&format!("{n}: {v}\r\n"));
            }
            out.push_str("\r\n");
            let mut bytes = out.into_bytes();
            bytes.extend_from_slice(&body);
            let _ = sock.write_all(&bytes).await;
            let _ = sock.shutdown().await;
        }
        Reply::ResetMidBody => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.ms-sync.wbxml\r\nContent-Length: 100\r\n\r\n";
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(&[3, 1, 0x6A, 0, 0, 7, 0x56, 0x4C, 0x03, b'1']).await;
            let _ = sock.flush().await;
            drop(sock);
        }
        Reply::Delayed(..) => unreachable!("unwrapped above"),
    }
}

/// The OPTIONS answer of a server offering `versions` (header sent twice, like EXO).
pub fn options_reply(versions: &str) -> Reply {
    Reply::status(200)
        .with_header("MS-ASProtocolVersions", versions)
        .with_header(
            "MS-ASProtocolCommands",
            "Sync,FolderSync,FolderCreate,Provision,Settings,Ping",
        )
        .with_header(
            "MS-ASProtocolCommands",
            "Sync,FolderSync,GetItemEstimate,ItemOperations,MoveItems",
        )
}

/// A Provision answer: phase one (temporary key 111 + policy) or phase two (final key 222).
pub fn provision_reply(req: &Recorded) -> Reply {
    let acked = req
        .element()
        .and_then(|e| e.find(pv::POLICIES).and_then(|p| p.find(pv::POLICY)).cloned())
        .is_some_and(|p| p.find(pv::POLICY_KEY).is_some());
    let mut policy = Element::new(pv::POLICY)
        .with_text_child(pv::POLICY_TYPE, "MS-EAS-Provisioning-WBXML")
        .with_text_child(pv::STATUS, "1")
        .with_text_child(pv::POLICY_KEY, if acked { "222" } else { "111" });
    if !acked {
        policy.push(
            Element::new(pv::DATA).with_child(
                Element::new(pv::EAS_PROVISION_DOC)
                    .with_text_child(pv::DEVICE_PASSWORD_ENABLED, "1")
                    .with_text_child(pv::MAX_CALENDAR_AGE_FILTER, "4"),
            ),
        );
    }
    Reply::wbxml(
        &Element::new(pv::PROVISION)
            .with_text_child(pv::STATUS, "1")
            .with_child(Element::new(pv::POLICIES).with_child(policy)),
    )
}

/// A FolderSync answer with status `status` and one calendar folder on success.
pub fn folder_sync_reply(status: &str) -> Reply {
    let mut root = Element::new(fh::FOLDER_SYNC).with_text_child(fh::STATUS, status);
    if status == "1" {
        root.push_text(fh::SYNC_KEY, "1");
        root.push(
            Element::new(fh::CHANGES).with_text_child(fh::COUNT, "1").with_child(
                Element::new(fh::ADD)
                    .with_text_child(fh::SERVER_ID, "cal")
                    .with_text_child(fh::PARENT_ID, "0")
                    .with_text_child(fh::DISPLAY_NAME, "Calendar")
                    .with_text_child(fh::TYPE, "8"),
            ),
        );
    }
    Reply::wbxml(&root)
}

/// A well-behaved EAS server offering `versions`.
pub fn eas_ok(req: &Recorded, versions: &str) -> Reply {
    match req.cmd().as_str() {
        "OPTIONS" => options_reply(versions),
        "Provision" => provision_reply(req),
        "FolderSync" => folder_sync_reply("1"),
        "Sync" | "Ping" => Reply::Http {
            status: 200,
            headers: Vec::new(),
            body: Vec::new(),
        },
        other => panic!("stub got unexpected command {other}"),
    }
}
