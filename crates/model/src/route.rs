//! Topic routes (`GET_ROUTEINFO_BY_TOPIC`): which brokers host a topic, with how many queues,
//! and where those brokers are.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::lenient;
use crate::names::MASTER_ID;
use crate::static_topic::TopicQueueMappingInfo;

/// A topic's queues on one broker group:
/// `{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}`.
///
/// Clients up to 4.8 (and the Go client) name the last flag `topicSynFlag`; both are read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "RawQueueData")]
pub struct QueueData {
    /// Broker group name.
    pub broker_name: String,
    /// [`crate::perm`] bits of the topic on that broker.
    pub perm: i32,
    /// Queues consumers read.
    pub read_queue_nums: i32,
    /// Topic sys flag.
    pub topic_sys_flag: i32,
    /// Queues producers write.
    pub write_queue_nums: i32,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RawQueueData {
    #[serde(deserialize_with = "lenient::string")]
    broker_name: String,
    #[serde(deserialize_with = "lenient::int")]
    perm: i32,
    #[serde(deserialize_with = "lenient::int")]
    read_queue_nums: i32,
    #[serde(deserialize_with = "lenient::opt_int")]
    topic_sys_flag: Option<i32>,
    #[serde(deserialize_with = "lenient::opt_int")]
    topic_syn_flag: Option<i32>,
    #[serde(deserialize_with = "lenient::int")]
    write_queue_nums: i32,
}

impl From<RawQueueData> for QueueData {
    fn from(raw: RawQueueData) -> Self {
        Self {
            broker_name: raw.broker_name,
            perm: raw.perm,
            read_queue_nums: raw.read_queue_nums,
            topic_sys_flag: raw.topic_sys_flag.or(raw.topic_syn_flag).unwrap_or(0),
            write_queue_nums: raw.write_queue_nums,
        }
    }
}

/// One broker group (master + slaves):
/// `{"brokerAddrs":{"0":"10.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster",
/// "enableActingMaster":false}`; fastjson's unquoted `{0:"…"}` keys are read too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrokerData {
    /// Broker id (0 = master) → `ip:port`.
    #[serde(deserialize_with = "lenient::null_default")]
    pub broker_addrs: BTreeMap<i64, String>,
    /// Broker group name.
    #[serde(deserialize_with = "lenient::string")]
    pub broker_name: String,
    /// Cluster name.
    #[serde(deserialize_with = "lenient::string")]
    pub cluster: String,
    /// 5.x: a slave may act as master while the master is down.
    #[serde(deserialize_with = "lenient::boolean")]
    pub enable_acting_master: bool,
    /// 5.x zone, when brokers register one.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub zone_name: Option<String>,
}

impl BrokerData {
    /// A broker group with no addresses yet.
    pub fn new(cluster: impl Into<String>, broker_name: impl Into<String>) -> Self {
        Self {
            cluster: cluster.into(),
            broker_name: broker_name.into(),
            ..Self::default()
        }
    }

    /// The master's address.
    pub fn master_addr(&self) -> Option<&str> {
        self.broker_addrs.get(&MASTER_ID).map(String::as_str)
    }

    /// The master's address, else the slave with the lowest id (Java picks a random slave;
    /// a fixed choice keeps behaviour reproducible).
    pub fn select_broker_addr(&self) -> Option<&str> {
        self.master_addr()
            .or_else(|| self.broker_addrs.values().next().map(String::as_str))
    }
}

/// `GET_ROUTEINFO_BY_TOPIC` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicRouteData {
    /// Brokers hosting the topic.
    #[serde(deserialize_with = "lenient::null_default")]
    pub broker_datas: Vec<BrokerData>,
    /// Broker address → filter servers (always empty today, but Java always writes it).
    #[serde(deserialize_with = "lenient::null_default")]
    pub filter_server_table: BTreeMap<String, Vec<String>>,
    /// `brokerA:4;brokerB:4` for ordered topics (only with `orderMessageEnable`).
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub order_topic_conf: Option<String>,
    /// The topic's queues per broker.
    #[serde(deserialize_with = "lenient::null_default")]
    pub queue_datas: Vec<QueueData>,
    /// 5.x static topics: broker name → mapping.
    #[serde(
        deserialize_with = "lenient::null_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub topic_queue_mapping_by_broker: Option<BTreeMap<String, TopicQueueMappingInfo>>,
}

impl TopicRouteData {
    /// The broker group named `broker_name`.
    pub fn broker(&self, broker_name: &str) -> Option<&BrokerData> {
        self.broker_datas
            .iter()
            .find(|b| b.broker_name == broker_name)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fastjson::from_fastjson;
    use crate::static_topic::tests::arb_mapping_info;
    use proptest::prelude::*;

    pub(crate) fn arb_broker_data() -> impl Strategy<Value = BrokerData> {
        (
            prop::collection::btree_map(0..4i64, "10\\.0\\.0\\.[0-9]{1,3}:[0-9]{4,5}", 0..3),
            "broker-[a-e]",
            "[A-Za-z]{1,10}",
            any::<bool>(),
            proptest::option::of("z[0-9]"),
        )
            .prop_map(
                |(broker_addrs, broker_name, cluster, enable_acting_master, zone_name)| {
                    BrokerData {
                        broker_addrs,
                        broker_name,
                        cluster,
                        enable_acting_master,
                        zone_name,
                    }
                },
            )
    }

    pub(crate) fn arb_queue_data() -> impl Strategy<Value = QueueData> {
        ("broker-[a-e]", 0..8i32, 0..64i32, 0..4i32, 0..64i32).prop_map(
            |(broker_name, perm, read_queue_nums, topic_sys_flag, write_queue_nums)| QueueData {
                broker_name,
                perm,
                read_queue_nums,
                topic_sys_flag,
                write_queue_nums,
            },
        )
    }

    fn arb_route() -> impl Strategy<Value = TopicRouteData> {
        (
            prop::collection::vec(arb_broker_data(), 0..3),
            prop::collection::btree_map(
                "[0-9.:]{3,12}",
                prop::collection::vec("[0-9.:]{3,12}", 0..2),
                0..2,
            ),
            proptest::option::of("broker-a:[0-9]"),
            prop::collection::vec(arb_queue_data(), 0..3),
            proptest::option::of(prop::collection::btree_map(
                "broker-[a-c]",
                arb_mapping_info(),
                0..2,
            )),
        )
            .prop_map(
                |(broker_datas, filter_server_table, order_topic_conf, queue_datas, mapping)| {
                    TopicRouteData {
                        broker_datas,
                        filter_server_table,
                        order_topic_conf,
                        queue_datas,
                        topic_queue_mapping_by_broker: mapping,
                    }
                },
            )
    }

    /// A route as a 4.x Java NameServer writes it for an old client: unquoted broker ids.
    const JAVA_ROUTE: &str = r#"{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSynFlag":0,"writeQueueNums":4}]}"#;

    #[test]
    fn reads_java_route_with_unquoted_ids() {
        let route: TopicRouteData = from_fastjson(JAVA_ROUTE).unwrap();
        let broker = route.broker("broker-a").unwrap();
        assert_eq!(broker.master_addr(), Some("10.0.0.1:10911"));
        assert_eq!(broker.broker_addrs[&1], "10.0.0.2:10911");
        assert_eq!(route.queue_datas[0].write_queue_nums, 4);
        assert_eq!(route.order_topic_conf, None);
    }

    #[test]
    fn writes_standard_json_that_go_parses() {
        let route: TopicRouteData = from_fastjson(JAVA_ROUTE).unwrap();
        let json = serde_json::to_string(&route).unwrap();
        // Compact, quoted ids: the Go client splits brokerAddrs on ',' and ':' by hand.
        assert!(
            json.contains(r#""brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"}"#),
            "{json}"
        );
        assert!(
            json.contains(r#""topicSysFlag":0"#)
                && !json.contains("zoneName")
                && !json.contains("orderTopicConf")
        );
        assert!(json.contains(r#""filterServerTable":{}"#));
    }

    #[test]
    fn queue_data_flag_spellings() {
        let syn: QueueData = from_fastjson(r#"{"brokerName":"b","topicSynFlag":3}"#).unwrap();
        assert_eq!(syn.topic_sys_flag, 3);
        let both: QueueData =
            from_fastjson(r#"{"brokerName":"b","topicSynFlag":3,"topicSysFlag":5}"#).unwrap();
        assert_eq!(both.topic_sys_flag, 5);
    }

    #[test]
    fn select_broker_addr_prefers_master() {
        let mut b = BrokerData::new("c", "broker-a");
        assert_eq!(b.select_broker_addr(), None);
        b.broker_addrs.insert(2, "s2".into());
        b.broker_addrs.insert(1, "s1".into());
        assert_eq!(b.select_broker_addr(), Some("s1"));
        b.broker_addrs.insert(0, "m".into());
        assert_eq!(b.select_broker_addr(), Some("m"));
    }

    proptest! {
        #[test]
        fn route_round_trip(route in arb_route()) {
            let json = serde_json::to_string(&route).unwrap();
            prop_assert_eq!(from_fastjson::<TopicRouteData>(&json).unwrap(), route);
        }

        #[test]
        fn broker_data_round_trips_through_fastjson_keys(b in arb_broker_data()) {
            let addrs: Vec<String> = b.broker_addrs.iter().map(|(k, v)| format!("{k}:{v:?}")).collect();
            let fastjson = format!(
                r#"{{"brokerAddrs":{{{}}},"brokerName":{:?},"cluster":{:?},"enableActingMaster":{}{}}}"#,
                addrs.join(","), b.broker_name, b.cluster, b.enable_acting_master,
                b.zone_name.as_ref().map(|z| format!(r#","zoneName":{z:?}"#)).unwrap_or_default()
            );
            prop_assert_eq!(from_fastjson::<BrokerData>(&fastjson).unwrap(), b);
        }
    }
}
