//! Topic routes: topic → broker group → queue data (and static-topic mapping), indexed both
//! ways so that limits are checked, and a broker group removed, without scanning every topic.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use ferromq_model::{QueueData, TopicQueueMappingInfo};

/// What one broker group serves of one topic.
#[derive(Debug, Clone)]
pub(super) struct Route {
    pub queue: QueueData,
    /// 5.x static topics only.
    pub mapping: Option<TopicQueueMappingInfo>,
}

/// The routes, with the reverse index broker group → topics. Names are shared between both
/// maps, not copied.
#[derive(Debug, Default)]
pub(super) struct TopicRoutes {
    by_topic: BTreeMap<Arc<str>, BTreeMap<Arc<str>, Route>>,
    by_broker: HashMap<Arc<str>, BTreeSet<Arc<str>>>,
    routes: usize,
    mappings: usize,
}

impl TopicRoutes {
    /// The routes of `topic`, by broker group.
    pub(crate) fn topic(&self, topic: &str) -> Option<&BTreeMap<Arc<str>, Route>> {
        self.by_topic.get(topic)
    }

    /// Every topic with its routes, in name order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &BTreeMap<Arc<str>, Route>)> {
        self.by_topic.iter()
    }

    /// Whether `broker` serves `topic`.
    pub(crate) fn contains(&self, topic: &str, broker: &str) -> bool {
        self.by_broker
            .get(broker)
            .is_some_and(|topics| topics.contains(topic))
    }

    /// How many topics `broker` serves.
    pub(crate) fn count_of(&self, broker: &str) -> usize {
        self.by_broker.get(broker).map_or(0, BTreeSet::len)
    }

    /// (topic, broker group) routes in total.
    pub(crate) fn routes(&self) -> usize {
        self.routes
    }

    /// Static-topic mappings in total.
    pub(crate) fn mappings(&self) -> usize {
        self.mappings
    }

    /// Sets the queue data `broker` serves `topic` with (the broker is `queue.broker_name`),
    /// keeping its mapping; returns whether anything changed.
    pub(crate) fn put_queue(&mut self, topic: &str, queue: QueueData) -> bool {
        let broker_key = self.broker_key(&queue.broker_name);
        let topic_key = self.topic_key(topic);
        let brokers = self.by_topic.entry(topic_key.clone()).or_default();
        match brokers.get_mut(&*broker_key) {
            Some(route) if route.queue == queue => false,
            Some(route) => {
                route.queue = queue;
                true
            }
            None => {
                brokers.insert(
                    broker_key.clone(),
                    Route {
                        queue,
                        mapping: None,
                    },
                );
                self.by_broker
                    .entry(broker_key)
                    .or_default()
                    .insert(topic_key);
                self.routes += 1;
                true
            }
        }
    }

    /// Sets the static-topic mapping of an existing route; `false` if there is no such route.
    pub(crate) fn put_mapping(
        &mut self,
        topic: &str,
        broker: &str,
        info: TopicQueueMappingInfo,
    ) -> bool {
        let Some(route) = self
            .by_topic
            .get_mut(topic)
            .and_then(|brokers| brokers.get_mut(broker))
        else {
            return false;
        };
        if route.mapping.replace(info).is_none() {
            self.mappings += 1;
        }
        true
    }

    /// Changes the queue data of every topic `broker` serves; returns how many there were.
    pub(crate) fn update_broker(
        &mut self,
        broker: &str,
        mut f: impl FnMut(&mut QueueData),
    ) -> usize {
        let Some(topics) = self.by_broker.get(broker) else {
            return 0;
        };
        for topic in topics {
            if let Some(route) = self
                .by_topic
                .get_mut(topic)
                .and_then(|brokers| brokers.get_mut(broker))
            {
                f(&mut route.queue);
            }
        }
        topics.len()
    }

    /// Removes the route of `topic` on `broker`.
    pub(crate) fn remove(&mut self, topic: &str, broker: &str) -> bool {
        let Some(brokers) = self.by_topic.get_mut(topic) else {
            return false;
        };
        let Some(route) = brokers.remove(broker) else {
            return false;
        };
        if brokers.is_empty() {
            self.by_topic.remove(topic);
        }
        self.forget(topic, broker, &route);
        true
    }

    /// Removes `topic` from every broker group.
    pub(crate) fn remove_topic(&mut self, topic: &str) {
        if let Some(brokers) = self.by_topic.remove(topic) {
            for (broker, route) in brokers {
                self.forget(topic, &broker, &route);
            }
        }
    }

    /// Removes every route of `broker`; returns the topics it served.
    pub(crate) fn remove_broker(&mut self, broker: &str) -> Vec<Arc<str>> {
        let topics: Vec<Arc<str>> = self
            .by_broker
            .get(broker)
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default();
        for topic in &topics {
            self.remove(topic, broker);
        }
        topics
    }

    /// Bookkeeping after `route` (of `topic` on `broker`) left `by_topic`.
    fn forget(&mut self, topic: &str, broker: &str, route: &Route) {
        if let Some(topics) = self.by_broker.get_mut(broker) {
            topics.remove(topic);
            if topics.is_empty() {
                self.by_broker.remove(broker);
            }
        }
        self.routes -= 1;
        if route.mapping.is_some() {
            self.mappings -= 1;
        }
    }

    /// The shared key for `broker`, allocated once.
    fn broker_key(&self, broker: &str) -> Arc<str> {
        self.by_broker
            .get_key_value(broker)
            .map_or_else(|| Arc::from(broker), |(k, _)| k.clone())
    }

    /// The shared key for `topic`, allocated once.
    fn topic_key(&self, topic: &str) -> Arc<str> {
        self.by_topic
            .get_key_value(topic)
            .map_or_else(|| Arc::from(topic), |(k, _)| k.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qd(broker: &str, queues: i32) -> QueueData {
        QueueData {
            broker_name: broker.into(),
            perm: 6,
            read_queue_nums: queues,
            write_queue_nums: queues,
            topic_sys_flag: 0,
        }
    }

    #[test]
    fn both_indexes_and_counts_stay_in_step() {
        let mut t = TopicRoutes::default();
        assert!(t.put_queue("T", qd("a", 4)));
        assert!(!t.put_queue("T", qd("a", 4)));
        assert!(t.put_queue("T", qd("b", 4)));
        assert!(t.put_queue("U", qd("a", 1)));
        assert!(t.put_mapping("U", "a", TopicQueueMappingInfo::default()));
        assert!(!t.put_mapping("U", "b", TopicQueueMappingInfo::default()));
        assert_eq!((t.routes(), t.mappings(), t.count_of("a")), (3, 1, 2));
        assert!(t.contains("U", "a") && !t.contains("U", "b"));
        assert_eq!(t.update_broker("a", |q| q.perm = 4), 2);
        assert_eq!(t.topic("T").unwrap()["a"].queue.perm, 4);

        let removed = t.remove_broker("a");
        assert_eq!(removed.len(), 2);
        assert_eq!((t.routes(), t.mappings(), t.count_of("a")), (1, 0, 0));
        assert!(t.topic("U").is_none());
        t.remove_topic("T");
        assert_eq!((t.routes(), t.count_of("b")), (0, 0));
        assert!(t.iter().next().is_none() && t.by_broker.is_empty());
    }
}
