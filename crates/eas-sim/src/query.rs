//! MS-ASHTTP request-line parsing: the plain query form and the base64-encoded form.

use base64::Engine as _;
use http::HeaderMap;
use percent_encoding::percent_decode_str;

use eas_proto::ProtocolVersion;

/// What the request line and headers say about the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Command name (`Sync`, ...).
    pub cmd: String,
    /// DeviceId.
    pub device_id: String,
    /// DeviceType.
    pub device_type: String,
    /// `User` parameter (informational: data is always the authenticated user's).
    pub user: Option<String>,
    /// Protocol version, `None` when missing or not one we speak.
    pub version: Option<ProtocolVersion>,
    /// Policy key from `X-MS-PolicyKey` or the base64 form.
    pub policy_key: Option<u32>,
}

const COMMAND_CODES: [(u8, &str); 24] = [
    (0, "Sync"),
    (1, "SendMail"),
    (2, "SmartForward"),
    (3, "SmartReply"),
    (4, "GetAttachment"),
    (9, "FolderSync"),
    (10, "FolderCreate"),
    (11, "FolderDelete"),
    (12, "FolderUpdate"),
    (13, "MoveItems"),
    (14, "GetItemEstimate"),
    (15, "MeetingResponse"),
    (16, "Search"),
    (17, "Settings"),
    (18, "Ping"),
    (19, "ItemOperations"),
    (20, "Provision"),
    (21, "ResolveRecipients"),
    (22, "ValidateCert"),
    (23, "Find"),
    (5, "GetHierarchy"),
    (6, "CreateCollection"),
    (7, "DeleteCollection"),
    (8, "MoveCollection"),
];

/// Parses the query string (either form) plus the version and policy-key headers.
///
/// # Errors
/// A message for a missing command or DeviceId, or a malformed base64 query.
pub fn parse(raw: &str, headers: &HeaderMap) -> Result<Query, String> {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::trim);
    let mut q = if raw.contains('=') || raw.is_empty() {
        parse_plain(raw)
    } else {
        parse_base64(raw)?
    };
    if q.version.is_none() {
        q.version = header("MS-ASProtocolVersion").and_then(|v| v.parse().ok());
    }
    if q.policy_key.is_none() {
        q.policy_key = header("X-MS-PolicyKey")
            .and_then(|v| v.parse().ok())
            .filter(|k| *k != 0);
    }
    if q.cmd.is_empty() {
        return Err("missing Cmd".into());
    }
    if q.device_id.is_empty() || q.device_id.len() > 64 {
        return Err("missing or invalid DeviceId".into());
    }
    Ok(q)
}

fn parse_plain(raw: &str) -> Query {
    let mut q = Query {
        cmd: String::new(),
        device_id: String::new(),
        device_type: String::new(),
        user: None,
        version: None,
        policy_key: None,
    };
    for pair in raw.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = v.replace('+', " ");
        let v = percent_decode_str(&v).decode_utf8_lossy().into_owned();
        match k.to_ascii_lowercase().as_str() {
            "cmd" => q.cmd = v,
            "deviceid" => q.device_id = v,
            "devicetype" => q.device_type = v,
            "user" => q.user = Some(v),
            _ => {}
        }
    }
    q
}

fn parse_base64(raw: &str) -> Result<Query, String> {
    let raw = percent_decode_str(raw).decode_utf8_lossy();
    let b = base64::engine::general_purpose::STANDARD
        .decode(raw.as_bytes())
        .map_err(|e| format!("bad base64 query: {e}"))?;
    let mut r = Reader { b: &b, pos: 0 };
    let version = ProtocolVersion::from_code(r.byte()?);
    let code = r.byte()?;
    let cmd = COMMAND_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| (*n).to_owned())
        .ok_or_else(|| format!("unknown command code {code}"))?;
    r.take(2)?;
    let n = r.byte()? as usize;
    let device_id: String = r.take(n)?.iter().map(|x| format!("{x:02x}")).collect();
    let n = r.byte()? as usize;
    let key = r.take(n)?;
    let policy_key = <[u8; 4]>::try_from(key)
        .ok()
        .map(u32::from_le_bytes)
        .filter(|k| *k != 0);
    let n = r.byte()? as usize;
    let device_type = String::from_utf8_lossy(r.take(n)?).into_owned();
    let mut user = None;
    while r.pos < b.len() {
        let tag = r.byte()?;
        let n = r.byte()? as usize;
        let v = r.take(n)?;
        if tag == 8 {
            user = Some(String::from_utf8_lossy(v).into_owned());
        }
    }
    Ok(Query {
        cmd,
        device_id,
        device_type,
        user,
        version,
        policy_key,
    })
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?.first().copied().unwrap_or_default())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.b.len())
            .ok_or("truncated base64 query")?;
        let s = self.b.get(self.pos..end).ok_or("truncated base64 query")?;
        self.pos = end;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_base64_forms() {
        let mut h = HeaderMap::new();
        h.insert("MS-ASProtocolVersion", "14.1".parse().unwrap());
        let q = parse("Cmd=Sync&User=alice%40x&DeviceId=dev1&DeviceType=Phone", &h).unwrap();
        assert_eq!((q.cmd.as_str(), q.device_id.as_str()), ("Sync", "dev1"));
        assert_eq!(q.version, Some(ProtocolVersion::V14_1));
        let mut raw = vec![161u8, 18, 0x09, 0x04, 2, 0xAB, 0xCD, 4];
        raw.extend(7u32.to_le_bytes());
        raw.extend([2, b'P', b'h', 8, 1, b'a']);
        let enc = base64::engine::general_purpose::STANDARD.encode(&raw);
        let q = parse(&enc, &HeaderMap::new()).unwrap();
        assert_eq!(q.cmd, "Ping");
        assert_eq!(q.device_id, "abcd");
        assert_eq!(q.policy_key, Some(7));
        assert_eq!(q.version, Some(ProtocolVersion::V16_1));
        assert_eq!(q.user.as_deref(), Some("a"));
        assert!(parse("AQ", &HeaderMap::new()).is_err());
    }
}
