//! The crate's error type.

/// Everything that can go wrong while reading a DAV request body.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtoError {
    /// The body is not well-formed XML.
    #[error("malformed xml: {0}")]
    Xml(String),
    /// The body uses a DOCTYPE (entities are never expanded, so it is refused outright).
    #[error("xml document type declarations are not accepted")]
    DocType,
    /// Nesting deeper than the parser allows.
    #[error("xml nesting deeper than {0} levels")]
    TooDeep(usize),
    /// More elements than the parser allows.
    #[error("xml body has more than {0} elements")]
    TooManyElements(usize),
    /// Well-formed XML that is not the expected request.
    #[error("unexpected request body: {0}")]
    Invalid(String),
    /// A date-time value that cannot be parsed.
    #[error("invalid date-time value {0:?}")]
    DateTime(String),
}
