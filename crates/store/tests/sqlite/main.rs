//! SQLite store tests: the conformance suite on an in-memory and a file database, plus what only a
//! file database can show (persistence, concurrent readers, kill -9 atomicity).

mod concurrency;
mod convergence;
mod crash;

use store::{SqliteConfig, SqliteStore, Store};

/// A file-backed store that deletes its directory when dropped.
pub struct FileStore {
    pub store: SqliteStore,
    pub dir: tempfile::TempDir,
}

impl AsRef<dyn Store> for FileStore {
    fn as_ref(&self) -> &(dyn Store + 'static) {
        &self.store
    }
}

pub fn file_store() -> FileStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("mirror.sqlite3"), SqliteConfig::default()).expect("open");
    FileStore { store, dir }
}

mod memory {
    use store::{SqliteConfig, SqliteStore, Store};

    store::store_conformance_tests!(|| {
        Box::new(SqliteStore::open_in_memory(SqliteConfig::default()).expect("open")) as Box<dyn Store>
    });
}

mod file {
    store::store_conformance_tests!(super::file_store);
}
