//! Maps the broker's configuration (Java key names) onto the store's settings.

use std::path::PathBuf;
use std::time::Duration;

use ferromq_config::value::FlushDiskType as ConfFlush;
use ferromq_config::BrokerConfig;
use ferromq_store::{FlushDiskType, StoreConfig};

fn ms(v: i64) -> Duration {
    Duration::from_millis(v.max(0) as u64)
}

/// The store settings for `config`.
pub(crate) fn store_config(config: &BrokerConfig) -> StoreConfig {
    let s = &config.store;
    let mut out = StoreConfig {
        store_path_root_dir: PathBuf::from(&s.store_path_root_dir),
        store_path_commit_log: s.store_path_commit_log.as_ref().map(PathBuf::from),
        mapped_file_size_commit_log: s.mapped_file_size_commit_log.max(4096) as u64,
        mapped_file_size_consume_queue: config.mapped_file_size_consume_queue().max(20) as u64,
        flush_disk_type: match s.flush_disk_type {
            ConfFlush::SyncFlush => FlushDiskType::SyncFlush,
            ConfFlush::AsyncFlush => FlushDiskType::AsyncFlush,
        },
        flush_interval_commit_log: ms(s.flush_interval_commit_log as i64),
        flush_commit_log_least_pages: s.flush_commit_log_least_pages.max(0) as u32,
        flush_commit_log_thorough_interval: ms(s.flush_commit_log_thorough_interval as i64),
        flush_interval_consume_queue: ms(s.flush_interval_consume_queue as i64),
        flush_consume_queue_least_pages: s.flush_consume_queue_least_pages.max(0) as u32,
        flush_consume_queue_thorough_interval: ms(s.flush_consume_queue_thorough_interval as i64),
        sync_flush_timeout: ms(s.sync_flush_timeout as i64),
        delete_when: s.delete_when.as_str().to_string(),
        file_reserved_time_hours: s.file_reserved_time.max(0) as u64,
        disk_max_used_space_ratio: config.disk_max_used_space_ratio() as u32,
        disk_space_clean_forcibly_ratio: s.disk_space_clean_forcibly_ratio.clamp(1, 100) as u32,
        disk_space_warning_level_ratio: s.disk_space_warning_level_ratio.clamp(1, 100) as u32,
        clean_file_forcibly_enable: s.clean_file_forcibly_enable,
        delete_file_batch_max: s.delete_file_batch_max.max(1) as usize,
        clean_resource_interval: ms(s.clean_resource_interval as i64),
        message_index_enable: s.message_index_enable,
        max_hash_slot_num: s.max_hash_slot_num.max(1) as u32,
        max_index_num: s.max_index_num.max(1) as u32,
        max_msgs_num_batch: s.max_msgs_num_batch.max(1) as usize,
        check_crc_on_recover: s.check_crc_on_recover,
        max_message_size: s.max_message_size.max(1) as usize,
        max_transfer_bytes_on_message_in_memory: s.max_transfer_bytes_on_message_in_memory.max(1)
            as usize,
        max_transfer_count_on_message_in_memory: s.max_transfer_count_on_message_in_memory.max(1)
            as usize,
        max_transfer_bytes_on_message_in_disk: s.max_transfer_bytes_on_message_in_disk.max(1)
            as usize,
        max_transfer_count_on_message_in_disk: s.max_transfer_count_on_message_in_disk.max(1)
            as usize,
        access_message_in_memory_max_ratio: s.access_message_in_memory_max_ratio.clamp(0, 100)
            as u32,
        max_filter_message_size: s.max_filter_message_size.max(0) as usize,
        delay_levels_ms: config.delay_levels().to_vec(),
        ..StoreConfig::default()
    };
    if out.delay_levels_ms.is_empty() {
        out.delay_levels_ms = StoreConfig::default().delay_levels_ms;
    }
    out
}
