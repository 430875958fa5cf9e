//! What a push consumer calls with messages: concurrent listeners (any order, retried via the
//! broker) and orderly listeners (one queue at a time, in queue order, retried locally).
//!
//! Listeners are plain (blocking) functions; the consumer runs them on its own
//! `consume_concurrency` consume threads, like Java's consume thread pool.

use std::time::Duration;

use ferromq_model::MessageQueue;

use crate::message::ReceivedMessage;

/// A concurrent listener's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConcurrentlyStatus {
    /// Consumed (up to `ack_index` when set).
    ConsumeSuccess,
    /// Failed: redeliver later through the group's retry topic.
    ReconsumeLater,
}

/// Per-call context of a concurrent listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcurrentlyContext {
    /// The queue the messages came from.
    pub queue: MessageQueue,
    /// Delay level of the redelivery: 0 lets the broker choose (`3 + reconsumeTimes`), −1
    /// sends straight to the dead-letter queue.
    pub delay_level_when_next_consume: i32,
    /// With `ConsumeSuccess`: messages after this index are treated as failed.
    pub ack_index: i32,
}

impl ConcurrentlyContext {
    /// A fresh context for `queue`.
    pub fn new(queue: MessageQueue) -> Self {
        ConcurrentlyContext {
            queue,
            delay_level_when_next_consume: 0,
            ack_index: i32::MAX,
        }
    }
}

/// Consumes messages in any order.
pub trait ConcurrentListener: Send + Sync + 'static {
    /// Consumes a batch (`consume_batch_max_size`, default 1).
    fn consume(
        &self,
        msgs: &[ReceivedMessage],
        ctx: &mut ConcurrentlyContext,
    ) -> ConcurrentlyStatus;
}

impl<F> ConcurrentListener for F
where
    F: Fn(&[ReceivedMessage], &mut ConcurrentlyContext) -> ConcurrentlyStatus
        + Send
        + Sync
        + 'static,
{
    fn consume(
        &self,
        msgs: &[ReceivedMessage],
        ctx: &mut ConcurrentlyContext,
    ) -> ConcurrentlyStatus {
        self(msgs, ctx)
    }
}

/// An orderly listener's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderlyStatus {
    /// Consumed; the offset moves on.
    Success,
    /// Failed: stop this queue for a moment and consume the same messages again.
    SuspendCurrentQueueAMoment,
    /// Manual-commit mode: commit what was consumed so far.
    Commit,
    /// Manual-commit mode: consume the uncommitted messages again.
    Rollback,
}

/// Per-call context of an orderly listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderlyContext {
    /// The queue.
    pub queue: MessageQueue,
    /// Commit after every successful call (default); when false only `Commit` commits.
    pub auto_commit: bool,
    /// Override of the suspend time for `SuspendCurrentQueueAMoment`.
    pub suspend_current_queue_time: Option<Duration>,
}

impl OrderlyContext {
    /// A fresh context for `queue`.
    pub fn new(queue: MessageQueue) -> Self {
        OrderlyContext {
            queue,
            auto_commit: true,
            suspend_current_queue_time: None,
        }
    }
}

/// Consumes each queue's messages in order.
pub trait OrderlyListener: Send + Sync + 'static {
    /// Consumes a batch of one queue.
    fn consume(&self, msgs: &[ReceivedMessage], ctx: &mut OrderlyContext) -> OrderlyStatus;
}

impl<F> OrderlyListener for F
where
    F: Fn(&[ReceivedMessage], &mut OrderlyContext) -> OrderlyStatus + Send + Sync + 'static,
{
    fn consume(&self, msgs: &[ReceivedMessage], ctx: &mut OrderlyContext) -> OrderlyStatus {
        self(msgs, ctx)
    }
}
