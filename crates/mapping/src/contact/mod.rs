//! vCard ⇄ EAS Contacts + Contacts2 classes (MS-ASCNTC).

use wbxml::Element;

use crate::{MapError, ProtocolVersion, Residue, ToEas, VcardVersion};

/// Maps one vCard to EAS.
///
/// # Errors
/// See [`crate::vcard_to_eas`].
pub fn to_eas(_vcf: &str, _version: ProtocolVersion) -> Result<ToEas, MapError> {
    Err(MapError::Invalid("contact mapping not implemented yet".into()))
}

/// Renders EAS Contacts data as a vCard.
///
/// # Errors
/// See [`crate::eas_to_vcard`].
pub fn from_eas(
    _data: &Element,
    _version: ProtocolVersion,
    _residue: &Residue,
    _out: VcardVersion,
) -> Result<String, MapError> {
    Err(MapError::Invalid("contact mapping not implemented yet".into()))
}
