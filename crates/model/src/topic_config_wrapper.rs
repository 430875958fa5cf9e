//! Whole topic tables: `topics.json`, the `GET_ALL_TOPIC_CONFIG` body, the topic part of broker
//! registration, and the admin bodies that carry several `TopicConfig`s.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data_version::DataVersion;
use crate::lenient;
use crate::static_topic::{TopicQueueMappingDetail, TopicQueueMappingInfo};
use crate::topic_config::TopicConfig;

/// `topics.json`: `{"dataVersion":{…},"topicConfigTable":{"T":TopicConfig,…}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConfigSerializeWrapper {
    /// Version of the table.
    #[serde(deserialize_with = "lenient::null_default")]
    pub data_version: DataVersion,
    /// Topic name → config.
    #[serde(deserialize_with = "lenient::null_default")]
    pub topic_config_table: BTreeMap<String, TopicConfig>,
}

/// The 5.x superset sent in `GET_ALL_TOPIC_CONFIG` and broker registration: topics plus
/// static-topic mappings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConfigAndMappingSerializeWrapper {
    /// Version of the topic table.
    #[serde(deserialize_with = "lenient::null_default")]
    pub data_version: DataVersion,
    /// Version of the mapping tables.
    #[serde(deserialize_with = "lenient::null_default")]
    pub mapping_data_version: DataVersion,
    /// Topic name → config.
    #[serde(deserialize_with = "lenient::null_default")]
    pub topic_config_table: BTreeMap<String, TopicConfig>,
    /// Topic → full mapping detail.
    #[serde(deserialize_with = "lenient::null_default")]
    pub topic_queue_mapping_detail_map: BTreeMap<String, TopicQueueMappingDetail>,
    /// Topic → mapping info (what the NameServer puts into routes).
    #[serde(deserialize_with = "lenient::null_default")]
    pub topic_queue_mapping_info_map: BTreeMap<String, TopicQueueMappingInfo>,
}

impl From<TopicConfigSerializeWrapper> for TopicConfigAndMappingSerializeWrapper {
    fn from(w: TopicConfigSerializeWrapper) -> Self {
        Self {
            data_version: w.data_version,
            topic_config_table: w.topic_config_table,
            ..Self::default()
        }
    }
}

impl From<TopicConfigAndMappingSerializeWrapper> for TopicConfigSerializeWrapper {
    fn from(w: TopicConfigAndMappingSerializeWrapper) -> Self {
        Self {
            data_version: w.data_version,
            topic_config_table: w.topic_config_table,
        }
    }
}

/// `GET_TOPIC_CONFIG` response: a `TopicConfig` plus its static mapping, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicConfigAndQueueMapping {
    /// The topic's config (its fields sit at the top level, as in Java's subclass).
    #[serde(flatten)]
    pub topic_config: TopicConfig,
    /// The static-topic mapping, for static topics only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping_detail: Option<TopicQueueMappingDetail>,
}

/// `UPDATE_AND_CREATE_TOPIC_LIST` body: `{"topicConfigList":[TopicConfig,…]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateTopicListRequestBody {
    /// Topics to create or update.
    #[serde(deserialize_with = "lenient::null_default")]
    pub topic_config_list: Vec<TopicConfig>,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::data_version::tests::arb_data_version;
    use crate::fastjson::from_fastjson;
    use crate::static_topic::tests::{arb_mapping_detail, arb_mapping_info};
    use crate::topic_config::tests::arb_topic_config;
    use proptest::prelude::*;

    pub(crate) fn arb_topic_table() -> impl Strategy<Value = BTreeMap<String, TopicConfig>> {
        prop::collection::vec(arb_topic_config(), 0..4).prop_map(|configs| {
            configs
                .into_iter()
                .map(|c| (c.topic_name.clone(), c))
                .collect()
        })
    }

    pub(crate) fn arb_mapping_wrapper(
    ) -> impl Strategy<Value = TopicConfigAndMappingSerializeWrapper> {
        (
            arb_data_version(),
            arb_data_version(),
            arb_topic_table(),
            prop::collection::vec(arb_mapping_detail(), 0..2),
            prop::collection::vec(arb_mapping_info(), 0..3),
        )
            .prop_map(
                |(data_version, mapping_data_version, topics, details, infos)| {
                    TopicConfigAndMappingSerializeWrapper {
                        data_version,
                        mapping_data_version,
                        topic_config_table: topics,
                        topic_queue_mapping_detail_map: details
                            .into_iter()
                            .map(|d| (d.topic.clone(), d))
                            .collect(),
                        topic_queue_mapping_info_map: infos
                            .into_iter()
                            .map(|i| (i.topic.clone(), i))
                            .collect(),
                    }
                },
            )
    }

    #[test]
    fn reads_a_pretty_printed_topics_json() {
        let text = "{\n\t\"dataVersion\":{\n\t\t\"counter\":3,\n\t\t\"stateVersion\":0,\n\t\t\"timestamp\":1700000000000\n\t},\n\t\"topicConfigTable\":{\n\t\t\"TopicTest\":{\n\t\t\t\"attributes\":{},\n\t\t\t\"order\":false,\n\t\t\t\"perm\":6,\n\t\t\t\"readQueueNums\":4,\n\t\t\t\"topicFilterType\":\"SINGLE_TAG\",\n\t\t\t\"topicName\":\"TopicTest\",\n\t\t\t\"topicSysFlag\":0,\n\t\t\t\"writeQueueNums\":4\n\t\t}\n\t}\n}";
        let w: TopicConfigSerializeWrapper = from_fastjson(text).unwrap();
        assert_eq!(w.data_version.counter, 3);
        assert_eq!(
            w.topic_config_table["TopicTest"],
            TopicConfig::with_queues("TopicTest", 4, 4, 6)
        );
        // A 4.x file read as the 5.x wrapper gets empty mappings.
        let w5: TopicConfigAndMappingSerializeWrapper = from_fastjson(text).unwrap();
        assert_eq!(TopicConfigSerializeWrapper::from(w5), w);
    }

    #[test]
    fn topic_config_and_queue_mapping_is_flat() {
        let value = TopicConfigAndQueueMapping {
            topic_config: TopicConfig::with_queues("T", 2, 2, 6),
            mapping_detail: None,
        };
        let json = serde_json::to_string(&value).unwrap();
        assert!(
            json.contains(r#""topicName":"T""#) && !json.contains("mappingDetail"),
            "{json}"
        );
        assert_eq!(
            from_fastjson::<TopicConfigAndQueueMapping>(&json).unwrap(),
            value
        );
    }

    proptest! {
        #[test]
        fn wrapper_round_trips(w in arb_mapping_wrapper()) {
            let json = serde_json::to_string(&w).unwrap();
            prop_assert_eq!(from_fastjson::<TopicConfigAndMappingSerializeWrapper>(&json).unwrap(), w.clone());
            let plain = TopicConfigSerializeWrapper::from(w);
            let json = serde_json::to_string_pretty(&plain).unwrap();
            prop_assert_eq!(from_fastjson::<TopicConfigSerializeWrapper>(&json).unwrap(), plain);
        }

        #[test]
        fn queue_mapping_round_trips(tc in arb_topic_config(), detail in proptest::option::of(arb_mapping_detail())) {
            let value = TopicConfigAndQueueMapping { topic_config: tc, mapping_detail: detail };
            let json = serde_json::to_string(&value).unwrap();
            prop_assert_eq!(from_fastjson::<TopicConfigAndQueueMapping>(&json).unwrap(), value);
        }

        #[test]
        fn create_list_round_trips(list in prop::collection::vec(arb_topic_config(), 0..4)) {
            let body = CreateTopicListRequestBody { topic_config_list: list };
            let json = serde_json::to_string(&body).unwrap();
            prop_assert_eq!(from_fastjson::<CreateTopicListRequestBody>(&json).unwrap(), body);
        }
    }
}
