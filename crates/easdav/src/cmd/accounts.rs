//! `easdav accounts`: the operator's view of partnerships — list with sync
//! state per folder, unlock after a remote wipe, purge, force a resync.

use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use super::serve::{load_config, ServeArgs};

/// Options of `easdav accounts`.
#[derive(Debug, Args)]
pub struct AccountsArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(subcommand)]
    pub action: Action,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Action {
    /// List accounts with their folders, last sync, item counts, errors and lock state.
    List,
    /// Allow DAV access again after a remote wipe.
    Unlock { user: String },
    /// Delete a user's mirror, partnership state and cached credentials.
    Purge { user: String },
    /// Resynchronise a user's folders from sync key 0 (resource names and ETags are kept).
    Resync { user: String },
}

/// Runs the action against the configured store.
///
/// # Errors
/// Bad configuration, an unreadable store, or an unknown user.
pub fn run(args: AccountsArgs) -> anyhow::Result<()> {
    let cfg = load_config(&args.serve)?;
    easdav::telemetry::init_tracing(cfg.log_format, "warn");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async move {
        let db = cfg.data_dir.join("easdav.sqlite3");
        if !db.exists() {
            anyhow::bail!("no store at {} (check store.path / --data)", db.display());
        }
        let store = store::SqliteStore::open(&db, store::SqliteConfig::default()).context("opening the store")?;
        let engine = sync_engine::Engine::new(Arc::new(store), easdav::serve::engine_config(&cfg)?);
        let out = match args.action {
            Action::List => {
                let accounts = engine.accounts().await?;
                if accounts.is_empty() {
                    println!("no accounts yet");
                }
                for a in accounts {
                    let state = if a.locked {
                        format!("LOCKED ({})", a.lock_reason.as_deref().unwrap_or("remote wipe"))
                    } else {
                        "active".to_owned()
                    };
                    println!(
                        "{}  device {}  protocol {}  {state}{}",
                        a.user,
                        a.device_id,
                        a.protocol_version.as_deref().unwrap_or("-"),
                        a.last_error
                            .as_deref()
                            .map(|e| format!("  last error: {e}"))
                            .unwrap_or_default()
                    );
                    // The device policy Exchange sent at provisioning (what easdav
                    // enforces is in docs/configuration.md).
                    if let Some(policy) = a.policy.as_deref().filter(|p| !p.is_empty()) {
                        println!("    policy: {policy}");
                    }
                    for f in a.folders {
                        let last = f.last_sync_at.map_or("never".to_owned(), |t| {
                            jiff::Timestamp::from_millisecond(t).map_or(t.to_string(), |ts| ts.to_string())
                        });
                        println!(
                            "    {:<24} type {:>2}  {:>6} items  last sync {last}{}",
                            f.display_name,
                            f.folder_type,
                            f.items,
                            if f.resyncing { "  (resyncing)" } else { "" }
                        );
                    }
                }
                Ok(())
            }
            Action::Unlock { user } => engine.unlock(&user).await.map(|()| println!("{user}: unlocked")),
            Action::Purge { user } => engine.purge(&user).await.map(|()| println!("{user}: purged")),
            Action::Resync { user } => engine
                .force_resync(&user)
                .await
                .map(|()| println!("{user}: resync scheduled for the next request")),
        };
        engine.shutdown().await;
        out.map_err(anyhow::Error::from)
    })
}
