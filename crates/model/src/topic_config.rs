//! `TopicConfig`: a topic's queues, permissions and attributes on one broker (`topics.json`,
//! admin bodies, broker registration), in JSON and in Java's space-separated text form.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::enums::TopicFilterType;
use crate::error::ModelError;
use crate::lenient;
use crate::perm::{PERM_READ, PERM_WRITE};

/// Java's default queue count for a `TopicConfig` built without one.
pub(crate) const DEFAULT_QUEUE_NUMS: i32 = 16;

/// `{"attributes":{},"order":false,"perm":6,"readQueueNums":8,"topicFilterType":"SINGLE_TAG",
/// "topicName":"T","topicSysFlag":0,"writeQueueNums":8}`; missing fields take Java's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConfig {
    /// 5.x topic attributes (`message.type`, `queue.type`, …).
    #[serde(deserialize_with = "lenient::null_default")]
    pub attributes: BTreeMap<String, String>,
    /// Whether the topic is ordered (only meaningful with `orderMessageEnable`).
    #[serde(deserialize_with = "lenient::boolean")]
    pub order: bool,
    /// [`crate::perm`] bits.
    #[serde(deserialize_with = "lenient::int")]
    pub perm: i32,
    /// Queues consumers read.
    #[serde(deserialize_with = "lenient::int")]
    pub read_queue_nums: i32,
    /// Always `SINGLE_TAG` in practice.
    #[serde(deserialize_with = "lenient::or_default")]
    pub topic_filter_type: TopicFilterType,
    /// Topic name.
    #[serde(deserialize_with = "lenient::string")]
    pub topic_name: String,
    /// Topic sys flags (unit/unit-sub bits).
    #[serde(deserialize_with = "lenient::int")]
    pub topic_sys_flag: i32,
    /// Queues producers write.
    #[serde(deserialize_with = "lenient::int")]
    pub write_queue_nums: i32,
}

impl Default for TopicConfig {
    fn default() -> Self {
        Self {
            attributes: BTreeMap::new(),
            order: false,
            perm: PERM_READ | PERM_WRITE,
            read_queue_nums: DEFAULT_QUEUE_NUMS,
            topic_filter_type: TopicFilterType::SingleTag,
            topic_name: String::new(),
            topic_sys_flag: 0,
            write_queue_nums: DEFAULT_QUEUE_NUMS,
        }
    }
}

impl TopicConfig {
    /// A topic with Java's defaults (16/16 queues, read-write).
    pub fn new(topic_name: impl Into<String>) -> Self {
        Self {
            topic_name: topic_name.into(),
            ..Self::default()
        }
    }

    /// A topic with the given queue counts and permission.
    pub fn with_queues(
        topic_name: impl Into<String>,
        read_queue_nums: i32,
        write_queue_nums: i32,
        perm: i32,
    ) -> Self {
        Self {
            read_queue_nums,
            write_queue_nums,
            perm,
            ..Self::new(topic_name)
        }
    }

    /// Java's `TopicConfig.encode()`: `"name readQ writeQ perm FILTERTYPE attributesJSON"`, the
    /// per-topic record of a compressed `RegisterBrokerBody`. Does not carry `order` or
    /// `topicSysFlag`.
    pub fn encode(&self) -> String {
        // A map of strings always serializes.
        let attributes =
            serde_json::to_string(&self.attributes).unwrap_or_else(|_| "{}".to_owned());
        format!(
            "{} {} {} {} {} {}",
            self.topic_name,
            self.read_queue_nums,
            self.write_queue_nums,
            self.perm,
            self.topic_filter_type.name(),
            attributes
        )
    }

    /// Parses [`TopicConfig::encode`] output. Like Java, unparsable attributes are ignored;
    /// unlike Java, attribute JSON containing spaces is kept whole.
    pub fn decode(text: &str) -> Result<Self, ModelError> {
        let bad = |reason| ModelError::TopicConfigText {
            text: text.to_owned(),
            reason,
        };
        let mut parts = text.splitn(6, ' ');
        let mut next = |reason| parts.next().ok_or_else(|| bad(reason));
        let topic_name = next("missing topic name")?.to_owned();
        let int = |s: &str, reason| s.parse::<i32>().map_err(|_| bad(reason));
        let read_queue_nums = int(next("missing read queue count")?, "bad read queue count")?;
        let write_queue_nums = int(next("missing write queue count")?, "bad write queue count")?;
        let perm = int(next("missing perm")?, "bad perm")?;
        let topic_filter_type = next("missing filter type")?
            .parse::<TopicFilterType>()
            .map_err(|_| bad("bad filter type"))?;
        let attributes = match parts.next() {
            Some(json) if !json.trim().is_empty() => {
                crate::fastjson::from_fastjson::<BTreeMap<String, String>>(json).unwrap_or_else(|e| {
                    tracing::debug!(topic = %topic_name, error = %e, "ignoring unparsable topic attributes");
                    BTreeMap::new()
                })
            }
            _ => BTreeMap::new(),
        };
        Ok(Self {
            attributes,
            perm,
            read_queue_nums,
            topic_filter_type,
            topic_name,
            write_queue_nums,
            ..Self::default()
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fastjson::from_fastjson;
    use proptest::prelude::*;

    pub(crate) fn arb_topic_config() -> impl Strategy<Value = TopicConfig> {
        (
            prop::collection::btree_map("[a-z.]{1,8}", "[A-Za-z0-9]{0,8}", 0..3),
            any::<bool>(),
            0..8i32,
            0..1024i32,
            prop_oneof![
                Just(TopicFilterType::SingleTag),
                Just(TopicFilterType::MultiTag)
            ],
            "[%|a-zA-Z0-9_-]{1,20}",
            0..4i32,
            0..1024i32,
        )
            .prop_map(
                |(attributes, order, perm, read, filter, name, sys_flag, write)| TopicConfig {
                    attributes,
                    order,
                    perm,
                    read_queue_nums: read,
                    topic_filter_type: filter,
                    topic_name: name,
                    topic_sys_flag: sys_flag,
                    write_queue_nums: write,
                },
            )
    }

    #[test]
    fn json_shape_matches_fastjson() {
        let tc = TopicConfig::with_queues("T", 8, 8, 6);
        assert_eq!(
            serde_json::to_string(&tc).unwrap(),
            r#"{"attributes":{},"order":false,"perm":6,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"T","topicSysFlag":0,"writeQueueNums":8}"#
        );
    }

    #[test]
    fn missing_fields_take_java_defaults() {
        let tc: TopicConfig =
            from_fastjson(r#"{"topicName":"T","attributes":null,"unknown":1}"#).unwrap();
        assert_eq!(tc, TopicConfig::new("T"));
        assert_eq!((tc.read_queue_nums, tc.perm), (16, 6));
    }

    #[test]
    fn text_form_matches_java() {
        let mut tc = TopicConfig::with_queues("TopicTest", 4, 4, 6);
        assert_eq!(tc.encode(), "TopicTest 4 4 6 SINGLE_TAG {}");
        tc.attributes.insert("+message.type".into(), "FIFO".into());
        assert_eq!(
            tc.encode(),
            r#"TopicTest 4 4 6 SINGLE_TAG {"+message.type":"FIFO"}"#
        );
        assert_eq!(TopicConfig::decode(&tc.encode()).unwrap(), tc);
    }

    #[test]
    fn text_form_decodes_leniently() {
        // Java writes nothing after the trailing separator when attributes are null.
        let tc = TopicConfig::decode("T 1 2 7 MULTI_TAG ").unwrap();
        assert_eq!(
            (tc.read_queue_nums, tc.write_queue_nums, tc.perm),
            (1, 2, 7)
        );
        assert_eq!(tc.topic_filter_type, TopicFilterType::MultiTag);
        assert!(TopicConfig::decode("T 1 2 7 SINGLE_TAG not-json")
            .unwrap()
            .attributes
            .is_empty());
        let spaced = TopicConfig::decode(r#"T 1 1 6 SINGLE_TAG {"a b":"c d"}"#).unwrap();
        assert_eq!(
            spaced.attributes.get("a b").map(String::as_str),
            Some("c d")
        );
        for bad in ["", "T", "T 1 2 6", "T x 2 6 SINGLE_TAG", "T 1 2 6 WHAT"] {
            assert!(TopicConfig::decode(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn json_round_trip(tc in arb_topic_config()) {
            let json = serde_json::to_string(&tc).unwrap();
            prop_assert_eq!(from_fastjson::<TopicConfig>(&json).unwrap(), tc);
        }

        #[test]
        fn text_round_trip(tc in arb_topic_config()) {
            let back = TopicConfig::decode(&tc.encode()).unwrap();
            let expected = TopicConfig { order: false, topic_sys_flag: 0, ..tc };
            prop_assert_eq!(back, expected);
        }

        #[test]
        fn decode_never_panics(s in ".{0,80}") {
            let _ = TopicConfig::decode(&s);
        }
    }
}
