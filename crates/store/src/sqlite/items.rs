//! Items and the change log: sync pages, resync reconciliation, lookups, RFC 6578 changes.
//!
//! The change log keeps one row per resource name: the newest change to it, with its sequence.
//! Writing a change replaces the resource's row, so `changes_since` never reports a resource twice
//! and the log stays as large as the collection plus its tombstones.

use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::{folders, now_ms, outbox, validate_name, Ctx};
use crate::error::{Result, StoreError};
use crate::etag;
use crate::model::{
    Applied, Change, ChangeKind, ChangePage, Effect, FolderId, Item, ItemChange, ItemSummary, LocalWrite, Millis,
    PageOutcome, Precondition, SyncPage, UpstreamItem,
};

const ITEM_COLUMNS: &str = "folder_id, server_id, resource_name, etag, payload, residue, rendered, uid, last_modified";

fn item_from_row(row: &Row<'_>) -> rusqlite::Result<Item> {
    Ok(Item {
        folder_id: FolderId(row.get(0)?),
        server_id: row.get(1)?,
        resource_name: row.get(2)?,
        etag: row.get(3)?,
        payload: row.get(4)?,
        residue: row.get(5)?,
        rendered: row.get(6)?,
        uid: row.get(7)?,
        last_modified: row.get(8)?,
    })
}

/// The stored state of one item, as the write paths need it.
struct Existing {
    rowid: i64,
    server_id: String,
    resource_name: String,
    etag: String,
    residue: Vec<u8>,
    seen: bool,
}

fn existing_by(tx: &Transaction<'_>, folder: FolderId, column: &'static str, value: &str) -> Result<Option<Existing>> {
    let sql = format!(
        "SELECT id, server_id, resource_name, etag, residue, seen FROM items WHERE folder_id = ?1 AND {column} = ?2"
    );
    tx.prepare_cached(&sql)
        .ctx("reading item")?
        .query_row(params![folder.0, value], |r| {
            Ok(Existing {
                rowid: r.get(0)?,
                server_id: r.get(1)?,
                resource_name: r.get(2)?,
                etag: r.get(3)?,
                residue: r.get(4)?,
                seen: r.get::<_, i64>(5)? != 0,
            })
        })
        .optional()
        .ctx("reading item")
}

/// Hands out change sequences within one write transaction.
struct Log<'a> {
    tx: &'a Transaction<'a>,
    folder: FolderId,
    seq: i64,
    now: Millis,
}

impl Log<'_> {
    fn record(&mut self, resource_name: &str, kind: ChangeKind) -> Result<()> {
        self.seq = self
            .seq
            .checked_add(1)
            .ok_or_else(|| StoreError::Corrupt("change sequence overflow".into()))?;
        self.tx
            .prepare_cached(
                "INSERT INTO changes (folder_id, resource_name, seq, kind, at) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (folder_id, resource_name) DO UPDATE \
                 SET seq = excluded.seq, kind = excluded.kind, at = excluded.at",
            )
            .ctx("writing change log")?
            .execute(params![self.folder.0, resource_name, self.seq, kind.code(), self.now])
            .ctx("writing change log")?;
        Ok(())
    }

    fn delete_item(&mut self, rowid: i64, resource_name: &str) -> Result<()> {
        self.tx
            .prepare_cached("DELETE FROM items WHERE id = ?1")
            .ctx("deleting item")?
            .execute([rowid])
            .ctx("deleting item")?;
        self.record(resource_name, ChangeKind::Delete)
    }
}

pub(super) fn apply_page(tx: &Transaction<'_>, folder: FolderId, page: &SyncPage) -> Result<PageOutcome> {
    let state = folders::writable(tx, folder)?;
    if let Some(expected) = &page.expected_sync_key {
        if expected != &state.sync_key {
            return Err(StoreError::SyncKeyMismatch {
                expected: expected.clone(),
                stored: state.sync_key,
            });
        }
    }
    let now = now_ms();
    let mut log = Log {
        tx,
        folder,
        seq: state.change_seq,
        now,
    };
    let mut applied = Vec::with_capacity(page.changes.len());
    for change in &page.changes {
        let result = match change {
            ItemChange::Upsert(item) => upsert(&mut log, item)?,
            ItemChange::Delete { server_id } => match existing_by(tx, folder, "server_id", server_id)? {
                Some(old) => {
                    log.delete_item(old.rowid, &old.resource_name)?;
                    applied_one(Some(old.resource_name), Some(old.server_id), None, Effect::Deleted)
                }
                None => applied_one(None, Some(server_id.clone()), None, Effect::Missing),
            },
            ItemChange::Put(write) => put(&mut log, write)?,
            ItemChange::Remove {
                resource_name,
                precondition,
            } => {
                let old = existing_by(tx, folder, "resource_name", resource_name)?;
                check_precondition(resource_name, precondition, old.as_ref())?;
                match old {
                    Some(old) => {
                        log.delete_item(old.rowid, &old.resource_name)?;
                        applied_one(Some(old.resource_name), Some(old.server_id), None, Effect::Deleted)
                    }
                    None => applied_one(Some(resource_name.clone()), None, None, Effect::Missing),
                }
            }
        };
        applied.push(result);
    }
    if log.seq != state.change_seq {
        tx.prepare_cached("UPDATE folders SET change_seq = ?1 WHERE id = ?2")
            .ctx("updating change sequence")?
            .execute(params![log.seq, folder.0])
            .ctx("updating change sequence")?;
    }
    if let Some(key) = &page.new_sync_key {
        tx.prepare_cached("UPDATE folders SET sync_key = ?1, last_sync_at = ?2 WHERE id = ?3")
            .ctx("updating sync key")?
            .execute(params![key, now, folder.0])
            .ctx("updating sync key")?;
    }
    if let Some(id) = page.ack_outbox {
        outbox::finish(tx, id, None, Some(state.partnership_id))?;
    }
    Ok(PageOutcome {
        applied,
        change_seq: log.seq,
    })
}

fn applied_one(
    resource_name: Option<String>,
    server_id: Option<String>,
    etag: Option<String>,
    effect: Effect,
) -> Applied {
    Applied {
        resource_name,
        server_id,
        etag,
        effect,
    }
}

/// An upstream add or change, matched by server id; during a resync an unseen item with the same
/// UID is adopted instead of creating a duplicate (the upstream id changed, the object did not).
fn upsert(log: &mut Log<'_>, item: &UpstreamItem) -> Result<Applied> {
    let tx = log.tx;
    if item.server_id.is_empty() {
        return Err(StoreError::Invalid("item server id must not be empty".into()));
    }
    validate_name("resource name", &item.resource_name)?;
    let mut old = existing_by(tx, log.folder, "server_id", &item.server_id)?;
    if old.is_none() {
        if let Some(uid) = &item.uid {
            old = unseen_by_uid(tx, log.folder, uid)?;
        }
    }
    let Some(old) = old else {
        let residue = item.residue.clone().unwrap_or_default();
        let etag = etag::compute(&item.payload, &residue);
        let name = unique_resource_name(tx, log.folder, &item.resource_name)?;
        insert(
            log,
            &name,
            &item.server_id,
            &item.payload,
            &residue,
            item.uid.as_deref(),
            item.rendered.as_deref(),
            &etag,
        )?;
        return Ok(applied_one(
            Some(name),
            Some(item.server_id.clone()),
            Some(etag),
            Effect::Added,
        ));
    };
    let residue = item.residue.as_deref().unwrap_or(&old.residue);
    let etag = etag::compute(&item.payload, residue);
    if etag == old.etag {
        if !old.seen || old.server_id != item.server_id {
            tx.prepare_cached("UPDATE items SET seen = 1, server_id = ?1 WHERE id = ?2")
                .ctx("marking item seen")?
                .execute(params![item.server_id, old.rowid])
                .ctx("marking item seen")?;
        }
        return Ok(applied_one(
            Some(old.resource_name),
            Some(item.server_id.clone()),
            Some(etag),
            Effect::Unchanged,
        ));
    }
    let residue = residue.to_vec();
    update(
        log,
        old.rowid,
        &old.resource_name,
        &item.server_id,
        &item.payload,
        &residue,
        item.uid.as_deref(),
        item.rendered.as_deref(),
        &etag,
    )?;
    Ok(applied_one(
        Some(old.resource_name),
        Some(item.server_id.clone()),
        Some(etag),
        Effect::Modified,
    ))
}

/// A local write accepted upstream, matched by resource name.
fn put(log: &mut Log<'_>, write: &LocalWrite) -> Result<Applied> {
    let tx = log.tx;
    if write.server_id.is_empty() {
        return Err(StoreError::Invalid("item server id must not be empty".into()));
    }
    validate_name("resource name", &write.resource_name)?;
    let old = existing_by(tx, log.folder, "resource_name", &write.resource_name)?;
    check_precondition(&write.resource_name, &write.precondition, old.as_ref())?;
    // If upstream already delivered this server id under another name, the client's name wins.
    if let Some(other) = existing_by(tx, log.folder, "server_id", &write.server_id)? {
        if other.resource_name != write.resource_name {
            log.delete_item(other.rowid, &other.resource_name)?;
        }
    }
    let etag = etag::compute(&write.payload, &write.residue);
    let uid = write.uid.as_deref();
    let rendered = write.rendered.as_deref();
    match old {
        None => {
            insert(
                log,
                &write.resource_name,
                &write.server_id,
                &write.payload,
                &write.residue,
                uid,
                rendered,
                &etag,
            )?;
            Ok(applied_one(
                Some(write.resource_name.clone()),
                Some(write.server_id.clone()),
                Some(etag),
                Effect::Added,
            ))
        }
        Some(old) if old.etag == etag && old.server_id == write.server_id => {
            tx.execute("UPDATE items SET seen = 1 WHERE id = ?1", [old.rowid])
                .ctx("marking item seen")?;
            Ok(applied_one(
                Some(old.resource_name),
                Some(old.server_id),
                Some(etag),
                Effect::Unchanged,
            ))
        }
        Some(old) => {
            update(
                log,
                old.rowid,
                &old.resource_name,
                &write.server_id,
                &write.payload,
                &write.residue,
                uid,
                rendered,
                &etag,
            )?;
            Ok(applied_one(
                Some(old.resource_name),
                Some(write.server_id.clone()),
                Some(etag),
                Effect::Modified,
            ))
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn insert(
    log: &mut Log<'_>,
    name: &str,
    server_id: &str,
    payload: &[u8],
    residue: &[u8],
    uid: Option<&str>,
    rendered: Option<&[u8]>,
    etag: &str,
) -> Result<()> {
    log.tx
        .prepare_cached(
            "INSERT INTO items (folder_id, server_id, resource_name, etag, payload, residue, rendered, uid, \
             last_modified, seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1)",
        )
        .ctx("inserting item")?
        .execute(params![
            log.folder.0,
            server_id,
            name,
            etag,
            payload,
            residue,
            rendered,
            uid,
            log.now
        ])
        .ctx("inserting item")?;
    log.record(name, ChangeKind::Add)
}

#[allow(clippy::too_many_arguments)]
fn update(
    log: &mut Log<'_>,
    rowid: i64,
    name: &str,
    server_id: &str,
    payload: &[u8],
    residue: &[u8],
    uid: Option<&str>,
    rendered: Option<&[u8]>,
    etag: &str,
) -> Result<()> {
    log.tx
        .prepare_cached(
            "UPDATE items SET server_id = ?1, etag = ?2, payload = ?3, residue = ?4, rendered = ?5, uid = ?6, \
             last_modified = ?7, seen = 1 WHERE id = ?8",
        )
        .ctx("updating item")?
        .execute(params![
            server_id, etag, payload, residue, rendered, uid, log.now, rowid
        ])
        .ctx("updating item")?;
    log.record(name, ChangeKind::Modify)
}

fn unseen_by_uid(tx: &Transaction<'_>, folder: FolderId, uid: &str) -> Result<Option<Existing>> {
    tx.prepare_cached(
        "SELECT id, server_id, resource_name, etag, residue FROM items \
         WHERE folder_id = ?1 AND uid = ?2 AND seen = 0 ORDER BY id LIMIT 1",
    )
    .ctx("reading item by uid")?
    .query_row(params![folder.0, uid], |r| {
        Ok(Existing {
            rowid: r.get(0)?,
            server_id: r.get(1)?,
            resource_name: r.get(2)?,
            etag: r.get(3)?,
            residue: r.get(4)?,
            seen: false,
        })
    })
    .optional()
    .ctx("reading item by uid")
}

fn check_precondition(name: &str, precondition: &Precondition, old: Option<&Existing>) -> Result<()> {
    let ok = match (precondition, old) {
        (Precondition::None, _) => true,
        (Precondition::MustNotExist, existing) => existing.is_none(),
        (Precondition::IfMatch(etag), Some(existing)) => &existing.etag == etag,
        (Precondition::IfMatch(_), None) => false,
    };
    if ok {
        return Ok(());
    }
    Err(StoreError::PreconditionFailed {
        resource_name: name.to_owned(),
        current: old.map(|o| o.etag.clone()),
    })
}

/// `hint` if free, else `hint` with `-2`, `-3`, … inserted before the extension.
fn unique_resource_name(tx: &Transaction<'_>, folder: FolderId, hint: &str) -> Result<String> {
    let (stem, ext) = match hint.rfind('.') {
        Some(dot) if dot > 0 => hint.split_at(dot),
        _ => (hint, ""),
    };
    let mut stmt = tx
        .prepare_cached("SELECT 1 FROM items WHERE folder_id = ?1 AND resource_name = ?2")
        .ctx("checking resource name")?;
    for n in 1..=10_000u32 {
        let candidate = if n == 1 {
            hint.to_owned()
        } else {
            format!("{stem}-{n}{ext}")
        };
        let taken = stmt
            .exists(params![folder.0, candidate])
            .ctx("checking resource name")?;
        if !taken {
            return Ok(candidate);
        }
    }
    Err(StoreError::Invalid(format!("no free resource name for {hint:?}")))
}

pub(super) fn begin_resync(tx: &Transaction<'_>, folder: FolderId) -> Result<()> {
    folders::writable(tx, folder)?;
    tx.execute("UPDATE items SET seen = 0 WHERE folder_id = ?1", [folder.0])
        .ctx("marking items unseen")?;
    tx.execute(
        "UPDATE folders SET sync_key = '0', resyncing = 1 WHERE id = ?1",
        [folder.0],
    )
    .ctx("starting resync")?;
    Ok(())
}

pub(super) fn finish_resync(tx: &Transaction<'_>, folder: FolderId) -> Result<u64> {
    let state = folders::writable(tx, folder)?;
    let unseen: Vec<(i64, String)> = {
        let mut stmt = tx
            .prepare_cached("SELECT id, resource_name FROM items WHERE folder_id = ?1 AND seen = 0 ORDER BY id")
            .ctx("listing unseen items")?;
        let rows = stmt
            .query_map([folder.0], |r| Ok((r.get(0)?, r.get(1)?)))
            .ctx("listing unseen items")?;
        rows.collect::<rusqlite::Result<_>>().ctx("listing unseen items")?
    };
    let mut log = Log {
        tx,
        folder,
        seq: state.change_seq,
        now: now_ms(),
    };
    for (rowid, name) in &unseen {
        log.delete_item(*rowid, name)?;
    }
    tx.execute(
        "UPDATE folders SET change_seq = ?1, resyncing = 0 WHERE id = ?2",
        params![log.seq, folder.0],
    )
    .ctx("finishing resync")?;
    Ok(unseen.len() as u64)
}

/// Reads one item by `resource_name` or `server_id` (the only values `column` takes).
pub(super) fn get_one(
    tx: &Transaction<'_>,
    folder: FolderId,
    column: &'static str,
    value: &str,
) -> Result<Option<Item>> {
    tx.prepare_cached(&format!(
        "SELECT {ITEM_COLUMNS} FROM items WHERE folder_id = ?1 AND {column} = ?2"
    ))
    .ctx("reading item")?
    .query_row(params![folder.0, value], item_from_row)
    .optional()
    .ctx("reading item")
}

pub(super) fn get_many(tx: &Transaction<'_>, folder: FolderId, names: &[String]) -> Result<Vec<Item>> {
    let mut stmt = tx
        .prepare_cached(&format!(
            "SELECT {ITEM_COLUMNS} FROM items WHERE folder_id = ?1 AND resource_name = ?2"
        ))
        .ctx("reading items")?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        if let Some(item) = stmt
            .query_row(params![folder.0, name], item_from_row)
            .optional()
            .ctx("reading items")?
        {
            out.push(item);
        }
    }
    Ok(out)
}

pub(super) fn summaries(tx: &Transaction<'_>, folder: FolderId, uid: Option<&str>) -> Result<Vec<ItemSummary>> {
    let base = "SELECT server_id, resource_name, etag, uid, last_modified, length(rendered) FROM items \
                WHERE folder_id = ?1";
    let sql = match uid {
        Some(_) => format!("{base} AND uid = ?2 ORDER BY resource_name"),
        None => format!("{base} ORDER BY resource_name"),
    };
    let mut stmt = tx.prepare_cached(&sql).ctx("listing items")?;
    let map = |r: &Row<'_>| {
        Ok(ItemSummary {
            server_id: r.get(0)?,
            resource_name: r.get(1)?,
            etag: r.get(2)?,
            uid: r.get(3)?,
            last_modified: r.get(4)?,
            rendered_len: r.get(5)?,
        })
    };
    let rows = match uid {
        Some(uid) => stmt.query_map(params![folder.0, uid], map),
        None => stmt.query_map([folder.0], map),
    }
    .ctx("listing items")?;
    rows.collect::<rusqlite::Result<Vec<_>>>().ctx("listing items")
}

pub(super) fn set_rendered(
    tx: &Transaction<'_>,
    folder: FolderId,
    name: &str,
    etag: &str,
    rendered: &[u8],
) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE items SET rendered = ?1 WHERE folder_id = ?2 AND resource_name = ?3 AND etag = ?4",
            params![rendered, folder.0, name, etag],
        )
        .ctx("storing rendered cache")?;
    Ok(n > 0)
}

pub(super) fn changes_since(
    tx: &Transaction<'_>,
    folder: FolderId,
    since: Option<i64>,
    limit: usize,
) -> Result<ChangePage> {
    let bounds: Option<(i64, i64)> = tx
        .prepare_cached("SELECT change_seq, oldest_seq FROM folders WHERE id = ?1")
        .ctx("reading folder")?
        .query_row([folder.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .ctx("reading folder")?;
    let (current, oldest) = bounds.ok_or(StoreError::FolderNotFound(folder))?;
    let fetch = i64::try_from(limit.max(1)).unwrap_or(i64::MAX - 1).saturating_add(1);
    let (mut changes, from) = match since {
        Some(seq) => {
            if seq < oldest || seq > current {
                return Err(StoreError::InvalidSyncToken {
                    folder,
                    seq,
                    oldest,
                    current,
                });
            }
            (query_changes(tx, folder, seq, i64::MAX, fetch, true)?, seq)
        }
        None => (query_changes(tx, folder, i64::MIN, i64::MAX, fetch, false)?, i64::MIN),
    };
    let limit = limit.max(1);
    let mut more = changes.len() > limit;
    changes.truncate(limit);
    let mut new_seq = match (more, changes.last()) {
        (true, Some(last)) => last.seq,
        _ => current,
    };
    if more && new_seq < oldest {
        // An initial listing cannot stop below the oldest valid token: include every live resource
        // up to it, so the continuation token is valid (the page may exceed the limit).
        changes = query_changes(tx, folder, from, oldest, i64::MAX, false)?;
        new_seq = oldest;
        more = current > oldest;
    }
    Ok(ChangePage { changes, new_seq, more })
}

fn query_changes(
    tx: &Transaction<'_>,
    folder: FolderId,
    after: i64,
    upto: i64,
    fetch: i64,
    with_tombstones: bool,
) -> Result<Vec<Change>> {
    let sql = if with_tombstones {
        "SELECT seq, resource_name, kind, at FROM changes WHERE folder_id = ?1 AND seq > ?2 AND seq <= ?3 \
         ORDER BY seq LIMIT ?4"
    } else {
        "SELECT seq, resource_name, kind, at FROM changes WHERE folder_id = ?1 AND seq > ?2 AND seq <= ?3 \
         AND kind != 3 ORDER BY seq LIMIT ?4"
    };
    let mut stmt = tx.prepare_cached(sql).ctx("reading change log")?;
    let rows = stmt
        .query_map(params![folder.0, after, upto, fetch], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .ctx("reading change log")?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, resource_name, kind, at) = row.ctx("reading change log")?;
        let kind = ChangeKind::from_code(kind).ok_or_else(|| StoreError::Corrupt(format!("change kind {kind}")))?;
        out.push(Change {
            seq,
            resource_name,
            kind,
            at,
        });
    }
    Ok(out)
}

pub(super) fn prune_tombstones(tx: &Transaction<'_>, cutoff: Millis) -> Result<u64> {
    let per_folder: Vec<(i64, i64)> = {
        let mut stmt = tx
            .prepare_cached("SELECT folder_id, max(seq) FROM changes WHERE kind = 3 AND at < ?1 GROUP BY folder_id")
            .ctx("finding old tombstones")?;
        let rows = stmt
            .query_map([cutoff], |r| Ok((r.get(0)?, r.get(1)?)))
            .ctx("finding old tombstones")?;
        rows.collect::<rusqlite::Result<_>>().ctx("finding old tombstones")?
    };
    let mut removed = 0u64;
    for (folder, max_seq) in per_folder {
        removed += tx
            .execute(
                "DELETE FROM changes WHERE folder_id = ?1 AND kind = 3 AND seq <= ?2",
                params![folder, max_seq],
            )
            .ctx("pruning tombstones")? as u64;
        tx.execute(
            "UPDATE folders SET oldest_seq = max(oldest_seq, ?1) WHERE id = ?2",
            params![max_seq, folder],
        )
        .ctx("advancing oldest sequence")?;
    }
    Ok(removed)
}
