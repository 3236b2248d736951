//! [`Account`]: the live state of one user (one partnership): client, credentials, folder locks,
//! activity, bootstrap, hierarchy sync and remote wipe.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use eas_client::{AuthError, AuthProvider, BasicAuth, BoxFuture, Client, FolderLocks};
use eas_proto::folder_ops::{FolderCreateRequest, FolderDeleteRequest, FolderUpdateRequest};
use eas_proto::folder_sync::FolderChange as EasFolderChange;
use eas_proto::{FolderStatus, FolderType};
use store::{Folder, FolderChange, FolderId, FolderSyncPage, NewFolder, Partnership, PartnershipId, PartnershipPatch};
use tokio::task::JoinHandle;

use crate::engine::{blocking, now_ms, Engine};
use crate::error::{EngineError, Result};

/// The Basic credentials of the last verified DAV login, shared with the EAS client.
#[derive(Default)]
pub(crate) struct CredSlot {
    header: RwLock<Option<BasicAuth>>,
}

impl CredSlot {
    pub(crate) fn set(&self, user: &str, password: &str) {
        *self.header.write().unwrap_or_else(|p| p.into_inner()) = Some(BasicAuth::new(user, password));
    }

    pub(crate) fn clear(&self) {
        *self.header.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    pub(crate) fn is_set(&self) -> bool {
        self.header.read().unwrap_or_else(|p| p.into_inner()).is_some()
    }
}

impl AuthProvider for CredSlot {
    fn authorization(&self) -> BoxFuture<'_, std::result::Result<String, AuthError>> {
        let cur = self.header.read().unwrap_or_else(|p| p.into_inner()).clone();
        Box::pin(async move {
            match cur {
                Some(b) => b.authorization().await,
                None => Err(AuthError("no verified credentials for this account yet".to_owned())),
            }
        })
    }

    fn on_unauthorized<'a>(&'a self, _rejected: &'a str) -> BoxFuture<'a, std::result::Result<bool, AuthError>> {
        Box::pin(async { Ok(false) })
    }
}

/// One user's live state.
pub(crate) struct Account {
    pub(crate) user: String,
    pub(crate) partnership: PartnershipId,
    pub(crate) device_id: String,
    pub(crate) client: Client,
    pub(crate) creds: Arc<CredSlot>,
    pub(crate) locks: FolderLocks,
    pub(crate) last_used: AtomicI64,
    /// Folders last synced before this instant (Unix ms) are stale regardless of age: push was
    /// not running since then (the user went idle).
    pub(crate) stale_before: AtomicI64,
    locked: AtomicBool,
    pub(crate) ping: Mutex<Option<JoinHandle<()>>>,
    ready: tokio::sync::Mutex<bool>,
    /// Whether pending outbox entries may exist (checked before each folder operation).
    pub(crate) outbox_dirty: AtomicBool,
    /// Locally stored collection properties the store has no column for (time zone, dead
    /// properties); kept in memory only.
    pub(crate) local_props: Mutex<std::collections::HashMap<FolderId, LocalProps>>,
}

/// Collection properties kept in memory.
#[derive(Default, Clone)]
pub(crate) struct LocalProps {
    pub(crate) timezone: Option<String>,
    pub(crate) dead: std::collections::BTreeMap<String, String>,
}

/// The mapping class of a mirrored folder type, `None` for folders that are not mirrored.
pub(crate) fn class_of(folder_type: i32) -> Option<mapping::ItemClass> {
    match folder_type {
        8 | 13 => Some(mapping::ItemClass::Calendar),
        9 | 14 => Some(mapping::ItemClass::Contacts),
        7 | 15 => Some(mapping::ItemClass::Tasks),
        _ => None,
    }
}

/// The EAS class name of a mapping class.
pub(crate) fn eas_class(c: mapping::ItemClass) -> eas_proto::ItemClass {
    match c {
        mapping::ItemClass::Calendar => eas_proto::ItemClass::Calendar,
        mapping::ItemClass::Contacts => eas_proto::ItemClass::Contacts,
        mapping::ItemClass::Tasks => eas_proto::ItemClass::Tasks,
    }
}

impl Account {
    pub(crate) fn new(p: Partnership, client: Client, creds: Arc<CredSlot>) -> Account {
        Account {
            user: p.user_name,
            partnership: p.id,
            device_id: p.device_id,
            client,
            creds,
            locks: FolderLocks::default(),
            last_used: AtomicI64::new(now_ms()),
            stale_before: AtomicI64::new(0),
            locked: AtomicBool::new(p.lock.is_locked()),
            ping: Mutex::new(None),
            ready: tokio::sync::Mutex::new(false),
            outbox_dirty: AtomicBool::new(true),
            local_props: Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// Refuses access to a locked (wiped) account.
    pub(crate) fn check_unlocked(&self) -> Result<()> {
        if self.locked.load(Ordering::SeqCst) {
            return Err(EngineError::Locked(format!(
                "account {} is locked; an operator must unlock it",
                self.user
            )));
        }
        Ok(())
    }

    /// Records DAV activity (keeps the Ping loop alive).
    pub(crate) fn touch(&self) {
        self.last_used.store(now_ms(), Ordering::Relaxed);
    }

    /// Provisions, replays the outbox and syncs the hierarchy once per activation.
    pub(crate) async fn ensure_ready(self: &Arc<Self>, eng: &Arc<Engine>) -> Result<()> {
        self.check_unlocked()?;
        let mut ready = self.ready.lock().await;
        if *ready {
            drop(ready);
            self.ensure_ping(eng);
            return Ok(());
        }
        self.call(eng, self.client.ensure_ready()).await?;
        self.replay_all_outbox(eng).await?;
        self.sync_hierarchy(eng).await?;
        *ready = true;
        drop(ready);
        self.ensure_ping(eng);
        Ok(())
    }

    /// Runs one upstream call: counts it, turns a remote wipe into purge + lock.
    pub(crate) async fn call<T>(&self, eng: &Engine, fut: impl Future<Output = eas_client::Result<T>>) -> Result<T> {
        if !self.creds.is_set() {
            return Err(EngineError::Unauthorized);
        }
        eng.upstream_requests.fetch_add(1, Ordering::Relaxed);
        match fut.await {
            Ok(v) => Ok(v),
            Err(eas_client::Error::RemoteWipe { account_only }) => {
                self.wipe(eng, account_only).await;
                Err(EngineError::Locked("remote wipe".to_owned()))
            }
            Err(e) => {
                let err = EngineError::from_client(e);
                let msg = err.to_string();
                let pid = self.partnership;
                let _ = blocking(&eng.store, move |s| s.record_error(pid, Some(&msg))).await;
                Err(err)
            }
        }
    }

    /// Remote wipe: purge the mirror and credentials, lock the account, log loudly.
    pub(crate) async fn wipe(&self, eng: &Engine, account_only: bool) {
        self.locked.store(true, Ordering::SeqCst);
        self.creds.clear();
        let pid = self.partnership;
        let reason = if account_only {
            "account-only remote wipe ordered by Exchange"
        } else {
            "remote wipe ordered by Exchange"
        };
        match blocking(&eng.store, move |s| s.purge_partnership(pid, reason)).await {
            Ok(r) => tracing::error!(
                user = %self.user,
                device_id = %self.device_id,
                folders = r.folders,
                items = r.items,
                "REMOTE WIPE: acknowledged upstream, mirror purged, credentials dropped, account locked until an operator unlocks it"
            ),
            Err(e) => {
                tracing::error!(user = %self.user, error = %e, "REMOTE WIPE: purging the mirror failed; account locked")
            }
        }
        if let Some(h) = self.ping.lock().unwrap_or_else(|p| p.into_inner()).take() {
            h.abort();
        }
    }

    /// The partnership's mirrored folders.
    pub(crate) async fn folders(&self, eng: &Engine) -> Result<Vec<Folder>> {
        let pid = self.partnership;
        let all = blocking(&eng.store, move |s| s.list_folders(pid)).await?;
        Ok(all.into_iter().filter(|f| class_of(f.folder_type).is_some()).collect())
    }

    /// FolderSync: applies hierarchy changes (new folders appear, deleted ones disappear with
    /// their items); status 9 starts over from key 0.
    pub(crate) async fn sync_hierarchy(&self, eng: &Engine) -> Result<()> {
        let _g = self.locks.lock(FolderLocks::HIERARCHY).await;
        let pid = self.partnership;
        for _ in 0..3 {
            let p = blocking(&eng.store, move |s| s.partnership(pid))
                .await?
                .ok_or_else(|| EngineError::NotFound(format!("partnership {pid}")))?;
            let key = p.hierarchy_sync_key.clone();
            let resp = self.call(eng, self.client.folder_sync(&key)).await?;
            match resp.status {
                FolderStatus::Success => {
                    let new_key = resp.sync_key.clone().unwrap_or_else(|| key.clone());
                    let page = FolderSyncPage {
                        expected_sync_key: Some(key.clone()),
                        new_sync_key: new_key,
                        full: key == "0",
                        changes: resp.changes.iter().map(folder_change).collect(),
                    };
                    blocking(&eng.store, move |s| s.apply_folder_sync(pid, &page)).await?;
                    return Ok(());
                }
                FolderStatus::InvalidSyncKey => {
                    tracing::warn!(user = %self.user, "hierarchy sync key invalid; starting over from 0");
                    let patch = PartnershipPatch {
                        hierarchy_sync_key: Some("0".to_owned()),
                        ..Default::default()
                    };
                    blocking(&eng.store, move |s| s.update_partnership(pid, &patch)).await?;
                }
                FolderStatus::ServerError | FolderStatus::RequestTimedOut | FolderStatus::UnknownError => {
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                other => {
                    return Err(EngineError::Upstream(format!("FolderSync status {}", other.code())));
                }
            }
        }
        Err(EngineError::UpstreamUnavailable {
            retry_after: None,
            reason: "FolderSync kept failing".to_owned(),
        })
    }

    /// FolderCreate of a user folder of `folder_type` (13, 14, 15) with the DAV collection id.
    pub(crate) async fn create_folder(
        &self,
        eng: &Engine,
        collection: &str,
        name: &str,
        folder_type: u32,
    ) -> Result<Folder> {
        let resp = {
            let _g = self.locks.lock(FolderLocks::HIERARCHY).await;
            let key = self.hierarchy_key(eng).await?;
            let req = FolderCreateRequest {
                sync_key: key.clone(),
                parent_id: "0".to_owned(),
                display_name: name.to_owned(),
                folder_type: FolderType::from_code(folder_type),
            };
            let resp = self.call(eng, self.client.folder_create(&req)).await?;
            if resp.status.is_success() {
                let server_id = resp
                    .server_id
                    .clone()
                    .ok_or_else(|| EngineError::Upstream("FolderCreate without ServerId".into()))?;
                let page = FolderSyncPage {
                    expected_sync_key: Some(key),
                    new_sync_key: resp.sync_key.clone().unwrap_or_default(),
                    full: false,
                    changes: vec![FolderChange::Add(NewFolder {
                        server_id: server_id.clone(),
                        parent_server_id: Some("0".to_owned()),
                        folder_type: folder_type as i32,
                        display_name: name.to_owned(),
                        collection_name: Some(collection.to_owned()),
                    })],
                };
                let pid = self.partnership;
                let folders = blocking(&eng.store, move |s| s.apply_folder_sync(pid, &page)).await?;
                return folders
                    .into_iter()
                    .find(|f| f.server_id == server_id)
                    .ok_or_else(|| EngineError::Internal("created folder missing".into()));
            }
            resp.status
        };
        match resp {
            FolderStatus::AlreadyExists => Err(EngineError::Conflict(format!("a folder named {name} exists"))),
            FolderStatus::InvalidSyncKey => {
                self.sync_hierarchy(eng).await?;
                Err(EngineError::UpstreamUnavailable {
                    retry_after: None,
                    reason: "hierarchy changed; retry".into(),
                })
            }
            s => Err(EngineError::Rejected {
                status: s.code(),
                reason: "FolderCreate refused".into(),
            }),
        }
    }

    /// FolderUpdate (rename).
    pub(crate) async fn rename_folder(&self, eng: &Engine, folder: &Folder, name: &str) -> Result<()> {
        let _g = self.locks.lock(FolderLocks::HIERARCHY).await;
        let key = self.hierarchy_key(eng).await?;
        let req = FolderUpdateRequest {
            sync_key: key.clone(),
            server_id: folder.server_id.clone(),
            parent_id: folder.parent_server_id.clone().unwrap_or_else(|| "0".to_owned()),
            display_name: name.to_owned(),
        };
        let resp = self.call(eng, self.client.folder_update(&req)).await?;
        if !resp.status.is_success() {
            return Err(EngineError::Rejected {
                status: resp.status.code(),
                reason: "FolderUpdate refused".into(),
            });
        }
        let page = FolderSyncPage {
            expected_sync_key: Some(key),
            new_sync_key: resp.sync_key.unwrap_or_default(),
            full: false,
            changes: vec![FolderChange::Update {
                server_id: folder.server_id.clone(),
                parent_server_id: folder.parent_server_id.clone(),
                display_name: name.to_owned(),
                folder_type: folder.folder_type,
            }],
        };
        let pid = self.partnership;
        blocking(&eng.store, move |s| s.apply_folder_sync(pid, &page)).await?;
        Ok(())
    }

    /// FolderDelete.
    pub(crate) async fn delete_folder(&self, eng: &Engine, folder: &Folder) -> Result<()> {
        let _g = self.locks.lock(FolderLocks::HIERARCHY).await;
        let key = self.hierarchy_key(eng).await?;
        let req = FolderDeleteRequest {
            sync_key: key.clone(),
            server_id: folder.server_id.clone(),
        };
        let resp = self.call(eng, self.client.folder_delete(&req)).await?;
        if !resp.status.is_success() && resp.status != FolderStatus::NotFound {
            return Err(EngineError::Rejected {
                status: resp.status.code(),
                reason: "FolderDelete refused".into(),
            });
        }
        let page = FolderSyncPage {
            expected_sync_key: Some(key.clone()),
            new_sync_key: resp.sync_key.unwrap_or(key),
            full: false,
            changes: vec![FolderChange::Delete {
                server_id: folder.server_id.clone(),
            }],
        };
        let pid = self.partnership;
        blocking(&eng.store, move |s| s.apply_folder_sync(pid, &page)).await?;
        Ok(())
    }

    async fn hierarchy_key(&self, eng: &Engine) -> Result<String> {
        let pid = self.partnership;
        let p = blocking(&eng.store, move |s| s.partnership(pid))
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("partnership {pid}")))?;
        Ok(p.hierarchy_sync_key)
    }
}

/// Converts one FolderSync change; folders of classes easdav does not mirror are dropped (an
/// update that turns a folder into one of them deletes it).
fn folder_change(c: &EasFolderChange) -> FolderChange {
    match c {
        EasFolderChange::Add(f) | EasFolderChange::Update(f) if class_of(f.folder_type.code() as i32).is_none() => {
            FolderChange::Delete {
                server_id: f.server_id.clone(),
            }
        }
        EasFolderChange::Add(f) => FolderChange::Add(NewFolder {
            server_id: f.server_id.clone(),
            parent_server_id: Some(f.parent_id.clone()),
            folder_type: f.folder_type.code() as i32,
            display_name: f.display_name.clone(),
            collection_name: None,
        }),
        EasFolderChange::Update(f) => FolderChange::Update {
            server_id: f.server_id.clone(),
            parent_server_id: Some(f.parent_id.clone()),
            display_name: f.display_name.clone(),
            folder_type: f.folder_type.code() as i32,
        },
        EasFolderChange::Delete(id) => FolderChange::Delete { server_id: id.clone() },
    }
}
