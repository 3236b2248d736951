//! The storage/upstream interface the DAV server calls: [`Backend`].
//!
//! The server speaks only DAV terms here (principals, homes, collections, resources, change
//! feed). The sync engine implements this trait over the mirror store and the Exchange
//! write-through path; [`crate::memory::MemoryBackend`] implements it in memory for tests.
//!
//! # Async design
//! Methods are declared as `fn … -> impl Future<Output = …> + Send` (return-position `impl
//! Trait` in traits, stable since Rust 1.75). Implementors simply write `async fn` in their
//! `impl Backend for X` block; the `Send` bound is part of the trait so the server can run
//! handlers on a multi-threaded tokio runtime. The trait is therefore not object-safe: the
//! server is generic (`DavServer<B: Backend>`), which costs nothing at runtime.
//!
//! # Conventions
//! * `user` is always the canonical user name returned by [`Backend::authenticate`]; the
//!   server checks that the authenticated user owns the path before calling anything else.
//! * Collection ids and resource names are single URL path segments, *decoded* (the server
//!   percent-encodes them in hrefs). Resource names chosen by clients on PUT must be kept
//!   verbatim; items that arrive from upstream get stable names (for example `<uid>.ics`).
//! * ETags are strong and opaque, **without** quotes (the server adds them). They must be a
//!   deterministic function of the bytes served for that representation.
//! * Sync tokens are the collection's change sequence numbers (`u64`); the server turns them
//!   into URIs. Every add, change or removal of a member must increase the sequence.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

/// What a collection holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CollectionKind {
    /// Events (VEVENT); lives in the calendar home.
    Calendar,
    /// Tasks (VTODO); lives in the calendar home.
    Tasks,
    /// Contacts (vCard); lives in the address-book home.
    AddressBook,
}

impl CollectionKind {
    /// Whether the collection is in the calendar home (as opposed to the address-book home).
    pub fn is_calendar(self) -> bool {
        !matches!(self, CollectionKind::AddressBook)
    }
}

/// Which home a request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Home {
    /// `/calendars/<user>/`.
    Calendars,
    /// `/addressbooks/<user>/`.
    AddressBooks,
}

/// A principal (one per user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalInfo {
    /// Canonical user name (also the path segment).
    pub user: String,
    /// Display name.
    pub display_name: String,
    /// E-mail addresses (first is primary), exposed as `mailto:` calendar-user-addresses.
    pub emails: Vec<String>,
}

/// A calendar, task list or address book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionInfo {
    /// Stable id, used as the URL path segment.
    pub id: String,
    /// Kind; decides the home and the supported component set.
    pub kind: CollectionKind,
    /// `DAV:displayname`.
    pub display_name: String,
    /// Apple `calendar-color` (`#RRGGBB` or `#RRGGBBAA`), stored locally.
    pub color: Option<String>,
    /// Apple `calendar-order`, stored locally.
    pub order: Option<i64>,
    /// `calendar-description` / `addressbook-description`, stored locally.
    pub description: Option<String>,
    /// `calendar-timezone` (a VCALENDAR with one VTIMEZONE), stored locally.
    pub timezone: Option<String>,
    /// Current change sequence (the sync token and CTag are derived from it).
    pub seq: u64,
    /// Dead properties set by clients: Clark-notation name → the property element as XML.
    pub dead_props: BTreeMap<String, String>,
}

/// How the client wants resource bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// iCalendar (calendars and task lists).
    ICalendar,
    /// vCard 3.0 (the default for address books).
    VCard3,
    /// vCard 4.0 (when asked for).
    VCard4,
}

/// Metadata of one stored resource (one representation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceMeta {
    /// Resource name (last path segment, decoded).
    pub name: String,
    /// Strong ETag without quotes.
    pub etag: String,
    /// Last modification, Unix seconds.
    pub last_modified: i64,
    /// Size of the body in bytes.
    pub size: u64,
}

/// A resource with its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// Metadata (ETag and size are those of `body`).
    pub meta: ResourceMeta,
    /// iCalendar or vCard text in the requested [`Format`].
    pub body: String,
}

/// Changes of a collection since a sequence number, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeSet {
    /// Members added or changed (current metadata).
    pub changed: Vec<ResourceMeta>,
    /// Names of members removed.
    pub removed: Vec<String>,
    /// The sequence to hand out as the new token: the collection's current sequence if
    /// everything was returned, otherwise the sequence of the last change included. The next
    /// call resumes *after* this value, so a page must never end in the middle of several
    /// changes that share one sequence number (give each change its own number, or include
    /// all changes of the last number).
    pub seq: u64,
    /// Whether more changes remain after `seq` (the limit cut the list).
    pub truncated: bool,
}

/// Precondition of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteCondition {
    /// Unconditional (create or replace).
    None,
    /// `If-None-Match: *`: the resource must not exist.
    MustNotExist,
    /// `If-Match: "etag"`: the resource must exist with this ETag (unquoted). For address
    /// books the tag may be that of any representation the client was served (vCard 3.0 or
    /// 4.0), so compare against both.
    IfMatch(String),
}

/// Outcome of a successful PUT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutOutcome {
    /// ETag of the stored representation (unquoted).
    pub etag: String,
    /// Whether the resource was created (201) rather than replaced (204).
    pub created: bool,
    /// Whether the stored bytes are exactly those sent; only then does the server put the
    /// ETag in the response (RFC 4791 §5.3.4).
    pub stored_as_sent: bool,
}

/// Properties of a collection to create or change. `None` leaves a field unchanged;
/// `Some(None)` clears it (PROPPATCH remove).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CollectionPatch {
    /// New display name (upstream folder rename).
    pub display_name: Option<String>,
    /// Colour.
    pub color: Option<Option<String>>,
    /// Order.
    pub order: Option<Option<i64>>,
    /// Description.
    pub description: Option<Option<String>>,
    /// Time zone.
    pub timezone: Option<Option<String>>,
    /// Dead properties to set (`Some`) or remove (`None`), keyed by Clark notation.
    pub dead_props: Vec<(String, Option<String>)>,
}

/// Typed failures the server maps to HTTP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The user, collection or resource does not exist (404).
    #[error("not found")]
    NotFound,
    /// An If-Match / If-None-Match condition failed (412).
    #[error("precondition failed")]
    PreconditionFailed,
    /// A conflicting state, e.g. a collection id already in use (409).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Exchange is unreachable or throttling (503 with Retry-After).
    #[error("upstream unavailable")]
    UpstreamUnavailable {
        /// Suggested delay before a retry.
        retry_after: Option<Duration>,
    },
    /// Exchange refused the change (403 with the reason).
    #[error("rejected upstream: {reason}")]
    Rejected {
        /// Human-readable reason.
        reason: String,
    },
    /// The data cannot be represented in Exchange (403, valid-calendar-object-resource).
    #[error("not representable: {reason}")]
    NotRepresentable {
        /// Human-readable reason.
        reason: String,
    },
    /// The resource is being synchronised and cannot be changed right now (423).
    #[error("locked")]
    Locked,
    /// Another resource in the collection has the same UID (no-uid-conflict).
    #[error("uid already used by {name}")]
    UidConflict {
        /// Name of the resource that has the UID (same collection).
        name: String,
    },
    /// The sync sequence is unknown or too old (403 valid-sync-token).
    #[error("invalid sync token")]
    InvalidSyncToken,
    /// Anything else (500, logged).
    #[error("backend failure: {0}")]
    Internal(String),
}

/// Result alias for backend calls.
pub type BackendResult<T> = Result<T, BackendError>;

/// What the DAV server needs from the layer below. See the module docs for conventions.
pub trait Backend: Send + Sync + 'static {
    /// Verifies a user name and password (upstream for the real engine) and returns the
    /// canonical user name. `Ok(None)` means wrong credentials (401). The server caches
    /// successes briefly, keyed by a hash of both, so this is not called on every request.
    fn authenticate(&self, user: &str, password: &str) -> impl Future<Output = BackendResult<Option<String>>> + Send;

    /// The principal of `user` (`NotFound` if unknown).
    fn principal(&self, user: &str) -> impl Future<Output = BackendResult<PrincipalInfo>> + Send;

    /// The collections of one home, in the order clients should see them (main folder first).
    fn list_collections(
        &self,
        user: &str,
        home: Home,
    ) -> impl Future<Output = BackendResult<Vec<CollectionInfo>>> + Send;

    /// One collection by id (`NotFound` if absent).
    fn collection(&self, user: &str, id: &str) -> impl Future<Output = BackendResult<CollectionInfo>> + Send;

    /// Metadata of all members of a collection (in `format`, which decides ETags and sizes).
    fn list_resources(
        &self,
        user: &str,
        collection: &str,
        format: Format,
    ) -> impl Future<Output = BackendResult<Vec<ResourceMeta>>> + Send;

    /// Members with bodies. `names = None` means all members; unknown names are skipped
    /// (the server reports them as 404).
    fn get_resources(
        &self,
        user: &str,
        collection: &str,
        names: Option<&[String]>,
        format: Format,
    ) -> impl Future<Output = BackendResult<Vec<Resource>>> + Send;

    /// Changes after sequence `since` (`None`: everything, as for an initial sync), at most
    /// `limit` entries (changed + removed). A `since` the backend cannot answer for (from the
    /// future, or older than its retained history) → [`BackendError::InvalidSyncToken`].
    fn changes(
        &self,
        user: &str,
        collection: &str,
        since: Option<u64>,
        limit: Option<usize>,
        format: Format,
    ) -> impl Future<Output = BackendResult<ChangeSet>> + Send;

    /// Creates or replaces a member. `body` was validated by the server (parseable, one
    /// object, allowed component); the backend checks UID uniqueness (`UidConflict`), the
    /// condition (`PreconditionFailed`) and upstream acceptance, and answers only after the
    /// write reached Exchange.
    fn put_resource(
        &self,
        user: &str,
        collection: &str,
        name: &str,
        body: &str,
        condition: WriteCondition,
    ) -> impl Future<Output = BackendResult<PutOutcome>> + Send;

    /// Deletes a member (`NotFound`, `PreconditionFailed` on an ETag mismatch).
    fn delete_resource(
        &self,
        user: &str,
        collection: &str,
        name: &str,
        if_match: Option<&str>,
    ) -> impl Future<Output = BackendResult<()>> + Send;

    /// Creates a collection with the given id (MKCALENDAR / extended MKCOL → FolderCreate).
    /// `Conflict` if the id exists.
    fn create_collection(
        &self,
        user: &str,
        id: &str,
        kind: CollectionKind,
        props: CollectionPatch,
    ) -> impl Future<Output = BackendResult<CollectionInfo>> + Send;

    /// Changes collection properties (display name → FolderUpdate; others stored locally).
    fn update_collection(
        &self,
        user: &str,
        id: &str,
        patch: CollectionPatch,
    ) -> impl Future<Output = BackendResult<CollectionInfo>> + Send;

    /// Deletes a collection and its members (FolderDelete); the id is free again at once.
    fn delete_collection(&self, user: &str, id: &str) -> impl Future<Output = BackendResult<()>> + Send;
}
