//! The persisted state of one partnership, and the per-folder request locks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use eas_proto::ProtocolVersion;

/// What the engine must persist for a partnership and hand back to [`Client::new`](crate::Client::new).
///
/// The client updates it (redirects, negotiation, provisioning) and publishes every change on
/// [`Client::subscribe`](crate::Client::subscribe); the engine stores the latest value. Losing an
/// update is safe: the server answers a stale policy key with 144/449 and a stale URL with 451.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartnershipState {
    /// The full endpoint URL (any path); replaced by 451 redirects.
    pub url: String,
    /// The negotiated protocol version; `None` until OPTIONS ran.
    pub version: Option<ProtocolVersion>,
    /// `MS-ASProtocolCommands` from the last OPTIONS (de-duplicated, server order).
    pub commands: Vec<String>,
    /// The final policy key; `None` until provisioned. `"0"` means provisioned without a policy.
    pub policy_key: Option<String>,
    /// The policy settings of the last provisioning (element name, value), for the operator.
    pub policy: Vec<(String, String)>,
    /// Whether `Settings/DeviceInformation` was delivered (standalone on 12.1/14.0, inside
    /// Provision on 14.1+).
    pub device_info_sent: bool,
}

impl PartnershipState {
    /// A fresh partnership at `url`.
    ///
    /// # Example
    /// ```
    /// let s = eas_client::PartnershipState::new("https://mail.example.com/Microsoft-Server-ActiveSync");
    /// assert!(s.policy_key.is_none());
    /// ```
    pub fn new(url: impl Into<String>) -> Self {
        PartnershipState {
            url: url.into(),
            ..Default::default()
        }
    }

    /// A policy setting by element name, e.g. `"MaxCalendarAgeFilter"`.
    pub fn policy_setting(&self, name: &str) -> Option<&str> {
        self.policy.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Whether the server advertised `command` (case-insensitive). An empty list (OPTIONS not
    /// run, or no header) counts as "everything".
    pub fn supports(&self, command: &str) -> bool {
        self.commands.is_empty() || self.commands.iter().any(|c| c.eq_ignore_ascii_case(command))
    }
}

/// Per-folder async locks: a sync key is a chain, so at most one Sync/GetItemEstimate/
/// ItemOperations round trip per folder of a partnership may be in flight.
///
/// The client does **not** take these locks itself (the engine knows which requests belong
/// together, e.g. a Sync loop with MoreAvailable); the engine holds the guard across the round
/// trip *and* the persisting of the new sync key. Different folders and different users run
/// concurrently. The hierarchy (FolderSync/FolderCreate/…) uses the id [`FolderLocks::HIERARCHY`].
///
/// # Example
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let locks = eas_client::FolderLocks::default();
/// let guard = locks.lock("calendar-1").await;
/// assert!(locks.try_lock("calendar-1").is_none());
/// assert!(locks.try_lock("contacts-1").is_some());
/// drop(guard);
/// assert!(locks.try_lock("calendar-1").is_some());
/// # });
/// ```
#[derive(Clone, Default, Debug)]
pub struct FolderLocks {
    map: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

/// Holds a folder's lock until dropped.
pub type FolderGuard = tokio::sync::OwnedMutexGuard<()>;

impl FolderLocks {
    /// The lock id for the folder hierarchy.
    pub const HIERARCHY: &'static str = "\u{0}hierarchy";

    /// Waits for and takes the lock of `folder_id`.
    pub async fn lock(&self, folder_id: &str) -> FolderGuard {
        self.entry(folder_id).lock_owned().await
    }

    /// Takes the lock of `folder_id` if it is free.
    pub fn try_lock(&self, folder_id: &str) -> Option<FolderGuard> {
        self.entry(folder_id).try_lock_owned().ok()
    }

    fn entry(&self, folder_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        // Drop entries nobody holds or waits for, so the map does not grow with deleted folders.
        if map.len() > 64 {
            map.retain(|_, m| Arc::strong_count(m) > 1);
        }
        map.entry(folder_id.to_owned()).or_default().clone()
    }
}
