//! The mapping error type.

use crate::ItemClass;

/// Why an object could not be mapped. Messages are meant for end users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// The text is not valid iCalendar/vCard.
    #[error("cannot parse {format}: {reason}")]
    Parse { format: &'static str, reason: String },
    /// The object is of the wrong kind for the collection.
    #[error("expected {expected} data for a {class:?} item")]
    WrongClass { expected: &'static str, class: ItemClass },
    /// The object is structurally invalid (e.g. no VEVENT, two series).
    #[error("invalid object: {0}")]
    Invalid(String),
    /// Exchange cannot represent this faithfully; nothing was simplified.
    #[error("not representable in Exchange: {what}: {reason}")]
    NotRepresentable { what: String, reason: String },
    /// The EAS data is malformed.
    #[error("malformed ActiveSync data: {0}")]
    BadEas(String),
}
