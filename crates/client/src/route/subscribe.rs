//! Consumer queues of a topic (Java `topicRouteData2TopicSubscribeInfo`): `readQueueNums`
//! queues of every readable broker group.

use std::collections::BTreeSet;

use ferromq_model::perm::is_readable;
use ferromq_model::{MessageQueue, TopicRouteData};

/// The queues a consumer may read, sorted as every client sorts them before rebalancing.
pub(crate) fn subscribe_queues(topic: &str, route: &TopicRouteData) -> BTreeSet<MessageQueue> {
    route
        .queue_datas
        .iter()
        .filter(|qd| is_readable(qd.perm))
        .flat_map(|qd| {
            (0..qd.read_queue_nums).map(move |i| MessageQueue::new(topic, &qd.broker_name, i))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq_model::QueueData;

    #[test]
    fn readable_only() {
        let mut r = TopicRouteData::default();
        for (name, n, perm) in [("b", 2, 4), ("a", 1, 6), ("w", 5, 2)] {
            r.queue_datas.push(QueueData {
                broker_name: name.into(),
                perm,
                read_queue_nums: n,
                write_queue_nums: n,
                topic_sys_flag: 0,
            });
        }
        let qs: Vec<_> = subscribe_queues("T", &r).into_iter().collect();
        assert_eq!(
            qs,
            vec![
                MessageQueue::new("T", "a", 0),
                MessageQueue::new("T", "b", 0),
                MessageQueue::new("T", "b", 1)
            ]
        );
    }
}
