//! `easdav serve`: the gateway against an EAS endpoint.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use easdav::config::Config;
use easdav::{gateway, serve, telemetry};

/// Options of `easdav serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Configuration file (TOML); optional when --upstream is given.
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
    /// Address to listen on (repeatable); overrides server.listen.
    #[arg(long)]
    pub listen: Vec<SocketAddr>,
    /// The full EAS endpoint URL (any path); overrides upstream.url.
    #[arg(long)]
    pub upstream: Option<String>,
    /// Data directory; overrides store.path.
    #[arg(long)]
    pub data: Option<PathBuf>,
}

/// Loads the configuration: file, then `EASDAV_*` variables, then flags.
///
/// # Errors
/// A message naming the file, key and fix.
pub fn load_config(args: &ServeArgs) -> anyhow::Result<Config> {
    let mut env: Vec<(String, String)> = std::env::vars().collect();
    if !args.listen.is_empty() {
        let v: Vec<String> = args.listen.iter().map(ToString::to_string).collect();
        env.push(("EASDAV_SERVER_LISTEN".into(), v.join(",")));
    }
    if let Some(u) = &args.upstream {
        env.push(("EASDAV_UPSTREAM_URL".into(), u.clone()));
    }
    if let Some(d) = &args.data {
        env.push(("EASDAV_STORE_PATH".into(), d.display().to_string()));
    }
    Ok(Config::load(args.config.as_deref(), env)?)
}

/// Runs the gateway until SIGTERM/SIGINT.
///
/// # Errors
/// Bad configuration, or a store/listener that cannot be opened.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let cfg = load_config(&args)?;
    telemetry::init_tracing(cfg.log_format, &cfg.log_level);
    let metrics = telemetry::init_metrics();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async move {
        let running = serve::start(&cfg, metrics).await?;
        for a in &running.addrs {
            // Machine-readable line for scripts and tests (port 0 resolves here).
            println!("easdav: DAV listening on http://{a}{}/", cfg.path_prefix);
        }
        gateway::shutdown_signal().await;
        running.shutdown().await;
        Ok(())
    })
}
