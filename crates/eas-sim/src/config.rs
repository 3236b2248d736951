//! The simulator's typed configuration (built by the `easdav sim` command or by tests).

use std::net::SocketAddr;
use std::path::PathBuf;

use eas_proto::ProtocolVersion;

use crate::faults::FaultRule;

/// One mailbox the simulator serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserConfig {
    /// Logon name (HTTP Basic user name), e.g. `alice`.
    pub name: String,
    /// Password for HTTP Basic.
    pub password: String,
    /// OAuth2 bearer tokens accepted for this user.
    pub tokens: Vec<String>,
}

impl UserConfig {
    /// A user with a password and no bearer token.
    ///
    /// # Example
    /// ```
    /// let u = eas_sim::UserConfig::new("alice", "secret");
    /// assert_eq!(u.name, "alice");
    /// ```
    pub fn new(name: impl Into<String>, password: impl Into<String>) -> Self {
        UserConfig {
            name: name.into(),
            password: password.into(),
            tokens: Vec::new(),
        }
    }

    /// Builder: adds an accepted bearer token.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.tokens.push(token.into());
        self
    }
}

/// Everything the simulator needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address of the EAS listener (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Address of the JSON control listener; `None` disables it.
    pub control: Option<SocketAddr>,
    /// The mailboxes.
    pub users: Vec<UserConfig>,
    /// Directory for the persisted snapshot; `None` keeps state in memory only.
    pub data_dir: Option<PathBuf>,
    /// Versions below this are refused (Exchange Online refuses < 16.1).
    pub min_version: ProtocolVersion,
    /// Whether devices must complete Provision first (Exchange default: yes).
    pub provisioning: bool,
    /// Smallest accepted Ping/Sync heartbeat in seconds (Exchange: 60).
    pub heartbeat_min: u32,
    /// Largest accepted Ping/Sync heartbeat in seconds (Exchange: 3540).
    pub heartbeat_max: u32,
    /// Most folders one Ping may watch.
    pub max_ping_folders: usize,
    /// Fault rules active from the start (more can be set over the control API).
    pub faults: Vec<FaultRule>,
}

impl Config {
    /// A loopback configuration on free ports with the given users and Exchange defaults.
    ///
    /// # Example
    /// ```
    /// let cfg = eas_sim::Config::loopback(vec![eas_sim::UserConfig::new("alice", "secret")]);
    /// assert!(cfg.provisioning);
    /// ```
    pub fn loopback(users: Vec<UserConfig>) -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            control: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            users,
            data_dir: None,
            min_version: ProtocolVersion::V12_1,
            provisioning: true,
            heartbeat_min: 60,
            heartbeat_max: 3540,
            max_ping_folders: 300,
            faults: Vec::new(),
        }
    }
}
