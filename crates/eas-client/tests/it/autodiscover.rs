//! Autodiscover against a hyper stub on 127.0.0.1:0: every candidate template points at the
//! stub, with the e-mail domain in the path so redirects to other domains can be told apart.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use eas_client::{
    discover, AttemptFailure, AutodiscoverError, AutodiscoverOptions, BasicAuth, BearerAuth, Candidate,
    DiscoveryMethod, Redirect, StaticTokens,
};
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::{Request, Response};
use tokio::net::TcpListener;

/// One request as the stub saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    /// Path and query.
    target: String,
    authorization: Option<String>,
    content_type: Option<String>,
    body: String,
}

type Body = BoxBody<Bytes, Infallible>;
type Handler = Arc<dyn Fn(&Seen, &str) -> Response<Body> + Send + Sync>;

struct Stub {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Stub {
    /// Serves `handler(request, base)` on 127.0.0.1:0 until dropped.
    async fn start(handler: impl Fn(&Seen, &str) -> Response<Body> + Send + Sync + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Handler = Arc::new(handler);
        let (b, s) = (base.clone(), seen.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (b, s, h) = (b.clone(), s.clone(), handler.clone());
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let (b, s, h) = (b.clone(), s.clone(), h.clone());
                        async move {
                            let header =
                                |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
                            let mut seen = Seen {
                                method: req.method().to_string(),
                                target: req.uri().path_and_query().map_or(String::new(), |p| p.to_string()),
                                authorization: header("authorization"),
                                content_type: header("content-type"),
                                body: String::new(),
                            };
                            let bytes = req
                                .into_body()
                                .collect()
                                .await
                                .map(|c| c.to_bytes())
                                .unwrap_or_default();
                            seen.body = String::from_utf8_lossy(&bytes).into_owned();
                            s.lock().unwrap().push(seen.clone());
                            Ok::<_, Infallible>(h(&seen, &b))
                        }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, svc)
                        .await;
                });
            }
        });
        Stub { base, seen, task }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn reply(status: u16, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::builder().status(status);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.body(Full::new(body.into()).boxed()).unwrap()
}

fn xml(body: String) -> Response<Body> {
    reply(200, &[("content-type", "text/xml; charset=utf-8")], body)
}

fn settings(url: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006">
    <Culture>en:us</Culture>
    <User><DisplayName>Alice</DisplayName><EMailAddress>alice@example.com</EMailAddress></User>
    <Action><Settings><Server><Type>MobileSync</Type><Url>{url}</Url><Name>{url}</Name></Server></Settings></Action>
  </Response>
</Autodiscover>"#
    )
}

fn redirect_addr(to: &str) -> String {
    format!(
        r#"<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"><Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"><Action><Redirect>{to}</Redirect></Action></Response></Autodiscover>"#
    )
}

const EAS: &str = "https://mail.example.com/Microsoft-Server-ActiveSync";

/// Options whose candidates all point at `base`, in the standard order.
fn options(base: &str) -> AutodiscoverOptions {
    use DiscoveryMethod::*;
    AutodiscoverOptions {
        candidates: vec![
            Candidate::new(
                JsonV2,
                format!("{base}/{{domain}}/json/v1.0/{{email}}?Protocol=ActiveSync"),
            ),
            Candidate::new(Pox, format!("{base}/{{domain}}/root/autodiscover.xml")),
            Candidate::new(Pox, format!("{base}/{{domain}}/autodiscover/autodiscover.xml")),
            Candidate::new(HttpRedirectProbe, format!("{base}/{{domain}}/probe")),
        ],
        allow_insecure: true,
        request_timeout: Duration::from_secs(10),
        ..AutodiscoverOptions::default()
    }
}

fn alice() -> BasicAuth {
    BasicAuth::new("alice@example.com", "secret")
}

#[tokio::test]
async fn json_v2_answers_first_and_anonymously() {
    let stub = Stub::start(|s, _| {
        if s.target.contains("/json/") {
            reply(
                200,
                &[("content-type", "application/json")],
                r#"{"Protocol":"ActiveSync","Url":"https://outlook.office365.com"}"#,
            )
        } else {
            reply(500, &[], "")
        }
    })
    .await;
    let found = discover("alice@Example.com", &alice(), &options(&stub.base))
        .await
        .unwrap();
    assert_eq!(found.url, "https://outlook.office365.com/Microsoft-Server-ActiveSync");
    assert_eq!(found.method, DiscoveryMethod::JsonV2);
    assert_eq!((found.requests, found.email.as_str()), (1, "alice@Example.com"));
    let seen = stub.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(
        seen[0].target,
        "/example.com/json/v1.0/alice@Example.com?Protocol=ActiveSync"
    );
    assert_eq!(seen[0].authorization, None, "json v2 is anonymous");
}

#[tokio::test]
async fn pox_after_json_fails_posts_the_mobilesync_request() {
    let stub = Stub::start(|s, _| match s.target.as_str() {
        t if t.contains("/json/") => reply(404, &[], ""),
        "/example.com/root/autodiscover.xml" => xml(settings(EAS)),
        _ => reply(500, &[], ""),
    })
    .await;
    let found = discover("alice@example.com", &alice(), &options(&stub.base))
        .await
        .unwrap();
    assert_eq!((found.url.as_str(), found.method), (EAS, DiscoveryMethod::Pox));
    assert_eq!(found.source, format!("{}/example.com/root/autodiscover.xml", stub.base));
    assert_eq!(found.failed.len(), 1);
    assert_eq!(found.failed[0].failure, AttemptFailure::Http(404));
    let seen = stub.seen();
    let pox = &seen[1];
    assert_eq!(pox.method, "POST");
    assert!(pox.content_type.as_deref().is_some_and(|c| c.starts_with("text/xml")));
    assert_eq!(
        pox.authorization.as_deref(),
        Some("Basic YWxpY2VAZXhhbXBsZS5jb206c2VjcmV0")
    );
    assert!(pox.body.contains("<EMailAddress>alice@example.com</EMailAddress>"));
    assert!(pox.body.contains(
        r#"<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006">"#
    ));
    assert!(pox.body.contains(
        "<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006</AcceptableResponseSchema>"
    ));
}

#[tokio::test]
async fn redirect_addr_restarts_for_the_new_domain() {
    let stub = Stub::start(|s, _| match s.target.as_str() {
        "/example.com/root/autodiscover.xml" => xml(redirect_addr("alice@corp.example.net")),
        "/corp.example.net/root/autodiscover.xml" if s.body.contains("alice@corp.example.net") => xml(settings(EAS)),
        _ => reply(404, &[], ""),
    })
    .await;
    let found = discover("alice@example.com", &alice(), &options(&stub.base))
        .await
        .unwrap();
    assert_eq!(found.url, EAS);
    assert_eq!(found.email, "alice@corp.example.net");
    assert_eq!(
        found.redirects,
        vec![Redirect::Address {
            from: "alice@example.com".into(),
            to: "alice@corp.example.net".into()
        }]
    );
    assert_eq!(found.requests, 4, "json + pox, then json + pox for the new domain");
}

#[tokio::test]
async fn redirect_addr_chain_is_bounded() {
    // Every answer redirects to a fresh address: u1@d1.example, u2@d2.example, ...
    let stub = Stub::start(|s, _| {
        let n: u32 = s
            .target
            .trim_start_matches("/d")
            .split('.')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if s.target.ends_with("/root/autodiscover.xml") {
            xml(redirect_addr(&format!("u{}@d{}.example", n + 1, n + 1)))
        } else {
            reply(404, &[], "")
        }
    })
    .await;
    let mut opts = options(&stub.base);
    opts.candidates.retain(|c| c.template.contains("/root/"));
    opts.max_redirects = 3;
    let err = discover("u0@d0.example", &alice(), &opts).await.unwrap_err();
    match err {
        AutodiscoverError::TooManyRedirects { limit: 3, redirects } => assert_eq!(redirects.len(), 4),
        e => panic!("unexpected {e}"),
    }
    assert_eq!(
        stub.seen().len(),
        4,
        "the 4th redirect is refused without a 5th request"
    );
}

#[tokio::test]
async fn redirect_addr_ping_pong_is_a_loop() {
    let stub = Stub::start(|s, _| {
        let to = if s.target.starts_with("/a.example/") {
            "x@b.example"
        } else {
            "x@a.example"
        };
        xml(redirect_addr(to))
    })
    .await;
    let mut opts = options(&stub.base);
    opts.candidates.retain(|c| c.template.contains("/root/"));
    let err = discover("x@a.example", &alice(), &opts).await.unwrap_err();
    assert!(
        matches!(&err, AutodiscoverError::RedirectLoop(a) if a == "x@a.example"),
        "{err}"
    );
    assert_eq!(stub.seen().len(), 2);
}

#[tokio::test]
async fn redirect_url_sends_the_request_to_the_new_url() {
    let stub = Stub::start(|s, base| match s.target.as_str() {
        "/example.com/root/autodiscover.xml" => xml(format!(
            "<Autodiscover><Response><Account><Action>redirectUrl</Action><RedirectUrl>{base}/cas2/autodiscover.xml</RedirectUrl></Account></Response></Autodiscover>"
        )),
        "/cas2/autodiscover.xml" => xml(settings(EAS)),
        _ => reply(404, &[], ""),
    })
    .await;
    let mut opts = options(&stub.base);
    opts.candidates.retain(|c| c.method == DiscoveryMethod::Pox);
    let found = discover("alice@example.com", &alice(), &opts).await.unwrap();
    assert_eq!(found.url, EAS);
    assert_eq!(
        found.redirects,
        vec![Redirect::AutodiscoverUrl(format!(
            "{}/cas2/autodiscover.xml",
            stub.base
        ))]
    );
    let seen = stub.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].method, "POST");
    assert!(seen[1].authorization.is_some() && seen[1].body.contains("alice@example.com"));
}

#[tokio::test]
async fn unauthorized_candidate_then_success_on_the_next() {
    let stub = Stub::start(|s, _| match s.target.as_str() {
        "/example.com/root/autodiscover.xml" => reply(401, &[("www-authenticate", "Basic realm=\"x\"")], ""),
        "/example.com/autodiscover/autodiscover.xml" => xml(settings(EAS)),
        _ => reply(404, &[], ""),
    })
    .await;
    let found = discover("alice@example.com", &alice(), &options(&stub.base))
        .await
        .unwrap();
    assert_eq!(found.url, EAS);
    assert_eq!(
        found.source,
        format!("{}/example.com/autodiscover/autodiscover.xml", stub.base)
    );
    let failures: Vec<_> = found.failed.iter().map(|a| a.failure.clone()).collect();
    assert_eq!(failures, vec![AttemptFailure::Http(404), AttemptFailure::Unauthorized]);
    assert_eq!(stub.seen().len(), 3, "basic auth gets no retry on the same candidate");
}

#[tokio::test]
async fn bearer_token_is_refreshed_once_on_401() {
    let stub = Stub::start(|s, _| match s.authorization.as_deref() {
        Some("Bearer fresh") => xml(settings(EAS)),
        _ => reply(401, &[], ""),
    })
    .await;
    let mut opts = options(&stub.base);
    opts.candidates.retain(|c| c.template.contains("/root/"));
    let auth = BearerAuth::new(Arc::new(StaticTokens::new(vec!["stale".into(), "fresh".into()])));
    let found = discover("alice@example.com", &auth, &opts).await.unwrap();
    assert_eq!((found.url.as_str(), found.requests), (EAS, 2));
    let auths: Vec<_> = stub
        .seen()
        .into_iter()
        .map(|s| s.authorization.unwrap_or_default())
        .collect();
    assert_eq!(auths, vec!["Bearer stale", "Bearer fresh"]);
}

#[tokio::test]
async fn malformed_answers_fail_each_candidate() {
    let stub = Stub::start(|s, _| match s.target.as_str() {
        t if t.contains("/json/") => reply(200, &[], "{\"Url\":"),
        "/example.com/root/autodiscover.xml" => xml("<Autodiscover><Response><Action>".into()),
        "/example.com/autodiscover/autodiscover.xml" => xml(
            "<!DOCTYPE Autodiscover [<!ENTITY u \"https://evil.example/\">]><Autodiscover><Response><Action><Settings>\
             <Server><Type>MobileSync</Type><Url>&u;</Url></Server></Settings></Action></Response></Autodiscover>"
                .into(),
        ),
        _ => reply(200, &[], "no redirect here"),
    })
    .await;
    let err = discover("alice@example.com", &alice(), &options(&stub.base))
        .await
        .unwrap_err();
    let AutodiscoverError::NotFound { attempts } = err else {
        panic!("unexpected {err}");
    };
    let kinds: Vec<_> = attempts.iter().map(|a| &a.failure).collect();
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    assert!(
        kinds[..3].iter().all(|f| matches!(f, AttemptFailure::Malformed(_))),
        "{kinds:?}"
    );
    assert!(matches!(&attempts[2].failure, AttemptFailure::Malformed(m) if m.contains("document type")));
    assert_eq!(kinds[3], &AttemptFailure::NoRedirect);
}

#[tokio::test]
async fn http_downgrades_are_refused_without_allow_insecure() {
    let stub = Stub::start(|s, base| match s.target.as_str() {
        "/example.com/probe" => reply(302, &[("location", &format!("{base}/example.com/pox-by-probe"))], ""),
        _ => xml(settings(EAS)),
    })
    .await;
    let mut opts = options(&stub.base);
    opts.allow_insecure = false;
    let err = discover("alice@example.com", &alice(), &opts).await.unwrap_err();
    let AutodiscoverError::NotFound { attempts } = err else {
        panic!("unexpected {err}");
    };
    // The three http:// candidates are refused unasked; the probe (plain http by design, and
    // anonymous) is asked, but its http:// Location is refused.
    assert_eq!(attempts.len(), 4);
    assert!(
        attempts.iter().all(|a| matches!(a.failure, AttemptFailure::BadUrl(_))),
        "{attempts:?}"
    );
    let seen = stub.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].target.as_str()),
        ("GET", "/example.com/probe")
    );
    assert_eq!(seen[0].authorization, None);
}

#[tokio::test]
async fn unsafe_endpoints_in_answers_are_refused() {
    let stub = Stub::start(|s, _| match s.target.as_str() {
        t if t.contains("/json/") => reply(
            200,
            &[],
            r#"{"Protocol":"ActiveSync","Url":"https://u:p@mail.example.com/x"}"#,
        ),
        "/example.com/root/autodiscover.xml" => xml(settings("ftp://mail.example.com/Microsoft-Server-ActiveSync")),
        _ => xml(settings(EAS)),
    })
    .await;
    let found = discover("alice@example.com", &alice(), &options(&stub.base))
        .await
        .unwrap();
    assert_eq!(found.url, EAS);
    let failures: Vec<_> = found.failed.iter().map(|a| a.failure.to_string()).collect();
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(failures[0].contains("user name"), "{failures:?}");
    assert!(failures[1].contains("scheme ftp refused"), "{failures:?}");
}

#[tokio::test]
async fn probe_redirect_leads_to_an_authenticated_pox() {
    let stub = Stub::start(|s, base| match s.target.as_str() {
        "/example.com/probe" => reply(302, &[("location", &format!("{base}/cas/autodiscover.xml"))], ""),
        "/cas/autodiscover.xml" if s.method == "POST" => xml(settings(EAS)),
        _ => reply(404, &[], ""),
    })
    .await;
    let found = discover("alice@example.com", &alice(), &options(&stub.base))
        .await
        .unwrap();
    assert_eq!(
        (found.url.as_str(), found.method),
        (EAS, DiscoveryMethod::HttpRedirectProbe)
    );
    let seen = stub.seen();
    assert_eq!(seen.len(), 5);
    assert_eq!(
        (seen[3].method.as_str(), seen[3].authorization.as_deref()),
        ("GET", None)
    );
    assert!(seen[4].authorization.is_some());
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_and_without_length() {
    let big = "x".repeat(4096);
    let stub = Stub::start(move |s, _| {
        if s.target.contains("/root/") {
            xml(format!("<Autodiscover><Response>{big}</Response></Autodiscover>"))
        } else if s.target.contains("/autodiscover/") {
            // Chunked: no Content-Length, so the limit is enforced while reading.
            let chunks: Vec<Result<Frame<Bytes>, Infallible>> =
                (0..8).map(|_| Ok(Frame::data(Bytes::from(vec![b' '; 1024])))).collect();
            let body = StreamBody::new(futures::stream::iter(chunks)).boxed();
            Response::builder().status(200).body(body).unwrap()
        } else {
            reply(404, &[], "")
        }
    })
    .await;
    let mut opts = options(&stub.base);
    opts.candidates.retain(|c| c.method == DiscoveryMethod::Pox);
    opts.max_body_bytes = 2048;
    let err = discover("alice@example.com", &alice(), &opts).await.unwrap_err();
    let AutodiscoverError::NotFound { attempts } = err else {
        panic!("unexpected {err}");
    };
    let kinds: Vec<_> = attempts.into_iter().map(|a| a.failure).collect();
    assert_eq!(kinds, vec![AttemptFailure::BodyTooLarge { limit: 2048 }; 2]);
}

#[tokio::test]
async fn request_count_is_bounded() {
    let stub = Stub::start(|_, _| reply(500, &[], "")).await;
    let mut opts = options(&stub.base);
    opts.max_requests = 3;
    let err = discover("alice@example.com", &alice(), &opts).await.unwrap_err();
    assert!(
        matches!(err, AutodiscoverError::TooManyRequests { limit: 3, ref attempts } if attempts.len() == 3),
        "{err}"
    );
    assert_eq!(stub.seen().len(), 3);
}

#[tokio::test]
async fn hanging_and_refused_candidates_fail_and_the_next_is_asked() {
    // A server that accepts and never answers: the per-request timeout ends the attempt.
    let hang = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hang_base = format!("http://{}", hang.local_addr().unwrap());
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = hang.accept().await {
            held.push(sock);
        }
    });
    // A closed port: connection refused.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let live = Stub::start(|_, _| xml(settings(EAS))).await;
    let mut opts = options(&live.base);
    opts.request_timeout = Duration::from_millis(300);
    opts.candidates[0].template = format!("{hang_base}/{{domain}}/json/v1.0/{{email}}");
    opts.candidates[1].template = format!("{dead_base}/{{domain}}/root/autodiscover.xml");
    let found = discover("alice@example.com", &alice(), &opts).await.unwrap();
    holder.abort();
    assert_eq!(found.failed.len(), 2, "{:?}", found.failed);
    assert!(
        matches!(&found.failed[0].failure, AttemptFailure::Network(m) if m.contains("timed out")),
        "{:?}",
        found.failed
    );
    assert!(matches!(found.failed[1].failure, AttemptFailure::Network(_)));
    assert_eq!((found.method, found.requests), (DiscoveryMethod::Pox, 3));
}

#[tokio::test]
async fn invalid_addresses_are_refused_before_any_request() {
    let stub = Stub::start(|_, _| xml(settings(EAS))).await;
    for bad in ["alice", "alice@exa mple.com", "a/b@example.com", "alice@example.com/x"] {
        let err = discover(bad, &alice(), &options(&stub.base)).await.unwrap_err();
        assert!(matches!(err, AutodiscoverError::InvalidEmail(_)), "{bad}: {err}");
    }
    assert!(stub.seen().is_empty());
}
