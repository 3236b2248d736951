//! Snapshot persistence for `--data DIR`: one JSON file, written to a temporary
//! file and renamed over the old one so a crash never leaves half a snapshot.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::SimError;
use crate::state::State;

const FILE: &str = "eas-sim-state.json";

/// Writes snapshots of the state into a directory.
#[derive(Debug)]
pub struct Persist {
    dir: PathBuf,
    /// Generation of the last snapshot written (older ones are skipped).
    written: Mutex<u64>,
}

impl Persist {
    /// Uses `dir` (created if missing).
    ///
    /// # Errors
    /// [`SimError::Io`] when the directory cannot be created.
    pub fn new(dir: &Path) -> Result<Self, SimError> {
        std::fs::create_dir_all(dir).map_err(|e| SimError::io(dir, e))?;
        Ok(Persist {
            dir: dir.to_owned(),
            written: Mutex::new(0),
        })
    }

    /// Loads the snapshot, or `None` when there is none yet.
    ///
    /// # Errors
    /// [`SimError::Io`] or [`SimError::Snapshot`] for an unreadable snapshot.
    pub fn load(&self) -> Result<Option<State>, SimError> {
        let path = self.dir.join(FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| SimError::Snapshot(path.display().to_string(), e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(SimError::io(&path, e)),
        }
    }

    /// Writes a serialised snapshot of generation `generation` unless a newer one was written.
    ///
    /// # Errors
    /// [`SimError::Io`] when writing or renaming fails.
    pub fn save(&self, generation: u64, json: &[u8]) -> Result<(), SimError> {
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        if *written >= generation {
            return Ok(());
        }
        let tmp = self.dir.join(format!("{FILE}.tmp"));
        let path = self.dir.join(FILE);
        std::fs::write(&tmp, json).map_err(|e| SimError::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| SimError::io(&path, e))?;
        *written = generation;
        Ok(())
    }
}
