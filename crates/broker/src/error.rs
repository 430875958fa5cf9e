//! Broker errors (start-up and persistence; request failures are response codes).

use std::path::PathBuf;

/// Why the broker could not start or persist its state.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// The message store failed to open or failed an operation.
    #[error(transparent)]
    Store(#[from] ferromq_store::StoreError),
    /// A config file (topics.json, …) is unreadable in both its copies.
    #[error("cannot read {path}: {reason}")]
    ConfigFile { path: PathBuf, reason: String },
    /// The configuration is inconsistent.
    #[error("invalid broker configuration: {0}")]
    Config(String),
    /// Binding or serving a socket failed.
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
}
