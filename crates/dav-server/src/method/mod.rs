//! One module per DAV method, plus helpers they share.

pub mod delete;
pub mod get;
pub mod mkcol;
pub mod options;
pub mod propfind;
pub mod proppatch;
pub mod put;
pub mod query;
pub mod report;
pub mod sync;

use dav_proto::ProtoError;
use http::StatusCode;

use crate::backend::{Backend, CollectionInfo, CollectionKind, Format, Home};
use crate::error::{DavError, DavResult};
use crate::server::Ctx;

/// Loads a collection and checks it lives in `home` (404 otherwise).
pub async fn load_collection<B: Backend>(ctx: &Ctx<'_, B>, home: Home, id: &str) -> DavResult<CollectionInfo> {
    let c = ctx.backend.collection(&ctx.user, id).await?;
    if c.kind.is_calendar() != (home == Home::Calendars) {
        return Err(DavError::Status(StatusCode::NOT_FOUND));
    }
    Ok(c)
}

/// Maps a body parse error to 400 with the reason.
pub fn bad_xml(e: ProtoError) -> DavError {
    DavError::BadRequest(e.to_string())
}

/// Chooses the representation for a collection: iCalendar, or vCard 3.0 unless the client
/// asks for 4.0 (`version` of address-data, or an `Accept` header preferring it).
pub fn format_for(kind: CollectionKind, version: Option<&str>, accept: Option<&str>) -> Format {
    if kind.is_calendar() {
        return Format::ICalendar;
    }
    let wants4 = version.map(|v| v.trim() == "4.0").unwrap_or(false)
        || accept.is_some_and(|a| {
            a.split(',').any(|part| {
                let p = part.to_ascii_lowercase();
                p.contains("text/vcard") && p.contains("version=4.0")
            })
        });
    if wants4 {
        Format::VCard4
    } else {
        Format::VCard3
    }
}

/// Whether the client asked to omit 404 rows (`Prefer: return=minimal` or `Brief: t`).
pub fn minimal<B>(ctx: &Ctx<'_, B>) -> bool {
    ctx.header("prefer").is_some_and(|p| p.contains("return=minimal"))
        || ctx.header("brief").is_some_and(|b| b.trim().eq_ignore_ascii_case("t"))
}
