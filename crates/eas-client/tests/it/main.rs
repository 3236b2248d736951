//! Integration tests: scripted stub servers for exact fault cases, and the real simulator.

mod autodiscover;
mod faults;
mod negotiate;
mod sim;
mod stub;
mod tls;

use std::sync::Arc;

use eas_client::{BasicAuth, Client, ClientConfig, PartnershipState, RecordingSleeper, RetryPolicy};

/// A client for `url` with tiny, jitter-free retries and a recording sleeper.
pub fn client(url: &str, tweak: impl FnOnce(&mut ClientConfig)) -> (Client, RecordingSleeper) {
    let mut cfg = ClientConfig::new("alice@example.com", "easdavtest0001", "EasDav");
    cfg.retry = RetryPolicy::immediate(3);
    tweak(&mut cfg);
    let sleeper = RecordingSleeper::default();
    let c = Client::with_sleeper(
        cfg,
        PartnershipState::new(url),
        Arc::new(BasicAuth::new("alice@example.com", "secret")),
        Arc::new(sleeper.clone()),
    )
    .expect("client");
    (c, sleeper)
}

/// The engine spawns client calls on a multi-threaded runtime: every future must be `Send`.
#[test]
fn client_futures_are_send() {
    fn send<T: Send>(_: T) {}
    let (c, _) = client("http://127.0.0.1:9/Microsoft-Server-ActiveSync", |_| {});
    let sync = eas_proto::sync::SyncRequest::default();
    let ping = eas_proto::ping::PingRequest::default();
    send(c.ensure_ready());
    send(c.options());
    send(c.provision());
    send(c.folder_sync("0"));
    send(c.sync(&sync));
    send(c.ping(&ping));
    send(c.clone());
}
