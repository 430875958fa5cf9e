//! Orderly POP (Java's `ConsumerOrderInfoManager`): a queue's next messages are not handed
//! out while the previous batch is neither acked nor past its invisibility. A pop with the
//! same `attemptId` as the batch's (a client retrying its request) gets the batch again
//! without counting an attempt; any other pop of the batch after its invisibility counts one
//! more attempt per message, which the response reports in `orderCountInfo`.
//!
//! The group's offset is not moved by an orderly pop: acks move it ([`OrderTable::ack`]).

use std::collections::HashMap;

use parking_lot::Mutex;

/// A queue of a group's topic.
pub(crate) type QueueKey = (String, String, i32);

/// The batch handed out last on an orderly queue.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Batch {
    attempt_id: Option<String>,
    pop_time: i64,
    /// Visible again at this time.
    visible_at: i64,
    offsets: Vec<i64>,
    acked: Vec<bool>,
    /// Attempts before this one, per offset.
    counts: HashMap<i64, i32>,
}

/// Orderly batches by queue.
#[derive(Debug, Default)]
pub(crate) struct OrderTable {
    batches: Mutex<HashMap<QueueKey, Batch>>,
}

impl OrderTable {
    /// Whether the queue's previous batch still blocks a pop by `attempt_id` at `now`.
    pub(crate) fn blocked(&self, key: &QueueKey, attempt_id: Option<&str>, now: i64) -> bool {
        let batches = self.batches.lock();
        let Some(b) = batches.get(key) else {
            return false;
        };
        if b.acked.iter().all(|a| *a) {
            return false;
        }
        if attempt_id.is_some() && b.attempt_id.as_deref() == attempt_id {
            return false;
        }
        now < b.visible_at
    }

    /// A batch was handed out; returns each offset's attempt count (0 the first time).
    pub(crate) fn update(
        &self,
        key: QueueKey,
        attempt_id: Option<&str>,
        pop_time: i64,
        invisible_time: i64,
        offsets: &[i64],
    ) -> Vec<(i64, i32)> {
        let mut batches = self.batches.lock();
        let previous = batches.remove(&key);
        let same_attempt = attempt_id.is_some()
            && previous.as_ref().and_then(|b| b.attempt_id.as_deref()) == attempt_id;
        let mut counts = HashMap::new();
        for o in offsets {
            let before = previous
                .as_ref()
                .filter(|b| b.offsets.contains(o))
                .and_then(|b| {
                    b.counts
                        .get(o)
                        .copied()
                        .map(|c| c + i32::from(!same_attempt))
                });
            counts.insert(*o, before.unwrap_or(0));
        }
        let out = offsets.iter().map(|o| (*o, counts[o])).collect();
        batches.insert(
            key,
            Batch {
                attempt_id: attempt_id.map(str::to_string),
                pop_time,
                visible_at: pop_time.saturating_add(invisible_time),
                offsets: offsets.to_vec(),
                acked: vec![false; offsets.len()],
                counts,
            },
        );
        out
    }

    /// An ack of `offset` from the pop at `pop_time`: the offset to commit, if any — the
    /// first offset of the batch not yet acked, or past the batch once all are. A receipt of
    /// an older pop commits nothing.
    pub(crate) fn ack(&self, key: &QueueKey, offset: i64, pop_time: i64) -> Option<i64> {
        let mut batches = self.batches.lock();
        let Some(b) = batches.get_mut(key) else {
            return Some(offset + 1);
        };
        if b.pop_time != pop_time {
            return None;
        }
        let i = b.offsets.iter().position(|o| *o == offset)?;
        b.acked[i] = true;
        let next = match b.acked.iter().position(|a| !a) {
            Some(j) => b.offsets[j],
            None => b.offsets.last().map(|o| o + 1).unwrap_or(offset + 1),
        };
        if b.acked.iter().all(|a| *a) {
            // Keep the counts for a re-pop; nothing blocks any more.
            b.visible_at = 0;
        }
        Some(next)
    }

    /// CHANGE_MESSAGE_INVISIBLETIME on an orderly message: the batch is visible at
    /// `visible_at` instead.
    pub(crate) fn change_invisible(&self, key: &QueueKey, pop_time: i64, visible_at: i64) {
        if let Some(b) = self.batches.lock().get_mut(key) {
            if b.pop_time == pop_time {
                b.visible_at = visible_at;
            }
        }
    }

    /// Forgets a queue's batch (its offset was reset).
    pub(crate) fn clear(&self, key: &QueueKey) {
        self.batches.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> QueueKey {
        ("T".into(), "g".into(), 0)
    }

    #[test]
    fn a_batch_blocks_until_acked_or_invisible_time_over() {
        let t = OrderTable::default();
        assert!(!t.blocked(&key(), None, 0));
        assert_eq!(
            t.update(key(), Some("a1"), 1000, 100, &[5, 6]),
            vec![(5, 0), (6, 0)]
        );
        assert!(t.blocked(&key(), Some("other"), 1050));
        assert!(t.blocked(&key(), None, 1050));
        assert!(
            !t.blocked(&key(), Some("a1"), 1050),
            "the same attempt retries"
        );
        assert!(!t.blocked(&key(), None, 1100), "invisibility over");
        // Acks move the offset to commit; a stale receipt moves nothing.
        assert_eq!(t.ack(&key(), 5, 999), None);
        assert_eq!(t.ack(&key(), 6, 1000), Some(5));
        assert!(t.blocked(&key(), None, 1050));
        assert_eq!(t.ack(&key(), 5, 1000), Some(7));
        assert!(!t.blocked(&key(), None, 1050), "all acked");
    }

    #[test]
    fn re_pops_count_attempts_except_for_the_same_attempt() {
        let t = OrderTable::default();
        t.update(key(), Some("a1"), 1000, 100, &[5, 6]);
        assert_eq!(
            t.update(key(), Some("a1"), 1010, 100, &[5, 6]),
            vec![(5, 0), (6, 0)]
        );
        assert_eq!(
            t.update(key(), Some("a2"), 1200, 100, &[5, 6]),
            vec![(5, 1), (6, 1)]
        );
        assert_eq!(
            t.update(key(), None, 1400, 100, &[6, 7]),
            vec![(6, 2), (7, 0)]
        );
        t.change_invisible(&key(), 1400, 5000);
        assert!(t.blocked(&key(), None, 4000));
        t.clear(&key());
        assert!(!t.blocked(&key(), None, 4000));
    }
}
