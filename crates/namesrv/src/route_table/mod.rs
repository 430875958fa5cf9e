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
//!   default, at most [`RouteLimits::max_broker_timeout_ms`]), or as soon as the connection it
//!   registered over closes; its address is removed, and once a broker group has no address
//!   left its queues leave every route.
//!
//! Anyone can send REGISTER_BROKER, so names are checked ([`crate::checks`]) and everything is
//! bounded ([`RouteLimits`]): every broker group, cluster membership and address is backed by
//! a live broker instance and leaves with the last one, and routes leave with their group.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ferromq_model::{BrokerData, DataVersion, QueueData, TopicConfigAndMappingSerializeWrapper};

use crate::checks::check_topic;
use admission::{check_registration, Admitted};

mod admission;
mod limits;
mod queries;
mod topics;

pub use limits::{RouteLimits, RouteRefused};
use topics::TopicRoutes;

/// How long a broker lives without a heartbeat unless it says otherwise (Java: 120 s).
pub const DEFAULT_BROKER_TIMEOUT_MS: i64 = 120_000;

const PERM_WRITE: i32 = 1 << 1;

/// A broker instance is identified by its cluster and address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BrokerAddrKey {
    pub cluster: String,
    pub addr: String,
}

impl BrokerAddrKey {
    fn new(cluster: &str, addr: &str) -> Self {
        BrokerAddrKey {
            cluster: cluster.to_string(),
            addr: addr.to_string(),
        }
    }
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
    /// Topics and mappings of the registration that were left out, for a warning.
    pub skipped: Skipped,
}

/// Parts of a registration that were left out; the rest was applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Topics with names Java's `TopicValidator` refuses.
    pub topics: usize,
    /// The first such topic's error, to log.
    pub first_reason: Option<String>,
    /// Static-topic mappings of unknown topics or over [`RouteLimits::max_mapping_queues`].
    pub mappings: usize,
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
    limits: RouteLimits,
    topics: TopicRoutes,
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
            limits: RouteLimits::default(),
            topics: TopicRoutes::default(),
            brokers: BTreeMap::new(),
            clusters: BTreeMap::new(),
            live: HashMap::new(),
        }
    }

    /// This table with `limits` instead of the defaults.
    pub fn with_limits(mut self, limits: RouteLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> &RouteLimits {
        &self.limits
    }

    /// Applies a REGISTER_BROKER. `Ok(None)` means it was ignored as stale; an error means it
    /// was refused and nothing changed.
    pub fn register_broker(
        &mut self,
        reg: Registration,
        now_ms: i64,
    ) -> Result<Option<RegistrationResult>, RouteRefused> {
        check_registration(&reg)?;
        let key = BrokerAddrKey::new(&reg.cluster, &reg.broker_addr);
        if !self.live.contains_key(&key) {
            self.check_room_for_instance(reg.channel_id)?;
        }
        if self.is_stale(&reg) {
            tracing::warn!(
                broker = %reg.broker_name, addr = %reg.broker_addr, id = reg.broker_id,
                new_state = reg.topics.data_version.state_version,
                "ignoring registration with an older state version"
            );
            if let Some(old) = self.live.get(&key).cloned() {
                self.unregister_broker(&key.cluster, &key.addr, &old.broker_name, old.broker_id);
            }
            return Ok(None);
        }

        let is_master = reg.broker_id == 0;
        let register_first = self
            .brokers
            .get(&reg.broker_name)
            .is_none_or(|b| !b.broker_addrs.contains_key(&reg.broker_id));
        let changed = self
            .live
            .get(&key)
            .is_none_or(|l| l.data_version != reg.topics.data_version);
        let admitted = if is_master && (changed || register_first) {
            let admitted = self.admit_topics(&reg);
            self.check_room_for_topics(&reg.broker_name, &admitted)?;
            Some(admitted)
        } else {
            None
        };

        // Checked; from here on the registration is applied.
        self.attach(&reg, &key);
        let mut result = RegistrationResult::default();
        if let Some(admitted) = admitted {
            result.skipped = self.apply_topics(&reg.broker_name, admitted);
        }
        let timeout_ms = reg
            .timeout_ms
            .filter(|t| *t > 0)
            .map_or(self.default_timeout_ms, |t| {
                t.min(self.limits.max_broker_timeout_ms)
            });
        self.live.insert(
            key,
            BrokerLiveInfo {
                last_update_ms: now_ms,
                timeout_ms,
                data_version: reg.topics.data_version,
                channel_id: reg.channel_id,
                ha_server_addr: reg.ha_server_addr.clone(),
                broker_name: reg.broker_name.clone(),
                broker_id: reg.broker_id,
            },
        );

        if !is_master {
            (result.master_addr, result.ha_server_addr) =
                self.master_of(&reg.cluster, &reg.broker_name);
        }
        Ok(Some(result))
    }

    /// Puts the broker instance of `reg` (at `key`) into its cluster and group.
    fn attach(&mut self, reg: &Registration, key: &BrokerAddrKey) {
        if let Some(old) = self.live.remove(key) {
            if old.broker_name != reg.broker_name {
                // The address now belongs to another broker group: the old one must not keep it.
                self.detach(&key.cluster, &key.addr, &old.broker_name, old.broker_id);
            }
        }
        self.clusters
            .entry(reg.cluster.clone())
            .or_default()
            .insert(reg.broker_name.clone());
        let broker = self
            .brokers
            .entry(reg.broker_name.clone())
            .or_insert_with(|| BrokerData::new(reg.cluster.clone(), reg.broker_name.clone()));
        broker.enable_acting_master = reg.enable_acting_master;
        if reg.zone_name.is_some() {
            broker.zone_name = reg.zone_name.clone();
        }
        // One address, one id: switching slave → master removes the old id entry.
        broker
            .broker_addrs
            .retain(|id, addr| !(*addr == reg.broker_addr && *id != reg.broker_id));
        broker
            .broker_addrs
            .insert(reg.broker_id, reg.broker_addr.clone());
    }

    /// The master address of a broker group and the master's HA address, for its slaves.
    fn master_of(&self, cluster: &str, broker_name: &str) -> (Option<String>, Option<String>) {
        let Some(master) = self.brokers.get(broker_name).and_then(|b| b.master_addr()) else {
            return (None, None);
        };
        let ha = self
            .live
            .get(&BrokerAddrKey::new(cluster, master))
            .map(|l| l.ha_server_addr.clone());
        (Some(master.to_string()), ha)
    }

    /// A stale broker (older state version) re-registering an id under a new address must not
    /// displace the current one.
    fn is_stale(&self, reg: &Registration) -> bool {
        let Some(old_addr) = self
            .brokers
            .get(&reg.broker_name)
            .and_then(|b| b.broker_addrs.get(&reg.broker_id))
        else {
            return false;
        };
        *old_addr != reg.broker_addr
            && self
                .live
                .get(&BrokerAddrKey::new(&reg.cluster, old_addr))
                .is_some_and(|old| {
                    old.data_version.state_version > reg.topics.data_version.state_version
                })
    }

    fn apply_topics(&mut self, broker: &str, admitted: Admitted) -> Skipped {
        for (topic, queue) in admitted.queues {
            if self.topics.put_queue(&topic, queue) {
                tracing::debug!(topic = %topic, broker, "topic queue data updated");
            }
        }
        for (topic, info) in admitted.mappings {
            self.topics.put_mapping(&topic, broker, info);
        }
        admitted.skipped
    }

    /// Applies an UNREGISTER_BROKER (or the removal of a dead broker). Returns whether
    /// anything was removed.
    pub fn unregister_broker(
        &mut self,
        cluster: &str,
        addr: &str,
        broker_name: &str,
        broker_id: i64,
    ) -> bool {
        let live = self.live.remove(&BrokerAddrKey::new(cluster, addr));
        let mut removed = live.is_some();
        if let Some(l) = live {
            if l.broker_name != broker_name || l.broker_id != broker_id {
                // The request named someone else: the instance that lived here goes too, or
                // its address would stay in its group with nothing left to expire it.
                removed |= self.detach(cluster, addr, &l.broker_name, l.broker_id);
            }
        }
        removed | self.detach(cluster, addr, broker_name, broker_id)
    }

    /// Forgets that broker `name`/`id` is at `addr` in `cluster`: the address entry, the group
    /// once it has no address (with its routes and memberships), and its membership of
    /// `cluster` once no live instance of it is left there. Returns whether the group went.
    fn detach(&mut self, cluster: &str, addr: &str, name: &str, id: i64) -> bool {
        let mut removed_group = false;
        if let Some(broker) = self.brokers.get_mut(name) {
            if broker.broker_addrs.get(&id).map(String::as_str) == Some(addr) {
                broker.broker_addrs.remove(&id);
            }
            if broker.broker_addrs.is_empty() {
                self.brokers.remove(name);
                removed_group = true;
            }
        }
        if removed_group {
            self.clusters.retain(|_, names| {
                names.remove(name);
                !names.is_empty()
            });
            for topic in self.topics.remove_broker(name) {
                tracing::info!(topic = %topic, broker = name, "removed topic queues of a removed broker");
            }
        } else if !self
            .live
            .iter()
            .any(|(k, l)| k.cluster == cluster && l.broker_name == name)
        {
            if let Some(names) = self.clusters.get_mut(cluster) {
                names.remove(name);
                if names.is_empty() {
                    self.clusters.remove(cluster);
                }
            }
        }
        removed_group
    }

    /// Removes every broker silent past its timeout; returns them.
    pub fn scan_expired(&mut self, now_ms: i64) -> Vec<RemovedBroker> {
        let expired: Vec<(BrokerAddrKey, BrokerLiveInfo)> = self
            .live
            .iter()
            .filter(|(_, l)| now_ms.saturating_sub(l.last_update_ms) > l.timeout_ms)
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
    /// the broker is known; unknown ones are not added.
    pub fn touch(&mut self, cluster: &str, addr: &str, now_ms: i64) -> bool {
        match self.live.get_mut(&BrokerAddrKey::new(cluster, addr)) {
            Some(l) => {
                l.last_update_ms = now_ms;
                true
            }
            None => false,
        }
    }

    /// WIPE_WRITE_PERM_OF_BROKER / ADD_WRITE_PERM_OF_BROKER: returns how many topics changed.
    pub fn set_write_perm(&mut self, broker_name: &str, writable: bool) -> i32 {
        let count = self.topics.update_broker(broker_name, |qd| {
            qd.perm = if writable {
                qd.perm | PERM_WRITE
            } else {
                qd.perm & !PERM_WRITE
            };
        });
        i32::try_from(count).unwrap_or(i32::MAX)
    }

    /// DELETE_TOPIC_IN_NAMESRV: from every broker, or only those of `cluster`.
    pub fn delete_topic(&mut self, topic: &str, cluster: Option<&str>) {
        match cluster.filter(|c| !c.is_empty()) {
            None => self.topics.remove_topic(topic),
            Some(c) => {
                for name in self.clusters.get(c).into_iter().flatten() {
                    self.topics.remove(topic, name);
                }
            }
        }
    }

    /// REGISTER_TOPIC_IN_NAMESRV: adds queue data for brokers that exist. The topic name must
    /// pass Java's `TopicValidator`; the same limits as for registrations apply.
    pub fn register_topic(
        &mut self,
        topic: &str,
        queue_datas: Vec<QueueData>,
    ) -> Result<(), RouteRefused> {
        check_topic(topic)?;
        let queues: BTreeMap<String, QueueData> = queue_datas
            .into_iter()
            .filter(|qd| self.brokers.contains_key(&qd.broker_name))
            .map(|qd| (qd.broker_name.clone(), qd))
            .collect();
        let l = &self.limits;
        let mut new_routes = 0;
        for broker in queues.keys() {
            if self.topics.contains(topic, broker) {
                continue;
            }
            new_routes += 1;
            let topics = self.topics.count_of(broker) + 1;
            if topics > l.max_topics_per_broker {
                return Err(RouteRefused::TooManyTopics {
                    broker: broker.clone(),
                    topics,
                    max: l.max_topics_per_broker,
                });
            }
        }
        let routes = self.topics.routes() + new_routes;
        if routes > l.max_topic_routes {
            return Err(RouteRefused::TooManyRoutes {
                routes,
                max: l.max_topic_routes,
            });
        }
        for qd in queues.into_values() {
            self.topics.put_queue(topic, qd);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
