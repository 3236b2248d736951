//! The [`Store`] trait: everything the engine and the DAV layer may ask of the mirror store.

use std::time::Duration;

use crate::error::Result;
use crate::model::{
    ChangePage, Folder, FolderId, FolderPatch, FolderSyncPage, Item, ItemSummary, Millis, NewFolder, NewOutboxEntry,
    NewPartnership, OutboxEntry, OutboxId, PageOutcome, Partnership, PartnershipId, PartnershipPatch, PurgeReport,
    SyncPage,
};

/// The mirror store.
///
/// The trait is synchronous and object-safe (`Arc<dyn Store>`); async callers run it through
/// `tokio::task::spawn_blocking`. Every method is one transaction: it either applies completely or
/// changes nothing. Implementations must be usable from many threads at once, and readers must
/// never observe half of a write.
pub trait Store: Send + Sync {
    // ---- partnerships ----

    /// Creates a partnership.
    ///
    /// # Errors
    /// [`AlreadyExists`](crate::StoreError::AlreadyExists) if the (user, device id) pair exists.
    fn create_partnership(&self, new: &NewPartnership) -> Result<Partnership>;
    /// Reads a partnership.
    fn partnership(&self, id: PartnershipId) -> Result<Option<Partnership>>;
    /// Finds a partnership by user name and device id.
    fn find_partnership(&self, user_name: &str, device_id: &str) -> Result<Option<Partnership>>;
    /// Lists the partnerships of a user (oldest first).
    fn partnerships_for_user(&self, user_name: &str) -> Result<Vec<Partnership>>;
    /// Lists all partnerships (oldest first).
    fn list_partnerships(&self) -> Result<Vec<Partnership>>;
    /// Updates fields of a partnership and returns the new state.
    fn update_partnership(&self, id: PartnershipId, patch: &PartnershipPatch) -> Result<Partnership>;
    /// Records (`Some`) or clears (`None`) the last error of a partnership.
    fn record_error(&self, id: PartnershipId, error: Option<&str>) -> Result<()>;
    /// Locks a partnership: DAV access must be refused and item writes fail with `Locked`.
    fn lock_partnership(&self, id: PartnershipId, reason: &str) -> Result<()>;
    /// Unlocks a partnership (operator action); also clears wipe information.
    fn unlock_partnership(&self, id: PartnershipId) -> Result<()>;
    /// Remote wipe: deletes every folder, item, change-log entry and outbox entry of the partnership,
    /// resets its hierarchy sync key and policy key, and locks it with `wiped_at` set.
    fn purge_partnership(&self, id: PartnershipId, reason: &str) -> Result<PurgeReport>;

    // ---- folders ----

    /// Applies one hierarchy sync response atomically (folder adds, updates, deletes and the new
    /// hierarchy key). Returns the partnership's folders afterwards.
    ///
    /// # Errors
    /// [`SyncKeyMismatch`](crate::StoreError::SyncKeyMismatch) if `expected_sync_key` does not hold;
    /// [`Locked`](crate::StoreError::Locked) if the partnership is locked.
    fn apply_folder_sync(&self, partnership: PartnershipId, page: &FolderSyncPage) -> Result<Vec<Folder>>;
    /// Creates one folder (for example after an upstream FolderCreate).
    fn create_folder(&self, partnership: PartnershipId, new: &NewFolder) -> Result<Folder>;
    /// Renames, moves or changes local properties of a folder. Does not change its ctag.
    fn update_folder(&self, id: FolderId, patch: &FolderPatch) -> Result<Folder>;
    /// Deletes a folder with its items and change log; its sync tokens can never become valid again.
    fn delete_folder(&self, id: FolderId) -> Result<()>;
    /// Reads a folder.
    fn folder(&self, id: FolderId) -> Result<Option<Folder>>;
    /// Finds a folder by upstream id.
    fn folder_by_server_id(&self, partnership: PartnershipId, server_id: &str) -> Result<Option<Folder>>;
    /// Finds a folder by DAV collection name.
    fn folder_by_collection(&self, partnership: PartnershipId, collection_name: &str) -> Result<Option<Folder>>;
    /// Lists the folders of a partnership (by id).
    fn list_folders(&self, partnership: PartnershipId) -> Result<Vec<Folder>>;
    /// Sets a folder's sync key without touching items (for example back to `0`).
    fn set_sync_key(&self, id: FolderId, sync_key: &str) -> Result<()>;

    // ---- items ----

    /// Applies one page of item changes, the new sync key and an optional outbox acknowledgement in
    /// one transaction. Items whose content is unchanged keep their ETag and produce no change-log
    /// entry. Every item touched by an upsert is marked seen (see [`Store::begin_resync`]).
    ///
    /// # Errors
    /// `SyncKeyMismatch`, `PreconditionFailed`, `Locked`, `Invalid`; on any error nothing is applied.
    fn apply_sync_page(&self, folder: FolderId, page: &SyncPage) -> Result<PageOutcome>;
    /// Starts a resync from key 0: sets the sync key to `0` and marks every item unseen. Items stay
    /// readable meanwhile.
    fn begin_resync(&self, folder: FolderId) -> Result<()>;
    /// Ends a resync: deletes the items no page has touched since `begin_resync`, with tombstones.
    /// Returns how many were deleted.
    fn finish_resync(&self, folder: FolderId) -> Result<u64>;
    /// Reads an item by DAV resource name.
    fn item_by_resource(&self, folder: FolderId, resource_name: &str) -> Result<Option<Item>>;
    /// Reads an item by upstream id.
    fn item_by_server_id(&self, folder: FolderId, server_id: &str) -> Result<Option<Item>>;
    /// Lists the items of a folder carrying a UID (normally zero or one).
    fn items_by_uid(&self, folder: FolderId, uid: &str) -> Result<Vec<ItemSummary>>;
    /// Lists all items of a folder, without bodies, ordered by resource name.
    fn list_items(&self, folder: FolderId) -> Result<Vec<ItemSummary>>;
    /// Reads the named items (multiget); names that do not exist are left out.
    fn get_items(&self, folder: FolderId, resource_names: &[String]) -> Result<Vec<Item>>;
    /// Stores a rendered cache for an item if its ETag is still `etag`; returns whether it did.
    fn set_rendered(&self, folder: FolderId, resource_name: &str, etag: &str, rendered: &[u8]) -> Result<bool>;

    // ---- change log ----

    /// Changes after `since` (RFC 6578), at most `limit`, ordered by sequence; `since = None` is an
    /// initial sync and lists the live resources only.
    ///
    /// # Errors
    /// [`InvalidSyncToken`](crate::StoreError::InvalidSyncToken) when `since` is older than the
    /// folder's oldest retained sequence or newer than its current one.
    fn changes_since(&self, folder: FolderId, since: Option<i64>, limit: usize) -> Result<ChangePage>;
    /// Deletes tombstones written before `cutoff` and advances each folder's oldest valid sequence.
    /// Returns how many tombstones were deleted.
    fn prune_tombstones(&self, cutoff: Millis) -> Result<u64>;
    /// How long tombstones are kept (configuration).
    fn tombstone_horizon(&self) -> Duration;
    /// Prunes tombstones older than [`Store::tombstone_horizon`] relative to `now`.
    fn prune_expired_tombstones(&self, now: Millis) -> Result<u64> {
        let horizon = i64::try_from(self.tombstone_horizon().as_millis()).unwrap_or(i64::MAX);
        self.prune_tombstones(now.saturating_sub(horizon))
    }

    // ---- outbox ----

    /// Persists an upstream write before it is sent.
    fn outbox_enqueue(&self, entry: &NewOutboxEntry) -> Result<OutboxEntry>;
    /// Records that an entry was sent (state `Sent`, one more attempt).
    fn outbox_mark_sent(&self, id: OutboxId) -> Result<OutboxEntry>;
    /// Marks an entry acknowledged (its response is applied).
    fn outbox_ack(&self, id: OutboxId) -> Result<()>;
    /// Marks an entry failed (upstream refused it).
    fn outbox_fail(&self, id: OutboxId, error: &str) -> Result<()>;
    /// Reads an entry.
    fn outbox_get(&self, id: OutboxId) -> Result<Option<OutboxEntry>>;
    /// Lists the unfinished (pending or sent) entries of a partnership, oldest first.
    fn outbox_pending(&self, partnership: PartnershipId) -> Result<Vec<OutboxEntry>>;
    /// Deletes finished (acked or failed) entries created before `cutoff`; returns how many.
    fn outbox_prune_finished(&self, cutoff: Millis) -> Result<u64>;
}
