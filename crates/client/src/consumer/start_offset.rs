//! Where a newly assigned queue starts (Java `computePullFromWhereWithException`): the stored
//! offset if the store has one; otherwise consume-from-where decides — last ⇒ the queue's max
//! offset (0 for retry topics), first ⇒ 0, timestamp ⇒ search by time (max offset for retry
//! topics). A store that cannot be read is an error, never a guess.

use ferromq_model::names::RETRY_GROUP_TOPIC_PREFIX;
use ferromq_model::{ConsumeFromWhere, MessageQueue};

use crate::consumer::offset_store::{OffsetStore, StoredOffset};
use crate::consumer::puller::Puller;
use crate::error::{ClientError, Result};

/// The decision, before any broker look-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StartOffset {
    /// Start here.
    At(i64),
    /// Start at the queue's max offset.
    Max,
    /// Start at the first message stored at or after the consume timestamp.
    ByTimestamp,
    /// The store could not be read: try again later.
    Unavailable,
}

/// Decides the start of `mq` from what the store said.
pub(super) fn decide(
    stored: StoredOffset,
    from: ConsumeFromWhere,
    mq: &MessageQueue,
) -> StartOffset {
    let retry = mq.topic.starts_with(RETRY_GROUP_TOPIC_PREFIX);
    match stored {
        StoredOffset::Found(o) if o >= 0 => StartOffset::At(o),
        StoredOffset::Found(_) | StoredOffset::Failed => StartOffset::Unavailable,
        StoredOffset::NotFound => match from {
            ConsumeFromWhere::ConsumeFromFirstOffset => StartOffset::At(0),
            ConsumeFromWhere::ConsumeFromTimestamp if retry => StartOffset::Max,
            ConsumeFromWhere::ConsumeFromTimestamp => StartOffset::ByTimestamp,
            _ if retry => StartOffset::At(0),
            _ => StartOffset::Max,
        },
    }
}

/// Computes the start offset of `mq`, asking the broker when needed.
pub(crate) async fn compute(
    puller: &dyn Puller,
    store: &OffsetStore,
    from: ConsumeFromWhere,
    timestamp: i64,
    mq: &MessageQueue,
) -> Result<i64> {
    let stored = store.read_from_store(mq).await;
    match decide(stored, from, mq) {
        StartOffset::At(o) => Ok(o),
        StartOffset::Max => puller.max_offset(mq).await,
        StartOffset::ByTimestamp => puller.search_offset(mq, timestamp).await,
        StartOffset::Unavailable => Err(ClientError::Aborted(format!(
            "cannot read the offset of {mq}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConsumeFromWhere::*;

    #[test]
    fn java_rules() {
        let t = MessageQueue::new("T", "b", 0);
        let r = MessageQueue::new("%RETRY%g", "b", 0);
        for from in [
            ConsumeFromLastOffset,
            ConsumeFromFirstOffset,
            ConsumeFromTimestamp,
            ConsumeFromMinOffset,
        ] {
            assert_eq!(
                decide(StoredOffset::Found(7), from, &t),
                StartOffset::At(7),
                "stored offsets always win"
            );
            assert_eq!(
                decide(StoredOffset::Failed, from, &t),
                StartOffset::Unavailable
            );
        }
        assert_eq!(
            decide(StoredOffset::NotFound, ConsumeFromLastOffset, &t),
            StartOffset::Max
        );
        assert_eq!(
            decide(StoredOffset::NotFound, ConsumeFromMaxOffset, &t),
            StartOffset::Max
        );
        assert_eq!(
            decide(StoredOffset::NotFound, ConsumeFromLastOffset, &r),
            StartOffset::At(0)
        );
        assert_eq!(
            decide(StoredOffset::NotFound, ConsumeFromFirstOffset, &t),
            StartOffset::At(0)
        );
        assert_eq!(
            decide(StoredOffset::NotFound, ConsumeFromFirstOffset, &r),
            StartOffset::At(0)
        );
        assert_eq!(
            decide(StoredOffset::NotFound, ConsumeFromTimestamp, &t),
            StartOffset::ByTimestamp
        );
        assert_eq!(
            decide(StoredOffset::NotFound, ConsumeFromTimestamp, &r),
            StartOffset::Max
        );
    }
}
