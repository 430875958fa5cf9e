//! Read-only views of the route table, one per NameServer query. Names given here are only
//! looked up: a name the table never admitted simply misses.

use ferromq_model::{BrokerMemberGroup, ClusterInfo, DataVersion, TopicRouteData};

use super::{BrokerAddrKey, RouteTable};

const TOPIC_SYS_FLAG_UNIT: i32 = 0x1;
const TOPIC_SYS_FLAG_UNIT_SUB: i32 = 0x2;

impl RouteTable {
    /// QUERY_DATA_VERSION: whether `version` differs from the registered one, and the
    /// registered one.
    pub fn query_data_version(
        &self,
        cluster: &str,
        addr: &str,
        version: &DataVersion,
    ) -> (bool, Option<DataVersion>) {
        match self.live.get(&BrokerAddrKey::new(cluster, addr)) {
            Some(l) => (l.data_version != *version, Some(l.data_version)),
            None => (true, None),
        }
    }

    /// The route of `topic`, or `None` when no live broker hosts it.
    pub fn topic_route(&self, topic: &str) -> Option<TopicRouteData> {
        let routes = self.topics.topic(topic)?;
        let mut route = TopicRouteData {
            queue_datas: routes.values().map(|r| r.queue.clone()).collect(),
            ..TopicRouteData::default()
        };
        for name in routes.keys() {
            if let Some(b) = self.brokers.get(&**name) {
                route.broker_datas.push(b.clone());
            }
        }
        if route.broker_datas.is_empty() {
            return None;
        }
        let mappings: std::collections::BTreeMap<String, _> = routes
            .iter()
            .filter_map(|(b, r)| Some((b.to_string(), r.mapping.clone()?)))
            .collect();
        if !mappings.is_empty() {
            route.topic_queue_mapping_by_broker = Some(mappings);
        }
        Some(route)
    }

    /// GET_BROKER_CLUSTER_INFO.
    pub fn cluster_info(&self) -> ClusterInfo {
        ClusterInfo {
            broker_addr_table: self.brokers.clone(),
            cluster_addr_table: self.clusters.clone(),
        }
    }

    /// GET_BROKER_MEMBER_GROUP.
    pub fn broker_member_group(&self, cluster: &str, broker_name: &str) -> BrokerMemberGroup {
        BrokerMemberGroup {
            broker_addrs: self
                .brokers
                .get(broker_name)
                .map(|b| b.broker_addrs.clone())
                .unwrap_or_default(),
            broker_name: broker_name.to_string(),
            cluster: cluster.to_string(),
        }
    }

    /// Every topic name.
    pub fn all_topics(&self) -> Vec<String> {
        self.topics.iter().map(|(t, _)| t.to_string()).collect()
    }

    /// Topics hosted by brokers of `cluster`.
    pub fn topics_of_cluster(&self, cluster: &str) -> Vec<String> {
        let Some(names) = self.clusters.get(cluster) else {
            return Vec::new();
        };
        self.topics
            .iter()
            .filter(|(_, routes)| routes.keys().any(|b| names.contains(&**b)))
            .map(|(t, _)| t.to_string())
            .collect()
    }

    /// System topics: every cluster name and broker name (Java's definition), plus one broker
    /// address for tools to query.
    pub fn system_topics(&self) -> (Vec<String>, Option<String>) {
        let mut topics: Vec<String> = self.clusters.keys().cloned().collect();
        topics.extend(self.brokers.keys().cloned());
        let addr = self
            .brokers
            .values()
            .find_map(|b| b.master_addr().map(str::to_string));
        (topics, addr)
    }

    /// Topics whose sys flag has the UNIT bit, UNIT_SUB bit, or neither.
    pub fn unit_topics(&self, unit: bool, unit_sub: bool) -> Vec<String> {
        self.topics
            .iter()
            .filter(|(_, routes)| {
                routes.values().next().is_some_and(|r| {
                    let f = r.queue.topic_sys_flag;
                    match (unit, unit_sub) {
                        (true, _) => f & TOPIC_SYS_FLAG_UNIT != 0,
                        (false, true) => {
                            f & TOPIC_SYS_FLAG_UNIT == 0 && f & TOPIC_SYS_FLAG_UNIT_SUB != 0
                        }
                        (false, false) => f & TOPIC_SYS_FLAG_UNIT == 0,
                    }
                })
            })
            .map(|(t, _)| t.to_string())
            .collect()
    }

    /// Live broker instances (for tests and admin views).
    pub fn live_brokers(&self) -> Vec<(BrokerAddrKey, super::BrokerLiveInfo)> {
        let mut v: Vec<_> = self
            .live
            .iter()
            .map(|(k, l)| (k.clone(), l.clone()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }
}
