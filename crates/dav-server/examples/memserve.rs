//! Serves the in-memory backend for peer tests and manual poking.
//!
//! `cargo run -p dav-server --example memserve -- --listen 127.0.0.1:0 [--user NAME:PASS]...
//! [--prefix /dav] [--trusted-proxy 127.0.0.1]`. Prints `listening on <addr>` once bound.
//! Defaults: user `alice@example.com` with password `secret`, and `bob` / `secret2`.

use std::io::Write;
use std::sync::Arc;

use dav_server::{memory::MemoryBackend, DavConfig, DavServer};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut listen = "127.0.0.1:0".to_owned();
    let mut users: Vec<(String, String)> = Vec::new();
    let mut cfg = DavConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--listen" => listen = args.next().unwrap_or(listen),
            "--user" => {
                if let Some((u, p)) = args.next().as_deref().and_then(|s| s.split_once(':')) {
                    users.push((u.to_owned(), p.to_owned()));
                }
            }
            "--prefix" => cfg.mount_prefix = args.next().unwrap_or_default(),
            "--trusted-proxy" => {
                if let Some(net) = args.next().and_then(|s| s.parse::<dav_server::config::IpNet>().ok()) {
                    cfg.trusted_proxies.push(net);
                }
            }
            "--sync-page" => cfg.sync_page_size = args.next().and_then(|s| s.parse().ok()),
            other => eprintln!("ignoring unknown argument {other}"),
        }
    }
    if users.is_empty() {
        users.push(("alice@example.com".into(), "secret".into()));
        users.push(("bob".into(), "secret2".into()));
    }
    let backend = Arc::new(MemoryBackend::new());
    for (u, p) in &users {
        backend.add_user(u, p);
    }
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("listening on {}", listener.local_addr()?);
    std::io::stdout().flush()?;
    DavServer::new(backend, cfg).serve(listener).await
}
