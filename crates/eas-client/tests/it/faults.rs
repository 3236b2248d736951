//! Exact fault cases against scripted stubs: 449/142, remote wipe, 451, 503, throttling
//! statuses, resets, refused connections, 500, 401, non-WBXML bodies.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use eas_client::{BearerAuth, Client, Error, PartnershipState, RecordingSleeper, RetryPolicy, StaticTokens};
use eas_proto::ping::PingRequest;
use eas_proto::sync::{SyncCollection, SyncRequest};
use wbxml::tags::provision as pv;
use wbxml::Element;

use crate::client;
use crate::stub::{eas_ok, folder_sync_reply, Reply, Stub};

const V: &str = "14.1,16.1";

/// Counts FolderSync requests and answers the n-th (0-based) with `first`.
fn folder_sync_script(
    first: impl Fn(usize) -> Option<Reply> + Send + Sync + 'static,
) -> impl Fn(&crate::stub::Recorded, usize) -> Reply + Send + Sync + 'static {
    let n = AtomicUsize::new(0);
    move |r, _| {
        if r.cmd() == "FolderSync" {
            let i = n.fetch_add(1, Ordering::SeqCst);
            if let Some(reply) = first(i) {
                return reply;
            }
        }
        eas_ok(r, V)
    }
}

#[tokio::test]
async fn http_449_reprovisions_and_retries_once() {
    let stub = Stub::start(folder_sync_script(|i| (i == 0).then(|| Reply::status(449)))).await;
    let (c, _) = client(&stub.url(), |_| {});
    c.folder_sync("0").await.unwrap();
    assert_eq!(
        stub.commands(),
        [
            "OPTIONS",
            "Provision",
            "Provision",
            "FolderSync",
            "Provision",
            "Provision",
            "FolderSync"
        ]
    );
    // A server that keeps answering 449 gets one re-provisioning, then an error.
    let stub = Stub::start(folder_sync_script(|_| Some(Reply::status(449)))).await;
    let (c, _) = client(&stub.url(), |_| {});
    assert!(matches!(c.folder_sync("0").await, Err(Error::Provision(_))));
    assert_eq!(stub.commands().iter().filter(|c| *c == "FolderSync").count(), 2);
}

#[tokio::test]
async fn status_142_and_144_reprovision() {
    for status in ["142", "143", "144", "165"] {
        let stub = Stub::start(folder_sync_script(move |i| (i == 0).then(|| folder_sync_reply(status)))).await;
        let (c, _) = client(&stub.url(), |_| {});
        let resp = c.folder_sync("0").await.unwrap();
        assert!(resp.status.is_success(), "{status}");
        assert_eq!(
            stub.commands().iter().filter(|c| *c == "Provision").count(),
            4,
            "{status}"
        );
    }
}

#[tokio::test]
async fn remote_wipe_is_acknowledged_and_surfaced() {
    for (tag, account_only) in [(pv::REMOTE_WIPE, false), (pv::ACCOUNT_ONLY_REMOTE_WIPE, true)] {
        // The FolderSync gets 140; the Provision that follows orders the wipe.
        let n = Arc::new(AtomicUsize::new(0));
        let stub = Stub::start(move |r, _| match r.cmd().as_str() {
            "FolderSync" => folder_sync_reply("140"),
            "Provision" if n.fetch_add(1, Ordering::SeqCst) >= 2 => {
                let is_ack = r.element().is_some_and(|e| e.find(tag).is_some());
                let mut root = Element::new(pv::PROVISION).with_text_child(pv::STATUS, "1");
                if !is_ack {
                    root.push(Element::new(tag));
                }
                Reply::wbxml(&root)
            }
            _ => eas_ok(r, V),
        })
        .await;
        let (c, _) = client(&stub.url(), |_| {});
        let err = c.folder_sync("0").await.unwrap_err();
        assert!(
            matches!(err, Error::RemoteWipe { account_only: a } if a == account_only),
            "{err}"
        );
        let reqs = stub.requests();
        let ack = reqs.last().unwrap();
        assert_eq!(ack.cmd(), "Provision");
        let ack = ack.element().unwrap();
        assert_eq!(ack.find(tag).and_then(|w| w.child_text(pv::STATUS)), Some("1"));
        assert!(c.state().policy_key.is_none(), "policy key forgotten after wipe");
    }
}

#[tokio::test]
async fn http_451_is_followed_and_persisted() {
    let target = Stub::start(|r, _| eas_ok(r, V)).await;
    let new_url = target.url();
    let location = new_url.clone();
    let origin = Stub::start(move |r, _| match r.cmd().as_str() {
        "FolderSync" => Reply::status(451).with_header("X-MS-Location", &location),
        _ => eas_ok(r, V),
    })
    .await;
    let (c, _) = client(&origin.url(), |_| {});
    let mut rx = c.subscribe();
    c.folder_sync("0").await.unwrap();
    assert_eq!(c.state().url, new_url);
    assert_eq!(rx.borrow_and_update().url, new_url);
    assert_eq!(target.commands(), ["FolderSync"]);
    assert_eq!(target.requests()[0].header("X-MS-PolicyKey"), Some("222"));
    // Later requests go straight to the new server.
    c.folder_sync("1").await.unwrap();
    assert_eq!(origin.commands().iter().filter(|c| *c == "FolderSync").count(), 1);
}

#[tokio::test]
async fn http_451_to_the_same_url_is_refused() {
    let me = Arc::new(std::sync::Mutex::new(String::new()));
    let me2 = me.clone();
    let stub = Stub::start(move |r, _| match r.cmd().as_str() {
        "FolderSync" => Reply::status(451).with_header("X-MS-Location", &me2.lock().unwrap()),
        _ => eas_ok(r, V),
    })
    .await;
    *me.lock().unwrap() = stub.url();
    let (c, _) = client(&stub.url(), |_| {});
    assert!(matches!(c.folder_sync("0").await, Err(Error::Redirect(_))));
    assert_eq!(stub.commands().iter().filter(|c| *c == "FolderSync").count(), 1);
}

#[tokio::test]
async fn http_503_retry_after_is_honoured() {
    let stub = Stub::start(folder_sync_script(|i| {
        (i < 2).then(|| Reply::status(503).with_header("Retry-After", "7"))
    }))
    .await;
    let (c, sleeper) = client(&stub.url(), |_| {});
    c.folder_sync("0").await.unwrap();
    assert_eq!(sleeper.delays(), [Duration::from_secs(7), Duration::from_secs(7)]);

    // With jitter the wait is never shorter than Retry-After and at most 20 % longer.
    let stub = Stub::start(folder_sync_script(|i| {
        (i < 1).then(|| Reply::status(503).with_header("Retry-After", "10"))
    }))
    .await;
    let (c, sleeper) = client(&stub.url(), |cfg| cfg.retry.jitter = 0.2);
    c.folder_sync("0").await.unwrap();
    let d = sleeper.delays();
    assert_eq!(d.len(), 1);
    assert!(
        d[0] >= Duration::from_secs(10) && d[0] <= Duration::from_secs(12),
        "{d:?}"
    );
}

#[tokio::test]
async fn http_503_is_bounded_and_long_retry_after_is_not_waited_for() {
    let stub = Stub::start(folder_sync_script(|_| {
        Some(Reply::status(503).with_header("Retry-After", "3"))
    }))
    .await;
    let (c, sleeper) = client(&stub.url(), |_| {});
    let err = c.folder_sync("0").await.unwrap_err();
    assert!(
        matches!(err, Error::Throttled { retry_after: Some(d), status: None } if d == Duration::from_secs(3)),
        "{err}"
    );
    assert_eq!(stub.commands().iter().filter(|c| *c == "FolderSync").count(), 3);
    assert_eq!(sleeper.delays().len(), 2);

    let stub = Stub::start(folder_sync_script(|_| {
        Some(Reply::status(503).with_header("Retry-After", "3600"))
    }))
    .await;
    let (c, sleeper) = client(&stub.url(), |_| {});
    let err = c.folder_sync("0").await.unwrap_err();
    assert!(matches!(err, Error::Throttled { retry_after: Some(d), .. } if d == Duration::from_secs(3600)));
    assert_eq!(stub.commands().iter().filter(|c| *c == "FolderSync").count(), 1);
    assert!(sleeper.delays().is_empty());
    // Until the hour is over, no request of this partnership reaches the server.
    let before = stub.requests().len();
    let again = c.folder_sync("0").await.unwrap_err();
    assert!(
        matches!(again, Error::Throttled { retry_after: Some(d), .. } if d <= Duration::from_secs(3600) && d > Duration::from_secs(3000)),
        "{again}"
    );
    assert!(matches!(c.options().await, Err(Error::Throttled { .. })));
    assert_eq!(stub.requests().len(), before);

    // No Retry-After: the throttle delay, doubling.
    let stub = Stub::start(folder_sync_script(|_| Some(Reply::status(503)))).await;
    let (c, sleeper) = client(&stub.url(), |_| {});
    assert!(matches!(
        c.folder_sync("0").await,
        Err(Error::Throttled { retry_after: None, .. })
    ));
    assert_eq!(sleeper.delays(), [Duration::from_millis(10), Duration::from_millis(20)]);
}

#[tokio::test]
async fn throttling_statuses_are_bounded() {
    let stub = Stub::start(folder_sync_script(|_| Some(folder_sync_reply("111")))).await;
    let (c, sleeper) = client(&stub.url(), |_| {});
    let err = c.folder_sync("0").await.unwrap_err();
    assert!(matches!(err, Error::Throttled { status: Some(111), .. }), "{err}");
    assert_eq!(stub.commands().iter().filter(|c| *c == "FolderSync").count(), 3);
    assert_eq!(sleeper.delays(), [Duration::from_millis(10), Duration::from_millis(20)]);

    // A transient 110 followed by success recovers.
    let stub = Stub::start(folder_sync_script(|i| (i == 0).then(|| folder_sync_reply("110")))).await;
    let (c, _) = client(&stub.url(), |_| {});
    assert!(c.folder_sync("0").await.unwrap().status.is_success());
}

#[tokio::test]
async fn reset_mid_response_is_retried() {
    let stub = Stub::start(folder_sync_script(|i| (i == 0).then_some(Reply::ResetMidBody))).await;
    let (c, sleeper) = client(&stub.url(), |_| {});
    assert!(c.folder_sync("0").await.unwrap().status.is_success());
    assert_eq!(sleeper.delays(), [Duration::from_millis(1)]);

    let stub = Stub::start(folder_sync_script(|_| Some(Reply::ResetMidBody))).await;
    let (c, sleeper) = client(&stub.url(), |_| {});
    assert!(matches!(
        c.folder_sync("0").await,
        Err(Error::Network { attempts: 3, .. })
    ));
    assert_eq!(sleeper.delays(), [Duration::from_millis(1), Duration::from_millis(2)]);
}

#[tokio::test]
async fn connection_refused_is_bounded() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/Microsoft-Server-ActiveSync", listener.local_addr().unwrap());
    drop(listener);
    let (c, sleeper) = client(&url, |cfg| cfg.retry = RetryPolicy::immediate(4));
    let err = c.options().await.unwrap_err();
    assert!(matches!(err, Error::Network { attempts: 4, .. }), "{err}");
    assert!(err.is_transient());
    assert_eq!(sleeper.delays(), [1, 2, 4].map(Duration::from_millis));
}

#[tokio::test]
async fn http_500_is_bounded() {
    let stub = Stub::start(folder_sync_script(|i| (i < 2).then(|| Reply::status(500)))).await;
    let (c, _) = client(&stub.url(), |_| {});
    assert!(c.folder_sync("0").await.is_ok());
    let stub = Stub::start(folder_sync_script(|_| Some(Reply::status(500)))).await;
    let (c, _) = client(&stub.url(), |_| {});
    assert!(matches!(
        c.folder_sync("0").await,
        Err(Error::Server {
            status: 500,
            attempts: 3
        })
    ));
    let stub = Stub::start(folder_sync_script(|_| Some(Reply::status(403)))).await;
    let (c, _) = client(&stub.url(), |_| {});
    assert!(matches!(c.folder_sync("0").await, Err(Error::Forbidden)));
    assert_eq!(stub.commands().iter().filter(|c| *c == "FolderSync").count(), 1);
}

#[tokio::test]
async fn http_401_refreshes_bearer_once() {
    let stub = Stub::start(|r, _| {
        if r.header("Authorization") != Some("Bearer fresh") {
            return Reply::status(401).with_header("x-ms-diagnostics", "2000003;reason=\"test\"");
        }
        eas_ok(r, V)
    })
    .await;
    let tokens = Arc::new(StaticTokens::new(vec!["stale".into(), "fresh".into()]));
    let mut cfg = eas_client::ClientConfig::new("alice", "easdavtest0001", "EasDav");
    cfg.retry = RetryPolicy::immediate(3);
    let c = Client::with_sleeper(
        cfg.clone(),
        PartnershipState::new(stub.url()),
        Arc::new(BearerAuth::new(tokens)),
        Arc::new(RecordingSleeper::default()),
    )
    .unwrap();
    c.folder_sync("0").await.unwrap();
    assert_eq!(stub.requests()[0].header("Authorization"), Some("Bearer stale"));
    assert_eq!(stub.requests()[1].header("Authorization"), Some("Bearer fresh"));

    // No token accepted: one refresh, then Unauthorized with the diagnostics.
    let tokens = Arc::new(StaticTokens::new(vec!["a".into(), "b".into(), "c".into()]));
    let c = Client::with_sleeper(
        cfg,
        PartnershipState::new(stub.url()),
        Arc::new(BearerAuth::new(tokens)),
        Arc::new(RecordingSleeper::default()),
    )
    .unwrap();
    let before = stub.requests().len();
    let err = c.options().await.unwrap_err();
    assert!(
        matches!(&err, Error::Unauthorized { diagnostics: Some(d) } if d.contains("2000003")),
        "{err}"
    );
    assert_eq!(stub.requests().len() - before, 2);

    // Basic credentials cannot be refreshed: one request.
    let (c, _) = client(&stub.url(), |_| {});
    let before = stub.requests().len();
    assert!(matches!(c.options().await, Err(Error::Unauthorized { .. })));
    assert_eq!(stub.requests().len() - before, 1);
}

#[tokio::test]
async fn bodies_are_checked() {
    let stub = Stub::start(folder_sync_script(|_| {
        Some(Reply::Http {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: b"<html>login</html>".to_vec(),
        })
    }))
    .await;
    let (c, _) = client(&stub.url(), |_| {});
    let err = c.folder_sync("0").await.unwrap_err();
    assert!(
        matches!(&err, Error::NotWbxml { content_type: Some(ct) } if ct == "text/html"),
        "{err}"
    );

    let stub = Stub::start(folder_sync_script(|_| Some(Reply::status(200)))).await;
    let (c, _) = client(&stub.url(), |_| {});
    assert!(matches!(
        c.folder_sync("0").await,
        Err(Error::EmptyResponse { command: "FolderSync" })
    ));
    // Empty Sync and Ping answers are legal.
    let req = SyncRequest {
        collections: vec![SyncCollection::new("1", "cal")],
        ..Default::default()
    };
    assert!(c.sync(&req).await.unwrap().is_none());
    assert!(c.ping(&PingRequest::default()).await.unwrap().is_none());
    let last = stub.requests().last().unwrap().clone();
    assert_eq!(last.cmd(), "Ping");
    assert!(last.body.is_empty(), "parameterless Ping goes out with an empty body");
}

#[tokio::test]
async fn ping_gets_a_long_timeout() {
    let stub = Stub::start(|r, _| match r.cmd().as_str() {
        "Ping" | "FolderSync" => Reply::Delayed(Duration::from_millis(1500), Box::new(eas_ok(r, V))),
        _ => eas_ok(r, V),
    })
    .await;
    let (c, _) = client(&stub.url(), |cfg| {
        cfg.timeouts.request = Duration::from_millis(300);
        cfg.timeouts.ping_margin = Duration::from_secs(10);
        cfg.retry = RetryPolicy::immediate(1);
    });
    assert!(matches!(c.folder_sync("0").await, Err(Error::Network { .. })));
    let req = PingRequest {
        heartbeat_interval: Some(1),
        folders: Vec::new(),
    };
    assert!(c.ping(&req).await.unwrap().is_none());
}

#[tokio::test]
async fn concurrent_449s_share_one_reprovisioning() {
    // Final keys are K1, K2, …; FolderSync with K1 gets 449.
    let finals = Arc::new(AtomicUsize::new(0));
    let stub = Stub::start(move |r, _| match r.cmd().as_str() {
        "Provision" => {
            let acked = r.header("X-MS-PolicyKey") != Some("0");
            let key = if acked {
                format!("{}", 1000 + finals.fetch_add(1, Ordering::SeqCst) + 1)
            } else {
                "111".to_owned()
            };
            let policy = Element::new(pv::POLICY)
                .with_text_child(pv::POLICY_TYPE, "MS-EAS-Provisioning-WBXML")
                .with_text_child(pv::STATUS, "1")
                .with_text_child(pv::POLICY_KEY, key);
            Reply::wbxml(
                &Element::new(pv::PROVISION)
                    .with_text_child(pv::STATUS, "1")
                    .with_child(Element::new(pv::POLICIES).with_child(policy)),
            )
        }
        "FolderSync" if r.header("X-MS-PolicyKey") == Some("1001") => {
            Reply::Delayed(Duration::from_millis(50), Box::new(Reply::status(449)))
        }
        _ => eas_ok(r, V),
    })
    .await;
    let (c, _) = client(&stub.url(), |_| {});
    c.ensure_ready().await.unwrap();
    assert_eq!(c.state().policy_key.as_deref(), Some("1001"));
    let (a, b) = tokio::join!(c.folder_sync("0"), c.folder_sync("0"));
    assert!(a.is_ok() && b.is_ok());
    assert_eq!(c.state().policy_key.as_deref(), Some("1002"));
    assert_eq!(stub.commands().iter().filter(|c| *c == "Provision").count(), 4);
}
