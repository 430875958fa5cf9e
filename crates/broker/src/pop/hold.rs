//! Long polling of POP_MESSAGE and NOTIFICATION: requests that found nothing wait here until
//! a message arrives for their topic (or its pop retry topics) or their `pollTime` is up.
//! Like [`crate::PullHold`], only decoded headers are kept, and the number held is bounded per
//! connection and in total ([`crate::limits`]); past either bound the client is answered
//! POLLING_FULL.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ferromq_protocol::headers::{NotificationRequestHeader, PopMessageRequestHeader};
use ferromq_protocol::SerializeType;
use ferromq_remoting::Channel;
use parking_lot::Mutex;

use crate::limits::{MAX_HELD_POPS, MAX_HELD_POPS_PER_CHANNEL};

/// What is waiting.
#[derive(Debug, Clone)]
pub(crate) enum Waiting {
    Pop(PopMessageRequestHeader),
    Notification(NotificationRequestHeader),
}

impl Waiting {
    fn topic(&self) -> &str {
        match self {
            Waiting::Pop(h) => &h.topic,
            Waiting::Notification(h) => &h.topic,
        }
    }

    /// `(topic, group, queueId, order, attemptId)` of the request.
    pub(crate) fn target(&self) -> (&str, &str, i32, bool, Option<&str>) {
        match self {
            Waiting::Pop(h) => (
                &h.topic,
                &h.consumer_group,
                h.queue_id,
                h.order == Some(true),
                h.attempt_id.as_deref(),
            ),
            Waiting::Notification(h) => (
                &h.topic,
                &h.consumer_group,
                h.queue_id,
                h.order == Some(true),
                h.attempt_id.as_deref(),
            ),
        }
    }

    fn matches(&self, group: &str, queue_id: i32) -> bool {
        let (g, q) = match self {
            Waiting::Pop(h) => (&h.consumer_group, h.queue_id),
            Waiting::Notification(h) => (&h.consumer_group, h.queue_id),
        };
        g == group && q == queue_id
    }
}

/// A held request.
pub(crate) struct HeldPop {
    pub channel: Channel,
    pub waiting: Waiting,
    pub opaque: i32,
    pub serialize_type: SerializeType,
    pub deadline: Instant,
}

/// Why a request was not held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HoldFull;

#[derive(Default)]
struct Held {
    by_topic: HashMap<String, Vec<HeldPop>>,
    per_channel: HashMap<u64, usize>,
    count: usize,
}

impl Held {
    fn released(&mut self, pops: &[HeldPop]) {
        for p in pops {
            let id = p.channel.id();
            if let Some(n) = self.per_channel.get_mut(&id) {
                *n -= 1;
                if *n == 0 {
                    self.per_channel.remove(&id);
                }
            }
        }
        self.count -= pops.len();
    }
}

/// Held pops and notifications by topic.
pub(crate) struct PopHold {
    held: Mutex<Held>,
    /// Mirrors `Held::count` so arrivals check it without the lock.
    count: AtomicUsize,
    per_channel_limit: usize,
    total_limit: usize,
}

impl Default for PopHold {
    fn default() -> Self {
        Self::with_limits(MAX_HELD_POPS_PER_CHANNEL, MAX_HELD_POPS)
    }
}

impl PopHold {
    /// An empty hold with these bounds.
    pub(crate) fn with_limits(per_channel: usize, total: usize) -> Self {
        PopHold {
            held: Mutex::new(Held::default()),
            count: AtomicUsize::new(0),
            per_channel_limit: per_channel,
            total_limit: total,
        }
    }

    /// Holds a request unless its connection or the broker holds too many.
    pub(crate) fn hold(&self, pop: HeldPop) -> Result<(), HoldFull> {
        let mut held = self.held.lock();
        if held.count >= self.total_limit {
            return Err(HoldFull);
        }
        let n = held.per_channel.entry(pop.channel.id()).or_insert(0);
        if *n >= self.per_channel_limit {
            return Err(HoldFull);
        }
        *n += 1;
        held.count += 1;
        self.count.store(held.count, Ordering::Relaxed);
        let topic = pop.waiting.topic().to_string();
        held.by_topic.entry(topic).or_default().push(pop);
        Ok(())
    }

    /// Requests held.
    pub(crate) fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Requests held for `group` on `topic`/`queue_id` (POLLING_INFO).
    pub(crate) fn polling(&self, topic: &str, group: &str, queue_id: i32) -> usize {
        let held = self.held.lock();
        held.by_topic
            .get(topic)
            .map(|l| {
                l.iter()
                    .filter(|p| p.waiting.matches(group, queue_id))
                    .count()
            })
            .unwrap_or(0)
    }

    /// A message arrived for `topic`: every request held on it wakes.
    pub(crate) fn on_arrival(&self, topic: &str) -> Vec<HeldPop> {
        if self.len() == 0 {
            return Vec::new();
        }
        let mut held = self.held.lock();
        let woken = held.by_topic.remove(topic).unwrap_or_default();
        held.released(&woken);
        self.count.store(held.count, Ordering::Relaxed);
        woken
    }

    /// Requests whose time is up, and those `ready` says would find something now (a message
    /// that arrived between their look and their hold, an orderly queue an ack freed: no
    /// arrival tells of these); those of closed connections are dropped.
    pub(crate) fn due(&self, now: Instant, ready: impl Fn(&Waiting) -> bool) -> Vec<HeldPop> {
        if self.len() == 0 {
            return Vec::new();
        }
        let mut held = self.held.lock();
        let mut woken = Vec::new();
        let mut dropped = Vec::new();
        for list in held.by_topic.values_mut() {
            let mut i = 0;
            while i < list.len() {
                if list[i].channel.is_closed() {
                    dropped.push(list.swap_remove(i));
                } else if now >= list[i].deadline || ready(&list[i].waiting) {
                    woken.push(list.swap_remove(i));
                } else {
                    i += 1;
                }
            }
        }
        held.by_topic.retain(|_, l| !l.is_empty());
        held.released(&woken);
        held.released(&dropped);
        self.count.store(held.count, Ordering::Relaxed);
        woken
    }

    /// Everything held (shutdown).
    pub(crate) fn drain(&self) -> Vec<HeldPop> {
        let mut held = self.held.lock();
        let all: Vec<HeldPop> = held.by_topic.drain().flat_map(|(_, l)| l).collect();
        held.per_channel.clear();
        held.count = 0;
        self.count.store(0, Ordering::Relaxed);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::testing::channel;
    use std::time::Duration;

    fn pop(ch: &Channel, topic: &str, deadline: Instant) -> HeldPop {
        HeldPop {
            channel: ch.clone(),
            waiting: Waiting::Pop(PopMessageRequestHeader {
                topic: topic.into(),
                consumer_group: "g".into(),
                queue_id: -1,
                ..Default::default()
            }),
            opaque: 1,
            serialize_type: SerializeType::Json,
            deadline,
        }
    }

    #[tokio::test]
    async fn bounded_woken_by_topic_and_by_time() {
        let hold = PopHold::with_limits(2, 3);
        let (a, b) = (channel(), channel());
        let now = Instant::now();
        let later = now + Duration::from_secs(10);
        hold.hold(pop(&a, "T", later)).unwrap();
        hold.hold(pop(&a, "U", now + Duration::from_secs(1)))
            .unwrap();
        assert_eq!(hold.hold(pop(&a, "T", later)), Err(HoldFull));
        hold.hold(pop(&b, "T", later)).unwrap();
        assert_eq!(hold.hold(pop(&b, "T", later)), Err(HoldFull));
        assert_eq!(hold.polling("T", "g", -1), 2);
        assert_eq!(hold.polling("T", "g", 0), 0);
        assert_eq!(hold.on_arrival("T").len(), 2);
        assert_eq!(hold.len(), 1);
        assert!(hold.due(now, |_| false).is_empty());
        assert_eq!(hold.due(now + Duration::from_secs(2), |_| false).len(), 1);
        hold.hold(pop(&b, "V", later)).unwrap();
        assert_eq!(
            hold.due(now, |w| w.target().0 == "V").len(),
            1,
            "ready: woken early"
        );
        hold.hold(pop(&a, "T", later)).unwrap();
        a.close();
        assert!(hold.due(now, |_| false).is_empty());
        assert_eq!(hold.len(), 0, "a closed connection's request is dropped");
    }
}
