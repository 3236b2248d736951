//! The gateway's HTTP front, in-process over real sockets: TLS with rustls,
//! `/healthz` and `/readyz`, Prometheus `/metrics`, login throttling, and a
//! DAV request through the whole chain to the simulator.

use std::path::PathBuf;
use std::time::Duration;

use easdav::config::Config;

fn fixture(name: &str) -> PathBuf {
    // Test-only certificates for 127.0.0.1 shipped with eas-client.
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../eas-client/fixtures/tls")
        .join(name)
}

async fn start() -> (eas_sim::SimHandle, easdav::serve::RunningGateway, tempfile::TempDir) {
    let sim = eas_sim::Simulator::start(eas_sim::Config::loopback(vec![eas_sim::UserConfig::new(
        "alice", "secret",
    )]))
    .await
    .expect("simulator");
    let data = tempfile::tempdir().expect("tempdir");
    let toml = format!(
        "[server]\nlisten = [\"127.0.0.1:0\"]\ntls_cert = \"{}\"\ntls_key = \"{}\"\n\
         [upstream]\nurl = \"{}\"\n[store]\npath = \"{}\"\n[limits]\nfailed_logins_per_user = 3\n",
        fixture("server.pem").display(),
        fixture("server.key.pem").display(),
        sim.url(),
        data.path().display()
    );
    let cfg = Config::from_toml_and_env(&toml, None, Vec::new()).expect("config");
    let gw = easdav::serve::start(&cfg, easdav::telemetry::init_metrics())
        .await
        .expect("gateway");
    (sim, gw, data)
}

fn client() -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(&std::fs::read(fixture("ca.pem")).expect("ca")).expect("pem");
    reqwest::Client::builder()
        .add_root_certificate(ca)
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

#[tokio::test]
async fn tls_health_dav_and_login_throttling() {
    let (sim, gw, _data) = start().await;
    let base = format!("https://127.0.0.1:{}", gw.addrs[0].port());
    let http = client();

    let r = http
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz over TLS");
    assert_eq!(r.status(), 200);
    assert_eq!(
        http.get(format!("{base}/readyz"))
            .send()
            .await
            .expect("readyz")
            .status(),
        200
    );

    // A DAV request through the whole chain (credentials verified by the simulator).
    let r = http
        .request(
            reqwest::Method::from_bytes(b"PROPFIND").expect("method"),
            format!("{base}/calendars/alice/"),
        )
        .basic_auth("alice", Some("secret"))
        .header("Depth", "1")
        .send()
        .await
        .expect("propfind");
    assert_eq!(r.status(), 207);
    let body = r.text().await.expect("body");
    assert!(body.contains("/calendars/alice/calendar/"), "{body}");

    // Three failed logins, then 429 without asking upstream, even with the right password.
    for _ in 0..3 {
        let r = http
            .get(format!("{base}/principals/alice/"))
            .basic_auth("alice", Some("wrong"))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 401);
    }
    let r = http
        .get(format!("{base}/principals/alice/"))
        .basic_auth("alice", Some("secret"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());

    // Prometheus metrics (loopback is allowed to scrape).
    let m = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        m.contains("easdav_dav_requests_total{method=\"PROPFIND\",status=\"207\"}"),
        "{m}"
    );
    assert!(m.contains("easdav_login_throttled_total"), "{m}");
    assert!(
        m.contains("easdav_outbox_depth 0") && m.contains("easdav_active_pings"),
        "{m}"
    );
    assert!(m.contains("easdav_eas_requests_total{command=\"Sync\""), "{m}");

    // Plain HTTP to a TLS listener is not served.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}/healthz", gw.addrs[0].port()))
        .send()
        .await;
    assert!(plain.map(|r| r.status() != 200).unwrap_or(true));

    gw.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_config_names_file_key_and_fix() {
    let err = Config::from_toml_and_env(
        "[server]\ntls_cert = \"/nonexistent/cert.pem\"\ntls_key = \"/nonexistent/key.pem\"\n[upstream]\nurl = \"https://x.example/eas\"\n",
        Some(std::path::Path::new("/etc/easdav/easdav.toml")),
        Vec::new(),
    )
    .expect_err("unreadable certificate");
    let msg = err.to_string();
    assert!(
        msg.contains("/etc/easdav/easdav.toml") && msg.contains("server.tls_cert") && msg.contains("readable"),
        "{msg}"
    );
}
