//! Wiring of the gateway: store → engine → DAV server → HTTP front, shared by
//! `easdav serve` and `easdav demo`.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use dav_server::{DavConfig, DavServer};
use metrics_exporter_prometheus::PrometheusHandle;
use sync_engine::{DavBackend, Engine, EngineConfig};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{Config, ConflictPolicy, PolicyAck};
use crate::gateway::{self, Gateway};
use crate::limiter::LoginLimiter;

/// How long in-flight requests may take to finish after a shutdown signal.
pub const GRACE: Duration = Duration::from_secs(30);

/// A running gateway.
pub struct RunningGateway {
    /// The addresses actually bound (port 0 resolved).
    pub addrs: Vec<SocketAddr>,
    engine: Arc<Engine>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    ready: Arc<std::sync::atomic::AtomicBool>,
}

impl RunningGateway {
    /// The engine (for operator functions).
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Stops accepting, lets in-flight requests finish (bounded by [`GRACE`]),
    /// then stops the engine (pings end, pending writes are finished or left
    /// in the outbox for the next start).
    pub async fn shutdown(self) {
        self.ready.store(false, Ordering::Relaxed);
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        self.engine.shutdown().await;
        tracing::info!("gateway stopped");
    }
}

/// The engine's settings from the validated configuration.
///
/// # Errors
/// When a CA file cannot be read or no upstream URL is configured.
pub fn engine_config(cfg: &Config) -> anyhow::Result<EngineConfig> {
    let url = match (&cfg.upstream_url, cfg.autodiscover) {
        (Some(u), _) => u.clone(),
        // Each user's endpoint is found from the e-mail address they log in with.
        (None, true) => String::new(),
        (None, false) => anyhow::bail!("no upstream URL: set upstream.url, --upstream or upstream.autodiscover"),
    };
    let mut e = EngineConfig::new(url);
    e.version_pin = match &cfg.protocol_version {
        Some(v) => Some(
            v.parse()
                .map_err(|e| anyhow::anyhow!("upstream.protocol_version: {e}"))?,
        ),
        None => None,
    };
    e.device_type = cfg.device_type.clone();
    e.device_id_prefix = cfg.device_id_prefix.clone();
    e.window_size = cfg.window_size;
    e.staleness = cfg.staleness;
    let (init, min, max) = cfg.heartbeat;
    e.heartbeat_initial = Duration::from_secs(init.into());
    e.heartbeat_min = Duration::from_secs(min.into());
    e.heartbeat_max = Duration::from_secs(max.into());
    e.active_idle = cfg.active_user_idle;
    e.conflict = match cfg.conflict_policy {
        ConflictPolicy::ServerWins => sync_engine::ConflictPolicy::ServerWins,
        ConflictPolicy::ClientWins => sync_engine::ConflictPolicy::ClientWins,
    };
    e.policy_ack = match cfg.policy_ack {
        PolicyAck::Accept => eas_client::PolicyAck::Accept,
        PolicyAck::Refuse => eas_client::PolicyAck::Refuse,
    };
    e.tombstone_horizon = cfg.tombstone_horizon;
    for p in &cfg.ca_roots {
        e.extra_roots_pem
            .push(std::fs::read(p).with_context(|| format!("reading CA file {}", p.display()))?);
    }
    if cfg.autodiscover {
        let mut opts = eas_client::AutodiscoverOptions::default();
        opts.tls.extra_roots_pem = e.extra_roots_pem.clone();
        e.autodiscover = Some(opts);
    }
    Ok(e)
}

/// The DAV server's settings from the validated configuration.
pub fn dav_config(cfg: &Config) -> DavConfig {
    DavConfig {
        mount_prefix: cfg.path_prefix.clone(),
        public_base_url: cfg.external_url.clone(),
        trusted_proxies: cfg.trusted_proxies.clone(),
        max_body_bytes: usize::try_from(cfg.max_body_bytes).unwrap_or(usize::MAX),
        ..DavConfig::default()
    }
}

/// Opens the store, starts the engine and binds every listener.
///
/// # Errors
/// When the data directory, the database or a listener cannot be opened.
pub async fn start(cfg: &Config, metrics: Option<PrometheusHandle>) -> anyhow::Result<RunningGateway> {
    std::fs::create_dir_all(&cfg.data_dir)
        .with_context(|| format!("creating data directory {}", cfg.data_dir.display()))?;
    let db = cfg.data_dir.join("easdav.sqlite3");
    let store_cfg = store::SqliteConfig {
        tombstone_horizon: cfg.tombstone_horizon,
        ..store::SqliteConfig::default()
    };
    let store = tokio::task::spawn_blocking(move || store::SqliteStore::open(&db, store_cfg))
        .await
        .context("opening the store")?
        .context("opening the store")?;
    let store: Arc<dyn store::Store> = Arc::new(store);
    let engine = Engine::new(Arc::clone(&store), engine_config(cfg)?);
    let backend: Arc<DavBackend> = Arc::new(engine.dav_backend());
    let dav = DavServer::new(backend, dav_config(cfg));
    let limiter = LoginLimiter::new(cfg.failed_logins_per_user, cfg.failed_logins_per_address);
    let gauges = Arc::new(RwLock::new(render_gauges(&engine, &store).await.unwrap_or_default()));
    let front = Gateway::new(dav, metrics, limiter, cfg.trusted_proxies.clone()).with_extra_metrics({
        let g = Arc::clone(&gauges);
        Arc::new(move || g.read().map(|s| s.clone()).unwrap_or_default())
    });
    let tls = match &cfg.tls {
        Some((cert, key)) => Some(gateway::tls_acceptor(cert, key).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let (stop, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    let mut addrs = Vec::new();
    for addr in &cfg.listen {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("listening on {addr}"))?;
        let local = listener.local_addr()?;
        addrs.push(local);
        let mut rx = stop_rx.clone();
        let front = front.clone();
        let tls = tls.clone();
        tasks.push(tokio::spawn(async move {
            let stopped = async move {
                let _ = rx.wait_for(|s| *s).await;
            };
            front.serve(listener, tls, stopped, GRACE).await;
        }));
        let scheme = if cfg.tls.is_some() { "https" } else { "http" };
        tracing::info!("DAV server listening on {scheme}://{local}{}/", cfg.path_prefix);
    }
    tasks.push(tokio::spawn(refresh_gauges(
        Arc::clone(&engine),
        store,
        gauges,
        stop_rx,
    )));
    let ready = front.ready_flag();
    ready.store(true, Ordering::Relaxed);
    Ok(RunningGateway {
        addrs,
        engine,
        stop,
        tasks,
        ready,
    })
}

/// Renders per-account gauges every few seconds (the metrics endpoint must
/// not wait for the store).
async fn refresh_gauges(
    engine: Arc<Engine>,
    store: Arc<dyn store::Store>,
    out: Arc<RwLock<String>>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        if let Some(s) = render_gauges(&engine, &store).await {
            if let Ok(mut w) = out.write() {
                *w = s;
            }
        }
    }
}

/// The per-account gauges in Prometheus text form (`None` when the store is unreadable).
async fn render_gauges(engine: &Arc<Engine>, store: &Arc<dyn store::Store>) -> Option<String> {
    // Pending upstream writes (the outbox), summed over partnerships.
    let st = Arc::clone(store);
    let outbox = tokio::task::spawn_blocking(move || -> store::Result<usize> {
        let mut n = 0;
        for p in st.list_partnerships()? {
            n += st.outbox_pending(p.id)?.len();
        }
        Ok(n)
    })
    .await
    .ok()
    .and_then(Result::ok)?;
    let accounts = engine.accounts().await.ok()?;
    let now = jiff::Timestamp::now().as_millisecond();
    let mut s = String::new();
    s.push_str("# HELP easdav_sync_lag_seconds Time since the last successful sync of a folder.\n");
    s.push_str("# TYPE easdav_sync_lag_seconds gauge\n");
    for a in &accounts {
        for f in &a.folders {
            if let Some(t) = f.last_sync_at {
                let lag = (now - t).max(0) as f64 / 1000.0;
                s.push_str(&format!(
                    "easdav_sync_lag_seconds{{user=\"{}\",collection=\"{}\"}} {lag}\n",
                    escape(&a.user),
                    escape(&f.collection)
                ));
            }
        }
    }
    let gauge = |s: &mut String, name: &str, help: &str, v: usize| {
        s.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}\n"));
    };
    gauge(
        &mut s,
        "easdav_active_pings",
        "Users with a live Ping loop.",
        accounts.iter().filter(|a| a.pinging).count(),
    );
    gauge(
        &mut s,
        "easdav_accounts",
        "Accounts known to the gateway.",
        accounts.len(),
    );
    gauge(
        &mut s,
        "easdav_accounts_locked",
        "Accounts locked by a remote wipe.",
        accounts.iter().filter(|a| a.locked).count(),
    );
    gauge(
        &mut s,
        "easdav_account_errors",
        "Accounts whose last upstream operation failed.",
        accounts.iter().filter(|a| a.last_error.is_some()).count(),
    );
    gauge(
        &mut s,
        "easdav_outbox_depth",
        "Upstream writes persisted but not yet acknowledged.",
        outbox,
    );
    Some(s)
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
