//! The timer's state: an in-memory wheel of one-second buckets (a `BTreeMap` keyed by second,
//! so millions of pending messages cost one small entry each and no timer per message), the
//! low-water mark that survives restarts (`config/timerOffset.json`: the queue offset below
//! which every message was delivered), and the counters `brokerStatus` shows.
//!
//! A recall (RECALL_MESSAGE) parks a deletion marker due at the same time as the message it
//! takes back; when their second comes, every due message whose key (`REAL_TOPIC+UNIQ_KEY`,
//! Java's `buildDeleteKey`) a marker of that second names is dropped instead of delivered,
//! and markers themselves are never delivered. Keys are kept as hashes under a per-process
//! random hasher, so a message costs a word more and no string; both are re-read from the
//! timer queue after a restart (the marker sits above the message it cancels, and the
//! low-water mark stays at or below a pending message), so a recall survives one.
//!
//! Everything here is plain data and decisions ([`TimerService::take_due`],
//! [`TimerService::commit_offset`]), tested without a store.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::hash::BuildHasher;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::error::BrokerError;
use crate::tables::{load_json, store_json};

/// Queue offsets are grouped in chunks to track the low-water mark cheaply.
const CHUNK: i64 = 1024;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct TimerCheckpoint {
    commit_offset: i64,
}

/// A parked timer message waiting in the wheel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// When it is due (`TIMER_OUT_MS`).
    pub deliver_ms: i64,
    /// Where the parked record is.
    pub phys_offset: i64,
    /// Its offset in the timer queue.
    pub queue_offset: i64,
    /// The hash of its delete key (a marker: of the key it cancels); `None` without one.
    key: Option<u64>,
    /// A recall's deletion marker: cancels, never delivered.
    marker: bool,
}

/// What one record of the timer queue is to the wheel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parked<'a> {
    /// A message due at `deliver_ms`; `key` is its delete key, if it has a unique key.
    Message {
        deliver_ms: i64,
        phys_offset: i64,
        key: Option<&'a str>,
    },
    /// A recall's deletion marker (`TIMER_DEL_UNIQKEY` = `key`), due with the message.
    Marker { deliver_ms: i64, key: &'a str },
    /// A record without a readable delivery time: skipped.
    Unreadable,
}

/// The key a recall names a message by: its real topic and unique key (Java's
/// `TimerMessageStore.buildDeleteKey`), the value of a marker's `TIMER_DEL_UNIQKEY`.
pub(crate) fn delete_key(real_topic: &str, uniq_key: &str) -> String {
    format!("{real_topic}+{uniq_key}")
}

/// Which offsets of a chunk of the timer queue are finished (delivered or skipped).
#[derive(Default, Clone)]
struct ChunkState {
    finished: [u64; (CHUNK / 64) as usize],
}

impl ChunkState {
    fn finish(&mut self, i: i64) {
        self.finished[(i / 64) as usize] |= 1 << (i % 64);
    }
    fn first_unfinished(&self) -> Option<i64> {
        self.finished
            .iter()
            .enumerate()
            .find(|(_, w)| **w != u64::MAX)
            .map(|(k, w)| k as i64 * 64 + (!w).trailing_zeros() as i64)
    }
}

#[derive(Default)]
struct Wheel {
    /// Delivery second → messages due in that second.
    buckets: BTreeMap<i64, Vec<Pending>>,
    /// Next queue offset to read into the wheel.
    enqueue_offset: i64,
    /// Chunks (queue offset / CHUNK) not yet fully finished.
    chunks: BTreeMap<i64, ChunkState>,
}

impl Wheel {
    fn finish(&mut self, queue_offset: i64) {
        let c = queue_offset.div_euclid(CHUNK);
        self.chunks
            .entry(c)
            .or_default()
            .finish(queue_offset.rem_euclid(CHUNK));
        // Drop leading chunks that are complete.
        while let Some((&c, st)) = self.chunks.first_key_value() {
            if st.first_unfinished().is_none() {
                self.chunks.remove(&c);
            } else {
                break;
            }
        }
    }
}

/// The timer service's state.
pub struct TimerService {
    wheel: Mutex<Wheel>,
    path: PathBuf,
    pending: AtomicU64,
    enqueued: AtomicU64,
    delivered: AtomicU64,
    recalled: AtomicU64,
    /// Hashes delete keys; random per process (keys come from producers).
    keys: RandomState,
    /// (at ms, enqueued, delivered) once a second, the last [`RATE_WINDOW_SECS`] seconds.
    samples: Mutex<VecDeque<(i64, u64, u64)>>,
}

/// Seconds over which `timerEnqueueTps` / `timerDequeueTps` are averaged.
const RATE_WINDOW_SECS: usize = 10;

/// What GET_BROKER_RUNTIME_INFO reports of the timer, under Java's key names.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TimerMetrics {
    /// `timerReadBehind`: seconds the oldest undelivered due message is overdue.
    pub read_behind_secs: i64,
    /// `timerOffsetBehind`: parked messages not yet read into the wheel.
    pub offset_behind: i64,
    /// `timerCongestNum`: messages in the wheel waiting for their time.
    pub congest: u64,
    /// `timerEnqueueTps`: messages read into the wheel per second, recently.
    pub enqueue_tps: f32,
    /// `timerDequeueTps`: messages delivered per second, recently.
    pub dequeue_tps: f32,
}

impl TimerService {
    /// Loads the checkpoint; the wheel refills from the queue when the service runs.
    pub fn load(root: &str) -> Result<Self, BrokerError> {
        let path = PathBuf::from(root).join("config").join("timerOffset.json");
        let cp: TimerCheckpoint = load_json(&path)?.unwrap_or_default();
        Ok(TimerService {
            wheel: Mutex::new(Wheel {
                enqueue_offset: cp.commit_offset,
                ..Wheel::default()
            }),
            path,
            pending: AtomicU64::new(0),
            enqueued: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            recalled: AtomicU64::new(0),
            keys: RandomState::new(),
            samples: Mutex::new(VecDeque::with_capacity(RATE_WINDOW_SECS + 1)),
        })
    }

    /// Records the counters for the rates (call once a second).
    pub fn sample(&self, now_ms: i64) {
        let mut s = self.samples.lock();
        s.push_back((
            now_ms,
            self.enqueued.load(Ordering::Relaxed),
            self.delivered(),
        ));
        while s.len() > RATE_WINDOW_SECS + 1 {
            s.pop_front();
        }
    }

    /// The timer's state at `now_ms`; `parked_max_offset` is the timer queue's max offset.
    pub fn metrics(&self, now_ms: i64, parked_max_offset: i64) -> TimerMetrics {
        let (oldest_due, enqueue_offset) = {
            let w = self.wheel.lock();
            let oldest = w
                .buckets
                .values()
                .next()
                .and_then(|b| b.iter().filter(|p| !p.marker).map(|p| p.deliver_ms).min());
            (oldest, w.enqueue_offset)
        };
        let (enqueue_tps, dequeue_tps) = {
            let s = self.samples.lock();
            match (s.front(), s.back()) {
                (Some(a), Some(b)) if b.0 > a.0 => {
                    let secs = (b.0 - a.0) as f32 / 1000.0;
                    ((b.1 - a.1) as f32 / secs, (b.2 - a.2) as f32 / secs)
                }
                _ => (0.0, 0.0),
            }
        };
        TimerMetrics {
            read_behind_secs: oldest_due.map_or(0, |d| (now_ms - d).max(0) / 1000),
            offset_behind: (parked_max_offset - enqueue_offset).max(0),
            congest: self.pending(),
            enqueue_tps,
            dequeue_tps,
        }
    }

    /// Timer messages waiting for their time.
    pub fn pending(&self) -> u64 {
        self.pending.load(Ordering::Relaxed)
    }

    /// Timer messages delivered since start.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// Timer messages recalled (dropped for a deletion marker) since start.
    pub fn recalled(&self) -> u64 {
        self.recalled.load(Ordering::Relaxed)
    }

    /// The queue offset below which everything was delivered.
    pub fn commit_offset(&self) -> i64 {
        let w = self.wheel.lock();
        low_water(&w)
    }

    /// Persists the low-water mark.
    pub fn persist(&self) -> Result<(), BrokerError> {
        store_json(&self.path, || TimerCheckpoint {
            commit_offset: self.commit_offset(),
        })
    }
}

impl TimerService {
    /// The next timer-queue offset to read into the wheel.
    pub fn enqueue_offset(&self) -> i64 {
        self.wheel.lock().enqueue_offset
    }

    /// Reading continues at `offset` (files deleted under the reader, or a truncated queue).
    pub fn skip_to(&self, offset: i64) {
        self.wheel.lock().enqueue_offset = offset;
    }

    /// The record read at `queue_offset` goes into the wheel (or is skipped).
    pub fn add(&self, queue_offset: i64, parked: Parked<'_>) {
        let (deliver_ms, phys_offset, key, marker) = match parked {
            Parked::Message {
                deliver_ms,
                phys_offset,
                key,
            } => (deliver_ms, phys_offset, key, false),
            Parked::Marker { deliver_ms, key } => (deliver_ms, -1, Some(key), true),
            Parked::Unreadable => {
                let mut w = self.wheel.lock();
                w.finish(queue_offset);
                w.enqueue_offset = w.enqueue_offset.max(queue_offset + 1);
                return;
            }
        };
        let key = key.map(|k| self.keys.hash_one(k));
        let mut w = self.wheel.lock();
        w.chunks.entry(queue_offset.div_euclid(CHUNK)).or_default();
        w.buckets
            .entry(deliver_ms.div_euclid(1000))
            .or_default()
            .push(Pending {
                deliver_ms,
                phys_offset,
                queue_offset,
                key,
                marker,
            });
        w.enqueue_offset = w.enqueue_offset.max(queue_offset + 1);
        drop(w);
        if !marker {
            self.pending.fetch_add(1, Ordering::Relaxed);
            self.enqueued.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Takes every message due at `now_ms` out of the wheel, earliest second first. Messages
    /// a marker of their second recalls, and the markers once their second is over, leave
    /// the wheel here, finished and not returned.
    pub fn take_due(&self, now_ms: i64) -> Vec<Pending> {
        let now_sec = now_ms.div_euclid(1000);
        let mut w = self.wheel.lock();
        let mut due = Vec::new();
        while let Some((&sec, _)) = w.buckets.first_key_value() {
            if sec > now_sec {
                break;
            }
            let bucket = w.buckets.remove(&sec).unwrap_or_default();
            let (markers, messages): (Vec<Pending>, Vec<Pending>) =
                bucket.into_iter().partition(|p| p.marker);
            let (ready, mut later): (Vec<Pending>, Vec<Pending>) =
                messages.into_iter().partition(|p| p.deliver_ms <= now_ms);
            let recalled: HashSet<u64> = markers.iter().filter_map(|m| m.key).collect();
            for p in ready {
                if p.key.is_some_and(|k| recalled.contains(&k)) {
                    w.finish(p.queue_offset);
                    self.pending.fetch_sub(1, Ordering::Relaxed);
                    self.recalled.fetch_add(1, Ordering::Relaxed);
                } else {
                    due.push(p);
                }
            }
            // A marker stays while its second may still hold a message to cancel.
            let keep_markers = !later.is_empty();
            for m in markers {
                if keep_markers || m.deliver_ms > now_ms {
                    later.push(m);
                } else {
                    w.finish(m.queue_offset);
                }
            }
            if !later.is_empty() {
                w.buckets.insert(sec, later);
                break;
            }
        }
        due
    }

    /// A due message the store could not take now: it goes back for the next second.
    pub fn retry_later(&self, p: Pending, now_ms: i64) {
        self.wheel
            .lock()
            .buckets
            .entry(now_ms.div_euclid(1000) + 1)
            .or_default()
            .push(p);
    }

    /// A due message was delivered (or dropped): it leaves the wheel for good.
    pub fn finished(&self, p: &Pending) {
        self.pending.fetch_sub(1, Ordering::Relaxed);
        self.delivered.fetch_add(1, Ordering::Relaxed);
        self.wheel.lock().finish(p.queue_offset);
    }
}

fn low_water(w: &Wheel) -> i64 {
    let first = w
        .chunks
        .iter()
        .find_map(|(c, st)| st.first_unfinished().map(|i| c * CHUNK + i));
    match first {
        Some(o) => o.min(w.enqueue_offset),
        None => w.enqueue_offset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_report_backlog_overdue_and_rates() {
        let dir = tempfile::tempdir().unwrap();
        let t = TimerService::load(dir.path().to_str().unwrap()).unwrap();
        assert_eq!(t.metrics(50_000, 0), TimerMetrics::default());
        {
            let mut w = t.wheel.lock();
            w.enqueue_offset = 7;
            for (q, deliver_ms) in [(5, 48_200), (6, 48_700), (4, 90_000)] {
                w.buckets
                    .entry(deliver_ms / 1000)
                    .or_default()
                    .push(Pending {
                        deliver_ms,
                        phys_offset: 0,
                        queue_offset: q,
                        key: None,
                        marker: false,
                    });
            }
        }
        t.pending.store(3, Ordering::Relaxed);
        t.sample(40_000);
        t.enqueued.store(30, Ordering::Relaxed);
        t.delivered.store(10, Ordering::Relaxed);
        t.sample(45_000);
        let m = t.metrics(50_000, 12);
        assert_eq!(m.read_behind_secs, 1, "48.2 s due, now 50 s");
        assert_eq!(m.offset_behind, 5, "parked up to 12, read up to 7");
        assert_eq!(m.congest, 3);
        assert_eq!((m.enqueue_tps, m.dequeue_tps), (6.0, 2.0));
        assert_eq!(t.metrics(48_000, 7).read_behind_secs, 0, "nothing due yet");
    }

    #[test]
    fn due_messages_leave_in_order_and_retries_come_back() {
        let dir = tempfile::tempdir().unwrap();
        let t = TimerService::load(dir.path().to_str().unwrap()).unwrap();
        for (qo, deliver_ms) in [(0, 5_500), (1, 4_200), (2, 9_000), (3, 5_900)] {
            t.add(qo, message(deliver_ms, qo * 100, None));
        }
        t.add(4, Parked::Unreadable);
        assert_eq!(t.enqueue_offset(), 5);
        assert_eq!(t.pending(), 4);
        let due: Vec<i64> = t.take_due(5_600).iter().map(|p| p.queue_offset).collect();
        assert_eq!(
            due,
            vec![1, 0],
            "5.9 s is in the 5 s bucket but not due yet"
        );
        let again = t.take_due(5_950);
        assert_eq!(again.len(), 1);
        t.retry_later(again[0], 5_950);
        assert!(t.take_due(5_999).is_empty(), "retried in the next second");
        let retried = t.take_due(6_000);
        assert_eq!(retried[0].queue_offset, 3);
        t.finished(&retried[0]);
        assert_eq!(t.pending(), 3);
        assert_eq!(t.commit_offset(), 0, "offsets 0–2 are still pending");
    }

    fn message(deliver_ms: i64, phys_offset: i64, key: Option<&str>) -> Parked<'_> {
        Parked::Message {
            deliver_ms,
            phys_offset,
            key,
        }
    }

    #[test]
    fn a_marker_cancels_its_message_in_the_same_second_and_is_never_due() {
        let dir = tempfile::tempdir().unwrap();
        let t = TimerService::load(dir.path().to_str().unwrap()).unwrap();
        let (a, b) = (delete_key("T", "A"), delete_key("T", "B"));
        t.add(0, message(5_400, 0, Some(&a)));
        t.add(1, message(5_400, 100, Some(&b)));
        t.add(2, message(5_900, 200, Some(&a)));
        t.add(3, message(6_400, 300, Some(&a)));
        t.add(
            4,
            Parked::Marker {
                deliver_ms: 5_400,
                key: &a,
            },
        );
        assert_eq!(t.pending(), 4, "markers are not pending messages");
        let offsets = |due: &[Pending]| due.iter().map(|p| p.queue_offset).collect::<Vec<_>>();
        let first = t.take_due(5_500);
        assert_eq!(offsets(&first), vec![1], "A recalled, B delivered");
        assert_eq!((t.recalled(), t.pending()), (1, 3));
        t.finished(&first[0]);
        assert_eq!(
            t.commit_offset(),
            2,
            "the marker (4) waits for its second to end"
        );
        assert!(
            t.take_due(5_950).is_empty(),
            "the key due later in the same second is recalled too"
        );
        assert_eq!(t.recalled(), 2);
        let last = t.take_due(6_500);
        assert_eq!(
            offsets(&last),
            vec![3],
            "a marker cancels only in its own second"
        );
        t.finished(&last[0]);
        assert_eq!(
            t.commit_offset(),
            5,
            "markers and recalled messages are finished"
        );
        assert_eq!(t.pending(), 0);
    }

    #[test]
    fn a_marker_alone_leaves_when_due_and_one_read_late_still_cancels() {
        let dir = tempfile::tempdir().unwrap();
        let t = TimerService::load(dir.path().to_str().unwrap()).unwrap();
        let k = delete_key("T", "gone");
        t.add(
            0,
            Parked::Marker {
                deliver_ms: 7_300,
                key: &k,
            },
        );
        assert!(t.take_due(7_200).is_empty());
        assert_eq!(t.commit_offset(), 0, "not due yet: kept");
        assert!(t.take_due(7_300).is_empty(), "never delivered");
        assert_eq!(t.commit_offset(), 1);
        // The message and its marker read in the same pass after a restart.
        t.add(1, message(8_000, 10, Some(&k)));
        t.add(
            2,
            Parked::Marker {
                deliver_ms: 8_000,
                key: &k,
            },
        );
        assert!(t.take_due(9_000).is_empty());
        assert_eq!((t.recalled(), t.pending(), t.commit_offset()), (1, 0, 3));
    }

    #[test]
    fn low_water_mark_is_the_first_unfinished_offset() {
        let mut w = Wheel {
            enqueue_offset: 3000,
            ..Wheel::default()
        };
        assert_eq!(low_water(&w), 3000);
        // offsets 0..3000 read; pending at 5, 1500, 2999
        for o in 0..3000 {
            if ![5, 1500, 2999].contains(&o) {
                w.finish(o);
            } else {
                w.chunks.entry(o / CHUNK).or_default();
            }
        }
        assert_eq!(low_water(&w), 5);
        w.finish(5);
        assert_eq!(low_water(&w), 1500);
        w.finish(2999);
        assert_eq!(
            low_water(&w),
            1500,
            "out-of-order delivery does not move the mark"
        );
        w.finish(1500);
        assert_eq!(low_water(&w), 3000);
        assert!(w.chunks.len() <= 1);
    }
}
