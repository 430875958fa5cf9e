//! The lite pull consumer's background work: a pull task per assigned queue (Java
//! `PullTaskImpl`), the subscribe-mode rebalance, and the periodic offset commit.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::MessageQueue;
use ferromq_protocol::response_code;

use super::assigned::Assigned;
use super::{LiteInner, Mode, Pulled};
use crate::consumer::pull::{pull, PullArgs, PullStatus};
use crate::consumer::rebalance::{assign, Assignment};
use crate::consumer::start_offset;
use crate::error::ClientError;

const FLOW_CONTROL_DELAY: Duration = Duration::from_millis(50);
const PAUSE_DELAY: Duration = Duration::from_secs(1);
const EXCEPTION_DELAY: Duration = Duration::from_secs(3);
const BROKER_FLOW_CONTROL_DELAY: Duration = Duration::from_millis(20);

/// Starts the rebalance (subscribe mode) and offset-commit loops.
pub(super) fn spawn_loops(inner: &Arc<LiteInner>) {
    let this = inner.clone();
    inner.spawn(async move {
        loop {
            if *this.mode.lock() == Mode::Subscribe {
                rebalance(&this).await;
            }
            tokio::select! {
                _ = this.rebalance_signal.notified() => {}
                _ = tokio::time::sleep(this.config.rebalance_interval) => {}
            }
        }
    });
    let this = inner.clone();
    inner.spawn(async move {
        let mut tick = tokio::time::interval(this.config.client.persist_offset_interval);
        tick.tick().await;
        loop {
            tick.tick().await;
            this.offsets.persist_all(&this.assigned.queues()).await;
        }
    });
}

async fn rebalance(inner: &Arc<LiteInner>) {
    let topics: Vec<String> = inner.subscriptions.read().keys().cloned().collect();
    for topic in &topics {
        let route = match inner.instance.routes().get(topic) {
            Some(r) => Some(r),
            None => inner.instance.update_route(topic).await.ok(),
        };
        let cids = if inner.config.message_model == ferromq_model::MessageModel::Clustering {
            inner
                .instance
                .consumer_id_list(topic, &inner.config.group)
                .await
                .ok()
        } else {
            None
        };
        let Assignment::Queues(queues) = assign(
            inner.config.message_model,
            &inner.config.allocate,
            inner.instance.client_id(),
            route.as_ref().map(|r| &r.subscribe),
            cids.as_deref(),
        ) else {
            continue;
        };
        let (added, removed) = inner.assigned.update(Some(topic), &queues, &inner.stop);
        let changed = !added.is_empty() || !removed.is_empty();
        stop_queues(inner, removed);
        for mq in added {
            start_queue(inner, &mq);
        }
        if changed {
            tracing::info!(group = %inner.config.group, topic = %topic, queues = queues.len(), "lite pull assignment changed");
            inner.instance.send_heartbeat_to_all().await;
        }
    }
    // Unsubscribed topics.
    let stale: std::collections::BTreeSet<MessageQueue> = inner
        .assigned
        .queues()
        .into_iter()
        .filter(|mq| !topics.contains(&mq.topic))
        .collect();
    for mq in stale {
        let (_, removed) = inner
            .assigned
            .update(Some(&mq.topic), &Default::default(), &inner.stop);
        stop_queues(inner, removed);
    }
}

/// Stops the given queues: cancel their tasks, commit and forget their offsets.
pub(super) fn stop_queues(inner: &Arc<LiteInner>, removed: Vec<(MessageQueue, Assigned)>) {
    for (mq, a) in removed {
        a.cancel.cancel();
        a.pq.set_dropped();
        inner.clear_buffered(&mq);
        if a.consume_offset >= 0 {
            inner.offsets.table().update(&mq, a.consume_offset, false);
        }
        let this = inner.clone();
        tokio::spawn(async move {
            this.offsets.persist(&mq).await;
            this.offsets.table().remove(&mq);
        });
    }
}

/// Starts the pull task of `mq`.
pub(super) fn start_queue(inner: &Arc<LiteInner>, mq: &MessageQueue) {
    let Some(a) = inner.assigned.get(mq) else {
        return;
    };
    let (this, mq, cancel) = (inner.clone(), mq.clone(), a.cancel.clone());
    inner.spawn(async move {
        tokio::select! {
            _ = cancel.cancelled() => {}
            _ = pull_task(this, mq) => {}
        }
    });
}

async fn pull_task(inner: Arc<LiteInner>, mq: MessageQueue) {
    loop {
        let Some(a) = inner.assigned.get(&mq) else {
            return;
        };
        let pq = a.pq.clone();
        if pq.is_dropped() || !inner.running.load(Ordering::SeqCst) {
            return;
        }
        if a.paused {
            tokio::time::sleep(PAUSE_DELAY).await;
            continue;
        }
        pq.touch_pull(Instant::now());
        let buffered = inner.buffer.lock().len() as u64;
        if buffered * inner.config.pull_batch_size.max(1) as u64
            > inner.config.pull_threshold_for_all
            || pq.flow_control(&inner.config.flow, false).is_some()
        {
            tokio::time::sleep(FLOW_CONTROL_DELAY).await;
            continue;
        }
        let offset = match inner.assigned.next_pull_offset(&mq) {
            Some(o) => o,
            None => match start_offset::compute(
                &inner.instance,
                &inner.offsets,
                inner.config.consume_from_where,
                inner.consume_timestamp,
                &mq,
            )
            .await
            {
                Ok(o) => o,
                Err(e) => {
                    tracing::warn!(queue = %mq, error = %e, "cannot compute the pull offset");
                    tokio::time::sleep(EXCEPTION_DELAY).await;
                    continue;
                }
            },
        };
        let sub = inner.subscription_for(&mq.topic);
        let args = PullArgs {
            group: &inner.config.group,
            mq: &mq,
            subscription: &sub,
            post_subscription: true,
            offset,
            max_nums: inner.config.pull_batch_size,
            max_bytes: None,
            commit_offset: None,
            suspend: true,
            broker_suspend: inner.config.broker_suspend_max,
            lite: true,
        };
        let delay = match pull(
            &inner.instance,
            &inner.suggested,
            &args,
            inner.config.pull_timeout,
        )
        .await
        {
            Ok(r) => {
                let seek_pending = inner.assigned.get(&mq).is_some_and(|a| a.seek_offset >= 0);
                if pq.is_dropped() || seek_pending {
                    continue;
                }
                if r.status == PullStatus::Found && !r.messages.is_empty() {
                    pq.track(&r.messages);
                    inner.buffer.lock().push_back(Pulled {
                        mq: mq.clone(),
                        pq: pq.clone(),
                        msgs: r.messages,
                    });
                    inner.buffer_signal.notify_waiters();
                    inner.buffer_signal.notify_one();
                }
                if r.status == PullStatus::OffsetIllegal {
                    tracing::warn!(queue = %mq, offset, next = r.next_begin_offset, "lite pull offset illegal");
                }
                inner
                    .assigned
                    .with(&mq, |a| a.pull_offset = r.next_begin_offset);
                Duration::ZERO
            }
            Err(ClientError::Broker { code, .. }) if code == response_code::FLOW_CONTROL => {
                BROKER_FLOW_CONTROL_DELAY
            }
            Err(e) => {
                tracing::debug!(queue = %mq, error = %e, "lite pull failed");
                inner.config.client.pull_delay_on_exception
            }
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
}
