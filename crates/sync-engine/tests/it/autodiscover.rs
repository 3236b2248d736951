//! Autodiscover: a user's endpoint is found from their e-mail address when the
//! partnership is created, and stored with it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use dav_server::backend::{Backend, Home};
use eas_client::{AutodiscoverOptions, Candidate, DiscoveryMethod};
use store::{SqliteConfig, SqliteStore, Store};
use sync_engine::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::common::*;

/// A JSON Autodiscover v2 responder on loopback that names `eas_url`; counts requests.
async fn json_v2_stub(eas_url: String) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    tokio::spawn(async move {
        // Bounded: a handful of requests is all a discovery may make.
        for _ in 0..16 {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = vec![0u8; 8192];
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), sock.read(&mut buf)).await;
            let body = format!(r#"{{"Protocol":"ActiveSync","Url":"{eas_url}"}}"#);
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(resp.as_bytes()).await;
            let _ = sock.shutdown().await;
        }
    });
    (addr, hits)
}

#[tokio::test]
async fn endpoint_found_by_autodiscover_is_used_and_stored() {
    let user = "carol@example.com";
    let sim = start_sim(|c| c.users.push(eas_sim::UserConfig::new(user, "pw"))).await;
    let (stub, hits) = json_v2_stub(sim.url()).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory(SqliteConfig::default()).expect("store"));
    // No configured URL: only Autodiscover can find the endpoint.
    let mut cfg = test_config(String::new());
    cfg.autodiscover = Some(AutodiscoverOptions {
        candidates: vec![Candidate::new(
            DiscoveryMethod::JsonV2,
            format!("http://{stub}/autodiscover/autodiscover.json/v1.0/{{email}}?Protocol=ActiveSync"),
        )],
        allow_insecure: true,
        ..AutodiscoverOptions::default()
    });
    let engine = Engine::new(store.clone(), cfg);
    let backend = engine.dav_backend();
    assert_eq!(
        backend.authenticate(user, "pw").await.expect("login"),
        Some(user.to_owned())
    );
    assert!(hits.load(Ordering::SeqCst) >= 1, "autodiscover was asked");
    let cals = backend
        .list_collections(user, Home::Calendars)
        .await
        .expect("collections");
    assert!(!cals.is_empty(), "the mirror came from the discovered endpoint");
    let u = user.to_owned();
    let p = tokio::task::spawn_blocking(move || store.partnerships_for_user(&u))
        .await
        .expect("join")
        .expect("store");
    assert_eq!(p.first().map(|p| p.upstream_url.as_str()), Some(sim.url().as_str()));
    engine.shutdown().await;
    sim.shutdown().await;
}
