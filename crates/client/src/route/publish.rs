//! Producer queues of a topic (Java `topicRouteData2TopicPublishInfo`): for an ordered topic
//! the `orderTopicConf` list, else `writeQueueNums` queues of every writable broker group that
//! has a master, broker groups sorted by name.

use std::sync::atomic::{AtomicU32, Ordering};

use ferromq_model::names::MASTER_ID;
use ferromq_model::perm::is_writeable;
use ferromq_model::{MessageQueue, TopicRouteData};

/// The queues a producer may send to, with a round-robin cursor.
#[derive(Debug)]
pub struct PublishInfo {
    /// Queues in selection order.
    pub queues: Vec<MessageQueue>,
    /// Whether the route came from `orderTopicConf`.
    pub order_topic: bool,
    cursor: AtomicU32,
}

impl PublishInfo {
    /// Builds the queue list of `topic` from `route`.
    pub fn from_route(topic: &str, route: &TopicRouteData) -> Self {
        let mut queues = Vec::new();
        let conf = route.order_topic_conf.as_deref().unwrap_or("");
        let order_topic = !conf.is_empty();
        if order_topic {
            for item in conf.split(';') {
                let Some((broker, n)) = item.split_once(':') else {
                    continue;
                };
                let n: i32 = n.trim().parse().unwrap_or(0);
                queues.extend((0..n).map(|i| MessageQueue::new(topic, broker.trim(), i)));
            }
        } else {
            let mut qds: Vec<_> = route.queue_datas.iter().collect();
            qds.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
            for qd in qds {
                if !is_writeable(qd.perm) {
                    continue;
                }
                let has_master = route
                    .broker(&qd.broker_name)
                    .is_some_and(|b| b.broker_addrs.contains_key(&MASTER_ID));
                if !has_master {
                    continue;
                }
                queues.extend(
                    (0..qd.write_queue_nums).map(|i| MessageQueue::new(topic, &qd.broker_name, i)),
                );
            }
        }
        PublishInfo {
            queues,
            order_topic,
            cursor: AtomicU32::new(rand::random::<u32>() % 1024),
        }
    }

    /// Whether there is any queue to send to.
    pub fn ok(&self) -> bool {
        !self.queues.is_empty()
    }

    /// Advances the round-robin cursor and returns it.
    pub fn next_index(&self) -> u32 {
        self.cursor.fetch_add(1, Ordering::Relaxed).wrapping_add(1)
    }

    /// Resets the cursor to a random position (Java resets it on every retry).
    pub fn reset_cursor(&self) {
        self.cursor
            .store(rand::random::<u32>() % 1024, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq_model::{BrokerData, QueueData};

    pub(crate) fn route(brokers: &[(&str, i32, i32, bool)]) -> TopicRouteData {
        let mut r = TopicRouteData::default();
        for (name, qn, perm, master) in brokers {
            r.queue_datas.push(QueueData {
                broker_name: name.to_string(),
                perm: *perm,
                read_queue_nums: *qn,
                write_queue_nums: *qn,
                topic_sys_flag: 0,
            });
            let mut bd = BrokerData::new("C", *name);
            bd.broker_addrs.insert(
                if *master { 0 } else { 1 },
                format!("127.0.0.1:{}", 10000 + qn),
            );
            r.broker_datas.push(bd);
        }
        r
    }

    #[test]
    fn writable_masters_sorted_by_broker() {
        let r = route(&[
            ("b", 2, 6, true),
            ("a", 1, 6, true),
            ("ro", 3, 4, true),
            ("slave-only", 2, 6, false),
        ]);
        let p = PublishInfo::from_route("T", &r);
        let names: Vec<_> = p
            .queues
            .iter()
            .map(|q| (q.broker_name.as_str(), q.queue_id))
            .collect();
        assert_eq!(names, vec![("a", 0), ("b", 0), ("b", 1)]);
        assert!(!p.order_topic);
        assert!(p.ok());
    }

    #[test]
    fn order_topic_conf_wins() {
        let mut r = route(&[("a", 8, 6, true)]);
        r.order_topic_conf = Some("a:2;b:1".into());
        let p = PublishInfo::from_route("T", &r);
        assert!(p.order_topic);
        assert_eq!(p.queues.len(), 3);
        assert_eq!(p.queues[2], MessageQueue::new("T", "b", 0));
        let a = p.next_index();
        assert_eq!(p.next_index(), a.wrapping_add(1));
    }
}
