//! A consumer's cache of pulled-but-unfinished messages of one queue (Java's `ProcessQueue`),
//! which decides flow control and which offset may be committed.
//!
//! Messages are kept by queue offset. The committable offset is the smallest offset still
//! cached (or one past the largest pulled when the cache is empty), so a slow message holds the
//! offset back and nothing is skipped on restart. Orderly consumption takes messages out in
//! order into a "consuming" set that is committed or rolled back as a unit, so it caches the
//! messages themselves ([`ProcessQueue::put`]); concurrent and lite-pull consumption hand the
//! messages on and only need offsets and sizes ([`ProcessQueue::track`]), which spares a copy
//! of every message.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::message::ReceivedMessage;

/// Client lock lease: a lock older than this is treated as lost (`lockMaxLiveTime`, 30 s).
pub(super) const LOCK_MAX_LIVE: Duration = Duration::from_secs(30);
/// A queue not pulled for this long is considered stuck and re-created (`pullMaxIdleTime`).
pub(super) const PULL_MAX_IDLE: Duration = Duration::from_secs(120);

/// Flow-control limits of a push consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowLimits {
    /// Cached messages per queue (`pullThresholdForQueue`, 1000).
    pub max_count: u64,
    /// Cached MiB per queue (`pullThresholdSizeForQueue`, 100).
    pub max_size_mib: u64,
    /// Largest offset span in the cache for concurrent consumption
    /// (`consumeConcurrentlyMaxSpan`, 2000).
    pub max_span: i64,
}

impl Default for FlowLimits {
    fn default() -> Self {
        FlowLimits {
            max_count: 1000,
            max_size_mib: 100,
            max_span: 2000,
        }
    }
}

/// Why a pull is postponed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FlowControl {
    /// Too many cached messages.
    Count,
    /// Too many cached bytes.
    Size,
    /// Offsets in the cache too far apart (a stuck message).
    Span,
}

/// One cached message: its body size, and the message itself when it was
/// [put](ProcessQueue::put) rather than [tracked](ProcessQueue::track).
#[derive(Debug)]
struct Cached {
    size: u64,
    msg: Option<ReceivedMessage>,
}

impl Cached {
    fn of(m: &ReceivedMessage, keep: bool) -> Self {
        Cached {
            size: m.body.len() as u64,
            msg: keep.then(|| m.clone()),
        }
    }

    fn kept(m: ReceivedMessage) -> Self {
        Cached {
            size: m.body.len() as u64,
            msg: Some(m),
        }
    }
}

#[derive(Debug, Default)]
struct Cache {
    msgs: BTreeMap<i64, Cached>,
    consuming: BTreeMap<i64, ReceivedMessage>,
    count: u64,
    size: u64,
    queue_offset_max: i64,
    dispatched: bool,
}

#[derive(Debug)]
struct Times {
    last_pull: Instant,
    last_consume: Instant,
    last_lock: Instant,
}

/// The cache of one queue.
#[derive(Debug)]
pub(super) struct ProcessQueue {
    cache: Mutex<Cache>,
    times: Mutex<Times>,
    dropped: AtomicBool,
    locked: AtomicBool,
    /// Held while an orderly listener runs, so a rebalance does not drop the queue mid-way.
    pub(crate) consume_lock: tokio::sync::Mutex<()>,
}

impl Default for ProcessQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl ProcessQueue {
    /// An empty queue cache.
    pub(super) fn new() -> Self {
        let now = Instant::now();
        ProcessQueue {
            cache: Mutex::new(Cache::default()),
            times: Mutex::new(Times {
                last_pull: now,
                last_consume: now,
                last_lock: now,
            }),
            dropped: AtomicBool::new(false),
            locked: AtomicBool::new(false),
            consume_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// Adds pulled messages, keeping copies for [`ProcessQueue::take`] (orderly consumption).
    /// Returns true when an orderly consumer should start a consume task (messages are waiting
    /// and none is running).
    pub(super) fn put(&self, msgs: &[ReceivedMessage]) -> bool {
        self.insert(msgs, true)
    }

    /// Adds pulled messages that are consumed from elsewhere (concurrent push, lite pull): only
    /// their offsets and sizes are cached, for flow control and the committable offset.
    pub(super) fn track(&self, msgs: &[ReceivedMessage]) {
        self.insert(msgs, false);
    }

    fn insert(&self, msgs: &[ReceivedMessage], keep: bool) -> bool {
        let mut c = self.cache.lock();
        for m in msgs {
            if let Entry::Vacant(slot) = c.msgs.entry(m.queue_offset) {
                slot.insert(Cached::of(m, keep));
                c.count += 1;
                c.size += m.body.len() as u64;
                c.queue_offset_max = m.queue_offset;
            }
        }
        if !c.msgs.is_empty() && !c.dispatched {
            c.dispatched = true;
            true
        } else {
            false
        }
    }

    /// Offset distance between the oldest and newest cached message.
    pub(super) fn max_span(&self) -> i64 {
        let c = self.cache.lock();
        match (c.msgs.first_key_value(), c.msgs.last_key_value()) {
            (Some((a, _)), Some((b, _))) => b - a,
            _ => 0,
        }
    }

    /// Removes finished messages; returns the offset that may now be committed, or −1 if the
    /// cache was already empty.
    pub(super) fn remove(&self, msgs: &[ReceivedMessage]) -> i64 {
        let mut c = self.cache.lock();
        self.times.lock().last_consume = Instant::now();
        if c.msgs.is_empty() {
            return -1;
        }
        let mut result = c.queue_offset_max + 1;
        for m in msgs {
            if c.msgs.remove(&m.queue_offset).is_some() {
                c.count = c.count.saturating_sub(1);
                c.size = c.size.saturating_sub(m.body.len() as u64);
            }
        }
        if c.count == 0 {
            c.size = 0;
        }
        if let Some((first, _)) = c.msgs.first_key_value() {
            result = *first;
        }
        result
    }

    /// Whether a message with this offset is still cached.
    pub(super) fn contains(&self, queue_offset: i64) -> bool {
        self.cache.lock().msgs.contains_key(&queue_offset)
    }

    /// Orderly: takes up to `n` messages in offset order into the consuming set. When none is
    /// left the "dispatched" mark is cleared, so the next pull starts a new consume task.
    pub(super) fn take(&self, n: usize) -> Vec<ReceivedMessage> {
        let mut c = self.cache.lock();
        self.times.lock().last_consume = Instant::now();
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let Some((off, cached)) = c.msgs.pop_first() else {
                break;
            };
            match cached.msg {
                Some(m) => {
                    c.consuming.insert(off, m.clone());
                    out.push(m);
                }
                // Only tracked, never put: nothing to consume here, so it is done.
                None => {
                    c.count = c.count.saturating_sub(1);
                    c.size = c.size.saturating_sub(cached.size);
                }
            }
        }
        if out.is_empty() {
            c.dispatched = false;
        }
        out
    }

    /// Orderly: the consuming set succeeded; returns the offset to commit (−1 if none).
    pub(super) fn commit(&self) -> i64 {
        let mut c = self.cache.lock();
        let Some((last, _)) = c.consuming.last_key_value() else {
            return -1;
        };
        let next = last + 1;
        let n = c.consuming.len() as u64;
        let bytes: u64 = c.consuming.values().map(|m| m.body.len() as u64).sum();
        c.count = c.count.saturating_sub(n);
        c.size = if c.count == 0 {
            0
        } else {
            c.size.saturating_sub(bytes)
        };
        c.consuming.clear();
        next
    }

    /// Orderly: puts the whole consuming set back to be consumed again.
    pub(super) fn rollback(&self) {
        let mut c = self.cache.lock();
        let consuming = std::mem::take(&mut c.consuming);
        c.msgs
            .extend(consuming.into_iter().map(|(off, m)| (off, Cached::kept(m))));
    }

    /// Orderly: puts these messages (with updated retry counts) back to be consumed again.
    pub(super) fn consume_again(&self, msgs: &[ReceivedMessage]) {
        let mut c = self.cache.lock();
        for m in msgs {
            c.consuming.remove(&m.queue_offset);
            c.msgs.insert(m.queue_offset, Cached::kept(m.clone()));
        }
    }

    /// Empties the cache (offset reset, seek).
    pub(super) fn clear(&self) {
        let mut c = self.cache.lock();
        c.msgs.clear();
        c.consuming.clear();
        c.count = 0;
        c.size = 0;
        c.queue_offset_max = 0;
    }

    /// Cached message count.
    pub(super) fn count(&self) -> u64 {
        self.cache.lock().count
    }

    /// Cached body bytes.
    pub(super) fn size_bytes(&self) -> u64 {
        self.cache.lock().size
    }

    /// `(min, max)` cached offsets.
    pub(super) fn cached_range(&self) -> Option<(i64, i64)> {
        let c = self.cache.lock();
        Some((*c.msgs.first_key_value()?.0, *c.msgs.last_key_value()?.0))
    }

    /// Whether a pull must wait, and why (Java's checks in `pullMessage`, in order).
    pub(super) fn flow_control(&self, limits: &FlowLimits, orderly: bool) -> Option<FlowControl> {
        if self.count() > limits.max_count {
            return Some(FlowControl::Count);
        }
        if self.size_bytes() / (1024 * 1024) > limits.max_size_mib {
            return Some(FlowControl::Size);
        }
        if !orderly && self.max_span() > limits.max_span {
            return Some(FlowControl::Span);
        }
        None
    }

    /// Marks the queue dropped (rebalanced away, offset reset, shutdown).
    pub(super) fn set_dropped(&self) {
        self.dropped.store(true, Ordering::SeqCst);
    }

    /// Whether the queue was dropped.
    pub(super) fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::SeqCst)
    }

    /// Records the broker lock state.
    pub(super) fn set_locked(&self, locked: bool, now: Instant) {
        self.locked.store(locked, Ordering::SeqCst);
        if locked {
            self.times.lock().last_lock = now;
        }
    }

    /// Whether the broker lock is held.
    pub(super) fn is_locked(&self) -> bool {
        self.locked.load(Ordering::SeqCst)
    }

    /// Whether the lock was last renewed more than [`LOCK_MAX_LIVE`] before `now`.
    pub(super) fn is_lock_expired(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.times.lock().last_lock) > LOCK_MAX_LIVE
    }

    /// Records a pull.
    pub(super) fn touch_pull(&self, now: Instant) {
        self.times.lock().last_pull = now;
    }

    /// Whether no pull happened for [`PULL_MAX_IDLE`] before `now`.
    pub(super) fn is_pull_expired(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.times.lock().last_pull) > PULL_MAX_IDLE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::received::tests::record_bytes;
    use ferromq_protocol::message::record::MessageExt;

    fn msg(offset: i64, body_len: usize) -> ReceivedMessage {
        let raw = record_bytes(
            "T",
            offset,
            &vec![b'x'; body_len],
            "MAX_OFFSET\u{1}100\u{2}",
            0,
        );
        ReceivedMessage::from_record(MessageExt::decode(&raw).unwrap(), "b", false)
    }

    #[test]
    fn commit_offset_is_the_oldest_unfinished() {
        let pq = ProcessQueue::new();
        let msgs: Vec<_> = (10..15).map(|o| msg(o, 10)).collect();
        assert!(pq.put(&msgs));
        assert!(!pq.put(&msgs[..1]), "already dispatched, duplicate ignored");
        assert_eq!(pq.count(), 5);
        assert_eq!(pq.size_bytes(), 50);
        assert_eq!(pq.max_span(), 4);
        // Offsets 11 and 13 finish first: 10 still pending.
        assert_eq!(pq.remove(&[msgs[1].clone(), msgs[3].clone()]), 10);
        assert_eq!(pq.remove(&[msgs[0].clone()]), 12);
        assert!(pq.contains(12) && !pq.contains(10));
        assert_eq!(
            pq.remove(&[msgs[2].clone(), msgs[4].clone()]),
            15,
            "empty: one past the max"
        );
        assert_eq!((pq.count(), pq.size_bytes()), (0, 0));
        assert_eq!(pq.remove(&[msgs[2].clone()]), -1);
    }

    #[test]
    fn tracked_messages_count_like_put_ones_without_being_kept() {
        let put = ProcessQueue::new();
        let tracked = ProcessQueue::new();
        let msgs: Vec<_> = (20..24).map(|o| msg(o, 7)).collect();
        put.put(&msgs);
        tracked.track(&msgs);
        tracked.track(&msgs[2..]);
        for pq in [&put, &tracked] {
            assert_eq!((pq.count(), pq.size_bytes()), (4, 28));
            assert_eq!(pq.max_span(), 3);
            assert_eq!(pq.cached_range(), Some((20, 23)));
            assert_eq!(pq.remove(&msgs[1..3]), 20);
            assert!(pq.contains(23) && !pq.contains(21));
            assert_eq!(pq.remove(&[msgs[0].clone(), msgs[3].clone()]), 24);
            assert_eq!((pq.count(), pq.size_bytes()), (0, 0));
        }
        // Nothing to take from a tracked-only cache; what was there counts as done.
        tracked.track(&msgs);
        assert!(tracked.take(2).is_empty());
        assert_eq!((tracked.count(), tracked.size_bytes()), (0, 0));
        assert!(
            tracked.put(&[msg(30, 1)]),
            "the next put starts a consume task"
        );
        assert_eq!(tracked.take(2).len(), 1);
    }

    #[test]
    fn orderly_take_commit_rollback() {
        let pq = ProcessQueue::new();
        let msgs: Vec<_> = (0..5).map(|o| msg(o, 1)).collect();
        pq.put(&msgs);
        let first = pq.take(2);
        assert_eq!(
            first.iter().map(|m| m.queue_offset).collect::<Vec<_>>(),
            vec![0, 1]
        );
        pq.rollback();
        let again = pq.take(2);
        assert_eq!(
            again.iter().map(|m| m.queue_offset).collect::<Vec<_>>(),
            vec![0, 1]
        );
        assert_eq!(pq.commit(), 2);
        assert_eq!(pq.count(), 3);
        let mut retry = pq.take(1);
        retry[0].reconsume_times += 1;
        pq.consume_again(&retry);
        let t = pq.take(3);
        assert_eq!(t[0].reconsume_times, 1);
        assert_eq!(pq.commit(), 5);
        assert_eq!(pq.count(), 0);
        assert!(pq.take(1).is_empty());
        assert!(
            pq.put(&[msg(5, 1)]),
            "a new consume task starts after the queue drained"
        );
        assert_eq!(pq.commit(), -1);
    }

    #[test]
    fn flow_control_thresholds() {
        let limits = FlowLimits {
            max_count: 3,
            max_size_mib: 1,
            max_span: 5,
        };
        let pq = ProcessQueue::new();
        pq.put(&[msg(0, 1), msg(1, 1), msg(2, 1)]);
        assert_eq!(
            pq.flow_control(&limits, false),
            None,
            "at the limit is fine"
        );
        pq.put(&[msg(3, 1)]);
        assert_eq!(pq.flow_control(&limits, false), Some(FlowControl::Count));
        let big = ProcessQueue::new();
        big.put(&[msg(0, 1024 * 1024), msg(1, 1024 * 1024)]);
        assert_eq!(big.flow_control(&limits, false), Some(FlowControl::Size));
        let span = ProcessQueue::new();
        span.put(&[msg(0, 1), msg(9, 1)]);
        assert_eq!(span.flow_control(&limits, false), Some(FlowControl::Span));
        assert_eq!(
            span.flow_control(&limits, true),
            None,
            "orderly ignores the span"
        );
        span.clear();
        assert_eq!(span.count(), 0);
    }

    #[test]
    fn lock_and_idle_expiry() {
        let pq = ProcessQueue::new();
        let t0 = Instant::now();
        pq.set_locked(true, t0);
        assert!(pq.is_locked());
        assert!(!pq.is_lock_expired(t0 + Duration::from_secs(30)));
        assert!(pq.is_lock_expired(t0 + Duration::from_secs(31)));
        pq.touch_pull(t0);
        assert!(pq.is_pull_expired(t0 + Duration::from_secs(121)));
        pq.set_dropped();
        assert!(pq.is_dropped());
    }
}
