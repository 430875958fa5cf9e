//! FerroMQ storage engine: a RocketMQ-compatible, synchronous message store whose on-disk
//! layout a Java broker can open (and the reverse).
//!
//! Module map:
//! - [`store`] / [`put`] / [`read`] / [`lookup`]: [`MessageStore`], the facade — open (lock,
//!   `abort` marker, recovery, background threads), puts, pulls, lookups (by physical offset:
//!   verified against the ConsumeQueue), shutdown.
//! - [`commit_log`]: the append-only CommitLog (single writer, records encoded straight into
//!   the mapping, end-of-file blanks). [`queue_offsets`]: next queue offset per topic-queue.
//! - [`mapped_file`] / [`mapped_file_queue`]: fixed-size mapped files named by start offset,
//!   lock-free reads as zero-copy `Bytes`.
//! - [`consume_queue`] / [`consume_queue_table`]: 20-byte per-queue index entries;
//!   [`queue_name`]: which topics and queue ids may name their directories.
//! - [`index_file`] / [`index`]: the key hash index (`topic#key`, `topic#UNIQ_KEY`).
//! - [`dispatch`]: builds queue and index entries from the CommitLog; arrival callback.
//! - [`flush`]: durable handles, SYNC_FLUSH group commit, ASYNC_FLUSH timed flush.
//! - [`recovery`]: normal and crash recovery; [`checkpoint`]: the `checkpoint` file.
//! - [`retention`]: which files to delete and why; [`space`]: disk usage by data (not by
//!   the blocks allocated ahead of writers); [`stats`]: counters and TPS;
//!   [`housekeeping`]: the background loops (file preparation, queue flush, retention).
//! - [`io`]: the file-system seam ([`io::FileSystem`], [`io::DataFile`]; data files are
//!   sparse, allocated in windows ahead of their writers); [`fault`]: fault injection for
//!   tests; [`quota_fs`]: a small disk that fills up, for tests.
//! - [`config`]: [`StoreConfig`] with Java defaults; [`config_file`]: atomic JSON config
//!   writes with `.bak`. [`filter`]: pull filters. [`error`]: errors and Java's put/get
//!   statuses. [`message`]: put inputs and results.

pub mod checkpoint;
pub mod commit_log;
pub mod config;
pub mod config_file;
pub mod consume_queue;
pub mod consume_queue_table;
pub mod dispatch;
pub mod error;
pub mod fault;
pub mod filter;
pub mod flush;
pub mod housekeeping;
pub mod index;
pub mod index_file;
pub mod io;
pub mod lookup;
pub mod mapped_file;
pub mod mapped_file_queue;
pub mod message;
pub mod put;
pub mod queue_name;
pub mod queue_offsets;
pub mod quota_fs;
pub mod read;
pub mod recovery;
pub mod retention;
pub mod space;
pub mod stats;
pub mod store;

pub use config::{FlushDiskType, StoreConfig};
pub use consume_queue::BoundaryType;
pub use dispatch::{Arrival, ArrivalListener};
pub use error::{GetMessageStatus, PutMessageStatus, StoreError};
pub use filter::{AcceptAll, MessageFilter, TagCodeFilter};
pub use flush::DurableHandle;
pub use message::{AppendInfo, BatchMessage, BatchToStore, MessageToStore, PutResult};
pub use read::{GetResult, QueryResult};
pub use recovery::RecoveryReport;
pub use stats::StatsSnapshot;
pub use store::MessageStore;
