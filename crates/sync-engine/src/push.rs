//! Push: one Ping loop per active user over all mirrored folders. The heartbeat starts at the
//! configured value, grows toward the maximum while Pings expire quietly and adopts the server's
//! bound on status 5; a result syncs exactly the changed folders; status 7 runs FolderSync.
//! A user idle for `active_idle` stops pinging and catches up on the next request.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use eas_proto::ping::{PingFolder, PingRequest};
use eas_proto::PingStatus;

use crate::account::{class_of, eas_class, Account};
use crate::engine::{now_ms, Engine};
use crate::error::EngineError;

impl Account {
    /// Starts the Ping loop if it is not running (and the account is usable).
    pub(crate) fn ensure_ping(self: &Arc<Self>, eng: &Arc<Engine>) {
        self.touch();
        if eng.shutting_down.load(Ordering::SeqCst) || self.check_unlocked().is_err() || !self.creds.is_set() {
            return;
        }
        let mut slot = self.ping.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_some_and(|h| !h.is_finished()) {
            return;
        }
        let acct = self.clone();
        let eng = eng.clone();
        *slot = Some(tokio::spawn(async move { acct.ping_loop(eng).await }));
    }

    /// Whether a Ping loop runs now.
    pub(crate) fn is_pinging(&self) -> bool {
        self.ping
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|h| !h.is_finished())
    }

    /// Stops the Ping loop.
    pub(crate) async fn stop_ping(&self) {
        let h = self.ping.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = h {
            h.abort();
            let _ = h.await;
        }
    }

    async fn ping_loop(self: Arc<Self>, eng: Arc<Engine>) {
        let mut shutdown = eng.shutdown_tx.subscribe();
        let mut min = eng.cfg.heartbeat_min.as_secs().max(1) as u32;
        let mut max = eng.cfg.heartbeat_max.as_secs().max(u64::from(min)) as u32;
        let mut heartbeat = (eng.cfg.heartbeat_initial.as_secs() as u32).clamp(min, max);
        let mut max_folders: Option<usize> = None;
        let mut failures: u32 = 0;
        // Catch up first (initial mirror, or changes made while idle).
        if let Err(e) = self.sync_all_folders(&eng, Some(eng.cfg.staleness)).await {
            tracing::warn!(user = %self.user, error = %e, "catch-up sync failed");
            if matches!(e, EngineError::Locked(_)) {
                return;
            }
        }
        tracing::debug!(user = %self.user, heartbeat, "ping loop started");
        loop {
            if *shutdown.borrow() {
                return;
            }
            let idle_ms = i64::try_from(eng.cfg.active_idle.as_millis()).unwrap_or(i64::MAX);
            let idle_left = idle_ms - (now_ms() - self.last_used.load(Ordering::Relaxed));
            if idle_left <= 0 {
                tracing::debug!(user = %self.user, "idle; ping loop stops");
                // Without push, what was synced so far is not known to be current any more.
                self.stale_before.store(now_ms(), Ordering::Relaxed);
                return;
            }
            let folders = match self.folders(&eng).await {
                Ok(f) => f,
                Err(_) => {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
            };
            let mut ping_folders: Vec<PingFolder> = folders
                .iter()
                .filter_map(|f| {
                    class_of(f.folder_type).map(|c| PingFolder {
                        id: f.server_id.clone(),
                        class: eas_class(c),
                    })
                })
                .collect();
            if let Some(m) = max_folders {
                ping_folders.truncate(m);
            }
            if ping_folders.is_empty() {
                tokio::time::sleep(Duration::from_secs(u64::from(heartbeat))).await;
                continue;
            }
            let req = PingRequest {
                heartbeat_interval: Some(heartbeat),
                folders: ping_folders,
            };
            let idle_wait = Duration::from_millis(u64::try_from(idle_left).unwrap_or(0));
            let result = tokio::select! {
                r = self.call(&eng, self.client.ping(&req)) => r,
                _ = tokio::time::sleep(idle_wait) => continue,
                _ = shutdown.changed() => return,
            };
            match result {
                Ok(Some(resp)) => {
                    failures = 0;
                    match resp.status {
                        PingStatus::Expired => heartbeat = (heartbeat.saturating_mul(2)).min(max),
                        PingStatus::ChangesFound => {
                            let changed: HashSet<&str> = resp.folders.iter().map(String::as_str).collect();
                            for f in folders.iter().filter(|f| changed.contains(f.server_id.as_str())) {
                                if let Err(e) = self.sync_folder(&eng, f.id, None).await {
                                    tracing::warn!(user = %self.user, folder = %f.display_name, error = %e, "sync after ping failed");
                                    if matches!(e, EngineError::Locked(_)) {
                                        return;
                                    }
                                }
                            }
                        }
                        PingStatus::InvalidHeartbeatInterval => {
                            if let Some(bound) = resp.heartbeat_interval {
                                if bound > heartbeat {
                                    min = bound;
                                } else {
                                    max = bound;
                                }
                                min = min.min(max);
                                heartbeat = bound;
                            } else {
                                heartbeat = min;
                            }
                        }
                        PingStatus::TooManyFolders => max_folders = resp.max_folders.map(|m| m as usize),
                        PingStatus::FolderSyncRequired => {
                            if let Err(e) = self.sync_hierarchy(&eng).await {
                                tracing::warn!(user = %self.user, error = %e, "hierarchy sync after ping failed");
                            }
                            // New folders need their initial sync.
                            let _ = self
                                .sync_all_folders(&eng, Some(Duration::from_secs(3600 * 24 * 365)))
                                .await;
                        }
                        _ => {
                            failures += 1;
                            tokio::time::sleep(backoff(failures)).await;
                        }
                    }
                }
                Ok(None) => heartbeat = (heartbeat.saturating_mul(2)).min(max),
                Err(EngineError::Locked(_)) => return,
                Err(e) => {
                    failures += 1;
                    let wait = match &e {
                        EngineError::UpstreamUnavailable {
                            retry_after: Some(d), ..
                        } => *d,
                        _ => backoff(failures),
                    };
                    tracing::warn!(user = %self.user, error = %e, wait_ms = wait.as_millis() as u64, "ping failed");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = shutdown.changed() => return,
                    }
                }
            }
        }
    }
}

fn backoff(failures: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << failures.min(7))).min(Duration::from_secs(60))
}
