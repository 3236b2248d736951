//! Pure iCalendar/vCard ⇄ Exchange ActiveSync mapping.
//!
//! Given an iCalendar object or vCard and the negotiated EAS protocol version,
//! produce EAS `ApplicationData` (a [`wbxml::Element`] tree) plus a
//! [`Residue`] of everything EAS cannot carry; and back. No I/O, no async,
//! never panics: bad input is a [`MapError`] whose message can be shown to a
//! user.
//!
//! Modules: `calendar` (VEVENT ⇄ Calendar class), `task` (VTODO ⇄ Tasks),
//! `contact` (vCard ⇄ Contacts/Contacts2), `recur` (RRULE ⇄ Recurrence),
//! `tz` (VTIMEZONE/IANA ⇄ TIME_ZONE_INFORMATION blob), `residue`, `ical`
//! (the thin adapter over the `calcard` parser), `time` (MS-ASDTYPE and
//! iCalendar date forms). The field tables are in `docs/mapping.md`.
//!
//! ```
//! use mapping::{eas_to_ical, ical_to_eas, ItemClass, ProtocolVersion};
//!
//! let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\n\
//!            DTSTART;TZID=Europe/Berlin:20260704T100000\r\nDURATION:PT1H\r\n\
//!            SUMMARY:Lunch\r\nX-COLOR:red\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
//! let out = ical_to_eas(ics, ItemClass::Calendar, ProtocolVersion::V16_1).unwrap();
//! let data = &out.application_data;
//! assert_eq!(data.child_text(wbxml::tags::calendar::START_TIME), Some("20260704T080000Z"));
//! assert_eq!(data.child_text(wbxml::tags::calendar::CLIENT_UID), Some("1"));
//! let back = eas_to_ical(data, ItemClass::Calendar, ProtocolVersion::V16_1, &out.residue).unwrap();
//! assert!(back.contains("DTSTART;TZID=Europe/Berlin:20260704T100000"));
//! assert!(back.contains("X-COLOR:red"));
//! ```

pub mod calendar;
pub mod contact;
mod error;
pub mod ical;
mod keep;
pub mod recur;
pub mod residue;
pub mod task;
pub mod time;
pub mod tz;

pub use eas_proto::ProtocolVersion;
pub use error::MapError;
pub use residue::{Residue, ResidueEntry};

use wbxml::Element;

/// Which EAS class an item belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ItemClass {
    /// Calendar folders (types 8, 13): VEVENT.
    Calendar,
    /// Contacts folders (types 9, 14): vCard.
    Contacts,
    /// Tasks folders (types 7, 15): VTODO.
    Tasks,
}

/// vCard version to render.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum VcardVersion {
    /// vCard 3.0 (RFC 2426): the default, what iOS needs.
    #[default]
    V3,
    /// vCard 4.0 (RFC 6350).
    V4,
}

/// The result of mapping a DAV object to EAS.
#[derive(Clone, Debug, PartialEq)]
pub struct ToEas {
    /// The `AirSync:ApplicationData` element to send in a Sync Add/Change.
    pub application_data: Element,
    /// What EAS cannot carry; keep it beside the item and pass it back to the
    /// `eas_to_*` functions when rendering.
    pub residue: Residue,
    /// 16.x only: edits of single occurrences of a series, each to be sent as
    /// its own Sync Change/Delete carrying `airsyncbase:InstanceId`
    /// (MS-ASCMD). Empty for 14.x, where exceptions travel inside
    /// `application_data`.
    pub occurrence_edits: Vec<OccurrenceEdit>,
    /// The iCalendar UID / vCard UID of the object, if it had one.
    pub uid: Option<String>,
}

/// One 16.x single-occurrence edit.
#[derive(Clone, Debug, PartialEq)]
pub struct OccurrenceEdit {
    /// The `airsyncbase:InstanceId` value (the occurrence's original start,
    /// in the EAS compact UTC form).
    pub instance_id: String,
    /// What to do with that occurrence.
    pub kind: OccurrenceEditKind,
}

/// A change or cancellation of one occurrence.
#[derive(Clone, Debug, PartialEq)]
pub enum OccurrenceEditKind {
    /// Change the occurrence: the `ApplicationData` with the overridden fields.
    Change(Element),
    /// Cancel (delete) the occurrence.
    Delete,
}

/// Maps an iCalendar object (one VEVENT series or one VTODO with its
/// overrides) to EAS `ApplicationData` for `class`.
///
/// # Errors
/// [`MapError`] when the text does not parse, holds the wrong component for
/// `class`, or uses something EAS cannot represent faithfully.
pub fn ical_to_eas(ics: &str, class: ItemClass, version: ProtocolVersion) -> Result<ToEas, MapError> {
    match class {
        ItemClass::Calendar => calendar::to_eas(ics, version),
        ItemClass::Tasks => task::to_eas(ics, version),
        ItemClass::Contacts => Err(MapError::WrongClass {
            expected: "iCalendar",
            class,
        }),
    }
}

/// Renders EAS `ApplicationData` of `class` as an iCalendar object, merging
/// `residue` back in.
///
/// # Errors
/// [`MapError`] when the EAS data is malformed (e.g. a bad time-zone blob).
pub fn eas_to_ical(
    data: &Element,
    class: ItemClass,
    version: ProtocolVersion,
    residue: &Residue,
) -> Result<String, MapError> {
    match class {
        ItemClass::Calendar => calendar::from_eas(data, version, residue),
        ItemClass::Tasks => task::from_eas(data, version, residue),
        ItemClass::Contacts => Err(MapError::WrongClass {
            expected: "vCard",
            class,
        }),
    }
}

/// Maps a vCard (3.0 or 4.0) to EAS Contacts `ApplicationData`.
///
/// # Errors
/// [`MapError`] when the text does not parse or is not exactly one vCard.
pub fn vcard_to_eas(vcf: &str, version: ProtocolVersion) -> Result<ToEas, MapError> {
    contact::to_eas(vcf, version)
}

/// Renders EAS Contacts `ApplicationData` as a vCard of `out`, merging
/// `residue` back in.
///
/// # Errors
/// [`MapError`] when the EAS data is malformed.
pub fn eas_to_vcard(
    data: &Element,
    version: ProtocolVersion,
    residue: &Residue,
    out: VcardVersion,
) -> Result<String, MapError> {
    contact::from_eas(data, version, residue, out)
}
