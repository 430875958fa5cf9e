//! Reading a system queue — a delay level of `SCHEDULE_TOPIC_XXXX`, the timer queue, the
//! transaction half and op queues — in order and in batches: the walk every delayed-delivery
//! service does, written once.

use bytes::Bytes;
use ferromq_store::{GetMessageStatus, MessageStore};

/// Records read per batch.
const BATCH: usize = 32;

/// What a visitor wants after one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Visit {
    /// Done with this record: continue after it.
    Next,
    /// Stop here: the walk resumes at this record next time.
    Stop,
}

/// Visits the records of `topic`/`queue` from `from` in order until `visit` says
/// [`Visit::Stop`] or the queue has no more. Returns where to resume: just past the last
/// record visited with [`Visit::Next`], at the one visited with [`Visit::Stop`]. When the
/// queue's files were deleted under the reader, or the queue is behind `from` (a truncated
/// store), the walk moves to the queue's boundary and returns it.
pub(crate) fn walk(
    store: &MessageStore,
    topic: &str,
    queue: i32,
    from: i64,
    mut visit: impl FnMut(i64, &Bytes) -> Visit,
) -> i64 {
    let mut offset = from;
    loop {
        let r = store.get_messages(topic, queue, offset, BATCH, usize::MAX, None);
        match r.status {
            GetMessageStatus::Found => {}
            GetMessageStatus::OffsetTooSmall | GetMessageStatus::OffsetOverflowBadly => {
                return r.next_begin_offset;
            }
            _ => return offset,
        }
        for (bytes, queue_offset) in r.messages.iter().zip(&r.queue_offsets) {
            if visit(*queue_offset, bytes) == Visit::Stop {
                return *queue_offset;
            }
            offset = queue_offset + 1;
        }
        // Entries skipped by the store (blanks, a removed file) still move the walk on.
        if r.next_begin_offset <= offset && r.messages.is_empty() {
            return offset;
        }
        offset = offset.max(r.next_begin_offset);
    }
}
