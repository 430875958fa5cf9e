//! Long polling: pulls that found nothing wait here until a message arrives for their queue
//! (the store's dispatcher calls [`PullHold::on_arrival`]) or their time is up (a periodic
//! [`PullHold::due`] check). Woken pulls run again and answer through their channel.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ferromq_protocol::RemotingCommand;
use ferromq_remoting::Channel;
use parking_lot::Mutex;

/// A parked pull.
pub struct HeldPull {
    pub channel: Channel,
    pub request: RemotingCommand,
    /// The queue offset the client asked for.
    pub offset: i64,
    /// When to answer even if nothing arrived.
    pub deadline: Instant,
    /// Tag codes the subscription accepts (`None`: all) — arrivals of other tags don't wake.
    pub tag_codes: Option<Vec<i32>>,
}

/// Parked pulls by topic and queue.
#[derive(Default)]
pub struct PullHold {
    held: Mutex<HashMap<String, HashMap<i32, Vec<HeldPull>>>>,
    count: AtomicUsize,
}

impl PullHold {
    /// An empty hold.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parks a pull.
    pub fn hold(&self, topic: &str, queue_id: i32, pull: HeldPull) {
        let mut held = self.held.lock();
        let queues = match held.get_mut(topic) {
            Some(q) => q,
            None => held.entry(topic.to_string()).or_default(),
        };
        queues.entry(queue_id).or_default().push(pull);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// How many pulls are parked.
    pub fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Whether nothing is parked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        let Some(queues) = held.get_mut(topic) else {
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
                held.remove(topic);
            }
        }
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
        let mut dropped = 0;
        for (topic, queues) in held.iter_mut() {
            for (qid, list) in queues.iter_mut() {
                let max = max_offset(topic, *qid);
                let mut i = 0;
                while i < list.len() {
                    let p = &list[i];
                    if p.channel.is_closed() {
                        list.swap_remove(i);
                        dropped += 1;
                    } else if now >= p.deadline || max > p.offset {
                        woken.push(list.swap_remove(i));
                    } else {
                        i += 1;
                    }
                }
            }
            queues.retain(|_, l| !l.is_empty());
        }
        held.retain(|_, q| !q.is_empty());
        self.count
            .fetch_sub(woken.len() + dropped, Ordering::Relaxed);
        woken
    }

    /// Removes every parked pull (shutdown).
    pub fn drain(&self) -> Vec<HeldPull> {
        let mut held = self.held.lock();
        let all: Vec<HeldPull> = held
            .drain()
            .flat_map(|(_, q)| q.into_values().flatten())
            .collect();
        self.count.store(0, Ordering::Relaxed);
        all
    }
}
