//! Folder rows: create (with a stable collection slug), update, delete, hierarchy sync.

use std::collections::HashSet;

use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::{now_ms, partnerships, validate_name, Ctx};
use crate::error::{Result, StoreError};
use crate::model::{Folder, FolderChange, FolderId, FolderPatch, FolderSyncPage, NewFolder, PartnershipId};

const COLUMNS: &str = "id, partnership_id, server_id, parent_server_id, folder_type, display_name, sync_key, \
    last_sync_at, color, description, sort_order, collection_name, change_seq, oldest_seq, resyncing, created_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Folder> {
    Ok(Folder {
        id: FolderId(row.get(0)?),
        partnership_id: PartnershipId(row.get(1)?),
        server_id: row.get(2)?,
        parent_server_id: row.get(3)?,
        folder_type: row.get(4)?,
        display_name: row.get(5)?,
        sync_key: row.get(6)?,
        last_sync_at: row.get(7)?,
        color: row.get(8)?,
        description: row.get(9)?,
        sort_order: row.get(10)?,
        collection_name: row.get(11)?,
        change_seq: row.get(12)?,
        oldest_seq: row.get(13)?,
        resyncing: row.get::<_, i64>(14)? != 0,
        created_at: row.get(15)?,
    })
}

/// The parts of a folder a write transaction needs.
pub(super) struct FolderState {
    pub partnership_id: PartnershipId,
    pub sync_key: String,
    pub change_seq: i64,
}

/// Reads a folder for writing; fails with `FolderNotFound` or `Locked`.
pub(super) fn writable(tx: &Transaction<'_>, id: FolderId) -> Result<FolderState> {
    let row = tx
        .prepare_cached(
            "SELECT f.partnership_id, f.sync_key, f.change_seq, p.locked_at \
             FROM folders f JOIN partnerships p ON p.id = f.partnership_id WHERE f.id = ?1",
        )
        .ctx("reading folder")?
        .query_row([id.0], |r| {
            Ok((
                FolderState {
                    partnership_id: PartnershipId(r.get(0)?),
                    sync_key: r.get(1)?,
                    change_seq: r.get(2)?,
                },
                r.get::<_, Option<i64>>(3)?,
            ))
        })
        .optional()
        .ctx("reading folder")?;
    match row {
        None => Err(StoreError::FolderNotFound(id)),
        Some((state, Some(_))) => Err(StoreError::Locked(state.partnership_id)),
        Some((state, None)) => Ok(state),
    }
}

pub(super) fn get(tx: &Transaction<'_>, id: FolderId) -> Result<Option<Folder>> {
    tx.prepare_cached(&format!("SELECT {COLUMNS} FROM folders WHERE id = ?1"))
        .ctx("reading folder")?
        .query_row([id.0], from_row)
        .optional()
        .ctx("reading folder")
}

fn require(tx: &Transaction<'_>, id: FolderId) -> Result<Folder> {
    get(tx, id)?.ok_or(StoreError::FolderNotFound(id))
}

/// Finds a folder by `server_id` or `collection_name` (the only two values `column` takes).
pub(super) fn find(
    tx: &Transaction<'_>,
    partnership: PartnershipId,
    column: &'static str,
    value: &str,
) -> Result<Option<Folder>> {
    tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM folders WHERE partnership_id = ?1 AND {column} = ?2"
    ))
    .ctx("finding folder")?
    .query_row(params![partnership.0, value], from_row)
    .optional()
    .ctx("finding folder")
}

pub(super) fn list(tx: &Transaction<'_>, partnership: PartnershipId) -> Result<Vec<Folder>> {
    let mut stmt = tx
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM folders WHERE partnership_id = ?1 ORDER BY id"
        ))
        .ctx("listing folders")?;
    let rows = stmt.query_map([partnership.0], from_row).ctx("listing folders")?;
    rows.collect::<rusqlite::Result<Vec<_>>>().ctx("listing folders")
}

pub(super) fn ids(tx: &Transaction<'_>, partnership: PartnershipId) -> Result<Vec<FolderId>> {
    let mut stmt = tx
        .prepare_cached("SELECT id FROM folders WHERE partnership_id = ?1 ORDER BY id")
        .ctx("listing")?;
    let rows = stmt
        .query_map([partnership.0], |r| r.get(0).map(FolderId))
        .ctx("listing folders")?;
    rows.collect::<rusqlite::Result<Vec<_>>>().ctx("listing folders")
}

/// Creates a folder. The caller has checked that the partnership is writable.
pub(super) fn create(tx: &Transaction<'_>, partnership: PartnershipId, new: &NewFolder) -> Result<Folder> {
    if new.server_id.is_empty() {
        return Err(StoreError::Invalid("folder server id must not be empty".into()));
    }
    if find(tx, partnership, "server_id", &new.server_id)?.is_some() {
        return Err(StoreError::AlreadyExists(format!(
            "folder with server id {:?}",
            new.server_id
        )));
    }
    let collection_name = match &new.collection_name {
        Some(name) => {
            validate_name("collection name", name)?;
            if find(tx, partnership, "collection_name", name)?.is_some() {
                return Err(StoreError::AlreadyExists(format!("collection {name:?}")));
            }
            name.clone()
        }
        None => unique_slug(tx, partnership, &slug_base(&new.display_name, &new.server_id))?,
    };
    // A new folder's sequence starts above every sequence a deleted folder ever handed out, so no
    // old sync token can be valid for it even if it reuses the collection name.
    let floor: i64 = tx
        .query_row("SELECT value FROM store_meta WHERE key = 'seq_floor'", [], |r| r.get(0))
        .ctx("reading sequence floor")?;
    let start = floor.saturating_add(1);
    tx.execute(
        "INSERT INTO folders (partnership_id, server_id, parent_server_id, folder_type, display_name, \
         collection_name, change_seq, oldest_seq, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
        params![
            partnership.0,
            new.server_id,
            new.parent_server_id,
            new.folder_type,
            new.display_name,
            collection_name,
            start,
            now_ms()
        ],
    )
    .ctx("inserting folder")?;
    require(tx, FolderId(tx.last_insert_rowid()))
}

pub(super) fn update(tx: &Transaction<'_>, id: FolderId, patch: &FolderPatch) -> Result<Folder> {
    writable(tx, id)?;
    if let Some(v) = &patch.parent_server_id {
        tx.execute(
            "UPDATE folders SET parent_server_id = ?1 WHERE id = ?2",
            params![v, id.0],
        )
        .ctx("updating")?;
    }
    if let Some(v) = &patch.display_name {
        tx.execute("UPDATE folders SET display_name = ?1 WHERE id = ?2", params![v, id.0])
            .ctx("updating")?;
    }
    if let Some(v) = patch.folder_type {
        tx.execute("UPDATE folders SET folder_type = ?1 WHERE id = ?2", params![v, id.0])
            .ctx("updating")?;
    }
    if let Some(v) = &patch.color {
        tx.execute("UPDATE folders SET color = ?1 WHERE id = ?2", params![v, id.0])
            .ctx("updating")?;
    }
    if let Some(v) = &patch.description {
        tx.execute("UPDATE folders SET description = ?1 WHERE id = ?2", params![v, id.0])
            .ctx("updating")?;
    }
    if let Some(v) = &patch.sort_order {
        tx.execute("UPDATE folders SET sort_order = ?1 WHERE id = ?2", params![v, id.0])
            .ctx("updating")?;
    }
    require(tx, id)
}

/// Deletes a folder (items, change log and outbox entries cascade) and raises the sequence floor.
pub(super) fn delete(tx: &Transaction<'_>, id: FolderId) -> Result<()> {
    let seq: Option<i64> = tx
        .query_row("SELECT change_seq FROM folders WHERE id = ?1", [id.0], |r| r.get(0))
        .optional()
        .ctx("reading folder")?;
    let Some(seq) = seq else {
        return Err(StoreError::FolderNotFound(id));
    };
    tx.execute(
        "UPDATE store_meta SET value = max(value, ?1) WHERE key = 'seq_floor'",
        [seq],
    )
    .ctx("raising sequence floor")?;
    tx.execute("DELETE FROM folders WHERE id = ?1", [id.0])
        .ctx("deleting folder")?;
    Ok(())
}

pub(super) fn set_sync_key(tx: &Transaction<'_>, id: FolderId, sync_key: &str) -> Result<()> {
    writable(tx, id)?;
    tx.execute(
        "UPDATE folders SET sync_key = ?1 WHERE id = ?2",
        params![sync_key, id.0],
    )
    .ctx("setting sync key")?;
    Ok(())
}

pub(super) fn apply_folder_sync(
    tx: &Transaction<'_>,
    partnership: PartnershipId,
    page: &FolderSyncPage,
) -> Result<Vec<Folder>> {
    partnerships::writable(tx, partnership)?;
    if let Some(expected) = &page.expected_sync_key {
        let stored = partnerships::require(tx, partnership)?.hierarchy_sync_key;
        if &stored != expected {
            return Err(StoreError::SyncKeyMismatch {
                expected: expected.clone(),
                stored,
            });
        }
    }
    let mut listed: HashSet<&str> = HashSet::new();
    for change in &page.changes {
        match change {
            FolderChange::Add(new) => {
                listed.insert(&new.server_id);
                match find(tx, partnership, "server_id", &new.server_id)? {
                    Some(existing) => {
                        let patch = FolderPatch {
                            parent_server_id: Some(new.parent_server_id.clone()),
                            display_name: Some(new.display_name.clone()),
                            folder_type: Some(new.folder_type),
                            ..FolderPatch::default()
                        };
                        update(tx, existing.id, &patch)?;
                    }
                    None => {
                        create(tx, partnership, new)?;
                    }
                }
            }
            FolderChange::Update {
                server_id,
                parent_server_id,
                display_name,
                folder_type,
            } => {
                listed.insert(server_id);
                match find(tx, partnership, "server_id", server_id)? {
                    Some(existing) => {
                        let patch = FolderPatch {
                            parent_server_id: Some(parent_server_id.clone()),
                            display_name: Some(display_name.clone()),
                            folder_type: Some(*folder_type),
                            ..FolderPatch::default()
                        };
                        update(tx, existing.id, &patch)?;
                    }
                    None => {
                        let new = NewFolder {
                            server_id: server_id.clone(),
                            parent_server_id: parent_server_id.clone(),
                            folder_type: *folder_type,
                            display_name: display_name.clone(),
                            collection_name: None,
                        };
                        create(tx, partnership, &new)?;
                    }
                }
            }
            FolderChange::Delete { server_id } => {
                listed.remove(server_id.as_str());
                if let Some(existing) = find(tx, partnership, "server_id", server_id)? {
                    delete(tx, existing.id)?;
                }
            }
        }
    }
    if page.full {
        for folder in list(tx, partnership)? {
            if !listed.contains(folder.server_id.as_str()) {
                delete(tx, folder.id)?;
            }
        }
    }
    tx.execute(
        "UPDATE partnerships SET hierarchy_sync_key = ?1 WHERE id = ?2",
        params![page.new_sync_key, partnership.0],
    )
    .ctx("updating hierarchy sync key")?;
    list(tx, partnership)
}

/// A lower-case ASCII slug of the display name, or of the server id if the name has no ASCII
/// letters or digits.
fn slug_base(display_name: &str, server_id: &str) -> String {
    let slugify = |s: &str| {
        let mut out = String::new();
        for c in s.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            if out.len() >= 48 {
                break;
            }
        }
        out.trim_end_matches('-').to_owned()
    };
    let name = slugify(display_name);
    if !name.is_empty() {
        return name;
    }
    let id = slugify(server_id);
    if id.is_empty() {
        "collection".to_owned()
    } else {
        format!("collection-{id}")
    }
}

fn unique_slug(tx: &Transaction<'_>, partnership: PartnershipId, base: &str) -> Result<String> {
    for n in 1..=10_000u32 {
        let candidate = if n == 1 { base.to_owned() } else { format!("{base}-{n}") };
        if find(tx, partnership, "collection_name", &candidate)?.is_none() {
            return Ok(candidate);
        }
    }
    Err(StoreError::Invalid(format!("no free collection name for {base:?}")))
}

#[cfg(test)]
mod tests {
    use super::slug_base;

    #[test]
    fn slugs_are_ascii_and_fall_back_to_the_server_id() {
        assert_eq!(slug_base("Calendar", "1"), "calendar");
        assert_eq!(slug_base("  Team / Shared  Calendar!", "2"), "team-shared-calendar");
        assert_eq!(slug_base("Календарь", "3:7"), "collection-3-7");
        assert_eq!(slug_base("", ""), "collection");
    }
}
