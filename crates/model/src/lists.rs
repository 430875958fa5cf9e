//! Small list bodies: topic lists, group lists and the consumer-id list of a group.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::lenient;

/// `{"topicList":["T",…],"brokerAddr":"…"?}` — topic list queries to the NameServer and broker.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicList {
    /// Set by `GET_SYSTEM_TOPIC_LIST_FROM_NS`: one broker address to query further.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub broker_addr: Option<String>,
    /// The topics.
    #[serde(deserialize_with = "lenient::null_default")]
    pub topic_list: BTreeSet<String>,
}

/// `{"groupList":["g",…]}` — `QUERY_TOPIC_CONSUME_BY_WHO` and friends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupList {
    /// The groups.
    #[serde(deserialize_with = "lenient::null_default")]
    pub group_list: BTreeSet<String>,
}

/// `GET_CONSUMER_LIST_BY_GROUP` response: `{"consumerIdList":["clientId",…]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GetConsumerListByGroupResponseBody {
    /// Client ids of the group's live consumers.
    #[serde(deserialize_with = "lenient::null_default")]
    pub consumer_id_list: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastjson::from_fastjson;
    use proptest::prelude::*;

    #[test]
    fn shapes() {
        let list = TopicList {
            broker_addr: None,
            topic_list: BTreeSet::from(["B".into(), "A".into()]),
        };
        assert_eq!(
            serde_json::to_string(&list).unwrap(),
            r#"{"topicList":["A","B"]}"#
        );
        let sys: TopicList =
            from_fastjson(r#"{"brokerAddr":"10.0.0.1:10911","topicList":["TBW102"]}"#).unwrap();
        assert_eq!(sys.broker_addr.as_deref(), Some("10.0.0.1:10911"));
        // The Go admin client spells the keys with capitals and Go's decoder ignores case;
        // we only promise to read what Java writes, and tolerate nulls.
        let null: GetConsumerListByGroupResponseBody =
            from_fastjson(r#"{"consumerIdList":null}"#).unwrap();
        assert!(null.consumer_id_list.is_empty());
    }

    proptest! {
        #[test]
        fn round_trips(topics in prop::collection::btree_set("[A-Za-z%_-]{1,10}", 0..5),
                       addr in proptest::option::of("[0-9.:]{3,15}"),
                       ids in prop::collection::vec("[0-9.@#]{1,20}", 0..4)) {
            let list = TopicList { broker_addr: addr, topic_list: topics.clone() };
            prop_assert_eq!(from_fastjson::<TopicList>(&serde_json::to_string(&list).unwrap()).unwrap(), list);
            let groups = GroupList { group_list: topics };
            prop_assert_eq!(from_fastjson::<GroupList>(&serde_json::to_string(&groups).unwrap()).unwrap(), groups);
            let consumers = GetConsumerListByGroupResponseBody { consumer_id_list: ids };
            prop_assert_eq!(from_fastjson::<GetConsumerListByGroupResponseBody>(&serde_json::to_string(&consumers).unwrap()).unwrap(), consumers);
        }
    }
}
