//! MS-ASHTTP request framing, read with `eas_proto::http`: the query string
//! (plain or base64 form) plus the version and policy-key headers.

use eas_proto::http::{RequestHeaders, RequestLine};
use eas_proto::ProtocolVersion;
use http::HeaderMap;

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
    /// Policy key from the base64 form or `X-MS-PolicyKey` (`None` for absent or 0).
    pub policy_key: Option<u32>,
}

/// Parses the query string (either form) plus the version and policy-key headers.
///
/// # Errors
/// A message for a malformed query or header, or a missing or invalid DeviceId.
pub fn parse(raw: &str, headers: &HeaderMap) -> Result<Query, String> {
    let (line, _form) = RequestLine::parse(raw).map_err(|e| e.to_string())?;
    let pairs = headers
        .iter()
        .filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str(), v)));
    let h = RequestHeaders::parse(pairs).map_err(|e| e.to_string())?;
    if line.device_id.is_empty() || line.device_id.len() > 64 {
        return Err("missing or invalid DeviceId".into());
    }
    Ok(Query {
        cmd: line.cmd.name().to_owned(),
        device_id: line.device_id,
        device_type: line.device_type,
        user: Some(line.user).filter(|u| !u.is_empty()),
        version: line.version.or(h.version),
        policy_key: line.policy_key.or(h.policy_key).filter(|k| *k != 0),
    })
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;

    #[test]
    fn plain_and_base64_forms() {
        let mut h = HeaderMap::new();
        h.insert("MS-ASProtocolVersion", "14.1".parse().unwrap());
        h.insert("X-MS-PolicyKey", "0".parse().unwrap());
        let q = parse("Cmd=Sync&User=alice%40x&DeviceId=dev1&DeviceType=Phone", &h).unwrap();
        assert_eq!((q.cmd.as_str(), q.device_id.as_str()), ("Sync", "dev1"));
        assert_eq!(q.version, Some(ProtocolVersion::V14_1));
        assert_eq!(q.policy_key, None);
        assert_eq!(q.user.as_deref(), Some("alice@x"));
        let mut raw = vec![161u8, 18, 0x09, 0x04, 2, 0xAB, 0xCD, 4];
        raw.extend(7u32.to_le_bytes());
        raw.extend([2, b'P', b'h', 8, 1, b'a']);
        let enc = base64::engine::general_purpose::STANDARD.encode(&raw);
        let q = parse(&enc, &HeaderMap::new()).unwrap();
        assert_eq!(q.cmd, "Ping");
        assert_eq!(q.device_id, "abcd");
        assert_eq!(q.policy_key, Some(7));
        assert_eq!(q.version, Some(ProtocolVersion::V16_1));
        assert!(parse("AQ", &HeaderMap::new()).is_err());
        assert!(parse("Cmd=Sync&DeviceType=x", &HeaderMap::new()).is_err());
    }
}
