//! The outbox of upstream writes.

use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::{folders, now_ms, partnerships, Ctx};
use crate::error::{Result, StoreError};
use crate::model::{FolderId, Millis, NewOutboxEntry, OutboxEntry, OutboxId, OutboxState, PartnershipId};

const COLUMNS: &str =
    "id, partnership_id, folder_id, request, sync_key, resource_name, state, created_at, attempts, last_attempt_at, error";

fn from_row(row: &Row<'_>) -> rusqlite::Result<(OutboxEntry, i64)> {
    let state_code: i64 = row.get(6)?;
    Ok((
        OutboxEntry {
            id: OutboxId(row.get(0)?),
            partnership_id: PartnershipId(row.get(1)?),
            folder_id: row.get::<_, Option<i64>>(2)?.map(FolderId),
            request: row.get(3)?,
            sync_key: row.get(4)?,
            resource_name: row.get(5)?,
            state: OutboxState::Pending,
            created_at: row.get(7)?,
            attempts: row.get(8)?,
            last_attempt_at: row.get(9)?,
            error: row.get(10)?,
        },
        state_code,
    ))
}

fn decode(raw: (OutboxEntry, i64)) -> Result<OutboxEntry> {
    let (mut entry, code) = raw;
    entry.state = OutboxState::from_code(code).ok_or_else(|| StoreError::Corrupt(format!("outbox state {code}")))?;
    Ok(entry)
}

pub(super) fn enqueue(tx: &Transaction<'_>, entry: &NewOutboxEntry) -> Result<OutboxEntry> {
    partnerships::writable(tx, entry.partnership_id)?;
    if let Some(folder) = entry.folder_id {
        let state = folders::writable(tx, folder)?;
        if state.partnership_id != entry.partnership_id {
            return Err(StoreError::Invalid(format!(
                "folder {folder} does not belong to partnership {}",
                entry.partnership_id
            )));
        }
    }
    tx.execute(
        "INSERT INTO outbox (partnership_id, folder_id, request, sync_key, resource_name, state, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            entry.partnership_id.0,
            entry.folder_id.map(|f| f.0),
            entry.request,
            entry.sync_key,
            entry.resource_name,
            OutboxState::Pending.code(),
            now_ms()
        ],
    )
    .ctx("enqueuing outbox entry")?;
    require(tx, OutboxId(tx.last_insert_rowid()))
}

pub(super) fn get(tx: &Transaction<'_>, id: OutboxId) -> Result<Option<OutboxEntry>> {
    let raw = tx
        .prepare_cached(&format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"))
        .ctx("reading outbox entry")?
        .query_row([id.0], from_row)
        .optional()
        .ctx("reading outbox entry")?;
    raw.map(decode).transpose()
}

fn require(tx: &Transaction<'_>, id: OutboxId) -> Result<OutboxEntry> {
    get(tx, id)?.ok_or(StoreError::OutboxNotFound(id))
}

pub(super) fn mark_sent(tx: &Transaction<'_>, id: OutboxId) -> Result<OutboxEntry> {
    let n = tx
        .execute(
            "UPDATE outbox SET state = ?1, attempts = attempts + 1, last_attempt_at = ?2 WHERE id = ?3 AND state IN (?4, ?1)",
            params![OutboxState::Sent.code(), now_ms(), id.0, OutboxState::Pending.code()],
        )
        .ctx("marking outbox entry sent")?;
    if n == 0 {
        let entry = require(tx, id)?;
        return Err(StoreError::Invalid(format!(
            "outbox entry {id} is already {:?}",
            entry.state
        )));
    }
    require(tx, id)
}

/// Finishes an entry: acknowledged (`error == None`) or failed. With `partnership`, the entry must
/// belong to it (used when acknowledging inside a sync page).
pub(super) fn finish(
    tx: &Transaction<'_>,
    id: OutboxId,
    error: Option<&str>,
    partnership: Option<PartnershipId>,
) -> Result<()> {
    let entry = require(tx, id)?;
    if partnership.is_some_and(|p| p != entry.partnership_id) {
        return Err(StoreError::Invalid(format!(
            "outbox entry {id} belongs to another partnership"
        )));
    }
    let state = if error.is_some() {
        OutboxState::Failed
    } else {
        OutboxState::Acked
    };
    tx.execute(
        "UPDATE outbox SET state = ?1, error = ?2 WHERE id = ?3",
        params![state.code(), error, id.0],
    )
    .ctx("finishing outbox entry")?;
    Ok(())
}

pub(super) fn pending(tx: &Transaction<'_>, partnership: PartnershipId) -> Result<Vec<OutboxEntry>> {
    let mut stmt = tx
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM outbox WHERE partnership_id = ?1 AND state IN (?2, ?3) ORDER BY id"
        ))
        .ctx("listing outbox")?;
    let rows = stmt
        .query_map(
            params![partnership.0, OutboxState::Pending.code(), OutboxState::Sent.code()],
            from_row,
        )
        .ctx("listing outbox")?;
    let mut out = Vec::new();
    for row in rows {
        out.push(decode(row.ctx("listing outbox")?)?);
    }
    Ok(out)
}

pub(super) fn prune(tx: &Transaction<'_>, cutoff: Millis) -> Result<u64> {
    let n = tx
        .execute(
            "DELETE FROM outbox WHERE state IN (?1, ?2) AND created_at < ?3",
            params![OutboxState::Acked.code(), OutboxState::Failed.code(), cutoff],
        )
        .ctx("pruning outbox")?;
    Ok(n as u64)
}
