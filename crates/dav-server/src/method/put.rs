//! PUT of calendar object resources and vCards (RFC 4791 §5.3.2, RFC 6352 §6.3.2).

use dav_proto::ical::{self, DataError};
use dav_proto::names::QName;
use dav_proto::response::Node;
use http::{header, HeaderValue, StatusCode};

use crate::backend::{Backend, BackendError, CollectionKind, WriteCondition};
use crate::error::{Body, DavError, DavResult};
use crate::method::load_collection;
use crate::paths::Target;
use crate::server::{empty, Ctx};

/// Handles PUT.
pub async fn handle<B: Backend>(ctx: &Ctx<'_, B>, target: &Target, body: &[u8]) -> DavResult<http::Response<Body>> {
    let Target::Resource(home, _, id, name) = target else {
        return Err(DavError::Status(StatusCode::METHOD_NOT_ALLOWED));
    };
    let c = match load_collection(ctx, *home, id).await {
        Err(DavError::Status(StatusCode::NOT_FOUND)) => return Err(DavError::Status(StatusCode::CONFLICT)),
        other => other?,
    };
    let cal = c.kind.is_calendar();
    let cond = |local: &str| {
        if cal {
            QName::caldav(local)
        } else {
            QName::carddav(local)
        }
    };
    if body.len() as u64 > ctx.cfg.max_resource_size {
        return Err(DavError::condition(
            StatusCode::PAYLOAD_TOO_LARGE,
            cond("max-resource-size"),
            format!(
                "resource is {} bytes; the limit is {}",
                body.len(),
                ctx.cfg.max_resource_size
            ),
        ));
    }
    if let Some(ct) = ctx.header("content-type") {
        let ct = ct.to_ascii_lowercase();
        let ok = if cal {
            ct.contains("calendar")
        } else {
            ct.contains("vcard") || ct.contains("directory")
        };
        if !ok && !ct.starts_with("application/octet-stream") && !ct.starts_with("text/plain") {
            let c = if cal {
                cond("supported-calendar-data")
            } else {
                cond("supported-address-data")
            };
            return Err(DavError::condition(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                c,
                format!("content type {ct} is not accepted here"),
            ));
        }
    }
    let text = std::str::from_utf8(body).map_err(|_| {
        let c = if cal {
            cond("valid-calendar-data")
        } else {
            cond("valid-address-data")
        };
        DavError::condition(StatusCode::FORBIDDEN, c, "body is not utf-8")
    })?;
    validate(c.kind, text)?;
    let condition = write_condition(ctx, id, name).await?;
    match ctx.backend.put_resource(&ctx.user, id, name, text, condition).await {
        Ok(out) => {
            let mut r = empty(if out.created {
                StatusCode::CREATED
            } else {
                StatusCode::NO_CONTENT
            });
            if out.stored_as_sent {
                if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", out.etag)) {
                    r.headers_mut().insert(header::ETAG, v);
                }
            }
            Ok(r)
        }
        Err(BackendError::UidConflict { name: other }) => Err(DavError::Condition {
            status: StatusCode::FORBIDDEN,
            condition: cond("no-uid-conflict"),
            children: vec![Node::href(ctx.hrefs.resource(*home, &ctx.user, id, &other))],
            message: format!("the uid is already used by {other}"),
        }),
        // The precondition names the kind of data: CalDAV's element for calendars,
        // CardDAV's for address books (RFC 4791 5.3.2.1, RFC 6352 6.3.2.1).
        Err(BackendError::NotRepresentable { reason }) => Err(DavError::condition(
            StatusCode::FORBIDDEN,
            if cal {
                cond("valid-calendar-object-resource")
            } else {
                cond("valid-address-data")
            },
            format!("not representable in exchange: {reason}"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Checks the data against the collection: parseable, one object, allowed component.
///
/// # Errors
/// 403 with valid-calendar-data, valid-calendar-object-resource, supported-calendar-component
/// or valid-address-data.
pub fn validate(kind: CollectionKind, text: &str) -> DavResult<()> {
    let forbid = |c: QName, m: String| DavError::condition(StatusCode::FORBIDDEN, c, m);
    match kind {
        CollectionKind::AddressBook => match ical::validate_vcard(text) {
            Ok(_) => Ok(()),
            Err(e) => Err(forbid(QName::carddav("valid-address-data"), e.to_string())),
        },
        CollectionKind::Calendar | CollectionKind::Tasks => {
            let obj = ical::validate_calendar(text).map_err(|e| match e {
                DataError::Unparseable(m) => forbid(QName::caldav("valid-calendar-data"), m),
                DataError::InvalidObject(m) => forbid(QName::caldav("valid-calendar-object-resource"), m),
            })?;
            let allowed = if kind == CollectionKind::Tasks {
                "VTODO"
            } else {
                "VEVENT"
            };
            if obj.component != allowed {
                return Err(forbid(
                    QName::caldav("supported-calendar-component"),
                    format!("this collection holds {allowed} only, not {}", obj.component),
                ));
            }
            Ok(())
        }
    }
}

/// Reads If-Match / If-None-Match. Weak tags never match; Evolution's `\"…\"` is accepted.
async fn write_condition<B: Backend>(ctx: &Ctx<'_, B>, id: &str, name: &str) -> DavResult<WriteCondition> {
    if let Some(v) = ctx.header("if-none-match") {
        if v.trim() == "*" {
            return Ok(WriteCondition::MustNotExist);
        }
    }
    let Some(v) = ctx.header("if-match") else {
        return Ok(WriteCondition::None);
    };
    if v.trim() == "*" {
        let names = [name.to_owned()];
        let found = ctx
            .backend
            .get_resources(&ctx.user, id, Some(&names), crate::backend::Format::ICalendar)
            .await?;
        return if found.is_empty() {
            Err(DavError::Status(StatusCode::PRECONDITION_FAILED))
        } else {
            Ok(WriteCondition::None)
        };
    }
    Ok(WriteCondition::IfMatch(
        unquote(v).ok_or(DavError::Status(StatusCode::PRECONDITION_FAILED))?,
    ))
}

/// Strips quotes from a strong entity tag (`None` for weak tags).
pub fn unquote(v: &str) -> Option<String> {
    let v = v.trim().replace("\\\"", "\"");
    if v.starts_with("W/") {
        return None;
    }
    let first = v.split(',').next()?.trim();
    Some(first.trim_matches('"').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_tags() {
        assert_eq!(unquote("\"abc\""), Some("abc".into()));
        assert_eq!(unquote("\\\"abc\\\""), Some("abc".into()));
        assert_eq!(unquote("W/\"abc\""), None);
    }
}
