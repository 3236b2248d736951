//! `easdav healthcheck`: GETs a health URL and exits 0 on 200 (for container
//! HEALTHCHECKs on images without curl).

use std::time::Duration;

use clap::Args;

/// Options of `easdav healthcheck`.
#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// URL to probe.
    #[arg(long, default_value = "http://127.0.0.1:8080/healthz")]
    pub url: String,
}

/// Probes the URL.
///
/// # Errors
/// When the runtime cannot start; a failed probe exits with status 1.
pub fn run(args: HealthcheckArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let ok = rt.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(3))
            .build()
            .ok()?;
        let resp = client.get(&args.url).send().await.ok()?;
        Some(resp.status().is_success())
    });
    if ok == Some(true) {
        Ok(())
    } else {
        eprintln!("unhealthy: {}", args.url);
        std::process::exit(1);
    }
}
