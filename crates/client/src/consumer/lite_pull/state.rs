//! The lite pull layer's shared state — the poll buffer, subscribe/assign mode, assign-mode
//! expressions, the auto-commit clock — and how it plugs into the consumer core: pulled
//! batches go to the buffer, flow control also counts the whole buffer, and a queue given up
//! takes its buffered batches and polled offset with it.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use ferromq_model::{MessageQueue, SubscriptionData};
use futures::future::BoxFuture;
use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;

use crate::consumer::config::LitePullConsumerConfig;
use crate::consumer::core::{ConsumerCore, HeldQueue, Layer};
use crate::consumer::process_queue::ProcessQueue;
use crate::message::ReceivedMessage;

/// How the consumer's queues are chosen; subscribe and assign are mutually exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Unset,
    Subscribe,
    Assign,
}

/// A batch pulled from one queue, waiting for `poll`.
pub(super) struct Pulled {
    pub(super) mq: MessageQueue,
    pub(super) pq: Arc<ProcessQueue>,
    pub(super) msgs: Vec<ReceivedMessage>,
}

/// Shared state of a lite pull consumer.
pub(super) struct LiteInner {
    pub(super) core: ConsumerCore,
    pub(super) config: LitePullConsumerConfig,
    pub(super) mode: Mutex<Mode>,
    pub(super) assign_expressions: RwLock<HashMap<String, String>>,
    pub(super) buffer: Mutex<VecDeque<Pulled>>,
    pub(super) buffer_signal: Notify,
    pub(super) next_auto_commit: Mutex<Instant>,
}

impl LiteInner {
    /// Removes buffered batches of `mq`.
    pub(super) fn clear_buffered(&self, mq: &MessageQueue) {
        self.buffer.lock().retain(|p| &p.mq != mq);
    }
}

impl Layer for LiteInner {
    fn core(&self) -> &ConsumerCore {
        &self.core
    }

    fn rebalances(&self) -> bool {
        *self.mode.lock() == Mode::Subscribe
    }

    /// Assign mode pulls with the expression set for the topic (default `*`).
    fn subscription(&self, topic: &str) -> Option<SubscriptionData> {
        if let Some(s) = self.core.subscription(topic) {
            return Some(s);
        }
        let expr = self
            .assign_expressions
            .read()
            .get(topic)
            .cloned()
            .unwrap_or_else(|| "*".to_string());
        Some(SubscriptionData::from_expression(topic, &expr))
    }

    fn flow_control(&self, pq: &ProcessQueue) -> bool {
        let buffered = self.buffer.lock().len() as u64;
        buffered * self.config.pull_batch_size.max(1) as u64 > self.config.pull_threshold_for_all
            || pq.flow_control(&self.config.flow, false).is_some()
    }

    fn deliver(
        self: Arc<Self>,
        mq: &MessageQueue,
        pq: &Arc<ProcessQueue>,
        msgs: Vec<ReceivedMessage>,
    ) {
        pq.track(&msgs);
        self.buffer.lock().push_back(Pulled {
            mq: mq.clone(),
            pq: pq.clone(),
            msgs,
        });
        self.buffer_signal.notify_waiters();
        self.buffer_signal.notify_one();
    }

    /// What was polled of the queue is committed with it; what is buffered is forgotten.
    fn release<'a>(&'a self, mq: &'a MessageQueue, held: &'a HeldQueue) -> BoxFuture<'a, bool> {
        self.clear_buffered(mq);
        if held.consume_offset >= 0 {
            self.core
                .offsets()
                .table()
                .update(mq, held.consume_offset, false);
        }
        Box::pin(async { true })
    }

    /// The next pull of each queue starts at the broker's offset.
    fn reset_offset(self: Arc<Self>, _topic: String, offsets: HashMap<MessageQueue, i64>) {
        for (mq, off) in offsets {
            self.core.queues().with(&mq, |a| a.seek_offset = off);
        }
    }

    fn running_info(&self) -> String {
        String::from("{\"properties\":{\"PROP_CONSUME_TYPE\":\"CONSUME_ACTIVELY\"}}")
    }
}
