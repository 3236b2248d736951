//! The HTTP service: origin and prefix resolution, authentication, isolation, dispatch.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Body as HttpBody;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

use crate::auth::AuthCache;
use crate::backend::Backend;
use crate::config::DavConfig;
use crate::error::{Body, DavError, DavResult};
use crate::method;
use crate::paths::{self, Hrefs, Target};

/// `DAV:` compliance classes announced on every response.
pub const DAV_HEADER: &str = "1, 3, calendar-access, addressbook, extended-mkcol";
/// Methods announced in `Allow`.
pub const ALLOW: &str = "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, REPORT, MKCOL, MKCALENDAR";

/// The DAV service over a [`Backend`]. Cheap to clone.
pub struct DavServer<B: Backend> {
    inner: Arc<Inner<B>>,
}

impl<B: Backend> Clone for DavServer<B> {
    fn clone(&self) -> Self {
        DavServer {
            inner: Arc::clone(&self.inner),
        }
    }
}

struct Inner<B> {
    backend: Arc<B>,
    cfg: DavConfig,
    auth: AuthCache,
}

/// Everything a handler needs about one authenticated request.
pub struct Ctx<'a, B> {
    /// The backend.
    pub backend: &'a B,
    /// Configuration.
    pub cfg: &'a DavConfig,
    /// Canonical authenticated user.
    pub user: String,
    /// Href builder under the external prefix.
    pub hrefs: Hrefs,
    /// Request headers.
    pub headers: &'a HeaderMap,
    /// The request path as sent (for echoing hrefs).
    pub path: String,
}

impl<'a, B> Ctx<'a, B> {
    /// A header value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl<B: Backend> DavServer<B> {
    /// Builds the service.
    pub fn new(backend: Arc<B>, cfg: DavConfig) -> Self {
        let auth = AuthCache::new(cfg.auth_cache_ttl);
        DavServer {
            inner: Arc::new(Inner { backend, cfg, auth }),
        }
    }

    /// Serves connections from `listener` until the task is dropped (HTTP/1.1 and HTTP/2).
    ///
    /// # Errors
    /// Only accept errors end the loop.
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        loop {
            let (stream, peer) = listener.accept().await?;
            let this = self.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| {
                    let this = this.clone();
                    async move { Ok::<_, Infallible>(this.handle(req, peer).await) }
                });
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                if let Err(e) = builder.serve_connection(TokioIo::new(stream), svc).await {
                    tracing::debug!(error = %e, "connection ended");
                }
            });
        }
    }

    /// Handles one request (usable in-process without a socket).
    pub async fn handle<RB>(&self, req: Request<RB>, peer: SocketAddr) -> Response<Body>
    where
        RB: HttpBody<Data = Bytes> + Send,
        RB::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let realm = self.inner.cfg.realm.clone();
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let started = std::time::Instant::now();
        let mut resp = match self.route(req, peer).await {
            Ok(r) => r,
            Err(e) => e.into_response(&realm),
        };
        let h = resp.headers_mut();
        h.insert("dav", http::HeaderValue::from_static(DAV_HEADER));
        tracing::debug!(
            %method,
            %path,
            %peer,
            status = resp.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "dav request"
        );
        resp
    }

    async fn route<RB>(&self, req: Request<RB>, peer: SocketAddr) -> DavResult<Response<Body>>
    where
        RB: HttpBody<Data = Bytes> + Send,
        RB::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let cfg = &self.inner.cfg;
        let (parts, body) = req.into_parts();
        // Read the body before answering anything, so that early answers (redirect, 401)
        // leave the connection reusable.
        let body = read_body(body, cfg.max_body_bytes).await?;
        let (base, prefix) = origin(cfg, &parts.headers, peer);
        let hrefs = Hrefs { prefix };
        let raw_path = parts.uri.path().to_owned();
        let mount = cfg.mount_prefix.trim_end_matches('/');
        let rel = raw_path
            .strip_prefix(mount)
            .ok_or(DavError::Status(StatusCode::NOT_FOUND))?;
        let rel = if rel.is_empty() { "/" } else { rel };
        if !rel.starts_with('/') {
            return Err(DavError::Status(StatusCode::NOT_FOUND));
        }
        // OPTIONS is answered anywhere under the root, also on paths we do not serve (GNOME
        // Online Accounts probes `/remote.php/dav` and wants 200 with a DAV header).
        if parts.method == Method::OPTIONS {
            return Ok(method::options::handle());
        }
        let target = paths::parse(rel).ok_or(DavError::Status(StatusCode::NOT_FOUND))?;
        if target == Target::WellKnown {
            return Ok(redirect(&format!("{base}{}", hrefs.root())));
        }
        let auth = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let user = self.inner.auth.verify(self.inner.backend.as_ref(), auth).await?;
        let target = own_target(target, &user)?;
        let ctx = Ctx {
            backend: self.inner.backend.as_ref(),
            cfg,
            user,
            hrefs,
            headers: &parts.headers,
            path: raw_path.clone(),
        };
        let m = parts.method.as_str();
        match m {
            "PROPFIND" => method::propfind::handle(&ctx, &target, &body).await,
            "PROPPATCH" => method::proppatch::handle(&ctx, &target, &body).await,
            "REPORT" => method::report::handle(&ctx, &target, &body).await,
            "GET" => method::get::handle(&ctx, &target, false).await,
            "HEAD" => method::get::handle(&ctx, &target, true).await,
            "PUT" => method::put::handle(&ctx, &target, &body).await,
            "DELETE" => method::delete::handle(&ctx, &target).await,
            "MKCALENDAR" | "MKCOL" => method::mkcol::handle(&ctx, &target, &body, m == "MKCALENDAR").await,
            _ => {
                let mut r = empty(StatusCode::METHOD_NOT_ALLOWED);
                r.headers_mut()
                    .insert(header::ALLOW, http::HeaderValue::from_static(ALLOW));
                Ok(r)
            }
        }
    }
}

/// Replaces the path's user by the canonical one, or refuses access to other users' paths
/// with 404 (their existence is not revealed).
fn own_target(t: Target, user: &str) -> DavResult<Target> {
    let same = |u: &str| u.eq_ignore_ascii_case(user);
    let not_yours = || DavError::Status(StatusCode::NOT_FOUND);
    Ok(match t {
        Target::Principal(u) if same(&u) => Target::Principal(user.to_owned()),
        Target::Home(h, u) if same(&u) => Target::Home(h, user.to_owned()),
        Target::Collection(h, u, c) if same(&u) => Target::Collection(h, user.to_owned(), c),
        Target::Resource(h, u, c, n) if same(&u) => Target::Resource(h, user.to_owned(), c, n),
        Target::Principal(_) | Target::Home(..) | Target::Collection(..) | Target::Resource(..) => {
            return Err(not_yours())
        }
        other => other,
    })
}

async fn read_body<RB>(body: RB, max: usize) -> DavResult<Bytes>
where
    RB: HttpBody<Data = Bytes> + Send,
    RB::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match Limited::new(body, max).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(DavError::Status(StatusCode::PAYLOAD_TOO_LARGE)),
        Err(e) => Err(DavError::BadRequest(format!("reading request body: {e}"))),
    }
}

/// Scheme+authority (`https://host:port`) and href prefix as the client sees them.
pub fn origin(cfg: &DavConfig, headers: &HeaderMap, peer: SocketAddr) -> (String, String) {
    if let Some(url) = &cfg.public_base_url {
        let (scheme, rest) = url.split_once("://").unwrap_or(("https", url.as_str()));
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        return (format!("{scheme}://{authority}"), path.trim_end_matches('/').to_owned());
    }
    let trusted = cfg.trusted_proxies.iter().any(|n| n.contains(peer.ip()));
    let fwd = |name: &str| -> Option<String> {
        if !trusted {
            return None;
        }
        let v = headers.get(name)?.to_str().ok()?;
        let first = v.split(',').next()?.trim();
        (!first.is_empty()).then(|| first.to_owned())
    };
    let scheme = fwd("x-forwarded-proto")
        .filter(|s| s == "http" || s == "https")
        .unwrap_or_else(|| "http".to_owned());
    let host = fwd("x-forwarded-host")
        .or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .filter(|h| valid_authority(h))
        .unwrap_or_else(|| "localhost".to_owned());
    let prefix = fwd("x-forwarded-prefix")
        .filter(|p| p.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-._~%@".contains(&b)))
        .map(|p| format!("/{}", p.trim_matches('/')))
        .map(|p| if p == "/" { String::new() } else { p })
        .unwrap_or_else(|| cfg.mount_prefix.trim_end_matches('/').to_owned());
    (format!("{scheme}://{host}"), prefix)
}

/// Host names, IPv4/IPv6 literals and ports only: a Host header cannot inject a path or
/// another URL into `Location`.
fn valid_authority(h: &str) -> bool {
    !h.is_empty() && h.len() <= 255 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
}

fn redirect(location: &str) -> Response<Body> {
    let mut r = empty(StatusCode::TEMPORARY_REDIRECT);
    if let Ok(v) = http::HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// A response without body.
pub fn empty(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    r
}

/// A 207 response with an XML body.
pub fn multistatus(xml: String) -> Response<Body> {
    xml_response(StatusCode::MULTI_STATUS, xml)
}

/// An XML response with the given status.
pub fn xml_response(status: StatusCode, xml: String) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(xml)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/xml; charset=utf-8"),
    );
    r
}
