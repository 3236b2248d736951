//! easdav's configuration: a TOML file whose every key can be overridden by an
//! environment variable `EASDAV_<SECTION>_<KEY>`, then validated into
//! [`Config`]. Only the binary reads files and the environment; the crates
//! below receive typed structs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// A configuration problem, phrased so that the operator can fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{origin}: {message}")]
    Syntax { origin: String, message: String },
    #[error("{origin}: key `{key}`: {message}")]
    Invalid {
        origin: String,
        key: String,
        message: String,
    },
}

/// The raw file form (every field optional; defaults applied on validation).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    server: RawServer,
    #[serde(default)]
    upstream: RawUpstream,
    #[serde(default)]
    sync: RawSync,
    #[serde(default)]
    store: RawStore,
    #[serde(default)]
    log: RawLog,
    #[serde(default)]
    limits: RawLimits,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: Option<Vec<String>>,
    external_url: Option<String>,
    trusted_proxies: Option<Vec<String>>,
    path_prefix: Option<String>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
    max_body_bytes: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpstream {
    url: Option<String>,
    autodiscover: Option<bool>,
    protocol_version: Option<String>,
    device_type: Option<String>,
    device_id_prefix: Option<String>,
    auth: Option<String>,
    policy_ack: Option<String>,
    ca_roots: Option<Vec<String>>,
    client_cert: Option<String>,
    client_key: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSync {
    staleness_seconds: Option<u64>,
    window_size: Option<u32>,
    heartbeat_initial_seconds: Option<u32>,
    heartbeat_min_seconds: Option<u32>,
    heartbeat_max_seconds: Option<u32>,
    active_user_idle_seconds: Option<u64>,
    conflict_policy: Option<String>,
    tombstone_days: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStore {
    path: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    format: Option<String>,
    level: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    failed_logins_per_user: Option<u32>,
    failed_logins_per_address: Option<u32>,
}

/// What kind of value a key holds (for environment overrides).
#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
    Bool,
    List,
}

/// Every key: (section, key, kind). Environment names are derived from it.
const KEYS: &[(&str, &str, Kind)] = &[
    ("server", "listen", Kind::List),
    ("server", "external_url", Kind::Str),
    ("server", "trusted_proxies", Kind::List),
    ("server", "path_prefix", Kind::Str),
    ("server", "tls_cert", Kind::Str),
    ("server", "tls_key", Kind::Str),
    ("server", "max_body_bytes", Kind::Int),
    ("upstream", "url", Kind::Str),
    ("upstream", "autodiscover", Kind::Bool),
    ("upstream", "protocol_version", Kind::Str),
    ("upstream", "device_type", Kind::Str),
    ("upstream", "device_id_prefix", Kind::Str),
    ("upstream", "auth", Kind::Str),
    ("upstream", "policy_ack", Kind::Str),
    ("upstream", "ca_roots", Kind::List),
    ("upstream", "client_cert", Kind::Str),
    ("upstream", "client_key", Kind::Str),
    ("sync", "staleness_seconds", Kind::Int),
    ("sync", "window_size", Kind::Int),
    ("sync", "heartbeat_initial_seconds", Kind::Int),
    ("sync", "heartbeat_min_seconds", Kind::Int),
    ("sync", "heartbeat_max_seconds", Kind::Int),
    ("sync", "active_user_idle_seconds", Kind::Int),
    ("sync", "conflict_policy", Kind::Str),
    ("sync", "tombstone_days", Kind::Int),
    ("store", "path", Kind::Str),
    ("log", "format", Kind::Str),
    ("log", "level", Kind::Str),
    ("limits", "failed_logins_per_user", Kind::Int),
    ("limits", "failed_logins_per_address", Kind::Int),
];

/// How the upstream is authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// HTTP Basic: the DAV client's credentials are passed through.
    Basic,
    /// OAuth2 bearer tokens.
    Bearer,
}

/// Whether the Exchange device policy is acknowledged as applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyAck {
    /// Acknowledge the policy (status 1).
    Accept,
    /// Report the policy as not applied (status 2); Exchange may then refuse.
    Refuse,
}

/// Who wins when Exchange reports a conflicting change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictPolicy {
    /// Exchange's version is kept; the DAV client must refetch.
    ServerWins,
    /// The DAV client's version is sent again.
    ClientWins,
}

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

/// A trusted proxy address or network (CIDR).
pub use dav_server::config::IpNet as Cidr;

/// The validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// DAV listen addresses.
    pub listen: Vec<SocketAddr>,
    /// Public base URL, when fixed.
    pub external_url: Option<String>,
    /// Proxies whose X-Forwarded-* headers are honoured.
    pub trusted_proxies: Vec<Cidr>,
    /// Path prefix (no trailing slash; empty for none).
    pub path_prefix: String,
    /// TLS certificate and key (PEM files), when easdav terminates TLS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Largest request body.
    pub max_body_bytes: u64,
    /// Upstream ActiveSync endpoint URL (None with autodiscover).
    pub upstream_url: Option<String>,
    /// Whether to use Autodiscover.
    pub autodiscover: bool,
    /// Pinned protocol version ("auto" = None).
    pub protocol_version: Option<String>,
    /// DeviceType sent upstream.
    pub device_type: String,
    /// DeviceId prefix.
    pub device_id_prefix: String,
    /// Upstream auth mode.
    pub auth: AuthMode,
    /// Policy acknowledgement.
    pub policy_ack: PolicyAck,
    /// Extra CA roots (PEM files).
    pub ca_roots: Vec<PathBuf>,
    /// Client certificate and key for mTLS.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// Staleness bound for DAV reads.
    pub staleness: Duration,
    /// Sync WindowSize.
    pub window_size: u32,
    /// Ping heartbeat (initial, min, max) in seconds.
    pub heartbeat: (u32, u32, u32),
    /// Idle time after which a user stops pinging.
    pub active_user_idle: Duration,
    /// Conflict policy.
    pub conflict_policy: ConflictPolicy,
    /// Tombstone horizon.
    pub tombstone_horizon: Duration,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter.
    pub log_level: String,
    /// Failed logins per minute per user name.
    pub failed_logins_per_user: u32,
    /// Failed logins per minute per client address.
    pub failed_logins_per_address: u32,
}

/// Checks that `s` is an absolute http(s) URL with a host and no user info,
/// query or fragment; returns it without a trailing slash.
fn parse_http_url(s: &str) -> Result<String, String> {
    let s = s.trim();
    let u = reqwest::Url::parse(s).map_err(|e| format!("`{s}` is not a URL: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!("`{s}` must start with http:// or https://"));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{s}` has no host"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(format!("`{s}` must not contain credentials"));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(format!("`{s}` must not contain a query or fragment"));
    }
    Ok(s.trim_end_matches('/').to_owned())
}

/// Where the configuration came from, for error messages.
fn origin(path: Option<&Path>) -> String {
    path.map_or_else(|| "configuration".to_owned(), |p| p.display().to_string())
}

impl Config {
    /// Reads `path` (if any), applies `EASDAV_*` overrides from `env`, validates.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the file, the key and what to do.
    pub fn load(path: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Config, ConfigError> {
        let text = match path {
            Some(p) => std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                path: p.to_owned(),
                source,
            })?,
            None => String::new(),
        };
        Self::from_toml_and_env(&text, path, env)
    }

    /// Parses TOML text, applies environment overrides and validates.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the origin, the key and what to do.
    pub fn from_toml_and_env(
        text: &str,
        path: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let org = origin(path);
        let mut table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            origin: org.clone(),
            message: e.to_string(),
        })?;
        apply_env(&mut table, env)?;
        let raw = RawConfig::deserialize(toml::Value::Table(table)).map_err(|e| ConfigError::Syntax {
            origin: org.clone(),
            message: format!("{e} (see docs/configuration.md for the valid keys)"),
        })?;
        validate(raw, &org)
    }
}

fn apply_env(table: &mut toml::Table, env: impl IntoIterator<Item = (String, String)>) -> Result<(), ConfigError> {
    for (name, value) in env {
        let Some(rest) = name.strip_prefix("EASDAV_") else {
            continue;
        };
        let lower = rest.to_ascii_lowercase();
        let Some(&(section, key, kind)) = KEYS
            .iter()
            .find(|(s, k, _)| lower.len() == s.len() + 1 + k.len() && lower == format!("{s}_{k}"))
        else {
            // Variables of a known section with an unknown key are mistakes;
            // others (EASDAV_PYTHON used by the tests, ...) are not ours.
            if let Some((s, _)) = KEYS
                .iter()
                .map(|(s, k, _)| (s, k))
                .find(|(s, _)| lower.starts_with(&format!("{s}_")))
            {
                return Err(ConfigError::Invalid {
                    origin: "environment".into(),
                    key: name.clone(),
                    message: format!("no such key in section [{s}] (see docs/configuration.md)"),
                });
            }
            continue;
        };
        let v = match kind {
            Kind::Str => toml::Value::String(value.clone()),
            Kind::Int => toml::Value::Integer(value.trim().parse::<i64>().map_err(|_| ConfigError::Invalid {
                origin: "environment".into(),
                key: name.clone(),
                message: format!("`{value}` is not a whole number"),
            })?),
            Kind::Bool => toml::Value::Boolean(match value.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => {
                    return Err(ConfigError::Invalid {
                        origin: "environment".into(),
                        key: name.clone(),
                        message: format!("`{value}` is not true or false"),
                    })
                }
            }),
            Kind::List => toml::Value::Array(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| toml::Value::String(s.to_owned()))
                    .collect(),
            ),
        };
        let sec = table
            .entry(section)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let toml::Value::Table(t) = sec {
            t.insert(key.to_owned(), v);
        }
    }
    Ok(())
}

fn invalid(org: &str, key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        origin: org.to_owned(),
        key: key.to_owned(),
        message: message.into(),
    }
}

fn one_of<T: Copy>(
    org: &str,
    key: &str,
    value: Option<String>,
    default: T,
    choices: &[(&str, T)],
) -> Result<T, ConfigError> {
    let Some(v) = value else { return Ok(default) };
    choices
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(v.trim()))
        .map(|&(_, t)| t)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            invalid(org, key, format!("`{v}` is not one of {}", names.join(", ")))
        })
}

fn readable_file(org: &str, key: &str, p: &str) -> Result<PathBuf, ConfigError> {
    let path = PathBuf::from(p);
    std::fs::File::open(&path).map(|_| path.clone()).map_err(|e| {
        invalid(
            org,
            key,
            format!("cannot read `{p}`: {e}; give a readable PEM file or remove the key"),
        )
    })
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.trim().is_empty())
}

fn validate(raw: RawConfig, org: &str) -> Result<Config, ConfigError> {
    let s = raw.server;
    let listen = s
        .listen
        .unwrap_or_else(|| vec!["127.0.0.1:8080".into()])
        .iter()
        .map(|a| {
            a.parse::<SocketAddr>().map_err(|_| {
                invalid(
                    org,
                    "server.listen",
                    format!("`{a}` is not an address like 127.0.0.1:8080 or [::1]:8080"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if listen.is_empty() {
        return Err(invalid(org, "server.listen", "give at least one address"));
    }
    let external_url = match nonempty(s.external_url) {
        Some(u) => Some(parse_http_url(&u).map_err(|m| invalid(org, "server.external_url", m))?),
        None => None,
    };
    let trusted_proxies = s
        .trusted_proxies
        .unwrap_or_else(|| vec!["127.0.0.1/32".into(), "::1/128".into()])
        .iter()
        .map(|c| c.parse::<Cidr>().map_err(|m| invalid(org, "server.trusted_proxies", m)))
        .collect::<Result<Vec<_>, _>>()?;
    let path_prefix = s
        .path_prefix
        .unwrap_or_default()
        .trim()
        .trim_end_matches('/')
        .to_owned();
    if !path_prefix.is_empty() && !path_prefix.starts_with('/') {
        return Err(invalid(
            org,
            "server.path_prefix",
            format!("`{path_prefix}` must start with `/`"),
        ));
    }
    let tls = match (nonempty(s.tls_cert), nonempty(s.tls_key)) {
        (Some(c), Some(k)) => Some((
            readable_file(org, "server.tls_cert", &c)?,
            readable_file(org, "server.tls_key", &k)?,
        )),
        (None, None) => None,
        _ => {
            return Err(invalid(
                org,
                "server.tls_cert",
                "set both tls_cert and tls_key, or neither",
            ))
        }
    };
    let u = raw.upstream;
    let autodiscover = u.autodiscover.unwrap_or(false);
    let upstream_url = match nonempty(u.url) {
        Some(url) => Some(parse_http_url(&url).map_err(|m| invalid(org, "upstream.url", m))?),
        None => None,
    };
    if upstream_url.is_none() && !autodiscover {
        return Err(invalid(
            org,
            "upstream.url",
            "set the ActiveSync endpoint URL (e.g. https://mail.example.com/Microsoft-Server-ActiveSync), \
             pass --upstream, or set upstream.autodiscover = true",
        ));
    }
    let protocol_version = match nonempty(u.protocol_version) {
        None => None,
        Some(v) if v.eq_ignore_ascii_case("auto") => None,
        Some(v) => {
            const KNOWN: [&str; 5] = ["12.1", "14.0", "14.1", "16.0", "16.1"];
            if !KNOWN.contains(&v.trim()) {
                return Err(invalid(
                    org,
                    "upstream.protocol_version",
                    format!("`{v}` is not auto, {}", KNOWN.join(", ")),
                ));
            }
            Some(v.trim().to_owned())
        }
    };
    let device_type = u.device_type.unwrap_or_else(|| "easdav".into());
    if device_type.is_empty() || !device_type.chars().all(|c| c.is_ascii_alphabetic()) || device_type.len() > 32 {
        return Err(invalid(
            org,
            "upstream.device_type",
            "use 1 to 32 ASCII letters (Exchange admins filter on it)",
        ));
    }
    let device_id_prefix = u.device_id_prefix.unwrap_or_else(|| "easdav".into());
    if !device_id_prefix.chars().all(|c| c.is_ascii_alphanumeric()) || device_id_prefix.len() > 16 {
        return Err(invalid(
            org,
            "upstream.device_id_prefix",
            "use at most 16 ASCII letters and digits",
        ));
    }
    let auth = one_of(
        org,
        "upstream.auth",
        u.auth,
        AuthMode::Basic,
        &[("basic", AuthMode::Basic), ("bearer", AuthMode::Bearer)],
    )?;
    let policy_ack = one_of(
        org,
        "upstream.policy_ack",
        u.policy_ack,
        PolicyAck::Accept,
        &[("accept", PolicyAck::Accept), ("refuse", PolicyAck::Refuse)],
    )?;
    let ca_roots = u
        .ca_roots
        .unwrap_or_default()
        .iter()
        .map(|p| readable_file(org, "upstream.ca_roots", p))
        .collect::<Result<Vec<_>, _>>()?;
    let client_cert = match (nonempty(u.client_cert), nonempty(u.client_key)) {
        (Some(c), Some(k)) => Some((
            readable_file(org, "upstream.client_cert", &c)?,
            readable_file(org, "upstream.client_key", &k)?,
        )),
        (None, None) => None,
        _ => {
            return Err(invalid(
                org,
                "upstream.client_cert",
                "set both client_cert and client_key, or neither",
            ))
        }
    };
    let y = raw.sync;
    let window_size = y.window_size.unwrap_or(512);
    if !(1..=512).contains(&window_size) {
        return Err(invalid(
            org,
            "sync.window_size",
            "must be between 1 and 512 (the EAS maximum)",
        ));
    }
    let hb_min = y.heartbeat_min_seconds.unwrap_or(60);
    let hb_max = y.heartbeat_max_seconds.unwrap_or(1680);
    let hb_init = y.heartbeat_initial_seconds.unwrap_or(300);
    if !(hb_min <= hb_init && hb_init <= hb_max && hb_max <= 3540 && hb_min >= 1) {
        return Err(invalid(
            org,
            "sync.heartbeat_initial_seconds",
            format!("need 1 <= min ({hb_min}) <= initial ({hb_init}) <= max ({hb_max}) <= 3540"),
        ));
    }
    let conflict_policy = one_of(
        org,
        "sync.conflict_policy",
        y.conflict_policy,
        ConflictPolicy::ServerWins,
        &[
            ("server-wins", ConflictPolicy::ServerWins),
            ("client-wins", ConflictPolicy::ClientWins),
        ],
    )?;
    let l = raw.log;
    let log_format = one_of(
        org,
        "log.format",
        l.format,
        LogFormat::Human,
        &[("human", LogFormat::Human), ("json", LogFormat::Json)],
    )?;
    Ok(Config {
        listen,
        external_url,
        trusted_proxies,
        path_prefix,
        tls,
        max_body_bytes: s.max_body_bytes.unwrap_or(10 * 1024 * 1024),
        upstream_url,
        autodiscover,
        protocol_version,
        device_type,
        device_id_prefix,
        auth,
        policy_ack,
        ca_roots,
        client_cert,
        staleness: Duration::from_secs(y.staleness_seconds.unwrap_or(30)),
        window_size,
        heartbeat: (hb_init, hb_min, hb_max),
        active_user_idle: Duration::from_secs(y.active_user_idle_seconds.unwrap_or(900)),
        conflict_policy,
        tombstone_horizon: Duration::from_secs(u64::from(y.tombstone_days.unwrap_or(30)) * 86_400),
        data_dir: PathBuf::from(nonempty(raw.store.path).unwrap_or_else(|| "./data".into())),
        log_format,
        log_level: nonempty(l.level).unwrap_or_else(|| "info".into()),
        failed_logins_per_user: raw.limits.failed_logins_per_user.unwrap_or(10),
        failed_logins_per_address: raw.limits.failed_logins_per_address.unwrap_or(30),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    }

    #[test]
    fn example_config_is_valid() {
        let text = include_str!("../../../deploy/config/easdav.example.toml");
        let c = Config::from_toml_and_env(text, None, env(&[])).unwrap();
        assert_eq!(c.window_size, 512);
        assert_eq!(c.auth, AuthMode::Basic);
        assert_eq!(c.listen, vec!["127.0.0.1:8080".parse::<SocketAddr>().unwrap()]);
    }

    #[test]
    fn unknown_key_names_the_key() {
        let e = Config::from_toml_and_env("[server]\nlisen = []\n", Some(Path::new("easdav.toml")), env(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("easdav.toml") && e.contains("lisen") && e.contains("listen"),
            "{e}"
        );
    }

    #[test]
    fn env_overrides_file() {
        let c = Config::from_toml_and_env(
            "[upstream]\nurl = \"http://a.example/eas\"\n",
            None,
            env(&[
                ("EASDAV_UPSTREAM_URL", "http://127.0.0.1:9/x"),
                ("EASDAV_SYNC_WINDOW_SIZE", "100"),
                ("EASDAV_PYTHON", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(c.upstream_url.as_deref(), Some("http://127.0.0.1:9/x"));
        assert_eq!(c.window_size, 100);
    }

    #[test]
    fn bad_values_are_explained() {
        let cases = [
            ("[upstream]\nurl = \"ftp://x\"\n", "upstream.url"),
            ("[upstream]\nurl = \"https://user:pw@x.example/eas\"\n", "upstream.url"),
            ("[upstream]\nurl = \"https://x.example/eas\"\n[server]\nexternal_url = \"dav.example.com\"\n", "server.external_url"),
            ("[upstream]\nurl = \"http://x/\"\n[server]\nlisten = [\"nope\"]\n", "server.listen"),
            ("[upstream]\nurl = \"http://x/\"\nauth = \"kerberos\"\n", "upstream.auth"),
            ("[upstream]\nurl = \"http://x/\"\ntls = 1\n", "tls"),
            ("[upstream]\nurl = \"http://x/\"\n[server]\ntls_cert = \"/nonexistent.pem\"\ntls_key = \"/nonexistent.key\"\n", "server.tls_cert"),
            ("", "upstream.url"),
        ];
        for (text, key) in cases {
            let e = Config::from_toml_and_env(text, None, env(&[])).unwrap_err().to_string();
            assert!(e.contains(key), "{text:?}: {e}");
        }
        let e = Config::from_toml_and_env(
            "[upstream]\nurl=\"http://x\"\n",
            None,
            env(&[("EASDAV_SYNC_WINDOWSIZE", "1")]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("EASDAV_SYNC_WINDOWSIZE"), "{e}");
    }
}
