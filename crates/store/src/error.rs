//! Store errors and the put/get statuses that mirror Java's `PutMessageStatus` and
//! `GetMessageStatus`.

use std::io;
use std::path::PathBuf;

/// Errors opening or operating the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("disk full creating {path}: {source}")]
    DiskFull {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("store directory {0} is locked by another process")]
    Locked(PathBuf),
    #[error("corrupt store file {path}: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("store is shut down")]
    Shutdown,
    #[error("store is not writeable: {0}")]
    NotWriteable(String),
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A topic that cannot name a ConsumeQueue directory (see [`InvalidName`](crate::InvalidName)).
    #[error("topic {topic:?} cannot name a consume queue: {reason}")]
    InvalidTopic {
        topic: String,
        reason: crate::queue_name::InvalidName,
    },
    /// A negative queue id.
    #[error("queue id {queue_id} of topic {topic:?} cannot name a consume queue")]
    InvalidQueueId { topic: String, queue_id: i32 },
    /// A CommitLog record whose fields cannot be dispatched (its queue offset or physical
    /// offset is impossible). The record itself is at fault: retrying cannot help.
    #[error("record at {phys_offset} cannot be dispatched: {reason}")]
    BadRecord { phys_offset: i64, reason: String },
}

impl StoreError {
    /// Wraps an I/O error, classifying ENOSPC/EDQUOT as [`StoreError::DiskFull`].
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        let path = path.into();
        match source.raw_os_error() {
            Some(libc::ENOSPC) | Some(libc::EDQUOT) => StoreError::DiskFull { path, source },
            _ => StoreError::Io { path, source },
        }
    }

    /// An [`StoreError::InvalidTopic`] for `topic` (shortened for messages).
    pub fn invalid_topic(topic: &str, reason: crate::queue_name::InvalidName) -> Self {
        StoreError::InvalidTopic {
            topic: crate::queue_name::shorten(topic),
            reason,
        }
    }

    /// Whether the error lies in the input (a name, a record) rather than in the disk or the
    /// store's state: the same input fails again however often it is retried.
    pub fn is_caused_by_input(&self) -> bool {
        matches!(
            self,
            StoreError::InvalidTopic { .. }
                | StoreError::InvalidQueueId { .. }
                | StoreError::BadRecord { .. }
                | StoreError::InvalidArgument(_)
        )
    }

    /// Whether this error means the disk (or quota) is full.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::DiskFull { .. })
    }
}

/// Outcome of a put (Java `PutMessageStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutMessageStatus {
    /// Stored (and, under SYNC_FLUSH, durable).
    PutOk,
    /// Stored, but not fsynced within `sync_flush_timeout`.
    FlushDiskTimeout,
    FlushSlaveTimeout,
    SlaveNotAvailable,
    /// The store refuses writes (shut down, read-only after an I/O error, or disk full).
    ServiceNotAvailable,
    /// The next CommitLog file could not be created (see [`PutMessageStatus::DiskFull`]).
    CreateMappedFileFailed,
    /// Body too large, empty topic, or record not encodable.
    MessageIllegal,
    /// Properties longer than 32767 bytes.
    PropertiesSizeExceeded,
    /// The append lock was held too long.
    OsPageCacheBusy,
    /// A flush failed: the message may not be durable.
    UnknownError,
    /// Not Java: the disk is full (no space to create or extend files). Reads keep working.
    DiskFull,
    /// Fewer replicas are in sync than the write requires (5.x, acting-master setups); the
    /// message was not stored.
    InSyncReplicasNotEnough,
}

impl PutMessageStatus {
    /// Java's enum constant name, for logs and responses.
    pub fn name(self) -> &'static str {
        match self {
            PutMessageStatus::PutOk => "PUT_OK",
            PutMessageStatus::FlushDiskTimeout => "FLUSH_DISK_TIMEOUT",
            PutMessageStatus::FlushSlaveTimeout => "FLUSH_SLAVE_TIMEOUT",
            PutMessageStatus::SlaveNotAvailable => "SLAVE_NOT_AVAILABLE",
            PutMessageStatus::ServiceNotAvailable => "SERVICE_NOT_AVAILABLE",
            PutMessageStatus::CreateMappedFileFailed => "CREATE_MAPPED_FILE_FAILED",
            PutMessageStatus::MessageIllegal => "MESSAGE_ILLEGAL",
            PutMessageStatus::PropertiesSizeExceeded => "PROPERTIES_SIZE_EXCEEDED",
            PutMessageStatus::OsPageCacheBusy => "OS_PAGE_CACHE_BUSY",
            PutMessageStatus::UnknownError => "UNKNOWN_ERROR",
            PutMessageStatus::DiskFull => "DISK_FULL",
            PutMessageStatus::InSyncReplicasNotEnough => "IN_SYNC_REPLICAS_NOT_ENOUGH",
        }
    }

    /// Whether the message is in the CommitLog (OK or only a flush/replica timeout).
    pub fn is_stored(self) -> bool {
        matches!(
            self,
            PutMessageStatus::PutOk
                | PutMessageStatus::FlushDiskTimeout
                | PutMessageStatus::FlushSlaveTimeout
                | PutMessageStatus::SlaveNotAvailable
        )
    }
}

/// Outcome of a queue read (Java `GetMessageStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetMessageStatus {
    Found,
    NoMatchedMessage,
    MessageWasRemoving,
    OffsetFoundNull,
    OffsetOverflowBadly,
    OffsetOverflowOne,
    OffsetTooSmall,
    NoMatchedLogicQueue,
    NoMessageInQueue,
}

impl GetMessageStatus {
    /// Java's enum constant name.
    pub fn name(self) -> &'static str {
        match self {
            GetMessageStatus::Found => "FOUND",
            GetMessageStatus::NoMatchedMessage => "NO_MATCHED_MESSAGE",
            GetMessageStatus::MessageWasRemoving => "MESSAGE_WAS_REMOVING",
            GetMessageStatus::OffsetFoundNull => "OFFSET_FOUND_NULL",
            GetMessageStatus::OffsetOverflowBadly => "OFFSET_OVERFLOW_BADLY",
            GetMessageStatus::OffsetOverflowOne => "OFFSET_OVERFLOW_ONE",
            GetMessageStatus::OffsetTooSmall => "OFFSET_TOO_SMALL",
            GetMessageStatus::NoMatchedLogicQueue => "NO_MATCHED_LOGIC_QUEUE",
            GetMessageStatus::NoMessageInQueue => "NO_MESSAGE_IN_QUEUE",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enospc_is_disk_full() {
        let e = StoreError::io("/x", io::Error::from_raw_os_error(libc::ENOSPC));
        assert!(e.is_disk_full());
        let e = StoreError::io("/x", io::Error::from_raw_os_error(libc::EIO));
        assert!(!e.is_disk_full());
        assert!(e.to_string().contains("/x"));
    }
}
