//! `HEART_BEAT` (34) body: a client's producer groups and consumer groups with their
//! subscriptions.

use serde::{Deserialize, Serialize};

use crate::enums::{ConsumeFromWhere, ConsumeType, MessageModel};
use crate::lenient;
use crate::subscription::SubscriptionData;

/// `{"clientID":"…","consumerDataSet":[…],"heartbeatFingerprint":0,"producerDataSet":[…],
/// "withoutSub":false}`; the last two are 5.x heartbeat-V2 fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HeartbeatData {
    /// `ip@instance[@unit]`.
    #[serde(rename = "clientID", deserialize_with = "lenient::string")]
    pub client_id: String,
    /// Consumer groups of the client.
    #[serde(rename = "consumerDataSet", deserialize_with = "lenient::null_default")]
    pub consumer_data_set: Vec<ConsumerData>,
    /// Heartbeat V2: non-zero fingerprint of the subscriptions.
    #[serde(rename = "heartbeatFingerprint", deserialize_with = "lenient::int")]
    pub heartbeat_fingerprint: i32,
    /// Producer groups of the client.
    #[serde(rename = "producerDataSet", deserialize_with = "lenient::null_default")]
    pub producer_data_set: Vec<ProducerData>,
    /// Heartbeat V2: subscriptions left out because the fingerprint is unchanged.
    #[serde(rename = "withoutSub", deserialize_with = "lenient::boolean")]
    pub without_sub: bool,
}

/// One consumer group of a client. Unknown enum names fall back to the Java client's defaults
/// rather than rejecting the heartbeat.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerData {
    /// Where to start without a stored offset.
    #[serde(deserialize_with = "lenient::or_default")]
    pub consume_from_where: ConsumeFromWhere,
    /// Push, pull or pop.
    #[serde(deserialize_with = "lenient::or_default")]
    pub consume_type: ConsumeType,
    /// Consumer group name.
    #[serde(deserialize_with = "lenient::string")]
    pub group_name: String,
    /// Clustering or broadcasting.
    #[serde(deserialize_with = "lenient::or_default")]
    pub message_model: MessageModel,
    /// One entry per subscribed topic (including `%RETRY%group` for clustering).
    #[serde(deserialize_with = "lenient::null_default")]
    pub subscription_data_set: Vec<SubscriptionData>,
    /// Unit mode (unused).
    #[serde(deserialize_with = "lenient::boolean")]
    pub unit_mode: bool,
}

/// One producer group of a client: `{"groupName":"pg"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProducerData {
    /// Producer group name.
    #[serde(deserialize_with = "lenient::string")]
    pub group_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastjson::from_fastjson;
    use crate::subscription::tests::arb_subscription;
    use proptest::prelude::*;

    fn arb_consumer_data() -> impl Strategy<Value = ConsumerData> {
        (
            0..6usize,
            0..3usize,
            "[A-Za-z_-]{1,12}",
            0..2usize,
            prop::collection::vec(arb_subscription(), 0..3),
            any::<bool>(),
        )
            .prop_map(|(from, ct, group_name, mm, subs, unit_mode)| ConsumerData {
                consume_from_where: ConsumeFromWhere::ALL[from],
                consume_type: ConsumeType::ALL[ct],
                group_name,
                message_model: MessageModel::ALL[mm],
                subscription_data_set: subs,
                unit_mode,
            })
    }

    fn arb_heartbeat() -> impl Strategy<Value = HeartbeatData> {
        (
            "[0-9.]{7,15}@[0-9#]{1,20}",
            prop::collection::vec(arb_consumer_data(), 0..3),
            any::<i32>(),
            prop::collection::vec(
                "[A-Za-z_]{1,12}".prop_map(|group_name| ProducerData { group_name }),
                0..3,
            ),
            any::<bool>(),
        )
            .prop_map(
                |(client_id, consumers, fingerprint, producers, without_sub)| HeartbeatData {
                    client_id,
                    consumer_data_set: consumers,
                    heartbeat_fingerprint: fingerprint,
                    producer_data_set: producers,
                    without_sub,
                },
            )
    }

    #[test]
    fn reads_java_client_heartbeat() {
        let java = r#"{"clientID":"10.0.0.9@12345#9876543210","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"cg","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1700000000000,"tagsSet":[],"topic":"%RETRY%cg"},{"classFilterMode":false,"codeSet":[2598919],"expressionType":"TAG","subString":"TagA","subVersion":1700000000001,"tagsSet":["TagA"],"topic":"T"}],"unitMode":false}],"heartbeatFingerprint":0,"producerDataSet":[{"groupName":"pg"},{"groupName":"CLIENT_INNER_PRODUCER"}],"withoutSub":false}"#;
        let hb: HeartbeatData = from_fastjson(java).unwrap();
        assert_eq!(hb.client_id, "10.0.0.9@12345#9876543210");
        let cd = &hb.consumer_data_set[0];
        assert_eq!(
            (cd.consume_type, cd.message_model),
            (ConsumeType::ConsumePassively, MessageModel::Clustering)
        );
        assert!(cd.subscription_data_set[0].is_sub_all());
        assert!(cd.subscription_data_set[1].matches_tag(Some("TagA")));
        assert_eq!(hb.producer_data_set[1].group_name, "CLIENT_INNER_PRODUCER");
        // Our output is the same document.
        assert_eq!(serde_json::to_string(&hb).unwrap(), java);
    }

    #[test]
    fn reads_go_client_heartbeat() {
        // As rocketmq-client-go v2 writes it: field order of its structs, codes as strings,
        // empty sets as [], no V2 fields.
        let go = r#"{"clientID":"10.0.0.9@4242","producerDataSet":[],"consumerDataSet":[{"groupName":"gcg","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","subscriptionDataSet":[{"classFilterMode":false,"topic":"T","subString":"TagA || TagB","tagsSet":["TagA","TagB"],"codeSet":["2598919","2598920"],"subVersion":1700000000000000000,"expressionType":"TAG"},{"classFilterMode":false,"topic":"%RETRY%gcg","subString":"*","tagsSet":[],"codeSet":[],"subVersion":1700000000000000001,"expressionType":"TAG"}],"unitMode":false}]}"#;
        let hb: HeartbeatData = from_fastjson(go).unwrap();
        let cd = &hb.consumer_data_set[0];
        assert_eq!(
            cd.consume_from_where,
            ConsumeFromWhere::ConsumeFromFirstOffset
        );
        assert!(cd.subscription_data_set[0].matches_tag_code(2598920));
        assert!(cd.subscription_data_set[1].is_sub_all());
        assert_eq!((hb.heartbeat_fingerprint, hb.without_sub), (0, false));
    }

    #[test]
    fn unknown_enum_names_fall_back_instead_of_failing() {
        let hb: HeartbeatData = from_fastjson(
            r#"{"clientID":"c","consumerDataSet":[{"groupName":"g","consumeType":"CONSUME_LATER","messageModel":0,"consumeFromWhere":null}],"producerDataSet":null}"#,
        )
        .unwrap();
        let cd = &hb.consumer_data_set[0];
        assert_eq!(cd.consume_type, ConsumeType::ConsumePassively);
        assert_eq!(cd.message_model, MessageModel::Broadcasting);
        assert_eq!(
            cd.consume_from_where,
            ConsumeFromWhere::ConsumeFromLastOffset
        );
    }

    proptest! {
        #[test]
        fn round_trip(hb in arb_heartbeat()) {
            let json = serde_json::to_string(&hb).unwrap();
            prop_assert_eq!(from_fastjson::<HeartbeatData>(&json).unwrap(), hb);
        }
    }
}
