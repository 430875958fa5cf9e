//! Errors of this crate: decoding bodies and files that came from the network or disk.

/// Why a body or config file could not be decoded (or, rarely, encoded).
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Bodies are UTF-8 JSON (Java's `MixAll.DEFAULT_CHARSET`).
    #[error("body is not valid UTF-8")]
    Utf8(#[source] std::str::Utf8Error),
    /// The (normalized) JSON did not match the expected shape.
    #[error("invalid JSON body")]
    Json(#[from] serde_json::Error),
    /// The zlib stream of a compressed body is corrupt.
    #[error("corrupt zlib stream")]
    Zlib(#[source] std::io::Error),
    /// A compressed body ended before a length-prefixed part was complete.
    #[error("compressed body truncated while reading {what}")]
    Truncated {
        /// The part being read.
        what: &'static str,
    },
    /// A length prefix or count in a compressed body is negative or too large.
    #[error("invalid length {len} while reading {what}")]
    InvalidLength {
        /// The part being read.
        what: &'static str,
        /// The length found.
        len: i64,
    },
    /// A `TopicConfig` in Java's space-separated text form could not be parsed.
    #[error("invalid topic config text {text:?}: {reason}")]
    TopicConfigText {
        /// The offending text.
        text: String,
        /// What was wrong with it.
        reason: &'static str,
    },
    /// A Java enum name (or ordinal) that this version does not know.
    #[error("unknown {kind} value {value:?}")]
    UnknownEnumValue {
        /// The enum's Java name.
        kind: &'static str,
        /// The value received.
        value: String,
    },
}
