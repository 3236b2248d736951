//! ActiveSync protocol versions.

use std::fmt;
use std::str::FromStr;

/// An ActiveSync protocol version that easdav speaks or understands.
///
/// Ordered: `V12_1 < V14_0 < V14_1 < V16_0 < V16_1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProtocolVersion {
    /// 12.1 (Exchange 2007 SP1).
    V12_1,
    /// 14.0 (Exchange 2010).
    V14_0,
    /// 14.1 (Exchange 2010 SP1+): the on-premises fallback.
    V14_1,
    /// 16.0 (Exchange 2016).
    V16_0,
    /// 16.1 (Exchange 2016 CU+, Exchange Online): the primary target.
    V16_1,
}

impl ProtocolVersion {
    /// Every supported version, oldest first.
    pub const ALL: [ProtocolVersion; 5] = [Self::V12_1, Self::V14_0, Self::V14_1, Self::V16_0, Self::V16_1];

    /// The header form, e.g. `"16.1"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V12_1 => "12.1",
            Self::V14_0 => "14.0",
            Self::V14_1 => "14.1",
            Self::V16_0 => "16.0",
            Self::V16_1 => "16.1",
        }
    }

    /// The byte used by the base64-encoded query form (version × 10).
    pub fn code(self) -> u8 {
        match self {
            Self::V12_1 => 121,
            Self::V14_0 => 140,
            Self::V14_1 => 141,
            Self::V16_0 => 160,
            Self::V16_1 => 161,
        }
    }

    /// The version for a base64 query-form byte.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }

    /// Whether this is a 16.x version (new calendar write model).
    pub fn is_16(self) -> bool {
        self >= Self::V16_0
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version string easdav does not speak.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported ActiveSync protocol version {0:?}")]
pub struct UnknownVersion(pub String);

impl FromStr for ProtocolVersion {
    type Err = UnknownVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s.trim())
            .ok_or_else(|| UnknownVersion(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_order() {
        assert_eq!("16.1".parse::<ProtocolVersion>().unwrap(), ProtocolVersion::V16_1);
        assert!("2.5".parse::<ProtocolVersion>().is_err());
        assert!(ProtocolVersion::V14_1 < ProtocolVersion::V16_0);
        assert_eq!(ProtocolVersion::from_code(141), Some(ProtocolVersion::V14_1));
    }
}
