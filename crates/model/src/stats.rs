//! Admin statistics keyed by queue: `GET_CONSUME_STATS` (consumer lag), `GET_TOPIC_STATS_INFO`
//! (queue offsets) and `QUERY_CONSUME_TIME_SPAN`.
//!
//! Java writes the first two as fastjson maps with `MessageQueue` object keys, and Java tooling
//! reads them back that way, so they have explicit `to_fastjson_string`/`from_fastjson`. Their
//! serde form (standard JSON) puts each queue's JSON in a string key.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::lenient;
use crate::message_queue::{mq_map, to_fastjson_string, MessageQueue};

/// One queue's consumption progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OffsetWrapper {
    /// Queue max offset on the broker.
    #[serde(deserialize_with = "lenient::int")]
    pub broker_offset: i64,
    /// Committed offset of the group.
    #[serde(deserialize_with = "lenient::int")]
    pub consumer_offset: i64,
    /// Store time of the last consumed message (ms).
    #[serde(deserialize_with = "lenient::int")]
    pub last_timestamp: i64,
    /// Pull offset (5.x pop/lite pull).
    #[serde(deserialize_with = "lenient::int")]
    pub pull_offset: i64,
}

/// `{"consumeTps":0.0,"offsetTable":{{mq}:OffsetWrapper,…}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumeStats {
    /// Messages consumed per second by the group.
    #[serde(deserialize_with = "lenient::float")]
    pub consume_tps: f64,
    /// Progress per queue.
    #[serde(with = "mq_map")]
    pub offset_table: HashMap<MessageQueue, OffsetWrapper>,
}

impl ConsumeStats {
    /// Total lag: Σ (brokerOffset − consumerOffset).
    pub fn total_diff(&self) -> i64 {
        self.offset_table
            .values()
            .map(|o| o.broker_offset.saturating_sub(o.consumer_offset))
            .fold(0i64, i64::saturating_add)
    }

    /// The fastjson form Java's `DefaultMQAdminExt` parses.
    pub fn to_fastjson_string(&self) -> Result<String, ModelError> {
        to_fastjson_string(self, &["offsetTable"])
    }

    /// Reads fastjson (object keys) or standard JSON.
    pub fn from_fastjson(text: &str) -> Result<Self, ModelError> {
        crate::fastjson::from_fastjson(text)
    }
}

/// One queue's offsets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicOffset {
    /// Store time of the last message (ms).
    #[serde(deserialize_with = "lenient::int")]
    pub last_update_timestamp: i64,
    /// Next offset to be written.
    #[serde(deserialize_with = "lenient::int")]
    pub max_offset: i64,
    /// Oldest offset still stored.
    #[serde(deserialize_with = "lenient::int")]
    pub min_offset: i64,
}

/// `{"offsetTable":{{mq}:TopicOffset,…},"topicPutTps":0.0}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicStatsTable {
    /// Offsets per queue.
    #[serde(with = "mq_map")]
    pub offset_table: HashMap<MessageQueue, TopicOffset>,
    /// Messages written per second.
    #[serde(deserialize_with = "lenient::float")]
    pub topic_put_tps: f64,
}

impl TopicStatsTable {
    /// The fastjson form Java's `DefaultMQAdminExt` parses.
    pub fn to_fastjson_string(&self) -> Result<String, ModelError> {
        to_fastjson_string(self, &["offsetTable"])
    }

    /// Reads fastjson (object keys) or standard JSON.
    pub fn from_fastjson(text: &str) -> Result<Self, ModelError> {
        crate::fastjson::from_fastjson(text)
    }
}

/// How far a group's consumption is behind in time, for one queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QueueTimeSpan {
    /// Store time of the message at the consumer offset (ms).
    #[serde(deserialize_with = "lenient::int")]
    pub consume_time_stamp: i64,
    /// `maxTimeStamp − consumeTimeStamp`.
    #[serde(deserialize_with = "lenient::int")]
    pub delay_time: i64,
    /// Store time of the newest message (ms).
    #[serde(deserialize_with = "lenient::int")]
    pub max_time_stamp: i64,
    /// The queue.
    #[serde(deserialize_with = "lenient::null_default")]
    pub message_queue: MessageQueue,
    /// Store time of the oldest message (ms).
    #[serde(deserialize_with = "lenient::int")]
    pub min_time_stamp: i64,
}

/// `QUERY_CONSUME_TIME_SPAN` response: `{"consumeTimeSpanSet":[QueueTimeSpan,…]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QueryConsumeTimeSpanBody {
    /// One entry per queue.
    #[serde(deserialize_with = "lenient::null_default")]
    pub consume_time_span_set: Vec<QueueTimeSpan>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message_queue::tests::arb_message_queue;
    use proptest::prelude::*;

    /// As Java's `ConsumeStats.encode()` writes it.
    const JAVA_CONSUME_STATS: &str = r#"{"consumeTps":1.5,"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:{"brokerOffset":100,"consumerOffset":98,"lastTimestamp":1700000000000,"pullOffset":100},{"brokerName":"broker-a","queueId":1,"topic":"T"}:{"brokerOffset":7,"consumerOffset":7,"lastTimestamp":0,"pullOffset":7}}}"#;

    #[test]
    fn reads_and_writes_java_consume_stats() {
        let stats = ConsumeStats::from_fastjson(JAVA_CONSUME_STATS).unwrap();
        assert_eq!(stats.consume_tps, 1.5);
        assert_eq!(
            stats.offset_table[&MessageQueue::new("T", "broker-a", 0)].consumer_offset,
            98
        );
        assert_eq!(stats.total_diff(), 2);
        assert_eq!(stats.to_fastjson_string().unwrap(), JAVA_CONSUME_STATS);
    }

    #[test]
    fn reads_and_writes_java_topic_stats() {
        let java = r#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"lastUpdateTimestamp":1700000000000,"maxOffset":10,"minOffset":0}},"topicPutTps":0.0}"#;
        let stats = TopicStatsTable::from_fastjson(java).unwrap();
        assert_eq!(
            stats.offset_table[&MessageQueue::new("T", "b", 0)].max_offset,
            10
        );
        assert_eq!(stats.to_fastjson_string().unwrap(), java);
        // The serde form is standard JSON with the queue in a string key.
        let standard = serde_json::to_string(&stats).unwrap();
        assert!(
            standard.starts_with(r#"{"offsetTable":{"{\"brokerName\":\"b\""#),
            "{standard}"
        );
        assert_eq!(TopicStatsTable::from_fastjson(&standard).unwrap(), stats);
        let empty = TopicStatsTable::default().to_fastjson_string().unwrap();
        assert_eq!(empty, r#"{"offsetTable":{},"topicPutTps":0.0}"#);
    }

    #[test]
    fn reads_pretty_printed_object_keys() {
        let pretty = "{\n\t\"consumeTps\":0.0,\n\t\"offsetTable\":{\n\t\t{\n\t\t\t\"brokerName\":\"b\",\n\t\t\t\"queueId\":2,\n\t\t\t\"topic\":\"T\"\n\t\t}:{\n\t\t\t\"brokerOffset\":5\n\t\t}\n\t}\n}";
        let stats = ConsumeStats::from_fastjson(pretty).unwrap();
        assert_eq!(
            stats.offset_table[&MessageQueue::new("T", "b", 2)].broker_offset,
            5
        );
    }

    fn finite_tps() -> impl Strategy<Value = f64> {
        (0..1_000_000i64).prop_map(|n| n as f64 / 8.0)
    }

    proptest! {
        #[test]
        fn consume_stats_round_trips(tps in finite_tps(),
                                     table in prop::collection::hash_map(arb_message_queue(), any::<[i64; 4]>(), 0..6)) {
            let stats = ConsumeStats {
                consume_tps: tps,
                offset_table: table.into_iter().map(|(mq, o)| (mq, OffsetWrapper {
                    broker_offset: o[0], consumer_offset: o[1], last_timestamp: o[2], pull_offset: o[3],
                })).collect(),
            };
            prop_assert_eq!(ConsumeStats::from_fastjson(&stats.to_fastjson_string().unwrap()).unwrap(), stats.clone());
            prop_assert_eq!(ConsumeStats::from_fastjson(&serde_json::to_string(&stats).unwrap()).unwrap(), stats);
        }

        #[test]
        fn topic_stats_round_trips(tps in finite_tps(),
                                   table in prop::collection::hash_map(arb_message_queue(), any::<[i64; 3]>(), 0..6)) {
            let stats = TopicStatsTable {
                offset_table: table.into_iter().map(|(mq, o)| (mq, TopicOffset {
                    last_update_timestamp: o[0], max_offset: o[1], min_offset: o[2],
                })).collect(),
                topic_put_tps: tps,
            };
            prop_assert_eq!(TopicStatsTable::from_fastjson(&stats.to_fastjson_string().unwrap()).unwrap(), stats.clone());
            prop_assert_eq!(TopicStatsTable::from_fastjson(&serde_json::to_string(&stats).unwrap()).unwrap(), stats);
        }

        #[test]
        fn time_span_round_trips(spans in prop::collection::vec((arb_message_queue(), any::<[i64; 4]>()), 0..4)) {
            let body = QueryConsumeTimeSpanBody {
                consume_time_span_set: spans.into_iter().map(|(mq, t)| QueueTimeSpan {
                    consume_time_stamp: t[0], delay_time: t[1], max_time_stamp: t[2], message_queue: mq, min_time_stamp: t[3],
                }).collect(),
            };
            let json = serde_json::to_string(&body).unwrap();
            prop_assert_eq!(crate::fastjson::from_fastjson::<QueryConsumeTimeSpanBody>(&json).unwrap(), body);
        }
    }
}
