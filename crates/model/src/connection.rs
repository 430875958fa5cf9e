//! Who is connected: `GET_CONSUMER_CONNECTION_LIST` and `GET_PRODUCER_CONNECTION_LIST` bodies.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::enums::{ConsumeFromWhere, ConsumeType, MessageModel};
use crate::lenient;
use crate::subscription::SubscriptionData;

/// One client channel: `{"clientAddr":"10.0.0.9:53211","clientId":"…","language":"JAVA",
/// "version":479}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Connection {
    /// Remote `ip:port`.
    #[serde(deserialize_with = "lenient::string")]
    pub client_addr: String,
    /// Client id.
    #[serde(deserialize_with = "lenient::string")]
    pub client_id: String,
    /// `LanguageCode` name (`JAVA`, `GO`, `CPP`, …), kept as text so new languages pass through.
    #[serde(deserialize_with = "lenient::string")]
    pub language: String,
    /// Client version ordinal.
    #[serde(deserialize_with = "lenient::int")]
    pub version: i32,
}

/// A consumer group's connections and subscriptions. The enum fields are absent when the group
/// has no live consumer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerConnection {
    /// One entry per client channel.
    #[serde(deserialize_with = "lenient::null_default")]
    pub connection_set: Vec<Connection>,
    /// Where the group starts without an offset.
    #[serde(
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub consume_from_where: Option<ConsumeFromWhere>,
    /// Push, pull or pop.
    #[serde(
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub consume_type: Option<ConsumeType>,
    /// Clustering or broadcasting.
    #[serde(
        deserialize_with = "lenient::or_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub message_model: Option<MessageModel>,
    /// Topic → subscription.
    #[serde(deserialize_with = "lenient::null_default")]
    pub subscription_table: BTreeMap<String, SubscriptionData>,
}

impl ConsumerConnection {
    /// The lowest client version among the connections (Java's `computeMinVersion`).
    pub fn min_version(&self) -> Option<i32> {
        self.connection_set.iter().map(|c| c.version).min()
    }
}

/// A producer group's connections: `{"connectionSet":[…]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProducerConnection {
    /// One entry per client channel.
    #[serde(deserialize_with = "lenient::null_default")]
    pub connection_set: Vec<Connection>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastjson::from_fastjson;
    use crate::subscription::tests::arb_subscription;
    use proptest::prelude::*;

    fn arb_connection() -> impl Strategy<Value = Connection> {
        ("[0-9.:]{7,21}", "[0-9.@#]{3,20}", "[A-Z_]{2,7}", 0..500i32).prop_map(
            |(client_addr, client_id, language, version)| Connection {
                client_addr,
                client_id,
                language,
                version,
            },
        )
    }

    #[test]
    fn reads_java_consumer_connection() {
        let java = r#"{"connectionSet":[{"clientAddr":"10.0.0.9:53211","clientId":"10.0.0.9@1#2","language":"JAVA","version":479},{"clientAddr":"10.0.0.8:1","clientId":"g","language":"GO","version":317}],"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","subscriptionTable":{"T":{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1,"tagsSet":[],"topic":"T"}}}"#;
        let cc: ConsumerConnection = from_fastjson(java).unwrap();
        assert_eq!(cc.min_version(), Some(317));
        assert_eq!(cc.consume_type, Some(ConsumeType::ConsumePassively));
        assert!(cc.subscription_table["T"].is_sub_all());
        assert_eq!(serde_json::to_string(&cc).unwrap(), java);
        let empty: ConsumerConnection =
            from_fastjson(r#"{"connectionSet":[],"subscriptionTable":{}}"#).unwrap();
        assert_eq!((empty.consume_type, empty.min_version()), (None, None));
        assert_eq!(
            serde_json::to_string(&empty).unwrap(),
            r#"{"connectionSet":[],"subscriptionTable":{}}"#
        );
    }

    proptest! {
        #[test]
        fn round_trips(conns in prop::collection::vec(arb_connection(), 0..3),
                       subs in prop::collection::vec(arb_subscription(), 0..3),
                       enums in proptest::option::of((0..6usize, 0..3usize, 0..2usize))) {
            let cc = ConsumerConnection {
                connection_set: conns.clone(),
                consume_from_where: enums.map(|e| ConsumeFromWhere::ALL[e.0]),
                consume_type: enums.map(|e| ConsumeType::ALL[e.1]),
                message_model: enums.map(|e| MessageModel::ALL[e.2]),
                subscription_table: subs.into_iter().map(|s| (s.topic.clone(), s)).collect(),
            };
            prop_assert_eq!(from_fastjson::<ConsumerConnection>(&serde_json::to_string(&cc).unwrap()).unwrap(), cc);
            let pc = ProducerConnection { connection_set: conns };
            prop_assert_eq!(from_fastjson::<ProducerConnection>(&serde_json::to_string(&pc).unwrap()).unwrap(), pc);
        }
    }
}
