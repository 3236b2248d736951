//! [`Engine`]: the per-installation entry point — accounts, credentials, operator functions and
//! shutdown.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use eas_client::{BasicAuth, Client, ClientConfig, PartnershipState, Provisioning};
use sha2::{Digest, Sha256};
use store::{FolderId, NewPartnership, Partnership, PartnershipId, PartnershipPatch, Store};
use tokio::sync::{watch, RwLock};

use crate::account::{Account, CredSlot};
use crate::error::{EngineError, Result};
use crate::EngineConfig;

/// The user name of the sentinel partnership that carries the installation id.
const INSTALLATION_USER: &str = "\u{1}easdav-installation";

/// The sync engine of one easdav installation: one account (partnership) per user, sharing one store.
///
/// Build it with [`Engine::new`], serve it with [`Engine::dav_backend`], stop it with
/// [`Engine::shutdown`].
pub struct Engine {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) cfg: EngineConfig,
    accounts: Mutex<HashMap<String, Arc<Account>>>,
    /// Verified logins: SHA-256(user NUL password) → user.
    creds: moka::future::Cache<[u8; 32], String>,
    pub(crate) shutdown_tx: watch::Sender<bool>,
    /// In-flight writes hold a read guard; shutdown takes the write guard.
    pub(crate) writes: RwLock<()>,
    pub(crate) shutting_down: AtomicBool,
    maintenance: AtomicBool,
    /// Upstream requests sent (for benchmarks and metrics).
    pub(crate) upstream_requests: AtomicU64,
    installation: tokio::sync::OnceCell<String>,
    /// Endpoints found by Autodiscover for users whose partnership is not created yet.
    discovered: Mutex<HashMap<String, String>>,
}

/// What the operator sees about one folder of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderReport {
    /// The DAV collection id.
    pub collection: String,
    /// The display name.
    pub display_name: String,
    /// The EAS folder type.
    pub folder_type: i32,
    /// When the last successful sync was applied (Unix ms).
    pub last_sync_at: Option<i64>,
    /// Items mirrored.
    pub items: usize,
    /// Whether a resync from key 0 is in progress.
    pub resyncing: bool,
}

/// What the operator sees about one account (one partnership).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountReport {
    /// The user name.
    pub user: String,
    /// The upstream DeviceId.
    pub device_id: String,
    /// The negotiated protocol version.
    pub protocol_version: Option<String>,
    /// Whether DAV access is refused (remote wipe).
    pub locked: bool,
    /// Why it is locked.
    pub lock_reason: Option<String>,
    /// The last recorded error.
    pub last_error: Option<String>,
    /// The policy settings received at provisioning (JSON text).
    pub policy: Option<String>,
    /// Whether a Ping loop is running now.
    pub pinging: bool,
    /// The mirrored folders.
    pub folders: Vec<FolderReport>,
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Runs a store call on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    store: &Arc<dyn Store>,
    f: impl FnOnce(&dyn Store) -> store::Result<T> + Send + 'static,
) -> Result<T> {
    let s = store.clone();
    tokio::task::spawn_blocking(move || f(s.as_ref()))
        .await
        .map_err(|e| EngineError::Internal(format!("store task: {e}")))?
        .map_err(EngineError::from)
}

impl Engine {
    /// Builds the engine over a store. Nothing is contacted until a user logs in.
    ///
    /// # Example
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// let store = store::SqliteStore::open_in_memory(store::SqliteConfig::default()).unwrap();
    /// let engine = sync_engine::Engine::new(Arc::new(store), sync_engine::EngineConfig::new("http://127.0.0.1:1/eas"));
    /// assert!(engine.accounts().await.unwrap().is_empty());
    /// engine.shutdown().await;
    /// # });
    /// ```
    pub fn new(store: Arc<dyn Store>, cfg: EngineConfig) -> Arc<Engine> {
        let (shutdown_tx, _) = watch::channel(false);
        Arc::new(Engine {
            store,
            creds: moka::future::Cache::builder()
                .time_to_live(cfg.credential_ttl)
                .max_capacity(100_000)
                .build(),
            cfg,
            accounts: Mutex::new(HashMap::new()),
            shutdown_tx,
            writes: RwLock::new(()),
            shutting_down: AtomicBool::new(false),
            maintenance: AtomicBool::new(false),
            upstream_requests: AtomicU64::new(0),
            installation: tokio::sync::OnceCell::new(),
            discovered: Mutex::new(HashMap::new()),
        })
    }

    /// The DAV backend over this engine (for `dav_server::DavServer::new`).
    pub fn dav_backend(self: &Arc<Self>) -> crate::DavBackend {
        crate::DavBackend::new(self.clone())
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    /// Upstream EAS requests sent so far (all users).
    pub fn upstream_requests(&self) -> u64 {
        self.upstream_requests.load(Ordering::Relaxed)
    }

    /// Stops every Ping loop, refuses new writes and waits for in-flight writes to finish.
    pub async fn shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        let _ = self.shutdown_tx.send(true);
        let _all = self.writes.write().await;
        let accounts: Vec<Arc<Account>> = self.lock_accounts().values().cloned().collect();
        for a in accounts {
            a.stop_ping().await;
        }
        tracing::info!("sync engine stopped");
    }

    /// Verifies a DAV login upstream (cached for `credential_ttl`) and returns the canonical user.
    /// `Ok(None)` means wrong credentials.
    ///
    /// # Errors
    /// `Locked` for a wiped account; `UpstreamUnavailable` when Exchange cannot be asked.
    pub async fn authenticate(self: &Arc<Self>, user: &str, password: &str) -> Result<Option<String>> {
        let key = cred_key(user, password);
        if let Some(u) = self.creds.get(&key).await {
            let acct = self.account(&u).await?;
            acct.check_unlocked()?;
            // A rebuilt account (after an unlock elsewhere) has no credentials yet: verify again.
            if acct.creds.is_set() {
                return Ok(Some(u));
            }
        }
        // Ask upstream with the candidate credentials without disturbing the live client, and
        // before creating anything for an unknown user name.
        let installation = self.installation_id().await?;
        let u = user.to_owned();
        let known = blocking(&self.store, move |s| s.partnerships_for_user(&u))
            .await?
            .into_iter()
            .next();
        let (device, state) = match (self.loaded_account(user), &known) {
            (Some(a), _) => {
                a.check_unlocked()?;
                (a.device_id.clone(), a.client.state())
            }
            (None, Some(p)) => {
                if p.lock.is_locked() {
                    return Err(EngineError::Locked(format!(
                        "account {user} is locked; an operator must unlock it"
                    )));
                }
                (p.device_id.clone(), state_from_partnership(p))
            }
            (None, None) => (
                device_id(&self.cfg.device_id_prefix, user, &installation),
                PartnershipState::new(self.endpoint_for_new_user(user, password).await?),
            ),
        };
        let mut probe_cfg = self.client_config(&device);
        probe_cfg.user = user.to_owned();
        let probe = Client::new(probe_cfg, state, Arc::new(BasicAuth::new(user, password)))
            .map_err(EngineError::from_client)?;
        self.upstream_requests.fetch_add(1, Ordering::Relaxed);
        match probe.options().await {
            Ok(_) => {}
            Err(eas_client::Error::Unauthorized { .. }) | Err(eas_client::Error::Forbidden) => return Ok(None),
            Err(e) => return Err(EngineError::from_client(e)),
        }
        let acct = self.account(user).await?;
        acct.check_unlocked()?;
        acct.creds.set(user, password);
        self.creds.insert(key, acct.user.clone()).await;
        match acct.ensure_ready(self).await {
            Ok(()) => {}
            Err(EngineError::Locked(r)) => return Err(EngineError::Locked(r)),
            Err(e) => {
                tracing::warn!(user = %acct.user, error = %e, "account bootstrap failed; retried on next request")
            }
        }
        Ok(Some(acct.user.clone()))
    }

    /// The in-memory account of `user`, created (with its partnership) on first use.
    pub(crate) async fn account(self: &Arc<Self>, user: &str) -> Result<Arc<Account>> {
        let loaded = self.lock_accounts().get(user).cloned();
        if let Some(a) = loaded {
            if a.check_unlocked().is_ok() {
                return Ok(a);
            }
            // Locked in memory: an operator may have unlocked it from another process
            // (`easdav accounts unlock`); then start over from the store.
            let pid = a.partnership;
            let p = blocking(&self.store, move |s| s.partnership(pid)).await?;
            if p.is_some_and(|p| p.lock.is_locked()) {
                return Ok(a);
            }
            self.unload(user).await;
        }
        self.start_maintenance();
        let installation = self.installation_id().await?;
        let p = self.partnership_for(user, &installation).await?;
        let acct = Arc::new(self.build_account(p)?);
        let mut map = self.lock_accounts();
        Ok(map.entry(user.to_owned()).or_insert(acct).clone())
    }

    /// Starts (once) the hourly pruning of tombstones older than the horizon and of finished
    /// outbox entries older than a week.
    fn start_maintenance(self: &Arc<Self>) {
        if self.maintenance.swap(true, Ordering::SeqCst) {
            return;
        }
        let eng = Arc::downgrade(self);
        let mut shutdown = self.shutdown_tx.subscribe();
        tokio::spawn(async move {
            loop {
                let Some(e) = eng.upgrade() else { return };
                let horizon = i64::try_from(e.cfg.tombstone_horizon.as_millis()).unwrap_or(i64::MAX);
                let now = now_ms();
                let r = blocking(&e.store, move |s| {
                    let t = s.prune_tombstones(now.saturating_sub(horizon))?;
                    let o = s.outbox_prune_finished(now.saturating_sub(7 * 24 * 3600 * 1000))?;
                    Ok((t, o))
                })
                .await;
                match r {
                    Ok((t, o)) if t + o > 0 => tracing::info!(tombstones = t, outbox = o, "pruned"),
                    Ok(_) => {}
                    Err(err) => tracing::warn!(error = %err, "pruning failed"),
                }
                drop(e);
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
                    _ = shutdown.changed() => return,
                }
            }
        });
    }

    /// The account if it is already loaded (no store access).
    pub(crate) fn loaded_account(&self, user: &str) -> Option<Arc<Account>> {
        self.lock_accounts().get(user).cloned()
    }

    fn lock_accounts(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Account>>> {
        self.accounts.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn installation_id(&self) -> Result<String> {
        self.installation
            .get_or_try_init(|| async {
                let existing = blocking(&self.store, |s| s.partnerships_for_user(INSTALLATION_USER)).await?;
                if let Some(p) = existing.into_iter().next() {
                    return Ok(p.device_id);
                }
                let id = uuid::Uuid::new_v4().simple().to_string();
                let new = NewPartnership {
                    user_name: INSTALLATION_USER.to_owned(),
                    device_id: id.clone(),
                    device_type: "installation".to_owned(),
                    upstream_url: "urn:easdav:installation".to_owned(),
                };
                match blocking(&self.store, move |s| s.create_partnership(&new)).await {
                    Ok(_) => Ok(id),
                    // A concurrent first start won the race: use its id.
                    Err(_) => blocking(&self.store, |s| s.partnerships_for_user(INSTALLATION_USER))
                        .await?
                        .into_iter()
                        .next()
                        .map(|p| p.device_id)
                        .ok_or_else(|| EngineError::Internal("installation id missing".to_owned())),
                }
            })
            .await
            .cloned()
    }

    /// The endpoint of a user who has no partnership yet: Autodiscover when configured (falling
    /// back to the configured URL), else the configured URL.
    async fn endpoint_for_new_user(&self, user: &str, password: &str) -> Result<String> {
        let Some(opts) = &self.cfg.autodiscover else {
            return Ok(self.cfg.upstream_url.clone());
        };
        if let Some(u) = self.discovered.lock().unwrap_or_else(|e| e.into_inner()).get(user) {
            return Ok(u.clone());
        }
        self.upstream_requests.fetch_add(1, Ordering::Relaxed);
        match eas_client::discover(user, &BasicAuth::new(user, password), opts).await {
            Ok(found) => {
                tracing::info!(user, url = %found.url, method = ?found.method, "autodiscover found the endpoint");
                self.discovered
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(user.to_owned(), found.url.clone());
                Ok(found.url)
            }
            Err(e) if !self.cfg.upstream_url.is_empty() => {
                tracing::warn!(user, error = %e, "autodiscover failed; using the configured upstream url");
                Ok(self.cfg.upstream_url.clone())
            }
            Err(e) => Err(EngineError::Upstream(format!("autodiscover for {user}: {e}"))),
        }
    }

    async fn partnership_for(&self, user: &str, installation: &str) -> Result<Partnership> {
        let u = user.to_owned();
        if let Some(p) = blocking(&self.store, move |s| s.partnerships_for_user(&u))
            .await?
            .into_iter()
            .next()
        {
            return Ok(p);
        }
        let new = NewPartnership {
            user_name: user.to_owned(),
            device_id: device_id(&self.cfg.device_id_prefix, user, installation),
            device_type: self.cfg.device_type.clone(),
            upstream_url: self
                .discovered
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(user)
                .cloned()
                .unwrap_or_else(|| self.cfg.upstream_url.clone()),
        };
        tracing::info!(user, device_id = %new.device_id, url = %new.upstream_url, "creating partnership");
        blocking(&self.store, move |s| s.create_partnership(&new)).await
    }

    pub(crate) fn client_config(&self, device_id: &str) -> ClientConfig {
        // The user name is filled in by the caller when it differs; the simulator and Exchange
        // take the identity from the credentials.
        let mut c = ClientConfig::new("", device_id, self.cfg.device_type.clone());
        c.version_pin = self.cfg.version_pin;
        c.provisioning = Provisioning::Enabled {
            ack: self.cfg.policy_ack,
        };
        c.retry = self.cfg.retry.clone();
        c.tls.extra_roots_pem = self.cfg.extra_roots_pem.clone();
        c.timeouts.ping_margin = Duration::from_secs(30);
        c
    }

    fn build_account(&self, p: Partnership) -> Result<Account> {
        let mut cfg = self.client_config(&p.device_id);
        cfg.user = p.user_name.clone();
        let state = state_from_partnership(&p);
        let creds = Arc::new(CredSlot::default());
        let client = Client::new(cfg, state, creds.clone()).map_err(EngineError::from_client)?;
        // Persist every state change the client publishes (policy key, version, redirects).
        let mut rx = client.subscribe();
        let store = self.store.clone();
        let pid = p.id;
        tokio::spawn(async move {
            while rx.changed().await.is_ok() {
                let st = rx.borrow_and_update().clone();
                let patch = patch_from_state(&st);
                let s = store.clone();
                let r = tokio::task::spawn_blocking(move || s.update_partnership(pid, &patch)).await;
                if !matches!(r, Ok(Ok(_))) {
                    tracing::warn!(partnership = %pid, "persisting partnership state failed");
                }
            }
        });
        Ok(Account::new(p, client, creds))
    }

    /// Every account with its folders, for the operator.
    ///
    /// # Errors
    /// Store failures.
    pub async fn accounts(&self) -> Result<Vec<AccountReport>> {
        let parts = blocking(&self.store, |s| s.list_partnerships()).await?;
        let mut out = Vec::new();
        for p in parts.into_iter().filter(|p| p.user_name != INSTALLATION_USER) {
            let pid = p.id;
            let folders = blocking(&self.store, move |s| {
                let mut v = Vec::new();
                for f in s.list_folders(pid)? {
                    let items = s.list_items(f.id)?.len();
                    v.push(FolderReport {
                        collection: f.collection_name,
                        display_name: f.display_name,
                        folder_type: f.folder_type,
                        last_sync_at: f.last_sync_at,
                        items,
                        resyncing: f.resyncing,
                    });
                }
                Ok(v)
            })
            .await?;
            let pinging = self.loaded_account(&p.user_name).is_some_and(|a| a.is_pinging());
            let (locked, lock_reason) = match &p.lock {
                store::LockState::Unlocked => (false, None),
                store::LockState::Locked { reason, .. } => (true, Some(reason.clone())),
            };
            out.push(AccountReport {
                user: p.user_name,
                device_id: p.device_id,
                protocol_version: p.protocol_version,
                locked,
                lock_reason,
                last_error: p.last_error,
                policy: p.policy_settings,
                pinging,
                folders,
            });
        }
        Ok(out)
    }

    async fn partnership_ids(&self, user: &str) -> Result<Vec<PartnershipId>> {
        let u = user.to_owned();
        let ps = blocking(&self.store, move |s| s.partnerships_for_user(&u)).await?;
        if ps.is_empty() {
            return Err(EngineError::NotFound(format!("user {user}")));
        }
        Ok(ps.into_iter().map(|p| p.id).collect())
    }

    /// Forgets the in-memory account (it is rebuilt from the store on next use).
    async fn unload(&self, user: &str) {
        let acct = self.lock_accounts().remove(user);
        if let Some(a) = acct {
            a.stop_ping().await;
        }
        self.creds.invalidate_all();
    }

    /// Operator: unlocks a wiped account; it starts over with a fresh mirror on next use.
    ///
    /// # Errors
    /// `NotFound` for an unknown user; store failures.
    pub async fn unlock(&self, user: &str) -> Result<()> {
        for id in self.partnership_ids(user).await? {
            blocking(&self.store, move |s| s.unlock_partnership(id)).await?;
        }
        self.unload(user).await;
        tracing::warn!(user, "account unlocked by operator");
        Ok(())
    }

    /// Operator: deletes the user's mirror (folders, items, outbox) and starts over on next use.
    ///
    /// # Errors
    /// `NotFound` for an unknown user; store failures.
    pub async fn purge(&self, user: &str) -> Result<()> {
        self.unload(user).await;
        for id in self.partnership_ids(user).await? {
            blocking(&self.store, move |s| {
                s.purge_partnership(id, "purged by operator")?;
                s.unlock_partnership(id)
            })
            .await?;
        }
        tracing::warn!(user, "mirror purged by operator");
        Ok(())
    }

    /// Operator: resynchronises every folder of the user from key 0, keeping resource names and
    /// ETags of unchanged items.
    ///
    /// # Errors
    /// `NotFound` for an unknown user; store failures.
    pub async fn force_resync(&self, user: &str) -> Result<()> {
        for id in self.partnership_ids(user).await? {
            blocking(&self.store, move |s| {
                for f in s.list_folders(id)? {
                    s.begin_resync(f.id)?;
                }
                Ok(())
            })
            .await?;
        }
        tracing::info!(user, "resync from key 0 scheduled");
        Ok(())
    }

    /// Syncs one folder now (tests and the operator); `max_age` skips a folder synced recently.
    ///
    /// # Errors
    /// Upstream and store failures.
    pub async fn sync_folder_now(self: &Arc<Self>, user: &str, folder: FolderId) -> Result<()> {
        let acct = self.account(user).await?;
        acct.sync_folder(self, folder, None).await
    }

    /// Runs the hierarchy sync and a sync of every mirrored folder for `user` (the credentials
    /// must have been verified with [`Engine::authenticate`]).
    ///
    /// # Errors
    /// Upstream and store failures.
    pub async fn sync_all(self: &Arc<Self>, user: &str) -> Result<()> {
        let acct = self.account(user).await?;
        acct.ensure_ready(self).await?;
        acct.sync_hierarchy(self).await?;
        acct.sync_all_folders(self, None).await
    }
}

fn cred_key(user: &str, password: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"easdav-cred\0");
    h.update(user.as_bytes());
    h.update([0u8]);
    h.update(password.as_bytes());
    h.finalize().into()
}

/// The stable DeviceId of `user` on this installation: the prefix (its first 12 ASCII
/// alphanumerics) followed by hex digits of SHA-256(installation id, user), 32 characters in all.
pub(crate) fn device_id(prefix: &str, user: &str, installation: &str) -> String {
    let prefix: String = prefix.chars().filter(|c| c.is_ascii_alphanumeric()).take(12).collect();
    let mut h = Sha256::new();
    h.update(installation.as_bytes());
    h.update([0u8]);
    h.update(user.as_bytes());
    let hex = hex::encode(h.finalize());
    let room = 32usize.saturating_sub(prefix.len()).min(hex.len());
    format!("{prefix}{}", hex.get(..room).unwrap_or(&hex))
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct StoredState {
    #[serde(default)]
    policy: Vec<(String, String)>,
    #[serde(default)]
    commands: Vec<String>,
    #[serde(default)]
    device_info_sent: bool,
}

fn state_from_partnership(p: &Partnership) -> PartnershipState {
    let mut st = PartnershipState::new(p.upstream_url.clone());
    st.version = p.protocol_version.as_deref().and_then(|v| v.parse().ok());
    st.policy_key = p.policy_key.clone();
    if let Some(extra) = p
        .policy_settings
        .as_deref()
        .and_then(|j| serde_json::from_str::<StoredState>(j).ok())
    {
        st.policy = extra.policy;
        st.commands = extra.commands;
        st.device_info_sent = extra.device_info_sent;
    }
    st
}

fn patch_from_state(st: &PartnershipState) -> PartnershipPatch {
    let extra = StoredState {
        policy: st.policy.clone(),
        commands: st.commands.clone(),
        device_info_sent: st.device_info_sent,
    };
    PartnershipPatch {
        policy_key: Some(st.policy_key.clone()),
        protocol_version: Some(st.version.map(|v| v.as_str().to_owned())),
        upstream_url: Some(st.url.clone()),
        hierarchy_sync_key: None,
        policy_settings: Some(serde_json::to_string(&extra).ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_ids_are_stable_distinct_and_short() {
        let a = device_id("easdav", "alice", "inst1");
        assert_eq!(a, device_id("easdav", "alice", "inst1"));
        assert_ne!(a, device_id("easdav", "bob", "inst1"));
        assert_ne!(a, device_id("easdav", "alice", "inst2"));
        assert_eq!(a.len(), 32);
        assert!(a.starts_with("easdav") && a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(device_id("a-very-long-prefix-indeed", "x", "y").len() <= 32);
    }
}
