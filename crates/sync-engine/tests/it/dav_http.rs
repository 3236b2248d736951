//! The engine behind the real DAV server over loopback HTTP: discovery, PUT, GET, and a change
//! made upstream showing up in sync-collection through push.

use std::sync::Arc;
use std::time::Duration;

use dav_server::{DavConfig, DavServer};
use reqwest::Method;

use crate::common::*;

const SYNC_REPORT: &str = r#"<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dav_server_over_the_engine() {
    let env = env(|_| {}, |_| {}).await;
    let server = DavServer::new(Arc::new(env.backend.clone()), DavConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(server.serve(listener));
    let http = reqwest::Client::new();
    let req = |m: &str, path: &str| {
        http.request(Method::from_bytes(m.as_bytes()).unwrap(), format!("{base}{path}"))
            .basic_auth(USER, Some(PASS))
    };

    let r = http
        .request(
            Method::from_bytes(b"PROPFIND").unwrap(),
            format!("{base}/calendars/{USER}/"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "no credentials");
    let r = http
        .request(
            Method::from_bytes(b"PROPFIND").unwrap(),
            format!("{base}/calendars/{USER}/"),
        )
        .basic_auth(USER, Some("wrong"))
        .header("Depth", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "wrong password refused upstream");
    let r = req("PROPFIND", &format!("/calendars/{USER}/"))
        .header("Depth", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 207);
    let body = r.text().await.unwrap();
    assert!(body.contains("calendar"), "{body}");
    let cals = dav_server::backend::Backend::list_collections(&env.backend, USER, dav_server::backend::Home::Calendars)
        .await
        .unwrap();
    let cal = &cals[0].id;
    let r = req("PUT", &format!("/calendars/{USER}/{cal}/http.ics"))
        .header("Content-Type", "text/calendar")
        .header("If-None-Match", "*")
        .body(ics("http-1", "Over HTTP"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = req("GET", &format!("/calendars/{USER}/{cal}/http.ics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert!(r.text().await.unwrap().contains("SUMMARY:Over HTTP"));

    // Upstream change → push → new ETag in sync-collection.
    let sim_cal = env.sim_folder(8).await;
    let items = env
        .control(Method::GET, &format!("/users/{USER}/folders/{sim_cal}/items"), None)
        .await;
    let sid = items[0]["server_id"].as_str().unwrap().to_owned();
    env.control(
        Method::PUT,
        &format!("/users/{USER}/items/{sid}"),
        Some(serde_json::json!({"merge": true, "data": {"Subject": "Changed upstream"}})),
    )
    .await;
    let seen = wait_until(Duration::from_secs(10), || async {
        let r = req("REPORT", &format!("/calendars/{USER}/{cal}/"))
            .header("Depth", "1")
            .header("Content-Type", "application/xml")
            .body(SYNC_REPORT)
            .send()
            .await
            .unwrap();
        let body = r.text().await.unwrap();
        body.contains("http.ics") && !body.contains(&etag)
    })
    .await;
    assert!(seen, "upstream change visible through sync-collection with a new ETag");
    let r = req("GET", &format!("/calendars/{USER}/{cal}/http.ics"))
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("SUMMARY:Changed upstream"));
    task.abort();
    env.engine.shutdown().await;
}
