//! Records and commands exchanged with a [`Store`](crate::Store).
//!
//! Everything here is plain data. Upstream identifiers (EAS ServerIds, sync keys, folder types) and
//! payloads are opaque strings and bytes; DAV resource names and ETags are opaque strings too.
//! Timestamps are Unix milliseconds (`i64`).

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// Identifies a partnership (one upstream device registration of one user). Never reused.
    PartnershipId
);
id_type!(
    /// Identifies a mirrored folder (one DAV collection). Never reused, so a sync token that embeds it
    /// can never be mistaken for a token of a later folder.
    FolderId
);
id_type!(
    /// Identifies an outbox entry (one pending upstream write).
    OutboxId
);

/// Unix time in milliseconds.
pub type Millis = i64;

/// The lock state of a partnership.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LockState {
    /// DAV access is allowed.
    #[default]
    Unlocked,
    /// DAV access must be refused until an operator unlocks the account.
    Locked {
        /// When the lock was set.
        since: Millis,
        /// Why (free text for the operator).
        reason: String,
        /// When the mirror was purged because of a remote wipe, if it was.
        wiped_at: Option<Millis>,
    },
}

impl LockState {
    /// Whether access is refused.
    pub fn is_locked(&self) -> bool {
        matches!(self, LockState::Locked { .. })
    }
}

/// A partnership: one upstream device registration of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partnership {
    /// Store id.
    pub id: PartnershipId,
    /// The upstream user name, as given.
    pub user_name: String,
    /// The device id presented upstream (stable per user and installation).
    pub device_id: String,
    /// The device type presented upstream.
    pub device_type: String,
    /// The current policy key, once provisioned.
    pub policy_key: Option<String>,
    /// The negotiated protocol version (opaque text such as `16.1`).
    pub protocol_version: Option<String>,
    /// The upstream endpoint URL (updated after a redirect).
    pub upstream_url: String,
    /// The hierarchy (folder list) sync key; `0` before the first hierarchy sync.
    pub hierarchy_sync_key: String,
    /// The received policy settings as JSON text (not interpreted by the store).
    pub policy_settings: Option<String>,
    /// Lock state, including remote-wipe information.
    pub lock: LockState,
    /// The last error recorded for this partnership, for the operator.
    pub last_error: Option<String>,
    /// When `last_error` was recorded.
    pub last_error_at: Option<Millis>,
    /// Creation time.
    pub created_at: Millis,
}

/// The fields needed to create a partnership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartnership {
    /// The upstream user name.
    pub user_name: String,
    /// The device id to present upstream.
    pub device_id: String,
    /// The device type to present upstream.
    pub device_type: String,
    /// The upstream endpoint URL.
    pub upstream_url: String,
}

/// A partial update of a partnership: `None` leaves a field unchanged; for nullable fields
/// `Some(None)` clears the value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartnershipPatch {
    /// New policy key.
    pub policy_key: Option<Option<String>>,
    /// New protocol version.
    pub protocol_version: Option<Option<String>>,
    /// New upstream URL.
    pub upstream_url: Option<String>,
    /// New hierarchy sync key.
    pub hierarchy_sync_key: Option<String>,
    /// New policy settings (JSON text).
    pub policy_settings: Option<Option<String>>,
}

/// A mirrored folder, which is also one DAV collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// Store id (never reused).
    pub id: FolderId,
    /// The owning partnership.
    pub partnership_id: PartnershipId,
    /// The upstream folder id (EAS ServerId).
    pub server_id: String,
    /// The upstream parent folder id (`None` or `0` for the root, as upstream says).
    pub parent_server_id: Option<String>,
    /// The upstream folder type (opaque number).
    pub folder_type: i32,
    /// The display name.
    pub display_name: String,
    /// The current item sync key; `0` before the first sync or during a resync.
    pub sync_key: String,
    /// When the last successful sync page was applied.
    pub last_sync_at: Option<Millis>,
    /// Locally stored colour (for example `#FF0000FF`).
    pub color: Option<String>,
    /// Locally stored description.
    pub description: Option<String>,
    /// Locally stored sort order.
    pub sort_order: Option<i64>,
    /// The stable collection resource name (slug) for DAV.
    pub collection_name: String,
    /// The current change-log sequence: the collection's ctag and newest valid sync token.
    pub change_seq: i64,
    /// The oldest sequence a sync token may carry; older tokens are invalid (tombstones pruned).
    pub oldest_seq: i64,
    /// Whether a resync from key 0 is in progress (between `begin_resync` and `finish_resync`).
    pub resyncing: bool,
    /// Creation time.
    pub created_at: Millis,
}

/// The fields needed to create a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFolder {
    /// The upstream folder id.
    pub server_id: String,
    /// The upstream parent folder id.
    pub parent_server_id: Option<String>,
    /// The upstream folder type.
    pub folder_type: i32,
    /// The display name.
    pub display_name: String,
    /// The DAV collection name to use; derived from the display name (made unique) when `None`.
    pub collection_name: Option<String>,
}

/// A partial update of a folder: `None` leaves a field unchanged; for nullable fields `Some(None)`
/// clears the value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FolderPatch {
    /// New parent.
    pub parent_server_id: Option<Option<String>>,
    /// New display name.
    pub display_name: Option<String>,
    /// New folder type.
    pub folder_type: Option<i32>,
    /// New local colour.
    pub color: Option<Option<String>>,
    /// New local description.
    pub description: Option<Option<String>>,
    /// New local sort order.
    pub sort_order: Option<Option<i64>>,
}

/// One change of a hierarchy sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderChange {
    /// A folder was added; an existing folder with the same server id is updated instead and keeps
    /// its collection name, sync key, items and local properties.
    Add(NewFolder),
    /// A folder was changed (renamed or moved).
    Update {
        /// The upstream folder id.
        server_id: String,
        /// The new parent.
        parent_server_id: Option<String>,
        /// The new display name.
        display_name: String,
        /// The new folder type.
        folder_type: i32,
    },
    /// A folder was deleted upstream (its items and tokens go with it).
    Delete {
        /// The upstream folder id.
        server_id: String,
    },
}

/// One hierarchy sync response, applied atomically.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FolderSyncPage {
    /// If set, the stored hierarchy key must equal this or nothing is applied.
    pub expected_sync_key: Option<String>,
    /// The new hierarchy sync key.
    pub new_sync_key: String,
    /// Whether this is a full listing (hierarchy key 0): folders not added by it are deleted.
    pub full: bool,
    /// The changes, in response order.
    pub changes: Vec<FolderChange>,
}

/// An item as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The owning folder.
    pub folder_id: FolderId,
    /// The upstream item id (EAS ServerId).
    pub server_id: String,
    /// The DAV resource name (last path segment), stable for the item's lifetime.
    pub resource_name: String,
    /// The strong ETag (unquoted), derived from payload and residue.
    pub etag: String,
    /// The upstream payload (EAS ApplicationData as WBXML).
    pub payload: Vec<u8>,
    /// The mapping residue (what upstream cannot hold).
    pub residue: Vec<u8>,
    /// An optional rendered object cache (valid for this ETag only).
    pub rendered: Option<Vec<u8>>,
    /// The object UID, if known.
    pub uid: Option<String>,
    /// When the content last changed.
    pub last_modified: Millis,
}

/// An item without its bodies, for listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemSummary {
    /// The upstream item id.
    pub server_id: String,
    /// The DAV resource name.
    pub resource_name: String,
    /// The strong ETag (unquoted).
    pub etag: String,
    /// The object UID, if known.
    pub uid: Option<String>,
    /// When the content last changed.
    pub last_modified: Millis,
    /// Length of the rendered cache in bytes, if present.
    pub rendered_len: Option<i64>,
}

/// An item as it arrived from upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamItem {
    /// The upstream item id; the item is matched by it.
    pub server_id: String,
    /// The resource name to use if the item is new (made unique within the folder if taken).
    pub resource_name: String,
    /// The upstream payload.
    pub payload: Vec<u8>,
    /// The residue; `None` keeps the stored residue (empty for a new item).
    pub residue: Option<Vec<u8>>,
    /// The object UID.
    pub uid: Option<String>,
    /// A rendered cache for the new content, if the caller has one.
    pub rendered: Option<Vec<u8>>,
}

/// What must hold about the stored item before a local write is applied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Precondition {
    /// Nothing.
    #[default]
    None,
    /// No item with the resource name may exist (`If-None-Match: *`).
    MustNotExist,
    /// The stored item must exist and carry this ETag (`If-Match`).
    IfMatch(String),
}

/// An item written by a local (DAV) client and accepted upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalWrite {
    /// The resource name chosen by the client; the item is matched by it.
    pub resource_name: String,
    /// The upstream item id assigned or confirmed upstream.
    pub server_id: String,
    /// The upstream payload.
    pub payload: Vec<u8>,
    /// The residue.
    pub residue: Vec<u8>,
    /// The object UID.
    pub uid: Option<String>,
    /// A rendered cache, if the caller has one.
    pub rendered: Option<Vec<u8>>,
    /// The precondition checked inside the transaction.
    pub precondition: Precondition,
}

/// One item change inside a [`SyncPage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemChange {
    /// Upstream added or changed an item (matched by server id).
    Upsert(UpstreamItem),
    /// Upstream deleted an item (matched by server id); a missing item is not an error.
    Delete {
        /// The upstream item id.
        server_id: String,
    },
    /// A local client created or replaced an item (matched by resource name).
    Put(LocalWrite),
    /// A local client deleted an item (matched by resource name).
    Remove {
        /// The resource name.
        resource_name: String,
        /// The precondition checked inside the transaction.
        precondition: Precondition,
    },
}

/// One page of item changes applied atomically together with a sync key update and an optional
/// outbox acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncPage {
    /// If set, the folder's stored sync key must equal this or nothing is applied.
    pub expected_sync_key: Option<String>,
    /// The new sync key (also records the sync time); `None` leaves key and time unchanged.
    pub new_sync_key: Option<String>,
    /// The changes, applied in order.
    pub changes: Vec<ItemChange>,
    /// An outbox entry to mark acknowledged in the same transaction.
    pub ack_outbox: Option<OutboxId>,
}

/// What applying one change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// A new item was stored.
    Added,
    /// The item's content changed (new ETag).
    Modified,
    /// The content was identical; nothing changed (no change-log entry).
    Unchanged,
    /// The item was deleted (tombstone written).
    Deleted,
    /// A delete named an item that does not exist.
    Missing,
}

/// The result of one change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The resource name concerned, if any item was involved.
    pub resource_name: Option<String>,
    /// The upstream id concerned.
    pub server_id: Option<String>,
    /// The current ETag after the change (`None` after a delete).
    pub etag: Option<String>,
    /// What happened.
    pub effect: Effect,
}

/// The result of a [`SyncPage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageOutcome {
    /// One result per change, in order.
    pub applied: Vec<Applied>,
    /// The folder's change sequence (ctag) after the page.
    pub change_seq: i64,
}

/// The kind of a change-log entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// The resource was created.
    Add,
    /// The resource's content changed.
    Modify,
    /// The resource was deleted (a tombstone).
    Delete,
}

impl ChangeKind {
    pub(crate) fn code(self) -> i64 {
        match self {
            ChangeKind::Add => 1,
            ChangeKind::Modify => 2,
            ChangeKind::Delete => 3,
        }
    }

    pub(crate) fn from_code(code: i64) -> Option<Self> {
        match code {
            1 => Some(ChangeKind::Add),
            2 => Some(ChangeKind::Modify),
            3 => Some(ChangeKind::Delete),
            _ => None,
        }
    }
}

/// One change-log entry. The log keeps only the newest entry per resource name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The sequence number of the change.
    pub seq: i64,
    /// The resource name.
    pub resource_name: String,
    /// What happened last to the resource.
    pub kind: ChangeKind,
    /// When.
    pub at: Millis,
}

/// One page of changes for RFC 6578 sync-collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangePage {
    /// The changes, ordered by sequence.
    pub changes: Vec<Change>,
    /// The token to hand out: the collection's current sequence when `more` is false, else the
    /// sequence of the last returned change (a continuation that loses nothing).
    pub new_seq: i64,
    /// Whether more changes follow `new_seq`.
    pub more: bool,
}

/// The state of an outbox entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    /// Persisted, not yet sent.
    Pending,
    /// Sent at least once; the response has not been applied.
    Sent,
    /// The response was applied; the entry is finished.
    Acked,
    /// Upstream refused the write; the entry is finished.
    Failed,
}

impl OutboxState {
    pub(crate) fn code(self) -> i64 {
        match self {
            OutboxState::Pending => 0,
            OutboxState::Sent => 1,
            OutboxState::Acked => 2,
            OutboxState::Failed => 3,
        }
    }

    pub(crate) fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(OutboxState::Pending),
            1 => Some(OutboxState::Sent),
            2 => Some(OutboxState::Acked),
            3 => Some(OutboxState::Failed),
            _ => None,
        }
    }
}

/// A new outbox entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboxEntry {
    /// The partnership the write belongs to.
    pub partnership_id: PartnershipId,
    /// The folder, if the write concerns one.
    pub folder_id: Option<FolderId>,
    /// The exact request bytes to (re)send.
    pub request: Vec<u8>,
    /// The sync key the request carries (re-sent with the same key after a crash).
    pub sync_key: Option<String>,
    /// The DAV resource name concerned, for correlation.
    pub resource_name: Option<String>,
}

/// A persisted upstream write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Store id (increasing in enqueue order).
    pub id: OutboxId,
    /// The partnership.
    pub partnership_id: PartnershipId,
    /// The folder, if any.
    pub folder_id: Option<FolderId>,
    /// The exact request bytes.
    pub request: Vec<u8>,
    /// The sync key the request carries.
    pub sync_key: Option<String>,
    /// The DAV resource name concerned.
    pub resource_name: Option<String>,
    /// The state.
    pub state: OutboxState,
    /// When it was enqueued.
    pub created_at: Millis,
    /// How often it was sent.
    pub attempts: i64,
    /// When it was last sent.
    pub last_attempt_at: Option<Millis>,
    /// Why it failed, for `Failed` entries.
    pub error: Option<String>,
}

/// What a purge (remote wipe) removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PurgeReport {
    /// Folders removed.
    pub folders: u64,
    /// Items removed.
    pub items: u64,
    /// Outbox entries removed.
    pub outbox: u64,
}
