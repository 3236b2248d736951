//! The mirror store: what easdav knows about each user's upstream account, kept so that DAV reads
//! never wait for upstream and DAV writes are applied exactly once.
//!
//! The store is protocol-agnostic. It holds opaque upstream ids, sync keys and payload bytes
//! (for EAS: ServerIds and ApplicationData WBXML) next to DAV resource names, strong ETags and a
//! per-collection change log for sync tokens and ctags. It never parses any of them and depends on no
//! protocol crate. It is not a cache: caches belong to the engine.
//!
//! Central types:
//! - [`Store`]: the synchronous, object-safe trait the engine and DAV layer use (wrap calls in
//!   `spawn_blocking`); [`SqliteStore`] implements it; a PostgreSQL implementation will follow.
//! - [`SyncPage`]: one upstream response page (item changes, new sync key, outbox acknowledgement)
//!   applied in one transaction.
//! - [`ChangePage`]: the answer to [`Store::changes_since`] for RFC 6578 sync-collection.
//! - [`conformance`]: the behaviour every implementation must show, as reusable test functions.
//!
//! ```
//! use store::*;
//!
//! let store = SqliteStore::open_in_memory(SqliteConfig::default())?;
//! let p = store.create_partnership(&NewPartnership {
//!     user_name: "alice".into(),
//!     device_id: "EASDAV0001".into(),
//!     device_type: "easdav".into(),
//!     upstream_url: "https://mail.example/Microsoft-Server-ActiveSync".into(),
//! })?;
//! let cal = store.create_folder(p.id, &NewFolder {
//!     server_id: "2".into(),
//!     parent_server_id: None,
//!     folder_type: 8,
//!     display_name: "Calendar".into(),
//!     collection_name: None,
//! })?;
//! let page = SyncPage {
//!     new_sync_key: Some("1".into()),
//!     changes: vec![ItemChange::Upsert(UpstreamItem {
//!         server_id: "2:1".into(),
//!         resource_name: "event-1.ics".into(),
//!         payload: b"<wbxml>".to_vec(),
//!         residue: None,
//!         uid: Some("event-1".into()),
//!         rendered: None,
//!     })],
//!     ..SyncPage::default()
//! };
//! let outcome = store.apply_sync_page(cal.id, &page)?;
//! assert_eq!(outcome.applied[0].effect, Effect::Added);
//! let changes = store.changes_since(cal.id, None, 100)?;
//! assert_eq!(changes.changes[0].resource_name, "event-1.ics");
//! assert_eq!(changes.new_seq, outcome.change_seq);
//! # Ok::<(), StoreError>(())
//! ```

mod api;
pub mod conformance;
mod error;
pub mod etag;
mod model;
mod sqlite;

pub use api::Store;
pub use error::{Result, StoreError};
pub use model::*;
pub use sqlite::{Durability, SqliteConfig, SqliteStore};
