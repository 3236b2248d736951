//! MKCALENDAR (RFC 4791 §5.3.1) and extended MKCOL (RFC 5689) → upstream FolderCreate.

use dav_proto::names::{QName, CALDAV, CARDDAV, DAV};
use dav_proto::request::{MkCol, PatchOp};
use dav_proto::response::{MultiStatus, PropStat, Response};
use http::StatusCode;

use crate::backend::{Backend, BackendError, CollectionKind, Home};
use crate::error::{Body, DavError, DavResult};
use crate::method::{bad_xml, proppatch};
use crate::paths::Target;
use crate::server::{empty, xml_response, Ctx};

/// Handles MKCALENDAR (`calendar = true`) and MKCOL.
pub async fn handle<B: Backend>(
    ctx: &Ctx<'_, B>,
    target: &Target,
    body: &[u8],
    calendar: bool,
) -> DavResult<http::Response<Body>> {
    let Target::Collection(home, _, id) = target else {
        return Err(DavError::condition(
            StatusCode::FORBIDDEN,
            QName::caldav("calendar-collection-location-ok"),
            "collections can only be created directly inside a home",
        ));
    };
    if calendar && *home != Home::Calendars {
        return Err(DavError::condition(
            StatusCode::FORBIDDEN,
            QName::caldav("calendar-collection-location-ok"),
            "calendars can only be created in the calendar home",
        ));
    }
    let req = MkCol::parse(body).map_err(bad_xml)?;
    let kind = kind_of(&req, *home, calendar)?;
    if ctx.backend.collection(&ctx.user, id).await.is_ok() {
        return Err(DavError::condition(
            StatusCode::METHOD_NOT_ALLOWED,
            QName::dav("resource-must-be-null"),
            "a collection with this name exists",
        ));
    }
    let ops: Vec<PatchOp> = req
        .set
        .iter()
        .filter(|(n, _)| !n.is(CALDAV, "supported-calendar-component-set"))
        .map(|(n, e)| PatchOp::Set(n.clone(), e.clone()))
        .collect();
    let (patch, results) = proppatch::plan(&ops, Some(kind));
    if results.iter().any(|(_, s)| *s != 200) {
        let mut ps = PropStat::default();
        for (n, s) in results {
            ps.status(if s == 200 { 424 } else { s }, n);
        }
        let mut ms = MultiStatus::default();
        ms.push(Response::with_props(String::new(), ps));
        let root = if calendar {
            QName::caldav("mkcalendar-response")
        } else {
            QName::dav("mkcol-response")
        };
        return Ok(xml_response(StatusCode::FORBIDDEN, ms.render_as(&root)));
    }
    match ctx.backend.create_collection(&ctx.user, id, kind, patch).await {
        Ok(_) => Ok(empty(StatusCode::CREATED)),
        Err(BackendError::Conflict(m)) => Err(DavError::condition(
            StatusCode::METHOD_NOT_ALLOWED,
            QName::dav("resource-must-be-null"),
            m,
        )),
        Err(e) => Err(e.into()),
    }
}

/// Decides the collection kind from the home, the method, the requested resourcetype and the
/// supported-calendar-component-set. A set with VEVENT gives an event calendar (VEVENT only:
/// an Exchange calendar folder), VTODO alone a task list; anything else is refused.
fn kind_of(req: &MkCol, home: Home, calendar: bool) -> DavResult<CollectionKind> {
    let bad_type = |m: &str| DavError::condition(StatusCode::FORBIDDEN, QName::dav("valid-resourcetype"), m);
    let rt = &req.resourcetype;
    let has = |ns: &str, l: &str| rt.iter().any(|q| q.is(ns, l));
    if rt
        .iter()
        .any(|q| !q.is(DAV, "collection") && !q.is(CALDAV, "calendar") && !q.is(CARDDAV, "addressbook"))
    {
        return Err(bad_type("only calendars and address books can be created"));
    }
    match home {
        Home::AddressBooks => {
            if calendar || !has(CARDDAV, "addressbook") {
                return Err(bad_type("only address books can be created in the address-book home"));
            }
            Ok(CollectionKind::AddressBook)
        }
        Home::Calendars => {
            if !calendar && !has(CALDAV, "calendar") {
                return Err(bad_type("only calendars can be created in the calendar home"));
            }
            let comps: Vec<String> = req
                .set
                .iter()
                .find(|(n, _)| n.is(CALDAV, "supported-calendar-component-set"))
                .map(|(_, e)| {
                    e.children
                        .iter()
                        .filter_map(|c| c.attr("name").map(str::to_ascii_uppercase))
                        .collect()
                })
                .unwrap_or_default();
            if comps.is_empty() || comps.iter().any(|c| c == "VEVENT") {
                Ok(CollectionKind::Calendar)
            } else if comps.iter().any(|c| c == "VTODO") {
                Ok(CollectionKind::Tasks)
            } else {
                Err(DavError::condition(
                    StatusCode::FORBIDDEN,
                    QName::caldav("supported-calendar-component"),
                    "only VEVENT calendars and VTODO task lists are supported",
                ))
            }
        }
    }
}
