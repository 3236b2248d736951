//! The engine's error type and its mapping to DAV backend errors.

use std::time::Duration;

use dav_server::backend::BackendError;

/// Everything an engine operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The user, folder or item does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The local ETag precondition does not hold.
    #[error("precondition failed")]
    PreconditionFailed,
    /// Exchange reported a conflict; with server-wins the mirror was refreshed.
    #[error("conflict with the server's version of {0}")]
    Conflict(String),
    /// Another item of the folder carries the same UID.
    #[error("uid already used by {0}")]
    UidConflict(String),
    /// Exchange is unreachable or throttling.
    #[error("upstream unavailable: {reason}")]
    UpstreamUnavailable {
        /// Suggested delay.
        retry_after: Option<Duration>,
        /// What happened (for logs).
        reason: String,
    },
    /// Exchange refused the change.
    #[error("rejected upstream with status {status}: {reason}")]
    Rejected {
        /// The EAS status.
        status: u32,
        /// Human-readable reason.
        reason: String,
    },
    /// The object cannot be represented in Exchange (mapping refused it).
    #[error("not representable: {reason}")]
    NotRepresentable {
        /// Human-readable reason.
        reason: String,
    },
    /// The account is locked (remote wipe); an operator must unlock it.
    #[error("account locked: {0}")]
    Locked(String),
    /// The upstream credentials were refused.
    #[error("upstream refused the credentials")]
    Unauthorized,
    /// The engine is shutting down.
    #[error("engine is shutting down")]
    ShuttingDown,
    /// The mirror store failed.
    #[error("store: {0}")]
    Store(#[from] store::StoreError),
    /// The EAS client failed in a way not covered above.
    #[error("upstream: {0}")]
    Upstream(String),
    /// Anything else (a bug or corrupt data).
    #[error("internal: {0}")]
    Internal(String),
}

/// Result alias for engine operations.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

impl EngineError {
    /// Converts an EAS client error (remote wipe is handled by the caller before this).
    pub(crate) fn from_client(e: eas_client::Error) -> Self {
        use eas_client::Error as E;
        match e {
            E::Unauthorized { .. } | E::Auth(_) => EngineError::Unauthorized,
            E::RemoteWipe { .. } => EngineError::Locked("remote wipe".to_owned()),
            e if e.is_transient() => EngineError::UpstreamUnavailable {
                retry_after: e.retry_after(),
                reason: e.to_string(),
            },
            E::Status { status, command } => EngineError::Rejected {
                status,
                reason: format!("{command} status {status}"),
            },
            e => EngineError::Upstream(e.to_string()),
        }
    }
}

impl From<EngineError> for BackendError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::NotFound(_) => BackendError::NotFound,
            EngineError::PreconditionFailed => BackendError::PreconditionFailed,
            EngineError::Conflict(what) => {
                BackendError::Conflict(format!("the server's version of {what} won; refetch"))
            }
            EngineError::UidConflict(name) => BackendError::UidConflict { name },
            EngineError::UpstreamUnavailable { retry_after, .. } => BackendError::UpstreamUnavailable { retry_after },
            EngineError::ShuttingDown => BackendError::UpstreamUnavailable {
                retry_after: Some(Duration::from_secs(5)),
            },
            EngineError::Rejected { status, reason } => BackendError::Rejected {
                reason: format!("Exchange refused the item (status {status}): {reason}"),
            },
            EngineError::NotRepresentable { reason } => BackendError::NotRepresentable { reason },
            EngineError::Locked(_) => BackendError::Locked,
            EngineError::Unauthorized => BackendError::Rejected {
                reason: "Exchange refused the credentials".to_owned(),
            },
            EngineError::Store(store::StoreError::InvalidSyncToken { .. }) => BackendError::InvalidSyncToken,
            EngineError::Store(store::StoreError::PreconditionFailed { .. }) => BackendError::PreconditionFailed,
            EngineError::Store(store::StoreError::Locked(_)) => BackendError::Locked,
            EngineError::Store(store::StoreError::FolderNotFound(_)) => BackendError::NotFound,
            e => BackendError::Internal(e.to_string()),
        }
    }
}
