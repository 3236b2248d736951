//! The request line: `Cmd`, `User`, `DeviceId`, `DeviceType` and friends, in
//! the plain and the base64-encoded query forms (MS-ASHTTP §2.2.1.1.1).

use std::fmt;

use base64::Engine as _;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::PATH;
use crate::{ProtoError, ProtocolVersion};

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

    /// The root element of this command's request and response bodies, for
    /// the commands this crate models (and a few more); `None` for commands
    /// without a WBXML body of their own (GetAttachment) or not modelled.
    pub fn root_tag(self) -> Option<wbxml::Tag> {
        use wbxml::tags::*;
        Some(match self {
            Command::Sync => airsync::SYNC,
            Command::FolderSync => folder_hierarchy::FOLDER_SYNC,
            Command::FolderCreate => folder_hierarchy::FOLDER_CREATE,
            Command::FolderDelete => folder_hierarchy::FOLDER_DELETE,
            Command::FolderUpdate => folder_hierarchy::FOLDER_UPDATE,
            Command::MoveItems => moveitems::MOVE_ITEMS,
            Command::GetItemEstimate => get_item_estimate::GET_ITEM_ESTIMATE,
            Command::Settings => settings::SETTINGS,
            Command::Ping => ping::PING,
            Command::ItemOperations => item_operations::ITEM_OPERATIONS,
            Command::Provision => provision::PROVISION,
            Command::Search => search::SEARCH,
            _ => return None,
        })
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

    /// Parses a query string (without `?`) in either form: a query with a
    /// `Cmd=` parameter (any case) is plain, anything else is tried as base64.
    pub fn parse(query: &str) -> Result<(RequestLine, QueryForm), ProtoError> {
        let is_plain = query
            .split('&')
            .any(|pair| pair.split_once('=').is_some_and(|(k, _)| k.eq_ignore_ascii_case("cmd")));
        if is_plain {
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
                let k: [u8; 4] = r
                    .take(4, "policy key")?
                    .try_into()
                    .map_err(|_| ProtoError::Query("truncated base64 query at policy key".into()))?;
                Some(u32::from_le_bytes(k))
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
        let end = self.pos.saturating_add(usize::from(n));
        let v = self
            .b
            .get(self.pos..end)
            .ok_or_else(|| ProtoError::Query(format!("truncated base64 query at {what}")))?;
        self.pos = end;
        Ok(v)
    }
}
