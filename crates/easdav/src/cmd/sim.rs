//! `easdav sim`: runs the EAS server simulator until interrupted.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::Args;
use eas_proto::ProtocolVersion;
use eas_sim::{Config, FaultRule, Simulator, UserConfig};

/// Options of `easdav sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address of the EAS listener (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// A mailbox as NAME:PASSWORD (repeatable).
    #[arg(long = "user", required = true)]
    users: Vec<String>,
    /// An OAuth2 bearer token for a user as NAME:TOKEN (repeatable).
    #[arg(long = "token")]
    tokens: Vec<String>,
    /// Directory for the persisted state (in memory when absent).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Refuse protocol versions below this one (16.1 = Exchange Online).
    #[arg(long, default_value = "12.1")]
    min_version: ProtocolVersion,
    /// Do not require Provision before other commands.
    #[arg(long)]
    no_provision: bool,
    /// Address of the JSON control API (disabled when absent).
    #[arg(long)]
    control: Option<SocketAddr>,
    /// Smallest accepted Ping/Sync heartbeat in seconds.
    #[arg(long, default_value_t = 60)]
    heartbeat_min: u32,
    /// Largest accepted Ping/Sync heartbeat in seconds.
    #[arg(long, default_value_t = 3540)]
    heartbeat_max: u32,
    /// A fault rule, e.g. `503:30`, `500`, `reset`, `latency:200`, `status:110,cmd=Sync,nth=3`,
    /// `throttle:60` or `throttle:60:111`, with optional `,user=U,cmd=C,nth=N,times=N` (repeatable).
    #[arg(long = "fault")]
    faults: Vec<String>,
}

/// Builds the simulator configuration from the flags.
///
/// # Errors
/// Malformed `--user`, `--token` or `--fault` values, or a token for an unknown user.
pub fn config(args: &SimArgs) -> anyhow::Result<Config> {
    let mut users = Vec::new();
    for u in &args.users {
        let (name, pw) = u.split_once(':').context("--user must be NAME:PASSWORD")?;
        if name.is_empty() {
            bail!("--user needs a name");
        }
        users.push(UserConfig::new(name, pw));
    }
    for t in &args.tokens {
        let (name, token) = t.split_once(':').context("--token must be NAME:TOKEN")?;
        let Some(u) = users.iter_mut().find(|u| u.name == name) else {
            bail!("--token for unknown user {name:?}");
        };
        u.tokens.push(token.to_owned());
    }
    let mut faults = Vec::new();
    for f in &args.faults {
        faults.push(FaultRule::parse(f).map_err(anyhow::Error::msg)?);
    }
    let mut cfg = Config::loopback(users);
    cfg.listen = args.listen;
    cfg.control = args.control;
    cfg.data_dir = args.data.clone();
    cfg.min_version = args.min_version;
    cfg.provisioning = !args.no_provision;
    cfg.heartbeat_min = args.heartbeat_min;
    cfg.heartbeat_max = args.heartbeat_max;
    cfg.faults = faults;
    Ok(cfg)
}

/// Runs the simulator until Ctrl-C.
///
/// # Errors
/// Bad flags or a listener that cannot be bound.
pub fn run(args: SimArgs) -> anyhow::Result<()> {
    let cfg = config(&args)?;
    let rt = tokio::runtime::Runtime::new().context("starting the tokio runtime")?;
    rt.block_on(async move {
        let sim = Simulator::start(cfg).await.context("starting the simulator")?;
        // Machine-readable lines for scripts and tests that bind port 0.
        let mut out = std::io::stdout().lock();
        writeln!(out, "eas-sim listening on {}", sim.url())?;
        if let Some(c) = sim.control_url() {
            writeln!(out, "eas-sim control on {c}")?;
        }
        out.flush()?;
        drop(out);
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
        sim.shutdown().await;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        sim: SimArgs,
    }

    fn parse(args: &[&str]) -> anyhow::Result<Config> {
        let t = T::try_parse_from(std::iter::once("sim").chain(args.iter().copied()))?;
        config(&t.sim)
    }

    #[test]
    fn flags_build_the_config() {
        let c = parse(&[
            "--user",
            "alice:secret",
            "--user",
            "bob:pw",
            "--token",
            "bob:tok",
            "--min-version",
            "16.1",
            "--no-provision",
            "--fault",
            "status:110,cmd=Sync,nth=2",
        ])
        .unwrap();
        assert_eq!(c.users.len(), 2);
        assert_eq!(c.users[1].tokens, vec!["tok".to_owned()]);
        assert_eq!(c.min_version, ProtocolVersion::V16_1);
        assert!(!c.provisioning);
        assert_eq!(c.faults.len(), 1);
        assert!(parse(&["--user", "alice:secret", "--token", "carol:x"]).is_err());
        assert!(parse(&["--user", "nopassword"]).is_err());
        assert!(parse(&["--user", "a:b", "--min-version", "2.5"]).is_err());
        assert!(parse(&["--user", "a:b", "--fault", "boom"]).is_err());
    }
}
