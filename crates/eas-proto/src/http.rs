//! MS-ASHTTP framing: the request line (plain and base64 query forms),
//! header names and values, the OPTIONS answer, and what HTTP status codes
//! mean to each side. No HTTP library types: plain `u16` and `&str` pairs.

use std::fmt;

use base64::Engine as _;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

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

/// An EAS command as named in `Cmd=` and coded in the base64 form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// `Sync` (0).
    Sync,
    /// `SendMail` (1).
    SendMail,
    /// `SmartForward` (2).
    SmartForward,
    /// `SmartReply` (3).
    SmartReply,
    /// `GetAttachment` (4).
    GetAttachment,
    /// `FolderSync` (9).
    FolderSync,
    /// `FolderCreate` (10).
    FolderCreate,
    /// `FolderDelete` (11).
    FolderDelete,
    /// `FolderUpdate` (12).
    FolderUpdate,
    /// `MoveItems` (13).
    MoveItems,
    /// `GetItemEstimate` (14).
    GetItemEstimate,
    /// `MeetingResponse` (15).
    MeetingResponse,
    /// `Search` (16).
    Search,
    /// `Settings` (17).
    Settings,
    /// `Ping` (18).
    Ping,
    /// `ItemOperations` (19).
    ItemOperations,
    /// `Provision` (20).
    Provision,
    /// `ResolveRecipients` (21).
    ResolveRecipients,
    /// `ValidateCert` (22).
    ValidateCert,
    /// `Find` (23, 16.1).
    Find,
}

const COMMANDS: [(Command, &str, u8); 20] = [
    (Command::Sync, "Sync", 0),
    (Command::SendMail, "SendMail", 1),
    (Command::SmartForward, "SmartForward", 2),
    (Command::SmartReply, "SmartReply", 3),
    (Command::GetAttachment, "GetAttachment", 4),
    (Command::FolderSync, "FolderSync", 9),
    (Command::FolderCreate, "FolderCreate", 10),
    (Command::FolderDelete, "FolderDelete", 11),
    (Command::FolderUpdate, "FolderUpdate", 12),
    (Command::MoveItems, "MoveItems", 13),
    (Command::GetItemEstimate, "GetItemEstimate", 14),
    (Command::MeetingResponse, "MeetingResponse", 15),
    (Command::Search, "Search", 16),
    (Command::Settings, "Settings", 17),
    (Command::Ping, "Ping", 18),
    (Command::ItemOperations, "ItemOperations", 19),
    (Command::Provision, "Provision", 20),
    (Command::ResolveRecipients, "ResolveRecipients", 21),
    (Command::ValidateCert, "ValidateCert", 22),
    (Command::Find, "Find", 23),
];

impl Command {
    /// Every command.
    pub fn all() -> impl Iterator<Item = Command> {
        COMMANDS.iter().map(|c| c.0)
    }

    /// The `Cmd=` name.
    pub fn name(self) -> &'static str {
        COMMANDS.iter().find(|c| c.0 == self).map_or("", |c| c.1)
    }

    /// The base64-form command code.
    pub fn code(self) -> u8 {
        COMMANDS.iter().find(|c| c.0 == self).map_or(0, |c| c.2)
    }

    /// The command for a `Cmd=` name (case-insensitive, as IIS treats it).
    pub fn from_name(name: &str) -> Option<Command> {
        COMMANDS.iter().find(|c| c.1.eq_ignore_ascii_case(name)).map(|c| c.0)
    }

    /// The command for a base64-form code.
    pub fn from_code(code: u8) -> Option<Command> {
        COMMANDS.iter().find(|c| c.2 == code).map(|c| c.0)
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which query form a request used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryForm {
    /// `Cmd=…&User=…&DeviceId=…&DeviceType=…`.
    Plain,
    /// The base64-encoded binary form (12.1+).
    Base64,
}

/// The identity and parameters of one EAS request, from its query string.
///
/// `version`, `policy_key` and `locale` travel in the query only in the
/// base64 form; with the plain form they are headers (and stay `None` here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestLine {
    /// `Cmd`.
    pub cmd: Command,
    /// `User` (logon name).
    pub user: String,
    /// `DeviceId`. In the base64 form, raw bytes that are not printable ASCII are shown as lower-case hex.
    pub device_id: String,
    /// `DeviceType`.
    pub device_type: String,
    /// `ItemId` (SmartReply/SmartForward/MeetingResponse).
    pub item_id: Option<String>,
    /// `CollectionId`.
    pub collection_id: Option<String>,
    /// `LongId`.
    pub long_id: Option<String>,
    /// `AttachmentName` (GetAttachment).
    pub attachment_name: Option<String>,
    /// `Occurrence`.
    pub occurrence: Option<String>,
    /// `SaveInSent=T`.
    pub save_in_sent: bool,
    /// Base64 form only: the protocol version.
    pub version: Option<ProtocolVersion>,
    /// Base64 form only: the policy key.
    pub policy_key: Option<u32>,
    /// Base64 form only: the locale (e.g. 0x0409).
    pub locale: Option<u16>,
    /// Base64 form only: `AcceptMultiPart` option bit.
    pub accept_multipart: bool,
}

const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

impl RequestLine {
    /// A request line with the four identity parameters.
    pub fn new(
        cmd: Command,
        user: impl Into<String>,
        device_id: impl Into<String>,
        device_type: impl Into<String>,
    ) -> Self {
        RequestLine {
            cmd,
            user: user.into(),
            device_id: device_id.into(),
            device_type: device_type.into(),
            item_id: None,
            collection_id: None,
            long_id: None,
            attachment_name: None,
            occurrence: None,
            save_in_sent: false,
            version: None,
            policy_key: None,
            locale: None,
            accept_multipart: false,
        }
    }

    /// The plain query string (without `?`), values percent-encoded.
    pub fn to_query(&self) -> String {
        let mut parts = vec![
            ("Cmd", self.cmd.name().to_owned()),
            ("User", self.user.clone()),
            ("DeviceId", self.device_id.clone()),
            ("DeviceType", self.device_type.clone()),
        ];
        let extras = [
            ("ItemId", &self.item_id),
            ("CollectionId", &self.collection_id),
            ("LongId", &self.long_id),
            ("AttachmentName", &self.attachment_name),
            ("Occurrence", &self.occurrence),
        ];
        for (k, v) in extras {
            if let Some(v) = v {
                parts.push((k, v.clone()));
            }
        }
        if self.save_in_sent {
            parts.push(("SaveInSent", "T".to_owned()));
        }
        parts
            .iter()
            .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The path and plain query: `/Microsoft-Server-ActiveSync?Cmd=…`.
    pub fn to_path_and_query(&self) -> String {
        format!("{PATH}?{}", self.to_query())
    }

    /// Parses a query string (without `?`) in either form: a query with `=`
    /// is plain, anything else is tried as base64.
    pub fn parse(query: &str) -> Result<(RequestLine, QueryForm), ProtoError> {
        if query.contains('=') && query.contains("Cmd") {
            Self::parse_plain(query).map(|r| (r, QueryForm::Plain))
        } else {
            Self::parse_base64(query).map(|r| (r, QueryForm::Base64))
        }
    }

    /// Parses the plain form.
    pub fn parse_plain(query: &str) -> Result<RequestLine, ProtoError> {
        let mut cmd = None;
        let mut line = RequestLine::new(Command::Sync, "", "", "");
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode_str(&v.replace('+', " "))
                .decode_utf8()
                .map_err(|_| ProtoError::Query(format!("parameter {k} is not utf-8")))?
                .into_owned();
            match k.to_ascii_lowercase().as_str() {
                "cmd" => {
                    cmd = Some(
                        Command::from_name(&v).ok_or_else(|| ProtoError::Query(format!("unknown command {v:?}")))?,
                    )
                }
                "user" => line.user = v,
                "deviceid" => line.device_id = v,
                "devicetype" => line.device_type = v,
                "itemid" => line.item_id = Some(v),
                "collectionid" => line.collection_id = Some(v),
                "longid" => line.long_id = Some(v),
                "attachmentname" => line.attachment_name = Some(v),
                "occurrence" => line.occurrence = Some(v),
                "saveinsent" => line.save_in_sent = v.eq_ignore_ascii_case("T"),
                _ => {}
            }
        }
        line.cmd = cmd.ok_or_else(|| ProtoError::Query("missing Cmd".into()))?;
        Ok(line)
    }

    /// Encodes the base64 form. `version` is required; `policy_key` and
    /// `locale` are taken from `self` (locale defaults to 0x0409).
    pub fn to_base64_query(&self, version: ProtocolVersion) -> Result<String, ProtoError> {
        let mut b = vec![version.code(), self.cmd.code()];
        b.extend_from_slice(&self.locale.unwrap_or(0x0409).to_le_bytes());
        push_len_prefixed(&mut b, "DeviceId", self.device_id.as_bytes())?;
        match self.policy_key {
            Some(k) => {
                b.push(4);
                b.extend_from_slice(&k.to_le_bytes());
            }
            None => b.push(0),
        }
        push_len_prefixed(&mut b, "DeviceType", self.device_type.as_bytes())?;
        let params = [
            (0u8, &self.attachment_name),
            (1, &self.collection_id),
            (3, &self.item_id),
            (4, &self.long_id),
            (6, &self.occurrence),
        ];
        for (tag, v) in params {
            if let Some(v) = v {
                b.push(tag);
                push_len_prefixed(&mut b, "parameter", v.as_bytes())?;
            }
        }
        let opts = u8::from(self.save_in_sent) | (u8::from(self.accept_multipart) << 1);
        if opts != 0 {
            b.extend_from_slice(&[7, 1, opts]);
        }
        if !self.user.is_empty() {
            b.push(8);
            push_len_prefixed(&mut b, "User", self.user.as_bytes())?;
        }
        Ok(base64::engine::general_purpose::STANDARD.encode(b))
    }

    /// Parses the base64 form. Unknown parameter tags are skipped.
    pub fn parse_base64(query: &str) -> Result<RequestLine, ProtoError> {
        let decoded = percent_decode_str(query).collect::<Vec<u8>>();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(decoded.trim_ascii())
            .map_err(|e| ProtoError::Query(format!("bad base64: {e}")))?;
        let mut r = Reader { b: &bytes, pos: 0 };
        let version_code = r.u8("protocol version")?;
        let version = ProtocolVersion::from_code(version_code)
            .ok_or_else(|| ProtoError::Query(format!("unsupported protocol version code {version_code}")))?;
        let cmd_code = r.u8("command code")?;
        let cmd = Command::from_code(cmd_code)
            .ok_or_else(|| ProtoError::Query(format!("unknown command code {cmd_code}")))?;
        let locale = u16::from_le_bytes([r.u8("locale")?, r.u8("locale")?]);
        let dev_len = r.u8("DeviceId length")?;
        let device_id = device_id_string(r.take(dev_len, "DeviceId")?);
        let pk_len = r.u8("policy key length")?;
        let policy_key = match pk_len {
            0 => None,
            4 => {
                let k = r.take(4, "policy key")?;
                Some(u32::from_le_bytes([k[0], k[1], k[2], k[3]]))
            }
            n => return Err(ProtoError::Query(format!("policy key length {n} is not 0 or 4"))),
        };
        let dt_len = r.u8("DeviceType length")?;
        let device_type = String::from_utf8_lossy(r.take(dt_len, "DeviceType")?).into_owned();
        let mut line = RequestLine::new(cmd, "", device_id, device_type);
        line.version = Some(version);
        line.policy_key = policy_key;
        line.locale = Some(locale);
        while r.pos < r.b.len() {
            let tag = r.u8("parameter tag")?;
            let len = r.u8("parameter length")?;
            let value = r.take(len, "parameter value")?;
            let text = || String::from_utf8_lossy(value).into_owned();
            match tag {
                0 => line.attachment_name = Some(text()),
                1 => line.collection_id = Some(text()),
                3 => line.item_id = Some(text()),
                4 => line.long_id = Some(text()),
                6 => line.occurrence = Some(text()),
                7 => {
                    let opts = value.first().copied().unwrap_or(0);
                    line.save_in_sent = opts & 0x01 != 0;
                    line.accept_multipart = opts & 0x02 != 0;
                }
                8 => line.user = text(),
                _ => {}
            }
        }
        Ok(line)
    }
}

fn push_len_prefixed(b: &mut Vec<u8>, what: &str, v: &[u8]) -> Result<(), ProtoError> {
    let len = u8::try_from(v.len()).map_err(|_| ProtoError::Query(format!("{what} longer than 255 bytes")))?;
    b.push(len);
    b.extend_from_slice(v);
    Ok(())
}

fn device_id_string(raw: &[u8]) -> String {
    if raw.iter().all(|c| c.is_ascii_alphanumeric()) {
        String::from_utf8_lossy(raw).into_owned()
    } else {
        raw.iter().map(|c| format!("{c:02x}")).collect()
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn u8(&mut self, what: &str) -> Result<u8, ProtoError> {
        let v = self
            .b
            .get(self.pos)
            .copied()
            .ok_or_else(|| ProtoError::Query(format!("truncated base64 query at {what}")))?;
        self.pos += 1;
        Ok(v)
    }

    fn take(&mut self, n: u8, what: &str) -> Result<&'a [u8], ProtoError> {
        let end = self.pos + usize::from(n);
        let v = self
            .b
            .get(self.pos..end)
            .ok_or_else(|| ProtoError::Query(format!("truncated base64 query at {what}")))?;
        self.pos = end;
        Ok(v)
    }
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
