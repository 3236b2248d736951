//! The `easdav` binary: one subcommand per mode (`sim` today; `serve` and `demo` later).

mod cmd;

use clap::{Parser, Subcommand};

/// CalDAV/CardDAV ⇄ Exchange ActiveSync gateway.
#[derive(Debug, Parser)]
#[command(name = "easdav", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the Exchange ActiveSync server simulator.
    Sim(cmd::sim::SimArgs),
    /// Run the gateway: CalDAV/CardDAV downstream, ActiveSync upstream.
    Serve(cmd::serve::ServeArgs),
    /// Run the simulator with demo users and data, and the gateway in front of it.
    Demo(cmd::demo::DemoArgs),
    /// Validate the configuration and probe the upstream step by step.
    Check(cmd::check::CheckArgs),
    /// List, unlock, purge or resync accounts (partnerships).
    Accounts(cmd::accounts::AccountsArgs),
    /// Exit 0 when the health endpoint answers 200 (for container health checks).
    Healthcheck(cmd::healthcheck::HealthcheckArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Sim(args) => {
            easdav::telemetry::init_tracing(easdav::config::LogFormat::Human, "info");
            cmd::sim::run(args)
        }
        Command::Serve(args) => cmd::serve::run(args),
        Command::Demo(args) => cmd::demo::run(args),
        Command::Check(args) => cmd::check::run(args),
        Command::Accounts(args) => cmd::accounts::run(args),
        Command::Healthcheck(args) => cmd::healthcheck::run(args),
    }
}
