//! Lookups of the CommitLog by physical offset on [`MessageStore`].
//!
//! These offsets often come straight from clients (CONSUMER_SEND_MSG_BACK's `offset`,
//! END_TRANSACTION's `commitLogOffset`, an offset message id), and a client knows where its
//! own message lands: it could put a complete record inside a message body and name the
//! offset of that copy. So [`MessageStore::message_by_phys_offset`] only returns a record
//! that the log itself says starts there.

use bytes::Bytes;
use ferromq_protocol::message::record::{MessageExt, RecordView};

use crate::dispatch::is_dispatched_to_queue;
use crate::store::MessageStore;

/// Longest stretch of not yet dispatched CommitLog a lookup walks record by record to find
/// out whether an offset starts a record (normally the dispatcher trails by microseconds).
pub(crate) const LOOKUP_WALK_MAX: u64 = 8 << 20;

impl MessageStore {
    /// The record starting at CommitLog offset `phys` (zero copy) and its decoding, or `None`
    /// if no real record starts there.
    ///
    /// "Real" means: the record at `phys` records `phys` as its own offset, and its
    /// ConsumeQueue entry `(topic, queueId, queueOffset)` points at exactly `phys` with the
    /// same size (one entry read); for a record the dispatcher has not reached yet, walking
    /// the log from the dispatched offset lands on `phys`. Bytes inside another record (a
    /// record forged in a message body), negative or out-of-range offsets give `None`, as do
    /// records without a queue entry: transaction PREPARED/ROLLBACK halves, records of
    /// deleted topics, records the dispatcher skipped.
    pub fn message_by_phys_offset(&self, phys: i64) -> Option<(Bytes, MessageExt)> {
        let b = self.record_at(phys)?;
        let v = RecordView::parse(&b).ok()?;
        if !self.starts_a_record(phys, &v) {
            return None;
        }
        let m = MessageExt::decode(&b).ok()?;
        Some((b, m))
    }

    /// The bytes at `phys` that look like a record (size from their header), unverified.
    fn record_at(&self, phys: i64) -> Option<Bytes> {
        self.shared.log.read_record(u64::try_from(phys).ok()?)
    }

    fn starts_a_record(&self, phys: i64, v: &RecordView<'_>) -> bool {
        if v.physical_offset != phys {
            return false;
        }
        let at = phys as u64;
        let reput = self.shared.dispatcher.reput_offset();
        if at >= reput {
            return self
                .shared
                .log
                .is_record_boundary(reput, at, LOOKUP_WALK_MAX);
        }
        if !is_dispatched_to_queue(v.sys_flag) {
            return false;
        }
        let topic = String::from_utf8_lossy(v.topic);
        let Some(cq) = self.shared.cqs.find(&topic, v.queue_id) else {
            return false;
        };
        matches!(cq.entry(v.queue_offset),
            Some(e) if e.phys_offset == phys && e.size as usize == v.total_size())
    }

    /// Record bytes at `phys` of a known size (from a ConsumeQueue entry); `None` for a
    /// negative offset or a range that is not written.
    pub fn record_bytes(&self, phys: i64, size: usize) -> Option<Bytes> {
        self.shared.log.read(u64::try_from(phys).ok()?, size)
    }

    /// Raw CommitLog bytes from `phys`, at most `max` and within one file (replication);
    /// `None` for a negative or unwritten offset.
    pub fn read_raw(&self, phys: i64, max: usize) -> Option<Bytes> {
        self.shared.log.read_raw(u64::try_from(phys).ok()?, max)
    }

    /// Store time of the oldest record in the CommitLog.
    pub fn earliest_message_time(&self) -> Option<i64> {
        let b = self.record_at(self.min_phys_offset())?;
        let v = RecordView::parse(&b).ok()?;
        Some(v.store_timestamp)
    }

    /// Whether the record at `phys` is (likely) in memory: by `mincore` when available, else
    /// by distance from the end (Java `accessMessageInMemoryMaxRatio`).
    pub fn is_in_memory(&self, phys: i64, size: usize) -> bool {
        let Ok(at) = u64::try_from(phys) else {
            return false;
        };
        let log = &self.shared.log;
        if let Some(f) = log.files().find(at) {
            if let Some(r) = f.is_resident(at - f.start_offset(), size.max(1) as u64) {
                return r;
            }
        }
        let memory = (self.shared.total_memory as f64
            * self.shared.config.access_message_in_memory_max_ratio as f64
            / 100.0) as i64;
        self.max_phys_offset().saturating_sub(phys) <= memory
    }
}
