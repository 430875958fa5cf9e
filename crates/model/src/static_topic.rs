//! 5.x static-topic queue mappings (RIP-21): logical queue ids mapped onto physical queues of
//! several brokers. Carried in broker registration and routes; FerroMQ passes them through.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::lenient;
use crate::names::METADATA_SCOPE_GLOBAL;

fn global_scope() -> String {
    METADATA_SCOPE_GLOBAL.to_owned()
}

/// `TopicQueueMappingInfo`: which logical queue ids one broker hosts for a topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicQueueMappingInfo {
    /// Hosting broker name.
    #[serde(deserialize_with = "lenient::string")]
    pub bname: String,
    /// Logical queue id → physical queue id.
    #[serde(deserialize_with = "lenient::null_default")]
    pub curr_id_map: BTreeMap<i32, i32>,
    /// Whether the mapping is being changed.
    #[serde(deserialize_with = "lenient::boolean")]
    pub dirty: bool,
    /// Fences stale mapping data.
    #[serde(deserialize_with = "lenient::int")]
    pub epoch: i64,
    /// Mapping scope (`__global__` unless set).
    #[serde(deserialize_with = "lenient::string")]
    pub scope: String,
    /// Topic name.
    #[serde(deserialize_with = "lenient::string")]
    pub topic: String,
    /// Total logical queues of the topic.
    #[serde(deserialize_with = "lenient::int")]
    pub total_queues: i32,
}

impl Default for TopicQueueMappingInfo {
    fn default() -> Self {
        Self {
            bname: String::new(),
            curr_id_map: BTreeMap::new(),
            dirty: false,
            epoch: 0,
            scope: global_scope(),
            topic: String::new(),
            total_queues: 0,
        }
    }
}

/// `LogicQueueMappingItem`: one generation of a logical queue on a physical queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LogicQueueMappingItem {
    /// Broker hosting this generation.
    #[serde(deserialize_with = "lenient::string")]
    pub bname: String,
    /// Physical end offset (exclusive), −1 while open.
    #[serde(deserialize_with = "lenient::int")]
    pub end_offset: i64,
    /// Generation number (`gen`).
    #[serde(rename = "gen", deserialize_with = "lenient::int")]
    pub generation: i32,
    /// Logical offset where this generation starts.
    #[serde(deserialize_with = "lenient::int")]
    pub logic_offset: i64,
    /// Physical queue id.
    #[serde(deserialize_with = "lenient::int")]
    pub queue_id: i32,
    /// Physical start offset.
    #[serde(deserialize_with = "lenient::int")]
    pub start_offset: i64,
    /// Reserved, −1.
    #[serde(deserialize_with = "lenient::int")]
    pub time_of_end: i64,
    /// Reserved, −1.
    #[serde(deserialize_with = "lenient::int")]
    pub time_of_start: i64,
}

impl Default for LogicQueueMappingItem {
    fn default() -> Self {
        Self {
            bname: String::new(),
            end_offset: -1,
            generation: 0,
            logic_offset: 0,
            queue_id: 0,
            start_offset: 0,
            time_of_end: -1,
            time_of_start: -1,
        }
    }
}

/// `TopicQueueMappingDetail`: a [`TopicQueueMappingInfo`] plus the hosted queues' histories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicQueueMappingDetail {
    /// Hosting broker name.
    #[serde(deserialize_with = "lenient::string")]
    pub bname: String,
    /// Logical queue id → physical queue id.
    #[serde(deserialize_with = "lenient::null_default")]
    pub curr_id_map: BTreeMap<i32, i32>,
    /// Whether the mapping is being changed.
    #[serde(deserialize_with = "lenient::boolean")]
    pub dirty: bool,
    /// Fences stale mapping data.
    #[serde(deserialize_with = "lenient::int")]
    pub epoch: i64,
    /// Global (logical) queue id → its generations.
    #[serde(deserialize_with = "lenient::null_default")]
    pub hosted_queues: BTreeMap<i32, Vec<LogicQueueMappingItem>>,
    /// Mapping scope.
    #[serde(deserialize_with = "lenient::string")]
    pub scope: String,
    /// Topic name.
    #[serde(deserialize_with = "lenient::string")]
    pub topic: String,
    /// Total logical queues of the topic.
    #[serde(deserialize_with = "lenient::int")]
    pub total_queues: i32,
}

impl Default for TopicQueueMappingDetail {
    fn default() -> Self {
        Self {
            bname: String::new(),
            curr_id_map: BTreeMap::new(),
            dirty: false,
            epoch: 0,
            hosted_queues: BTreeMap::new(),
            scope: global_scope(),
            topic: String::new(),
            total_queues: 0,
        }
    }
}

impl TopicQueueMappingDetail {
    /// The info part, without the queue histories.
    pub fn to_info(&self) -> TopicQueueMappingInfo {
        TopicQueueMappingInfo {
            bname: self.bname.clone(),
            curr_id_map: self.curr_id_map.clone(),
            dirty: self.dirty,
            epoch: self.epoch,
            scope: self.scope.clone(),
            topic: self.topic.clone(),
            total_queues: self.total_queues,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fastjson::from_fastjson;
    use proptest::prelude::*;

    pub(crate) fn arb_mapping_info() -> impl Strategy<Value = TopicQueueMappingInfo> {
        (
            "broker-[a-c]",
            prop::collection::btree_map(0..64i32, 0..64i32, 0..4),
            any::<bool>(),
            any::<i64>(),
            "[a-z_]{1,10}",
            "[A-Za-z]{1,10}",
            0..64i32,
        )
            .prop_map(
                |(bname, curr_id_map, dirty, epoch, scope, topic, total_queues)| {
                    TopicQueueMappingInfo {
                        bname,
                        curr_id_map,
                        dirty,
                        epoch,
                        scope,
                        topic,
                        total_queues,
                    }
                },
            )
    }

    pub(crate) fn arb_mapping_detail() -> impl Strategy<Value = TopicQueueMappingDetail> {
        let item = ("broker-[a-c]", -1..100i64, 0..4i32, 0..100i64, 0..8i32).prop_map(
            |(bname, end_offset, generation, logic_offset, queue_id)| LogicQueueMappingItem {
                bname,
                end_offset,
                generation,
                logic_offset,
                queue_id,
                ..LogicQueueMappingItem::default()
            },
        );
        (
            arb_mapping_info(),
            prop::collection::btree_map(0..8i32, prop::collection::vec(item, 0..3), 0..3),
        )
            .prop_map(|(info, hosted_queues)| TopicQueueMappingDetail {
                bname: info.bname,
                curr_id_map: info.curr_id_map,
                dirty: info.dirty,
                epoch: info.epoch,
                hosted_queues,
                scope: info.scope,
                topic: info.topic,
                total_queues: info.total_queues,
            })
    }

    #[test]
    fn reads_fastjson_with_unquoted_int_keys() {
        let text = r#"{"bname":"broker-a","currIdMap":{0:0,1:1},"dirty":false,"epoch":1700000000000,"scope":"__global__","topic":"T","totalQueues":2}"#;
        let info: TopicQueueMappingInfo = from_fastjson(text).unwrap();
        assert_eq!(info.curr_id_map, BTreeMap::from([(0, 0), (1, 1)]));
        let defaulted: TopicQueueMappingInfo = from_fastjson(r#"{"topic":"T"}"#).unwrap();
        assert_eq!(defaulted.scope, "__global__");
        let item: LogicQueueMappingItem = from_fastjson(r#"{"bname":"b","queueId":1}"#).unwrap();
        assert_eq!((item.end_offset, item.time_of_start), (-1, -1));
    }

    proptest! {
        #[test]
        fn info_round_trip(info in arb_mapping_info()) {
            let json = serde_json::to_string(&info).unwrap();
            prop_assert_eq!(from_fastjson::<TopicQueueMappingInfo>(&json).unwrap(), info);
        }

        #[test]
        fn detail_round_trip(detail in arb_mapping_detail()) {
            let json = serde_json::to_string(&detail).unwrap();
            let back = from_fastjson::<TopicQueueMappingDetail>(&json).unwrap();
            prop_assert_eq!(back.to_info(), detail.to_info());
            prop_assert_eq!(back, detail);
        }
    }
}
