//! Consumer-group configuration on a broker (`subscriptionGroup.json`, admin bodies): whether
//! the group may consume, its retry queues and retry policy.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data_version::DataVersion;
use crate::enums::GroupRetryPolicyType;
use crate::lenient;

/// Retry delays of the default customized policy, in ms: the 18 delay levels `1s … 2h`.
pub(crate) const DEFAULT_RETRY_DELAYS_MS: [i64; 18] = [
    1_000, 5_000, 10_000, 30_000, 60_000, 120_000, 180_000, 240_000, 300_000, 360_000, 420_000,
    480_000, 540_000, 600_000, 1_200_000, 1_800_000, 3_600_000, 7_200_000,
];

/// `{"next":[1000,5000,…]}`: delay before the n-th retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomizedRetryPolicy {
    /// Delays in ms, indexed by reconsume count.
    #[serde(deserialize_with = "lenient::null_default")]
    pub next: Vec<i64>,
}

impl Default for CustomizedRetryPolicy {
    fn default() -> Self {
        Self {
            next: DEFAULT_RETRY_DELAYS_MS.to_vec(),
        }
    }
}

/// `{"initial":5000,"max":7200000,"multiplier":2}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExponentialRetryPolicy {
    /// First delay in ms.
    #[serde(deserialize_with = "lenient::int")]
    pub initial: i64,
    /// Longest delay in ms.
    #[serde(deserialize_with = "lenient::int")]
    pub max: i64,
    /// Growth factor per retry.
    #[serde(deserialize_with = "lenient::int")]
    pub multiplier: i64,
}

impl Default for ExponentialRetryPolicy {
    fn default() -> Self {
        Self {
            initial: 5_000,
            max: 7_200_000,
            multiplier: 2,
        }
    }
}

/// `{"type":"CUSTOMIZED"}` plus the chosen policy's parameters, if set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupRetryPolicy {
    /// Parameters when `type` is `CUSTOMIZED` (defaults apply when absent).
    #[serde(
        deserialize_with = "lenient::null_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub customized_retry_policy: Option<CustomizedRetryPolicy>,
    /// Parameters when `type` is `EXPONENTIAL` (defaults apply when absent).
    #[serde(
        deserialize_with = "lenient::null_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub exponential_retry_policy: Option<ExponentialRetryPolicy>,
    /// Which policy applies.
    #[serde(rename = "type", deserialize_with = "lenient::or_default")]
    pub policy_type: GroupRetryPolicyType,
}

/// A group's subscription as stored with the group config (5.x): `{"expression":"*",
/// "expressionType":"TAG","topic":"T","version":0}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SimpleSubscriptionData {
    /// Filter expression.
    #[serde(deserialize_with = "lenient::string")]
    pub expression: String,
    /// `TAG` or `SQL92` (kept as text, as Java does).
    #[serde(deserialize_with = "lenient::string")]
    pub expression_type: String,
    /// Topic.
    #[serde(deserialize_with = "lenient::string")]
    pub topic: String,
    /// Version.
    #[serde(deserialize_with = "lenient::int")]
    pub version: i64,
}

/// A consumer group's config; missing fields take Java 5.x's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroupConfig {
    /// 5.x group attributes.
    #[serde(deserialize_with = "lenient::null_default")]
    pub attributes: BTreeMap<String, String>,
    /// Broker id consumers should pull from (0 = master).
    #[serde(deserialize_with = "lenient::int")]
    pub broker_id: i64,
    /// Whether broadcasting consumers are allowed.
    #[serde(deserialize_with = "lenient::boolean")]
    pub consume_broadcast_enable: bool,
    /// Whether the group may consume at all.
    #[serde(deserialize_with = "lenient::boolean")]
    pub consume_enable: bool,
    /// Whether a new group starts from the min offset.
    #[serde(deserialize_with = "lenient::boolean")]
    pub consume_from_min_enable: bool,
    /// Whether the group consumes orderly (5.x pop/gRPC).
    #[serde(deserialize_with = "lenient::boolean")]
    pub consume_message_orderly: bool,
    /// Push consumer timeout in minutes.
    #[serde(deserialize_with = "lenient::int")]
    pub consume_timeout_minute: i32,
    /// Group name.
    #[serde(deserialize_with = "lenient::string")]
    pub group_name: String,
    /// Retry delays of the group (5.x).
    #[serde(deserialize_with = "lenient::null_default")]
    pub group_retry_policy: GroupRetryPolicy,
    /// Group sys flag.
    #[serde(deserialize_with = "lenient::int")]
    pub group_sys_flag: i32,
    /// Whether the broker sends NOTIFY_CONSUMER_IDS_CHANGED on membership changes.
    #[serde(deserialize_with = "lenient::boolean")]
    pub notify_consumer_ids_changed_enable: bool,
    /// Reconsume attempts before a message goes to the DLQ.
    #[serde(deserialize_with = "lenient::int")]
    pub retry_max_times: i32,
    /// Queues of `%RETRY%group`.
    #[serde(deserialize_with = "lenient::int")]
    pub retry_queue_nums: i32,
    /// Subscriptions stored with the group (5.x), if any.
    #[serde(
        deserialize_with = "lenient::null_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub subscription_data_set: Option<Vec<SimpleSubscriptionData>>,
    /// Broker id to suggest when the consumer lags far behind.
    #[serde(deserialize_with = "lenient::int")]
    pub which_broker_when_consume_slowly: i64,
}

impl Default for SubscriptionGroupConfig {
    fn default() -> Self {
        Self {
            attributes: BTreeMap::new(),
            broker_id: 0,
            consume_broadcast_enable: true,
            consume_enable: true,
            consume_from_min_enable: true,
            consume_message_orderly: false,
            consume_timeout_minute: 15,
            group_name: String::new(),
            group_retry_policy: GroupRetryPolicy::default(),
            group_sys_flag: 0,
            notify_consumer_ids_changed_enable: true,
            retry_max_times: 16,
            retry_queue_nums: 1,
            subscription_data_set: None,
            which_broker_when_consume_slowly: 1,
        }
    }
}

impl SubscriptionGroupConfig {
    /// A group with Java's defaults.
    pub fn new(group_name: impl Into<String>) -> Self {
        Self {
            group_name: group_name.into(),
            ..Self::default()
        }
    }
}

/// `subscriptionGroup.json` and the `GET_ALL_SUBSCRIPTIONGROUP_CONFIG` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroupWrapper {
    /// Version of the table.
    #[serde(deserialize_with = "lenient::null_default")]
    pub data_version: DataVersion,
    /// Group → topic → forbidden bits.
    #[serde(deserialize_with = "lenient::null_default")]
    pub forbidden_table: BTreeMap<String, BTreeMap<String, i32>>,
    /// Group name → config.
    #[serde(deserialize_with = "lenient::null_default")]
    pub subscription_group_table: BTreeMap<String, SubscriptionGroupConfig>,
}

/// `UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST` body: `{"groupConfigList":[…]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroupList {
    /// Groups to create or update.
    #[serde(deserialize_with = "lenient::null_default")]
    pub group_config_list: Vec<SubscriptionGroupConfig>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_version::tests::arb_data_version;
    use crate::fastjson::from_fastjson;
    use proptest::prelude::*;

    fn arb_retry_policy() -> impl Strategy<Value = GroupRetryPolicy> {
        (
            proptest::option::of(
                prop::collection::vec(0..10_000_000i64, 0..5)
                    .prop_map(|next| CustomizedRetryPolicy { next }),
            ),
            proptest::option::of((1..10_000i64, 1..10_000_000i64, 1..5i64).prop_map(
                |(initial, max, multiplier)| ExponentialRetryPolicy {
                    initial,
                    max,
                    multiplier,
                },
            )),
            any::<bool>(),
        )
            .prop_map(|(customized, exponential, exp)| GroupRetryPolicy {
                customized_retry_policy: customized,
                exponential_retry_policy: exponential,
                policy_type: if exp {
                    GroupRetryPolicyType::Exponential
                } else {
                    GroupRetryPolicyType::Customized
                },
            })
    }

    fn arb_group_config() -> impl Strategy<Value = SubscriptionGroupConfig> {
        let subs = prop::collection::vec(
            (
                "[a-z*]{1,5}",
                prop_oneof![Just("TAG".to_string()), Just("SQL92".to_string())],
                "[A-Z]{1,5}",
                any::<i64>(),
            )
                .prop_map(|(expression, expression_type, topic, version)| {
                    SimpleSubscriptionData {
                        expression,
                        expression_type,
                        topic,
                        version,
                    }
                }),
            0..3,
        );
        (
            (
                prop::collection::btree_map("[a-z.]{1,6}", "[a-z]{0,4}", 0..2),
                0..3i64,
                any::<[bool; 5]>(),
                0..60i32,
            ),
            (
                "[A-Za-z_-]{1,12}",
                arb_retry_policy(),
                0..4i32,
                0..32i32,
                0..4i32,
            ),
            (proptest::option::of(subs), 0..3i64),
        )
            .prop_map(
                |(
                    (attributes, broker_id, flags, timeout),
                    (name, policy, sys, max, queues),
                    (subs, slow),
                )| {
                    SubscriptionGroupConfig {
                        attributes,
                        broker_id,
                        consume_broadcast_enable: flags[0],
                        consume_enable: flags[1],
                        consume_from_min_enable: flags[2],
                        consume_message_orderly: flags[3],
                        consume_timeout_minute: timeout,
                        group_name: name,
                        group_retry_policy: policy,
                        group_sys_flag: sys,
                        notify_consumer_ids_changed_enable: flags[4],
                        retry_max_times: max,
                        retry_queue_nums: queues,
                        subscription_data_set: subs,
                        which_broker_when_consume_slowly: slow,
                    }
                },
            )
    }

    #[test]
    fn missing_fields_take_java_5_defaults() {
        let g: SubscriptionGroupConfig = from_fastjson(r#"{"groupName":"cg"}"#).unwrap();
        assert_eq!(g, SubscriptionGroupConfig::new("cg"));
        assert_eq!(
            (
                g.retry_queue_nums,
                g.retry_max_times,
                g.consume_timeout_minute
            ),
            (1, 16, 15)
        );
        assert!(
            g.consume_enable && g.consume_broadcast_enable && g.notify_consumer_ids_changed_enable
        );
        assert_eq!((g.broker_id, g.which_broker_when_consume_slowly), (0, 1));
        assert_eq!(
            g.group_retry_policy.policy_type,
            GroupRetryPolicyType::Customized
        );
    }

    #[test]
    fn java_shape() {
        let json = serde_json::to_string(&SubscriptionGroupConfig::new("cg")).unwrap();
        assert_eq!(
            json,
            r#"{"attributes":{},"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,"consumeMessageOrderly":false,"consumeTimeoutMinute":15,"groupName":"cg","groupRetryPolicy":{"type":"CUSTOMIZED"},"groupSysFlag":0,"notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}"#
        );
    }

    #[test]
    fn reads_a_4x_subscription_group_file() {
        // 4.x files have no retry policy or attributes; consumeEnable arrives as 0/1 from some tools.
        let text = "{\n\t\"dataVersion\":{\n\t\t\"counter\":1,\n\t\t\"timestamp\":1700000000000\n\t},\n\t\"subscriptionGroupTable\":{\n\t\t\"cg\":{\n\t\t\t\"brokerId\":0,\n\t\t\t\"consumeBroadcastEnable\":true,\n\t\t\t\"consumeEnable\":0,\n\t\t\t\"consumeFromMinEnable\":true,\n\t\t\t\"groupName\":\"cg\",\n\t\t\t\"retryMaxTimes\":\"3\",\n\t\t\t\"retryQueueNums\":1,\n\t\t\t\"whichBrokerWhenConsumeSlowly\":1\n\t\t}\n\t}\n}";
        let w: SubscriptionGroupWrapper = from_fastjson(text).unwrap();
        let g = &w.subscription_group_table["cg"];
        assert!(!g.consume_enable);
        assert_eq!(g.retry_max_times, 3);
        assert_eq!(g.consume_timeout_minute, 15);
        assert!(w.forbidden_table.is_empty());
        let policy: CustomizedRetryPolicy = from_fastjson("{}").unwrap();
        assert_eq!(policy.next.len(), 18);
        assert_eq!(
            from_fastjson::<ExponentialRetryPolicy>("{}").unwrap().max,
            7_200_000
        );
    }

    proptest! {
        #[test]
        fn config_round_trip(g in arb_group_config()) {
            let json = serde_json::to_string(&g).unwrap();
            prop_assert_eq!(from_fastjson::<SubscriptionGroupConfig>(&json).unwrap(), g);
        }

        #[test]
        fn wrapper_and_list_round_trip(groups in prop::collection::vec(arb_group_config(), 0..3),
                                       dv in arb_data_version(),
                                       forbidden in prop::collection::btree_map("[a-z]{1,4}", prop::collection::btree_map("[A-Z]{1,4}", 0..8i32, 0..2), 0..2)) {
            let w = SubscriptionGroupWrapper {
                data_version: dv,
                forbidden_table: forbidden,
                subscription_group_table: groups.iter().map(|g| (g.group_name.clone(), g.clone())).collect(),
            };
            let json = serde_json::to_string_pretty(&w).unwrap();
            prop_assert_eq!(from_fastjson::<SubscriptionGroupWrapper>(&json).unwrap(), w);
            let list = SubscriptionGroupList { group_config_list: groups };
            let json = serde_json::to_string(&list).unwrap();
            prop_assert_eq!(from_fastjson::<SubscriptionGroupList>(&json).unwrap(), list);
        }
    }
}
