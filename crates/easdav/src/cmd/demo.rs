//! `easdav demo`: the simulator with demo users and data, and the gateway in
//! front of it on the embedded store — everything a person needs to point a
//! calendar app at easdav without an Exchange server.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use easdav::config::{Config, LogFormat};
use easdav::{demo_data, gateway, serve, telemetry};

/// Demo accounts: (user, password).
pub const USERS: [(&str, &str); 2] = [("alice", "alice-demo"), ("bob", "bob-demo")];

/// Options of `easdav demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address of the CalDAV/CardDAV server (use 0.0.0.0:8080 to reach it from a phone on the LAN).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Address of the simulated Exchange server.
    #[arg(long, default_value = "127.0.0.1:9090")]
    pub sim_listen: SocketAddr,
    /// Address of the simulator's control API.
    #[arg(long, default_value = "127.0.0.1:9091")]
    pub control: SocketAddr,
    /// Data directory (simulator state and the gateway's store); kept across runs.
    #[arg(long, default_value = "./demo-data")]
    pub data: PathBuf,
}

/// Runs the demo until SIGTERM/SIGINT.
///
/// # Errors
/// Ports in use, an unwritable data directory, or a failure to seed the data.
pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    telemetry::init_tracing(LogFormat::Human, "info");
    let metrics = telemetry::init_metrics();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async move {
        std::fs::create_dir_all(&args.data).with_context(|| format!("creating {}", args.data.display()))?;
        let mut sim_cfg =
            eas_sim::Config::loopback(USERS.iter().map(|(u, p)| eas_sim::UserConfig::new(*u, *p)).collect());
        sim_cfg.listen = args.sim_listen;
        sim_cfg.control = Some(args.control);
        sim_cfg.data_dir = Some(args.data.join("sim"));
        let sim = eas_sim::Simulator::start(sim_cfg).await.with_context(|| {
            format!(
                "starting the simulator on {} (is the port in use? try --sim-listen)",
                args.sim_listen
            )
        })?;
        let control = sim
            .control_url()
            .context("the simulator's control API is not running")?;
        let marker = args.data.join("seeded");
        if !marker.exists() {
            seed(&control).await.context("seeding the demo data")?;
            std::fs::write(&marker, b"demo data seeded\n")?;
        }
        let env = vec![
            ("EASDAV_SERVER_LISTEN".to_owned(), args.listen.to_string()),
            ("EASDAV_UPSTREAM_URL".to_owned(), sim.url()),
            (
                "EASDAV_STORE_PATH".to_owned(),
                args.data.join("gateway").display().to_string(),
            ),
            // Quick feedback in a demo: sync on every read older than 5 s.
            ("EASDAV_SYNC_STALENESS_SECONDS".to_owned(), "5".to_owned()),
        ];
        let cfg = Config::from_toml_and_env("", None, env)?;
        let running = serve::start(&cfg, metrics).await.with_context(|| {
            format!(
                "starting the gateway on {} (is the port in use? try --listen)",
                args.listen
            )
        })?;
        let base = format!("http://{}/", running.addrs.first().copied().unwrap_or(args.listen));
        print_banner(&base, &sim.url(), &control, &args.data);
        gateway::shutdown_signal().await;
        running.shutdown().await;
        sim.shutdown().await;
        Ok(())
    })
}

fn print_banner(base: &str, eas: &str, control: &str, data: &std::path::Path) {
    let accounts: Vec<String> = USERS.iter().map(|(u, p)| format!("{u} / {p}")).collect();
    println!(
        "\neasdav demo is running (Ctrl-C stops it).\n\n\
         \x20 CalDAV/CardDAV server  {base}\n\
         \x20 Accounts               {}\n\n\
         \x20 Thunderbird   New Calendar > On the Network: user name alice, location {base}\n\
         \x20               (address books: Address Book > Add CardDAV Address Book, same URL)\n\
         \x20 DAVx5         Add account > Login with URL and user name: base URL {base}\n\
         \x20 Evolution     New > Calendar > CalDAV, URL {base}calendars/alice/\n\
         \x20 iOS / macOS   Settings > Calendar > Accounts > Add Account > Other > CalDAV;\n\
         \x20               server {}, then the same for CardDAV (needs --listen 0.0.0.0:8080\n\
         \x20               to reach it from a phone; iOS asks to continue without SSL)\n\
         \x20 vdirsyncer    type = \"caldav\", url = \"{base}\", username = \"alice\"\n\n\
         \x20 Simulated Exchange     {eas}\n\
         \x20 Its control API        {control}/users/alice/folders   (docs/simulator.md)\n\
         \x20 Data                   {}\n",
        accounts.join("    "),
        base.trim_start_matches("http://").trim_end_matches('/'),
        data.display()
    );
}

/// Puts the demo objects into the simulated mailboxes, as another device would.
async fn seed(control: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let today = jiff::Zoned::now().date();
    for (user, _) in USERS {
        let folders: serde_json::Value = http
            .get(format!("{control}/users/{user}/folders"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let folder_of = |ty: i64| -> anyhow::Result<String> {
            folders
                .as_array()
                .and_then(|a| a.iter().find(|f| f["type"].as_i64() == Some(ty)))
                .and_then(|f| f["id"].as_str())
                .map(str::to_owned)
                .with_context(|| format!("{user} has no folder of type {ty}"))
        };
        let already = folders.as_array().is_some_and(|a| {
            a.iter()
                .any(|f| matches!(f["type"].as_i64(), Some(7..=9)) && f["items"].as_i64().unwrap_or(0) > 0)
        });
        if already {
            // A previous run seeded this mailbox (and perhaps stopped before the marker).
            continue;
        }
        let mut count = 0;
        for item in demo_data::items(user, today) {
            let (folder, mapped) = match item.class {
                mapping::ItemClass::Contacts => (
                    folder_of(9)?,
                    mapping::vcard_to_eas(&item.text, mapping::ProtocolVersion::V14_1)?,
                ),
                mapping::ItemClass::Tasks => (
                    folder_of(7)?,
                    mapping::ical_to_eas(&item.text, item.class, mapping::ProtocolVersion::V14_1)?,
                ),
                mapping::ItemClass::Calendar => (
                    folder_of(8)?,
                    mapping::ical_to_eas(&item.text, item.class, mapping::ProtocolVersion::V14_1)?,
                ),
            };
            let data = eas_sim::application_data_to_json(&mapped.application_data);
            http.post(format!("{control}/users/{user}/folders/{folder}/items"))
                .json(&serde_json::json!({ "data": data }))
                .send()
                .await?
                .error_for_status()
                .with_context(|| format!("adding a demo item for {user}"))?;
            count += 1;
        }
        tracing::info!(user, items = count, "demo data seeded");
    }
    Ok(())
}
