//! [`QueueOffsetTable`]: the next queue (logical) offset of every topic-queue, assigned by
//! the writer under the append lock and rebuilt from the ConsumeQueues at start-up.

use std::collections::HashMap;

/// Next logical offset per `(topic, queue_id)`.
#[derive(Debug, Default, Clone)]
pub(crate) struct QueueOffsetTable {
    table: HashMap<Box<str>, HashMap<i32, i64>>,
}

impl QueueOffsetTable {
    /// The offset the next message of this queue gets.
    pub(crate) fn next(&self, topic: &str, queue_id: i32) -> i64 {
        self.table
            .get(topic)
            .and_then(|q| q.get(&queue_id))
            .copied()
            .unwrap_or(0)
    }

    /// Advances the queue by `n` messages.
    pub(crate) fn advance(&mut self, topic: &str, queue_id: i32, n: i64) {
        match self.table.get_mut(topic) {
            Some(q) => *q.entry(queue_id).or_insert(0) += n,
            None => {
                let mut q = HashMap::new();
                q.insert(queue_id, n);
                self.table.insert(topic.into(), q);
            }
        }
    }

    /// The table of a log whose queues hold `cqs` and whose records past the dispatched
    /// offset need `undispatched` (see `CommitLog::next_queue_offsets`): per queue the
    /// larger of the two, so no queue offset a record owns is handed out again.
    pub(crate) fn seeded(
        cqs: &crate::consume_queue_table::ConsumeQueueTable,
        undispatched: &HashMap<(String, i32), i64>,
    ) -> Self {
        let mut next = QueueOffsetTable::default();
        for cq in cqs.all() {
            next.set(cq.topic(), cq.queue_id(), cq.max_offset_in_queue());
        }
        for ((topic, queue_id), n) in undispatched {
            if *n > next.next(topic, *queue_id) {
                next.set(topic, *queue_id, *n);
            }
        }
        next
    }

    /// Sets the next offset (recovery, or the broker correcting a queue).
    pub(crate) fn set(&mut self, topic: &str, queue_id: i32, next: i64) {
        self.table
            .entry(topic.into())
            .or_default()
            .insert(queue_id, next);
    }

    /// Forgets a topic (its queues were deleted).
    pub(crate) fn remove_topic(&mut self, topic: &str) {
        self.table.remove(topic);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_queue() {
        let mut t = QueueOffsetTable::default();
        assert_eq!(t.next("A", 0), 0);
        t.advance("A", 0, 1);
        t.advance("A", 0, 3);
        t.advance("A", 1, 1);
        assert_eq!(t.next("A", 0), 4);
        assert_eq!(t.next("A", 1), 1);
        t.set("B", 2, 10);
        assert_eq!(t.next("B", 2), 10);
        t.remove_topic("A");
        assert_eq!(t.next("A", 0), 0);
    }
}
