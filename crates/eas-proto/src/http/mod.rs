//! MS-ASHTTP framing: the request line (plain and base64 query forms),
//! header names and values, the OPTIONS answer, and what HTTP status codes
//! mean to each side. No HTTP library types: plain `u16` and `&str` pairs.

mod query;
mod status;

pub use query::{Command, QueryForm, RequestLine};
pub use status::{parse_retry_after, provisioning_signal, ClientAction, HttpStatus, ProvisioningSignal};

use crate::{ProtoError, ProtocolVersion};

/// The endpoint path.
pub const PATH: &str = "/Microsoft-Server-ActiveSync";
/// Content type of every WBXML body.
pub const WBXML_CONTENT_TYPE: &str = "application/vnd.ms-sync.wbxml";

/// Header names.
pub mod header {
    /// Request: the protocol version of this request.
    pub const PROTOCOL_VERSION: &str = "MS-ASProtocolVersion";
    /// Request: the policy key from Provision (`0` before provisioning).
    pub const POLICY_KEY: &str = "X-MS-PolicyKey";
    /// OPTIONS answer: comma list of supported versions.
    pub const PROTOCOL_VERSIONS: &str = "MS-ASProtocolVersions";
    /// OPTIONS answer: comma list of supported commands.
    pub const PROTOCOL_COMMANDS: &str = "MS-ASProtocolCommands";
    /// OPTIONS answer: the server build.
    pub const SERVER_ACTIVESYNC: &str = "MS-Server-ActiveSync";
    /// Request: ask for multipart ItemOperations responses (`T`).
    pub const ACCEPT_MULTIPART: &str = "MS-ASAcceptMultiPart";
    /// 451 answer: the URL to use instead.
    pub const LOCATION: &str = "X-MS-Location";
    /// 503 answer: seconds to wait.
    pub const RETRY_AFTER: &str = "Retry-After";
    /// Request: the client's product string.
    pub const USER_AGENT: &str = "User-Agent";
    /// Request and response: body type.
    pub const CONTENT_TYPE: &str = "Content-Type";
    /// 401 answer: the auth challenge.
    pub const WWW_AUTHENTICATE: &str = "WWW-Authenticate";
}

/// The EAS headers of a POST, parsed once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestHeaders {
    /// `MS-ASProtocolVersion`.
    pub version: Option<ProtocolVersion>,
    /// `X-MS-PolicyKey` (`None` when absent).
    pub policy_key: Option<u32>,
    /// `User-Agent`.
    pub user_agent: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `MS-ASAcceptMultiPart: T`.
    pub accept_multipart: bool,
}

impl RequestHeaders {
    /// Reads the EAS headers from name/value pairs (names case-insensitive).
    /// An unknown version or a non-numeric policy key is an error.
    pub fn parse<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, ProtoError> {
        let mut h = RequestHeaders::default();
        for (name, value) in headers {
            let value = value.trim();
            if name.eq_ignore_ascii_case(header::PROTOCOL_VERSION) {
                h.version = Some(value.parse().map_err(|e: crate::UnknownVersion| ProtoError::Header {
                    name: header::PROTOCOL_VERSION,
                    reason: e.to_string(),
                })?);
            } else if name.eq_ignore_ascii_case(header::POLICY_KEY) {
                h.policy_key = Some(value.parse().map_err(|_| ProtoError::Header {
                    name: header::POLICY_KEY,
                    reason: format!("not an unsigned integer: {value:?}"),
                })?);
            } else if name.eq_ignore_ascii_case(header::USER_AGENT) {
                h.user_agent = Some(value.to_owned());
            } else if name.eq_ignore_ascii_case(header::CONTENT_TYPE) {
                h.content_type = Some(value.to_owned());
            } else if name.eq_ignore_ascii_case(header::ACCEPT_MULTIPART) {
                h.accept_multipart = value.eq_ignore_ascii_case("T");
            }
        }
        Ok(h)
    }

    /// The headers to send, as name/value pairs (`Content-Type` only when
    /// `with_body`).
    pub fn to_pairs(&self, with_body: bool) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        if let Some(ver) = self.version {
            v.push((header::PROTOCOL_VERSION, ver.as_str().to_owned()));
        }
        if let Some(k) = self.policy_key {
            v.push((header::POLICY_KEY, k.to_string()));
        }
        if let Some(ua) = &self.user_agent {
            v.push((header::USER_AGENT, ua.clone()));
        }
        if with_body {
            let ct = self
                .content_type
                .clone()
                .unwrap_or_else(|| WBXML_CONTENT_TYPE.to_owned());
            v.push((header::CONTENT_TYPE, ct));
        }
        if self.accept_multipart {
            v.push((header::ACCEPT_MULTIPART, "T".to_owned()));
        }
        v
    }

    /// Whether the content type is the WBXML one (parameters ignored).
    pub fn is_wbxml(&self) -> bool {
        self.content_type
            .as_deref()
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|ct| ct.trim().eq_ignore_ascii_case(WBXML_CONTENT_TYPE))
    }
}

/// What an OPTIONS response advertises.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionsAnswer {
    /// Supported versions (unknown ones are dropped when parsing).
    pub versions: Vec<ProtocolVersion>,
    /// Supported commands (unknown names are dropped when parsing).
    pub commands: Vec<Command>,
}

impl OptionsAnswer {
    /// The response headers.
    pub fn to_headers(&self) -> Vec<(&'static str, String)> {
        let join = |it: Vec<&str>| it.join(",");
        vec![
            (
                header::PROTOCOL_VERSIONS,
                join(self.versions.iter().map(|v| v.as_str()).collect()),
            ),
            (
                header::PROTOCOL_COMMANDS,
                join(self.commands.iter().map(|c| c.name()).collect()),
            ),
            ("Allow", "OPTIONS,POST".to_owned()),
            ("Public", "OPTIONS,POST".to_owned()),
        ]
    }

    /// Reads the answer from response headers. Repeated headers are joined
    /// and duplicates removed (EXO has been seen sending the commands twice).
    pub fn parse<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut versions = Vec::new();
        let mut commands = Vec::new();
        for (name, value) in headers {
            if name.eq_ignore_ascii_case(header::PROTOCOL_VERSIONS) {
                for v in value
                    .split(',')
                    .filter_map(|v| v.trim().parse::<ProtocolVersion>().ok())
                {
                    if !versions.contains(&v) {
                        versions.push(v);
                    }
                }
            } else if name.eq_ignore_ascii_case(header::PROTOCOL_COMMANDS) {
                for c in value.split(',').filter_map(|c| Command::from_name(c.trim())) {
                    if !commands.contains(&c) {
                        commands.push(c);
                    }
                }
            }
        }
        OptionsAnswer { versions, commands }
    }

    /// The highest version both sides speak.
    pub fn best_version(&self, ours: &[ProtocolVersion]) -> Option<ProtocolVersion> {
        self.versions.iter().copied().filter(|v| ours.contains(v)).max()
    }
}
