//! EAS HTTP client (owned by the eas-client engineer).
//!
//! The upstream HTTP client for one Exchange ActiveSync device partnership (one user, one
//! DeviceId): version negotiation from OPTIONS, proactive two-phase provisioning, HTTP Basic or
//! OAuth2 bearer auth, 451 redirects, throttling and bounded retries, and typed command methods.
//!
//! Deliberately not here: persistence (the engine stores [`PartnershipState`] and the sync keys),
//! sync logic (key chaining, MoreAvailable loops, conflict handling live in `sync-engine`),
//! iCalendar/vCard mapping, and HTTP servers.
//!
//! Endpoint discovery: [`discover`] finds the EAS URL from an e-mail address (JSON
//! Autodiscover v2, POX Autodiscover, the HTTP redirect probe) under [`AutodiscoverOptions`].
//!
//! Central types: [`Client`], [`ClientConfig`] (+ [`RetryPolicy`], [`PolicyAck`],
//! [`TlsConfig`]), [`PartnershipState`], [`AuthProvider`] ([`BasicAuth`], [`BearerAuth`] over a
//! [`TokenSource`]), [`Error`].
//!
//! # What the client does on its own
//! * Before the first command: OPTIONS, pick 16.1 > 16.0 > 14.1 > 14.0 > 12.1 (or the pin), then
//!   Provision (with `settings:DeviceInformation` on 14.1+, standalone Settings on 12.1/14.0).
//! * HTTP 449, or a top-level status 140–144/165: provision again and retry the request once.
//!   A `RemoteWipe`/`AccountOnlyRemoteWipe` is acknowledged upstream (status 1) and returned as
//!   [`Error::RemoteWipe`]: the engine must purge the mirror and credentials and lock the user.
//! * HTTP 451: follow `X-MS-Location` (https never downgraded; same URL refused; at most
//!   `max_redirects`), publish the new URL in the state.
//! * HTTP 401: one [`AuthProvider::on_unauthorized`] refresh, then [`Error::Unauthorized`].
//!   HTTP 403 is [`Error::Forbidden`] at once.
//! * HTTP 503 (honouring `Retry-After`), top-level statuses 110/111/114/133, HTTP 500/502/504 and
//!   network errors: retried under [`RetryPolicy`] with jittered exponential back-off, then
//!   [`Error::Throttled`], [`Error::Server`] or [`Error::Network`]. After giving up on a 503
//!   with `Retry-After`, every request of the partnership fails fast with
//!   [`Error::Throttled`] until that time has passed (never hammer). A Sync is safe to resend:
//!   Exchange treats a repeated sync key as a retry.
//!
//! # State and persistence
//! The client owns a [`PartnershipState`] (URL, version, commands, policy key, policy settings).
//! The engine seeds it from its store and persists each value published on
//! [`Client::subscribe`] (a `tokio::sync::watch` channel).
//!
//! # Serialisation per folder
//! A sync key is a chain, so requests touching one folder must not overlap. The client does not
//! lock by itself; the engine takes a [`FolderLocks`] guard around each round trip *and* the
//! persisting of the new key. Different folders and users run concurrently; keep one Ping per
//! partnership.
//!
//! # Example
//! ```no_run
//! use std::sync::Arc;
//! use eas_client::{BasicAuth, Client, ClientConfig, PartnershipState};
//!
//! # async fn run() -> Result<(), eas_client::Error> {
//! let cfg = ClientConfig::new("alice@contoso.com", "easdav4f2a9c0d11e8", "EasDav");
//! let state = PartnershipState::new("https://mail.contoso.com/Microsoft-Server-ActiveSync");
//! let client = Client::new(cfg, state, Arc::new(BasicAuth::new("alice@contoso.com", "pw")))?;
//! let mut changes = client.subscribe();
//! client.ensure_ready().await?; // OPTIONS + Provision
//! let persisted = changes.borrow_and_update().clone();
//! assert!(persisted.policy_key.is_some());
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod auth;
mod autodiscover;
mod client;
mod commands;
mod config;
mod error;
mod negotiate;
mod provision;
mod retry;
mod state;
mod transport;

pub use auth::{AuthError, AuthProvider, BasicAuth, BearerAuth, BoxFuture, StaticTokens, TokenSource};
pub use autodiscover::{
    discover, Attempt, AttemptFailure, AutodiscoverError, AutodiscoverOptions, Candidate, DiscoveredEndpoint,
    DiscoveryMethod, Redirect, EXCHANGE_ONLINE_JSON, REQUEST_SCHEMA, RESPONSE_SCHEMA,
};
pub use client::Client;
pub use config::{ClientConfig, DeviceInfo, PolicyAck, Provisioning, RetryPolicy, Timeouts, TlsConfig};
pub use error::{Error, Result};
pub use negotiate::{ServerOptions, PREFERRED_VERSIONS};
pub use provision::{ProvisionOutcome, POLICY_TYPE};
pub use retry::{RecordingSleeper, Sleeper, TokioSleeper};
pub use state::{FolderGuard, FolderLocks, PartnershipState};
pub use transport::WBXML_CONTENT_TYPE;

/// The protocol model the typed methods speak (re-exported for callers).
pub use eas_proto;
