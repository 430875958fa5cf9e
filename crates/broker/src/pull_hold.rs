//! Long polling: pulls that found nothing wait here until a message arrives for their queue
//! (the store's dispatcher calls [`PullHold::on_arrival`]) or their time is up (a periodic
//! [`PullHold::due`] check). Woken pulls run again and answer through their channel.
//!
//! A parked pull keeps only its decoded header (never the request's body), and the number
//! parked is bounded per connection and in total ([`crate::limits`]): past either bound the
//! pull is answered at once instead of parked.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ferromq_protocol::headers::PullMessageRequestHeader;
use ferromq_protocol::SerializeType;
use ferromq_remoting::Channel;
use parking_lot::Mutex;

use crate::limits::{MAX_HELD_PULLS, MAX_HELD_PULLS_PER_CHANNEL};

/// What is needed to run a pull again and answer it: the header, not the frame.
#[derive(Debug, Clone)]
pub struct PullRequest {
    pub header: PullMessageRequestHeader,
    pub opaque: i32,
    pub serialize_type: SerializeType,
}

/// A parked pull.
pub struct HeldPull {
    pub channel: Channel,
    pub request: PullRequest,
    /// The queue offset the client asked for.
    pub offset: i64,
    /// When to answer even if nothing arrived.
    pub deadline: Instant,
    /// Tag codes the subscription accepts (`None`: all) — arrivals of other tags don't wake.
    pub tag_codes: Option<Vec<i32>>,
}

/// Why a pull was not parked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HoldRefused {
    /// The connection has [`MAX_HELD_PULLS_PER_CHANNEL`] pulls parked.
    #[error("this connection has {MAX_HELD_PULLS_PER_CHANNEL} pulls parked already")]
    ChannelFull,
    /// The broker has [`MAX_HELD_PULLS`] pulls parked.
    #[error("the broker has {MAX_HELD_PULLS} pulls parked already")]
    BrokerFull,
}

#[derive(Default)]
struct Held {
    by_queue: HashMap<String, HashMap<i32, Vec<HeldPull>>>,
    per_channel: HashMap<u64, usize>,
}

impl Held {
    fn released(&mut self, pulls: &[HeldPull]) {
        for p in pulls {
            let id = p.channel.id();
            if let Some(n) = self.per_channel.get_mut(&id) {
                *n -= 1;
                if *n == 0 {
                    self.per_channel.remove(&id);
                }
            }
        }
    }
}

/// Parked pulls by topic and queue.
pub struct PullHold {
    held: Mutex<Held>,
    count: AtomicUsize,
    per_channel_limit: usize,
    total_limit: usize,
}

impl Default for PullHold {
    fn default() -> Self {
        Self::with_limits(MAX_HELD_PULLS_PER_CHANNEL, MAX_HELD_PULLS)
    }
}

impl PullHold {
    /// An empty hold with the default limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty hold with the given limits (tests use small ones).
    pub fn with_limits(per_channel: usize, total: usize) -> Self {
        PullHold {
            held: Mutex::new(Held::default()),
            count: AtomicUsize::new(0),
            per_channel_limit: per_channel,
            total_limit: total,
        }
    }

    /// Parks a pull, unless its connection or the broker holds too many already.
    pub fn hold(&self, topic: &str, queue_id: i32, pull: HeldPull) -> Result<(), HoldRefused> {
        let mut held = self.held.lock();
        if self.count.load(Ordering::Relaxed) >= self.total_limit {
            return Err(HoldRefused::BrokerFull);
        }
        let n = held.per_channel.entry(pull.channel.id()).or_insert(0);
        if *n >= self.per_channel_limit {
            return Err(HoldRefused::ChannelFull);
        }
        *n += 1;
        let queues = match held.by_queue.get_mut(topic) {
            Some(q) => q,
            None => held.by_queue.entry(topic.to_string()).or_default(),
        };
        queues.entry(queue_id).or_default().push(pull);
        self.count.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// How many pulls are parked.
    pub fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Whether nothing is parked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many pulls connection `channel_id` has parked.
    pub fn held_by(&self, channel_id: u64) -> usize {
        self.held
            .lock()
            .per_channel
            .get(&channel_id)
            .copied()
            .unwrap_or(0)
    }

    /// A message with `tag_code` arrived in `topic`/`queue_id`, whose next offset is now
    /// `max_offset`: returns the pulls it satisfies.
    pub fn on_arrival(
        &self,
        topic: &str,
        queue_id: i32,
        max_offset: i64,
        tag_code: i64,
    ) -> Vec<HeldPull> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut held = self.held.lock();
        let Some(queues) = held.by_queue.get_mut(topic) else {
            return Vec::new();
        };
        let Some(list) = queues.get_mut(&queue_id) else {
            return Vec::new();
        };
        let mut woken = Vec::new();
        let mut i = 0;
        while i < list.len() {
            let p = &list[i];
            let wanted = p
                .tag_codes
                .as_ref()
                .is_none_or(|codes| codes.contains(&(tag_code as i32)));
            if max_offset > p.offset && wanted {
                woken.push(list.swap_remove(i));
            } else {
                i += 1;
            }
        }
        if list.is_empty() {
            queues.remove(&queue_id);
            if queues.is_empty() {
                held.by_queue.remove(topic);
            }
        }
        held.released(&woken);
        self.count.fetch_sub(woken.len(), Ordering::Relaxed);
        woken
    }

    /// Pulls whose deadline passed, or whose queue already has messages past their offset
    /// (`max_offset(topic, queue)`), or whose channel closed (dropped silently).
    pub fn due(&self, now: Instant, max_offset: impl Fn(&str, i32) -> i64) -> Vec<HeldPull> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut held = self.held.lock();
        let mut woken = Vec::new();
        let mut dropped = Vec::new();
        for (topic, queues) in held.by_queue.iter_mut() {
            for (qid, list) in queues.iter_mut() {
                let max = max_offset(topic, *qid);
                let mut i = 0;
                while i < list.len() {
                    let p = &list[i];
                    if p.channel.is_closed() {
                        dropped.push(list.swap_remove(i));
                    } else if now >= p.deadline || max > p.offset {
                        woken.push(list.swap_remove(i));
                    } else {
                        i += 1;
                    }
                }
            }
            queues.retain(|_, l| !l.is_empty());
        }
        held.by_queue.retain(|_, q| !q.is_empty());
        held.released(&woken);
        held.released(&dropped);
        self.count
            .fetch_sub(woken.len() + dropped.len(), Ordering::Relaxed);
        woken
    }

    /// Removes every parked pull (shutdown).
    pub fn drain(&self) -> Vec<HeldPull> {
        let mut held = self.held.lock();
        let all: Vec<HeldPull> = held
            .by_queue
            .drain()
            .flat_map(|(_, q)| q.into_values().flatten())
            .collect();
        held.per_channel.clear();
        self.count.store(0, Ordering::Relaxed);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::testing::channel;
    use std::time::Duration;

    fn held(ch: &Channel, offset: i64, deadline: Instant, tags: Option<Vec<i32>>) -> HeldPull {
        HeldPull {
            channel: ch.clone(),
            request: PullRequest {
                header: PullMessageRequestHeader::default(),
                opaque: 1,
                serialize_type: SerializeType::Json,
            },
            offset,
            deadline,
            tag_codes: tags,
        }
    }

    #[tokio::test]
    async fn bounded_per_connection_and_in_total() {
        let hold = PullHold::with_limits(2, 3);
        let (a, b) = (channel(), channel());
        let later = Instant::now() + Duration::from_secs(30);
        assert!(hold.hold("T", 0, held(&a, 0, later, None)).is_ok());
        assert!(hold.hold("T", 1, held(&a, 0, later, None)).is_ok());
        assert_eq!(
            hold.hold("T", 2, held(&a, 0, later, None)).err(),
            Some(HoldRefused::ChannelFull)
        );
        assert!(hold.hold("T", 0, held(&b, 0, later, None)).is_ok());
        assert_eq!(
            hold.hold("T", 0, held(&b, 0, later, None)).err(),
            Some(HoldRefused::BrokerFull)
        );
        assert_eq!(
            (hold.len(), hold.held_by(a.id()), hold.held_by(b.id())),
            (3, 2, 1)
        );
        // An arrival on queue 0 wakes both pulls parked there and frees their slots.
        assert_eq!(hold.on_arrival("T", 0, 1, 0).len(), 2);
        assert_eq!(
            (hold.len(), hold.held_by(a.id()), hold.held_by(b.id())),
            (1, 1, 0)
        );
    }

    #[tokio::test]
    async fn tags_deadlines_and_closed_connections() {
        let hold = PullHold::new();
        let (a, b) = (channel(), channel());
        let now = Instant::now();
        hold.hold(
            "T",
            0,
            held(&a, 5, now + Duration::from_secs(30), Some(vec![42])),
        )
        .unwrap();
        hold.hold("T", 1, held(&b, 0, now + Duration::from_secs(1), None))
            .unwrap();
        assert!(hold.on_arrival("T", 0, 6, 7).is_empty(), "another tag");
        assert!(
            hold.on_arrival("T", 0, 5, 42).is_empty(),
            "not past the offset asked"
        );
        assert!(hold.due(now, |_, _| 0).is_empty());
        let due = hold.due(now + Duration::from_secs(2), |_, _| 0);
        assert_eq!(due.len(), 1, "the deadline passed");
        a.close();
        assert!(hold.due(now + Duration::from_secs(2), |_, _| 0).is_empty());
        assert_eq!(hold.len(), 0, "a closed connection's pull is dropped");
        assert_eq!(hold.held_by(a.id()), 0);
    }
}
