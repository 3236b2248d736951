//! Typed configuration for one partnership's client (built by the gateway, never read from files here).

use std::time::Duration;

use eas_proto::ProtocolVersion;

/// Everything a [`Client`](crate::Client) needs besides its auth provider and persisted state.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The EAS logon name sent as `User=` (UPN or `DOMAIN\user`).
    pub user: String,
    /// The stable device id of this partnership (ASCII alphanumeric, ≤ 32 chars).
    pub device_id: String,
    /// The device type shown to Exchange admins (letters only).
    pub device_type: String,
    /// The `User-Agent` sent on every request; keep it stable.
    pub user_agent: String,
    /// Negotiate exactly this version (error if the server does not offer it); `None` picks the
    /// best one from [`PREFERRED_VERSIONS`](crate::PREFERRED_VERSIONS).
    pub version_pin: Option<ProtocolVersion>,
    /// How provisioning is handled.
    pub provisioning: Provisioning,
    /// The `settings:DeviceInformation` sent with the initial Provision (14.1+) or as a
    /// standalone Settings command (12.1/14.0).
    pub device_info: DeviceInfo,
    /// Retry and back-off policy.
    pub retry: RetryPolicy,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Client certificate and extra CA roots.
    pub tls: TlsConfig,
    /// Send `Cookie: DefaultAnchorMailbox=<value>` (needed by consumer outlook.com).
    pub anchor_mailbox: Option<String>,
    /// Most 451 redirects followed for one request.
    pub max_redirects: u32,
}

impl ClientConfig {
    /// A configuration with defaults for everything but the identity.
    ///
    /// # Example
    /// ```
    /// let cfg = eas_client::ClientConfig::new("alice@contoso.com", "easdav0123456789", "EasDav");
    /// assert_eq!(cfg.retry.max_attempts, 4);
    /// ```
    pub fn new(user: impl Into<String>, device_id: impl Into<String>, device_type: impl Into<String>) -> Self {
        ClientConfig {
            user: user.into(),
            device_id: device_id.into(),
            device_type: device_type.into(),
            user_agent: concat!("easdav/", env!("CARGO_PKG_VERSION")).to_owned(),
            version_pin: None,
            provisioning: Provisioning::default(),
            device_info: DeviceInfo::default(),
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            tls: TlsConfig::default(),
            anchor_mailbox: None,
            max_redirects: 3,
        }
    }
}

/// How the client provisions and acknowledges policies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provisioning {
    /// Provision before the first command and whenever the server asks (the default);
    /// acknowledge the policy as configured.
    Enabled {
        /// What the acknowledgement claims.
        ack: PolicyAck,
    },
    /// Never provision (servers that do not require it). A 449 or status 142 then fails with
    /// [`Error::Provision`](crate::Error::Provision).
    Disabled,
}

impl Default for Provisioning {
    fn default() -> Self {
        Provisioning::Enabled { ack: PolicyAck::Accept }
    }
}

/// The `Status` easdav sends in the policy acknowledgement (MS-ASPROV phase two).
///
/// A gateway cannot enforce device policies such as a PIN or storage encryption on the phones
/// behind it. easdav itself honours remote wipe (purge and lock) and the calendar age filter.
/// `Accept` claims full compliance and is what most servers require to hand out a final policy
/// key; `Partial` and `Refuse` are honest but a server with "allow non-provisionable devices"
/// off will then refuse the partnership (status 139/141).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PolicyAck {
    /// Status 1: policy applied.
    #[default]
    Accept,
    /// Status 2: policy partially applied.
    Partial,
    /// Status 3: policy not applied.
    Refuse,
    /// Status 4: device externally managed.
    ExternallyManaged,
}

impl PolicyAck {
    /// The wire value.
    pub fn code(self) -> u32 {
        match self {
            PolicyAck::Accept => 1,
            PolicyAck::Partial => 2,
            PolicyAck::Refuse => 3,
            PolicyAck::ExternallyManaged => 4,
        }
    }
}

/// `settings:DeviceInformation/Set` fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Device model.
    pub model: String,
    /// Friendly name shown to the user and admin.
    pub friendly_name: String,
    /// Operating system.
    pub os: String,
    /// OS language.
    pub os_language: String,
}

impl Default for DeviceInfo {
    fn default() -> Self {
        DeviceInfo {
            model: "easdav".to_owned(),
            friendly_name: "easdav gateway".to_owned(),
            os: std::env::consts::OS.to_owned(),
            os_language: "en-us".to_owned(),
        }
    }
}

/// Bounded retry with exponential back-off and jitter.
///
/// One request is attempted at most `max_attempts` times for transient conditions (network
/// errors, HTTP 500/502/504, HTTP 503, throttling statuses 110/111/114/133). The delay before
/// retry *n* (1-based) is `min(max_delay, base_delay * 2^(n-1))`, reduced by up to `jitter` of
/// itself at random; a server `Retry-After` is honoured instead (never shortened, raised by up
/// to `jitter` at random) unless it exceeds `max_retry_after`, in which case the client gives
/// up at once with [`Error::Throttled`](crate::Error::Throttled) and leaves the wait to the
/// caller.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Most attempts per request for transient conditions (≥ 1).
    pub max_attempts: u32,
    /// First back-off delay.
    pub base_delay: Duration,
    /// Largest back-off delay.
    pub max_delay: Duration,
    /// Delay for a 503 without `Retry-After` and for throttling statuses (before jitter; it
    /// doubles per attempt up to `max_retry_after`).
    pub throttle_delay: Duration,
    /// Longest `Retry-After` the client waits for itself.
    pub max_retry_after: Duration,
    /// Random spread as a fraction (0.0–1.0) of each delay.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            throttle_delay: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(300),
            jitter: 0.2,
        }
    }
}

impl RetryPolicy {
    /// A policy with tiny delays and no jitter, for tests.
    pub fn immediate(max_attempts: u32) -> Self {
        RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(8),
            throttle_delay: Duration::from_millis(10),
            max_retry_after: Duration::from_secs(300),
            jitter: 0.0,
        }
    }
}

/// Timeouts for upstream requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP + TLS connect timeout.
    pub connect: Duration,
    /// Whole-request timeout for every command but Ping.
    pub request: Duration,
    /// Added to the Ping heartbeat to form the Ping request timeout.
    pub ping_margin: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(20),
            request: Duration::from_secs(120),
            ping_margin: Duration::from_secs(60),
        }
    }
}

/// TLS options on top of the built-in web PKI roots.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsConfig {
    /// Client certificate and private key as PEM (mTLS), concatenated in one buffer.
    pub client_identity_pem: Option<Vec<u8>>,
    /// Extra trusted CA certificates as PEM (one or more).
    pub extra_roots_pem: Vec<Vec<u8>>,
    /// Trust only `extra_roots_pem` (no built-in roots).
    pub only_extra_roots: bool,
}
