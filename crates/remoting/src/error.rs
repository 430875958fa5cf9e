//! Transport errors.

use std::time::Duration;

/// Why a remote call failed. Mirrors the Java client's local codes (RPC_ADDR_IS_NULL,
/// RPC_SEND_TO_CHANNEL_FAILED, RPC_TIME_OUT) so callers can map them.
#[derive(Debug, thiserror::Error)]
pub enum RemotingError {
    /// The address is not `host:port`.
    #[error("invalid address `{0}`")]
    InvalidAddress(String),
    /// Connecting failed.
    #[error("connect to {addr} failed: {source}")]
    Connect {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    /// Connecting took too long.
    #[error("connect to {addr} timed out after {timeout:?}")]
    ConnectTimeout { addr: String, timeout: Duration },
    /// The channel closed before the command could be sent or answered.
    #[error("channel to {addr} is closed")]
    ChannelClosed { addr: String },
    /// No response within the timeout.
    #[error("wait response from {addr} timed out after {timeout:?} (opaque {opaque})")]
    Timeout {
        addr: String,
        timeout: Duration,
        opaque: i32,
    },
}

impl RemotingError {
    /// The Java client's local response code for this error.
    pub fn java_code(&self) -> i32 {
        match self {
            RemotingError::InvalidAddress(_) => -1002,
            RemotingError::Connect { .. } | RemotingError::ConnectTimeout { .. } => -1004,
            RemotingError::ChannelClosed { .. } => -1004,
            RemotingError::Timeout { .. } => -1006,
        }
    }
}
