//! The pull loop of one assigned queue (Java `DefaultMQPushConsumerImpl.pullMessage`): flow
//! control, long-polling pull, hand messages to the consume side, follow the broker's next
//! offset, and recover from an illegal offset.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::MessageQueue;
use ferromq_protocol::response_code;

use super::{concurrent, orderly, rebalance_run, PushInner};
use crate::consumer::process_queue::ProcessQueue;
use crate::consumer::pull::{pull, PullArgs, PullStatus};
use crate::consumer::start_offset;
use crate::error::ClientError;

/// Delay after flow control (`PULL_TIME_DELAY_MILLS_WHEN_CACHE_FLOW_CONTROL`).
const FLOW_CONTROL_DELAY: Duration = Duration::from_millis(50);
/// Delay after the broker's FLOW_CONTROL answer.
const BROKER_FLOW_CONTROL_DELAY: Duration = Duration::from_millis(20);
/// Delay while the consumer is suspended.
const SUSPENDED_DELAY: Duration = Duration::from_secs(1);

/// Pulls `mq` from `next_offset` until the queue is dropped.
pub(super) async fn run(
    inner: Arc<PushInner>,
    mq: MessageQueue,
    pq: Arc<ProcessQueue>,
    mut next_offset: i64,
) {
    let orderly = inner.is_orderly();
    let mut previously_locked = false;
    let error_delay = inner.config.client.pull_delay_on_exception;
    while !pq.is_dropped() {
        pq.touch_pull(Instant::now());
        if inner.paused.load(Ordering::SeqCst) {
            tokio::time::sleep(SUSPENDED_DELAY).await;
            continue;
        }
        if pq.flow_control(&inner.config.flow, orderly).is_some() {
            tokio::time::sleep(FLOW_CONTROL_DELAY).await;
            continue;
        }
        if orderly && inner.clustering() {
            if !pq.is_locked() {
                tokio::time::sleep(error_delay).await;
                continue;
            }
            if !previously_locked {
                // First pull under the lock: the previous owner may have committed further.
                match start_offset::compute(
                    &inner.instance,
                    &inner.offsets,
                    inner.config.consume_from_where,
                    inner.consume_timestamp,
                    &mq,
                )
                .await
                {
                    Ok(o) => next_offset = o,
                    Err(e) => {
                        tracing::warn!(queue = %mq, error = %e, "cannot fix the offset after locking");
                        tokio::time::sleep(error_delay).await;
                        continue;
                    }
                }
                previously_locked = true;
            }
        }
        let Some(sub) = inner.subscriptions.read().get(&mq.topic).cloned() else {
            tokio::time::sleep(error_delay).await;
            continue;
        };
        let commit_offset = if inner.clustering() {
            inner.offsets.table().get(&mq).filter(|o| *o > 0)
        } else {
            None
        };
        let args = PullArgs {
            group: &inner.config.group,
            mq: &mq,
            subscription: &sub,
            post_subscription: inner.config.post_subscription_when_pull,
            offset: next_offset,
            max_nums: inner.config.pull_batch_size,
            max_bytes: Some(inner.config.pull_batch_size_bytes),
            commit_offset,
            suspend: true,
            broker_suspend: inner.config.broker_suspend_max,
            lite: false,
        };
        let result = pull(
            &inner.instance,
            &inner.suggested,
            &args,
            inner.config.pull_timeout,
        )
        .await;
        if pq.is_dropped() {
            break;
        }
        let result = match result {
            Ok(r) => r,
            Err(e) => {
                let delay = match &e {
                    ClientError::Broker { code, .. } if *code == response_code::FLOW_CONTROL => {
                        BROKER_FLOW_CONTROL_DELAY
                    }
                    _ => error_delay,
                };
                if !mq
                    .topic
                    .starts_with(ferromq_model::names::RETRY_GROUP_TOPIC_PREFIX)
                {
                    tracing::debug!(queue = %mq, error = %e, "pull failed");
                }
                tokio::time::sleep(delay).await;
                continue;
            }
        };
        match result.status {
            PullStatus::Found => {
                next_offset = result.next_begin_offset;
                if result.messages.is_empty() {
                    continue;
                }
                if orderly {
                    if pq.put(&result.messages) {
                        orderly::submit(&inner, &pq, &mq, Duration::ZERO);
                    }
                } else {
                    pq.track(&result.messages);
                    concurrent::submit(&inner, &pq, &mq, result.messages);
                }
                if !inner.config.pull_interval.is_zero() {
                    tokio::time::sleep(inner.config.pull_interval).await;
                }
            }
            PullStatus::NoNewMsg | PullStatus::NoMatchedMsg => {
                next_offset = result.next_begin_offset;
                // Nothing cached: the filtered range counts as consumed (Java correctTagsOffset).
                if pq.count() == 0 {
                    inner.offsets.table().update(&mq, next_offset, true);
                }
            }
            PullStatus::OffsetIllegal => {
                tracing::warn!(queue = %mq, requested = next_offset, next = result.next_begin_offset, "pull offset illegal; fixing");
                pq.set_dropped();
                inner
                    .offsets
                    .table()
                    .update_and_freeze(&mq, result.next_begin_offset);
                if let Err(e) = inner
                    .offsets
                    .commit_sync(&mq, result.next_begin_offset)
                    .await
                {
                    tracing::warn!(queue = %mq, error = %e, "committing the fixed offset failed");
                }
                rebalance_run::remove_queue(&inner, &mq).await;
                inner.rebalance_signal.notify_one();
                break;
            }
        }
    }
}
