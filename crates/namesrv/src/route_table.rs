//! The NameServer's routing state: which brokers exist, which are alive, which topics they
//! host. Pure data with the clock passed in, so every rule is testable without sockets.
//!
//! Rules (as the Java NameServer applies them):
//! - only a master's (id 0) registration updates a topic's queue data, and only when the
//!   broker's topic-table `DataVersion` changed or this is its first registration;
//! - one `ip:port` holds one broker id: re-registering an address under another id drops the
//!   old id;
//! - a broker that registers a different address for an existing id with an older
//!   `stateVersion` is ignored;
//! - a broker is dead when it has not registered or heartbeaten within its timeout (120 s by
//!   default); its address is removed, and once a broker group has no address left its queues
//!   leave every route.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ferromq_model::{
    BrokerData, BrokerMemberGroup, ClusterInfo, DataVersion, QueueData, TopicConfig,
    TopicConfigAndMappingSerializeWrapper, TopicQueueMappingInfo, TopicRouteData,
};

/// How long a broker lives without a heartbeat unless it says otherwise (Java: 120 s).
pub const DEFAULT_BROKER_TIMEOUT_MS: i64 = 120_000;

const PERM_WRITE: i32 = 1 << 1;
const TOPIC_SYS_FLAG_UNIT: i32 = 0x1;
const TOPIC_SYS_FLAG_UNIT_SUB: i32 = 0x2;

/// A broker instance is identified by its cluster and address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BrokerAddrKey {
    pub cluster: String,
    pub addr: String,
}

/// Liveness bookkeeping of one broker instance.
#[derive(Debug, Clone)]
pub struct BrokerLiveInfo {
    /// Last registration or heartbeat, ms since the epoch.
    pub last_update_ms: i64,
    /// Silence after which the broker is dead.
    pub timeout_ms: i64,
    /// The topic-table version it last registered with.
    pub data_version: DataVersion,
    /// The connection it registered over, if any (closing it unregisters the broker).
    pub channel_id: Option<u64>,
    /// Its HA address (`ip:haPort`).
    pub ha_server_addr: String,
    /// Broker name and id, to unregister it.
    pub broker_name: String,
    pub broker_id: i64,
}

/// One REGISTER_BROKER request, decoded.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub cluster: String,
    pub broker_addr: String,
    pub broker_name: String,
    pub broker_id: i64,
    pub ha_server_addr: String,
    pub zone_name: Option<String>,
    pub timeout_ms: Option<i64>,
    pub enable_acting_master: bool,
    pub topics: TopicConfigAndMappingSerializeWrapper,
    pub channel_id: Option<u64>,
}

/// What the NameServer answers a registration with (filled for slaves).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistrationResult {
    pub master_addr: Option<String>,
    pub ha_server_addr: Option<String>,
}

/// A broker instance that was removed (expired, unregistered or its channel closed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedBroker {
    pub cluster: String,
    pub broker_name: String,
    pub broker_addr: String,
    pub broker_id: i64,
}

/// The routing state.
#[derive(Debug)]
pub struct RouteTable {
    default_timeout_ms: i64,
    topic_queues: BTreeMap<String, BTreeMap<String, QueueData>>,
    topic_mappings: BTreeMap<String, BTreeMap<String, TopicQueueMappingInfo>>,
    brokers: BTreeMap<String, BrokerData>,
    clusters: BTreeMap<String, BTreeSet<String>>,
    live: HashMap<BrokerAddrKey, BrokerLiveInfo>,
}

impl Default for RouteTable {
    fn default() -> Self {
        Self::with_default_timeout(DEFAULT_BROKER_TIMEOUT_MS)
    }
}

impl RouteTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty table expiring silent brokers after `timeout_ms` unless their registration
    /// says otherwise.
    pub fn with_default_timeout(timeout_ms: i64) -> Self {
        RouteTable {
            default_timeout_ms: timeout_ms.max(1),
            topic_queues: BTreeMap::new(),
            topic_mappings: BTreeMap::new(),
            brokers: BTreeMap::new(),
            clusters: BTreeMap::new(),
            live: HashMap::new(),
        }
    }

    /// Applies a REGISTER_BROKER. `None` means the registration was ignored as stale.
    pub fn register_broker(
        &mut self,
        reg: Registration,
        now_ms: i64,
    ) -> Option<RegistrationResult> {
        let key = BrokerAddrKey {
            cluster: reg.cluster.clone(),
            addr: reg.broker_addr.clone(),
        };
        self.clusters
            .entry(reg.cluster.clone())
            .or_default()
            .insert(reg.broker_name.clone());

        let mut register_first = !self.brokers.contains_key(&reg.broker_name);
        let broker = self
            .brokers
            .entry(reg.broker_name.clone())
            .or_insert_with(|| BrokerData::new(reg.cluster.clone(), reg.broker_name.clone()));
        broker.enable_acting_master = reg.enable_acting_master;
        if reg.zone_name.is_some() {
            broker.zone_name = reg.zone_name.clone();
        }

        // A stale broker (older state version) re-registering an id under a new address
        // must not displace the current one.
        if let Some(old_addr) = broker.broker_addrs.get(&reg.broker_id) {
            if *old_addr != reg.broker_addr {
                let old_key = BrokerAddrKey {
                    cluster: reg.cluster.clone(),
                    addr: old_addr.clone(),
                };
                if let Some(old_live) = self.live.get(&old_key) {
                    let old_state = old_live.data_version.state_version;
                    let new_state = reg.topics.data_version.state_version;
                    if old_state > new_state {
                        tracing::warn!(
                            broker = %reg.broker_name, addr = %reg.broker_addr, id = reg.broker_id,
                            old_state, new_state, "ignoring registration with an older state version"
                        );
                        self.live.remove(&key);
                        return None;
                    }
                }
            }
        }

        // One address, one id: switching slave → master removes the old id entry.
        broker
            .broker_addrs
            .retain(|id, addr| !(*addr == reg.broker_addr && *id != reg.broker_id));
        let previous = broker
            .broker_addrs
            .insert(reg.broker_id, reg.broker_addr.clone());
        register_first |= previous.is_none();

        let is_master = reg.broker_id == 0;
        let changed = self
            .live
            .get(&key)
            .map(|l| l.data_version != reg.topics.data_version)
            .unwrap_or(true);
        if is_master && (changed || register_first) {
            for cfg in reg.topics.topic_config_table.values() {
                self.put_queue_data(&reg.broker_name, cfg);
            }
            for (topic, info) in &reg.topics.topic_queue_mapping_info_map {
                self.topic_mappings
                    .entry(topic.clone())
                    .or_default()
                    .insert(reg.broker_name.clone(), info.clone());
            }
        }

        self.live.insert(
            key,
            BrokerLiveInfo {
                last_update_ms: now_ms,
                timeout_ms: reg
                    .timeout_ms
                    .filter(|t| *t > 0)
                    .unwrap_or(self.default_timeout_ms),
                data_version: reg.topics.data_version,
                channel_id: reg.channel_id,
                ha_server_addr: reg.ha_server_addr.clone(),
                broker_name: reg.broker_name.clone(),
                broker_id: reg.broker_id,
            },
        );

        let mut result = RegistrationResult::default();
        if !is_master {
            if let Some(master) = self
                .brokers
                .get(&reg.broker_name)
                .and_then(|b| b.master_addr())
            {
                let master_key = BrokerAddrKey {
                    cluster: reg.cluster.clone(),
                    addr: master.to_string(),
                };
                result.ha_server_addr =
                    self.live.get(&master_key).map(|l| l.ha_server_addr.clone());
                result.master_addr = Some(master.to_string());
            }
        }
        Some(result)
    }

    fn put_queue_data(&mut self, broker_name: &str, cfg: &TopicConfig) {
        let qd = QueueData {
            broker_name: broker_name.to_string(),
            perm: cfg.perm,
            read_queue_nums: cfg.read_queue_nums,
            topic_sys_flag: cfg.topic_sys_flag,
            write_queue_nums: cfg.write_queue_nums,
        };
        let queues = self.topic_queues.entry(cfg.topic_name.clone()).or_default();
        if queues.get(broker_name) != Some(&qd) {
            tracing::debug!(topic = %cfg.topic_name, broker = broker_name, "topic queue data updated");
            queues.insert(broker_name.to_string(), qd);
        }
    }

    /// Applies an UNREGISTER_BROKER (or the removal of a dead broker).
    pub fn unregister_broker(
        &mut self,
        cluster: &str,
        addr: &str,
        broker_name: &str,
        broker_id: i64,
    ) -> bool {
        let key = BrokerAddrKey {
            cluster: cluster.to_string(),
            addr: addr.to_string(),
        };
        let was_live = self.live.remove(&key).is_some();
        let mut removed_group = false;
        if let Some(broker) = self.brokers.get_mut(broker_name) {
            if broker.broker_addrs.get(&broker_id).map(String::as_str) == Some(addr) {
                broker.broker_addrs.remove(&broker_id);
            }
            if broker.broker_addrs.is_empty() {
                self.brokers.remove(broker_name);
                removed_group = true;
            }
        }
        if removed_group {
            if let Some(names) = self.clusters.get_mut(cluster) {
                names.remove(broker_name);
                if names.is_empty() {
                    self.clusters.remove(cluster);
                }
            }
            self.remove_topics_of_broker(broker_name);
        }
        was_live || removed_group
    }

    fn remove_topics_of_broker(&mut self, broker_name: &str) {
        self.topic_queues.retain(|topic, queues| {
            if queues.remove(broker_name).is_some() {
                tracing::info!(topic = %topic, broker = broker_name, "removed topic queues of a removed broker");
            }
            !queues.is_empty()
        });
        self.topic_mappings.retain(|_, m| {
            m.remove(broker_name);
            !m.is_empty()
        });
    }

    /// Removes every broker silent past its timeout; returns them.
    pub fn scan_expired(&mut self, now_ms: i64) -> Vec<RemovedBroker> {
        let expired: Vec<(BrokerAddrKey, BrokerLiveInfo)> = self
            .live
            .iter()
            .filter(|(_, l)| now_ms - l.last_update_ms > l.timeout_ms)
            .map(|(k, l)| (k.clone(), l.clone()))
            .collect();
        self.remove_all(expired)
    }

    /// Removes every broker that registered over the channel `channel_id` (it closed).
    pub fn remove_by_channel(&mut self, channel_id: u64) -> Vec<RemovedBroker> {
        let gone: Vec<(BrokerAddrKey, BrokerLiveInfo)> = self
            .live
            .iter()
            .filter(|(_, l)| l.channel_id == Some(channel_id))
            .map(|(k, l)| (k.clone(), l.clone()))
            .collect();
        self.remove_all(gone)
    }

    fn remove_all(&mut self, gone: Vec<(BrokerAddrKey, BrokerLiveInfo)>) -> Vec<RemovedBroker> {
        gone.into_iter()
            .map(|(k, l)| {
                self.unregister_broker(&k.cluster, &k.addr, &l.broker_name, l.broker_id);
                RemovedBroker {
                    cluster: k.cluster,
                    broker_name: l.broker_name,
                    broker_addr: k.addr,
                    broker_id: l.broker_id,
                }
            })
            .collect()
    }

    /// Refreshes a broker's liveness (BROKER_HEARTBEAT, QUERY_DATA_VERSION). Returns whether
    /// the broker is known.
    pub fn touch(&mut self, cluster: &str, addr: &str, now_ms: i64) -> bool {
        let key = BrokerAddrKey {
            cluster: cluster.to_string(),
            addr: addr.to_string(),
        };
        match self.live.get_mut(&key) {
            Some(l) => {
                l.last_update_ms = now_ms;
                true
            }
            None => false,
        }
    }

    /// QUERY_DATA_VERSION: whether `version` differs from the registered one, and the
    /// registered one.
    pub fn query_data_version(
        &self,
        cluster: &str,
        addr: &str,
        version: &DataVersion,
    ) -> (bool, Option<DataVersion>) {
        let key = BrokerAddrKey {
            cluster: cluster.to_string(),
            addr: addr.to_string(),
        };
        match self.live.get(&key) {
            Some(l) => (l.data_version != *version, Some(l.data_version)),
            None => (true, None),
        }
    }

    /// The route of `topic`, or `None` when no live broker hosts it.
    pub fn topic_route(&self, topic: &str) -> Option<TopicRouteData> {
        let queues = self.topic_queues.get(topic)?;
        let mut route = TopicRouteData {
            queue_datas: queues.values().cloned().collect(),
            ..TopicRouteData::default()
        };
        for name in queues.keys() {
            if let Some(b) = self.brokers.get(name) {
                route.broker_datas.push(b.clone());
            }
        }
        if route.broker_datas.is_empty() {
            return None;
        }
        if let Some(m) = self.topic_mappings.get(topic) {
            route.topic_queue_mapping_by_broker = Some(m.clone());
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
        self.topic_queues.keys().cloned().collect()
    }

    /// Topics hosted by brokers of `cluster`.
    pub fn topics_of_cluster(&self, cluster: &str) -> Vec<String> {
        let Some(names) = self.clusters.get(cluster) else {
            return Vec::new();
        };
        self.topic_queues
            .iter()
            .filter(|(_, q)| q.keys().any(|b| names.contains(b)))
            .map(|(t, _)| t.clone())
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
        self.topic_queues
            .iter()
            .filter(|(_, q)| {
                q.values().next().is_some_and(|d| {
                    let f = d.topic_sys_flag;
                    match (unit, unit_sub) {
                        (true, _) => f & TOPIC_SYS_FLAG_UNIT != 0,
                        (false, true) => {
                            f & TOPIC_SYS_FLAG_UNIT == 0 && f & TOPIC_SYS_FLAG_UNIT_SUB != 0
                        }
                        (false, false) => f & TOPIC_SYS_FLAG_UNIT == 0,
                    }
                })
            })
            .map(|(t, _)| t.clone())
            .collect()
    }

    /// WIPE_WRITE_PERM_OF_BROKER / ADD_WRITE_PERM_OF_BROKER: returns how many topics changed.
    pub fn set_write_perm(&mut self, broker_name: &str, writable: bool) -> i32 {
        let mut count = 0;
        for queues in self.topic_queues.values_mut() {
            if let Some(qd) = queues.get_mut(broker_name) {
                qd.perm = if writable {
                    qd.perm | PERM_WRITE
                } else {
                    qd.perm & !PERM_WRITE
                };
                count += 1;
            }
        }
        count
    }

    /// DELETE_TOPIC_IN_NAMESRV: from every broker, or only those of `cluster`.
    pub fn delete_topic(&mut self, topic: &str, cluster: Option<&str>) {
        match cluster.filter(|c| !c.is_empty()) {
            None => {
                self.topic_queues.remove(topic);
                self.topic_mappings.remove(topic);
            }
            Some(c) => {
                let names = self.clusters.get(c).cloned().unwrap_or_default();
                if let Some(queues) = self.topic_queues.get_mut(topic) {
                    queues.retain(|b, _| !names.contains(b));
                    if queues.is_empty() {
                        self.topic_queues.remove(topic);
                    }
                }
            }
        }
    }

    /// REGISTER_TOPIC_IN_NAMESRV: adds queue data for brokers that exist.
    pub fn register_topic(&mut self, topic: &str, queue_datas: Vec<QueueData>) {
        for qd in queue_datas {
            if self.brokers.contains_key(&qd.broker_name) {
                self.topic_queues
                    .entry(topic.to_string())
                    .or_default()
                    .insert(qd.broker_name.clone(), qd);
            }
        }
    }

    /// Live broker instances (for tests and admin views).
    pub fn live_brokers(&self) -> Vec<(BrokerAddrKey, BrokerLiveInfo)> {
        let mut v: Vec<_> = self
            .live
            .iter()
            .map(|(k, l)| (k.clone(), l.clone()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }
}

#[cfg(test)]
#[path = "route_table_tests.rs"]
mod tests;
