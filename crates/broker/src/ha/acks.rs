//! What each connected slave has acknowledged, and waiting for enough of them.

use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::time::Instant;

/// The offsets the slaves report, one entry per HA connection (Java counts connections, not
/// machines; so do we).
pub(crate) struct AckTable {
    conns: Mutex<Vec<Slot>>,
    changed: watch::Sender<()>,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    id: u64,
    /// The slave's CommitLog end, -1 until its first report.
    acked: i64,
}

impl Default for AckTable {
    fn default() -> Self {
        AckTable {
            conns: Mutex::new(Vec::new()),
            changed: watch::channel(()).0,
        }
    }
}

impl AckTable {
    /// A connection joined (nothing acknowledged yet).
    pub(crate) fn add(&self, id: u64) {
        self.conns.lock().push(Slot { id, acked: -1 });
    }

    /// A connection left.
    pub(crate) fn remove(&self, id: u64) {
        self.conns.lock().retain(|s| s.id != id);
        self.changed.send_modify(|_| {});
    }

    /// Connection `id` reported that its log ends at `offset`.
    pub(crate) fn report(&self, id: u64, offset: i64) {
        if let Some(s) = self.conns.lock().iter_mut().find(|s| s.id == id) {
            s.acked = offset;
        }
        self.changed.send_modify(|_| {});
    }

    /// Connected slaves.
    pub(crate) fn connections(&self) -> usize {
        self.conns.lock().len()
    }

    /// Replicas holding everything before `next`, the master included.
    pub(crate) fn replicas_at(&self, next: i64) -> usize {
        1 + self.conns.lock().iter().filter(|s| s.acked >= next).count()
    }

    /// Replicas within `max_gap` bytes of the master's end `master_end`, the master
    /// included (Java's `inSyncReplicasNums`).
    pub(crate) fn in_sync(&self, master_end: i64, max_gap: i64) -> usize {
        1 + self
            .conns
            .lock()
            .iter()
            .filter(|s| s.acked >= 0 && master_end - s.acked < max_gap)
            .count()
    }

    /// The largest offset any slave acknowledged (Java's `push2SlaveMaxOffset`), -1 if none.
    pub(crate) fn max_acked(&self) -> i64 {
        self.conns
            .lock()
            .iter()
            .map(|s| s.acked)
            .max()
            .unwrap_or(-1)
    }

    /// Waits until `need` replicas (master included) hold everything before `next`, or the
    /// deadline passes. Many writers wait at once and one report releases them all: a slave
    /// acknowledges its log end, which covers every write before it.
    pub(crate) async fn wait(&self, next: i64, need: usize, deadline: Instant) -> bool {
        let mut rx = self.changed.subscribe();
        loop {
            if self.replicas_at(next) >= need {
                return true;
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => return self.replicas_at(next) >= need,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn counts_replicas_at_an_offset() {
        let t = AckTable::default();
        assert_eq!(t.replicas_at(10), 1, "the master alone");
        t.add(1);
        t.add(2);
        assert_eq!(t.replicas_at(0), 1, "no report yet");
        t.report(1, 100);
        t.report(2, 40);
        assert_eq!(t.replicas_at(50), 2);
        assert_eq!(t.replicas_at(40), 3);
        assert_eq!(t.max_acked(), 100);
        assert_eq!(t.in_sync(100, 50), 2);
        assert_eq!(t.in_sync(100, 61), 3);
        t.remove(1);
        assert_eq!(t.replicas_at(50), 1);
        assert_eq!(t.connections(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn one_report_releases_every_waiter_before_it() {
        let t = Arc::new(AckTable::default());
        t.add(7);
        let deadline = Instant::now() + Duration::from_secs(3);
        let waiters: Vec<_> = (1..=20)
            .map(|i| {
                let t = t.clone();
                tokio::spawn(async move { t.wait(i * 10, 2, deadline).await })
            })
            .collect();
        tokio::task::yield_now().await;
        t.report(7, 200);
        for w in waiters {
            assert!(w.await.unwrap());
        }
        // Nothing acknowledges 300: the wait ends at the deadline.
        let late = Instant::now() + Duration::from_secs(3);
        assert!(!t.wait(300, 2, late).await);
        assert!(Instant::now() >= late);
    }
}
