//! Queue locks for ordered consumption: `LOCK_BATCH_MQ` (41) and `UNLOCK_BATCH_MQ` (42).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::lenient;
use crate::message_queue::MessageQueue;

/// `{"clientId":"…","consumerGroup":"cg","mqSet":[MessageQueue,…],"onlyThisBroker":false}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LockBatchRequestBody {
    /// Client asking for the locks.
    #[serde(deserialize_with = "lenient::string")]
    pub client_id: String,
    /// Its consumer group.
    #[serde(deserialize_with = "lenient::string")]
    pub consumer_group: String,
    /// Queues to lock.
    #[serde(deserialize_with = "lenient::null_default")]
    pub mq_set: BTreeSet<MessageQueue>,
    /// 5.x: do not forward to the other replicas of the broker group.
    #[serde(deserialize_with = "lenient::boolean")]
    pub only_this_broker: bool,
}

/// `{"lockOKMQSet":[MessageQueue,…]}`: the queues now locked by the requester.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LockBatchResponseBody {
    /// Queues locked.
    #[serde(rename = "lockOKMQSet", deserialize_with = "lenient::null_default")]
    pub lock_ok_mq_set: BTreeSet<MessageQueue>,
}

/// Same shape as [`LockBatchRequestBody`]; releases the locks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UnlockBatchRequestBody {
    /// Client releasing the locks.
    #[serde(deserialize_with = "lenient::string")]
    pub client_id: String,
    /// Its consumer group.
    #[serde(deserialize_with = "lenient::string")]
    pub consumer_group: String,
    /// Queues to unlock.
    #[serde(deserialize_with = "lenient::null_default")]
    pub mq_set: BTreeSet<MessageQueue>,
    /// 5.x: do not forward to the other replicas of the broker group.
    #[serde(deserialize_with = "lenient::boolean")]
    pub only_this_broker: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastjson::from_fastjson;
    use crate::message_queue::tests::arb_message_queue;
    use proptest::prelude::*;

    #[test]
    fn reads_go_lock_request_and_writes_java_response() {
        // The Go client sends no onlyThisBroker and uses its own field order.
        let go = r#"{"consumerGroup":"cg","clientId":"c1","mqSet":[{"topic":"T","brokerName":"b","queueId":1},{"topic":"T","brokerName":"b","queueId":0}]}"#;
        let req: LockBatchRequestBody = from_fastjson(go).unwrap();
        assert_eq!(
            req.mq_set.iter().map(|m| m.queue_id).collect::<Vec<_>>(),
            [0, 1]
        );
        assert!(!req.only_this_broker);
        let resp = LockBatchResponseBody {
            lock_ok_mq_set: req.mq_set,
        };
        assert_eq!(
            serde_json::to_string(&resp).unwrap(),
            r#"{"lockOKMQSet":[{"brokerName":"b","queueId":0,"topic":"T"},{"brokerName":"b","queueId":1,"topic":"T"}]}"#
        );
    }

    proptest! {
        #[test]
        fn round_trips(mqs in prop::collection::btree_set(arb_message_queue(), 0..5), only in any::<bool>(),
                       client in "[a-z0-9@#.]{1,16}", group in "[a-zA-Z_]{1,10}") {
            let lock = LockBatchRequestBody { client_id: client.clone(), consumer_group: group.clone(), mq_set: mqs.clone(), only_this_broker: only };
            prop_assert_eq!(from_fastjson::<LockBatchRequestBody>(&serde_json::to_string(&lock).unwrap()).unwrap(), lock);
            let unlock = UnlockBatchRequestBody { client_id: client, consumer_group: group, mq_set: mqs.clone(), only_this_broker: only };
            prop_assert_eq!(from_fastjson::<UnlockBatchRequestBody>(&serde_json::to_string(&unlock).unwrap()).unwrap(), unlock);
            let resp = LockBatchResponseBody { lock_ok_mq_set: mqs };
            prop_assert_eq!(from_fastjson::<LockBatchResponseBody>(&serde_json::to_string(&resp).unwrap()).unwrap(), resp);
        }
    }
}
