//! Keys of Java's `MessageStoreConfig`: paths, file sizes, flush, retention, reads, index,
//! replication (HA, DLedger), delay/timer messages.

use crate::host;
use crate::table::config_table;
use crate::value::{BrokerRole, DelayLevels, DeleteWhen, FlushDiskType};

fn default_store_root() -> String {
    format!("{}/store", host::home_dir())
}

config_table! {
    /// The storage engine (Java `MessageStoreConfig`).
    pub struct MessageStoreConfig {
        // ---- paths ----
        /// Root of all store files.
        store_path_root_dir: String = default_store_root() => "storePathRootDir",
        /// CommitLog directory (`{root}/commitlog` when unset); several with `,`.
        store_path_commit_log: Option<String> = None => "storePathCommitLog",
        /// DLedger data directory (DLedger's `{root}/dledger-{selfId}/data` when unset).
        store_path_dledger_commit_log: Option<String> = None => "storePathDLedgerCommitLog",
        /// Controller-mode epoch file (`{root}/epochFileCheckpoint` when unset).
        store_path_epoch_file: Option<String> = None => "storePathEpochFile",
        /// Controller-mode broker identity file (`{root}/brokerIdentity` when unset).
        store_path_broker_identity: Option<String> = None => "storePathBrokerIdentity",
        /// Extra read-only CommitLog directories, `,`-separated.
        read_only_commit_log_store_paths: Option<String> = None => "readOnlyCommitLogStorePaths",

        // ---- file sizes ----
        /// Size of one CommitLog file (1 GiB).
        mapped_file_size_commit_log: i32 = 1024 * 1024 * 1024 => "mappedFileSizeCommitLog" | "mapedFileSizeCommitLog",
        /// Size of one ConsumeQueue file: 300000 entries of 20 bytes (rounded up to 20).
        mapped_file_size_consume_queue: i32 = 300_000 * 20 => "mappedFileSizeConsumeQueue" | "mapedFileSizeConsumeQueue",
        /// Keep the consume queue extension (tag/filter bit maps).
        enable_consume_queue_ext: bool = false => "enableConsumeQueueExt",
        /// Size of one consume queue extension file (48 MiB).
        mapped_file_size_consume_queue_ext: i32 = 48 * 1024 * 1024 => "mappedFileSizeConsumeQueueExt",
        /// Bits of the filter bit map in the consume queue extension.
        bit_map_length_consume_queue_ext: i32 = 64 => "bitMapLengthConsumeQueueExt",
        /// Size of one TimerLog file (100 MiB).
        mapped_file_size_timer_log: i32 = 100 * 1024 * 1024 => "mappedFileSizeTimerLog",

        // ---- flush and commit ----
        /// ASYNC_FLUSH (ack from page cache) or SYNC_FLUSH (ack after fsync).
        flush_disk_type: FlushDiskType = FlushDiskType::AsyncFlush => "flushDiskType",
        /// Interval of the background CommitLog flush, ms.
        flush_interval_commit_log: i32 = 500 => "flushIntervalCommitLog",
        /// Flush only when at least this many 4 KiB pages are dirty.
        flush_commit_log_least_pages: i32 = 4 => "flushCommitLogLeastPages",
        /// Flush everything at least this often, ms.
        flush_commit_log_thorough_interval: i32 = 10_000 => "flushCommitLogThoroughInterval",
        /// Sleep between flushes (true) or wait for a wake-up (false).
        flush_commit_log_timed: bool = true => "flushCommitLogTimed",
        /// How long a SYNC_FLUSH / sync replication put waits, ms.
        sync_flush_timeout: i32 = 5_000 => "syncFlushTimeout",
        /// How long a put waits for flush and replication in total, ms.
        put_message_timeout: i32 = 8_000 => "putMessageTimeout",
        /// Interval of the ConsumeQueue flush, ms.
        flush_interval_consume_queue: i32 = 1_000 => "flushIntervalConsumeQueue",
        /// Flush a ConsumeQueue only when at least this many pages are dirty.
        flush_consume_queue_least_pages: i32 = 2 => "flushConsumeQueueLeastPages",
        /// Flush every ConsumeQueue at least this often, ms.
        flush_consume_queue_thorough_interval: i32 = 60_000 => "flushConsumeQueueThoroughInterval",
        /// Interval of persisting delayOffset.json, ms.
        flush_delay_offset_interval: i64 = 10_000 => "flushDelayOffsetInterval",
        /// Write through off-heap buffers committed to the file (needs ASYNC_FLUSH, master).
        transient_store_pool_enable: bool = false => "transientStorePoolEnable",
        /// Number of 1 GiB off-heap buffers.
        transient_store_pool_size: i32 = 5 => "transientStorePoolSize",
        /// Fail a put instead of waiting when no buffer is free.
        fast_fail_if_no_buffer_in_store_pool: bool = false => "fastFailIfNoBufferInStorePool",
        /// Interval of committing buffers to the file, ms.
        commit_interval_commit_log: i32 = 200 => "commitIntervalCommitLog",
        /// Commit only when at least this many pages are pending.
        commit_commit_log_least_pages: i32 = 4 => "commitCommitLogLeastPages",
        /// Commit everything at least this often, ms.
        commit_commit_log_thorough_interval: i32 = 200 => "commitCommitLogThoroughInterval",
        /// Write with pwrite instead of mmap (wins over transientStorePoolEnable).
        write_without_mmap: bool = false => "writeWithoutMmap",
        /// Pre-touch new CommitLog files.
        warm_maped_file_enable: bool = false => "warmMapedFileEnable",
        /// Pages flushed at a time while pre-touching.
        flush_least_pages_when_warm_maped_file: i32 = 1024 / 4 * 16 => "flushLeastPagesWhenWarmMapedFile",
        /// Serialize puts with a mutex (else a spin lock).
        use_reentrant_lock_when_put_message: bool = true => "useReentrantLockWhenPutMessage",
        /// Max asynchronous puts in flight.
        max_async_put_message_requests: i32 = 5_000 => "maxAsyncPutMessageRequests",

        // ---- retention and disk ----
        /// Hour(s) of day to delete expired files, `04` or `04;05`.
        delete_when: DeleteWhen = DeleteWhen::default() => "deleteWhen",
        /// Hours a CommitLog file is kept.
        file_reserved_time: i32 = 72 => "fileReservedTime",
        /// Disk usage percent above which files are deleted at once (clamped to 10..=95).
        disk_max_used_space_ratio: i32 = 75 => "diskMaxUsedSpaceRatio",
        /// Disk usage percent above which deletion is forced.
        disk_space_clean_forcibly_ratio: i32 = 85 => "diskSpaceCleanForciblyRatio",
        /// Disk usage percent above which writes are refused.
        disk_space_warning_level_ratio: i32 = 90 => "diskSpaceWarningLevelRatio",
        /// Delete unexpired files when the disk is full.
        clean_file_forcibly_enable: bool = true => "cleanFileForciblyEnable",
        /// Interval of the cleanup task, ms.
        clean_resource_interval: i32 = 10_000 => "cleanResourceInterval",
        /// Pause between deleting two CommitLog files, ms.
        delete_commit_log_files_interval: i32 = 100 => "deleteCommitLogFilesInterval",
        /// Pause between deleting two ConsumeQueue files, ms.
        delete_consume_queue_files_interval: i32 = 100 => "deleteConsumeQueueFilesInterval",
        /// A file still referenced is destroyed anyway after this long, ms.
        destroy_maped_file_interval_forcibly: i32 = 120_000 => "destroyMapedFileIntervalForcibly",
        /// Retry deleting a hung first file after this long, ms.
        redelete_hanged_file_interval: i32 = 120_000 => "redeleteHangedFileInterval",
        /// CommitLog files deleted per run at most.
        delete_file_batch_max: i32 = 10 => "deleteFileBatchMax",
        /// Files deleted per batch at most.
        max_batch_delete_files_num: i32 = 50 => "maxBatchDeleteFilesNum",
        /// Delete consumer offsets of vanished topics.
        enable_clean_expired_offset: bool = false => "enableCleanExpiredOffset",

        // ---- messages ----
        /// Max message body size in bytes (4 MiB).
        max_message_size: i32 = 4 * 1024 * 1024 => "maxMessageSize",
        /// Max bytes of consume queue scanned per filtered pull.
        max_filter_message_size: i32 = 16_000 => "maxFilterMessageSize",
        /// Verify body CRCs of CommitLog records during recovery.
        check_crc_on_recover: bool = true => "checkCRCOnRecover",
        /// CommitLog files checked on abnormal recovery at most.
        max_recovery_commitlog_files: i32 = 30 => "maxRecoveryCommitlogFiles",
        /// Flow control threshold of pending index builds.
        put_msg_index_hight_water: i32 = 600_000 => "putMsgIndexHightWater",
        /// Store topics longer than 127 bytes with message version 2.
        auto_message_version_on_topic_len: bool = true => "autoMessageVersionOnTopicLen",
        /// Let a restarted slave re-dispatch from its own offsets.
        duplication_enable: bool = false => "duplicationEnable",
        /// Max results of a QUERY_MESSAGE by key.
        default_query_max_num: i32 = 32 => "defaultQueryMaxNum",
        /// A put holding the lock longer than this is "page cache busy", ms.
        os_page_cache_busy_time_out_mills: i64 = 1_000 => "osPageCacheBusyTimeOutMills",
        /// Max messages returned per pull.
        pull_batch_max_message_count: i32 = 160 => "pullBatchMaxMessageCount",

        // ---- reads ----
        /// Max bytes per pull when the data is in memory (256 KiB).
        max_transfer_bytes_on_message_in_memory: i32 = 256 * 1024 => "maxTransferBytesOnMessageInMemory",
        /// Max messages per pull when the data is in memory.
        max_transfer_count_on_message_in_memory: i32 = 32 => "maxTransferCountOnMessageInMemory",
        /// Max bytes per pull when the data is on disk (64 KiB).
        max_transfer_bytes_on_message_in_disk: i32 = 64 * 1024 => "maxTransferBytesOnMessageInDisk",
        /// Max messages per pull when the data is on disk.
        max_transfer_count_on_message_in_disk: i32 = 8 => "maxTransferCountOnMessageInDisk",
        /// Percent of memory within which data counts as "in memory".
        access_message_in_memory_max_ratio: i32 = 40 => "accessMessageInMemoryMaxRatio",

        // ---- index ----
        /// Build the key/unique-key IndexFile.
        message_index_enable: bool = true => "messageIndexEnable",
        /// Hash slots per IndexFile.
        max_hash_slot_num: i32 = 5_000_000 => "maxHashSlotNum",
        /// Entries per IndexFile.
        max_index_num: i32 = 5_000_000 * 4 => "maxIndexNum",
        /// Max messages returned per index query batch.
        max_msgs_num_batch: i32 = 64 => "maxMsgsNumBatch",
        /// Recover the index conservatively after a crash.
        message_index_safe: bool = false => "messageIndexSafe",

        // ---- replication ----
        /// ASYNC_MASTER, SYNC_MASTER or SLAVE.
        broker_role: BrokerRole = BrokerRole::AsyncMaster => "brokerRole",
        /// HA listen port; 0 = listenPort + 1 (decided at startup, as Java does).
        ha_listen_port: u16 = 0 => "haListenPort",
        /// Master HA address for a slave (else learned from the name server).
        ha_master_address: Option<String> = None => "haMasterAddress",
        /// Interval of the slave's offset report, ms.
        ha_send_heartbeat_interval: i32 = 5_000 => "haSendHeartbeatInterval",
        /// A silent HA connection is closed after this long, ms.
        ha_housekeeping_interval: i32 = 20_000 => "haHousekeepingInterval",
        /// Max bytes per HA transfer (32 KiB).
        ha_transfer_batch_size: i32 = 32 * 1024 => "haTransferBatchSize",
        /// A slave further behind than this many bytes is not in sync.
        ha_max_gap_not_in_sync: i32 = 256 * 1024 * 1024 => "haMaxGapNotInSync",
        /// How long a SYNC_MASTER put waits for replicas, ms.
        slave_timeout: i32 = 3_000 => "slaveTimeout",
        /// Replicas of a broker group, master included.
        total_replicas: i32 = 1 => "totalReplicas",
        /// Replicas that must have a message before a SYNC_MASTER acks, master included.
        in_sync_replicas: i32 = 1 => "inSyncReplicas",
        /// Lower bound when in-sync replicas are adjusted automatically.
        min_in_sync_replicas: i32 = 1 => "minInSyncReplicas",
        /// Wait for every SyncStateSet member (controller mode).
        all_ack_in_sync_state_set: bool = false => "allAckInSyncStateSet",
        /// Lower inSyncReplicas automatically when replicas fall behind.
        enable_auto_in_sync_replicas: bool = false => "enableAutoInSyncReplicas",
        /// Throttle HA transfer per slave.
        ha_flow_control_enable: bool = false => "haFlowControlEnable",
        /// HA bytes per second per slave when throttled.
        max_ha_transfer_byte_in_second: i64 = 100 * 1024 * 1024 => "maxHaTransferByteInSecond",
        /// A slave not caught up for this long leaves the SyncStateSet, ms.
        ha_max_time_slave_not_catchup: i64 = 15_000 => "haMaxTimeSlaveNotCatchup",
        /// A new empty slave starts from the master's last file.
        sync_from_last_file: bool = false => "syncFromLastFile",
        /// Replicate without counting towards acks (controller mode).
        async_learner: bool = false => "asyncLearner",
        /// Check consumer offsets against the slave's own range.
        offset_check_in_slave: bool = false => "offsetCheckInSlave",

        // ---- DLedger (4.5+) ----
        /// Keep the CommitLog in a DLedger Raft group.
        enable_dledger_commit_log: bool = false => "enableDLegerCommitLog",
        /// DLedger group name (usually the brokerName).
        dledger_group: Option<String> = None => "dLegerGroup",
        /// DLedger peers, `n0-host:port;n1-host:port;…`.
        dledger_peers: Option<String> = None => "dLegerPeers",
        /// This node's id among dLegerPeers.
        dledger_self_id: Option<String> = None => "dLegerSelfId",
        /// Peer id to prefer as leader.
        preferred_leader_id: Option<String> = None => "preferredLeaderId",
        /// Push DLedger entries in batches.
        enable_batch_push: bool = false => "enableBatchPush",

        // ---- delay levels and timer ----
        /// Delay of each level, units s/m/h/d.
        message_delay_level: DelayLevels = DelayLevels::default() => "messageDelayLevel",
        /// Keep per-level delay statistics.
        enable_schedule_message_stats: bool = true => "enableScheduleMessageStats",
        /// Deliver due delayed messages asynchronously.
        enable_schedule_async_deliver: bool = false => "enableScheduleAsyncDeliver",
        /// Max pending asynchronous deliveries per level.
        schedule_async_deliver_max_pending_limit: i32 = 2_000 => "scheduleAsyncDeliverMaxPendingLimit",
        /// Resends before a level blocks.
        schedule_async_deliver_max_resend_num2_blocked: i32 = 3 => "scheduleAsyncDeliverMaxResendNum2Blocked",
        /// Accept arbitrary-delay (timer) messages.
        timer_wheel_enable: bool = true => "timerWheelEnable",
        /// Longest accepted timer delay, s (3 days).
        timer_max_delay_sec: i32 = 3600 * 24 * 3 => "timerMaxDelaySec",
        /// Timer precision, ms; deliver times are rounded down to it.
        timer_precision_ms: i32 = 1_000 => "timerPrecisionMs",
        /// Slots of the roll window; longer delays are re-rolled (2 days).
        timer_roll_window_slot: i32 = 3600 * 24 * 2 => "timerRollWindowSlot",
        /// Interval of flushing timer files, ms.
        timer_flush_interval_ms: i32 = 1_000 => "timerFlushIntervalMs",
        /// Threads reading due timer messages.
        timer_get_message_thread_num: i32 = 3 => "timerGetMessageThreadNum",
        /// Threads re-putting due timer messages.
        timer_put_message_thread_num: i32 = 3 => "timerPutMessageThreadNum",
        /// Route delay-level messages through the timer.
        timer_intercept_delay_level: bool = false => "timerInterceptDelayLevel",
        /// Stop accepting timer messages.
        timer_stop_enqueue: bool = false => "timerStopEnqueue",
        /// Skip timer messages whose CommitLog record cannot be read.
        timer_skip_unknown_error: bool = false => "timerSkipUnknownError",
        /// Max timer messages per slot before puts are refused.
        timer_congest_num_each_slot: i32 = i32::MAX => "timerCongestNumEachSlot",
        /// Delay internal services (revive, timer dequeue) after start, ms (-1 = off).
        disappear_time_after_start: i32 = -1 => "disappearTimeAfterStart",

        // ---- dispatch and light message queues ----
        /// Dispatch to ConsumeQueue/index asynchronously.
        enable_async_reput: bool = true => "enableAsyncReput",
        /// Re-check the reput offset against the ConsumeQueue on start.
        recheck_reput_offset_from_cq: bool = false => "recheckReputOffsetFromCq",
        /// Wake the commit thread on every put.
        wake_commit_when_put_message: bool = true => "wakeCommitWhenPutMessage",
        /// Wake the flush thread on every put.
        wake_flush_when_put_message: bool = false => "wakeFlushWhenPutMessage",
        /// Build consume queues with several threads.
        enable_build_consume_queue_concurrently: bool = false => "enableBuildConsumeQueueConcurrently",
        /// Threads building consume queues concurrently.
        batch_dispatch_request_thread_pool_nums: i32 = 16 => "batchDispatchRequestThreadPoolNums",
        /// Dispatch beyond the confirmed offset (may expose unreplicated messages).
        read_uncommitted: bool = false => "readUnCommitted",
        /// Light message queues (`%LMQ%`).
        enable_lmq: bool = false => "enableLmq",
        /// Dispatch one message to several queues (INNER_MULTI_DISPATCH).
        enable_multi_dispatch: bool = false => "enableMultiDispatch",
        /// Max light message queues.
        max_lmq_consume_queue_num: i32 = 20_000 => "maxLmqConsumeQueueNum",
    }
}
