//! GET and HEAD of members (with vCard version negotiation through `Accept`).

use bytes::Bytes;
use dav_proto::time::format_http_date;
use http::{header, HeaderValue, StatusCode};
use http_body_util::Full;

use crate::backend::Backend;
use crate::error::{Body, DavError, DavResult};
use crate::method::{format_for, load_collection};
use crate::paths::Target;
use crate::props::content_type;
use crate::server::Ctx;

/// Handles GET (`head = false`) and HEAD (`head = true`).
pub async fn handle<B: Backend>(ctx: &Ctx<'_, B>, target: &Target, head: bool) -> DavResult<http::Response<Body>> {
    let Target::Resource(home, _, id, name) = target else {
        if matches!(target, Target::Root) {
            let mut r = http::Response::new(Full::new(if head {
                Bytes::new()
            } else {
                Bytes::from_static(b"easdav CalDAV/CardDAV\n")
            }));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            return Ok(r);
        }
        return Err(DavError::Status(StatusCode::METHOD_NOT_ALLOWED));
    };
    let c = load_collection(ctx, *home, id).await?;
    let fmt = format_for(c.kind, None, ctx.header("accept"));
    let names = [name.clone()];
    let r = ctx.backend.get_resources(&ctx.user, id, Some(&names), fmt).await?;
    let r = r.into_iter().next().ok_or(DavError::Status(StatusCode::NOT_FOUND))?;
    let len = r.body.len();
    let mut resp = http::Response::new(Full::new(if head { Bytes::new() } else { Bytes::from(r.body) }));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(c.kind)));
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", r.meta.etag)) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format_http_date(r.meta.last_modified)) {
        h.insert(header::LAST_MODIFIED, v);
    }
    if head {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    if !c.kind.is_calendar() {
        h.insert(header::VARY, HeaderValue::from_static("Accept"));
    }
    Ok(resp)
}
