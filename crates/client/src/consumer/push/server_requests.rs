//! How a push consumer answers what brokers ask of it: offset resets, running info and direct
//! consumption (the core answers heartbeats and group changes).

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::MessageQueue;

use super::lock;
use super::state::{Listener, PushInner};
use crate::consumer::listener::{
    ConcurrentlyContext, ConcurrentlyStatus, OrderlyContext, OrderlyStatus,
};
use crate::consumer::process_queue::ProcessQueue;
use crate::message::ReceivedMessage;

/// CONSUME_MESSAGE_DIRECTLY: runs the listener on `message` here, on the caller's thread.
pub(super) fn consume_directly(inner: &PushInner, message: ReceivedMessage) -> Option<String> {
    let listener = inner.listener.read().clone()?;
    let mq = MessageQueue::new(
        message.topic.clone(),
        message.broker_name.clone(),
        message.queue_id,
    );
    let msgs = [message];
    let begin = Instant::now();
    let (order, result) = match listener {
        Listener::Concurrent(l) => {
            let mut ctx = ConcurrentlyContext::new(mq);
            let r = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                l.consume(&msgs, &mut ctx)
            })) {
                Ok(ConcurrentlyStatus::ConsumeSuccess) => "CR_SUCCESS",
                Ok(ConcurrentlyStatus::ReconsumeLater) => "CR_LATER",
                Err(_) => "CR_THROW_EXCEPTION",
            };
            (false, r)
        }
        Listener::Orderly(l) => {
            let mut ctx = OrderlyContext::new(mq);
            let r = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                l.consume(&msgs, &mut ctx)
            })) {
                Ok(OrderlyStatus::Success) => "CR_SUCCESS",
                Ok(OrderlyStatus::Commit) => "CR_COMMIT",
                Ok(OrderlyStatus::Rollback) => "CR_ROLLBACK",
                Ok(OrderlyStatus::SuspendCurrentQueueAMoment) => "CR_LATER",
                Err(_) => "CR_THROW_EXCEPTION",
            };
            (true, r)
        }
    };
    Some(
        serde_json::json!({
            "autoCommit": true,
            "consumeResult": result,
            "order": order,
            "spentTimeMills": begin.elapsed().as_millis() as i64,
        })
        .to_string(),
    )
}

/// RESET_CONSUMER_CLIENT_OFFSET: pause, drop the topic's cached messages, store the new
/// offsets on the broker, let the rebalance start the queues again from there.
pub(super) async fn reset_offset(
    inner: Arc<PushInner>,
    topic: String,
    offsets: HashMap<MessageQueue, i64>,
) {
    let core = &inner.core;
    core.set_paused(true);
    let affected: Vec<(MessageQueue, Arc<ProcessQueue>)> = core
        .queues()
        .process_queues()
        .into_iter()
        .filter(|(mq, _)| mq.topic == topic && offsets.contains_key(mq))
        .collect();
    for (_, pq) in &affected {
        pq.set_dropped();
        pq.clear();
    }
    // Let listener calls in flight finish (Java waits 10 s; orderly ones hold the lock).
    for (_, pq) in &affected {
        let _ = tokio::time::timeout(Duration::from_secs(2), pq.consume_lock.lock()).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for (mq, _) in &affected {
        let offset = offsets[mq];
        inner.offsets().table().remove(mq);
        if let Err(e) = inner.offsets().commit_sync(mq, offset).await {
            tracing::warn!(queue = %mq, error = %e, "reset offset commit failed");
        }
        inner.offsets().table().remove(mq);
        if let Some(held) = core.queues().remove(mq) {
            held.cancel.cancel();
        }
        if inner.orderly_clustering() {
            lock::unlock(&inner, &[mq.clone()].into(), true).await;
        }
    }
    // Resuming rebalances at once: the queues start again from the new offsets.
    core.set_paused(false);
}

/// A `ConsumerRunningInfo` body: properties, subscriptions and per-queue cache state (queue
/// object keys, as fastjson writes them).
pub(super) fn running_info(inner: &PushInner) -> String {
    let props = serde_json::json!({
        "PROP_NAMESERVER_ADDR": inner.config.client.namesrv_addrs.join(";"),
        "PROP_CONSUME_TYPE": "CONSUME_PASSIVELY",
        "PROP_CONSUME_ORDERLY": inner.is_orderly().to_string(),
        "PROP_THREADPOOL_CORE_SIZE": inner.config.consume_concurrency.to_string(),
        "PROP_CONSUMER_START_TIMESTAMP": inner.core.start_millis().to_string(),
        "PROP_CLIENT_VERSION": "V5_3_3",
        "consumerGroup": inner.config.group,
        "messageModel": inner.config.message_model.name(),
        "consumeFromWhere": inner.config.consume_from_where.name(),
        "allocateMessageQueueStrategy": inner.config.allocate.name(),
        "pullBatchSize": inner.config.pull_batch_size.to_string(),
        "consumeMessageBatchMaxSize": inner.config.consume_batch_max_size.to_string(),
    });
    let subs = inner.core.subscriptions();
    let mut mq_table = String::from("{");
    for (i, (mq, pq)) in inner.core.queues().process_queues().iter().enumerate() {
        if i > 0 {
            mq_table.push(',');
        }
        let (min, max) = pq.cached_range().unwrap_or((0, 0));
        let info = serde_json::json!({
            "cachedMsgCount": pq.count(),
            "cachedMsgMaxOffset": max,
            "cachedMsgMinOffset": min,
            "cachedMsgSizeInMiB": pq.size_bytes() / (1024 * 1024),
            "commitOffset": inner.offsets().table().get(mq).unwrap_or(-1),
            "droped": pq.is_dropped(),
            "locked": pq.is_locked(),
        });
        let _ = write!(
            mq_table,
            "{}:{}",
            serde_json::to_string(mq).unwrap_or_default(),
            info
        );
    }
    mq_table.push('}');
    format!(
        "{{\"mqTable\":{mq_table},\"properties\":{props},\"statusTable\":{{}},\"subscriptionSet\":{}}}",
        serde_json::to_string(&subs).unwrap_or_else(|_| "[]".into())
    )
}
