//! `easdav check`: validates the configuration, then probes the upstream step
//! by step (DNS, TCP, TLS + OPTIONS, authentication, Provision, FolderSync)
//! and prints a verdict per step. Without an upstream URL and with `upstream.autodiscover`, the
//! endpoint is first discovered from `--user` (an e-mail address).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use super::serve::{load_config, ServeArgs};

/// Options of `easdav check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Exchange user to test authentication and provisioning with.
    #[arg(long)]
    pub user: Option<String>,
    /// That user's password (or set EASDAV_CHECK_PASSWORD).
    #[arg(long, env = "EASDAV_CHECK_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

struct Report {
    failed: bool,
}

impl Report {
    fn ok(&self, step: &str, detail: impl std::fmt::Display) {
        println!("  ok    {step:<14} {detail}");
    }
    fn fail(&mut self, step: &str, detail: impl std::fmt::Display) {
        self.failed = true;
        println!("  FAIL  {step:<14} {detail}");
    }
    fn skip(&self, step: &str, detail: impl std::fmt::Display) {
        println!("  skip  {step:<14} {detail}");
    }
}

/// Runs the checks; exits non-zero when one fails.
///
/// # Errors
/// Only when the runtime cannot start; check failures are printed.
pub fn run(args: CheckArgs) -> anyhow::Result<()> {
    let mut r = Report { failed: false };
    println!("easdav check");
    let cfg = match load_config(&args.serve) {
        Ok(c) => {
            let origin = args
                .serve
                .config
                .as_ref()
                .map_or("flags and environment".to_owned(), |p| p.display().to_string());
            r.ok("config", format!("{origin} is valid"));
            c
        }
        Err(e) => {
            r.fail("config", format!("{e:#}"));
            std::process::exit(1);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(probe(&cfg, &args, &mut r));
    if r.failed {
        std::process::exit(1);
    }
    println!("all checks passed");
    Ok(())
}

async fn probe(cfg: &easdav::config::Config, args: &CheckArgs, r: &mut Report) {
    let url = match cfg.upstream_url.clone() {
        Some(u) => u,
        None if cfg.autodiscover => match autodiscover(cfg, args, r).await {
            Some(u) => u,
            None => return,
        },
        None => {
            r.fail("upstream", "no upstream URL and upstream.autodiscover is off");
            return;
        }
    };
    let (https, hostport) = match url.split_once("://") {
        Some((scheme, rest)) => (
            scheme.eq_ignore_ascii_case("https"),
            rest.split('/').next().unwrap_or("").to_owned(),
        ),
        None => (false, String::new()),
    };
    let target = if hostport.contains(':') && !hostport.ends_with(']') {
        hostport.clone()
    } else {
        format!("{hostport}:{}", if https { 443 } else { 80 })
    };
    let addrs: Vec<_> = match tokio::time::timeout(Duration::from_secs(10), tokio::net::lookup_host(&target)).await {
        Ok(Ok(a)) => a.collect(),
        Ok(Err(e)) => {
            r.fail("dns", format!("{hostport}: {e}"));
            return;
        }
        Err(_) => {
            r.fail("dns", format!("{hostport}: timed out"));
            return;
        }
    };
    r.ok(
        "dns",
        format!(
            "{hostport} → {}",
            addrs.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        ),
    );
    let Some(first) = addrs.first() else {
        r.fail("dns", "no addresses");
        return;
    };
    match tokio::time::timeout(Duration::from_secs(10), tokio::net::TcpStream::connect(first)).await {
        Ok(Ok(_)) => r.ok("tcp", format!("connected to {first}")),
        Ok(Err(e)) => {
            r.fail("tcp", format!("{first}: {e}"));
            return;
        }
        Err(_) => {
            r.fail("tcp", format!("{first}: timed out"));
            return;
        }
    }
    let (user, password) = match (&args.user, &args.password) {
        (Some(u), Some(p)) => (u.clone(), p.clone()),
        _ => {
            r.skip(
                "options",
                "give --user and --password (Exchange answers OPTIONS only when authenticated)",
            );
            return;
        }
    };
    let mut ccfg = eas_client::ClientConfig::new(&user, format!("{}check", cfg.device_id_prefix), &cfg.device_type);
    ccfg.version_pin = cfg.protocol_version.as_deref().and_then(|v| v.parse().ok());
    ccfg.retry.max_attempts = 2;
    for p in &cfg.ca_roots {
        if let Ok(pem) = std::fs::read(p) {
            ccfg.tls.extra_roots_pem.push(pem);
        }
    }
    let auth = Arc::new(eas_client::BasicAuth::new(&user, &password));
    let client = match eas_client::Client::new(ccfg, eas_client::PartnershipState::new(&url), auth) {
        Ok(c) => c,
        Err(e) => {
            r.fail("client", e);
            return;
        }
    };
    match client.options().await {
        Ok(o) => {
            let tls = if https { "TLS ok; " } else { "" };
            r.ok(
                "options",
                format!(
                    "{tls}server {:?}, versions {}",
                    o.server.unwrap_or_default(),
                    o.versions.join(",")
                ),
            );
        }
        Err(e) => {
            r.fail("options", e);
            return;
        }
    }
    match client.negotiate().await {
        Ok(v) => r.ok("version", format!("{v} (authenticated as {user})")),
        Err(e) => {
            r.fail("version", e);
            return;
        }
    }
    match client.provision().await {
        Ok(p) => r.ok(
            "provision",
            format!("policy key {}, {} policy settings", p.policy_key, p.policy.len()),
        ),
        Err(e) => {
            r.fail("provision", e);
            return;
        }
    }
    match client.folder_sync("0").await {
        Ok(f) => {
            let mirrored = f
                .changes
                .iter()
                .filter(|c| match c {
                    eas_proto::folder_sync::FolderChange::Add(x) => {
                        x.folder_type.is_calendar() || x.folder_type.is_contacts() || x.folder_type.is_tasks()
                    }
                    _ => false,
                })
                .count();
            r.ok(
                "foldersync",
                format!("{} folders ({mirrored} calendar/contacts/tasks)", f.changes.len()),
            )
        }
        Err(e) => r.fail("foldersync", e),
    }
    println!(
        "  note: the check used its own device partnership (DeviceId {}check)",
        cfg.device_id_prefix
    );
}

/// Discovers the EAS endpoint from `--user` (an e-mail address) and prints it as a step.
async fn autodiscover(cfg: &easdav::config::Config, args: &CheckArgs, r: &mut Report) -> Option<String> {
    let (Some(user), Some(password)) = (&args.user, &args.password) else {
        r.fail(
            "autodiscover",
            "no upstream URL: give --user (an e-mail address) and --password to discover it",
        );
        return None;
    };
    if !user.contains('@') {
        r.fail(
            "autodiscover",
            format!("--user {user:?} is not an e-mail address; Autodiscover needs one"),
        );
        return None;
    }
    let mut options = eas_client::AutodiscoverOptions::default();
    for p in &cfg.ca_roots {
        if let Ok(pem) = std::fs::read(p) {
            options.tls.extra_roots_pem.push(pem);
        }
    }
    let auth = eas_client::BasicAuth::new(user, password);
    match eas_client::discover(user, &auth, &options).await {
        Ok(found) => {
            let redirects = match found.redirects.len() {
                0 => String::new(),
                n => format!(", {n} redirect(s)"),
            };
            r.ok(
                "autodiscover",
                format!(
                    "{} (via {:?} at {}{redirects}, {} request(s))",
                    found.url, found.method, found.source, found.requests
                ),
            );
            for a in &found.failed {
                println!("        {:<14} tried {}: {}", "", a.url, a.failure);
            }
            Some(found.url)
        }
        Err(e) => {
            let attempts = e.attempts();
            if attempts.is_empty() {
                r.fail("autodiscover", e);
            } else {
                let summary = match &e {
                    eas_client::AutodiscoverError::NotFound { .. } => "no candidate gave an endpoint".to_owned(),
                    eas_client::AutodiscoverError::TooManyRequests { limit, .. } => {
                        format!("gave up after {limit} requests")
                    }
                    other => other.to_string(),
                };
                r.fail("autodiscover", summary);
                for a in attempts {
                    println!("        {:<14} tried {}: {}", "", a.url, a.failure);
                }
            }
            None
        }
    }
}
