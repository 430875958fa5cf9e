//! Putting a parked message back into its real topic — what the delay-level service, the
//! timer and a transaction commit do with `REAL_TOPIC` / `REAL_QID`.
//!
//! Those properties were written by the broker when it parked the message, but the record
//! they sit in is a client's message: the target is checked again before anything is stored
//! (a valid name, a topic that exists and that clients may write, one of its queues), and a
//! put that can never succeed is dropped instead of being retried on every tick.

use ferromq_model::{names, validate};
use ferromq_protocol::message::properties::{keys, Properties};
use ferromq_store::PutMessageStatus;

use crate::tables::TopicTable;

/// Why a parked message has no valid place to go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RepostError {
    /// `REAL_TOPIC` or `REAL_QID` is missing or not a number.
    #[error("the parked message has no usable REAL_TOPIC/REAL_QID")]
    MissingTarget,
    /// `REAL_TOPIC` is not a topic name.
    #[error("REAL_TOPIC {0:?} is not a topic name")]
    InvalidTopic(String),
    /// `REAL_TOPIC` is one of the broker's own topics.
    #[error("REAL_TOPIC {0} is a system topic")]
    SystemTopic(String),
    /// `REAL_TOPIC` does not exist (any more).
    #[error("REAL_TOPIC {0} does not exist")]
    NoSuchTopic(String),
    /// `REAL_QID` is not one of the topic's queues.
    #[error("REAL_QID {queue_id} is not a queue of {topic} ({queues} queues)")]
    BadQueue {
        topic: String,
        queue_id: i32,
        queues: i32,
    },
}

/// The checked `(topic, queue)` a parked message goes back to.
pub(crate) fn real_target(
    topics: &TopicTable,
    props: &Properties,
) -> Result<(String, i32), RepostError> {
    let topic = props
        .get(keys::REAL_TOPIC)
        .ok_or(RepostError::MissingTarget)?;
    let queue_id: i32 = props
        .get(keys::REAL_QUEUE_ID)
        .and_then(|q| q.trim().parse().ok())
        .ok_or(RepostError::MissingTarget)?;
    if validate::validate_topic(topic).is_err() {
        return Err(RepostError::InvalidTopic(topic.to_string()));
    }
    if !names::is_client_writable(topic) {
        return Err(RepostError::SystemTopic(topic.to_string()));
    }
    let cfg = topics
        .get(topic)
        .ok_or_else(|| RepostError::NoSuchTopic(topic.to_string()))?;
    let queues = cfg.read_queue_nums.max(cfg.write_queue_nums);
    if queue_id < 0 || queue_id >= queues {
        return Err(RepostError::BadQueue {
            topic: topic.to_string(),
            queue_id,
            queues,
        });
    }
    Ok((topic.to_string(), queue_id))
}

/// What to do after a re-put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PutOutcome {
    /// In the CommitLog: move on.
    Stored,
    /// The store cannot take it now (disk full, read-only, busy): try again later.
    Retry,
    /// It can never be stored (illegal message): log, count and move on.
    Drop,
}

/// Classifies a put status for a service that re-puts parked messages.
pub(crate) fn classify(status: PutMessageStatus) -> PutOutcome {
    if status.is_stored() {
        return PutOutcome::Stored;
    }
    match status {
        PutMessageStatus::MessageIllegal | PutMessageStatus::PropertiesSizeExceeded => {
            PutOutcome::Drop
        }
        _ => PutOutcome::Retry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq_config::BrokerConfig;
    use ferromq_model::TopicConfig;

    fn table(dir: &std::path::Path) -> TopicTable {
        let mut c = BrokerConfig::default();
        c.store.store_path_root_dir = dir.to_string_lossy().into_owned();
        let t = TopicTable::load(&c).unwrap();
        t.put(TopicConfig::with_queues("Real", 2, 4, 6)).unwrap();
        t
    }

    fn props(topic: &str, qid: &str) -> Properties {
        let mut p = Properties::new();
        p.insert(keys::REAL_TOPIC, topic);
        p.insert(keys::REAL_QUEUE_ID, qid);
        p
    }

    #[test]
    fn targets_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let t = table(dir.path());
        assert_eq!(real_target(&t, &props("Real", "3")), Ok(("Real".into(), 3)));
        assert_eq!(
            real_target(&t, &Properties::new()),
            Err(RepostError::MissingTarget)
        );
        assert_eq!(
            real_target(&t, &props("Real", "x")),
            Err(RepostError::MissingTarget)
        );
        assert!(matches!(
            real_target(&t, &props("../x", "0")),
            Err(RepostError::InvalidTopic(_))
        ));
        for sys in [
            names::TRANS_HALF_TOPIC,
            names::TIMER_TOPIC,
            names::SCHEDULE_TOPIC,
        ] {
            assert_eq!(
                real_target(&t, &props(sys, "0")),
                Err(RepostError::SystemTopic(sys.into()))
            );
        }
        assert!(matches!(
            real_target(&t, &props("Gone", "0")),
            Err(RepostError::NoSuchTopic(_))
        ));
        assert!(matches!(
            real_target(&t, &props("Real", "4")),
            Err(RepostError::BadQueue { queues: 4, .. })
        ));
        assert!(matches!(
            real_target(&t, &props("Real", "-1")),
            Err(RepostError::BadQueue { .. })
        ));
    }

    #[test]
    fn only_illegal_messages_are_dropped() {
        assert_eq!(classify(PutMessageStatus::PutOk), PutOutcome::Stored);
        assert_eq!(
            classify(PutMessageStatus::FlushDiskTimeout),
            PutOutcome::Stored
        );
        assert_eq!(classify(PutMessageStatus::DiskFull), PutOutcome::Retry);
        assert_eq!(
            classify(PutMessageStatus::ServiceNotAvailable),
            PutOutcome::Retry
        );
        assert_eq!(classify(PutMessageStatus::MessageIllegal), PutOutcome::Drop);
        assert_eq!(
            classify(PutMessageStatus::PropertiesSizeExceeded),
            PutOutcome::Drop
        );
    }
}
