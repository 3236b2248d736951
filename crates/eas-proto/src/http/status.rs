//! HTTP status codes on an EAS endpoint and what each side does with them.

use super::header;
use crate::{CommonStatus, ProtocolVersion};

/// What an HTTP status means on an EAS endpoint (MS-ASHTTP §2.2.2.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HttpStatus {
    /// 200: success; the body may be empty (Sync/Ping: nothing changed).
    Ok,
    /// 400: malformed request.
    BadRequest,
    /// 401: authentication failed or missing.
    Unauthorized,
    /// 403: the user or device is not allowed to use EAS.
    Forbidden,
    /// 404: not an EAS endpoint.
    NotFound,
    /// 449: retry after sending Provision.
    NeedsProvisioning,
    /// 451: another server owns the mailbox; the new URL is in `X-MS-Location`.
    Redirect,
    /// 456: the account is blocked.
    Blocked,
    /// 457: the password has expired.
    PasswordExpired,
    /// 500: server error.
    ServerError,
    /// 501: command not implemented.
    NotImplemented,
    /// 503: unavailable or throttled; honour `Retry-After`.
    ServiceUnavailable,
    /// 507: server storage (mailbox) full.
    InsufficientStorage,
    /// Any other code.
    Other(u16),
}

/// What a client should do about an HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientAction {
    /// Read the body.
    Proceed,
    /// Refresh credentials once, then give up.
    Reauthenticate,
    /// Run Provision, then retry the request.
    Provision,
    /// Switch to the `X-MS-Location` URL (guard against a redirect to itself).
    Redirect,
    /// Retry later with backoff (honour `Retry-After` when present).
    RetryLater,
    /// A bug in the request or a missing feature: do not retry unchanged.
    FixRequest,
    /// Stop and alert an administrator or the user.
    Stop,
}

impl HttpStatus {
    /// The status for a numeric code.
    pub fn from_code(code: u16) -> Self {
        match code {
            200 => Self::Ok,
            400 => Self::BadRequest,
            401 => Self::Unauthorized,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            449 => Self::NeedsProvisioning,
            451 => Self::Redirect,
            456 => Self::Blocked,
            457 => Self::PasswordExpired,
            500 => Self::ServerError,
            501 => Self::NotImplemented,
            503 => Self::ServiceUnavailable,
            507 => Self::InsufficientStorage,
            n => Self::Other(n),
        }
    }

    /// The numeric code.
    pub fn code(self) -> u16 {
        match self {
            Self::Ok => 200,
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::NeedsProvisioning => 449,
            Self::Redirect => 451,
            Self::Blocked => 456,
            Self::PasswordExpired => 457,
            Self::ServerError => 500,
            Self::NotImplemented => 501,
            Self::ServiceUnavailable => 503,
            Self::InsufficientStorage => 507,
            Self::Other(n) => n,
        }
    }

    /// The reason phrase a server sends (EAS-specific for 449/451/456/457).
    pub fn reason_phrase(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::BadRequest => "Bad Request",
            Self::Unauthorized => "Unauthorized",
            Self::Forbidden => "Forbidden",
            Self::NotFound => "Not Found",
            Self::NeedsProvisioning => "Retry after sending a PROVISION command",
            Self::Redirect => "Redirect",
            Self::Blocked => "Account Blocked",
            Self::PasswordExpired => "Password Expired",
            Self::ServerError => "Internal Server Error",
            Self::NotImplemented => "Not Implemented",
            Self::ServiceUnavailable => "Service Unavailable",
            Self::InsufficientStorage => "Insufficient Storage",
            Self::Other(_) => "",
        }
    }

    /// The header a server sends with this status: `WWW-Authenticate` (401),
    /// `X-MS-Location` (451), `Retry-After` (503).
    pub fn companion_header(self) -> Option<&'static str> {
        match self {
            Self::Unauthorized => Some(header::WWW_AUTHENTICATE),
            Self::Redirect => Some(header::LOCATION),
            Self::ServiceUnavailable => Some(header::RETRY_AFTER),
            _ => None,
        }
    }

    /// What the client should do.
    pub fn client_action(self) -> ClientAction {
        match self {
            Self::Ok => ClientAction::Proceed,
            Self::Unauthorized => ClientAction::Reauthenticate,
            Self::NeedsProvisioning => ClientAction::Provision,
            Self::Redirect => ClientAction::Redirect,
            Self::ServerError | Self::ServiceUnavailable => ClientAction::RetryLater,
            Self::BadRequest | Self::NotImplemented => ClientAction::FixRequest,
            Self::Forbidden | Self::NotFound | Self::Blocked | Self::PasswordExpired | Self::InsufficientStorage => {
                ClientAction::Stop
            }
            Self::Other(n) if (500..600).contains(&n) => ClientAction::RetryLater,
            Self::Other(n) if (200..300).contains(&n) => ClientAction::Proceed,
            Self::Other(_) => ClientAction::Stop,
        }
    }
}

/// Parses a `Retry-After` value given in seconds (HTTP dates are not used by EAS servers; they give `None`).
pub fn parse_retry_after(value: &str) -> Option<u64> {
    value.trim().parse().ok()
}

/// How a server tells a client to (re-)provision before other commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProvisioningSignal {
    /// HTTP 449 with no body (protocol 12.1 and earlier).
    Http449,
    /// HTTP 200 with this global status as the command's top-level `Status`
    /// (protocol 14.0 and later).
    Status(CommonStatus),
}

/// The signal for `reason` (142 not provisioned, 143 policy refresh, 144
/// invalid policy key, …) at `version`: HTTP 449 below 14.0, the in-band
/// status from 14.0 on.
pub fn provisioning_signal(version: ProtocolVersion, reason: CommonStatus) -> ProvisioningSignal {
    if version >= ProtocolVersion::V14_0 {
        ProvisioningSignal::Status(reason)
    } else {
        ProvisioningSignal::Http449
    }
}
