//! Typed command methods over the `eas-proto` message types.

use std::sync::atomic::Ordering;
use std::time::Duration;

use eas_proto::folder_ops::{
    FolderCreateRequest, FolderCreateResponse, FolderDeleteRequest, FolderDeleteResponse, FolderUpdateRequest,
    FolderUpdateResponse,
};
use eas_proto::folder_sync::{FolderSyncRequest, FolderSyncResponse};
use eas_proto::get_item_estimate::{GetItemEstimateRequest, GetItemEstimateResponse};
use eas_proto::item_operations::{ItemOperationsRequest, ItemOperationsResponse};
use eas_proto::move_items::{MoveItemsRequest, MoveItemsResponse};
use eas_proto::ping::{PingRequest, PingResponse};
use eas_proto::settings::{SettingsRequest, SettingsResponse};
use eas_proto::sync::{SyncRequest, SyncResponse};
use eas_proto::{EasMessage, ProtocolVersion};

use crate::client::Client;
use crate::{Error, Result};

/// Heartbeat assumed for a Ping that does not state one and follows no Ping that did.
const DEFAULT_HEARTBEAT: u32 = 3540;

impl Client {
    /// Sends a typed request and decodes the typed response (`None` for an empty body, which
    /// only Sync and Ping accept).
    async fn typed<Q: EasMessage, R: EasMessage>(
        &self,
        cmd: &'static str,
        request: Option<&Q>,
        empty_ok: bool,
        timeout: Option<Duration>,
    ) -> Result<Option<R>> {
        self.ensure_ready().await?;
        let version = self.negotiated()?;
        let body = request.map(|q| q.to_element(version));
        let root = self.command_with_timeout(cmd, body.as_ref(), empty_ok, timeout).await?;
        // The version may have been renegotiated meanwhile; decode with the one that was sent.
        root.map(|el| R::from_element(&el, version).map_err(|source| Error::Proto { command: cmd, source }))
            .transpose()
    }

    /// Like [`typed`](Self::typed) for commands that always answer with a body.
    async fn typed_required<Q: EasMessage, R: EasMessage>(&self, cmd: &'static str, request: &Q) -> Result<R> {
        self.typed(cmd, Some(request), false, None)
            .await?
            .ok_or(Error::EmptyResponse { command: cmd })
    }

    fn negotiated(&self) -> Result<ProtocolVersion> {
        self.version()
            .ok_or_else(|| Error::Config("no protocol version negotiated".to_owned()))
    }

    /// `FolderSync` from `sync_key` (`"0"` for the full hierarchy).
    ///
    /// # Errors
    /// Every client error; a non-success `status` in the response is returned as data.
    pub async fn folder_sync(&self, sync_key: &str) -> Result<FolderSyncResponse> {
        let req = FolderSyncRequest {
            sync_key: sync_key.to_owned(),
        };
        self.typed_required("FolderSync", &req).await
    }

    /// `FolderCreate`.
    ///
    /// # Errors
    /// Every client error; the folder status is returned as data.
    pub async fn folder_create(&self, req: &FolderCreateRequest) -> Result<FolderCreateResponse> {
        self.typed_required("FolderCreate", req).await
    }

    /// `FolderUpdate` (rename / move).
    ///
    /// # Errors
    /// Every client error; the folder status is returned as data.
    pub async fn folder_update(&self, req: &FolderUpdateRequest) -> Result<FolderUpdateResponse> {
        self.typed_required("FolderUpdate", req).await
    }

    /// `FolderDelete`.
    ///
    /// # Errors
    /// Every client error; the folder status is returned as data.
    pub async fn folder_delete(&self, req: &FolderDeleteRequest) -> Result<FolderDeleteResponse> {
        self.typed_required("FolderDelete", req).await
    }

    /// `Sync`. `None` is the empty 200 answer ("nothing changed" to an empty/partial Sync).
    ///
    /// A hanging Sync (`wait`/`heartbeat_interval` set) gets the long timeout like Ping.
    ///
    /// # Errors
    /// Every client error; per-collection statuses are returned as data.
    pub async fn sync(&self, req: &SyncRequest) -> Result<Option<SyncResponse>> {
        let hang = req
            .heartbeat_interval
            .map(u64::from)
            .or(req.wait.map(|m| u64::from(m) * 60))
            .map(|s| Duration::from_secs(s) + self.inner.cfg.timeouts.ping_margin);
        self.typed("Sync", Some(req), true, hang).await
    }

    /// `Ping`. An empty request (no heartbeat, no folders) is sent as an empty body so the
    /// server reuses its cached parameters. The request timeout is the heartbeat (this
    /// request's, else the last one sent) plus [`Timeouts::ping_margin`](crate::Timeouts).
    /// `None` is an empty 200 answer.
    ///
    /// # Errors
    /// Every client error; the Ping status is returned as data.
    pub async fn ping(&self, req: &PingRequest) -> Result<Option<PingResponse>> {
        if let Some(h) = req.heartbeat_interval {
            self.inner.heartbeat.store(h, Ordering::Relaxed);
        }
        let heartbeat = match self.inner.heartbeat.load(Ordering::Relaxed) {
            0 => DEFAULT_HEARTBEAT,
            h => h,
        };
        let timeout = Duration::from_secs(u64::from(heartbeat)) + self.inner.cfg.timeouts.ping_margin;
        let empty = req.heartbeat_interval.is_none() && req.folders.is_empty();
        let body = (!empty).then_some(req);
        let resp: Option<PingResponse> = self.typed("Ping", body, true, Some(timeout)).await?;
        if let Some(h) = resp.as_ref().and_then(|r| r.heartbeat_interval) {
            // Status 5 carries the allowed bound; the caller re-pings with it.
            tracing::debug!(heartbeat = h, "server heartbeat bound");
        }
        Ok(resp)
    }

    /// `GetItemEstimate`.
    ///
    /// # Errors
    /// Every client error; statuses are returned as data.
    pub async fn get_item_estimate(&self, req: &GetItemEstimateRequest) -> Result<GetItemEstimateResponse> {
        self.typed_required("GetItemEstimate", req).await
    }

    /// `ItemOperations` (Fetch).
    ///
    /// # Errors
    /// Every client error; statuses are returned as data.
    pub async fn item_operations_fetch(&self, req: &ItemOperationsRequest) -> Result<ItemOperationsResponse> {
        self.typed_required("ItemOperations", req).await
    }

    /// `MoveItems`.
    ///
    /// # Errors
    /// Every client error; per-move statuses are returned as data.
    pub async fn move_items(&self, req: &MoveItemsRequest) -> Result<MoveItemsResponse> {
        self.typed_required("MoveItems", req).await
    }

    /// `Settings` (e.g. `UserInformation/Get` to learn the user's addresses).
    ///
    /// # Errors
    /// Every client error; statuses are returned as data.
    pub async fn settings(&self, req: &SettingsRequest) -> Result<SettingsResponse> {
        self.typed_required("Settings", req).await
    }
}
