//! Integration tests: scripted stub servers for exact fault cases, and the real simulator.

mod faults;
mod negotiate;
mod sim;
mod stub;

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
