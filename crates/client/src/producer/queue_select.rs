//! Which queue a send goes to (Java `MQFaultStrategy.selectOneMessageQueue`): round-robin over
//! the publish queues, skipping the broker of the previous failed attempt and, with fault
//! avoidance, isolated brokers first (never more than 30 % of them, see `fault`) and
//! unreachable brokers second; when every queue is filtered out, plain round-robin.

use std::time::Instant;

use ferromq_model::MessageQueue;

use crate::producer::fault::LatencyFaultTolerance;
use crate::route::PublishInfo;

/// Picks the queue for one send attempt.
pub(crate) fn select_queue(
    info: &PublishInfo,
    last_broker: Option<&str>,
    fault: Option<&LatencyFaultTolerance>,
    reset_cursor: bool,
    now: Instant,
) -> Option<MessageQueue> {
    if info.queues.is_empty() {
        return None;
    }
    let not_last = |mq: &MessageQueue| last_broker != Some(mq.broker_name.as_str());
    if let Some(fault) = fault {
        if reset_cursor {
            info.reset_cursor();
        }
        let mut brokers: Vec<&str> = info.queues.iter().map(|q| q.broker_name.as_str()).collect();
        brokers.sort_unstable();
        brokers.dedup();
        let usable = fault.usable(&brokers, now);
        if let Some(mq) = pick(info, |mq| {
            usable.contains(&mq.broker_name.as_str()) && not_last(mq)
        }) {
            return Some(mq);
        }
        if let Some(mq) = pick(info, |mq| {
            fault.is_reachable(&mq.broker_name) && not_last(mq)
        }) {
            return Some(mq);
        }
    } else if let Some(mq) = pick(info, not_last) {
        return Some(mq);
    }
    let n = info.queues.len();
    Some(info.queues[info.next_index() as usize % n].clone())
}

/// Up to one full round of the cursor, returning the first queue `accept`ed.
fn pick(info: &PublishInfo, accept: impl Fn(&MessageQueue) -> bool) -> Option<MessageQueue> {
    let n = info.queues.len();
    (0..n)
        .map(|_| &info.queues[info.next_index() as usize % n])
        .find(|mq| accept(mq))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq_model::{BrokerData, QueueData, TopicRouteData};
    use std::collections::HashMap;
    use std::time::Duration;

    fn info(brokers: &[&str], queues: i32) -> PublishInfo {
        let mut r = TopicRouteData::default();
        for b in brokers {
            r.queue_datas.push(QueueData {
                broker_name: b.to_string(),
                perm: 6,
                read_queue_nums: queues,
                write_queue_nums: queues,
                topic_sys_flag: 0,
            });
            let mut bd = BrokerData::new("C", *b);
            bd.broker_addrs.insert(0, format!("{b}:1"));
            r.broker_datas.push(bd);
        }
        PublishInfo::from_route("T", &r)
    }

    #[test]
    fn round_robin_covers_every_queue() {
        let p = info(&["a", "b"], 4);
        let now = Instant::now();
        let mut seen = HashMap::new();
        for _ in 0..80 {
            let mq = select_queue(&p, None, None, false, now).unwrap();
            *seen.entry(mq).or_insert(0) += 1;
        }
        assert_eq!(seen.len(), 8);
        assert!(seen.values().all(|&c| c == 10));
    }

    #[test]
    fn retry_avoids_the_last_broker() {
        let p = info(&["a", "b"], 2);
        let now = Instant::now();
        for _ in 0..20 {
            assert_eq!(
                select_queue(&p, Some("a"), None, false, now)
                    .unwrap()
                    .broker_name,
                "b"
            );
            let f = LatencyFaultTolerance::new();
            assert_eq!(
                select_queue(&p, Some("b"), Some(&f), true, now)
                    .unwrap()
                    .broker_name,
                "a"
            );
        }
        // A single broker: the retry goes back to it.
        let single = info(&["a"], 2);
        assert_eq!(
            select_queue(&single, Some("a"), None, false, now)
                .unwrap()
                .broker_name,
            "a"
        );
    }

    #[test]
    fn isolated_broker_is_avoided_until_it_recovers() {
        let p = info(&["a", "b"], 4);
        let f = LatencyFaultTolerance::new();
        let now = Instant::now();
        f.record("a", 3000, true, true, now);
        for _ in 0..40 {
            let mq = select_queue(&p, None, Some(&f), false, now).unwrap();
            assert_eq!(mq.broker_name, "b");
        }
        // Both isolated: still reachable brokers are used, previous broker excluded.
        f.record("b", 3000, true, true, now);
        assert_eq!(
            select_queue(&p, Some("b"), Some(&f), false, now)
                .unwrap()
                .broker_name,
            "a"
        );
        // Unreachable and isolated everywhere: plain round-robin still yields a queue.
        f.record("a", 1, true, false, now);
        f.record("b", 1, true, false, now);
        assert!(select_queue(&p, None, Some(&f), false, now).is_some());
        // Once the window passes, both are used again.
        let later = now + Duration::from_secs(11);
        f.record("a", 1, false, true, later);
        f.record("b", 1, false, true, later);
        let brokers: std::collections::HashSet<_> = (0..16)
            .map(|_| {
                select_queue(&p, None, Some(&f), false, later)
                    .unwrap()
                    .broker_name
            })
            .collect();
        assert_eq!(brokers.len(), 2);
    }

    #[test]
    fn empty_route_selects_nothing() {
        let p = info(&[], 0);
        assert!(select_queue(&p, None, None, false, Instant::now()).is_none());
    }
}
