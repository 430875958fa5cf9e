//! The lite pull consumer's assigned queues (Java `AssignedMessageQueue`): per queue the
//! process queue, the next pull offset, the consumed-up-to offset, a pending seek, and pause.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use ferromq_model::MessageQueue;
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use crate::consumer::process_queue::ProcessQueue;

/// One assigned queue.
#[derive(Debug, Clone)]
pub(crate) struct Assigned {
    pub pq: Arc<ProcessQueue>,
    /// Next offset to pull; −1 until computed.
    pub pull_offset: i64,
    /// Offset after the last polled message; −1 when nothing was polled.
    pub consume_offset: i64,
    /// Requested by `seek`; −1 when none.
    pub seek_offset: i64,
    pub paused: bool,
    /// Stops this queue's pull task.
    pub cancel: CancellationToken,
}

impl Assigned {
    fn new(parent: &CancellationToken) -> Self {
        Assigned {
            pq: Arc::new(ProcessQueue::new()),
            pull_offset: -1,
            consume_offset: -1,
            seek_offset: -1,
            paused: false,
            cancel: parent.child_token(),
        }
    }
}

/// Assigned queues by queue.
#[derive(Debug, Default)]
pub(crate) struct AssignedQueues {
    map: Mutex<BTreeMap<MessageQueue, Assigned>>,
}

impl AssignedQueues {
    /// The queues.
    pub fn queues(&self) -> BTreeSet<MessageQueue> {
        self.map.lock().keys().cloned().collect()
    }

    /// Replaces the assignment of `topic` (or of every topic when `None`) with `new`;
    /// returns the queues added (to start) and the entries removed (to stop).
    pub fn update(
        &self,
        topic: Option<&str>,
        new: &BTreeSet<MessageQueue>,
        parent: &CancellationToken,
    ) -> (Vec<MessageQueue>, Vec<(MessageQueue, Assigned)>) {
        let mut map = self.map.lock();
        let remove: Vec<MessageQueue> = map
            .keys()
            .filter(|mq| topic.is_none_or(|t| mq.topic == t) && !new.contains(*mq))
            .cloned()
            .collect();
        let removed = remove
            .into_iter()
            .filter_map(|mq| map.remove(&mq).map(|a| (mq, a)))
            .collect();
        let mut added = Vec::new();
        for mq in new {
            if !map.contains_key(mq) {
                map.insert(mq.clone(), Assigned::new(parent));
                added.push(mq.clone());
            }
        }
        (added, removed)
    }

    /// A copy of `mq`'s entry.
    pub fn get(&self, mq: &MessageQueue) -> Option<Assigned> {
        self.map.lock().get(mq).cloned()
    }

    /// Edits `mq`'s entry.
    pub fn with<R>(&self, mq: &MessageQueue, f: impl FnOnce(&mut Assigned) -> R) -> Option<R> {
        self.map.lock().get_mut(mq).map(f)
    }

    /// Replaces `mq`'s pull task token (after a seek); returns the new token.
    pub fn renew_task(
        &self,
        mq: &MessageQueue,
        parent: &CancellationToken,
    ) -> Option<CancellationToken> {
        self.with(mq, |a| {
            a.cancel.cancel();
            a.cancel = parent.child_token();
            a.cancel.clone()
        })
    }

    /// The next pull offset: a pending seek wins (and becomes the consumed offset), else the
    /// stored pull offset; `None` when it must be computed.
    pub fn next_pull_offset(&self, mq: &MessageQueue) -> Option<i64> {
        self.with(mq, |a| {
            if a.seek_offset >= 0 {
                let o = a.seek_offset;
                a.consume_offset = o;
                a.seek_offset = -1;
                Some(o)
            } else if a.pull_offset >= 0 {
                Some(a.pull_offset)
            } else {
                None
            }
        })
        .flatten()
    }

    /// Every `(queue, consumed offset)` with something polled.
    pub fn consumed_offsets(&self) -> Vec<(MessageQueue, i64)> {
        self.map
            .lock()
            .iter()
            .filter(|(_, a)| a.consume_offset >= 0 && !a.pq.is_dropped())
            .map(|(mq, a)| (mq.clone(), a.consume_offset))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_changes_and_seek() {
        let t = AssignedQueues::default();
        let root = CancellationToken::new();
        let q = |i| MessageQueue::new("T", "b", i);
        let (added, removed) = t.update(None, &[q(0), q(1)].into(), &root);
        assert_eq!((added.len(), removed.len()), (2, 0));
        assert_eq!(t.next_pull_offset(&q(0)), None);
        t.with(&q(0), |a| a.pull_offset = 5);
        assert_eq!(t.next_pull_offset(&q(0)), Some(5));
        t.with(&q(0), |a| a.seek_offset = 2);
        assert_eq!(t.next_pull_offset(&q(0)), Some(2));
        assert_eq!(t.get(&q(0)).unwrap().consume_offset, 2);
        assert_eq!(t.next_pull_offset(&q(0)), Some(5), "a seek applies once");
        let old = t.get(&q(1)).unwrap().cancel;
        t.renew_task(&q(1), &root);
        assert!(old.is_cancelled());
        let (added, removed) = t.update(Some("T"), &[q(1), q(2)].into(), &root);
        assert_eq!(added, vec![q(2)]);
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].0, q(0));
        assert_eq!(t.consumed_offsets().len(), 0);
        assert_eq!(t.queues().len(), 2);
    }
}
