//! The store error type.

use crate::model::{FolderId, OutboxId, PartnershipId};

/// Every way a store operation can fail. A failed operation changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The partnership does not exist.
    #[error("partnership {0} not found")]
    PartnershipNotFound(PartnershipId),
    /// The folder does not exist (never existed, or was deleted).
    #[error("folder {0} not found")]
    FolderNotFound(FolderId),
    /// The outbox entry does not exist.
    #[error("outbox entry {0} not found")]
    OutboxNotFound(OutboxId),
    /// A record with the same unique key exists already.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// The partnership is locked (for example after a remote wipe); nothing may be written.
    #[error("partnership {0} is locked")]
    Locked(PartnershipId),
    /// The stored sync key is not the one the caller based its request on.
    #[error("sync key mismatch: expected {expected}, stored {stored}")]
    SyncKeyMismatch {
        /// What the caller expected.
        expected: String,
        /// What is stored.
        stored: String,
    },
    /// A local write's precondition does not hold.
    #[error("precondition failed for {resource_name}: current etag {current:?}")]
    PreconditionFailed {
        /// The resource concerned.
        resource_name: String,
        /// The current ETag, `None` if the resource does not exist.
        current: Option<String>,
    },
    /// A sync token is older than the retained change log or newer than the collection.
    #[error("invalid sync token {seq} for folder {folder}: valid range {oldest}..={current}")]
    InvalidSyncToken {
        /// The folder.
        folder: FolderId,
        /// The presented sequence.
        seq: i64,
        /// The oldest valid sequence.
        oldest: i64,
        /// The current sequence.
        current: i64,
    },
    /// A caller-supplied value is not acceptable (for example an empty resource name).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The database holds a value this version cannot interpret.
    #[error("corrupt store: {0}")]
    Corrupt(String),
    /// The database schema is newer than this program.
    #[error("schema version {found} is newer than the supported {supported}")]
    SchemaTooNew {
        /// Version found in the database.
        found: i64,
        /// Newest version this program knows.
        supported: i64,
    },
    /// The database backend failed.
    #[error("database: {context}: {source}")]
    Backend {
        /// What the store was doing.
        context: &'static str,
        /// The backend error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    /// Wraps a backend error with context.
    pub fn backend(context: &'static str, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Backend {
            context,
            source: Box::new(source),
        }
    }
}

/// Result alias for store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
