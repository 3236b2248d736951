//! Partnership rows: create, read, update, lock, purge.

use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::{folders, now_ms, Ctx};
use crate::error::{Result, StoreError};
use crate::model::{LockState, NewPartnership, Partnership, PartnershipId, PartnershipPatch, PurgeReport};

const COLUMNS: &str = "id, user_name, device_id, device_type, policy_key, protocol_version, upstream_url, \
    hierarchy_sync_key, policy_settings, locked_at, lock_reason, wiped_at, last_error, last_error_at, created_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Partnership> {
    let locked_at: Option<i64> = row.get(9)?;
    let lock = match locked_at {
        None => LockState::Unlocked,
        Some(since) => LockState::Locked {
            since,
            reason: row.get::<_, Option<String>>(10)?.unwrap_or_default(),
            wiped_at: row.get(11)?,
        },
    };
    Ok(Partnership {
        id: PartnershipId(row.get(0)?),
        user_name: row.get(1)?,
        device_id: row.get(2)?,
        device_type: row.get(3)?,
        policy_key: row.get(4)?,
        protocol_version: row.get(5)?,
        upstream_url: row.get(6)?,
        hierarchy_sync_key: row.get(7)?,
        policy_settings: row.get(8)?,
        lock,
        last_error: row.get(12)?,
        last_error_at: row.get(13)?,
        created_at: row.get(14)?,
    })
}

pub(super) fn create(tx: &Transaction<'_>, new: &NewPartnership) -> Result<Partnership> {
    if new.user_name.is_empty() || new.device_id.is_empty() {
        return Err(StoreError::Invalid("user name and device id must not be empty".into()));
    }
    if find(tx, &new.user_name, &new.device_id)?.is_some() {
        return Err(StoreError::AlreadyExists(format!(
            "partnership of {:?} with device {:?}",
            new.user_name, new.device_id
        )));
    }
    tx.execute(
        "INSERT INTO partnerships (user_name, device_id, device_type, upstream_url, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            new.user_name,
            new.device_id,
            new.device_type,
            new.upstream_url,
            now_ms()
        ],
    )
    .ctx("inserting partnership")?;
    let id = PartnershipId(tx.last_insert_rowid());
    require(tx, id)
}

pub(super) fn get(tx: &Transaction<'_>, id: PartnershipId) -> Result<Option<Partnership>> {
    tx.prepare_cached(&format!("SELECT {COLUMNS} FROM partnerships WHERE id = ?1"))
        .ctx("reading partnership")?
        .query_row([id.0], from_row)
        .optional()
        .ctx("reading partnership")
}

pub(super) fn require(tx: &Transaction<'_>, id: PartnershipId) -> Result<Partnership> {
    get(tx, id)?.ok_or(StoreError::PartnershipNotFound(id))
}

/// Fails with `PartnershipNotFound` or `Locked` unless the partnership may be written to.
pub(super) fn writable(tx: &Transaction<'_>, id: PartnershipId) -> Result<()> {
    let locked: Option<Option<i64>> = tx
        .prepare_cached("SELECT locked_at FROM partnerships WHERE id = ?1")
        .ctx("checking partnership")?
        .query_row([id.0], |r| r.get(0))
        .optional()
        .ctx("checking partnership")?;
    match locked {
        None => Err(StoreError::PartnershipNotFound(id)),
        Some(Some(_)) => Err(StoreError::Locked(id)),
        Some(None) => Ok(()),
    }
}

pub(super) fn find(tx: &Transaction<'_>, user_name: &str, device_id: &str) -> Result<Option<Partnership>> {
    tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM partnerships WHERE user_name = ?1 AND device_id = ?2"
    ))
    .ctx("finding partnership")?
    .query_row([user_name, device_id], from_row)
    .optional()
    .ctx("finding partnership")
}

pub(super) fn list(tx: &Transaction<'_>, user_name: Option<&str>) -> Result<Vec<Partnership>> {
    let sql = match user_name {
        Some(_) => format!("SELECT {COLUMNS} FROM partnerships WHERE user_name = ?1 ORDER BY id"),
        None => format!("SELECT {COLUMNS} FROM partnerships ORDER BY id"),
    };
    let mut stmt = tx.prepare_cached(&sql).ctx("listing partnerships")?;
    let rows = match user_name {
        Some(user) => stmt.query_map([user], from_row),
        None => stmt.query_map([], from_row),
    }
    .ctx("listing partnerships")?;
    rows.collect::<rusqlite::Result<Vec<_>>>().ctx("listing partnerships")
}

pub(super) fn update(tx: &Transaction<'_>, id: PartnershipId, patch: &PartnershipPatch) -> Result<Partnership> {
    require(tx, id)?;
    if let Some(v) = &patch.policy_key {
        tx.execute(
            "UPDATE partnerships SET policy_key = ?1 WHERE id = ?2",
            params![v, id.0],
        )
        .ctx("updating policy key")?;
    }
    if let Some(v) = &patch.protocol_version {
        tx.execute(
            "UPDATE partnerships SET protocol_version = ?1 WHERE id = ?2",
            params![v, id.0],
        )
        .ctx("updating protocol version")?;
    }
    if let Some(v) = &patch.upstream_url {
        tx.execute(
            "UPDATE partnerships SET upstream_url = ?1 WHERE id = ?2",
            params![v, id.0],
        )
        .ctx("updating upstream url")?;
    }
    if let Some(v) = &patch.hierarchy_sync_key {
        tx.execute(
            "UPDATE partnerships SET hierarchy_sync_key = ?1 WHERE id = ?2",
            params![v, id.0],
        )
        .ctx("updating hierarchy sync key")?;
    }
    if let Some(v) = &patch.policy_settings {
        tx.execute(
            "UPDATE partnerships SET policy_settings = ?1 WHERE id = ?2",
            params![v, id.0],
        )
        .ctx("updating policy settings")?;
    }
    require(tx, id)
}

pub(super) fn record_error(tx: &Transaction<'_>, id: PartnershipId, error: Option<&str>) -> Result<()> {
    let at = error.map(|_| now_ms());
    let n = tx
        .execute(
            "UPDATE partnerships SET last_error = ?1, last_error_at = ?2 WHERE id = ?3",
            params![error, at, id.0],
        )
        .ctx("recording error")?;
    if n == 0 {
        return Err(StoreError::PartnershipNotFound(id));
    }
    Ok(())
}

pub(super) fn lock(tx: &Transaction<'_>, id: PartnershipId, reason: &str, wiped_at: Option<i64>) -> Result<()> {
    let n = tx
        .execute(
            "UPDATE partnerships SET locked_at = ?1, lock_reason = ?2, wiped_at = coalesce(?3, wiped_at) WHERE id = ?4",
            params![now_ms(), reason, wiped_at, id.0],
        )
        .ctx("locking partnership")?;
    if n == 0 {
        return Err(StoreError::PartnershipNotFound(id));
    }
    Ok(())
}

pub(super) fn unlock(tx: &Transaction<'_>, id: PartnershipId) -> Result<()> {
    let n = tx
        .execute(
            "UPDATE partnerships SET locked_at = NULL, lock_reason = NULL, wiped_at = NULL WHERE id = ?1",
            [id.0],
        )
        .ctx("unlocking partnership")?;
    if n == 0 {
        return Err(StoreError::PartnershipNotFound(id));
    }
    Ok(())
}

pub(super) fn purge(tx: &Transaction<'_>, id: PartnershipId, reason: &str) -> Result<PurgeReport> {
    require(tx, id)?;
    let items: i64 = tx
        .query_row(
            "SELECT count(*) FROM items WHERE folder_id IN (SELECT id FROM folders WHERE partnership_id = ?1)",
            [id.0],
            |r| r.get(0),
        )
        .ctx("counting items")?;
    let outbox = tx
        .execute("DELETE FROM outbox WHERE partnership_id = ?1", [id.0])
        .ctx("purging outbox")?;
    let folder_ids = folders::ids(tx, id)?;
    for folder in &folder_ids {
        folders::delete(tx, *folder)?;
    }
    tx.execute(
        "UPDATE partnerships SET hierarchy_sync_key = '0', policy_key = NULL WHERE id = ?1",
        [id.0],
    )
    .ctx("resetting partnership")?;
    lock(tx, id, reason, Some(now_ms()))?;
    Ok(PurgeReport {
        folders: folder_ids.len() as u64,
        items: u64::try_from(items).unwrap_or(0),
        outbox: outbox as u64,
    })
}
