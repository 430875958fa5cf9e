//! Cluster-wide views served by the NameServer: `GET_BROKER_CLUSTER_INFO` and
//! `GET_BROKER_MEMBER_GROUP`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::lenient;
use crate::route::BrokerData;

/// `{"brokerAddrTable":{"broker-a":BrokerData},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClusterInfo {
    /// Broker name → broker group.
    #[serde(deserialize_with = "lenient::null_default")]
    pub broker_addr_table: BTreeMap<String, BrokerData>,
    /// Cluster name → broker names.
    #[serde(deserialize_with = "lenient::null_default")]
    pub cluster_addr_table: BTreeMap<String, BTreeSet<String>>,
}

impl ClusterInfo {
    /// Addresses of every broker instance (masters and slaves) in `cluster`.
    pub fn all_addrs_of_cluster(&self, cluster: &str) -> Vec<&str> {
        self.cluster_addr_table
            .get(cluster)
            .into_iter()
            .flatten()
            .filter_map(|name| self.broker_addr_table.get(name))
            .flat_map(|b| b.broker_addrs.values().map(String::as_str))
            .collect()
    }

    /// Master addresses of the brokers in `cluster`.
    pub fn master_addrs_of_cluster(&self, cluster: &str) -> Vec<&str> {
        self.cluster_addr_table
            .get(cluster)
            .into_iter()
            .flatten()
            .filter_map(|name| self.broker_addr_table.get(name)?.master_addr())
            .collect()
    }
}

/// The live members of one broker group:
/// `{"brokerAddrs":{"0":"…"},"brokerName":"broker-a","cluster":"DefaultCluster"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BrokerMemberGroup {
    /// Broker id → address.
    #[serde(deserialize_with = "lenient::null_default")]
    pub broker_addrs: BTreeMap<i64, String>,
    /// Broker group name.
    #[serde(deserialize_with = "lenient::string")]
    pub broker_name: String,
    /// Cluster name.
    #[serde(deserialize_with = "lenient::string")]
    pub cluster: String,
}

impl BrokerMemberGroup {
    /// The lowest broker id present, if any.
    pub fn minimum_broker_id(&self) -> Option<i64> {
        self.broker_addrs.keys().next().copied()
    }
}

/// `GET_BROKER_MEMBER_GROUP` (901) response: `{"brokerMemberGroup":{…}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GetBrokerMemberGroupResponseBody {
    /// The group, absent if the NameServer does not know it.
    #[serde(
        deserialize_with = "lenient::null_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub broker_member_group: Option<BrokerMemberGroup>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fastjson::from_fastjson;
    use crate::route::tests::arb_broker_data;
    use proptest::prelude::*;

    #[test]
    fn reads_java_cluster_info_with_unquoted_ids() {
        // GET_BROKER_CLUSTER_INFO always uses plain fastjson.
        let text = r#"{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false},"broker-b":{"brokerAddrs":{1:"10.0.0.4:10911"},"brokerName":"broker-b","cluster":"DefaultCluster"}},"clusterAddrTable":{"DefaultCluster":["broker-b","broker-a"]}}"#;
        let info: ClusterInfo = from_fastjson(text).unwrap();
        assert_eq!(
            info.master_addrs_of_cluster("DefaultCluster"),
            ["10.0.0.1:10911"]
        );
        assert_eq!(
            info.all_addrs_of_cluster("DefaultCluster"),
            ["10.0.0.1:10911", "10.0.0.2:10911", "10.0.0.4:10911"]
        );
        assert!(info.all_addrs_of_cluster("Other").is_empty());
    }

    #[test]
    fn member_group_shapes() {
        let body: GetBrokerMemberGroupResponseBody =
            from_fastjson(r#"{"brokerMemberGroup":{"brokerAddrs":{1:"a",2:"b"},"brokerName":"bn","cluster":"c"}}"#).unwrap();
        let group = body.broker_member_group.unwrap();
        assert_eq!(group.minimum_broker_id(), Some(1));
        assert_eq!(
            serde_json::to_string(&group).unwrap(),
            r#"{"brokerAddrs":{"1":"a","2":"b"},"brokerName":"bn","cluster":"c"}"#
        );
        assert_eq!(
            serde_json::to_string(&GetBrokerMemberGroupResponseBody::default()).unwrap(),
            "{}"
        );
    }

    proptest! {
        #[test]
        fn cluster_info_round_trip(brokers in prop::collection::vec(arb_broker_data(), 0..4)) {
            let mut info = ClusterInfo::default();
            for b in brokers {
                info.cluster_addr_table.entry(b.cluster.clone()).or_default().insert(b.broker_name.clone());
                info.broker_addr_table.insert(b.broker_name.clone(), b);
            }
            let json = serde_json::to_string(&info).unwrap();
            prop_assert_eq!(from_fastjson::<ClusterInfo>(&json).unwrap(), info);
        }

        #[test]
        fn member_group_round_trip(b in arb_broker_data(), present in any::<bool>()) {
            let group = BrokerMemberGroup { broker_addrs: b.broker_addrs, broker_name: b.broker_name, cluster: b.cluster };
            let body = GetBrokerMemberGroupResponseBody { broker_member_group: present.then_some(group) };
            let json = serde_json::to_string(&body).unwrap();
            prop_assert_eq!(from_fastjson::<GetBrokerMemberGroupResponseBody>(&json).unwrap(), body);
        }
    }
}
