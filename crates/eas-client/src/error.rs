//! The crate's one error type.

use std::time::Duration;

/// Everything that can go wrong talking to the upstream EAS server.
///
/// Retryable conditions (network errors, HTTP 500/503, throttling statuses) are retried inside
/// the client under its [`RetryPolicy`](crate::RetryPolicy); an error reaching the caller means
/// the retries are exhausted or the condition is not worth retrying.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration cannot work (bad URL, bad TLS material, bad header value).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// HTTP 401 persisted after the auth provider had its one chance to refresh.
    #[error("unauthorized (http 401){}", diag_suffix(.diagnostics))]
    Unauthorized {
        /// The `x-ms-diagnostics` header of the last 401, if any (contains no secrets).
        diagnostics: Option<String>,
    },
    /// HTTP 403: user not enabled for EAS, device not allowed, TLS required.
    #[error("forbidden (http 403)")]
    Forbidden,
    /// The auth provider could not produce or refresh credentials.
    #[error("auth provider: {0}")]
    Auth(String),
    /// The server is throttling this device (HTTP 503 or an EAS throttling status) and the
    /// bounded retries are exhausted, or the requested delay exceeds the policy's cap.
    #[error("throttled by server{}{}", retry_suffix(.retry_after), status_suffix(.status))]
    Throttled {
        /// The server's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
        /// The EAS status that signalled throttling, if it was in-band.
        status: Option<u32>,
    },
    /// Transport failure (connect refused, reset, timeout) after bounded retries.
    #[error("network error after {attempts} attempts: {source}")]
    Network {
        /// How many attempts were made.
        attempts: u32,
        /// The last transport error.
        #[source]
        source: reqwest::Error,
    },
    /// HTTP 5xx (other than 503) after bounded retries.
    #[error("server error (http {status}) after {attempts} attempts")]
    Server {
        /// The last HTTP status.
        status: u16,
        /// How many attempts were made.
        attempts: u32,
    },
    /// An HTTP status this client does not retry (400, 404, 456, 457, 501, 507, …).
    #[error("unexpected http status {status}")]
    Http {
        /// The HTTP status code.
        status: u16,
    },
    /// A 451 redirect without a usable `X-MS-Location`, to the same URL, or too many of them.
    #[error("bad redirect: {0}")]
    Redirect(String),
    /// The response is not WBXML (wrong `Content-Type` or magic bytes).
    #[error("response is not wbxml (content-type {content_type:?})")]
    NotWbxml {
        /// The response's `Content-Type`, if any.
        content_type: Option<String>,
    },
    /// A command that must answer with a body answered with an empty one.
    #[error("empty response body for {command}")]
    EmptyResponse {
        /// The command name.
        command: &'static str,
    },
    /// The WBXML body does not decode.
    #[error("decoding {command} response: {source}")]
    Decode {
        /// The command name.
        command: &'static str,
        /// The decoder error.
        #[source]
        source: wbxml::DecodeError,
    },
    /// The body decodes but is not a valid response for the command.
    #[error("parsing {command} response: {source}")]
    Proto {
        /// The command name.
        command: &'static str,
        /// The protocol-model error.
        #[source]
        source: eas_proto::ProtoError,
    },
    /// Version negotiation found no version both sides speak.
    #[error("no common protocol version (server offers {offered:?})")]
    NoCommonVersion {
        /// What the server's `MS-ASProtocolVersions` listed.
        offered: Vec<String>,
    },
    /// The server does not list the command in `MS-ASProtocolCommands`.
    #[error("server does not support command {0}")]
    CommandNotSupported(&'static str),
    /// Provisioning failed (bad status, missing policy key, or the server keeps asking for it).
    #[error("provisioning failed: {0}")]
    Provision(String),
    /// The server ordered a remote wipe. It has been acknowledged upstream; the caller must
    /// purge this partnership's mirror and credentials and lock the account.
    #[error("remote wipe requested by server (account only: {account_only})")]
    RemoteWipe {
        /// `true` for `AccountOnlyRemoteWipe` (16.1), `false` for a full `RemoteWipe`.
        account_only: bool,
    },
    /// A global EAS status (MS-ASCMD §2.2.2) in the top-level `Status` that the client does
    /// not handle itself (access denied, version not supported, …).
    #[error("{command} failed with status {status}")]
    Status {
        /// The command name.
        command: &'static str,
        /// The status number.
        status: u32,
    },
}

impl Error {
    /// Whether a later retry (after the engine's own back-off) may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::Throttled { .. } | Error::Network { .. } | Error::Server { .. }
        )
    }

    /// The server's requested wait, if it sent one (for an `UpstreamUnavailable` answer).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Throttled { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

fn diag_suffix(d: &Option<String>) -> String {
    d.as_ref().map(|d| format!(": {d}")).unwrap_or_default()
}

fn retry_suffix(d: &Option<Duration>) -> String {
    d.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default()
}

fn status_suffix(s: &Option<u32>) -> String {
    s.map(|s| format!(", status {s}")).unwrap_or_default()
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
