//! The queues a consumer holds (Java's `processQueueTable` and lite pull's
//! `AssignedMessageQueue` in one): per queue the process queue, the pull task's cancel token,
//! the next pull offset, the consumed-up-to offset (lite pull), a pending seek, and a pause.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use ferromq_model::MessageQueue;
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use crate::consumer::process_queue::ProcessQueue;

/// One held queue.
#[derive(Debug, Clone)]
pub(crate) struct HeldQueue {
    pub(crate) pq: Arc<ProcessQueue>,
    /// Next offset to pull; −1 until computed.
    pub(crate) pull_offset: i64,
    /// Offset after the last polled message (lite pull); −1 when nothing was polled.
    pub(crate) consume_offset: i64,
    /// Requested by a seek; −1 when none.
    pub(crate) seek_offset: i64,
    /// Paused by the application (lite pull `pause`).
    pub(crate) paused: bool,
    /// Stops this queue's pull task.
    pub(crate) cancel: CancellationToken,
}

impl HeldQueue {
    fn new(parent: &CancellationToken, pq: Arc<ProcessQueue>, pull_offset: i64) -> Self {
        HeldQueue {
            pq,
            pull_offset,
            consume_offset: -1,
            seek_offset: -1,
            paused: false,
            cancel: parent.child_token(),
        }
    }
}

/// Held queues by queue.
#[derive(Debug, Default)]
pub(crate) struct QueueTable {
    map: Mutex<BTreeMap<MessageQueue, HeldQueue>>,
}

impl QueueTable {
    /// The queues.
    pub(crate) fn queues(&self) -> BTreeSet<MessageQueue> {
        self.map.lock().keys().cloned().collect()
    }

    /// The held queues of `topic`, each with whether it was not pulled for too long (only
    /// when `check_idle`: Java re-creates idle queues of push consumers only).
    pub(crate) fn held(&self, topic: &str, check_idle: bool) -> Vec<(MessageQueue, bool)> {
        let now = Instant::now();
        self.map
            .lock()
            .iter()
            .filter(|(mq, _)| mq.topic == topic)
            .map(|(mq, q)| (mq.clone(), check_idle && q.pq.is_pull_expired(now)))
            .collect()
    }

    /// Every `(queue, process queue)`.
    pub(crate) fn process_queues(&self) -> Vec<(MessageQueue, Arc<ProcessQueue>)> {
        self.map
            .lock()
            .iter()
            .map(|(mq, q)| (mq.clone(), q.pq.clone()))
            .collect()
    }

    /// Holds `mq` with `pq`, pulling from `pull_offset` (−1: compute it first); false when
    /// already held.
    pub(crate) fn insert(
        &self,
        mq: &MessageQueue,
        pq: Arc<ProcessQueue>,
        pull_offset: i64,
        parent: &CancellationToken,
    ) -> bool {
        let mut map = self.map.lock();
        if map.contains_key(mq) {
            return false;
        }
        map.insert(mq.clone(), HeldQueue::new(parent, pq, pull_offset));
        true
    }

    /// Stops holding `mq`.
    pub(crate) fn remove(&self, mq: &MessageQueue) -> Option<HeldQueue> {
        self.map.lock().remove(mq)
    }

    /// Replaces the queues of `topic` (or of every topic when `None`) with `new`; returns the
    /// queues added (to start) and the entries removed (to stop).
    pub(crate) fn update(
        &self,
        topic: Option<&str>,
        new: &BTreeSet<MessageQueue>,
        parent: &CancellationToken,
    ) -> (Vec<MessageQueue>, Vec<(MessageQueue, HeldQueue)>) {
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
                let pq = Arc::new(ProcessQueue::new());
                map.insert(mq.clone(), HeldQueue::new(parent, pq, -1));
                added.push(mq.clone());
            }
        }
        (added, removed)
    }

    /// A copy of `mq`'s entry.
    pub(crate) fn get(&self, mq: &MessageQueue) -> Option<HeldQueue> {
        self.map.lock().get(mq).cloned()
    }

    /// Edits `mq`'s entry.
    pub(crate) fn with<R>(
        &self,
        mq: &MessageQueue,
        f: impl FnOnce(&mut HeldQueue) -> R,
    ) -> Option<R> {
        self.map.lock().get_mut(mq).map(f)
    }

    /// Replaces `mq`'s pull task token (after a seek); returns the new token.
    pub(crate) fn renew_task(
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
    pub(crate) fn next_pull_offset(&self, mq: &MessageQueue) -> Option<i64> {
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

    /// Whether a seek of `mq` waits to be applied.
    pub(crate) fn seek_pending(&self, mq: &MessageQueue) -> bool {
        self.map.lock().get(mq).is_some_and(|a| a.seek_offset >= 0)
    }

    /// Every `(queue, consumed offset)` with something polled.
    pub(crate) fn consumed_offsets(&self) -> Vec<(MessageQueue, i64)> {
        self.map
            .lock()
            .iter()
            .filter(|(_, a)| a.consume_offset >= 0 && !a.pq.is_dropped())
            .map(|(mq, a)| (mq.clone(), a.consume_offset))
            .collect()
    }

    /// Marks every process queue dropped (shutdown).
    pub(crate) fn drop_all(&self) {
        for q in self.map.lock().values() {
            q.pq.set_dropped();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_changes_and_seek() {
        let t = QueueTable::default();
        let root = CancellationToken::new();
        let q = |i| MessageQueue::new("T", "b", i);
        let (added, removed) = t.update(None, &[q(0), q(1)].into(), &root);
        assert_eq!((added.len(), removed.len()), (2, 0));
        assert_eq!(t.next_pull_offset(&q(0)), None);
        t.with(&q(0), |a| a.pull_offset = 5);
        assert_eq!(t.next_pull_offset(&q(0)), Some(5));
        t.with(&q(0), |a| a.seek_offset = 2);
        assert!(t.seek_pending(&q(0)));
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

    #[test]
    fn insert_holds_once_and_idle_check_is_optional() {
        let t = QueueTable::default();
        let root = CancellationToken::new();
        let mq = MessageQueue::new("T", "b", 0);
        assert!(t.insert(&mq, Arc::new(ProcessQueue::new()), 7, &root));
        assert!(!t.insert(&mq, Arc::new(ProcessQueue::new()), 9, &root));
        assert_eq!(t.next_pull_offset(&mq), Some(7));
        let pq = t.get(&mq).unwrap().pq;
        pq.touch_pull(Instant::now() - std::time::Duration::from_secs(200));
        assert_eq!(t.held("T", true), vec![(mq.clone(), true)]);
        assert_eq!(t.held("T", false), vec![(mq.clone(), false)]);
        assert!(t.held("U", true).is_empty());
        t.drop_all();
        assert!(pq.is_dropped());
        assert!(t.remove(&mq).is_some() && t.queues().is_empty());
    }
}
