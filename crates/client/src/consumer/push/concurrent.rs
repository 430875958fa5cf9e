//! Concurrent consumption (Java `ConsumeMessageConcurrentlyService`): batches of
//! `consume_batch_max_size` messages go to the consumer's consume threads, which call the
//! listener and record the result. Failed messages of a clustering group are sent back to the
//! broker for redelivery via `%RETRY%{group}`; if that fails they are consumed again locally
//! after 5 s. The committed offset only moves past messages that are finished.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::MessageQueue;
use ferromq_protocol::message::keys;

use super::send_back::{self, restore_retry_topic};
use super::state::{Listener, PushInner};
use crate::consumer::listener::{ConcurrentlyContext, ConcurrentlyStatus};
use crate::consumer::process_queue::ProcessQueue;
use crate::message::ReceivedMessage;
use ferromq_protocol::time::now_ms as now_millis;

/// Delay before locally re-consuming messages whose send-back failed.
const LOCAL_RETRY_DELAY: Duration = Duration::from_secs(5);

/// Which messages of a batch failed (Java's `ackIndex` rules): all on `ReconsumeLater`, those
/// after `ack_index` on success.
fn failed_range(status: ConcurrentlyStatus, ack_index: i32, len: usize) -> std::ops::Range<usize> {
    if len == 0 {
        return 0..0;
    }
    match status {
        ConcurrentlyStatus::ReconsumeLater => 0..len,
        ConcurrentlyStatus::ConsumeSuccess => {
            let ack = ack_index.max(-1).min(len as i32 - 1);
            ((ack + 1) as usize)..len
        }
    }
}

/// Queues freshly pulled messages for the listener, in batches of `consume_batch_max_size`.
pub(super) fn submit(
    inner: &Arc<PushInner>,
    pq: &Arc<ProcessQueue>,
    mq: &MessageQueue,
    msgs: Vec<ReceivedMessage>,
) {
    let batch = inner.config.consume_batch_max_size.max(1);
    let mut msgs = msgs.into_iter().peekable();
    while msgs.peek().is_some() {
        let chunk: Vec<ReceivedMessage> = msgs.by_ref().take(batch).collect();
        let (this, pq) = (inner.clone(), pq.clone());
        let ctx = ConcurrentlyContext::new(mq.clone());
        inner
            .consume_threads
            .submit(Box::new(move || consume(&this, &pq, ctx, chunk)));
    }
}

/// One listener call, on a consume thread (Java `ConsumeRequest.run`).
fn consume(
    inner: &Arc<PushInner>,
    pq: &Arc<ProcessQueue>,
    mut ctx: ConcurrentlyContext,
    mut msgs: Vec<ReceivedMessage>,
) {
    if pq.is_dropped() {
        return;
    }
    let Some(Listener::Concurrent(listener)) = inner.listener.read().clone() else {
        return;
    };
    restore_retry_topic(&mut msgs, &inner.config.group);
    let started = now_millis().to_string();
    for m in &mut msgs {
        m.properties
            .insert(keys::CONSUME_START_TIMESTAMP, started.clone());
    }
    let begin = Instant::now();
    let status = match catch_unwind(AssertUnwindSafe(|| listener.consume(&msgs, &mut ctx))) {
        Ok(status) => status,
        Err(_) => {
            tracing::warn!(queue = %ctx.queue, "listener panicked; will redeliver");
            ctx = ConcurrentlyContext::new(ctx.queue.clone());
            ConcurrentlyStatus::ReconsumeLater
        }
    };
    tracing::trace!(queue = %ctx.queue, ?status, elapsed = ?begin.elapsed(), "consumed");
    if pq.is_dropped() {
        return;
    }
    finish(inner, pq, msgs, status, ctx);
}

/// Java `processConsumeResult`: successes are recorded right here; failures of a clustering
/// group are sent back from an async task, which records the batch afterwards.
fn finish(
    inner: &Arc<PushInner>,
    pq: &Arc<ProcessQueue>,
    msgs: Vec<ReceivedMessage>,
    status: ConcurrentlyStatus,
    ctx: ConcurrentlyContext,
) {
    let failed = failed_range(status, ctx.ack_index, msgs.len());
    if failed.is_empty() {
        record_done(inner, pq, &ctx.queue, &msgs);
    } else if inner.clustering() {
        let (this, pq) = (inner.clone(), pq.clone());
        inner.spawn(async move { send_back_failed(&this, &pq, ctx, msgs, failed).await });
    } else {
        for m in &msgs[failed] {
            tracing::warn!(msg_id = %m.msg_id(), "broadcasting: consumption failed, message dropped");
        }
        record_done(inner, pq, &ctx.queue, &msgs);
    }
}

/// Sends the failed messages back; those the broker did not take are consumed again here
/// after [`LOCAL_RETRY_DELAY`] and stay uncommitted meanwhile.
async fn send_back_failed(
    inner: &Arc<PushInner>,
    pq: &Arc<ProcessQueue>,
    ctx: ConcurrentlyContext,
    mut msgs: Vec<ReceivedMessage>,
    failed: std::ops::Range<usize>,
) {
    let mut back_failed = Vec::new();
    for m in &msgs[failed] {
        if !pq.contains(m.queue_offset) {
            continue;
        }
        if !send_back::send_back(inner, m, ctx.delay_level_when_next_consume).await {
            let mut again = m.clone();
            again.reconsume_times += 1;
            back_failed.push(again);
        }
    }
    if !back_failed.is_empty() {
        let offsets: Vec<i64> = back_failed.iter().map(|m| m.queue_offset).collect();
        msgs.retain(|m| !offsets.contains(&m.queue_offset));
        let (this, pq2, mq) = (inner.clone(), pq.clone(), ctx.queue.clone());
        inner.spawn(async move {
            tokio::time::sleep(LOCAL_RETRY_DELAY).await;
            submit(&this, &pq2, &mq, back_failed);
        });
    }
    record_done(inner, pq, &ctx.queue, &msgs);
}

/// Takes finished messages out of the process queue and moves the queue's offset.
fn record_done(inner: &PushInner, pq: &ProcessQueue, mq: &MessageQueue, msgs: &[ReceivedMessage]) {
    let offset = pq.remove(msgs);
    if offset >= 0 && !pq.is_dropped() {
        inner.offsets().table().update(mq, offset, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_index_rules() {
        use ConcurrentlyStatus::*;
        assert_eq!(failed_range(ConsumeSuccess, i32::MAX, 3), 3..3);
        assert_eq!(failed_range(ConsumeSuccess, 0, 3), 1..3);
        assert_eq!(failed_range(ConsumeSuccess, -1, 3), 0..3);
        assert_eq!(failed_range(ConsumeSuccess, -7, 3), 0..3);
        assert_eq!(failed_range(ReconsumeLater, i32::MAX, 3), 0..3);
        assert_eq!(failed_range(ReconsumeLater, 1, 0), 0..0);
    }
}
