//! The gateway's HTTP front: operational endpoints (`/metrics`, `/healthz`,
//! `/readyz`), brute-force protection and request metrics around the DAV
//! service, the accept loop (plain or TLS) and graceful shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use dav_server::{Backend, DavServer};
use http::{header, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::GracefulShutdown;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::config::Cidr;
use crate::limiter::LoginLimiter;

type Body = http_body_util::combinators::BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// Extra gauges rendered at scrape time (sync lag, active pings, outbox depth).
pub type GaugeSource = Arc<dyn Fn() -> String + Send + Sync>;

/// The front service; cheap to clone.
pub struct Gateway<B: Backend> {
    dav: DavServer<B>,
    metrics: Option<PrometheusHandle>,
    extra_metrics: Option<GaugeSource>,
    limiter: Arc<LoginLimiter>,
    trusted: Arc<Vec<Cidr>>,
    ready: Arc<AtomicBool>,
}

impl<B: Backend> Clone for Gateway<B> {
    fn clone(&self) -> Self {
        Gateway {
            dav: self.dav.clone(),
            metrics: self.metrics.clone(),
            extra_metrics: self.extra_metrics.clone(),
            limiter: Arc::clone(&self.limiter),
            trusted: Arc::clone(&self.trusted),
            ready: Arc::clone(&self.ready),
        }
    }
}

impl<B: Backend> Gateway<B> {
    /// Wraps a DAV server.
    pub fn new(
        dav: DavServer<B>,
        metrics: Option<PrometheusHandle>,
        limiter: LoginLimiter,
        trusted: Vec<Cidr>,
    ) -> Self {
        Gateway {
            dav,
            metrics,
            extra_metrics: None,
            limiter: Arc::new(limiter),
            trusted: Arc::new(trusted),
            ready: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Adds a source of gauges rendered after the recorder's metrics.
    pub fn with_extra_metrics(mut self, f: GaugeSource) -> Self {
        self.extra_metrics = Some(f);
        self
    }

    /// The readiness flag (`/readyz` answers 200 while it is set).
    pub fn ready_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.ready)
    }

    /// Handles one request.
    pub async fn handle(&self, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        let path = req.uri().path();
        match path {
            "/healthz" => return text(StatusCode::OK, "ok\n"),
            "/readyz" => {
                return if self.ready.load(Ordering::Relaxed) {
                    text(StatusCode::OK, "ready\n")
                } else {
                    text(StatusCode::SERVICE_UNAVAILABLE, "starting or stopping\n")
                };
            }
            "/metrics" if self.metrics.is_some() && self.is_local_or_trusted(peer.ip()) => {
                let mut out = self.metrics.as_ref().map(PrometheusHandle::render).unwrap_or_default();
                if let Some(f) = &self.extra_metrics {
                    out.push_str(&f());
                }
                return text(StatusCode::OK, &out);
            }
            _ => {}
        }
        let method = req.method().as_str().to_owned();
        let client = self.client_addr(&req, peer);
        let user = basic_user(&req);
        let now = Instant::now();
        if user.is_some() {
            if let Some(wait) = self.limiter.check(user.as_deref(), client, now) {
                metrics::counter!("easdav_login_throttled_total").increment(1);
                tracing::warn!(client = %client, user = user.as_deref().unwrap_or(""), "login throttled after repeated failures");
                let mut r = text(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too many failed logins; try again later\n",
                );
                if let Ok(v) = http::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                return r;
            }
        }
        let resp = self.dav.handle(req, peer).await;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED && user.is_some() {
            self.limiter.failed(user.as_deref(), client, now);
            metrics::counter!("easdav_login_failures_total").increment(1);
            tracing::info!(client = %client, user = user.as_deref().unwrap_or(""), "failed login");
        }
        metrics::counter!("easdav_dav_requests_total", "method" => method.clone(), "status" => status.as_u16().to_string())
            .increment(1);
        metrics::histogram!("easdav_dav_request_duration_seconds", "method" => method)
            .record(now.elapsed().as_secs_f64());
        resp.map(|b| b.map_err(|e| match e {}).boxed())
    }

    fn is_local_or_trusted(&self, ip: IpAddr) -> bool {
        ip.is_loopback() || self.trusted.iter().any(|c| c.contains(ip))
    }

    /// The client's address: the peer, or the last untrusted hop of
    /// X-Forwarded-For when the peer is a trusted proxy.
    fn client_addr(&self, req: &Request<Incoming>, peer: SocketAddr) -> IpAddr {
        let ip = peer.ip();
        if !self.trusted.iter().any(|c| c.contains(ip)) {
            return ip;
        }
        let Some(xff) = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()) else {
            return ip;
        };
        xff.rsplit(',')
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .find(|a| !self.trusted.iter().any(|c| c.contains(*a)))
            .unwrap_or(ip)
    }

    /// Serves `listener` until `shutdown` resolves, then stops accepting and
    /// waits (bounded by `grace`) for in-flight requests to finish.
    pub async fn serve(
        self,
        listener: TcpListener,
        tls: Option<TlsAcceptor>,
        shutdown: impl Future<Output = ()>,
        grace: Duration,
    ) {
        let graceful = GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                r = listener.accept() => match r {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let this = self.clone();
            let svc = hyper::service::service_fn(move |req| {
                let this = this.clone();
                async move { Ok::<_, Infallible>(this.handle(req, peer).await) }
            });
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            match &tls {
                None => {
                    let conn = builder
                        .serve_connection_with_upgrades(TokioIo::new(stream), svc)
                        .into_owned();
                    let conn = graceful.watch(conn);
                    tokio::spawn(async move {
                        if let Err(e) = conn.await {
                            tracing::debug!(error = %e, "connection ended");
                        }
                    });
                }
                Some(acceptor) => {
                    let acceptor = acceptor.clone();
                    let watcher = graceful.watcher();
                    tokio::spawn(async move {
                        let stream = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await
                        {
                            Ok(Ok(s)) => s,
                            Ok(Err(e)) => {
                                tracing::debug!(error = %e, %peer, "TLS handshake failed");
                                return;
                            }
                            Err(_) => return,
                        };
                        let conn = builder
                            .serve_connection_with_upgrades(TokioIo::new(stream), svc)
                            .into_owned();
                        if let Err(e) = watcher.watch(conn).await {
                            tracing::debug!(error = %e, "connection ended");
                        }
                    });
                }
            }
        }
        drop(listener);
        tokio::select! {
            () = graceful.shutdown() => tracing::info!("all connections closed"),
            () = tokio::time::sleep(grace) => tracing::warn!("grace period over; closing remaining connections"),
        }
    }
}

fn text(status: StatusCode, s: &str) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(s.to_owned())).map_err(|e| match e {}).boxed());
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The user name of a Basic Authorization header, if any.
fn basic_user<T>(req: &Request<T>) -> Option<String> {
    let v = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
    let s = String::from_utf8(raw).ok()?;
    Some(s.split_once(':').map_or(s.as_str(), |(u, _)| u).to_owned())
}

/// Loads a rustls server configuration from PEM files.
///
/// # Errors
/// A message naming the file when it cannot be read or holds no key/certificate.
pub fn tls_acceptor(cert: &std::path::Path, key: &std::path::Path) -> Result<TlsAcceptor, String> {
    let certs = rustls_pemfile::certs(&mut std::io::BufReader::new(
        std::fs::File::open(cert).map_err(|e| format!("{}: {e}", cert.display()))?,
    ))
    .collect::<Result<Vec<_>, _>>()
    .map_err(|e| format!("{}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate found (expected PEM)", cert.display()));
    }
    let key = rustls_pemfile::private_key(&mut std::io::BufReader::new(
        std::fs::File::open(key).map_err(|e| format!("{}: {e}", key.display()))?,
    ))
    .map_err(|e| format!("{}: {e}", key.display()))?
    .ok_or_else(|| format!("{}: no private key found (expected PEM)", key.display()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut cfg = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("certificate/key mismatch: {e}"))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(cfg)))
}

/// Resolves when SIGTERM or SIGINT arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received; shutting down"),
        () = term => tracing::info!("SIGTERM received; shutting down"),
    }
}
