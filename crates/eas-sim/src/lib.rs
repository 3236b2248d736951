//! A protocol-faithful Exchange ActiveSync server simulator.
//!
//! It serves `/Microsoft-Server-ActiveSync` over real HTTP (hyper + tokio) for
//! a fixed set of users (HTTP Basic or bearer token), with per-device
//! provisioning, a per-user folder hierarchy, sync-key chaining with
//! idempotent replay, Ping long-polls, the 16.x calendar write model, fault
//! injection and a JSON control API on a second loopback listener.
//!
//! What it deliberately is not: a mail server (no SendMail, Search, MIME) or a
//! recurrence engine (occurrence edits are stored as exceptions, never expanded).
//! It shares only the wire crates (`wbxml`, `eas-proto`) with the gateway.
//!
//! Central types: [`Config`] (what to serve), [`Simulator`] (starts it),
//! [`SimHandle`] (URLs and shutdown), [`FaultRule`] (scripted failures).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use eas_sim::{Config, Simulator, UserConfig};
//!
//! let sim = Simulator::start(Config::loopback(vec![UserConfig::new("alice", "secret")])).await.unwrap();
//! assert!(sim.url().ends_with("/Microsoft-Server-ActiveSync"));
//! assert!(sim.control_url().is_some());
//! sim.shutdown().await;
//! # }
//! ```

mod auth;
mod cmd;
mod config;
mod control;
mod error;
mod faults;
mod json;
mod normalize;
mod persist;
mod query;
mod server;
mod shared;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::{Config, UserConfig};
pub use error::SimError;
pub use faults::{FaultAction, FaultRule};
pub use json::to_json as application_data_to_json;
pub use server::COMMANDS;

/// Starts simulators.
#[derive(Debug, Default)]
pub struct Simulator;

impl Simulator {
    /// Binds the listeners and starts serving in the background.
    ///
    /// # Errors
    /// [`SimError`] when a listener cannot be bound, the snapshot is unreadable
    /// or the configuration has no users.
    pub async fn start(config: Config) -> Result<SimHandle, SimError> {
        if config.users.is_empty() {
            return Err(SimError::Config("at least one user is required".into()));
        }
        if config.heartbeat_min > config.heartbeat_max {
            return Err(SimError::Config("heartbeat minimum above maximum".into()));
        }
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| SimError::io_at(config.listen.to_string(), e))?;
        let addr = listener.local_addr().map_err(|e| SimError::io_at("local address", e))?;
        let control_listener = match config.control {
            Some(a) => Some(
                TcpListener::bind(a)
                    .await
                    .map_err(|e| SimError::io_at(a.to_string(), e))?,
            ),
            None => None,
        };
        let control_addr = control_listener.as_ref().and_then(|l| l.local_addr().ok());
        let shared = Arc::new(shared::Shared::new(config)?);
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = Vec::new();
        let s = shared.clone();
        tasks.push(tokio::spawn(server::run_listener(
            listener,
            stop_rx.clone(),
            move |req| server::handle(s.clone(), req),
        )));
        if let Some(l) = control_listener {
            let s = shared.clone();
            tasks.push(tokio::spawn(server::run_listener(l, stop_rx, move |req| {
                control::handle(s.clone(), req)
            })));
        }
        Ok(SimHandle {
            addr,
            control_addr,
            stop: stop_tx,
            tasks,
        })
    }
}

/// A running simulator.
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    control_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl SimHandle {
    /// The EAS endpoint, e.g. `http://127.0.0.1:41234/Microsoft-Server-ActiveSync`.
    pub fn url(&self) -> String {
        format!("http://{}/Microsoft-Server-ActiveSync", self.addr)
    }

    /// The EAS listener's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The control API base URL (`http://127.0.0.1:PORT`), if enabled.
    pub fn control_url(&self) -> Option<String> {
        self.control_addr.map(|a| format!("http://{a}"))
    }

    /// The control listener's address, if enabled.
    pub fn control_addr(&self) -> Option<SocketAddr> {
        self.control_addr
    }

    /// Stops both listeners and drops open connections (pending Pings end).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }

    /// Waits until the simulator stops (never, unless shut down elsewhere).
    pub async fn wait(self) {
        for t in self.tasks {
            let _ = t.await;
        }
    }
}
