//! WebDAV, CalDAV and CardDAV on the wire, without I/O.
//!
//! This crate parses DAV request bodies (PROPFIND, PROPPATCH, REPORT, MKCOL/MKCALENDAR) into
//! typed values, evaluates calendar-query and addressbook-query filters against iCalendar and
//! vCard text, and renders multistatus and error bodies. It deliberately knows nothing about
//! HTTP, storage, async runtimes or Exchange ActiveSync; the `dav-server` crate decides what to
//! answer and this crate only says how it is spelled.
//!
//! Central types: [`xml::Element`] (a small namespace-resolved DOM built with quick-xml, with
//! no entity expansion and depth/element limits), [`names::QName`] and [`names::Prop`] (property
//! names), [`request`] (typed requests), [`filter`] (query filters), [`response::MultiStatus`]
//! (response builder), [`ical`] (the calcard adapter: validation, recurrence expansion, partial
//! retrieval) and [`eval`] (filter evaluation over instances).
//!
//! # Example
//!
//! ```
//! use dav_proto::request::PropFind;
//! use dav_proto::response::{MultiStatus, PropStat, Response};
//! use dav_proto::names::QName;
//!
//! let body = br#"<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:displayname/></d:prop></d:propfind>"#;
//! let pf = PropFind::parse(body).unwrap();
//! assert!(matches!(pf, PropFind::Prop(ref p) if p.len() == 1));
//! let mut ms = MultiStatus::default();
//! let mut ps = PropStat::default();
//! ps.ok(QName::dav("displayname"), dav_proto::response::Value::text("Work"));
//! ms.push(Response::with_props("/calendars/u/work/", ps));
//! assert!(ms.render().contains("<D:displayname>Work</D:displayname>"));
//! ```

pub mod error;
pub mod eval;
pub mod filter;
pub mod ical;
pub mod names;
pub mod request;
pub mod response;
pub mod time;
pub mod xml;

pub use error::ProtoError;
