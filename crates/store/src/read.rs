//! Reads and lookups on [`MessageStore`]: pulls by queue offset (records as zero-copy
//! [`Bytes`] over the mapped files), lookups by key and time, and queue metadata. Lookups by
//! physical offset are in [`crate::lookup`].

use std::sync::atomic::Ordering;

use bytes::Bytes;
use ferromq_protocol::message::record::{MessageExt, RecordView};

use crate::consume_queue::{BoundaryType, CQ_STORE_UNIT_SIZE};
use crate::dispatch::DispatchProps;
use crate::error::GetMessageStatus;
use crate::filter::MessageFilter;
use crate::stats::StatsSnapshot;
use crate::store::MessageStore;

/// Largest pull the store serves in one call (Java `MAX_PULL_MSG_SIZE`).
pub const MAX_PULL_MSG_SIZE: usize = 128 * 1024 * 1024;

/// Most messages one pull asks for that the store honours: the Java clients' largest
/// `pullBatchSize` (a configured transfer count above it wins).
pub const MAX_PULL_MSG_COUNT: usize = 1024;

fn max_pull_count(cfg: &crate::StoreConfig) -> usize {
    MAX_PULL_MSG_COUNT
        .max(cfg.max_transfer_count_on_message_in_memory)
        .max(cfg.max_transfer_count_on_message_in_disk)
}

/// The result of [`MessageStore::get_messages`].
#[derive(Debug, Clone)]
pub struct GetResult {
    pub status: GetMessageStatus,
    /// Queue offset the consumer should pull from next.
    pub next_begin_offset: i64,
    pub min_offset: i64,
    pub max_offset: i64,
    /// Whole records, each a zero-copy slice of a mapped file.
    pub messages: Vec<Bytes>,
    /// Queue offset of each record.
    pub queue_offsets: Vec<i64>,
    /// Sum of record sizes.
    pub buffer_total_size: usize,
    /// Messages skipped by the properties stage of the filter.
    pub filtered_by_properties: u32,
    /// The reader is far behind (data likely not in memory): Java's hint to pull from a slave.
    pub suggest_pulling_from_slave: bool,
}

impl GetResult {
    fn empty(status: GetMessageStatus, next: i64, min: i64, max: i64) -> Self {
        GetResult {
            status,
            next_begin_offset: next,
            min_offset: min,
            max_offset: max,
            messages: Vec::new(),
            queue_offsets: Vec::new(),
            buffer_total_size: 0,
            filtered_by_properties: 0,
            suggest_pulling_from_slave: false,
        }
    }
}

/// Result of a key lookup.
#[derive(Debug, Clone, Default)]
pub struct QueryResult {
    /// Matching records, newest first.
    pub messages: Vec<Bytes>,
    /// Store time of the newest index entry.
    pub index_last_update_timestamp: i64,
    /// CommitLog offset the index has reached.
    pub index_last_update_phy_offset: i64,
}

impl MessageStore {
    /// Reads up to `max_count` messages / `max_bytes` bytes of a queue from `offset`,
    /// applying `filter` (tag code first, properties second). Transfer limits follow Java:
    /// 256 KiB / 32 messages when the data is hot, 64 KiB / 8 when cold. Any `max_count` and
    /// `max_bytes` are accepted: they are clamped to [`MAX_PULL_MSG_COUNT`] and
    /// [`MAX_PULL_MSG_SIZE`], and at most `max(max_filter_message_size / 20, max_count)`
    /// queue entries are scanned per call.
    pub fn get_messages(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_count: usize,
        max_bytes: usize,
        filter: Option<&dyn MessageFilter>,
    ) -> GetResult {
        let s = &self.shared;
        let stats = &s.stats;
        let Some(cq) = s.cqs.find(topic, queue_id) else {
            stats.get_missed.fetch_add(1, Ordering::Relaxed);
            return GetResult::empty(GetMessageStatus::NoMatchedLogicQueue, 0, 0, 0);
        };
        let min = cq.min_offset_in_queue();
        let max = cq.max_offset_in_queue();
        let early = if max == 0 {
            Some((GetMessageStatus::NoMessageInQueue, 0))
        } else if offset < min {
            Some((GetMessageStatus::OffsetTooSmall, min))
        } else if offset == max {
            Some((GetMessageStatus::OffsetOverflowOne, offset))
        } else if offset > max {
            Some((GetMessageStatus::OffsetOverflowBadly, max))
        } else {
            None
        };
        if let Some((status, next)) = early {
            stats.get_missed.fetch_add(1, Ordering::Relaxed);
            return GetResult::empty(status, next, min, max);
        }
        let cfg = &s.config;
        let max_pull = max_bytes.clamp(100, MAX_PULL_MSG_SIZE);
        let max_count = max_count.clamp(1, max_pull_count(cfg));
        // As Java: at most max(maxFilterMessageSize, maxMsgNums × 20) bytes of queue are
        // looked at per pull, so a filter that matches nothing costs a bounded scan and the
        // consumer moves on from `next_begin_offset`.
        let max_filter_entries = (cfg.max_filter_message_size / CQ_STORE_UNIT_SIZE as usize)
            .max(max_count)
            .max(1) as i64;
        let max_phys = s.log.max_offset() as i64;
        let memory =
            (s.total_memory as f64 * cfg.access_message_in_memory_max_ratio as f64 / 100.0) as i64;
        let mut r = GetResult::empty(GetMessageStatus::NoMatchedMessage, offset, min, max);
        let mut next = offset;
        let mut max_phys_pulled = 0i64;
        let mut skip_below_phys = i64::MIN;
        while next < max {
            let Some(e) = cq.entry(next) else {
                if r.messages.is_empty() {
                    r.status = GetMessageStatus::OffsetFoundNull;
                    let per_file = (cq.files().file_size() / CQ_STORE_UNIT_SIZE) as i64;
                    next = (next / per_file + 1) * per_file;
                }
                break;
            };
            if next - offset >= max_filter_entries {
                break;
            }
            let in_mem = max_phys.saturating_sub(e.phys_offset) <= memory;
            let size = usize::try_from(e.size).unwrap_or(usize::MAX);
            if self.batch_full(size, max_count, max_pull, &r, in_mem) {
                break;
            }
            max_phys_pulled = e.phys_offset;
            let this = next;
            next += 1;
            if e.is_blank() || e.phys_offset < skip_below_phys {
                continue;
            }
            if let Some(f) = filter {
                if !f.matches_tag_code(e.tag_code) {
                    continue;
                }
            }
            let Some(rec) = s.log.read(e.phys_offset as u64, e.size as usize) else {
                if r.messages.is_empty() {
                    r.status = GetMessageStatus::MessageWasRemoving;
                }
                skip_below_phys = u64::try_from(e.phys_offset)
                    .map(|p| s.log.roll_next_file(p).min(i64::MAX as u64) as i64)
                    .unwrap_or(i64::MIN);
                continue;
            };
            if let Some(f) = filter.filter(|f| f.needs_properties()) {
                let ok = RecordView::parse(&rec)
                    .map(|v| f.matches_properties(v.properties))
                    .unwrap_or(false);
                if !ok {
                    r.filtered_by_properties += 1;
                    continue;
                }
            }
            r.buffer_total_size += rec.len();
            r.messages.push(rec);
            r.queue_offsets.push(this);
            r.status = GetMessageStatus::Found;
        }
        r.next_begin_offset = next;
        r.suggest_pulling_from_slave = max_phys.saturating_sub(max_phys_pulled) > memory;
        if r.status == GetMessageStatus::Found {
            stats.get_found.fetch_add(1, Ordering::Relaxed);
            stats
                .get_transferred_messages
                .fetch_add(r.messages.len() as u64, Ordering::Relaxed);
        } else {
            stats.get_missed.fetch_add(1, Ordering::Relaxed);
        }
        r
    }

    fn batch_full(
        &self,
        size: usize,
        max_count: usize,
        max_pull: usize,
        r: &GetResult,
        in_mem: bool,
    ) -> bool {
        let total = r.buffer_total_size;
        let count = r.messages.len();
        if total == 0 || count == 0 {
            return false;
        }
        if count + 1 > max_count || total.saturating_add(size) > max_pull {
            return true;
        }
        let cfg = &self.shared.config;
        let (bytes, msgs) = if in_mem {
            (
                cfg.max_transfer_bytes_on_message_in_memory,
                cfg.max_transfer_count_on_message_in_memory,
            )
        } else {
            (
                cfg.max_transfer_bytes_on_message_in_disk,
                cfg.max_transfer_count_on_message_in_disk,
            )
        };
        total.saturating_add(size) > bytes || count > msgs.saturating_sub(1)
    }

    /// Messages of `topic` whose `KEYS` contain `key` or whose `UNIQ_KEY` is `key`, stored in
    /// `[begin, end]` (ms), newest first, at most `max` (capped by `max_msgs_num_batch`).
    pub fn query_by_key(
        &self,
        topic: &str,
        key: &str,
        max: usize,
        begin: i64,
        end: i64,
    ) -> QueryResult {
        let s = &self.shared;
        let Some(index) = &s.index else {
            return QueryResult::default();
        };
        let max = max.min(s.config.max_msgs_num_batch).max(1);
        let mut out = QueryResult {
            index_last_update_timestamp: index.last_timestamp(),
            index_last_update_phy_offset: s.dispatcher.reput_offset() as i64,
            ..Default::default()
        };
        // Ask for more than needed: stale entries (a cut tail) and hash collisions are
        // filtered by checking the record itself.
        for phys in index.query(topic, key, max * 2 + 8, begin, end) {
            if out.messages.len() >= max {
                break;
            }
            let Some(rec) = s.log.read_record(phys as u64) else {
                continue;
            };
            let Ok(v) = RecordView::parse(&rec) else {
                continue;
            };
            if v.physical_offset != phys || v.topic != topic.as_bytes() {
                continue;
            }
            let props = v.properties_str();
            // As the Java client filters query results: the last occurrence of each key.
            let p = DispatchProps::scan(&props);
            let hit =
                p.uniq == Some(key) || p.keys.is_some_and(|ks| ks.split(' ').any(|k| k == key));
            if hit {
                out.messages.push(rec);
            }
        }
        out
    }

    /// The message with this `UNIQ_KEY` (client message id), newest if several.
    pub fn message_by_uniq_key(&self, topic: &str, uniq_key: &str) -> Option<(Bytes, MessageExt)> {
        let r = self.query_by_key(topic, uniq_key, 1, 0, i64::MAX);
        let b = r.messages.into_iter().next()?;
        let m = MessageExt::decode(&b).ok()?;
        Some((b, m))
    }

    /// First valid queue offset (0 if the queue is unknown).
    pub fn min_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        self.shared
            .cqs
            .find(topic, queue_id)
            .map(|q| q.min_offset_in_queue())
            .unwrap_or(0)
    }

    /// Next queue offset to be written (0 if unknown).
    pub fn max_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        self.shared
            .cqs
            .find(topic, queue_id)
            .map(|q| q.max_offset_in_queue())
            .unwrap_or(0)
    }

    /// CommitLog offset of the message at a queue offset.
    pub fn commit_log_offset_in_queue(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
    ) -> Option<i64> {
        let e = self.shared.cqs.find(topic, queue_id)?.entry(offset)?;
        (!e.is_blank()).then_some(e.phys_offset)
    }

    /// Store time of the message at a queue offset.
    pub fn message_store_timestamp(&self, topic: &str, queue_id: i32, offset: i64) -> Option<i64> {
        let e = self.shared.cqs.find(topic, queue_id)?.entry(offset)?;
        if e.is_blank() {
            return None;
        }
        let ts = self
            .shared
            .log
            .store_timestamp_at(e.phys_offset as u64, e.size as usize);
        (ts >= 0).then_some(ts)
    }

    /// Queue offset by store time (binary search over the queue): `Lower` = first message at
    /// or after `timestamp`, `Upper` = last at or before.
    pub fn offset_by_time(
        &self,
        topic: &str,
        queue_id: i32,
        timestamp: i64,
        boundary: BoundaryType,
    ) -> i64 {
        let Some(cq) = self.shared.cqs.find(topic, queue_id) else {
            return 0;
        };
        let log = &self.shared.log;
        cq.offset_by_time(timestamp, boundary, |phys, size| {
            log.store_timestamp_at(phys as u64, size as usize)
        })
    }

    /// Store time of the earliest message of a queue.
    pub fn earliest_message_time_in_queue(&self, topic: &str, queue_id: i32) -> Option<i64> {
        let min = self.min_offset_in_queue(topic, queue_id);
        self.message_store_timestamp(topic, queue_id, min)
    }

    /// Oldest CommitLog offset still stored.
    pub fn min_phys_offset(&self) -> i64 {
        self.shared.log.min_offset() as i64
    }

    /// End of the CommitLog.
    pub fn max_phys_offset(&self) -> i64 {
        self.shared.log.max_offset() as i64
    }

    /// CommitLog offset up to which everything is durable.
    pub fn flushed_phys_offset(&self) -> i64 {
        self.shared.log.flushed_offset() as i64
    }

    /// CommitLog offset up to which ConsumeQueues and index are built.
    pub fn dispatched_phys_offset(&self) -> i64 {
        self.shared.dispatcher.reput_offset() as i64
    }

    /// Queue ids of a topic.
    pub fn queue_ids(&self, topic: &str) -> Vec<i32> {
        self.shared.cqs.queue_ids(topic)
    }

    /// Topics that have ConsumeQueues.
    pub fn topics(&self) -> Vec<String> {
        self.shared.cqs.topics()
    }

    /// Deletes a topic's ConsumeQueues (`consumequeue/{topic}`, nothing else) and forgets its
    /// queue offsets (the CommitLog keeps the records until retention). A name that is not a
    /// valid topic fails with [`crate::StoreError::InvalidTopic`] and deletes nothing.
    pub fn delete_topic(&self, topic: &str) -> Result<bool, crate::error::StoreError> {
        let removed = self.shared.cqs.remove_topic(topic)?;
        self.shared
            .log
            .lock_writer()
            .queue_offsets
            .remove_topic(topic);
        Ok(removed)
    }

    /// Counters and put TPS.
    pub fn stats(&self) -> StatsSnapshot {
        let d = &self.shared.dispatcher;
        StatsSnapshot {
            dispatch_skipped: d.skipped_count(),
            index_skipped: d.index_skipped_count(),
            dispatch_retries: d.retry_count(),
            ..self.shared.stats.snapshot()
        }
    }

    /// Dispatcher lag in bytes (CommitLog end − dispatched offset).
    pub fn dispatch_behind_bytes(&self) -> i64 {
        self.max_phys_offset() - self.dispatched_phys_offset()
    }
}
