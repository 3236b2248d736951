//! HTTP Basic authentication with a short-lived cache of successful logins.

use std::time::Duration;

use base64::Engine;
use moka::future::Cache;
use sha2::{Digest, Sha256};

use crate::backend::Backend;
use crate::error::DavError;

/// Caches successful logins keyed by SHA-256(user NUL password) → canonical user.
#[derive(Clone)]
pub struct AuthCache {
    cache: Cache<[u8; 32], String>,
}

impl AuthCache {
    /// A cache whose entries live for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        AuthCache {
            cache: Cache::builder().time_to_live(ttl).max_capacity(10_000).build(),
        }
    }

    /// Verifies an `Authorization` header value and returns the canonical user.
    ///
    /// # Errors
    /// [`DavError::Unauthorized`] when missing, malformed or wrong; backend failures as is.
    pub async fn verify<B: Backend>(&self, backend: &B, header: Option<&str>) -> Result<String, DavError> {
        let (user, pass) = header.and_then(parse_basic).ok_or(DavError::Unauthorized)?;
        let mut h = Sha256::new();
        h.update(user.as_bytes());
        h.update([0u8]);
        h.update(pass.as_bytes());
        let key: [u8; 32] = h.finalize().into();
        if let Some(u) = self.cache.get(&key).await {
            return Ok(u);
        }
        match backend.authenticate(&user, &pass).await? {
            Some(canonical) => {
                self.cache.insert(key, canonical.clone()).await;
                Ok(canonical)
            }
            None => Err(DavError::Unauthorized),
        }
    }
}

/// Splits `Basic base64(user:password)`.
pub fn parse_basic(h: &str) -> Option<(String, String)> {
    let (scheme, rest) = h.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.to_owned(), p.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_basic() {
        assert_eq!(parse_basic("Basic dTpwOng="), Some(("u".into(), "p:x".into())));
        assert_eq!(parse_basic("Bearer x"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
    }
}
