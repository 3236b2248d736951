//! The EAS HTTP listener: MS-ASHTTP framing, auth, provisioning gate, faults,
//! dispatch to the command handlers.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{combinators::BoxBody, BodyExt, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use tokio::net::TcpListener;
use tokio::sync::watch;
use wbxml::Element;

use eas_proto::http::{Command, OptionsAnswer};
use eas_proto::ProtocolVersion;

use crate::auth;
use crate::cmd::{self, Ctx, Outcome};
use crate::faults::FaultAction;
use crate::query;
use crate::shared::Shared;
use crate::state::WipeState;

/// Response body type of both listeners.
pub type Body = BoxBody<Bytes, std::io::Error>;

/// Commands listed in `MS-ASProtocolCommands`.
pub const COMMANDS: &str = "Sync,FolderSync,FolderCreate,FolderDelete,FolderUpdate,GetItemEstimate,\
ItemOperations,MoveItems,Ping,Provision,Settings";

const MAX_BODY: usize = 16 * 1024 * 1024;

/// Builds a full body.
pub fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).map_err(|never: Infallible| match never {}).boxed()
}

/// Serves HTTP/1.1 connections from `listener` with `handler` until `stop` flips.
pub async fn run_listener<F, Fut>(listener: TcpListener, mut stop: watch::Receiver<bool>, handler: F)
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<Body>> + Send + 'static,
{
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let h = handler.clone();
                conns.spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let h = h.clone();
                        async move { Ok::<_, Infallible>(h(req).await) }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    if let Err(e) = hyper::server::conn::http1::Builder::new().serve_connection(io, svc).await {
                        tracing::debug!("connection ended: {e}");
                    }
                });
            }
            _ = stop.changed() => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.abort_all();
}

/// Handles one request on the EAS listener.
pub async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path().trim_end_matches('/');
    if !path.eq_ignore_ascii_case("/Microsoft-Server-ActiveSync") {
        return plain(StatusCode::NOT_FOUND, "not an ActiveSync endpoint");
    }
    let Some(user) = auth::authenticate(&shared.config.users, req.headers()) else {
        return auth::unauthorized();
    };
    if req.method() == Method::OPTIONS {
        return options(&shared);
    }
    if req.method() != Method::POST {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "use POST or OPTIONS");
        r.headers_mut()
            .insert("Allow", HeaderValue::from_static("OPTIONS,POST"));
        return r;
    }
    let q = match query::parse(req.uri().query().unwrap_or_default(), req.headers()) {
        Ok(q) => q,
        Err(msg) => return plain(StatusCode::BAD_REQUEST, msg),
    };
    let Some(version) = q.version else {
        return plain(StatusCode::BAD_REQUEST, "missing or unsupported MS-ASProtocolVersion");
    };
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return plain(StatusCode::PAYLOAD_TOO_LARGE, "request body too large or unreadable"),
    };
    let doc = if body.is_empty() {
        None
    } else {
        match wbxml::decode(&body) {
            Ok(d) => Some(d),
            Err(e) => return plain(StatusCode::BAD_REQUEST, format!("invalid WBXML: {e}")),
        }
    };
    let ctx = Ctx {
        user,
        device_id: q.device_id,
        device_type: q.device_type,
        version,
        policy_key: q.policy_key,
        cmd: q.cmd,
    };
    tracing::debug!(user = %ctx.user, device = %ctx.device_id, cmd = %ctx.cmd, version = %version, "request");
    process(&shared, &ctx, doc).await
}

async fn process(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Response<Body> {
    let actions =
        shared
            .faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .on_request(&ctx.user, &ctx.cmd, Instant::now());
    let mut reset = false;
    for a in actions {
        match a {
            FaultAction::Latency { ms } => tokio::time::sleep(Duration::from_millis(ms)).await,
            FaultAction::Unavailable { retry_after } => return unavailable(retry_after, false),
            FaultAction::ServerError => return plain(StatusCode::INTERNAL_SERVER_ERROR, ""),
            FaultAction::Reset => reset = true,
            FaultAction::Throttle { status: None, .. } => return unavailable(60, true),
            FaultAction::Throttle { status: Some(s), .. } => {
                return render(ctx, cmd::status_response(&ctx.cmd, s), false);
            }
            FaultAction::Status { status } => {
                return render(ctx, cmd::fault_status(shared, ctx, doc.as_ref(), status), false);
            }
        }
    }
    if ctx.version < shared.config.min_version {
        // Exchange Online refuses old versions; 12.x clients cannot parse in-band statuses.
        if ctx.version < ProtocolVersion::V14_0 {
            return plain(StatusCode::BAD_REQUEST, "protocol version not supported");
        }
        return render(ctx, cmd::status_response(&ctx.cmd, 138), reset);
    }
    if shared.config.provisioning && !ctx.cmd.eq_ignore_ascii_case("Provision") {
        if let Some(code) = provisioning_gate(shared, ctx) {
            if ctx.version < ProtocolVersion::V14_0 {
                return plain(StatusCode::from_u16(449).unwrap_or(StatusCode::FORBIDDEN), "");
            }
            return render(ctx, cmd::status_response(&ctx.cmd, code), reset);
        }
    }
    let outcome = cmd::dispatch(shared, ctx, doc).await;
    render(ctx, outcome, reset)
}

/// Returns the status that blocks the request, if any (140/142/144).
fn provisioning_gate(shared: &Shared, ctx: &Ctx) -> Option<u16> {
    shared.with_mailbox(&ctx.user, |mb| {
        let dev = mb.device(&ctx.device_id);
        if dev.wipe != WipeState::None {
            return Some(140);
        }
        match dev.policy_key {
            None => Some(142),
            Some(k) if ctx.policy_key != Some(k) => Some(144),
            Some(_) => None,
        }
    })
}

fn render(ctx: &Ctx, outcome: Outcome, reset: bool) -> Response<Body> {
    let (status, bytes, headers) = match outcome {
        Outcome::Wbxml(e) => (StatusCode::OK, wbxml::encode(&e), true),
        Outcome::Empty => (StatusCode::OK, Vec::new(), false),
        Outcome::Http(code) => (code, Vec::new(), false),
        Outcome::UnknownCommand => {
            return plain(
                StatusCode::NOT_IMPLEMENTED,
                format!("command {:?} not supported", ctx.cmd),
            );
        }
    };
    let len = bytes.len();
    let body = if reset {
        let half = Bytes::from(bytes).slice(..len / 2);
        let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = vec![
            Ok(Frame::data(half)),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "injected reset",
            )),
        ];
        BodyExt::boxed(StreamBody::new(futures::stream::iter(frames)))
    } else {
        full(bytes)
    };
    let mut r = Response::new(body);
    *r.status_mut() = status;
    let h = r.headers_mut();
    if headers {
        h.insert(
            "Content-Type",
            HeaderValue::from_static("application/vnd.ms-sync.wbxml"),
        );
    }
    h.insert("Content-Length", HeaderValue::from(len));
    h.insert(
        "MS-Server-ActiveSync",
        HeaderValue::from_static("15.20 (easdav eas-sim)"),
    );
    r
}

fn options(shared: &Shared) -> Response<Body> {
    let answer = OptionsAnswer {
        versions: ProtocolVersion::ALL
            .into_iter()
            .filter(|v| *v >= shared.config.min_version)
            .collect(),
        commands: COMMANDS.split(',').filter_map(Command::from_name).collect(),
    };
    let mut r = Response::new(full(Bytes::new()));
    let h = r.headers_mut();
    h.insert(
        "MS-Server-ActiveSync",
        HeaderValue::from_static("15.20 (easdav eas-sim)"),
    );
    for (name, value) in answer.to_headers() {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    r
}

fn unavailable(retry_after: u64, throttled: bool) -> Response<Body> {
    let mut r = plain(StatusCode::SERVICE_UNAVAILABLE, "");
    r.headers_mut().insert("Retry-After", HeaderValue::from(retry_after));
    if throttled {
        r.headers_mut()
            .insert("X-MS-ASThrottle", HeaderValue::from_static("CommandFrequency"));
    }
    r
}

/// A plain-text response.
pub fn plain(code: StatusCode, text: impl Into<String>) -> Response<Body> {
    let mut r = Response::new(full(text.into()));
    *r.status_mut() = code;
    r
}
