//! What each connected slave has acknowledged, and waiting for enough of them.

use parking_lot::Mutex;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::time::Instant;

/// The offsets the slaves report, one entry per HA connection (Java counts connections, not
/// machines; so do we).
pub(crate) struct AckTable {
    conns: Mutex<Vec<Slot>>,
    /// Writers waiting for replicas, by the offset they need held (then arrival): a report
    /// releases exactly the writers it covers, in order, instead of waking them all.
    waiters: Mutex<Waiters>,
}

#[derive(Default)]
struct Waiters {
    seq: u64,
    by_offset: BTreeMap<(i64, u64), Waiter>,
}

/// A writer waiting for `need` replicas (master included); with `members`, only slaves of
/// those controller ids count (controller mode's `allAckInSyncStateSet`).
struct Waiter {
    need: usize,
    members: Option<Arc<BTreeSet<i64>>>,
    tx: oneshot::Sender<()>,
}

#[derive(Debug, Clone)]
struct Slot {
    id: u64,
    /// The slave's `ip:port`.
    addr: String,
    /// The slave's controller id (AutoSwitch handshake); `None` for classic slaves.
    slave_id: Option<i64>,
    /// The slave's CommitLog end, -1 until its first report.
    acked: i64,
    /// Where the next transfer to it starts, -1 before the first.
    transfer_from: i64,
    sent: Rate,
}

/// One connected slave, as `GET_BROKER_HA_STATUS` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SlaveView {
    pub(crate) addr: String,
    pub(crate) slave_id: Option<i64>,
    pub(crate) acked: i64,
    pub(crate) transfer_from: i64,
    pub(crate) bytes_per_second: u64,
}

/// Bytes per second: what was counted in the last whole second.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Rate {
    second: u64,
    current: u64,
    last: u64,
}

impl Rate {
    /// Counts `n` bytes at `now_ms`.
    pub(crate) fn add(&mut self, now_ms: u64, n: u64) {
        self.roll(now_ms);
        self.current += n;
    }

    /// Bytes in the last whole second before `now_ms`.
    pub(crate) fn per_second(&self, now_ms: u64) -> u64 {
        let sec = now_ms / 1000;
        if sec == self.second {
            self.last
        } else if sec == self.second + 1 {
            self.current
        } else {
            0
        }
    }

    fn roll(&mut self, now_ms: u64) {
        let sec = now_ms / 1000;
        if sec != self.second {
            self.last = if sec == self.second + 1 {
                self.current
            } else {
                0
            };
            self.current = 0;
            self.second = sec;
        }
    }
}

impl Default for AckTable {
    fn default() -> Self {
        AckTable {
            conns: Mutex::new(Vec::new()),
            waiters: Mutex::new(Waiters::default()),
        }
    }
}

impl AckTable {
    /// A connection from `addr` joined (nothing acknowledged yet).
    pub(crate) fn add(&self, id: u64, addr: String) {
        self.add_slave(id, addr, None);
    }

    /// A connection from the slave `slave_id` (its controller id) joined.
    pub(crate) fn add_slave(&self, id: u64, addr: String, slave_id: Option<i64>) {
        self.conns.lock().push(Slot {
            id,
            addr,
            slave_id,
            acked: -1,
            transfer_from: -1,
            sent: Rate::default(),
        });
    }

    /// `n` bytes went to connection `id`; its next transfer starts at `next`.
    pub(crate) fn transferred(&self, id: u64, next: i64, n: u64, now_ms: u64) {
        if let Some(s) = self.conns.lock().iter_mut().find(|s| s.id == id) {
            s.transfer_from = next;
            s.sent.add(now_ms, n);
        }
    }

    /// Every connected slave.
    pub(crate) fn slaves(&self, now_ms: u64) -> Vec<SlaveView> {
        self.conns
            .lock()
            .iter()
            .map(|s| SlaveView {
                addr: s.addr.clone(),
                slave_id: s.slave_id,
                acked: s.acked,
                transfer_from: s.transfer_from,
                bytes_per_second: s.sent.per_second(now_ms),
            })
            .collect()
    }

    /// A connection left.
    pub(crate) fn remove(&self, id: u64) {
        self.conns.lock().retain(|s| s.id != id);
    }

    /// Connection `id` reported that its log ends at `offset`.
    pub(crate) fn report(&self, id: u64, offset: i64) {
        if let Some(s) = self.conns.lock().iter_mut().find(|s| s.id == id) {
            s.acked = offset;
        }
        self.release(offset);
    }

    /// Connected slaves.
    pub(crate) fn connections(&self) -> usize {
        self.conns.lock().len()
    }

    /// Replicas holding everything before `next`, the master included.
    #[cfg(test)]
    pub(crate) fn replicas_at(&self, next: i64) -> usize {
        self.replicas_among(next, None)
    }

    /// [`AckTable::replicas_at`] counting only the slaves whose controller id is in
    /// `members`, when given.
    fn replicas_among(&self, next: i64, members: Option<&BTreeSet<i64>>) -> usize {
        let counted = |s: &&Slot| match members {
            None => true,
            Some(m) => s.slave_id.is_some_and(|id| m.contains(&id)),
        };
        1 + self
            .conns
            .lock()
            .iter()
            .filter(counted)
            .filter(|s| s.acked >= next)
            .count()
    }

    /// The acknowledged offset of each connected slave with a controller id (the largest
    /// when a slave has two connections).
    pub(crate) fn acked_by_slave(&self) -> BTreeMap<i64, i64> {
        let mut out = BTreeMap::new();
        for s in self.conns.lock().iter() {
            if let Some(id) = s.slave_id {
                let e = out.entry(id).or_insert(s.acked);
                *e = (*e).max(s.acked);
            }
        }
        out
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
    /// deadline passes. Many writers wait at once and one report releases every writer it
    /// covers: a slave acknowledges its log end, which covers every write before it.
    #[cfg(test)]
    pub(crate) async fn wait(&self, next: i64, need: usize, deadline: Instant) -> bool {
        self.wait_among(next, need, None, deadline).await
    }

    /// [`AckTable::wait`] counting only the slaves in `members` (when given).
    pub(crate) async fn wait_among(
        &self,
        next: i64,
        need: usize,
        members: Option<Arc<BTreeSet<i64>>>,
        deadline: Instant,
    ) -> bool {
        let (tx, rx) = oneshot::channel();
        let key = {
            let mut w = self.waiters.lock();
            // Checked under the waiters' lock: a report that lands first is seen here, one
            // that lands after finds the waiter.
            if self.replicas_among(next, members.as_deref()) >= need {
                return true;
            }
            w.seq += 1;
            let key = (next, w.seq);
            w.by_offset.insert(
                key,
                Waiter {
                    need,
                    members: members.clone(),
                    tx,
                },
            );
            key
        };
        match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok(())) => true,
            _ => {
                self.waiters.lock().by_offset.remove(&key);
                self.replicas_among(next, members.as_deref()) >= need
            }
        }
    }

    /// Releases the waiters a report up to `offset` may cover.
    fn release(&self, offset: i64) {
        let mut w = self.waiters.lock();
        let candidates: Vec<(i64, u64)> = w
            .by_offset
            .range(..=(offset, u64::MAX))
            .map(|(k, _)| *k)
            .collect();
        for key in candidates {
            let waiter = &w.by_offset[&key];
            if self.replicas_among(key.0, waiter.members.as_deref()) >= waiter.need {
                if let Some(waiter) = w.by_offset.remove(&key) {
                    let _ = waiter.tx.send(());
                }
            }
        }
    }

    /// Writers waiting now.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        self.waiters.lock().by_offset.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn counts_replicas_at_an_offset() {
        let t = AckTable::default();
        assert_eq!(t.replicas_at(10), 1, "the master alone");
        t.add(1, "a:1".into());
        t.add(2, "b:1".into());
        assert_eq!(t.replicas_at(0), 1, "no report yet");
        t.report(1, 100);
        t.report(2, 40);
        assert_eq!(t.replicas_at(50), 2);
        assert_eq!(t.replicas_at(40), 3);
        assert_eq!(t.max_acked(), 100);
        assert_eq!(t.in_sync(100, 50), 2);
        assert_eq!(t.in_sync(100, 61), 3);
        t.transferred(2, 140, 100, 5_000);
        let views = t.slaves(6_500);
        assert_eq!(views[1].transfer_from, 140);
        assert_eq!(views[1].bytes_per_second, 100);
        assert_eq!(t.slaves(9_000)[1].bytes_per_second, 0, "nothing lately");
        t.remove(1);
        assert_eq!(t.replicas_at(50), 1);
        assert_eq!(t.connections(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn one_report_releases_every_waiter_before_it() {
        let t = Arc::new(AckTable::default());
        t.add(7, "s:1".into());
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
        // Nothing acknowledges 300: the wait ends at the deadline, and leaves nothing behind.
        let late = Instant::now() + Duration::from_secs(3);
        assert!(!t.wait(300, 2, late).await);
        assert!(Instant::now() >= late);
        assert_eq!(t.waiting(), 0);
    }
}
