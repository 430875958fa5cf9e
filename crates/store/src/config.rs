//! [`StoreConfig`]: the storage settings, with the Java broker's defaults
//! (`MessageStoreConfig`). The broker maps its own configuration onto this.

use std::path::PathBuf;
use std::time::Duration;

/// When an append counts as done (`flushDiskType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlushDiskType {
    /// Acknowledge once in the page cache; a background thread flushes (Java default).
    #[default]
    AsyncFlush,
    /// Acknowledge once fsynced; concurrent appends share one fsync (group commit).
    SyncFlush,
}

/// Storage configuration. Field names follow the Java keys in snake case.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `storePathRootDir` (Java default `$HOME/store`).
    pub store_path_root_dir: PathBuf,
    /// `storePathCommitLog`; `None` means `{root}/commitlog`.
    pub store_path_commit_log: Option<PathBuf>,
    /// `mappedFileSizeCommitLog`: 1 GiB.
    pub mapped_file_size_commit_log: u64,
    /// `mappedFileSizeConsumeQueue`: 300,000 entries of 20 bytes.
    pub mapped_file_size_consume_queue: u64,
    /// `flushDiskType`.
    pub flush_disk_type: FlushDiskType,
    /// `flushIntervalCommitLog`: 500 ms.
    pub flush_interval_commit_log: Duration,
    /// `flushCommitLogLeastPages`: 4 pages of 4 KiB.
    pub flush_commit_log_least_pages: u32,
    /// `flushCommitLogThoroughInterval`: 10 s.
    pub flush_commit_log_thorough_interval: Duration,
    /// `flushIntervalConsumeQueue`: 1 s (also flushes index files and the checkpoint).
    pub flush_interval_consume_queue: Duration,
    /// `flushConsumeQueueLeastPages`: 2.
    pub flush_consume_queue_least_pages: u32,
    /// `flushConsumeQueueThoroughInterval`: 60 s.
    pub flush_consume_queue_thorough_interval: Duration,
    /// `syncFlushTimeout`: 5 s; past it a put reports FLUSH_DISK_TIMEOUT.
    pub sync_flush_timeout: Duration,
    /// `deleteWhen`: hours of the day (`"04"`, or `"04;05"`) when expired files are deleted.
    pub delete_when: String,
    /// `fileReservedTime`: hours a CommitLog file is kept after its last write.
    pub file_reserved_time_hours: u64,
    /// `diskMaxUsedSpaceRatio`: 75 %; above it expired files are deleted at any hour.
    pub disk_max_used_space_ratio: u32,
    /// `diskSpaceCleanForciblyRatio`: 85 %; above it the oldest files go even if not expired.
    pub disk_space_clean_forcibly_ratio: u32,
    /// `diskSpaceWarningLevelRatio`: 90 %; above it appends are refused (disk full).
    pub disk_space_warning_level_ratio: u32,
    /// `cleanFileForciblyEnable`.
    pub clean_file_forcibly_enable: bool,
    /// `deleteFileBatchMax`: files deleted per retention pass.
    pub delete_file_batch_max: usize,
    /// `cleanResourceInterval`: 10 s between retention passes.
    pub clean_resource_interval: Duration,
    /// `messageIndexEnable`.
    pub message_index_enable: bool,
    /// `maxHashSlotNum`: 5,000,000.
    pub max_hash_slot_num: u32,
    /// `maxIndexNum`: 20,000,000.
    pub max_index_num: u32,
    /// `maxMsgsNumBatch`: cap on index query results (64).
    pub max_msgs_num_batch: usize,
    /// `checkCRCOnRecover`.
    pub check_crc_on_recover: bool,
    /// `maxMessageSize`: 4 MiB body limit.
    pub max_message_size: usize,
    /// `maxTransferBytesOnMessageInMemory`: 256 KiB per pull when hot.
    pub max_transfer_bytes_on_message_in_memory: usize,
    /// `maxTransferCountOnMessageInMemory`: 32.
    pub max_transfer_count_on_message_in_memory: usize,
    /// `maxTransferBytesOnMessageInDisk`: 64 KiB per pull when cold.
    pub max_transfer_bytes_on_message_in_disk: usize,
    /// `maxTransferCountOnMessageInDisk`: 8.
    pub max_transfer_count_on_message_in_disk: usize,
    /// `accessMessageInMemoryMaxRatio`: 40 % of RAM counts as hot.
    pub access_message_in_memory_max_ratio: u32,
    /// `maxFilterMessageSize`: CQ bytes scanned per pull when filtering (16,000).
    pub max_filter_message_size: usize,
    /// `messageDelayLevel`, in milliseconds per level (level 1 first).
    pub delay_levels_ms: Vec<u64>,
    /// Pre-fault this many bytes ahead of the writer so appends never take a page fault.
    pub prefault_window: u64,
    /// Create and map the next CommitLog file before it is needed.
    pub preallocate_next_file: bool,
}

/// Java's default `messageDelayLevel` string.
pub(crate) const DEFAULT_MESSAGE_DELAY_LEVEL: &str =
    "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";

/// Parses a `messageDelayLevel` string (`s`, `m`, `h`, `d` units) into milliseconds.
/// Unparseable levels are skipped, as Java logs and skips them.
pub(crate) fn parse_delay_levels(s: &str) -> Vec<u64> {
    s.split_whitespace()
        .filter_map(|lvl| {
            let (num, unit) = lvl.split_at(lvl.len().checked_sub(1)?);
            let n: u64 = num.parse().ok()?;
            let mult = match unit {
                "s" => 1_000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                _ => return None,
            };
            Some(n * mult)
        })
        .collect()
}

impl Default for StoreConfig {
    fn default() -> Self {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        StoreConfig {
            store_path_root_dir: home.join("store"),
            store_path_commit_log: None,
            mapped_file_size_commit_log: 1024 * 1024 * 1024,
            mapped_file_size_consume_queue: 300_000 * 20,
            flush_disk_type: FlushDiskType::AsyncFlush,
            flush_interval_commit_log: Duration::from_millis(500),
            flush_commit_log_least_pages: 4,
            flush_commit_log_thorough_interval: Duration::from_secs(10),
            flush_interval_consume_queue: Duration::from_secs(1),
            flush_consume_queue_least_pages: 2,
            flush_consume_queue_thorough_interval: Duration::from_secs(60),
            sync_flush_timeout: Duration::from_secs(5),
            delete_when: "04".to_string(),
            file_reserved_time_hours: 72,
            disk_max_used_space_ratio: 75,
            disk_space_clean_forcibly_ratio: 85,
            disk_space_warning_level_ratio: 90,
            clean_file_forcibly_enable: true,
            delete_file_batch_max: 10,
            clean_resource_interval: Duration::from_secs(10),
            message_index_enable: true,
            max_hash_slot_num: 5_000_000,
            max_index_num: 20_000_000,
            max_msgs_num_batch: 64,
            check_crc_on_recover: true,
            max_message_size: 4 * 1024 * 1024,
            max_transfer_bytes_on_message_in_memory: 256 * 1024,
            max_transfer_count_on_message_in_memory: 32,
            max_transfer_bytes_on_message_in_disk: 64 * 1024,
            max_transfer_count_on_message_in_disk: 8,
            access_message_in_memory_max_ratio: 40,
            max_filter_message_size: 16_000,
            delay_levels_ms: parse_delay_levels(DEFAULT_MESSAGE_DELAY_LEVEL),
            prefault_window: 64 * 1024 * 1024,
            preallocate_next_file: true,
        }
    }
}

impl StoreConfig {
    /// Defaults with the given root directory.
    pub fn with_root(root: impl Into<PathBuf>) -> Self {
        StoreConfig {
            store_path_root_dir: root.into(),
            ..Default::default()
        }
    }

    /// The CommitLog directory (the first one if several are listed with `,`).
    pub fn commit_log_dir(&self) -> PathBuf {
        match &self.store_path_commit_log {
            Some(p) => {
                let s = p.to_string_lossy();
                PathBuf::from(s.split(',').next().unwrap_or(&s).trim())
            }
            None => self.store_path_root_dir.join("commitlog"),
        }
    }

    /// `{root}/consumequeue`.
    pub fn consume_queue_dir(&self) -> PathBuf {
        self.store_path_root_dir.join("consumequeue")
    }

    /// `{root}/index`.
    pub fn index_dir(&self) -> PathBuf {
        self.store_path_root_dir.join("index")
    }

    /// `{root}/checkpoint`.
    pub fn checkpoint_path(&self) -> PathBuf {
        self.store_path_root_dir.join("checkpoint")
    }

    /// `{root}/abort`: present while the store runs.
    pub fn abort_path(&self) -> PathBuf {
        self.store_path_root_dir.join("abort")
    }

    /// `{root}/lock`: held with `flock` while the store runs.
    pub fn lock_path(&self) -> PathBuf {
        self.store_path_root_dir.join("lock")
    }

    /// `{root}/config`: the broker's JSON files.
    pub fn config_dir(&self) -> PathBuf {
        self.store_path_root_dir.join("config")
    }

    /// Highest delay level (1-based).
    pub fn max_delay_level(&self) -> i32 {
        self.delay_levels_ms.len() as i32
    }

    /// Delivery time of a `SCHEDULE_TOPIC_XXXX` message: store time + delay of its level
    /// (clamped to the highest level), which becomes its CQ tag code.
    pub fn deliver_timestamp(&self, level: i32, store_timestamp: i64) -> i64 {
        let max = self.max_delay_level();
        let level = level.min(max);
        if level <= 0 {
            return store_timestamp;
        }
        store_timestamp.saturating_add(self.delay_levels_ms[(level - 1) as usize] as i64)
    }

    /// Hours listed in `delete_when`.
    pub fn delete_hours(&self) -> Vec<u32> {
        self.delete_when
            .split(';')
            .filter_map(|h| h.trim().parse().ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_delay_levels() {
        let lv = parse_delay_levels(DEFAULT_MESSAGE_DELAY_LEVEL);
        assert_eq!(lv.len(), 18);
        assert_eq!(lv[0], 1_000);
        assert_eq!(lv[4], 60_000);
        assert_eq!(lv[17], 7_200_000);
        let c = StoreConfig::default();
        assert_eq!(c.deliver_timestamp(3, 100), 10_100);
        assert_eq!(c.deliver_timestamp(99, 0), 7_200_000);
    }

    #[test]
    fn delete_when_hours() {
        let c = StoreConfig {
            delete_when: "04;05; 23".into(),
            ..Default::default()
        };
        assert_eq!(c.delete_hours(), vec![4, 5, 23]);
    }
}
