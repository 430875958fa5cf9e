//! What the revive service knows about one revive queue, as pure state: the checkpoints read
//! from the log and not yet settled, the acks matched to them, and how far the log was read.
//! The runner ([`super::revive`]) feeds it records and asks it which checkpoints are due.
//!
//! Progress (the revive group's offset on the queue) is the log offset of the oldest
//! checkpoint still pending, so after a crash the log is read again from there: every
//! pending checkpoint and every ack written after it is seen again. A checkpoint revived
//! just before a crash may be revived twice (at least once, as Java).

use std::collections::HashMap;

use super::records::PopCheckPoint;

/// What an ack names to find its checkpoint (Java's merge key without the broker name: a
/// receipt always comes back to the broker that wrote it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CkKey {
    pub topic: String,
    pub group: String,
    pub queue_id: i32,
    pub start_offset: i64,
    pub pop_time: i64,
}

impl CkKey {
    /// The key of a checkpoint.
    pub(crate) fn of(ck: &PopCheckPoint) -> Self {
        CkKey {
            topic: ck.topic.clone(),
            group: ck.cid.clone(),
            queue_id: ck.queue_id,
            start_offset: ck.start_offset,
            pop_time: ck.pop_time,
        }
    }
}

/// A checkpoint waiting for its acks or its revive time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pending {
    pub ck: PopCheckPoint,
    /// Where it sits in the revive log.
    pub log_offset: i64,
    /// Bit `i`: message `i` was acked (or revived already).
    pub done: u32,
}

impl Pending {
    /// Whether every message is settled.
    pub(crate) fn settled(&self) -> bool {
        let n = self.ck.len();
        let all = if n >= 32 { u32::MAX } else { (1u32 << n) - 1 };
        self.done & all == all
    }

    /// The indexes still to revive.
    pub(crate) fn open(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.ck.len()).filter(|i| self.done & (1 << i) == 0)
    }
}

/// One revive queue's state.
#[derive(Debug, Default)]
pub(crate) struct ReviveQueue {
    /// The next log offset to read; `None` until loaded from the committed progress.
    read: Option<i64>,
    pending: HashMap<CkKey, Pending>,
}

impl ReviveQueue {
    /// Where to read next, loading it with `committed` the first time.
    pub(crate) fn read_from(&mut self, committed: impl FnOnce() -> i64) -> i64 {
        *self.read.get_or_insert_with(committed)
    }

    /// The log was read up to (not including) `next`.
    pub(crate) fn read_to(&mut self, next: i64) {
        self.read = Some(next);
    }

    /// A checkpoint read at `log_offset`.
    pub(crate) fn on_ck(&mut self, log_offset: i64, ck: PopCheckPoint) {
        if ck.len() == 0 {
            return;
        }
        let done = ck.bit_map as u32;
        let p = Pending {
            ck,
            log_offset,
            done,
        };
        if !p.settled() {
            self.pending.insert(CkKey::of(&p.ck), p);
        }
    }

    /// Acks of `offsets` (queue offsets) for the checkpoint `key`; returns how many matched.
    /// A checkpoint whose messages are all acked is dropped.
    pub(crate) fn on_ack(&mut self, key: &CkKey, offsets: &[i64]) -> usize {
        let Some(p) = self.pending.get_mut(key) else {
            return 0;
        };
        let mut n = 0;
        for o in offsets {
            if let Some(i) = p.ck.index_of(*o) {
                p.done |= 1 << i;
                n += 1;
            }
        }
        if p.settled() {
            self.pending.remove(key);
        }
        n
    }

    /// Removes and returns the checkpoints whose revive time is not after `now`, oldest
    /// log offset first.
    pub(crate) fn take_due(&mut self, now: i64) -> Vec<Pending> {
        let keys: Vec<CkKey> = self
            .pending
            .iter()
            .filter(|(_, p)| p.ck.revive_time() <= now)
            .map(|(k, _)| k.clone())
            .collect();
        let mut due: Vec<Pending> = keys.iter().filter_map(|k| self.pending.remove(k)).collect();
        due.sort_by_key(|p| p.log_offset);
        due
    }

    /// A due checkpoint that could not be fully revived now: kept for the next pass.
    pub(crate) fn put_back(&mut self, p: Pending) {
        if !p.settled() {
            self.pending.insert(CkKey::of(&p.ck), p);
        }
    }

    /// The offset to commit: the oldest pending checkpoint, else how far the log was read.
    pub(crate) fn progress(&self) -> Option<i64> {
        let oldest = self.pending.values().map(|p| p.log_offset).min();
        oldest.or(self.read)
    }

    /// Checkpoints pending.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ck(start: i64, pop_time: i64, diffs: &[i32]) -> PopCheckPoint {
        PopCheckPoint {
            start_offset: start,
            pop_time,
            invisible_time: 100,
            num: diffs.len() as i8,
            queue_id: 0,
            topic: "T".into(),
            cid: "g".into(),
            queue_offset_diff: diffs.to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn acks_settle_checkpoints_and_the_rest_revive_when_due() {
        let mut q = ReviveQueue::default();
        assert_eq!(q.read_from(|| 7), 7);
        assert_eq!(q.read_from(|| 99), 7, "loaded once");
        q.on_ck(7, ck(10, 1000, &[0, 1, 2]));
        q.on_ck(8, ck(20, 1000, &[0, 3]));
        q.read_to(9);
        assert_eq!(q.progress(), Some(7));
        // Fully acked: gone, and progress moves past it.
        assert_eq!(q.on_ack(&CkKey::of(&ck(10, 1000, &[])), &[10, 11, 12]), 3);
        assert_eq!((q.len(), q.progress()), (1, Some(8)));
        // A partial ack; an ack of another pop time matches nothing.
        assert_eq!(q.on_ack(&CkKey::of(&ck(20, 1000, &[])), &[23, 21]), 1);
        assert_eq!(q.on_ack(&CkKey::of(&ck(20, 999, &[])), &[20]), 0);
        assert!(q.take_due(1099).is_empty(), "not yet invisible-time over");
        let due = q.take_due(1100);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].open().collect::<Vec<_>>(), vec![0]);
        assert_eq!(due[0].ck.offset_at(0), 20);
        assert_eq!(q.progress(), Some(9));
    }

    #[test]
    fn a_failed_revive_is_kept_and_holds_progress() {
        let mut q = ReviveQueue::default();
        q.read_from(|| 0);
        q.on_ck(0, ck(0, 0, &[0, 1]));
        q.read_to(1);
        let mut p = q.take_due(1000).pop().unwrap();
        p.done |= 1; // the first message was re-put, the second failed
        q.put_back(p);
        assert_eq!(q.progress(), Some(0));
        let p = q.take_due(1000).pop().unwrap();
        assert_eq!(p.open().collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn a_checkpoint_with_bits_set_or_nothing_in_it_is_not_kept() {
        let mut q = ReviveQueue::default();
        let mut c = ck(0, 0, &[0, 1]);
        c.bit_map = 0b11;
        q.on_ck(0, c);
        q.on_ck(1, ck(0, 1, &[]));
        assert_eq!(q.len(), 0);
        let mut wide = ck(0, 2, &(0..32).collect::<Vec<_>>());
        wide.num = 32;
        q.on_ck(2, wide.clone());
        assert_eq!(
            q.on_ack(&CkKey::of(&wide), &(0..32).collect::<Vec<_>>()),
            32
        );
        assert_eq!(q.len(), 0);
    }
}
