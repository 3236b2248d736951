//! The Exchange ActiveSync protocol model shared by the client (`eas-client`)
//! and the simulator (`eas-sim`): typed requests and responses with WBXML
//! (de)serialisation, status codes, and MS-ASHTTP request framing.
//!
//! Deliberately not here: any I/O, async, HTTP client or server. Item payloads
//! (Calendar, Contacts, Tasks `ApplicationData`) stay as [`wbxml::Element`]
//! trees; the iCalendar/vCard mapping lives in `mapping`.

mod version;

pub use version::{ProtocolVersion, UnknownVersion};
