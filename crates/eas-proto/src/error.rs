//! The crate's one error type.

use wbxml::Tag;

use crate::ProtocolVersion;

/// Everything that can be wrong with an EAS message or request line.
///
/// Decoding never panics: every malformed input maps to one of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtoError {
    /// The body is not valid WBXML.
    #[error("decoding wbxml: {0}")]
    Wbxml(#[from] wbxml::DecodeError),
    /// The document's root element is not the one the command expects.
    #[error("unexpected root element {found}, expected {expected}")]
    UnexpectedRoot {
        /// The root the message type expects.
        expected: Tag,
        /// The root that was found.
        found: Tag,
    },
    /// A required child element is absent.
    #[error("missing required element {missing} in {parent}")]
    MissingElement {
        /// The element that should contain it.
        parent: Tag,
        /// The absent element.
        missing: Tag,
    },
    /// An element that must hold an unsigned integer holds something else.
    #[error("invalid number {value:?} in {tag}")]
    InvalidNumber {
        /// The element.
        tag: Tag,
        /// Its text.
        value: String,
    },
    /// An element holds a value outside its allowed set.
    #[error("invalid value {value:?} in {tag}: {reason}")]
    InvalidValue {
        /// The element.
        tag: Tag,
        /// Its text.
        value: String,
        /// What was expected.
        reason: &'static str,
    },
    /// An element appears that the request's protocol version does not allow.
    #[error("element {tag} is not allowed in protocol version {version}")]
    NotInVersion {
        /// The element.
        tag: Tag,
        /// The version in force.
        version: ProtocolVersion,
    },
    /// The request line (query string) is malformed.
    #[error("invalid request query: {0}")]
    Query(String),
    /// A header value is malformed.
    #[error("invalid header {name}: {reason}")]
    Header {
        /// Header name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}
