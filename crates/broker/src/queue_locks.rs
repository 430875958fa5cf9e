//! Queue locks for ordered consumption (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ): one client of a
//! group holds a queue at a time; a lock not renewed within its lease (60 s) can be taken
//! by another client.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use ferromq_model::MessageQueue;
use parking_lot::Mutex;

/// The lease of a queue lock (`rocketmq.broker.rebalance.lockMaxLiveTime`).
pub(crate) const LOCK_LEASE: Duration = Duration::from_secs(60);

struct Holder {
    client_id: String,
    last_update: Instant,
}

/// Locks by group, then queue.
pub struct QueueLocks {
    lease: Duration,
    table: Mutex<HashMap<String, HashMap<MessageQueue, Holder>>>,
}

impl Default for QueueLocks {
    fn default() -> Self {
        Self::new(LOCK_LEASE)
    }
}

impl QueueLocks {
    /// Locks with the given lease.
    pub fn new(lease: Duration) -> Self {
        QueueLocks {
            lease,
            table: Mutex::new(HashMap::new()),
        }
    }

    /// Locks (or renews) each queue for `client_id` where it is free, expired or already
    /// its own; returns the queues it now holds.
    pub fn lock(
        &self,
        group: &str,
        client_id: &str,
        mqs: &[MessageQueue],
        now: Instant,
    ) -> BTreeSet<MessageQueue> {
        let mut table = self.table.lock();
        let locks = table.entry(group.to_string()).or_default();
        let mut held = BTreeSet::new();
        for mq in mqs {
            match locks.get_mut(mq) {
                Some(h) if h.client_id == client_id => {
                    h.last_update = now;
                    held.insert(mq.clone());
                }
                Some(h) if now.duration_since(h.last_update) > self.lease => {
                    tracing::info!(group, queue = ?mq, old = %h.client_id, new = client_id, "expired queue lock taken over");
                    h.client_id = client_id.to_string();
                    h.last_update = now;
                    held.insert(mq.clone());
                }
                Some(_) => {}
                None => {
                    locks.insert(
                        mq.clone(),
                        Holder {
                            client_id: client_id.to_string(),
                            last_update: now,
                        },
                    );
                    held.insert(mq.clone());
                }
            }
        }
        held
    }

    /// Releases the queues `client_id` holds among `mqs`.
    pub fn unlock(&self, group: &str, client_id: &str, mqs: &[MessageQueue]) {
        let mut table = self.table.lock();
        if let Some(locks) = table.get_mut(group) {
            for mq in mqs {
                if locks.get(mq).is_some_and(|h| h.client_id == client_id) {
                    locks.remove(mq);
                }
            }
            if locks.is_empty() {
                table.remove(group);
            }
        }
    }

    /// Releases every lock `client_id` holds in `group` (the client left: closed, expired or
    /// unregistered), so the map does not keep departed clients.
    pub fn release_client(&self, group: &str, client_id: &str) {
        let mut table = self.table.lock();
        if let Some(locks) = table.get_mut(group) {
            locks.retain(|_, h| h.client_id != client_id);
            if locks.is_empty() {
                table.remove(group);
            }
        }
    }

    /// Drops locks whose lease ran out; returns how many. Expired locks are free anyway;
    /// keeping them would let the table grow with every group and queue ever locked.
    pub fn purge_expired(&self, now: Instant) -> usize {
        let mut table = self.table.lock();
        let mut n = 0;
        table.retain(|_, locks| {
            let before = locks.len();
            locks.retain(|_, h| now.duration_since(h.last_update) <= self.lease);
            n += before - locks.len();
            !locks.is_empty()
        });
        n
    }

    /// Number of locks held (live or not yet purged).
    pub fn len(&self) -> usize {
        self.table.lock().values().map(HashMap::len).sum()
    }

    /// Whether no lock is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `group` holds any live lock (retries of orderly groups go straight to DLQ).
    pub fn group_has_locks(&self, group: &str, now: Instant) -> bool {
        self.table.lock().get(group).is_some_and(|l| {
            l.values()
                .any(|h| now.duration_since(h.last_update) <= self.lease)
        })
    }

    /// Who holds `mq` in `group`, if the lock is live.
    pub fn holder(&self, group: &str, mq: &MessageQueue, now: Instant) -> Option<String> {
        let table = self.table.lock();
        let h = table.get(group)?.get(mq)?;
        (now.duration_since(h.last_update) <= self.lease).then(|| h.client_id.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mq(q: i32) -> MessageQueue {
        MessageQueue::new("T", "b", q)
    }

    #[test]
    fn exclusive_renewable_expiring() {
        let locks = QueueLocks::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let a = locks.lock("g", "A", &[mq(0), mq(1)], t0);
        assert_eq!(a.len(), 2);
        let b = locks.lock("g", "B", &[mq(1), mq(2)], t0);
        assert_eq!(b.into_iter().collect::<Vec<_>>(), vec![mq(2)]);
        // renewal keeps A's lock alive
        locks.lock("g", "A", &[mq(1)], t0 + Duration::from_secs(50));
        assert!(locks
            .lock("g", "B", &[mq(1)], t0 + Duration::from_secs(100))
            .is_empty());
        // after the lease B takes over
        let taken = locks.lock("g", "B", &[mq(1)], t0 + Duration::from_secs(111));
        assert_eq!(taken.len(), 1);
        assert_eq!(
            locks
                .holder("g", &mq(1), t0 + Duration::from_secs(111))
                .as_deref(),
            Some("B")
        );
        locks.unlock("g", "A", &[mq(0), mq(1)]);
        assert_eq!(locks.holder("g", &mq(0), t0), None);
        assert_eq!(
            locks
                .holder("g", &mq(1), t0 + Duration::from_secs(111))
                .as_deref(),
            Some("B")
        );
        // another group is independent
        assert_eq!(locks.lock("h", "C", &[mq(1)], t0).len(), 1);
    }

    #[test]
    fn departed_clients_and_expired_leases_leave_the_table() {
        let locks = QueueLocks::new(Duration::from_secs(60));
        let t0 = Instant::now();
        locks.lock("g", "A", &[mq(0), mq(1)], t0);
        locks.lock("g", "B", &[mq(2)], t0);
        locks.lock("h", "A", &[mq(0)], t0 + Duration::from_secs(30));
        assert_eq!(locks.len(), 4);
        locks.release_client("g", "A");
        assert_eq!(locks.len(), 2, "A's locks in g are gone, in h kept");
        assert_eq!(locks.holder("g", &mq(2), t0).as_deref(), Some("B"));
        assert_eq!(locks.purge_expired(t0 + Duration::from_secs(61)), 1);
        assert_eq!(locks.len(), 1);
        assert_eq!(locks.purge_expired(t0 + Duration::from_secs(91)), 1);
        assert!(locks.is_empty());
    }
}
