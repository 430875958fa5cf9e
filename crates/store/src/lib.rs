//! FerroMQ storage engine: a RocketMQ-compatible, synchronous message store whose on-disk
//! layout a Java broker can open (and the reverse).
//!
//! [`MessageStore`] is the API: open, put, pull, look up, shut down; its inputs, results and
//! statuses are exported here too. The modules are private:
//! - `store` / `put` / `read` / `lookup`: [`MessageStore`], the facade — open (lock,
//!   `abort` marker, recovery, background threads), puts, pulls, lookups (by physical offset:
//!   verified against the ConsumeQueue), shutdown. `truncate`: cutting the CommitLog of an
//!   open store at a record boundary (controller mode).
//! - `commit_log`: the append-only CommitLog (single writer, records encoded straight into
//!   the mapping, end-of-file blanks). `queue_offsets`: next queue offset per topic-queue.
//! - `mapped_file` / `mapped_file_queue`: fixed-size mapped files named by start offset,
//!   lock-free reads as zero-copy `Bytes`.
//! - `consume_queue` / `consume_queue_table`: 20-byte per-queue index entries;
//!   `queue_name`: which topics and queue ids may name their directories.
//! - `index_file` / `index`: the key hash index (`topic#key`, `topic#UNIQ_KEY`).
//! - `dispatch`: builds queue and index entries from the CommitLog, up to the confirm
//!   offset when one is set; [`Arrival`] callback.
//! - `flush`: durable handles, SYNC_FLUSH group commit, ASYNC_FLUSH timed flush.
//! - `epoch_file`: controller mode's epochs of the CommitLog ([`EpochCache`]) and where a
//!   returning broker's log agrees with its new master's ([`consistent_point`]).
//! - `recovery`: normal and crash recovery; `checkpoint`: the `checkpoint` file.
//! - `retention`: which files to delete and why ([`DeleteReason`]); `space`: disk usage by
//!   data (not by the blocks allocated ahead of writers); `stats`: counters and TPS;
//!   `housekeeping`: the background loops (file preparation, queue flush, retention).
//! - `config`: [`StoreConfig`] with Java defaults. `filter`: pull filters. `error`: errors
//!   and Java's put/get statuses. `message`: put inputs and results.
//!
//! Two families stay public modules, addressed by path:
//! - [`io`]: the file-system seam ([`io::FileSystem`], [`io::DataFile`], [`io::OsFs`],
//!   [`io::DiskUsage`]; data files are sparse, allocated in windows ahead of their writers).
//! - [`config_file`]: atomic JSON config writes with `.bak` (`config_file::write_atomic`,
//!   `config_file::load_with_backup`), used by the broker's tables.
//!
//! `testing` (feature `testing`): file systems for tests — `FaultyFs` injects I/O faults,
//! `QuotaFs` is a small disk that fills up.

#![warn(unreachable_pub)]

mod checkpoint;
mod commit_log;
mod config;
pub mod config_file;
mod consume_queue;
mod consume_queue_table;
mod dispatch;
mod epoch_file;
mod error;
#[cfg(any(test, feature = "testing"))]
mod fault;
mod filter;
mod flush;
mod housekeeping;
mod index;
mod index_file;
pub mod io;
mod lookup;
mod mapped_file;
mod mapped_file_queue;
mod message;
mod put;
mod queue_name;
mod queue_offsets;
#[cfg(any(test, feature = "testing"))]
mod quota_fs;
mod read;
mod recovery;
mod retention;
mod role_change;
mod space;
mod stats;
mod store;
#[cfg(any(test, feature = "testing"))]
mod tmpfs;
mod truncate;

pub use config::{FlushDiskType, StoreConfig};
pub use consume_queue::BoundaryType;
pub use dispatch::{Arrival, ArrivalListener};
pub use epoch_file::{consistent_point, EpochCache, EpochEntry};
pub use error::{GetMessageStatus, PutMessageStatus, StoreError};
pub use filter::{AcceptAll, MessageFilter, TagCodeFilter};
pub use flush::DurableHandle;
pub use message::{AppendInfo, BatchMessage, BatchToStore, MessageToStore, PutResult};
pub use queue_name::InvalidName;
pub use read::{GetResult, QueryResult, MAX_PULL_MSG_COUNT, MAX_PULL_MSG_SIZE};
pub use recovery::RecoveryReport;
pub use retention::DeleteReason;
pub use stats::StatsSnapshot;
pub use store::MessageStore;

/// File systems for tests of the store and of what runs on it (feature `testing`).
#[cfg(any(test, feature = "testing"))]
pub mod testing {
    pub use crate::fault::{Faults, FaultyFs};
    pub use crate::quota_fs::{Quota, QuotaFs};
    pub use crate::tmpfs::{fill_to, used_percent, Tmpfs};
}
