//! Offset tables: `consumerOffset.json` / `GET_ALL_CONSUMER_OFFSET`, `delayOffset.json` /
//! `GET_ALL_DELAY_OFFSET`, and the `ResetOffsetBody` pushed to clients.
//!
//! Java writes the files with unquoted integer keys (`{0:123}`); these types read that and
//! write standard quoted keys, which Java reads as well.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::data_version::DataVersion;
use crate::error::ModelError;
use crate::lenient;
use crate::message_queue::{mq_map, to_fastjson_string, MessageQueue};

/// Separator of the `topic@group` keys of the consumer offset table.
pub const TOPIC_GROUP_SEPARATOR: char = '@';

/// `topic@group`.
pub fn topic_group_key(topic: &str, group: &str) -> String {
    format!("{topic}{TOPIC_GROUP_SEPARATOR}{group}")
}

/// Splits `topic@group`; `None` unless there is exactly one `@` (Java skips such keys).
pub fn split_topic_group_key(key: &str) -> Option<(&str, &str)> {
    let (topic, group) = key.split_once(TOPIC_GROUP_SEPARATOR)?;
    (!group.contains(TOPIC_GROUP_SEPARATOR)).then_some((topic, group))
}

/// `{"dataVersion":{…}?,"offsetTable":{"T@g":{0:123,1:456}}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerOffsetSerializeWrapper {
    /// Version of the table (absent in 4.x files).
    #[serde(
        deserialize_with = "lenient::null_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub data_version: Option<DataVersion>,
    /// `topic@group` → queue id → next offset to consume.
    #[serde(deserialize_with = "lenient::null_default")]
    pub offset_table: BTreeMap<String, BTreeMap<i32, i64>>,
}

/// `{"dataVersion":{…}?,"offsetTable":{1:0,2:13,…}}`: per delay level (1-based), the
/// `SCHEDULE_TOPIC_XXXX` queue offset already delivered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DelayOffsetSerializeWrapper {
    /// Version of the table.
    #[serde(
        deserialize_with = "lenient::null_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub data_version: Option<DataVersion>,
    /// Delay level → offset in queue `level − 1`.
    #[serde(deserialize_with = "lenient::null_default")]
    pub offset_table: BTreeMap<i32, i64>,
}

/// `RESET_CONSUMER_CLIENT_OFFSET` (220) body: `{"offsetTable":{{mq}:offset,…}}`.
///
/// Java writes it with fastjson object keys, and both the Java client (fastjson) and the Go
/// client (a hand-written splitter) expect that form: send [`ResetOffsetBody::to_fastjson_string`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResetOffsetBody {
    /// Queue → offset to reset to.
    #[serde(with = "mq_map")]
    pub offset_table: HashMap<MessageQueue, i64>,
}

impl ResetOffsetBody {
    /// The fastjson object-key form the clients parse.
    pub fn to_fastjson_string(&self) -> Result<String, ModelError> {
        to_fastjson_string(self, &["offsetTable"])
    }

    /// Reads fastjson (object keys), gson (`[[mq, offset], …]`) or standard JSON.
    pub fn from_fastjson(text: &str) -> Result<Self, ModelError> {
        crate::fastjson::from_fastjson(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_version::tests::arb_data_version;
    use crate::fastjson::from_fastjson;
    use crate::message_queue::tests::arb_message_queue;
    use proptest::prelude::*;

    #[test]
    fn reads_pretty_printed_consumer_offset_json() {
        // Java 4.x broker's consumerOffset.json (pretty fastjson, unquoted queue ids).
        let file = "{\n\t\"offsetTable\":{\n\t\t\"%RETRY%cg@cg\":{0:7\n\t\t},\n\t\t\"TopicTest@cg\":{0:123,1:456,2:0,3:9\n\t\t}\n\t}\n}";
        let w: ConsumerOffsetSerializeWrapper = from_fastjson(file).unwrap();
        assert_eq!(w.offset_table["TopicTest@cg"][&1], 456);
        assert_eq!(w.offset_table["%RETRY%cg@cg"], BTreeMap::from([(0, 7)]));
        assert_eq!(w.data_version, None);
        let out = serde_json::to_string(&w).unwrap();
        assert_eq!(
            out,
            r#"{"offsetTable":{"%RETRY%cg@cg":{"0":7},"TopicTest@cg":{"0":123,"1":456,"2":0,"3":9}}}"#
        );
    }

    #[test]
    fn reads_delay_offset_json() {
        let file = "{\n\t\"dataVersion\":{\n\t\t\"counter\":4,\n\t\t\"stateVersion\":0,\n\t\t\"timestamp\":1700000000000\n\t},\n\t\"offsetTable\":{1:0,2:13,18:0\n\t}\n}";
        let w: DelayOffsetSerializeWrapper = from_fastjson(file).unwrap();
        assert_eq!(w.offset_table, BTreeMap::from([(1, 0), (2, 13), (18, 0)]));
        assert_eq!(w.data_version.map(|v| v.counter), Some(4));
    }

    #[test]
    fn topic_group_keys() {
        assert_eq!(topic_group_key("T", "g"), "T@g");
        assert_eq!(split_topic_group_key("%RETRY%g@g"), Some(("%RETRY%g", "g")));
        assert_eq!(split_topic_group_key("T"), None);
        assert_eq!(split_topic_group_key("a@b@c"), None);
    }

    #[test]
    fn reset_offset_body_forms() {
        let body = ResetOffsetBody {
            offset_table: HashMap::from([(MessageQueue::new("T", "b", 0), 42)]),
        };
        let fj = body.to_fastjson_string().unwrap();
        assert_eq!(
            fj,
            r#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:42}}"#
        );
        assert_eq!(ResetOffsetBody::from_fastjson(&fj).unwrap(), body);
        let gson = r#"{"offsetTable":[[{"topic":"T","brokerName":"b","queueId":0},42]]}"#;
        assert_eq!(ResetOffsetBody::from_fastjson(gson).unwrap(), body);
    }

    proptest! {
        #[test]
        fn consumer_offsets_round_trip(dv in proptest::option::of(arb_data_version()),
                                       table in prop::collection::btree_map("[A-Za-z%]{1,8}@[a-z]{1,6}",
                                           prop::collection::btree_map(0..64i32, any::<i64>(), 0..4), 0..4)) {
            let w = ConsumerOffsetSerializeWrapper { data_version: dv, offset_table: table };
            prop_assert_eq!(from_fastjson::<ConsumerOffsetSerializeWrapper>(&serde_json::to_string_pretty(&w).unwrap()).unwrap(), w.clone());
            // And as Java writes it: unquoted queue ids.
            let java = strip_quoted_int_keys(&serde_json::to_string(&w).unwrap());
            prop_assert_eq!(from_fastjson::<ConsumerOffsetSerializeWrapper>(&java).unwrap(), w);
        }

        #[test]
        fn delay_offsets_round_trip(dv in proptest::option::of(arb_data_version()),
                                    table in prop::collection::btree_map(1..19i32, any::<i64>(), 0..18)) {
            let w = DelayOffsetSerializeWrapper { data_version: dv, offset_table: table };
            let java = strip_quoted_int_keys(&serde_json::to_string(&w).unwrap());
            prop_assert_eq!(from_fastjson::<DelayOffsetSerializeWrapper>(&java).unwrap(), w);
        }

        #[test]
        fn reset_offsets_round_trip(table in prop::collection::hash_map(arb_message_queue(), any::<i64>(), 0..6)) {
            let body = ResetOffsetBody { offset_table: table };
            prop_assert_eq!(ResetOffsetBody::from_fastjson(&body.to_fastjson_string().unwrap()).unwrap(), body.clone());
            prop_assert_eq!(ResetOffsetBody::from_fastjson(&serde_json::to_string(&body).unwrap()).unwrap(), body);
        }
    }

    /// Turns `"12":` into `12:`, imitating fastjson's unquoted integer keys.
    fn strip_quoted_int_keys(json: &str) -> String {
        let mut out = String::new();
        let mut rest = json;
        while let Some(start) = rest.find('"') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let digits = after
                .bytes()
                .take_while(|b| b.is_ascii_digit() || *b == b'-')
                .count();
            if digits > 0 && after[digits..].starts_with("\":") {
                out.push_str(&after[..digits]);
                rest = &after[digits + 1..];
            } else {
                out.push('"');
                rest = after;
            }
        }
        out.push_str(rest);
        out
    }
}
