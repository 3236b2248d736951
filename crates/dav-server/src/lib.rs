//! CalDAV/CardDAV HTTP service over a [`Backend`].
//!
//! [`DavServer`] is a hyper 1 service (HTTP/1.1 and HTTP/2 via hyper-util) that resolves the
//! external origin and path prefix, authenticates with HTTP Basic against the backend (cached
//! briefly), keeps every user inside their own paths, and dispatches to one handler per DAV
//! method in [`method`]. It speaks only DAV terms: the sync engine implements [`Backend`] over
//! the mirror store and Exchange; [`memory::MemoryBackend`] implements it in memory for tests
//! and for the `memserve` example. Wire formats live in `dav-proto`; nothing here names an
//! EAS or WBXML type.
//!
//! The URL layout is documented in [`paths`] and `docs/dav.md`.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use dav_server::{memory::MemoryBackend, DavConfig, DavServer};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let backend = Arc::new(MemoryBackend::new());
//! backend.add_user("alice@example.com", "secret");
//! let server = DavServer::new(backend, DavConfig::default());
//! let req = http::Request::builder()
//!     .method("OPTIONS")
//!     .uri("/principals/alice@example.com/")
//!     .body(http_body_util::Full::new(bytes::Bytes::new()))
//!     .unwrap();
//! let resp = server.handle(req, "127.0.0.1:1".parse().unwrap()).await;
//! assert_eq!(resp.status(), 200);
//! assert!(resp.headers()["dav"].to_str().unwrap().contains("calendar-access"));
//! # });
//! ```

pub mod auth;
pub mod backend;
pub mod config;
pub mod conformance;
pub mod error;
pub mod memory;
pub mod method;
pub mod paths;
pub mod props;
pub mod server;

pub use backend::Backend;
pub use config::DavConfig;
pub use error::DavError;
pub use server::DavServer;
