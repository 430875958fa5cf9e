//! Why loading, reloading or updating the ACL 1.0 files failed. Where Java answers an admin
//! request with an exception's message or a fixed text, `Display` is that text, so the broker
//! can use it as the response remark unchanged.

/// A failure to load, reload or update ACL 1.0 files.
#[derive(Debug, thiserror::Error)]
pub enum PlainAclError {
    /// A file or directory could not be read or written.
    #[error("{path} ({source})")]
    Io {
        /// The file concerned.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not YAML or does not fit the schema (unknown key, wrong type).
    #[error("{path}: {message}")]
    Yaml {
        /// The file concerned.
        path: String,
        /// The parser's explanation.
        message: String,
    },
    /// A file is larger than the reader accepts.
    #[error("{path} is larger than {limit} bytes")]
    TooLarge {
        /// The file concerned.
        path: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// Too many files, accounts or patterns to load.
    #[error("more than {limit} {what} in the ACL files")]
    TooMany {
        /// What was counted.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A value Java refuses with an `AclException` (short keys, bad pattern, bad
    /// permission entry); `message` is Java's text.
    #[error("{message}")]
    Invalid {
        /// The file holding the value, when it came from a file.
        path: Option<String>,
        /// Java's message.
        message: String,
    },
    /// DELETE_ACL_CONFIG (51) found nothing to delete.
    #[error("The accessKey[{0}] corresponding to accessConfig has been deleted failed.")]
    DeleteFailed(String),
    /// UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53) refused the target file.
    #[error("The globalWhiteAddresses[{addrs}] has been updated failed.")]
    GlobalWhiteAddrsFailed {
        /// The addresses as sent, comma-joined.
        addrs: String,
        /// Why (for the log; Java logs it too).
        reason: String,
    },
}

impl PlainAclError {
    /// An `AclException`-like refusal not tied to a file.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        PlainAclError::Invalid {
            path: None,
            message: message.into(),
        }
    }
}
