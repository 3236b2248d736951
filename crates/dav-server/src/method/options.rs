//! OPTIONS: 200 with DAV compliance classes and Allow (GNOME wants 200, not 204).

use http::{header, HeaderValue, StatusCode};

use crate::error::Body;
use crate::server::{empty, ALLOW, DAV_HEADER};

/// Answers OPTIONS on any path under the root (no authentication needed).
pub fn handle() -> http::Response<Body> {
    let mut r = empty(StatusCode::OK);
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(ALLOW));
    r.headers_mut().insert("dav", HeaderValue::from_static(DAV_HEADER));
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    r
}
