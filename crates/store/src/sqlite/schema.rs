//! The SQLite schema and its ordered migrations.
//!
//! `schema_version` holds one row with the number of applied migrations. Each migration runs in its
//! own transaction together with the version bump, so a crash leaves either the old or the new
//! version. Migrations are never edited once released; changes go into a new entry.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::error::{Result, StoreError};

/// The migrations, in order; the schema version is the number applied.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: partnerships, folders, items, change log.
    r#"
    CREATE TABLE store_meta (
        key   TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    );
    INSERT INTO store_meta (key, value) VALUES ('seq_floor', 0);

    CREATE TABLE partnerships (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        user_name          TEXT NOT NULL,
        device_id          TEXT NOT NULL,
        device_type        TEXT NOT NULL,
        policy_key         TEXT,
        protocol_version   TEXT,
        upstream_url       TEXT NOT NULL,
        hierarchy_sync_key TEXT NOT NULL DEFAULT '0',
        policy_settings    TEXT,
        locked_at          INTEGER,
        lock_reason        TEXT,
        wiped_at           INTEGER,
        last_error         TEXT,
        last_error_at      INTEGER,
        created_at         INTEGER NOT NULL,
        UNIQUE (user_name, device_id)
    );

    CREATE TABLE folders (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        partnership_id   INTEGER NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
        server_id        TEXT NOT NULL,
        parent_server_id TEXT,
        folder_type      INTEGER NOT NULL,
        display_name     TEXT NOT NULL,
        sync_key         TEXT NOT NULL DEFAULT '0',
        last_sync_at     INTEGER,
        color            TEXT,
        description      TEXT,
        sort_order       INTEGER,
        collection_name  TEXT NOT NULL,
        change_seq       INTEGER NOT NULL,
        oldest_seq       INTEGER NOT NULL,
        resyncing        INTEGER NOT NULL DEFAULT 0,
        created_at       INTEGER NOT NULL,
        UNIQUE (partnership_id, server_id),
        UNIQUE (partnership_id, collection_name)
    );

    CREATE TABLE items (
        id            INTEGER PRIMARY KEY,
        folder_id     INTEGER NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
        server_id     TEXT NOT NULL,
        resource_name TEXT NOT NULL,
        etag          TEXT NOT NULL,
        payload       BLOB NOT NULL,
        residue       BLOB NOT NULL,
        rendered      BLOB,
        uid           TEXT,
        last_modified INTEGER NOT NULL,
        seen          INTEGER NOT NULL DEFAULT 1,
        UNIQUE (folder_id, resource_name),
        UNIQUE (folder_id, server_id)
    );
    CREATE INDEX items_uid ON items (folder_id, uid) WHERE uid IS NOT NULL;

    -- One row per resource name: the newest change. Tombstones are rows with kind 3.
    CREATE TABLE changes (
        folder_id     INTEGER NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
        resource_name TEXT NOT NULL,
        seq           INTEGER NOT NULL,
        kind          INTEGER NOT NULL,
        at            INTEGER NOT NULL,
        PRIMARY KEY (folder_id, resource_name)
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX changes_seq ON changes (folder_id, seq);
    "#,
    // 2: the outbox of upstream writes, and an index for tombstone pruning.
    r#"
    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        partnership_id  INTEGER NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
        folder_id       INTEGER REFERENCES folders (id) ON DELETE CASCADE,
        request         BLOB NOT NULL,
        sync_key        TEXT,
        resource_name   TEXT,
        state           INTEGER NOT NULL DEFAULT 0,
        created_at      INTEGER NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        last_attempt_at INTEGER,
        error           TEXT
    );
    CREATE INDEX outbox_open ON outbox (partnership_id, state, id);
    CREATE INDEX changes_tombstones ON changes (kind, at) WHERE kind = 3;
    "#,
    // 3: UID look-ups ordered by resource name: the partial UID index lost to the (folder_id,
    // resource_name) index that avoids the sort, turning a look-up into a folder scan.
    r#"
    DROP INDEX items_uid;
    CREATE INDEX items_uid ON items (folder_id, uid, resource_name);
    "#,
];

/// Brings the database up to the newest schema version; returns the version reached.
pub(crate) fn migrate(conn: &mut Connection) -> Result<i64> {
    migrate_to(conn, MIGRATIONS.len())
}

/// Applies migrations up to `target` (a count); used by the upgrade tests.
pub(crate) fn migrate_to(conn: &mut Connection, target: usize) -> Result<i64> {
    let supported = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .map_err(|e| StoreError::backend("creating schema_version", e))?;
    loop {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| StoreError::backend("starting migration", e))?;
        let current: Option<i64> = tx
            .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
            .optional()
            .map_err(|e| StoreError::backend("reading schema version", e))?;
        let current = current.unwrap_or(0);
        if current > supported {
            return Err(StoreError::SchemaTooNew {
                found: current,
                supported,
            });
        }
        let index = usize::try_from(current).map_err(|_| StoreError::Corrupt(format!("schema version {current}")))?;
        if index >= target.min(MIGRATIONS.len()) {
            return Ok(current);
        }
        let Some(sql) = MIGRATIONS.get(index) else {
            return Ok(current);
        };
        tx.execute_batch(sql)
            .map_err(|e| StoreError::backend("applying migration", e))?;
        tx.execute("DELETE FROM schema_version", [])
            .map_err(|e| StoreError::backend("bumping schema version", e))?;
        tx.execute("INSERT INTO schema_version (version) VALUES (?1)", [current + 1])
            .map_err(|e| StoreError::backend("bumping schema version", e))?;
        tx.commit()
            .map_err(|e| StoreError::backend("committing migration", e))?;
    }
}

/// Reads the schema version (0 for an empty database).
pub(crate) fn version(conn: &Connection) -> Result<i64> {
    let exists: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)
        .map_err(|e| StoreError::backend("reading schema version", e))?;
    if !exists {
        return Ok(0);
    }
    let v: Option<i64> = conn
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .optional()
        .map_err(|e| StoreError::backend("reading schema version", e))?;
    Ok(v.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::{migrate, migrate_to, version, MIGRATIONS};
    use crate::{NewOutboxEntry, SqliteConfig, SqliteStore, Store, StoreError};

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn empty_database_reaches_the_newest_version_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(version(&conn).unwrap(), 0);
        assert_eq!(migrate(&mut conn).unwrap(), MIGRATIONS.len() as i64);
        let names = tables(&conn);
        for t in [
            "changes",
            "folders",
            "items",
            "outbox",
            "partnerships",
            "schema_version",
            "store_meta",
        ] {
            assert!(names.iter().any(|n| n == t), "missing table {t}: {names:?}");
        }
        // Running again changes nothing and keeps one version row.
        assert_eq!(migrate(&mut conn).unwrap(), MIGRATIONS.len() as i64);
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1);
    }

    #[test]
    fn version_1_file_with_data_upgrades_and_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        {
            let mut conn = Connection::open(&path).unwrap();
            assert_eq!(migrate_to(&mut conn, 1).unwrap(), 1);
            assert!(!tables(&conn).iter().any(|t| t == "outbox"));
            conn.execute_batch(
                "INSERT INTO partnerships (user_name, device_id, device_type, upstream_url, created_at) \
                 VALUES ('alice', 'D1', 'easdav', 'https://x.invalid', 1);
                 INSERT INTO folders (partnership_id, server_id, folder_type, display_name, collection_name, \
                 change_seq, oldest_seq, created_at) VALUES (1, '1', 8, 'Calendar', 'calendar', 1, 1, 1);",
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path, SqliteConfig::default()).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let p = store
            .find_partnership("alice", "D1")
            .unwrap()
            .expect("partnership kept");
        let f = store
            .folder_by_collection(p.id, "calendar")
            .unwrap()
            .expect("folder kept");
        let entry = NewOutboxEntry {
            partnership_id: p.id,
            folder_id: Some(f.id),
            request: vec![1],
            sync_key: None,
            resource_name: None,
        };
        store.outbox_enqueue(&entry).expect("the new table works");
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.sqlite3");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate(&mut conn).unwrap();
            conn.execute("UPDATE schema_version SET version = 99", []).unwrap();
        }
        match SqliteStore::open(&path, SqliteConfig::default()) {
            Err(StoreError::SchemaTooNew { found, supported }) => {
                assert_eq!((found, supported), (99, MIGRATIONS.len() as i64));
            }
            other => panic!("expected SchemaTooNew, got {other:?}"),
        }
    }

    #[test]
    fn lookups_use_indexes() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        let plan = |sql: &str| -> String {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let rows: Vec<String> = stmt
                .query_map([], |r| r.get(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            rows.join("; ")
        };
        let uid = plan(
            "SELECT server_id, resource_name, etag, uid, last_modified, length(rendered) FROM items \
             WHERE folder_id = 1 AND uid = 'u' ORDER BY resource_name",
        );
        assert!(uid.contains("INDEX items_uid"), "{uid}");
        assert!(!uid.contains("TEMP B-TREE"), "{uid}");
        let since = plan("SELECT seq FROM changes WHERE folder_id = 1 AND seq > 5 AND seq <= 9 ORDER BY seq LIMIT 10");
        assert!(
            since.contains("USING INDEX changes_seq") || since.contains("USING COVERING INDEX changes_seq"),
            "{since}"
        );
        let sid = plan("SELECT etag FROM items WHERE folder_id = 1 AND server_id = 's'");
        assert!(sid.contains("USING INDEX"), "{sid}");
    }

    #[test]
    fn file_database_uses_wal_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.sqlite3");
        let store = SqliteStore::open(&path, SqliteConfig::default()).unwrap();
        drop(store);
        let conn = Connection::open(&path).unwrap();
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let store = SqliteStore::open(&path, SqliteConfig::default()).unwrap();
        let fk: i64 = store
            .writer
            .lock()
            .unwrap()
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
    }
}
