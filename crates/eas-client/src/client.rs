//! The [`Client`] of one partnership: construction, state, and bootstrap (negotiate + provision).

use std::sync::atomic::AtomicU32;
use std::sync::Arc;
use std::time::Duration;

use eas_proto::ProtocolVersion;
use tokio::sync::watch;
use wbxml::Element;

use crate::auth::AuthProvider;
use crate::retry::{Sleeper, TokioSleeper};
use crate::transport::Req;
use crate::{ClientConfig, Error, PartnershipState, Provisioning, Result, TlsConfig};

/// The client of one EAS device partnership. Cheap to clone (shared inside).
///
/// Every command method first makes sure the partnership is ready: it runs OPTIONS and picks a
/// version if none is known, and provisions if provisioning is enabled and no policy key is
/// known. Requests then carry the plain query form and the EAS headers; retries, redirects,
/// re-provisioning and auth refresh happen inside (see the crate docs).
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) cfg: ClientConfig,
    pub(crate) http: reqwest::Client,
    pub(crate) auth: Arc<dyn AuthProvider>,
    pub(crate) sleeper: Arc<dyn Sleeper>,
    pub(crate) state: watch::Sender<PartnershipState>,
    /// Serialises negotiation and provisioning (one of each at a time per partnership).
    pub(crate) bootstrap: tokio::sync::Mutex<()>,
    /// The last Ping heartbeat sent (seconds; 0 = none yet).
    pub(crate) heartbeat: AtomicU32,
    /// Until when the server asked us (by `Retry-After`) to stay away; requests before then
    /// fail fast with [`Error::Throttled`] instead of reaching the server.
    pub(crate) blocked_until: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("user", &self.inner.cfg.user)
            .field("device_id", &self.inner.cfg.device_id)
            .field("state", &*self.inner.state.borrow())
            .finish()
    }
}

impl Client {
    /// A client for the partnership described by `cfg`, starting from the persisted `state`.
    ///
    /// # Errors
    /// [`Error::Config`] if the URL does not parse or the TLS material is invalid.
    ///
    /// # Example
    /// ```
    /// use std::sync::Arc;
    /// use eas_client::{BasicAuth, Client, ClientConfig, PartnershipState};
    ///
    /// let cfg = ClientConfig::new("alice", "easdav0123456789", "EasDav");
    /// let state = PartnershipState::new("https://mail.example.com/Microsoft-Server-ActiveSync");
    /// let client = Client::new(cfg, state, Arc::new(BasicAuth::new("alice", "secret"))).unwrap();
    /// assert!(client.state().version.is_none());
    /// ```
    pub fn new(cfg: ClientConfig, state: PartnershipState, auth: Arc<dyn AuthProvider>) -> Result<Client> {
        Self::with_sleeper(cfg, state, auth, Arc::new(TokioSleeper))
    }

    /// Like [`Client::new`] with an injected [`Sleeper`] (tests record the back-off schedule).
    ///
    /// # Errors
    /// As [`Client::new`].
    pub fn with_sleeper(
        cfg: ClientConfig,
        state: PartnershipState,
        auth: Arc<dyn AuthProvider>,
        sleeper: Arc<dyn Sleeper>,
    ) -> Result<Client> {
        reqwest::Url::parse(&state.url).map_err(|e| Error::Config(format!("endpoint url {:?}: {e}", state.url)))?;
        let http = build_http(&cfg)?;
        let (state, _) = watch::channel(state);
        Ok(Client {
            inner: Arc::new(Inner {
                cfg,
                http,
                auth,
                sleeper,
                state,
                bootstrap: tokio::sync::Mutex::new(()),
                heartbeat: AtomicU32::new(0),
                blocked_until: std::sync::Mutex::new(None),
            }),
        })
    }

    /// A snapshot of the partnership state.
    pub fn state(&self) -> PartnershipState {
        self.inner.state.borrow().clone()
    }

    /// Subscribes to state changes; the engine persists each new value.
    pub fn subscribe(&self) -> watch::Receiver<PartnershipState> {
        self.inner.state.subscribe()
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.cfg
    }

    /// The negotiated version, if any.
    pub fn version(&self) -> Option<ProtocolVersion> {
        self.inner.state.borrow().version
    }

    /// Forgets the policy key, so the next command provisions again.
    pub fn forget_policy_key(&self) {
        self.update_state(|s| s.policy_key = None);
    }

    /// Makes sure a version is negotiated and (if enabled) a policy key is held.
    ///
    /// # Errors
    /// Errors of [`Client::negotiate`] and [`Client::provision`].
    pub async fn ensure_ready(&self) -> Result<()> {
        // A persisted version that contradicts a (new) pin is negotiated again.
        let stale =
            |v: Option<ProtocolVersion>| v.is_none() || self.inner.cfg.version_pin.is_some_and(|p| Some(p) != v);
        if stale(self.version()) {
            let _g = self.inner.bootstrap.lock().await;
            if stale(self.version()) {
                self.negotiate_locked().await?;
            }
        }
        let enabled = matches!(self.inner.cfg.provisioning, Provisioning::Enabled { .. });
        if enabled && self.inner.state.borrow().policy_key.is_none() {
            let _g = self.inner.bootstrap.lock().await;
            if self.inner.state.borrow().policy_key.is_none() {
                self.provision_locked().await?;
            }
        }
        let needs_info = {
            let s = self.inner.state.borrow();
            !s.device_info_sent && s.version.is_some_and(|v| v < ProtocolVersion::V14_1)
        };
        if needs_info && self.inner.state.borrow().supports("Settings") {
            // Some Exchange 2016 servers refuse FolderSync from 12.1/14.0 devices that never
            // sent DeviceInformation; failure here is logged, not fatal.
            match self.settings_device_information().await {
                Ok(()) => self.update_state(|s| s.device_info_sent = true),
                Err(e) if e.is_transient() => return Err(e),
                Err(e) => tracing::warn!(error = %e, "standalone Settings DeviceInformation failed"),
            }
        }
        Ok(())
    }

    /// Changes the state and publishes it if it differs.
    pub(crate) fn update_state(&self, f: impl FnOnce(&mut PartnershipState)) {
        self.inner.state.send_if_modified(|s| {
            let before = s.clone();
            f(s);
            *s != before
        });
    }

    /// Sends a POST command after [`ensure_ready`](Self::ensure_ready); returns the decoded body
    /// (`None` for an empty body, allowed only when `empty_ok`).
    pub(crate) async fn command(&self, cmd: &'static str, body: &Element, empty_ok: bool) -> Result<Option<Element>> {
        self.command_with_timeout(cmd, Some(body), empty_ok, None).await
    }

    /// As [`command`](Self::command) with an optional body and a request timeout override.
    pub(crate) async fn command_with_timeout(
        &self,
        cmd: &'static str,
        body: Option<&Element>,
        empty_ok: bool,
        timeout: Option<Duration>,
    ) -> Result<Option<Element>> {
        self.ensure_ready().await?;
        if !self.inner.state.borrow().supports(cmd) {
            return Err(Error::CommandNotSupported(cmd));
        }
        let mut req = Req::post(cmd, body.map(wbxml::encode));
        req.empty_ok = empty_ok;
        if let Some(t) = timeout {
            req.timeout = t;
        }
        Ok(self.send(&req).await?.body)
    }

    /// Sends any command element as-is (after [`ensure_ready`](Self::ensure_ready)) and returns
    /// the decoded response root, for commands without a typed method.
    ///
    /// # Errors
    /// Every transport, auth, provisioning and decoding error of the crate.
    pub async fn raw_command(&self, cmd: &'static str, body: &Element) -> Result<Option<Element>> {
        self.command(cmd, body, true).await
    }
}

/// Builds the reqwest client: rustls, timeouts, client identity and extra roots.
fn build_http(cfg: &ClientConfig) -> Result<reqwest::Client> {
    let b = reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(cfg.timeouts.connect)
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(90))
        .user_agent(cfg.user_agent.clone());
    apply_tls(b, &cfg.tls)?
        .build()
        .map_err(|e| Error::Config(format!("http client: {e}")))
}

/// Adds the client identity and the extra roots of `tls` to `b` (shared with Autodiscover).
pub(crate) fn apply_tls(mut b: reqwest::ClientBuilder, tls: &TlsConfig) -> Result<reqwest::ClientBuilder> {
    if let Some(pem) = &tls.client_identity_pem {
        let id = reqwest::Identity::from_pem(pem).map_err(|e| Error::Config(format!("client identity: {e}")))?;
        b = b.identity(id);
    }
    for pem in &tls.extra_roots_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| Error::Config(format!("ca root: {e}")))?;
        if certs.is_empty() {
            return Err(Error::Config("ca root: no certificate in pem".to_owned()));
        }
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    if tls.only_extra_roots {
        b = b.tls_built_in_root_certs(false);
    }
    Ok(b)
}
