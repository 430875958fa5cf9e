//! Choosing the queue of a send yourself (Java's `MessageQueueSelector`), e.g. all messages of
//! one order to one queue so they stay in order.

use ferromq_model::MessageQueue;
use ferromq_protocol::hash::java_string_hash;

use crate::message::Message;

/// Picks a queue among the topic's publish queues.
pub trait QueueSelector: Send + Sync {
    /// The queue for `msg`, or `None` to fail the send.
    fn select(&self, queues: &[MessageQueue], msg: &Message) -> Option<MessageQueue>;
}

impl<F> QueueSelector for F
where
    F: Fn(&[MessageQueue], &Message) -> Option<MessageQueue> + Send + Sync,
{
    fn select(&self, queues: &[MessageQueue], msg: &Message) -> Option<MessageQueue> {
        self(queues, msg)
    }
}

/// Java's `SelectMessageQueueByHash` with a string key: `abs(key.hashCode() % n)`, so Java and
/// Rust producers put the same key on the same queue.
#[derive(Debug, Clone)]
pub struct SelectByHash {
    key: String,
}

impl SelectByHash {
    /// Selects by `key` (the sharding key, e.g. an order id).
    pub fn new(key: impl Into<String>) -> Self {
        SelectByHash { key: key.into() }
    }

    /// The index `key` maps to among `n` queues.
    pub fn index(key: &str, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        let v = java_string_hash(key) % (n as i32);
        v.unsigned_abs() as usize
    }
}

impl QueueSelector for SelectByHash {
    fn select(&self, queues: &[MessageQueue], _msg: &Message) -> Option<MessageQueue> {
        queues.get(Self::index(&self.key, queues.len())).cloned()
    }
}

/// Java's `SelectMessageQueueByRandom`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SelectByRandom;

impl QueueSelector for SelectByRandom {
    fn select(&self, queues: &[MessageQueue], _msg: &Message) -> Option<MessageQueue> {
        if queues.is_empty() {
            return None;
        }
        queues.get(rand::random::<usize>() % queues.len()).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_java() {
        // "polygenelubricants".hashCode() == Integer.MIN_VALUE; MIN_VALUE % 8 == 0.
        assert_eq!(SelectByHash::index("polygenelubricants", 8), 0);
        // "hello".hashCode() == 99162322; 99162322 % 5 == 2.
        assert_eq!(SelectByHash::index("hello", 5), 2);
        // "TagA".hashCode() == 2598919 ⇒ % 4 == 3.
        assert_eq!(SelectByHash::index("TagA", 4), 3);
        // Negative hash (-1580979136): Java takes abs of the remainder.
        let h = java_string_hash("zzzzzzzzzz");
        assert!(h < 0);
        assert_eq!(
            SelectByHash::index("zzzzzzzzzz", 5),
            (h % 5).unsigned_abs() as usize
        );
        let qs: Vec<_> = (0..4).map(|i| MessageQueue::new("T", "b", i)).collect();
        let m = Message::new("T", "x");
        assert_eq!(
            SelectByHash::new("TagA").select(&qs, &m).unwrap().queue_id,
            3
        );
        assert!(SelectByRandom.select(&qs, &m).is_some());
        assert!(SelectByRandom.select(&[], &m).is_none());
        let first = |q: &[MessageQueue], _: &Message| q.first().cloned();
        assert_eq!(first.select(&qs, &m).unwrap().queue_id, 0);
    }
}
