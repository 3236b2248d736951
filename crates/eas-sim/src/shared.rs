//! The state shared by the EAS and control listeners: mailboxes behind a lock,
//! one change signal per user, fault rules and the snapshot writer.

use std::collections::BTreeMap;
use std::sync::Mutex;

use tokio::sync::watch;

use crate::config::Config;
use crate::error::SimError;
use crate::faults::Faults;
use crate::persist::Persist;
use crate::state::{Mailbox, State};

/// Shared simulator context.
#[derive(Debug)]
pub struct Shared {
    /// The configuration it was started with.
    pub config: Config,
    state: Mutex<StateCell>,
    /// Fault rules and counters.
    pub faults: Mutex<Faults>,
    signals: BTreeMap<String, watch::Sender<u64>>,
    persist: Option<Persist>,
}

#[derive(Debug)]
struct StateCell {
    state: State,
    generation: u64,
}

impl Shared {
    /// Builds the context, loading the snapshot when `--data` is set and
    /// creating the default hierarchy for users that have no mailbox yet.
    ///
    /// # Errors
    /// [`SimError`] when the snapshot cannot be read.
    pub fn new(config: Config) -> Result<Self, SimError> {
        let persist = config.data_dir.as_deref().map(Persist::new).transpose()?;
        let mut state = match &persist {
            Some(p) => p.load()?.unwrap_or_default(),
            None => State::default(),
        };
        let mut signals = BTreeMap::new();
        for u in &config.users {
            state
                .users
                .entry(u.name.clone())
                .or_insert_with(Mailbox::with_default_folders);
            signals.insert(u.name.clone(), watch::channel(0u64).0);
        }
        let mut faults = Faults::default();
        for r in &config.faults {
            faults.add(r.clone());
        }
        let shared = Shared {
            config,
            state: Mutex::new(StateCell { state, generation: 0 }),
            faults: Mutex::new(faults),
            signals,
            persist,
        };
        shared.save();
        Ok(shared)
    }

    /// Runs `f` on one user's mailbox (created if missing).
    pub fn with_mailbox<R>(&self, user: &str, f: impl FnOnce(&mut Mailbox) -> R) -> R {
        let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mb = g.state.users.entry(user.to_owned()).or_default();
        f(mb)
    }

    /// Subscribes to change signals of `user`.
    pub fn subscribe(&self, user: &str) -> Option<watch::Receiver<u64>> {
        self.signals.get(user).map(watch::Sender::subscribe)
    }

    /// Wakes every waiter (Ping, hanging Sync) of `user` and persists the state.
    pub fn changed(&self, user: &str) {
        self.signal(user);
        self.save();
    }

    /// Wakes every waiter of `user` so it re-checks its condition.
    pub fn signal(&self, user: &str) {
        if let Some(tx) = self.signals.get(user) {
            tx.send_modify(|v| *v += 1);
        }
    }

    /// Persists the state when `--data` is set (after a mutation).
    pub fn save(&self) {
        let Some(p) = &self.persist else { return };
        let (generation, json) = {
            let mut g = self.state.lock().unwrap_or_else(|p| p.into_inner());
            g.generation += 1;
            (g.generation, serde_json::to_vec_pretty(&g.state))
        };
        match json {
            Ok(json) => {
                if let Err(e) = p.save(generation, &json) {
                    tracing::error!("persisting simulator state: {e}");
                }
            }
            Err(e) => tracing::error!("serialising simulator state: {e}"),
        }
    }
}
