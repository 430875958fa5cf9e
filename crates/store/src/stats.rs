//! [`StoreStats`]: counters for runtime info and metrics (puts, bytes, gets, deletions by
//! reason) and put TPS over a sliding window sampled once a second.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::retention::DeleteReason;

/// Store counters; all monotonic.
#[derive(Debug, Default)]
pub(crate) struct StoreStats {
    pub put_messages: AtomicU64,
    pub put_bytes: AtomicU64,
    pub put_failures: AtomicU64,
    pub get_found: AtomicU64,
    pub get_missed: AtomicU64,
    pub get_transferred_messages: AtomicU64,
    pub flush_failures: AtomicU64,
    deletions: [AtomicU64; 4],
    samples: Mutex<VecDeque<(Instant, u64, u64)>>,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatsSnapshot {
    pub put_messages: u64,
    pub put_bytes: u64,
    pub put_failures: u64,
    pub get_found: u64,
    pub get_missed: u64,
    pub get_transferred_messages: u64,
    pub flush_failures: u64,
    /// Deleted CommitLog files per [`DeleteReason`] (by `DeleteReason::index`).
    pub deleted_files: [u64; 4],
    /// Messages per second over the last 10 s / 60 s / 10 min (0 until sampled).
    pub put_tps: [f64; 3],
    /// CommitLog records the dispatcher skipped because they cannot be dispatched (a topic
    /// that cannot name a queue, an impossible queue offset): they reach no ConsumeQueue.
    pub dispatch_skipped: u64,
    /// Records left out of the index (no index file could be created or written); their
    /// ConsumeQueue entries were written.
    pub index_skipped: u64,
    /// Dispatch rounds that failed on a transient error (disk full, I/O) and were retried.
    pub dispatch_retries: u64,
}

impl StoreStats {
    /// Counts a successful put of `n` messages and `bytes` bytes.
    pub(crate) fn record_put(&self, n: u64, bytes: u64) {
        self.put_messages.fetch_add(n, Ordering::Relaxed);
        self.put_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Counts one deleted file.
    pub(crate) fn record_deletion(&self, reason: DeleteReason) {
        self.deletions[reason.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Takes a TPS sample (called once a second by the housekeeping thread).
    pub(crate) fn sample(&self) {
        let mut s = self.samples.lock();
        s.push_back((
            Instant::now(),
            self.put_messages.load(Ordering::Relaxed),
            self.put_bytes.load(Ordering::Relaxed),
        ));
        while s.len() > 601 {
            s.pop_front();
        }
    }

    fn tps(&self, window: Duration) -> f64 {
        let s = self.samples.lock();
        let Some(&(t1, m1, _)) = s.back() else {
            return 0.0;
        };
        let old = s.iter().find(|(t, _, _)| t1.duration_since(*t) <= window);
        match old {
            Some(&(t0, m0, _)) if t1 > t0 => (m1 - m0) as f64 / t1.duration_since(t0).as_secs_f64(),
            _ => 0.0,
        }
    }

    /// Current values.
    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            put_messages: l(&self.put_messages),
            put_bytes: l(&self.put_bytes),
            put_failures: l(&self.put_failures),
            get_found: l(&self.get_found),
            get_missed: l(&self.get_missed),
            get_transferred_messages: l(&self.get_transferred_messages),
            flush_failures: l(&self.flush_failures),
            deleted_files: [
                l(&self.deletions[0]),
                l(&self.deletions[1]),
                l(&self.deletions[2]),
                l(&self.deletions[3]),
            ],
            put_tps: [
                self.tps(Duration::from_secs(10)),
                self.tps(Duration::from_secs(60)),
                self.tps(Duration::from_secs(600)),
            ],
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_tps() {
        let s = StoreStats::default();
        s.sample();
        s.record_put(100, 1000);
        std::thread::sleep(Duration::from_millis(50));
        s.sample();
        s.record_deletion(DeleteReason::ForcedDiskNearlyFull);
        let snap = s.snapshot();
        assert_eq!(snap.put_messages, 100);
        assert_eq!(
            snap.deleted_files[DeleteReason::ForcedDiskNearlyFull.index()],
            1
        );
        assert!(
            snap.put_tps[0] > 100.0 && snap.put_tps[0] < 2100.0,
            "{:?}",
            snap.put_tps
        );
    }
}
