//! The one error type of this crate.

use std::path::PathBuf;

/// Why a properties file or a single `key=value` could not be turned into a config.
///
/// Unknown keys are *not* errors when loading a file (they become
/// [`ConfigWarning`](crate::ConfigWarning)s, as Java ignores them); they only surface here from
/// the single-key setters, where the caller asked for that key by name.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {}", path.display())]
    Io {
        /// The file that was being read.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The text is not valid `java.util.Properties` syntax (only a malformed `\uXXXX` escape
    /// can cause this; Java's `Properties.load` throws on it too).
    #[error("properties syntax error at line {line}: {message}")]
    Syntax {
        /// 1-based line where the offending logical line starts.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A known key has a value that does not parse as its type.
    #[error("invalid value {value:?} for config key `{key}`{}: {reason}", line_suffix(*.line))]
    InvalidValue {
        /// The key as written in the file.
        key: String,
        /// The raw value as written in the file.
        value: String,
        /// 1-based line of the entry, when it came from a file.
        line: Option<usize>,
        /// What was expected.
        reason: String,
    },
    /// The key is not one this config knows.
    #[error("unknown config key `{key}`")]
    UnknownKey {
        /// The key as given.
        key: String,
    },
    /// The key is listed in `configBlackList` and cannot be changed at runtime
    /// (Java answers `NO_PERMISSION` "Can not update config in black list.").
    #[error("config key `{key}` is in configBlackList and cannot be updated at runtime")]
    ReadOnlyKey {
        /// The key that was refused.
        key: String,
    },
    /// Keys that are each valid but cannot be used together (checked at broker start, as
    /// Java's `BrokerStartup` does).
    #[error("inconsistent broker config: {0}")]
    Inconsistent(String),
}

fn line_suffix(line: Option<usize>) -> String {
    match line {
        Some(line) => format!(" at line {line}"),
        None => String::new(),
    }
}

impl ConfigError {
    /// Attaches the file line to an [`ConfigError::InvalidValue`]; other variants are unchanged.
    pub(crate) fn at_line(self, at: usize) -> Self {
        match self {
            ConfigError::InvalidValue {
                key, value, reason, ..
            } => ConfigError::InvalidValue {
                key,
                value,
                line: Some(at),
                reason,
            },
            other => other,
        }
    }
}
