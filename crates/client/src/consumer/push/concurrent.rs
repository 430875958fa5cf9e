//! Concurrent consumption (Java `ConsumeMessageConcurrentlyService`): batches of
//! `consume_batch_max_size` messages run on the blocking pool, at most `consume_concurrency` at
//! once. Failed messages of a clustering group are sent back to the broker for redelivery via
//! `%RETRY%{group}`; if that fails they are consumed again locally after 5 s. The committed
//! offset only moves past messages that are finished.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::MessageQueue;
use ferromq_protocol::message::keys;

use super::{send_back, Listener, PushInner};
use crate::consumer::listener::{ConcurrentlyContext, ConcurrentlyStatus};
use crate::consumer::process_queue::ProcessQueue;
use crate::consumer::{now_millis, restore_retry_topic};
use crate::message::ReceivedMessage;

/// Delay before locally re-consuming messages whose send-back failed.
const LOCAL_RETRY_DELAY: Duration = Duration::from_secs(5);

/// Which messages of a batch failed (Java's `ackIndex` rules): all on `ReconsumeLater`, those
/// after `ack_index` on success.
pub fn failed_range(
    status: ConcurrentlyStatus,
    ack_index: i32,
    len: usize,
) -> std::ops::Range<usize> {
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

/// Hands freshly pulled messages to the listener.
pub(super) fn submit(
    inner: &Arc<PushInner>,
    pq: &Arc<ProcessQueue>,
    mq: &MessageQueue,
    msgs: Vec<ReceivedMessage>,
) {
    let batch = inner.config.consume_batch_max_size.max(1);
    for chunk in msgs.chunks(batch) {
        let (this, pq, mq, chunk) = (inner.clone(), pq.clone(), mq.clone(), chunk.to_vec());
        inner.spawn(async move { consume(this, pq, mq, chunk).await });
    }
}

async fn consume(
    inner: Arc<PushInner>,
    pq: Arc<ProcessQueue>,
    mq: MessageQueue,
    mut msgs: Vec<ReceivedMessage>,
) {
    let Ok(_permit) = inner.permits.clone().acquire_owned().await else {
        return;
    };
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
    let mut ctx = ConcurrentlyContext::new(mq.clone());
    let begin = Instant::now();
    let shared = Arc::new(msgs);
    let call = {
        let (listener, shared) = (listener.clone(), shared.clone());
        tokio::task::spawn_blocking(move || {
            let status = listener.consume(&shared, &mut ctx);
            (status, ctx)
        })
    };
    let (status, ctx) = match call.await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(queue = %mq, error = %e, "listener panicked; will redeliver");
            (
                ConcurrentlyStatus::ReconsumeLater,
                ConcurrentlyContext::new(mq.clone()),
            )
        }
    };
    tracing::trace!(queue = %mq, ?status, elapsed = ?begin.elapsed(), "consumed");
    let msgs = Arc::try_unwrap(shared).unwrap_or_else(|a| (*a).clone());
    if pq.is_dropped() {
        return;
    }
    finish(&inner, &pq, &mq, msgs, status, &ctx).await;
}

/// Java `processConsumeResult`.
async fn finish(
    inner: &Arc<PushInner>,
    pq: &Arc<ProcessQueue>,
    mq: &MessageQueue,
    mut msgs: Vec<ReceivedMessage>,
    status: ConcurrentlyStatus,
    ctx: &ConcurrentlyContext,
) {
    let failed = failed_range(status, ctx.ack_index, msgs.len());
    if !failed.is_empty() {
        if inner.clustering() {
            let mut back_failed = Vec::new();
            for i in failed {
                let m = &msgs[i];
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
                let (this, pq2, mq2) = (inner.clone(), pq.clone(), mq.clone());
                inner.spawn(async move {
                    tokio::time::sleep(LOCAL_RETRY_DELAY).await;
                    submit(&this, &pq2, &mq2, back_failed);
                });
            }
        } else {
            for m in &msgs[failed] {
                tracing::warn!(msg_id = %m.msg_id(), "broadcasting: consumption failed, message dropped");
            }
        }
    }
    let offset = pq.remove(&msgs);
    if offset >= 0 && !pq.is_dropped() {
        inner.offsets.table().update(mq, offset, true);
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
