//! The sync engine: a persistent per-user mirror of Exchange ActiveSync calendar, contacts and
//! tasks folders, kept fresh by Ping push and a staleness bound on reads, with crash-safe
//! write-through of DAV changes — and the `dav_server::Backend` implementation over it.
//!
//! Deliberately not here: HTTP serving (`dav-server`), the EAS wire client (`eas-client`), the
//! iCalendar/vCard mapping (`mapping`), persistence (`store`), configuration files (the binary).
//!
//! Central types:
//! - [`Engine`]: one per installation; [`Engine::new`], [`Engine::dav_backend`],
//!   [`Engine::shutdown`] and the operator functions [`Engine::accounts`], [`Engine::unlock`],
//!   [`Engine::purge`], [`Engine::force_resync`].
//! - [`EngineConfig`]: typed settings (upstream URL, version pin, device type, window size,
//!   staleness, heartbeat bounds, idle time, [`ConflictPolicy`], policy ack, horizons).
//! - [`DavBackend`]: the DAV backend (collections = mirrored folders, resources rendered with
//!   `mapping`, change feed = store change log, writes = write-through).
//! - [`EngineError`]: typed failures, converted to `BackendError` once.
//!
//! How it works, per user (one partnership, stable DeviceId = prefix + hash(installation, user)):
//! the first verified login provisions, replays any pending outbox entries, runs FolderSync and
//! starts a Ping loop that first brings every folder up to date (Sync from key 0 with
//! WindowSize pages, each page committed atomically with its new key). Ping results sync exactly
//! the changed folders. A write is mapped, persisted in the outbox (exact request + sync key),
//! sent, and committed with the new key in one store transaction; after a crash the entry is
//! re-sent with the same key, which Exchange treats as a retry, so it applies exactly once.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use std::sync::Arc;
//! use sync_engine::{Engine, EngineConfig};
//!
//! let store = store::SqliteStore::open_in_memory(store::SqliteConfig::default()).unwrap();
//! let engine = Engine::new(Arc::new(store), EngineConfig::new("http://127.0.0.1:9/Microsoft-Server-ActiveSync"));
//! let backend = engine.dav_backend();
//! let _server = dav_server::DavServer::new(Arc::new(backend), dav_server::DavConfig::default());
//! engine.shutdown().await;
//! # });
//! ```

mod account;
mod config;
mod dav_backend;
mod engine;
mod error;
mod push;
mod sync;
mod write;

pub use config::{ConflictPolicy, EngineConfig};
pub use dav_backend::DavBackend;
pub use engine::{AccountReport, Engine, FolderReport};
pub use error::{EngineError, Result};
pub use write::{WriteOp, WriteResult};
