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
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Sim(args) => cmd::sim::run(args),
    }
}
