//! What a store needs when its broker's role changes at run time (controller mode): a slave
//! appends its master's bytes raw, so the writer's next queue offsets never moved; before the
//! broker takes writes as master they are rebuilt from the queues (Java's
//! `recoverTopicQueueTable` in `changeToMaster`).

use crate::queue_offsets::QueueOffsetTable;
use crate::store::MessageStore;

impl MessageStore {
    /// Re-seeds the next offset of every queue from its ConsumeQueue. Call it once the
    /// dispatcher has caught up ([`MessageStore::wait_dispatched`]) and before any put.
    pub fn recover_queue_offsets(&self) {
        let s = &self.shared;
        let mut next = QueueOffsetTable::default();
        for cq in s.cqs.all() {
            next.set(cq.topic(), cq.queue_id(), cq.max_offset_in_queue());
        }
        s.log.lock_writer().queue_offsets = next;
        tracing::info!("queue offsets recovered from the consume queues");
    }
}
