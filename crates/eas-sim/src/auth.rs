//! HTTP Basic and bearer-token authentication against the configured users.

use base64::Engine as _;
use http::{HeaderMap, HeaderValue, Response, StatusCode};

use crate::config::UserConfig;
use crate::server::{plain, Body};

/// The authenticated logon name, or `None` for missing or wrong credentials.
pub fn authenticate(users: &[UserConfig], headers: &HeaderMap) -> Option<String> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(rest).ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (name, password) = decoded.split_once(':')?;
        users
            .iter()
            .find(|u| u.name == name && constant_time_eq(u.password.as_bytes(), password.as_bytes()))
            .map(|u| u.name.clone())
    } else if scheme.eq_ignore_ascii_case("bearer") {
        users
            .iter()
            .find(|u| u.tokens.iter().any(|t| constant_time_eq(t.as_bytes(), rest.as_bytes())))
            .map(|u| u.name.clone())
    } else {
        None
    }
}

/// 401 with both challenges.
pub fn unauthorized() -> Response<Body> {
    let mut r = plain(StatusCode::UNAUTHORIZED, "authentication required");
    let h = r.headers_mut();
    h.append("WWW-Authenticate", HeaderValue::from_static("Basic realm=\"eas-sim\""));
    h.append(
        "WWW-Authenticate",
        HeaderValue::from_static("Bearer realm=\"eas-sim\", error=\"invalid_token\""),
    );
    r
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
