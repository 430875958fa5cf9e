//! Orderly consumption (Java `ConsumeMessageOrderlyService`): one consume job per queue at a
//! time, on the consumer's consume threads, messages in queue order, only while the broker
//! lock is held (clustering). A failed batch suspends the queue for a moment and is consumed
//! again; after `max_reconsume_times` local retries the message goes to the retry topic (and
//! from there to the DLQ).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::MessageQueue;
use ferromq_protocol::message::keys;

use super::lock;
use super::send_back::{fallback_message, restore_retry_topic};
use super::state::{Listener, PushInner};
use crate::consumer::listener::{OrderlyContext, OrderlyStatus};
use crate::consumer::process_queue::ProcessQueue;
use crate::message::ReceivedMessage;
use crate::producer::sender::SendMode;

/// A consume job gives the queue up after this long, so other queues get threads
/// (`rocketmq.client.maxTimeConsumeContinuously`, 60 s).
const MAX_TIME_CONSUME_CONTINUOUSLY: Duration = Duration::from_secs(60);

/// Queues (after `delay`) a consume job for `mq`.
pub(super) fn submit(
    inner: &Arc<PushInner>,
    pq: &Arc<ProcessQueue>,
    mq: &MessageQueue,
    delay: Duration,
) {
    let (this, pq, mq) = (inner.clone(), pq.clone(), mq.clone());
    if delay.is_zero() {
        inner
            .consume_threads
            .submit(Box::new(move || consume(&this, &pq, &mq)));
        return;
    }
    inner.spawn(async move {
        tokio::time::sleep(delay).await;
        submit(&this, &pq, &mq, Duration::ZERO);
    });
}

/// Re-locks the queue shortly, then consumes again (sooner when the lock came back).
fn lock_later_and_consume(inner: &Arc<PushInner>, pq: &Arc<ProcessQueue>, mq: &MessageQueue) {
    let (this, pq, mq) = (inner.clone(), pq.clone(), mq.clone());
    inner.spawn(async move {
        tokio::time::sleep(Duration::from_millis(10)).await;
        lock::lock_all(&this).await;
        let delay = if pq.is_locked() {
            Duration::from_millis(10)
        } else {
            Duration::from_secs(3)
        };
        submit(&this, &pq, &mq, delay);
    });
}

/// What to do after a listener call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Commit the consuming set (auto-commit success, or `Commit`).
    Commit,
    /// Keep going without committing (manual-commit `Success`).
    Continue,
    /// Consume the same messages again after a pause.
    Retry,
    /// Put the uncommitted messages back (manual `Rollback`) and pause.
    Rollback,
}

/// Java `processConsumeResult` as a decision; `can_retry` is false when every message of the
/// batch exhausted its local retries and was handed to the retry topic.
fn outcome(status: OrderlyStatus, auto_commit: bool, can_retry: bool) -> Outcome {
    match (auto_commit, status) {
        (true, OrderlyStatus::SuspendCurrentQueueAMoment) if can_retry => Outcome::Retry,
        (true, _) => Outcome::Commit,
        (false, OrderlyStatus::Success) => Outcome::Continue,
        (false, OrderlyStatus::Commit) => Outcome::Commit,
        (false, OrderlyStatus::Rollback) => Outcome::Rollback,
        (false, OrderlyStatus::SuspendCurrentQueueAMoment) if can_retry => Outcome::Retry,
        (false, OrderlyStatus::SuspendCurrentQueueAMoment) => Outcome::Continue,
    }
}

/// The consume job of one queue, on a consume thread (Java `ConsumeRequest.run`): takes
/// batches in queue order until the queue is empty, holding the queue's consume lock during
/// each listener call. A suspended batch continues in an async task, which may have to send
/// messages to the retry topic before deciding.
fn consume(inner: &Arc<PushInner>, pq: &Arc<ProcessQueue>, mq: &MessageQueue) {
    let Some(Listener::Orderly(listener)) = inner.listener.read().clone() else {
        return;
    };
    let clustering = inner.clustering();
    let begin = Instant::now();
    loop {
        if pq.is_dropped() || inner.is_stopping() {
            return;
        }
        if clustering && (!pq.is_locked() || pq.is_lock_expired(Instant::now())) {
            lock_later_and_consume(inner, pq, mq);
            return;
        }
        if begin.elapsed() > MAX_TIME_CONSUME_CONTINUOUSLY {
            submit(inner, pq, mq, Duration::from_millis(10));
            return;
        }
        let mut msgs = pq.take(inner.config.consume_batch_max_size.max(1));
        if msgs.is_empty() {
            return;
        }
        restore_retry_topic(&mut msgs, &inner.config.group);
        let guard = pq.consume_lock.blocking_lock();
        if pq.is_dropped() {
            return;
        }
        let mut ctx = OrderlyContext::new(mq.clone());
        let status = match catch_unwind(AssertUnwindSafe(|| listener.consume(&msgs, &mut ctx))) {
            Ok(status) => status,
            Err(_) => {
                tracing::warn!(queue = %mq, "orderly listener panicked; suspending the queue");
                ctx = OrderlyContext::new(mq.clone());
                OrderlyStatus::SuspendCurrentQueueAMoment
            }
        };
        drop(guard);
        let suspend = ctx
            .suspend_current_queue_time
            .unwrap_or(inner.config.suspend_current_queue_time);
        if status == OrderlyStatus::SuspendCurrentQueueAMoment {
            let (this, pq, mq) = (inner.clone(), pq.clone(), mq.clone());
            inner.spawn(async move {
                let can_retry = check_reconsume_times(&this, &mut msgs).await;
                let decision = outcome(status, ctx.auto_commit, can_retry);
                if apply(&this, &pq, &mq, decision, &msgs, suspend) {
                    submit(&this, &pq, &mq, Duration::ZERO);
                }
            });
            return;
        }
        if !apply(
            inner,
            pq,
            mq,
            outcome(status, ctx.auto_commit, false),
            &msgs,
            suspend,
        ) {
            return;
        }
    }
}

/// Carries out `decision` for the batch `msgs`; true when the queue's consumption goes on
/// now, false when a retry was scheduled after `suspend`.
fn apply(
    inner: &Arc<PushInner>,
    pq: &Arc<ProcessQueue>,
    mq: &MessageQueue,
    decision: Outcome,
    msgs: &[ReceivedMessage],
    suspend: Duration,
) -> bool {
    let commit_offset = match decision {
        Outcome::Commit => pq.commit(),
        Outcome::Continue => -1,
        Outcome::Retry => {
            pq.consume_again(msgs);
            submit(inner, pq, mq, suspend);
            return false;
        }
        Outcome::Rollback => {
            pq.rollback();
            submit(inner, pq, mq, suspend);
            return false;
        }
    };
    if commit_offset >= 0 && !pq.is_dropped() {
        inner.offsets().table().update(mq, commit_offset, false);
    }
    true
}

/// Counts a failed local attempt for each message; messages past `max_reconsume_times` are
/// sent to the retry topic instead. Returns whether any message should be consumed again here.
async fn check_reconsume_times(inner: &PushInner, msgs: &mut [ReceivedMessage]) -> bool {
    let max = inner.config.max_reconsume_times.unwrap_or(i32::MAX);
    let mut suspend = false;
    for m in msgs.iter_mut() {
        if m.reconsume_times >= max {
            m.properties
                .insert(keys::RECONSUME_TIME, m.reconsume_times.to_string());
            if !send_to_retry_topic(inner, m, max).await {
                suspend = true;
                m.reconsume_times += 1;
            }
        } else {
            suspend = true;
            m.reconsume_times += 1;
        }
    }
    suspend
}

async fn send_to_retry_topic(inner: &PushInner, m: &ReceivedMessage, max: i32) -> bool {
    let mut copy = fallback_message(m, &inner.config.group, max);
    copy.properties
        .insert(keys::RECONSUME_TIME, m.reconsume_times.to_string());
    copy.properties.remove(keys::DELAY_TIME_LEVEL);
    let result = async {
        let out = inner.sender.prepare(copy)?;
        inner
            .sender
            .send(out, SendMode::Sync, Duration::from_secs(3))
            .await
    }
    .await;
    result.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_follow_java() {
        use OrderlyStatus::*;
        assert_eq!(outcome(Success, true, false), Outcome::Commit);
        assert_eq!(outcome(Commit, true, false), Outcome::Commit);
        assert_eq!(outcome(Rollback, true, false), Outcome::Commit);
        assert_eq!(
            outcome(SuspendCurrentQueueAMoment, true, true),
            Outcome::Retry
        );
        assert_eq!(
            outcome(SuspendCurrentQueueAMoment, true, false),
            Outcome::Commit
        );
        assert_eq!(outcome(Success, false, false), Outcome::Continue);
        assert_eq!(outcome(Commit, false, false), Outcome::Commit);
        assert_eq!(outcome(Rollback, false, false), Outcome::Rollback);
        assert_eq!(
            outcome(SuspendCurrentQueueAMoment, false, true),
            Outcome::Retry
        );
        assert_eq!(
            outcome(SuspendCurrentQueueAMoment, false, false),
            Outcome::Continue
        );
    }
}
