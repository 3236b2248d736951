//! The SQLite implementation of [`Store`].
//!
//! One writer connection behind a mutex serialises writes (SQLite allows one writer anyway); reads
//! use a small pool of read-only connections that run in WAL mode concurrently with the writer. Every
//! operation is one transaction: writes use `BEGIN IMMEDIATE`, multi-statement reads a deferred
//! transaction so they see one snapshot. An in-memory store has a single connection for both.

mod folders;
mod items;
mod outbox;
mod partnerships;
pub(crate) mod schema;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::api::Store;
use crate::error::{Result, StoreError};
use crate::model::{
    ChangePage, Folder, FolderId, FolderPatch, FolderSyncPage, Item, ItemSummary, Millis, NewFolder, NewOutboxEntry,
    NewPartnership, OutboxEntry, OutboxId, PageOutcome, Partnership, PartnershipId, PartnershipPatch, PurgeReport,
    SyncPage,
};

/// How hard SQLite works to make a commit survive power loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous = FULL`: a committed transaction survives power loss (default).
    #[default]
    Full,
    /// `synchronous = NORMAL`: survives a process crash, the last commits may be lost on power loss.
    Normal,
}

/// Configuration of a [`SqliteStore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteConfig {
    /// How long tombstones are kept for sync tokens (default 30 days).
    pub tombstone_horizon: Duration,
    /// How long a connection waits for a lock before failing (default 5 s).
    pub busy_timeout: Duration,
    /// Commit durability.
    pub durability: Durability,
    /// How many idle read connections are kept (default 4).
    pub max_idle_readers: usize,
}

impl Default for SqliteConfig {
    fn default() -> Self {
        SqliteConfig {
            tombstone_horizon: Duration::from_secs(30 * 24 * 3600),
            busy_timeout: Duration::from_secs(5),
            durability: Durability::Full,
            max_idle_readers: 4,
        }
    }
}

/// The SQLite mirror store.
///
/// # Example
///
/// ```
/// use store::{NewPartnership, SqliteConfig, SqliteStore, Store};
///
/// let store = SqliteStore::open_in_memory(SqliteConfig::default())?;
/// let p = store.create_partnership(&NewPartnership {
///     user_name: "alice".into(),
///     device_id: "EASDAV0001".into(),
///     device_type: "easdav".into(),
///     upstream_url: "https://mail.example/Microsoft-Server-ActiveSync".into(),
/// })?;
/// assert_eq!(store.find_partnership("alice", "EASDAV0001")?, Some(p));
/// # Ok::<(), store::StoreError>(())
/// ```
pub struct SqliteStore {
    writer: Mutex<Connection>,
    readers: Option<ReaderPool>,
    config: SqliteConfig,
}

struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.readers.as_ref().map(|r| &r.path))
            .field("config", &self.config)
            .finish()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) a database file and migrates it to the newest schema.
    ///
    /// # Errors
    /// `Backend` if the file cannot be opened or migrated; `SchemaTooNew` if a newer program wrote it.
    pub fn open(path: impl AsRef<Path>, config: SqliteConfig) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let mut conn = Connection::open(&path).map_err(|e| StoreError::backend("opening database", e))?;
        configure(&conn, &config, true)?;
        schema::migrate(&mut conn)?;
        Ok(SqliteStore {
            writer: Mutex::new(conn),
            readers: Some(ReaderPool {
                path,
                idle: Mutex::new(Vec::new()),
            }),
            config,
        })
    }

    /// Opens a private in-memory database (one connection; for tests and ephemeral use).
    ///
    /// # Errors
    /// `Backend` if SQLite fails.
    pub fn open_in_memory(config: SqliteConfig) -> Result<Self> {
        let mut conn = Connection::open_in_memory().map_err(|e| StoreError::backend("opening database", e))?;
        configure(&conn, &config, false)?;
        schema::migrate(&mut conn)?;
        Ok(SqliteStore {
            writer: Mutex::new(conn),
            readers: None,
            config,
        })
    }

    /// The schema version of the open database.
    ///
    /// # Errors
    /// `Backend` if SQLite fails.
    pub fn schema_version(&self) -> Result<i64> {
        schema::version(&lock(&self.writer))
    }

    /// Runs `f` in a write transaction (`BEGIN IMMEDIATE`); commits if it returns `Ok`.
    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| StoreError::backend("starting write transaction", e))?;
        let value = f(&tx)?;
        tx.commit().map_err(|e| StoreError::backend("committing", e))?;
        Ok(value)
    }

    /// Runs `f` in a read transaction on a pooled read connection (or the single in-memory one).
    fn read<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let Some(pool) = &self.readers else {
            let mut conn = lock(&self.writer);
            let tx = conn
                .transaction()
                .map_err(|e| StoreError::backend("starting read transaction", e))?;
            return f(&tx);
        };
        let pooled = lock(&pool.idle).pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => {
                let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = Connection::open_with_flags(&pool.path, flags)
                    .map_err(|e| StoreError::backend("opening read connection", e))?;
                configure(&conn, &self.config, false)?;
                conn
            }
        };
        let result = {
            let tx = conn
                .transaction()
                .map_err(|e| StoreError::backend("starting read transaction", e))?;
            f(&tx)
        };
        let mut idle = lock(&pool.idle);
        if idle.len() < self.config.max_idle_readers {
            idle.push(conn);
        }
        result
    }
}

/// Locks a mutex; a poisoned lock is recovered because SQLite rolled the transaction back.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn configure(conn: &Connection, config: &SqliteConfig, writer: bool) -> Result<()> {
    conn.busy_timeout(config.busy_timeout)
        .map_err(|e| StoreError::backend("setting busy timeout", e))?;
    let sync = match config.durability {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    let mut pragmas = format!("PRAGMA foreign_keys = ON; PRAGMA synchronous = {sync};");
    if writer {
        pragmas.push_str("PRAGMA journal_mode = WAL;");
    }
    conn.execute_batch(&pragmas)
        .map_err(|e| StoreError::backend("configuring connection", e))
}

/// The current time in Unix milliseconds.
pub(crate) fn now_ms() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Adds context to rusqlite results.
pub(crate) trait Ctx<T> {
    fn ctx(self, context: &'static str) -> Result<T>;
}

impl<T> Ctx<T> for rusqlite::Result<T> {
    fn ctx(self, context: &'static str) -> Result<T> {
        self.map_err(|e| StoreError::backend(context, e))
    }
}

/// Checks a DAV name (resource or collection): non-empty, at most 255 bytes, one path segment.
pub(crate) fn validate_name(what: &str, name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.len() > 255
        || name == "."
        || name == ".."
        || name.contains('/')
        || name.chars().any(char::is_control);
    if bad {
        return Err(StoreError::Invalid(format!(
            "{what} {name:?} is not a single path segment"
        )));
    }
    Ok(())
}

impl Store for SqliteStore {
    fn create_partnership(&self, new: &NewPartnership) -> Result<Partnership> {
        self.write(|tx| partnerships::create(tx, new))
    }

    fn partnership(&self, id: PartnershipId) -> Result<Option<Partnership>> {
        self.read(|tx| partnerships::get(tx, id))
    }

    fn find_partnership(&self, user_name: &str, device_id: &str) -> Result<Option<Partnership>> {
        self.read(|tx| partnerships::find(tx, user_name, device_id))
    }

    fn partnerships_for_user(&self, user_name: &str) -> Result<Vec<Partnership>> {
        self.read(|tx| partnerships::list(tx, Some(user_name)))
    }

    fn list_partnerships(&self) -> Result<Vec<Partnership>> {
        self.read(|tx| partnerships::list(tx, None))
    }

    fn update_partnership(&self, id: PartnershipId, patch: &PartnershipPatch) -> Result<Partnership> {
        self.write(|tx| partnerships::update(tx, id, patch))
    }

    fn record_error(&self, id: PartnershipId, error: Option<&str>) -> Result<()> {
        self.write(|tx| partnerships::record_error(tx, id, error))
    }

    fn lock_partnership(&self, id: PartnershipId, reason: &str) -> Result<()> {
        self.write(|tx| partnerships::lock(tx, id, reason, None))
    }

    fn unlock_partnership(&self, id: PartnershipId) -> Result<()> {
        self.write(|tx| partnerships::unlock(tx, id))
    }

    fn purge_partnership(&self, id: PartnershipId, reason: &str) -> Result<PurgeReport> {
        self.write(|tx| partnerships::purge(tx, id, reason))
    }

    fn apply_folder_sync(&self, partnership: PartnershipId, page: &FolderSyncPage) -> Result<Vec<Folder>> {
        self.write(|tx| folders::apply_folder_sync(tx, partnership, page))
    }

    fn create_folder(&self, partnership: PartnershipId, new: &NewFolder) -> Result<Folder> {
        self.write(|tx| {
            partnerships::writable(tx, partnership)?;
            folders::create(tx, partnership, new)
        })
    }

    fn update_folder(&self, id: FolderId, patch: &FolderPatch) -> Result<Folder> {
        self.write(|tx| folders::update(tx, id, patch))
    }

    fn delete_folder(&self, id: FolderId) -> Result<()> {
        self.write(|tx| folders::delete(tx, id))
    }

    fn folder(&self, id: FolderId) -> Result<Option<Folder>> {
        self.read(|tx| folders::get(tx, id))
    }

    fn folder_by_server_id(&self, partnership: PartnershipId, server_id: &str) -> Result<Option<Folder>> {
        self.read(|tx| folders::find(tx, partnership, "server_id", server_id))
    }

    fn folder_by_collection(&self, partnership: PartnershipId, collection_name: &str) -> Result<Option<Folder>> {
        self.read(|tx| folders::find(tx, partnership, "collection_name", collection_name))
    }

    fn list_folders(&self, partnership: PartnershipId) -> Result<Vec<Folder>> {
        self.read(|tx| folders::list(tx, partnership))
    }

    fn set_sync_key(&self, id: FolderId, sync_key: &str) -> Result<()> {
        self.write(|tx| folders::set_sync_key(tx, id, sync_key))
    }

    fn apply_sync_page(&self, folder: FolderId, page: &SyncPage) -> Result<PageOutcome> {
        self.write(|tx| items::apply_page(tx, folder, page))
    }

    fn begin_resync(&self, folder: FolderId) -> Result<()> {
        self.write(|tx| items::begin_resync(tx, folder))
    }

    fn finish_resync(&self, folder: FolderId) -> Result<u64> {
        self.write(|tx| items::finish_resync(tx, folder))
    }

    fn item_by_resource(&self, folder: FolderId, resource_name: &str) -> Result<Option<Item>> {
        self.read(|tx| items::get_one(tx, folder, "resource_name", resource_name))
    }

    fn item_by_server_id(&self, folder: FolderId, server_id: &str) -> Result<Option<Item>> {
        self.read(|tx| items::get_one(tx, folder, "server_id", server_id))
    }

    fn items_by_uid(&self, folder: FolderId, uid: &str) -> Result<Vec<ItemSummary>> {
        self.read(|tx| items::summaries(tx, folder, Some(uid)))
    }

    fn list_items(&self, folder: FolderId) -> Result<Vec<ItemSummary>> {
        self.read(|tx| items::summaries(tx, folder, None))
    }

    fn get_items(&self, folder: FolderId, resource_names: &[String]) -> Result<Vec<Item>> {
        self.read(|tx| items::get_many(tx, folder, resource_names))
    }

    fn set_rendered(&self, folder: FolderId, resource_name: &str, etag: &str, rendered: &[u8]) -> Result<bool> {
        self.write(|tx| items::set_rendered(tx, folder, resource_name, etag, rendered))
    }

    fn changes_since(&self, folder: FolderId, since: Option<i64>, limit: usize) -> Result<ChangePage> {
        self.read(|tx| items::changes_since(tx, folder, since, limit))
    }

    fn prune_tombstones(&self, cutoff: Millis) -> Result<u64> {
        self.write(|tx| items::prune_tombstones(tx, cutoff))
    }

    fn tombstone_horizon(&self) -> Duration {
        self.config.tombstone_horizon
    }

    fn outbox_enqueue(&self, entry: &NewOutboxEntry) -> Result<OutboxEntry> {
        self.write(|tx| outbox::enqueue(tx, entry))
    }

    fn outbox_mark_sent(&self, id: OutboxId) -> Result<OutboxEntry> {
        self.write(|tx| outbox::mark_sent(tx, id))
    }

    fn outbox_ack(&self, id: OutboxId) -> Result<()> {
        self.write(|tx| outbox::finish(tx, id, None, None))
    }

    fn outbox_fail(&self, id: OutboxId, error: &str) -> Result<()> {
        self.write(|tx| outbox::finish(tx, id, Some(error), None))
    }

    fn outbox_get(&self, id: OutboxId) -> Result<Option<OutboxEntry>> {
        self.read(|tx| outbox::get(tx, id))
    }

    fn outbox_pending(&self, partnership: PartnershipId) -> Result<Vec<OutboxEntry>> {
        self.read(|tx| outbox::pending(tx, partnership))
    }

    fn outbox_prune_finished(&self, cutoff: Millis) -> Result<u64> {
        self.write(|tx| outbox::prune(tx, cutoff))
    }
}
