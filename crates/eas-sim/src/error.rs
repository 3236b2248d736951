//! The crate's error type.

use std::path::Path;

/// Everything that can go wrong when starting or running the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// File-system or socket error with the path or address involved.
    #[error("{what}: {source}")]
    Io {
        /// What was being accessed.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The persisted snapshot could not be parsed.
    #[error("reading snapshot {0}: {1}")]
    Snapshot(String, String),
    /// The configuration is unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl SimError {
    /// An I/O error about `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        SimError::Io {
            what: path.display().to_string(),
            source,
        }
    }

    /// An I/O error about something named `what`.
    pub fn io_at(what: impl Into<String>, source: std::io::Error) -> Self {
        SimError::Io {
            what: what.into(),
            source,
        }
    }
}
