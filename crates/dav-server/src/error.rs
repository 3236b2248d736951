//! The crate's error type and its one conversion to an HTTP response.

use bytes::Bytes;
use dav_proto::names::QName;
use dav_proto::response::{error_body, Node};
use http::{header, Response, StatusCode};
use http_body_util::Full;

use crate::backend::BackendError;

/// The body type of every response.
pub type Body = Full<Bytes>;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DavError {
    /// A plain status without body (404, 405, ...).
    #[error("status {0}")]
    Status(StatusCode),
    /// A precondition/postcondition failure: status, condition element (with children) and a
    /// human-readable message.
    #[error("{condition} failed: {message}")]
    Condition {
        /// HTTP status.
        status: StatusCode,
        /// Condition element name.
        condition: QName,
        /// Children of the condition element (e.g. the conflicting href).
        children: Vec<Node>,
        /// Message for people.
        message: String,
    },
    /// The request body could not be parsed.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Missing or wrong credentials.
    #[error("unauthorized")]
    Unauthorized,
    /// Upstream unavailable (503 with Retry-After).
    #[error("service unavailable")]
    Unavailable(Option<std::time::Duration>),
    /// A bug or backend failure (500; logged, generic body).
    #[error("internal: {0}")]
    Internal(String),
}

impl DavError {
    /// A condition error.
    pub fn condition(status: StatusCode, condition: QName, message: impl Into<String>) -> Self {
        DavError::Condition {
            status,
            condition,
            children: Vec::new(),
            message: message.into(),
        }
    }

    /// Converts into the HTTP response (the only place errors become HTTP).
    pub fn into_response(self, realm: &str) -> Response<Body> {
        let mut b = Response::builder();
        let (status, body) = match self {
            DavError::Status(s) => (s, Bytes::new()),
            DavError::Condition {
                status,
                condition,
                children,
                message,
            } => {
                b = b.header(header::CONTENT_TYPE, "application/xml; charset=utf-8");
                (status, Bytes::from(error_body(&condition, children, Some(&message))))
            }
            DavError::BadRequest(m) => {
                b = b.header(header::CONTENT_TYPE, "text/plain; charset=utf-8");
                (StatusCode::BAD_REQUEST, Bytes::from(m))
            }
            DavError::Unauthorized => {
                b = b.header(
                    header::WWW_AUTHENTICATE,
                    format!("Basic realm=\"{realm}\", charset=\"UTF-8\""),
                );
                (StatusCode::UNAUTHORIZED, Bytes::from_static(b"authentication required"))
            }
            DavError::Unavailable(retry) => {
                if let Some(r) = retry {
                    b = b.header(header::RETRY_AFTER, r.as_secs().max(1).to_string());
                }
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Bytes::from_static(b"upstream unavailable, retry later"),
                )
            }
            DavError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, Bytes::from_static(b"internal error"))
            }
        };
        b.status(status)
            .body(Full::new(body))
            .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
    }
}

impl From<BackendError> for DavError {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::NotFound => DavError::Status(StatusCode::NOT_FOUND),
            BackendError::PreconditionFailed => DavError::Status(StatusCode::PRECONDITION_FAILED),
            BackendError::Conflict(m) => {
                DavError::condition(StatusCode::CONFLICT, QName::dav("resource-must-be-null"), m)
            }
            BackendError::UpstreamUnavailable { retry_after } => DavError::Unavailable(retry_after),
            BackendError::Rejected { reason } => DavError::condition(
                StatusCode::FORBIDDEN,
                QName::dav("need-privileges"),
                format!("rejected upstream: {reason}"),
            ),
            BackendError::NotRepresentable { reason } => DavError::condition(
                StatusCode::FORBIDDEN,
                QName::caldav("valid-calendar-object-resource"),
                format!("not representable in exchange: {reason}"),
            ),
            BackendError::Locked => DavError::Status(StatusCode::LOCKED),
            BackendError::UidConflict { name } => DavError::Condition {
                status: StatusCode::CONFLICT,
                condition: QName::caldav("no-uid-conflict"),
                children: Vec::new(),
                message: format!("uid already used by {name}"),
            },
            BackendError::InvalidSyncToken => DavError::condition(
                StatusCode::FORBIDDEN,
                QName::dav("valid-sync-token"),
                "unknown or expired sync token",
            ),
            BackendError::Internal(m) => DavError::Internal(m),
        }
    }
}

/// Result alias for handlers.
pub type DavResult<T> = Result<T, DavError>;
