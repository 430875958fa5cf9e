//! In-memory consumer offsets (Java's `ControllableOffset` per queue): the next offset to
//! consume per queue, updated as messages finish, optionally only forwards, and frozen when an
//! illegal offset was corrected so late updates cannot undo the correction.

use std::collections::{BTreeSet, HashMap};

use ferromq_model::MessageQueue;
use parking_lot::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    offset: i64,
    frozen: bool,
}

/// Offsets by queue.
#[derive(Debug, Default)]
pub(super) struct OffsetTable {
    entries: Mutex<HashMap<MessageQueue, Entry>>,
}

impl OffsetTable {
    /// An empty table.
    pub(super) fn new() -> Self {
        Self::default()
    }

    /// Sets `mq`'s offset. With `increase_only` a smaller value is ignored; a frozen entry is
    /// never changed. A new queue takes the value as is.
    pub(super) fn update(&self, mq: &MessageQueue, offset: i64, increase_only: bool) {
        let mut e = self.entries.lock();
        match e.get_mut(mq) {
            None => {
                e.insert(
                    mq.clone(),
                    Entry {
                        offset,
                        frozen: false,
                    },
                );
            }
            Some(entry) if entry.frozen => {}
            Some(entry) => {
                entry.offset = if increase_only {
                    entry.offset.max(offset)
                } else {
                    offset
                };
            }
        }
    }

    /// Sets `mq`'s offset and freezes it.
    pub(super) fn update_and_freeze(&self, mq: &MessageQueue, offset: i64) {
        self.entries.lock().insert(
            mq.clone(),
            Entry {
                offset,
                frozen: true,
            },
        );
    }

    /// `mq`'s offset.
    pub(super) fn get(&self, mq: &MessageQueue) -> Option<i64> {
        self.entries.lock().get(mq).map(|e| e.offset)
    }

    /// Forgets `mq` (also lifts a freeze).
    pub(super) fn remove(&self, mq: &MessageQueue) {
        self.entries.lock().remove(mq);
    }

    /// Every offset, optionally of one topic.
    pub(super) fn snapshot(&self, topic: Option<&str>) -> HashMap<MessageQueue, i64> {
        self.entries
            .lock()
            .iter()
            .filter(|(mq, _)| topic.is_none_or(|t| mq.topic == t))
            .map(|(mq, e)| (mq.clone(), e.offset))
            .collect()
    }

    /// Splits the table for a periodic commit: the offsets of `assigned` queues, and drops
    /// every other queue (Java `persistAll` forgets queues no longer assigned).
    pub(super) fn take_for_commit(
        &self,
        assigned: &BTreeSet<MessageQueue>,
    ) -> Vec<(MessageQueue, i64)> {
        let mut e = self.entries.lock();
        e.retain(|mq, _| assigned.contains(mq));
        let mut out: Vec<_> = e.iter().map(|(mq, v)| (mq.clone(), v.offset)).collect();
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mq(i: i32) -> MessageQueue {
        MessageQueue::new("T", "b", i)
    }

    #[test]
    fn increase_only_and_freeze() {
        let t = OffsetTable::new();
        t.update(&mq(0), 10, true);
        assert_eq!(t.get(&mq(0)), Some(10));
        t.update(&mq(0), 5, true);
        assert_eq!(
            t.get(&mq(0)),
            Some(10),
            "never moves back with increase_only"
        );
        t.update(&mq(0), 5, false);
        assert_eq!(t.get(&mq(0)), Some(5), "explicit reset");
        t.update_and_freeze(&mq(0), 100);
        t.update(&mq(0), 200, true);
        t.update(&mq(0), 1, false);
        assert_eq!(t.get(&mq(0)), Some(100), "frozen");
        t.remove(&mq(0));
        t.update(&mq(0), 3, true);
        assert_eq!(t.get(&mq(0)), Some(3), "removal lifts the freeze");
    }

    #[test]
    fn commit_drops_unassigned() {
        let t = OffsetTable::new();
        for i in 0..4 {
            t.update(&mq(i), i64::from(i) * 10, false);
        }
        t.update(&MessageQueue::new("U", "b", 0), 7, false);
        assert_eq!(t.snapshot(Some("U")).len(), 1);
        let keep: BTreeSet<_> = [mq(1), mq(3)].into();
        assert_eq!(t.take_for_commit(&keep), vec![(mq(1), 10), (mq(3), 30)]);
        assert_eq!(t.snapshot(None).len(), 2);
    }
}
