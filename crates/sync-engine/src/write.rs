//! Write-through: a DAV change is mapped, persisted in the outbox with its exact Sync request and
//! sync key, sent, and committed together with the new key — or replayed with the same key after
//! a crash or a lost response, so Exchange applies it exactly once.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use base64::Engine as _;
use eas_proto::item_operations::{FetchRequest, ItemOperationsRequest};
use eas_proto::sync::{ClientCommand, SyncCollection, SyncItemResponse, SyncRequest, SyncResponse};
use eas_proto::{EasMessage, ProtocolVersion, SyncStatus};
use store::{Folder, FolderId, ItemChange, LocalWrite, NewOutboxEntry, OutboxEntry, Precondition, SyncPage};

use crate::account::{class_of, Account};
use crate::engine::{blocking, Engine};
use crate::error::{EngineError, Result};
use crate::sync::{server_changes, status_error, sync_options};

/// A DAV-side change of one item.
#[derive(Debug, Clone)]
pub enum WriteOp {
    /// Create or replace the item with this iCalendar/vCard text.
    Put(String),
    /// Delete the item.
    Delete,
}

/// The outcome of a committed write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteResult {
    /// The store ETag of the item (`None` after a delete).
    pub etag: Option<String>,
    /// The upstream ServerId.
    pub server_id: Option<String>,
    /// Whether the item was created.
    pub created: bool,
}

/// What the outbox keeps per entry: the exact request plus what is needed to commit it.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
struct OutboxRecord {
    /// Protocol version the request was encoded for.
    version: String,
    /// The Sync request (WBXML, base64).
    request: String,
    /// `put`, `delete` or `instance`.
    op: String,
    resource_name: String,
    /// Payload to store on success (WBXML ApplicationData, base64).
    payload: Option<String>,
    /// Residue to store (base64).
    residue: Option<String>,
    uid: Option<String>,
    client_id: Option<String>,
    server_id: Option<String>,
}

enum Sent {
    Committed {
        etag: Option<String>,
        server_id: Option<String>,
    },
    /// The key was invalid or the hierarchy changed: the write was not applied; try again.
    Retry,
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn unb64(s: &str) -> Result<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| EngineError::Internal(format!("outbox record: {e}")))
}

impl Account {
    /// Writes one item through to Exchange and commits it in the mirror.
    pub(crate) async fn write_item(
        self: &Arc<Self>,
        eng: &Arc<Engine>,
        folder_id: FolderId,
        name: &str,
        op: WriteOp,
        precondition: Precondition,
    ) -> Result<WriteResult> {
        self.check_unlocked()?;
        let _w = eng.writes.read().await;
        if eng.shutting_down.load(Ordering::SeqCst) {
            return Err(EngineError::ShuttingDown);
        }
        let folder = self.load_folder(eng, folder_id).await?;
        let class = class_of(folder.folder_type).ok_or_else(|| EngineError::NotFound("folder".into()))?;
        let version = self.client.version().unwrap_or(ProtocolVersion::V16_1);
        // Map first (pure), so a refusal costs no upstream round trip.
        let mapped = match &op {
            WriteOp::Put(body) => Some(
                match class {
                    mapping::ItemClass::Contacts => mapping::vcard_to_eas(body, version),
                    c => mapping::ical_to_eas(body, c, version),
                }
                .map_err(map_error)?,
            ),
            WriteOp::Delete => None,
        };
        let _g = self.locks.lock(&folder.server_id).await;
        self.replay_folder_outbox(eng, &folder).await?;
        for _attempt in 0..3 {
            let folder = self.load_folder(eng, folder_id).await?;
            if folder.sync_key == "0" || folder.last_sync_at.is_none() || folder.resyncing {
                self.pull_locked(eng, folder_id).await?;
                continue;
            }
            let n = name.to_owned();
            let existing = blocking(&eng.store, move |s| s.item_by_resource(folder_id, &n)).await?;
            match (&precondition, &existing) {
                (Precondition::MustNotExist, Some(_)) | (Precondition::IfMatch(_), None) => {
                    return Err(EngineError::PreconditionFailed)
                }
                (Precondition::IfMatch(e), Some(i)) if *e != i.etag => return Err(EngineError::PreconditionFailed),
                _ => {}
            }
            let (command, record) = match (&mapped, &existing) {
                (None, None) => return Err(EngineError::NotFound(name.to_owned())),
                (None, Some(item)) => (
                    ClientCommand::Delete {
                        server_id: item.server_id.clone(),
                        instance_id: None,
                    },
                    OutboxRecord::new("delete", name, None, None, None, None, Some(item.server_id.clone())),
                ),
                (Some(m), existing) => {
                    if let Some(uid) = &m.uid {
                        let u = uid.clone();
                        let others = blocking(&eng.store, move |s| s.items_by_uid(folder_id, &u)).await?;
                        if let Some(o) = others.into_iter().find(|o| o.resource_name != name) {
                            return Err(EngineError::UidConflict(o.resource_name));
                        }
                    }
                    let payload = Some(wbxml::encode(&m.application_data));
                    let residue = Some(m.residue.to_bytes());
                    match existing {
                        None => {
                            let client_id = uuid::Uuid::new_v4().simple().to_string();
                            (
                                ClientCommand::Add {
                                    client_id: client_id.clone(),
                                    application_data: m.application_data.clone(),
                                },
                                OutboxRecord::new("put", name, payload, residue, m.uid.clone(), Some(client_id), None),
                            )
                        }
                        Some(item) => (
                            ClientCommand::Change {
                                server_id: item.server_id.clone(),
                                instance_id: None,
                                application_data: m.application_data.clone(),
                            },
                            OutboxRecord::new(
                                "put",
                                name,
                                payload,
                                residue,
                                m.uid.clone(),
                                None,
                                Some(item.server_id.clone()),
                            ),
                        ),
                    }
                }
            };
            let entry = self
                .enqueue(eng, &folder, class, version, vec![command], record, true)
                .await?;
            match self.send_entry(eng, &folder, entry).await? {
                Sent::Retry => continue,
                Sent::Committed { mut etag, server_id } => {
                    if let (Some(m), Some(sid)) = (&mapped, &server_id) {
                        self.send_occurrence_edits(eng, folder_id, class, version, name, sid, &m.occurrence_edits)
                            .await?;
                        // Store Exchange's own version (it adds UID, DtStamp, organizer…), so a later
                        // resync finds the same bytes and keeps the ETag.
                        match self.refresh_item(eng, &folder, sid, m.uid.clone()).await {
                            Ok(Some(e)) => etag = Some(e),
                            Ok(None) => {}
                            Err(e) => tracing::warn!(user = %self.user, error = %e, "fetching the written item failed"),
                        }
                    }
                    return Ok(WriteResult {
                        etag,
                        server_id,
                        created: existing.is_none() && mapped.is_some(),
                    });
                }
            }
        }
        Err(EngineError::UpstreamUnavailable {
            retry_after: None,
            reason: "sync state kept changing".into(),
        })
    }

    /// Fetches the server's version of an item (ItemOperations, no sync key involved) and stores
    /// it, keeping the residue; returns the new ETag.
    async fn refresh_item(
        &self,
        eng: &Engine,
        folder: &Folder,
        server_id: &str,
        uid: Option<String>,
    ) -> Result<Option<String>> {
        let req = ItemOperationsRequest {
            fetches: vec![FetchRequest::item(folder.server_id.as_str(), server_id)],
        };
        let resp = self.call(eng, self.client.item_operations_fetch(&req)).await?;
        let Some(props) = resp
            .fetches
            .into_iter()
            .find(|f| f.server_id.as_deref() == Some(server_id) && f.status.is_success())
            .and_then(|f| f.properties)
        else {
            return Ok(None);
        };
        let mut app = props;
        app.tag = wbxml::tags::airsync::APPLICATION_DATA;
        let change = ItemChange::Upsert(store::UpstreamItem {
            server_id: server_id.to_owned(),
            // Only used if the item were new; it exists (just committed).
            resource_name: "refetched.ics".to_owned(),
            payload: wbxml::encode(&app),
            residue: None,
            uid,
            rendered: None,
        });
        let page = SyncPage {
            changes: vec![change],
            ..Default::default()
        };
        let fid = folder.id;
        let out = blocking(&eng.store, move |s| s.apply_sync_page(fid, &page)).await?;
        Ok(out.applied.first().and_then(|a| a.etag.clone()))
    }

    /// 16.x: each occurrence edit goes as its own Sync (Change/Delete with InstanceId) after the
    /// master landed.
    #[allow(clippy::too_many_arguments)]
    async fn send_occurrence_edits(
        &self,
        eng: &Engine,
        folder_id: FolderId,
        class: mapping::ItemClass,
        version: ProtocolVersion,
        name: &str,
        server_id: &str,
        edits: &[mapping::OccurrenceEdit],
    ) -> Result<()> {
        for edit in edits {
            let folder = self.load_folder(eng, folder_id).await?;
            let command = match &edit.kind {
                mapping::OccurrenceEditKind::Change(app) => ClientCommand::Change {
                    server_id: server_id.to_owned(),
                    instance_id: Some(edit.instance_id.clone()),
                    application_data: app.clone(),
                },
                mapping::OccurrenceEditKind::Delete => ClientCommand::Delete {
                    server_id: server_id.to_owned(),
                    instance_id: Some(edit.instance_id.clone()),
                },
            };
            let record = OutboxRecord::new("instance", name, None, None, None, None, Some(server_id.to_owned()));
            // EAS-4-TbSync: no Options on per-instance commands (an explicit Conflict conflicts with itself).
            let entry = self
                .enqueue(eng, &folder, class, version, vec![command], record, false)
                .await?;
            if let Sent::Retry = self.send_entry(eng, &folder, entry).await? {
                return Err(EngineError::UpstreamUnavailable {
                    retry_after: None,
                    reason: "occurrence edit interrupted by a resync".into(),
                });
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn enqueue(
        &self,
        eng: &Engine,
        folder: &Folder,
        class: mapping::ItemClass,
        version: ProtocolVersion,
        commands: Vec<ClientCommand>,
        mut record: OutboxRecord,
        with_options: bool,
    ) -> Result<OutboxEntry> {
        let mut col = SyncCollection::new(folder.sync_key.as_str(), folder.server_id.as_str());
        col.get_changes = Some(false);
        if with_options {
            col.options = vec![sync_options(class, eng.cfg.conflict)];
        }
        col.commands = commands;
        let req = SyncRequest {
            collections: vec![col],
            ..Default::default()
        };
        record.version = version.as_str().to_owned();
        record.request = b64(&req.encode(version));
        let bytes = serde_json::to_vec(&record).map_err(|e| EngineError::Internal(e.to_string()))?;
        let new = NewOutboxEntry {
            partnership_id: self.partnership,
            folder_id: Some(folder.id),
            request: bytes,
            sync_key: Some(folder.sync_key.clone()),
            resource_name: Some(record.resource_name.clone()),
        };
        self.outbox_dirty.store(true, Ordering::SeqCst);
        blocking(&eng.store, move |s| s.outbox_enqueue(&new)).await
    }

    /// Sends an outbox entry (first time or replay) and commits its outcome. The caller holds
    /// the folder lock and the folder's stored key equals the entry's key.
    async fn send_entry(&self, eng: &Engine, folder: &Folder, entry: OutboxEntry) -> Result<Sent> {
        let record: OutboxRecord =
            serde_json::from_slice(&entry.request).map_err(|e| EngineError::Internal(format!("outbox record: {e}")))?;
        let version: ProtocolVersion = record
            .version
            .parse()
            .map_err(|_| EngineError::Internal("outbox record version".into()))?;
        let request = wbxml::decode(&unb64(&record.request)?).map_err(|e| EngineError::Internal(e.to_string()))?;
        let id = entry.id;
        blocking(&eng.store, move |s| s.outbox_mark_sent(id)).await?;
        // On a transport error (or an answer that may have been cut) the entry stays pending and
        // is re-sent with the same key first; a global refusal status finishes it.
        let root = match self.call(eng, self.client.raw_command("Sync", &request)).await {
            Ok(r) => r,
            Err(e @ EngineError::Rejected { .. }) => {
                let msg = e.to_string();
                let _ = blocking(&eng.store, move |s| s.outbox_fail(id, &msg)).await;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let resp = match root {
            Some(el) => SyncResponse::from_element(&el, version).map_err(|e| EngineError::Upstream(e.to_string()))?,
            None => return Err(EngineError::Upstream("empty answer to a Sync with commands".into())),
        };
        let fail = |msg: String| {
            let m = msg.clone();
            async move {
                let _ = blocking(&eng.store, move |s| s.outbox_fail(id, &m)).await;
                msg
            }
        };
        if let Some(st) = resp.status.filter(|s| !s.is_success()) {
            fail(format!("Sync status {}", st.code())).await;
            return Err(status_error("Sync", st));
        }
        let class = class_of(folder.folder_type).ok_or_else(|| EngineError::NotFound("folder".into()))?;
        let Some(col) = resp
            .collections
            .into_iter()
            .find(|c| c.collection_id == folder.server_id)
        else {
            fail("no collection in answer".into()).await;
            return Err(EngineError::Upstream("Sync response without the collection".into()));
        };
        match col.status {
            SyncStatus::Success => {}
            SyncStatus::InvalidSyncKey => {
                fail("invalid sync key".into()).await;
                let fid = folder.id;
                blocking(&eng.store, move |s| s.begin_resync(fid)).await?;
                self.pull_locked(eng, fid).await?;
                return Ok(Sent::Retry);
            }
            SyncStatus::FolderHierarchyChanged => {
                fail("hierarchy changed".into()).await;
                self.sync_hierarchy(eng).await?;
                return Ok(Sent::Retry);
            }
            other => {
                fail(format!("collection status {}", other.code())).await;
                return Err(status_error("Sync", other));
            }
        }
        let new_key = col
            .sync_key
            .clone()
            .ok_or_else(|| EngineError::Upstream("Sync without SyncKey".into()))?;
        let (item_status, new_server_id) = item_outcome(&col.responses, &record);
        let mut changes = server_changes(col.commands, class);
        let server_id = new_server_id.or(record.server_id.clone());
        let mut outcome_err = None;
        match (item_status.code(), record.op.as_str()) {
            (1, "put") => {
                let sid = server_id
                    .clone()
                    .ok_or_else(|| EngineError::Upstream("Add answered without ServerId".into()))?;
                changes.push(ItemChange::Put(LocalWrite {
                    resource_name: record.resource_name.clone(),
                    server_id: sid,
                    payload: unb64(record.payload.as_deref().unwrap_or(""))?,
                    residue: unb64(record.residue.as_deref().unwrap_or(""))?,
                    uid: record.uid.clone(),
                    rendered: None,
                    precondition: Precondition::None,
                }));
            }
            (1 | 8, "delete") => changes.push(ItemChange::Remove {
                resource_name: record.resource_name.clone(),
                precondition: Precondition::None,
            }),
            (1, _) => {}
            (7, _) => outcome_err = Some(EngineError::Conflict(record.resource_name.clone())),
            (8, _) => {
                if let Some(sid) = &server_id {
                    changes.push(ItemChange::Delete { server_id: sid.clone() });
                }
                outcome_err = Some(EngineError::Conflict(record.resource_name.clone()));
            }
            (c, _) => {
                outcome_err = Some(EngineError::Rejected {
                    status: c,
                    reason: item_reason(c).to_owned(),
                });
            }
        }
        let page = SyncPage {
            expected_sync_key: entry.sync_key.clone(),
            new_sync_key: Some(new_key),
            changes,
            ack_outbox: Some(id),
        };
        let fid = folder.id;
        let out = blocking(&eng.store, move |s| s.apply_sync_page(fid, &page)).await?;
        if let Some(e) = outcome_err {
            if matches!(e, EngineError::Conflict(_)) {
                // Server wins: bring the server's version into the mirror before answering.
                if let Err(pe) = self.pull_locked(eng, fid).await {
                    tracing::warn!(error = %pe, "refresh after conflict failed");
                }
            }
            return Err(e);
        }
        let etag = out
            .applied
            .iter()
            .rev()
            .find(|a| a.resource_name.as_deref() == Some(record.resource_name.as_str()))
            .and_then(|a| a.etag.clone());
        Ok(Sent::Committed { etag, server_id })
    }

    /// Re-sends the pending outbox entries of one folder (oldest first). Entries whose key is no
    /// longer the folder's (the folder was resynced meanwhile) are dropped.
    pub(crate) async fn replay_folder_outbox(&self, eng: &Engine, folder: &Folder) -> Result<()> {
        if !self.outbox_dirty.load(Ordering::SeqCst) {
            return Ok(());
        }
        let pid = self.partnership;
        let pending = blocking(&eng.store, move |s| s.outbox_pending(pid)).await?;
        if pending.is_empty() {
            self.outbox_dirty.store(false, Ordering::SeqCst);
            return Ok(());
        }
        for entry in pending.into_iter().filter(|e| e.folder_id == Some(folder.id)) {
            let current = self.load_folder(eng, folder.id).await?;
            let id = entry.id;
            if entry.sync_key.as_deref() != Some(current.sync_key.as_str()) {
                tracing::warn!(user = %self.user, entry = %id, "dropping outbox entry for an outdated sync key");
                blocking(&eng.store, move |s| s.outbox_fail(id, "sync key outdated")).await?;
                continue;
            }
            tracing::info!(user = %self.user, entry = %id, attempts = entry.attempts, "re-sending pending upstream write");
            match self.send_entry(eng, &current, entry).await {
                Ok(_) => {}
                Err(
                    e @ (EngineError::UpstreamUnavailable { .. } | EngineError::Locked(_) | EngineError::Unauthorized),
                ) => return Err(e),
                Err(e) => tracing::warn!(user = %self.user, entry = %id, error = %e, "replayed write not applied"),
            }
        }
        Ok(())
    }

    /// Replays the pending entries of every folder (at activation, after a restart).
    pub(crate) async fn replay_all_outbox(&self, eng: &Engine) -> Result<()> {
        let pid = self.partnership;
        let pending = blocking(&eng.store, move |s| s.outbox_pending(pid)).await?;
        let mut folders: Vec<FolderId> = pending.iter().filter_map(|e| e.folder_id).collect();
        folders.dedup();
        for fid in folders {
            let folder = match self.load_folder(eng, fid).await {
                Ok(f) => f,
                Err(EngineError::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            let _g = self.locks.lock(&folder.server_id).await;
            self.replay_folder_outbox(eng, &folder).await?;
        }
        // Entries without a live folder can never be sent.
        let left = blocking(&eng.store, move |s| s.outbox_pending(pid)).await?;
        for e in left {
            let id = e.id;
            let alive = match e.folder_id {
                Some(f) => self.load_folder(eng, f).await.is_ok(),
                None => false,
            };
            if !alive {
                blocking(&eng.store, move |s| s.outbox_fail(id, "folder gone")).await?;
            }
        }
        Ok(())
    }
}

impl OutboxRecord {
    fn new(
        op: &str,
        name: &str,
        payload: Option<Vec<u8>>,
        residue: Option<Vec<u8>>,
        uid: Option<String>,
        client_id: Option<String>,
        server_id: Option<String>,
    ) -> Self {
        OutboxRecord {
            version: String::new(),
            request: String::new(),
            op: op.to_owned(),
            resource_name: name.to_owned(),
            payload: payload.map(|p| b64(&p)),
            residue: residue.map(|r| b64(&r)),
            uid,
            client_id,
            server_id,
        }
    }
}

/// The item status (absent response = success) and a new ServerId from `Responses`.
fn item_outcome(responses: &[SyncItemResponse], record: &OutboxRecord) -> (SyncStatus, Option<String>) {
    for r in responses {
        match r {
            SyncItemResponse::Add {
                client_id,
                server_id,
                status,
            } if Some(client_id) == record.client_id.as_ref() => {
                return (*status, server_id.clone());
            }
            SyncItemResponse::Change { server_id, status, .. } | SyncItemResponse::Delete { server_id, status, .. }
                if Some(server_id) == record.server_id.as_ref() =>
            {
                return (*status, None);
            }
            _ => {}
        }
    }
    if record.client_id.is_some() {
        // An Add must be answered; treat a missing answer as a refusal.
        return (SyncStatus::ServerError, None);
    }
    (SyncStatus::Success, None)
}

fn item_reason(code: u32) -> &'static str {
    match code {
        4 => "protocol error in the request",
        5 => "server error; try again later",
        6 => "Exchange could not convert the item",
        9 => "the mailbox cannot accept the change (quota?)",
        _ => "refused",
    }
}

fn map_error(e: mapping::MapError) -> EngineError {
    match e {
        mapping::MapError::NotRepresentable { what, reason } => EngineError::NotRepresentable {
            reason: format!("{what}: {reason}"),
        },
        other => EngineError::NotRepresentable {
            reason: other.to_string(),
        },
    }
}
