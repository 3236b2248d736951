//! What EAS cannot carry, kept beside an item and merged back on rendering.

use serde::{Deserialize, Serialize};

use crate::MapError;

/// Content that has no place in EAS (X- properties, extra VALARMs, ATTACH,
/// COLOR, unmapped vCard fields, parameters). Stored by the store as opaque
/// bytes ([`Residue::to_bytes`]) beside the item.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Residue {
    /// Format version of the serialised form.
    #[serde(default)]
    pub v: u32,
    /// Entries in the order they appeared in the source object.
    pub entries: Vec<ResidueEntry>,
}

/// One kept piece: where it belongs and the content line(s) themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidueEntry {
    /// The component path, e.g. `VCALENDAR`, `VEVENT`,
    /// `VEVENT;RECURRENCE-ID=20240102T090000Z`, `VEVENT/VALARM[2]`, `VCARD`.
    pub path: String,
    /// The unfolded content line (or a whole component's lines, joined by
    /// `\r\n`), exactly as the client wrote it.
    pub line: String,
}

impl Residue {
    /// Whether nothing was kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Serialises for storage.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads the stored form; empty input is an empty residue.
    ///
    /// # Errors
    /// [`MapError::Invalid`] when the bytes are not a stored residue.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MapError> {
        if bytes.is_empty() {
            return Ok(Residue::default());
        }
        serde_json::from_slice(bytes).map_err(|e| MapError::Invalid(format!("stored residue: {e}")))
    }
}
