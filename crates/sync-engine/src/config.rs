//! [`EngineConfig`]: the engine's typed settings (the binary reads files and environment).

use std::time::Duration;

use eas_client::{PolicyAck, RetryPolicy};
use eas_proto::ProtocolVersion;

/// What wins when Exchange reports that an item changed since the gateway last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConflictPolicy {
    /// Exchange's version wins (EAS `Conflict` 1): the write fails with `Conflict`, the mirror
    /// is refreshed and the DAV client must refetch.
    #[default]
    ServerWins,
    /// The DAV client's version replaces the server's (EAS `Conflict` 0).
    ClientWins,
}

/// Everything the engine needs to know; a plain struct built by the binary.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The full EAS endpoint URL (any path), e.g. `https://mail.example/Microsoft-Server-ActiveSync`.
    pub upstream_url: String,
    /// Negotiate exactly this protocol version; `None` picks the best (16.1 first).
    pub version_pin: Option<ProtocolVersion>,
    /// The `DeviceType` shown to Exchange admins (letters only).
    pub device_type: String,
    /// Prefix of the generated `DeviceId` (alphanumeric; the rest is a hash of user and installation).
    pub device_id_prefix: String,
    /// Sync `WindowSize` per request (1–512).
    pub window_size: u32,
    /// A DAV read syncs a folder first when its last successful sync is older than this.
    pub staleness: Duration,
    /// First Ping heartbeat.
    pub heartbeat_initial: Duration,
    /// Smallest heartbeat used (raised when the server says so with Ping status 5).
    pub heartbeat_min: Duration,
    /// Largest heartbeat used (lowered when the server says so with Ping status 5).
    pub heartbeat_max: Duration,
    /// A user whose DAV clients were silent this long stops pinging until the next request.
    pub active_idle: Duration,
    /// Conflict resolution for writes.
    pub conflict: ConflictPolicy,
    /// What the policy acknowledgement claims (see `eas_client::PolicyAck`).
    pub policy_ack: PolicyAck,
    /// How long deletion tombstones stay valid for sync tokens (the store applies it; the engine
    /// prunes with it).
    pub tombstone_horizon: Duration,
    /// How long a verified DAV login is trusted before it is checked upstream again.
    pub credential_ttl: Duration,
    /// Upstream retry policy (per request, inside the EAS client).
    pub retry: RetryPolicy,
    /// Extra CA roots (PEM) trusted for the upstream connection.
    pub extra_roots_pem: Vec<Vec<u8>>,
    /// Find each user's endpoint with Autodiscover (from the e-mail address they log in
    /// with) when the partnership is created; `upstream_url` is then only the fallback
    /// (empty: none). The URL found is stored with the partnership.
    pub autodiscover: Option<eas_client::AutodiscoverOptions>,
}

impl EngineConfig {
    /// Defaults for everything but the upstream URL.
    ///
    /// # Example
    /// ```
    /// let cfg = sync_engine::EngineConfig::new("http://127.0.0.1:9090/Microsoft-Server-ActiveSync");
    /// assert_eq!(cfg.window_size, 512);
    /// assert_eq!(cfg.staleness, std::time::Duration::from_secs(30));
    /// ```
    pub fn new(upstream_url: impl Into<String>) -> Self {
        EngineConfig {
            upstream_url: upstream_url.into(),
            version_pin: None,
            device_type: "EasDav".to_owned(),
            device_id_prefix: "easdav".to_owned(),
            window_size: 512,
            staleness: Duration::from_secs(30),
            heartbeat_initial: Duration::from_secs(480),
            heartbeat_min: Duration::from_secs(60),
            heartbeat_max: Duration::from_secs(3540),
            active_idle: Duration::from_secs(30 * 60),
            conflict: ConflictPolicy::ServerWins,
            policy_ack: PolicyAck::Accept,
            tombstone_horizon: Duration::from_secs(30 * 24 * 3600),
            credential_ttl: Duration::from_secs(300),
            retry: RetryPolicy::default(),
            extra_roots_pem: Vec::new(),
            autodiscover: None,
        }
    }
}
