//! What a store needs when its broker's role changes at run time (controller mode).
//!
//! - A slave appends its master's bytes raw, in batches cut anywhere: if its master dies
//!   mid-batch the log ends inside a record. Before the broker takes writes as master (or
//!   compares logs with a new master), that torn tail goes (Java's `truncateInvalidMsg`).
//! - The writer's next queue offsets never moved during raw appends; before the broker takes
//!   writes as master they are rebuilt from the queues (Java's `recoverTopicQueueTable` in
//!   `changeToMaster`).

use crate::commit_log::{scan_record, Scanned};
use crate::error::StoreError;
use crate::queue_offsets::QueueOffsetTable;
use crate::store::MessageStore;

impl MessageStore {
    /// Re-seeds the next offset of every queue from its ConsumeQueue and from the records
    /// not dispatched yet (held back by the confirm gate, or still on their way): a queue
    /// offset handed out twice would leave one of the two messages out of its queue. Call it
    /// before any put.
    pub fn recover_queue_offsets(&self) {
        let s = &self.shared;
        let mut w = s.log.lock_writer();
        let reput = s.dispatcher.reput_offset();
        let undispatched = s.log.next_queue_offsets(reput, s.log.max_offset());
        w.queue_offsets = QueueOffsetTable::seeded(&s.cqs, &undispatched);
        tracing::info!(
            undispatched_queues = undispatched.len(),
            "queue offsets recovered from the consume queues"
        );
    }

    /// The end of the last whole record: walks the records from the dispatched offset and
    /// stops at the first that is incomplete or unreadable.
    pub fn valid_end(&self) -> u64 {
        let s = &self.shared;
        let max = s.log.max_offset();
        let mut pos = s.dispatcher.reput_offset().min(max);
        while pos < max {
            let Some(f) = s.log.files().find(pos) else {
                break;
            };
            let Some(buf) = f.slice(0, f.wrote_position() as usize) else {
                break;
            };
            match scan_record(buf, (pos - f.start_offset()) as usize, false) {
                Scanned::Record(v) => pos += v.total_size() as u64,
                Scanned::Blank => pos = f.start_offset() + f.size(),
                Scanned::End => break,
            }
        }
        pos.min(max)
    }

    /// Cuts a torn tail (see [`MessageStore::valid_end`]); returns the bytes removed.
    pub fn truncate_invalid_tail(&self) -> Result<u64, StoreError> {
        let end = self.valid_end();
        if end >= self.shared.log.max_offset() {
            return Ok(0);
        }
        tracing::warn!(end, "cutting a torn record at the end of the commitlog");
        self.truncate_to(end)
    }
}
