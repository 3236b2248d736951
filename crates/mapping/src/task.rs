//! VTODO ⇄ EAS Tasks class (MS-ASTASK).

use wbxml::Element;

use crate::{MapError, ProtocolVersion, Residue, ToEas};

/// Maps one iCalendar VTODO to EAS.
///
/// # Errors
/// See [`crate::ical_to_eas`].
pub fn to_eas(_ics: &str, _version: ProtocolVersion) -> Result<ToEas, MapError> {
    Err(MapError::Invalid("task mapping not implemented yet".into()))
}

/// Renders EAS Tasks data as iCalendar.
///
/// # Errors
/// See [`crate::eas_to_ical`].
pub fn from_eas(_data: &Element, _version: ProtocolVersion, _residue: &Residue) -> Result<String, MapError> {
    Err(MapError::Invalid("task mapping not implemented yet".into()))
}
