//! Authentication providers: HTTP Basic pass-through and OAuth2 bearer with a pluggable token
//! source.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use base64::Engine as _;

/// A boxed, sendable future (the auth traits are object-safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What went wrong getting credentials; carried into [`Error::Auth`](crate::Error::Auth).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AuthError(pub String);

/// Produces the `Authorization` header for every request, including OPTIONS.
///
/// On HTTP 401 the client calls [`on_unauthorized`](Self::on_unauthorized) once per request;
/// if it returns `Ok(true)` the request is retried once with a fresh
/// [`authorization`](Self::authorization), otherwise (or on a second 401) the request fails
/// with [`Error::Unauthorized`](crate::Error::Unauthorized).
pub trait AuthProvider: Send + Sync {
    /// The `Authorization` header value, e.g. `Basic …` or `Bearer …`.
    fn authorization(&self) -> BoxFuture<'_, Result<String, AuthError>>;

    /// Called after a 401 with the header value that was rejected. Returns whether new
    /// credentials are available and a retry is worthwhile.
    fn on_unauthorized<'a>(&'a self, rejected: &'a str) -> BoxFuture<'a, Result<bool, AuthError>>;
}

/// HTTP Basic with credentials passed through from the DAV client; a 401 is final.
///
/// # Example
/// ```
/// use eas_client::{AuthProvider, BasicAuth};
/// let auth = BasicAuth::new("alice", "secret");
/// let header = futures_lite_block_on(auth.authorization()).unwrap();
/// assert_eq!(header, "Basic YWxpY2U6c2VjcmV0");
/// # fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Clone)]
pub struct BasicAuth {
    header: String,
}

impl BasicAuth {
    /// Credentials for `user` / `password`.
    pub fn new(user: &str, password: &str) -> Self {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        BasicAuth {
            header: format!("Basic {token}"),
        }
    }
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BasicAuth(<redacted>)")
    }
}

impl AuthProvider for BasicAuth {
    fn authorization(&self) -> BoxFuture<'_, Result<String, AuthError>> {
        let h = self.header.clone();
        Box::pin(async move { Ok(h) })
    }

    fn on_unauthorized<'a>(&'a self, _rejected: &'a str) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(async { Ok(false) })
    }
}

/// Supplies OAuth2 access tokens (the Exchange Online flow lives elsewhere).
///
/// Implementations cache the current token, refresh ahead of expiry, and join concurrent
/// refreshes so one refresh token is never redeemed twice.
pub trait TokenSource: Send + Sync {
    /// The current access token (without the `Bearer ` prefix).
    fn access_token(&self) -> BoxFuture<'_, Result<String, AuthError>>;

    /// Invalidates `rejected` and obtains a new token. Returns `Ok(None)` if no new token can be
    /// had (the account needs re-authorisation).
    fn refresh<'a>(&'a self, rejected: &'a str) -> BoxFuture<'a, Result<Option<String>, AuthError>>;
}

/// OAuth2 bearer auth over a [`TokenSource`]; refreshes once on 401.
#[derive(Clone)]
pub struct BearerAuth {
    source: Arc<dyn TokenSource>,
}

impl BearerAuth {
    /// Bearer auth using `source`.
    pub fn new(source: Arc<dyn TokenSource>) -> Self {
        BearerAuth { source }
    }
}

impl std::fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerAuth")
    }
}

impl AuthProvider for BearerAuth {
    fn authorization(&self) -> BoxFuture<'_, Result<String, AuthError>> {
        Box::pin(async move { Ok(format!("Bearer {}", self.source.access_token().await?)) })
    }

    fn on_unauthorized<'a>(&'a self, rejected: &'a str) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(async move {
            let token = rejected.strip_prefix("Bearer ").unwrap_or(rejected);
            Ok(self.source.refresh(token).await?.is_some())
        })
    }
}

/// A fixed token list, for tests and static deployments: `refresh` moves to the next token.
#[derive(Debug)]
pub struct StaticTokens {
    tokens: Vec<String>,
    current: std::sync::Mutex<usize>,
}

impl StaticTokens {
    /// Hands out `tokens` in order, one more per refresh.
    pub fn new(tokens: Vec<String>) -> Self {
        StaticTokens {
            tokens,
            current: std::sync::Mutex::new(0),
        }
    }

    fn get(&self) -> Option<String> {
        let i = *self.current.lock().unwrap_or_else(|p| p.into_inner());
        self.tokens.get(i).cloned()
    }
}

impl TokenSource for StaticTokens {
    fn access_token(&self) -> BoxFuture<'_, Result<String, AuthError>> {
        Box::pin(async move { self.get().ok_or_else(|| AuthError("no token available".to_owned())) })
    }

    fn refresh<'a>(&'a self, rejected: &'a str) -> BoxFuture<'a, Result<Option<String>, AuthError>> {
        Box::pin(async move {
            {
                let mut i = self.current.lock().unwrap_or_else(|p| p.into_inner());
                // Only advance when the rejected token is still current (joins concurrent refreshes).
                if self.tokens.get(*i).map(String::as_str) == Some(rejected) {
                    *i += 1;
                }
            }
            Ok(self.get())
        })
    }
}
