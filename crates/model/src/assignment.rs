//! 5.x server-side rebalance: `QUERY_ASSIGNMENT` (400) and `SET_MESSAGE_REQUEST_MODE` (401).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::enums::{MessageModel, MessageRequestMode};
use crate::lenient;
use crate::message_queue::MessageQueue;

/// `{"clientId":…,"consumerGroup":…,"messageModel":"CLUSTERING","strategyName":"AVG","topic":…}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QueryAssignmentRequestBody {
    /// Requesting client.
    #[serde(deserialize_with = "lenient::string")]
    pub client_id: String,
    /// Its consumer group.
    #[serde(deserialize_with = "lenient::string")]
    pub consumer_group: String,
    /// Clustering or broadcasting.
    #[serde(deserialize_with = "lenient::or_default")]
    pub message_model: MessageModel,
    /// Allocation strategy name (`AVG`, `AVG_BY_CIRCLE`, …).
    #[serde(deserialize_with = "lenient::string")]
    pub strategy_name: String,
    /// Topic to assign.
    #[serde(deserialize_with = "lenient::string")]
    pub topic: String,
}

/// One assigned queue and how to consume it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessageQueueAssignment {
    /// Extra properties, if any.
    #[serde(
        deserialize_with = "lenient::null_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub attachments: Option<BTreeMap<String, String>>,
    /// The queue.
    #[serde(deserialize_with = "lenient::null_default")]
    pub message_queue: MessageQueue,
    /// Pull or pop.
    #[serde(deserialize_with = "lenient::or_default")]
    pub mode: MessageRequestMode,
}

/// `{"messageQueueAssignments":[MessageQueueAssignment,…]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QueryAssignmentResponseBody {
    /// The client's queues.
    #[serde(deserialize_with = "lenient::null_default")]
    pub message_queue_assignments: Vec<MessageQueueAssignment>,
}

/// `{"consumerGroup":…,"mode":"POP","popShareQueueNum":0,"topic":…}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SetMessageRequestModeRequestBody {
    /// Consumer group.
    #[serde(deserialize_with = "lenient::string")]
    pub consumer_group: String,
    /// Pull or pop.
    #[serde(deserialize_with = "lenient::or_default")]
    pub mode: MessageRequestMode,
    /// Clients sharing each queue in pop mode.
    #[serde(deserialize_with = "lenient::int")]
    pub pop_share_queue_num: i32,
    /// Topic.
    #[serde(deserialize_with = "lenient::string")]
    pub topic: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastjson::from_fastjson;
    use crate::message_queue::tests::arb_message_queue;
    use proptest::prelude::*;

    #[test]
    fn shapes() {
        let req: QueryAssignmentRequestBody = from_fastjson(
            r#"{"clientId":"c","consumerGroup":"g","messageModel":"BROADCASTING","strategyName":"AVG","topic":"T"}"#,
        )
        .unwrap();
        assert_eq!(req.message_model, MessageModel::Broadcasting);
        let resp = QueryAssignmentResponseBody {
            message_queue_assignments: vec![MessageQueueAssignment {
                attachments: None,
                message_queue: MessageQueue::new("T", "b", 0),
                mode: MessageRequestMode::Pop,
            }],
        };
        assert_eq!(
            serde_json::to_string(&resp).unwrap(),
            r#"{"messageQueueAssignments":[{"messageQueue":{"brokerName":"b","queueId":0,"topic":"T"},"mode":"POP"}]}"#
        );
        let mode: SetMessageRequestModeRequestBody =
            from_fastjson(r#"{"consumerGroup":"g","topic":"T"}"#).unwrap();
        assert_eq!(mode.mode, MessageRequestMode::Pull);
    }

    proptest! {
        #[test]
        fn round_trips(mqs in prop::collection::vec((arb_message_queue(), any::<bool>(),
                           proptest::option::of(prop::collection::btree_map("[a-z]{1,4}", "[a-z]{0,4}", 0..2))), 0..4),
                       names in ("[a-z@#0-9]{1,10}", "[a-zA-Z_]{1,10}", "[A-Z_]{1,12}", "[A-Za-z]{1,10}"),
                       broadcast in any::<bool>(), share in 0..8i32) {
            let req = QueryAssignmentRequestBody {
                client_id: names.0, consumer_group: names.1.clone(),
                message_model: if broadcast { MessageModel::Broadcasting } else { MessageModel::Clustering },
                strategy_name: names.2, topic: names.3.clone(),
            };
            prop_assert_eq!(from_fastjson::<QueryAssignmentRequestBody>(&serde_json::to_string(&req).unwrap()).unwrap(), req);
            let resp = QueryAssignmentResponseBody {
                message_queue_assignments: mqs.into_iter().map(|(mq, pop, attachments)| MessageQueueAssignment {
                    attachments, message_queue: mq,
                    mode: if pop { MessageRequestMode::Pop } else { MessageRequestMode::Pull },
                }).collect(),
            };
            prop_assert_eq!(from_fastjson::<QueryAssignmentResponseBody>(&serde_json::to_string(&resp).unwrap()).unwrap(), resp);
            let set = SetMessageRequestModeRequestBody {
                consumer_group: names.1, mode: MessageRequestMode::Pop, pop_share_queue_num: share, topic: names.3,
            };
            prop_assert_eq!(from_fastjson::<SetMessageRequestModeRequestBody>(&serde_json::to_string(&set).unwrap()).unwrap(), set);
        }
    }
}
