//! The client's route cache: topic → route (with derived producer and consumer queues) and
//! broker name → addresses by broker id, filled from NameServer answers.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use ferromq_model::names::MASTER_ID;
use ferromq_model::{MessageQueue, TopicRouteData};
use parking_lot::RwLock;

use crate::route::{subscribe_queues, PublishInfo};

/// One topic's route and what the client derives from it.
#[derive(Debug)]
pub struct TopicRoute {
    /// The NameServer's answer.
    pub data: TopicRouteData,
    /// Queues to produce to.
    pub publish: PublishInfo,
    /// Queues to consume from.
    pub subscribe: BTreeSet<MessageQueue>,
}

impl TopicRoute {
    /// Derives the queue lists of `topic` from `data`.
    pub fn new(topic: &str, data: TopicRouteData) -> Self {
        TopicRoute {
            publish: PublishInfo::from_route(topic, &data),
            subscribe: subscribe_queues(topic, &data),
            data,
        }
    }
}

/// Routes and broker addresses known to a client instance.
#[derive(Debug, Default)]
pub struct RouteTable {
    state: RwLock<State>,
}

#[derive(Debug, Default)]
struct State {
    topics: HashMap<String, Arc<TopicRoute>>,
    brokers: BTreeMap<String, BTreeMap<i64, String>>,
}

impl RouteTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// The cached route of `topic`.
    pub fn get(&self, topic: &str) -> Option<Arc<TopicRoute>> {
        self.state.read().topics.get(topic).cloned()
    }

    /// Stores `data` for `topic` if it differs from the cached route; returns the route now
    /// cached and whether it changed. Broker addresses are updated either way.
    pub fn update(&self, topic: &str, data: TopicRouteData) -> (Arc<TopicRoute>, bool) {
        let mut st = self.state.write();
        for bd in &data.broker_datas {
            st.brokers
                .insert(bd.broker_name.clone(), bd.broker_addrs.clone());
        }
        if let Some(old) = st.topics.get(topic) {
            if same_route(&old.data, &data) {
                return (old.clone(), false);
            }
        }
        let route = Arc::new(TopicRoute::new(topic, data));
        st.topics.insert(topic.to_string(), route.clone());
        (route, true)
    }

    /// Forgets `topic`.
    pub fn remove(&self, topic: &str) {
        self.state.write().topics.remove(topic);
    }

    /// Topics with a cached route.
    pub fn topics(&self) -> Vec<String> {
        self.state.read().topics.keys().cloned().collect()
    }

    /// Every known broker: name → id → address.
    pub fn brokers(&self) -> BTreeMap<String, BTreeMap<i64, String>> {
        self.state.read().brokers.clone()
    }

    /// The master address of `broker_name` (Java `findBrokerAddressInPublish`).
    pub fn master_addr(&self, broker_name: &str) -> Option<String> {
        self.state
            .read()
            .brokers
            .get(broker_name)?
            .get(&MASTER_ID)
            .cloned()
    }

    /// The address to read from (Java `findBrokerAddressInSubscribe`): the suggested broker id
    /// if known, else (unless `only_this`) the master or any replica. Returns the address and
    /// whether it is a slave.
    pub fn subscribe_addr(
        &self,
        broker_name: &str,
        broker_id: i64,
        only_this: bool,
    ) -> Option<(String, bool)> {
        let st = self.state.read();
        let addrs = st.brokers.get(broker_name)?;
        if let Some(a) = addrs.get(&broker_id) {
            return Some((a.clone(), broker_id != MASTER_ID));
        }
        if only_this {
            return None;
        }
        addrs
            .iter()
            .min_by_key(|(id, _)| **id)
            .map(|(id, a)| (a.clone(), *id != MASTER_ID))
    }

    /// A broker address serving `topic` (Java `findBrokerAddrByTopic`): a random broker group
    /// of the route, its master if any.
    pub fn any_broker_of(&self, topic: &str) -> Option<String> {
        let route = self.get(topic)?;
        let brokers = &route.data.broker_datas;
        if brokers.is_empty() {
            return None;
        }
        let bd = &brokers[rand::random::<usize>() % brokers.len()];
        bd.select_broker_addr().map(str::to_string)
    }
}

/// Route equality as Java's `topicRouteDataChanged`: compared after sorting.
fn same_route(a: &TopicRouteData, b: &TopicRouteData) -> bool {
    let norm = |r: &TopicRouteData| {
        let mut r = r.clone();
        r.broker_datas
            .sort_by(|x, y| x.broker_name.cmp(&y.broker_name));
        r.queue_datas
            .sort_by(|x, y| x.broker_name.cmp(&y.broker_name));
        r
    };
    norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq_model::{BrokerData, QueueData};

    fn route(addrs: &[(i64, &str)]) -> TopicRouteData {
        let mut r = TopicRouteData::default();
        let mut bd = BrokerData::new("C", "a");
        for (id, a) in addrs {
            bd.broker_addrs.insert(*id, a.to_string());
        }
        r.broker_datas.push(bd);
        r.queue_datas.push(QueueData {
            broker_name: "a".into(),
            perm: 6,
            read_queue_nums: 2,
            write_queue_nums: 2,
            topic_sys_flag: 0,
        });
        r
    }

    #[test]
    fn update_detects_changes_and_tracks_addresses() {
        let t = RouteTable::new();
        let (r, changed) = t.update("T", route(&[(0, "m:1"), (1, "s:1")]));
        assert!(changed);
        assert_eq!(r.publish.queues.len(), 2);
        assert!(!t.update("T", route(&[(0, "m:1"), (1, "s:1")])).1);
        assert_eq!(t.master_addr("a").as_deref(), Some("m:1"));
        assert_eq!(t.subscribe_addr("a", 1, false), Some(("s:1".into(), true)));
        assert_eq!(t.subscribe_addr("a", 2, false), Some(("m:1".into(), false)));
        assert_eq!(t.subscribe_addr("a", 2, true), None);
        assert_eq!(t.any_broker_of("T").as_deref(), Some("m:1"));
        let (_, changed) = t.update("T", route(&[(1, "s:1")]));
        assert!(changed);
        assert_eq!(t.master_addr("a"), None);
        assert!(
            t.get("T").unwrap().publish.queues.is_empty(),
            "no master, no publish queue"
        );
        assert_eq!(t.topics(), vec!["T"]);
        t.remove("T");
        assert!(t.get("T").is_none());
    }
}
