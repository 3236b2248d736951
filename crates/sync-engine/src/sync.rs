//! Pulling changes: the Sync loop of one folder (key 0 → key, WindowSize pages with
//! MoreAvailable, status 3 resync with reconciliation by ServerId, status 12 hierarchy refresh),
//! staleness-bounded and coalesced under the folder lock.

use std::sync::Arc;
use std::time::Duration;

use eas_proto::sync::{ServerCommand, SyncCollection, SyncOptions, SyncRequest};
use eas_proto::{BodyPreference, BodyType, Conflict, FilterType, SyncStatus};
use sha2::{Digest, Sha256};
use store::{Folder, FolderId, ItemChange, SyncPage, UpstreamItem};
use wbxml::tags::calendar;

use crate::account::{class_of, Account};
use crate::engine::{blocking, now_ms, Engine};
use crate::error::{EngineError, Result};
use crate::ConflictPolicy;

/// Upper bound on pages per folder sync (512 × 4096 items).
const MAX_PAGES: usize = 4096;

impl Account {
    /// Syncs a folder. With `max_age`, a folder whose last successful sync is younger is left
    /// alone; concurrent callers wait on the folder lock and then find it fresh (coalescing).
    pub(crate) async fn sync_folder(&self, eng: &Engine, id: FolderId, max_age: Option<Duration>) -> Result<()> {
        self.check_unlocked()?;
        let folder = self.load_folder(eng, id).await?;
        let _g = self.locks.lock(&folder.server_id).await;
        let folder = self.load_folder(eng, id).await?;
        if let (Some(age), Some(t)) = (max_age, folder.last_sync_at) {
            let age_ms = i64::try_from(age.as_millis()).unwrap_or(i64::MAX);
            let pushed_since = t >= self.stale_before.load(std::sync::atomic::Ordering::Relaxed);
            if now_ms().saturating_sub(t) < age_ms && pushed_since && !folder.resyncing && folder.sync_key != "0" {
                return Ok(());
            }
        }
        self.replay_folder_outbox(eng, &folder).await?;
        self.pull_locked(eng, id).await
    }

    /// Syncs every mirrored folder (stale ones only with `max_age`).
    pub(crate) async fn sync_all_folders(&self, eng: &Engine, max_age: Option<Duration>) -> Result<()> {
        for f in self.folders(eng).await? {
            match self.sync_folder(eng, f.id, max_age).await {
                Ok(()) | Err(EngineError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    pub(crate) async fn load_folder(&self, eng: &Engine, id: FolderId) -> Result<Folder> {
        blocking(&eng.store, move |s| s.folder(id))
            .await?
            .filter(|f| f.partnership_id == self.partnership)
            .ok_or_else(|| EngineError::NotFound(format!("folder {id}")))
    }

    /// The Sync loop; the caller holds the folder lock.
    pub(crate) async fn pull_locked(&self, eng: &Engine, id: FolderId) -> Result<()> {
        let mut resets = 0;
        let mut hierarchy = 0;
        let mut retries = 0;
        for _ in 0..MAX_PAGES {
            let folder = match self.load_folder(eng, id).await {
                Ok(f) => f,
                // The folder went away with a hierarchy change.
                Err(EngineError::NotFound(_)) => return Ok(()),
                Err(e) => return Err(e),
            };
            let class = class_of(folder.folder_type).ok_or_else(|| EngineError::NotFound(format!("folder {id}")))?;
            let key = folder.sync_key.clone();
            let mut col = SyncCollection::new(key.as_str(), folder.server_id.as_str());
            if key != "0" {
                col.get_changes = Some(true);
                col.window_size = Some(eng.cfg.window_size.clamp(1, 512));
                col.options = vec![sync_options(class, eng.cfg.conflict)];
            }
            let req = SyncRequest {
                collections: vec![col],
                ..Default::default()
            };
            let Some(resp) = self.call(eng, self.client.sync(&req)).await? else {
                // Empty answer: nothing changed; record the successful sync.
                self.finish_page(
                    eng,
                    &folder,
                    SyncPage {
                        expected_sync_key: Some(key.clone()),
                        new_sync_key: Some(key),
                        ..Default::default()
                    },
                )
                .await?;
                return Ok(());
            };
            if let Some(st) = resp.status.filter(|s| !s.is_success()) {
                return Err(status_error("Sync", st));
            }
            let col = resp
                .collections
                .into_iter()
                .find(|c| c.collection_id == folder.server_id)
                .ok_or_else(|| EngineError::Upstream("Sync response without the collection".into()))?;
            match col.status {
                SyncStatus::Success => {
                    let new_key = col
                        .sync_key
                        .clone()
                        .ok_or_else(|| EngineError::Upstream("Sync without SyncKey".into()))?;
                    let changes = server_changes(col.commands, class);
                    let page = SyncPage {
                        expected_sync_key: Some(key.clone()),
                        new_sync_key: Some(new_key),
                        changes,
                        ack_outbox: None,
                    };
                    let version = self.client.version().unwrap_or(mapping::ProtocolVersion::V16_1);
                    blocking(&eng.store, move |s| {
                        let mut page = page;
                        prerender(s, id, class, version, &mut page.changes)?;
                        s.apply_sync_page(id, &page)
                    })
                    .await?;
                    if key == "0" || col.more_available {
                        continue;
                    }
                    if folder.resyncing {
                        let removed = blocking(&eng.store, move |s| s.finish_resync(id)).await?;
                        tracing::info!(user = %self.user, folder = %folder.display_name, removed, "resync finished");
                    }
                    return Ok(());
                }
                SyncStatus::InvalidSyncKey => {
                    resets += 1;
                    if resets > 2 {
                        return Err(EngineError::Upstream("sync key invalid again after resync".into()));
                    }
                    tracing::warn!(user = %self.user, folder = %folder.display_name, "invalid sync key; resync from 0");
                    blocking(&eng.store, move |s| s.begin_resync(id)).await?;
                }
                SyncStatus::FolderHierarchyChanged => {
                    hierarchy += 1;
                    if hierarchy > 2 {
                        return Err(EngineError::Upstream("folder hierarchy keeps changing".into()));
                    }
                    self.sync_hierarchy(eng).await?;
                }
                SyncStatus::Retry | SyncStatus::ServerError if retries < 3 => {
                    retries += 1;
                    tokio::time::sleep(Duration::from_millis(100 << retries)).await;
                }
                other => return Err(status_error("Sync", other)),
            }
        }
        Err(EngineError::Upstream("too many Sync pages".into()))
    }

    async fn finish_page(&self, eng: &Engine, folder: &Folder, page: SyncPage) -> Result<()> {
        let id = folder.id;
        let resyncing = folder.resyncing;
        blocking(&eng.store, move |s| {
            s.apply_sync_page(id, &page)?;
            if resyncing {
                s.finish_resync(id)?;
            }
            Ok(())
        })
        .await
    }
}

/// Renders upstream items in the default format (iCalendar / vCard 3.0) so the page stores the
/// rendered cache in the same transaction; items that exist keep their residue for rendering.
/// Items that do not render are stored without a cache (rendered again on read, and logged).
pub(crate) fn prerender(
    s: &dyn store::Store,
    folder: FolderId,
    class: mapping::ItemClass,
    version: mapping::ProtocolVersion,
    changes: &mut [ItemChange],
) -> store::Result<()> {
    for c in changes.iter_mut() {
        if let ItemChange::Upsert(u) = c {
            let (residue, name) = match s.item_by_server_id(folder, &u.server_id)? {
                Some(i) => (i.residue, i.resource_name),
                None => (Vec::new(), u.resource_name.clone()),
            };
            let v3 = mapping::VcardVersion::V3;
            match crate::dav_backend::render_payload(&u.payload, &residue, &name, class, version, v3) {
                Ok(text) => u.rendered = Some(text.into_bytes()),
                Err(e) => tracing::warn!(server_id = %u.server_id, error = %e, "cannot render upstream item"),
            }
        }
    }
    Ok(())
}

/// The Sync Options for a class.
pub(crate) fn sync_options(class: mapping::ItemClass, conflict: ConflictPolicy) -> SyncOptions {
    SyncOptions {
        filter_type: (class != mapping::ItemClass::Contacts).then_some(FilterType::All),
        body_preferences: vec![BodyPreference::new(BodyType::PlainText)],
        conflict: Some(match conflict {
            ConflictPolicy::ServerWins => Conflict::ServerWins,
            ConflictPolicy::ClientWins => Conflict::ClientWins,
        }),
        ..Default::default()
    }
}

pub(crate) fn status_error(cmd: &str, st: SyncStatus) -> EngineError {
    match st.code() {
        110 | 111 | 114 | 133 => EngineError::UpstreamUnavailable {
            retry_after: None,
            reason: format!("{cmd} status {}", st.code()),
        },
        c => EngineError::Upstream(format!("{cmd} status {c}")),
    }
}

/// Converts server commands to store changes (SoftDelete is ignored: no FilterType window).
pub(crate) fn server_changes(commands: Vec<ServerCommand>, class: mapping::ItemClass) -> Vec<ItemChange> {
    commands
        .into_iter()
        .filter_map(|c| match c {
            ServerCommand::Add {
                server_id,
                application_data,
            }
            | ServerCommand::Change {
                server_id,
                application_data,
            } => {
                let uid = match class {
                    mapping::ItemClass::Calendar => application_data.child_text(calendar::UID).map(str::to_owned),
                    _ => None,
                };
                Some(ItemChange::Upsert(UpstreamItem {
                    resource_name: resource_name(uid.as_deref(), &server_id, class),
                    payload: wbxml::encode(&application_data),
                    residue: None,
                    uid,
                    rendered: None,
                    server_id,
                }))
            }
            ServerCommand::Delete { server_id } => Some(ItemChange::Delete { server_id }),
            ServerCommand::SoftDelete { .. } => None,
        })
        .collect()
}

/// A stable DAV resource name for an item from upstream: its UID when it has a usable one,
/// else its ServerId, made URL-safe; long values are hashed.
pub(crate) fn resource_name(uid: Option<&str>, server_id: &str, class: mapping::ItemClass) -> String {
    let ext = match class {
        mapping::ItemClass::Contacts => "vcf",
        _ => "ics",
    };
    let base = uid.filter(|u| !u.trim().is_empty()).unwrap_or(server_id);
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let clean = clean.trim_matches('.').to_owned();
    if clean.is_empty() || clean.len() > 80 {
        let h = Sha256::digest(base.as_bytes());
        return format!("{}.{ext}", hex::encode(h.get(..16).unwrap_or(&h)));
    }
    format!("{clean}.{ext}")
}

/// Makes sure a folder has been synced at least once and is not older than the staleness bound.
pub(crate) async fn ensure_fresh(acct: &Arc<Account>, eng: &Arc<Engine>, folder: &Folder) {
    if let Err(e) = acct.sync_folder(eng, folder.id, Some(eng.cfg.staleness)).await {
        tracing::warn!(user = %acct.user, folder = %folder.display_name, error = %e, "sync before read failed; serving the mirror");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_are_safe_and_stable() {
        use mapping::ItemClass::*;
        assert_eq!(resource_name(Some("abc-123@x"), "1:2", Calendar), "abc-123@x.ics");
        assert_eq!(resource_name(None, "1:2", Contacts), "1_2.vcf");
        assert_eq!(resource_name(Some(" "), "7", Tasks), "7.ics");
        let long = "0".repeat(200);
        let n = resource_name(Some(&long), "1", Calendar);
        assert_eq!(n, resource_name(Some(&long), "2", Calendar));
        assert!(n.len() < 40);
        assert_eq!(resource_name(Some("../x/y"), "1", Calendar), "_x_y.ics");
    }
}
