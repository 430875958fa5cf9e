//! The pull loop of one held queue (Java `DefaultMQPushConsumerImpl.pullMessage` and lite
//! pull's `PullTaskImpl`): wait while paused, flow-controlled or (orderly) unlocked; pull with
//! long polling; hand what was found to the layer; follow the broker's next offset; recover
//! from errors and from an illegal offset.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::names::RETRY_GROUP_TOPIC_PREFIX;
use ferromq_model::MessageQueue;
use ferromq_protocol::response_code;

use super::layer::Layer;
use super::release::remove_queue;
use super::state::ConsumerCore;
use crate::consumer::process_queue::ProcessQueue;
use crate::consumer::pull::{PullArgs, PullResult, PullStatus};
use crate::error::{ClientError, Result};

/// Delay after flow control (`PULL_TIME_DELAY_MILLS_WHEN_CACHE_FLOW_CONTROL`).
pub(crate) const FLOW_CONTROL_DELAY: Duration = Duration::from_millis(50);
/// Delay after the broker's FLOW_CONTROL answer.
const BROKER_FLOW_CONTROL_DELAY: Duration = Duration::from_millis(20);
/// Delay while the consumer or the queue is paused (`PULL_TIME_DELAY_MILLS_WHEN_SUSPEND`).
pub(crate) const PAUSE_DELAY: Duration = Duration::from_secs(1);
/// Delay after the start offset could not be computed (lite pull's exception delay).
const START_OFFSET_DELAY: Duration = Duration::from_secs(3);

/// Starts the pull task of held queue `mq`; it ends when the queue is dropped, removed or
/// its task token is cancelled.
pub(crate) fn start_pulling(layer: &Arc<dyn Layer>, mq: &MessageQueue) {
    let core = layer.core();
    let Some(held) = core.queues().get(mq) else {
        return;
    };
    let (layer, mq, cancel) = (layer.clone(), mq.clone(), held.cancel.clone());
    core.spawn(async move {
        tokio::select! {
            _ = cancel.cancelled() => {}
            _ = run(&layer, &mq, held.pq) => {}
        }
    });
}

/// What the loop does next.
enum Step {
    /// Pull again at once.
    Next,
    /// Pull again after a delay.
    Wait(Duration),
    /// The queue is finished.
    Stop,
}

async fn run(layer: &Arc<dyn Layer>, mq: &MessageQueue, pq: Arc<ProcessQueue>) {
    let core = layer.core();
    let mut previously_locked = false;
    loop {
        // The queue may have been given up, and even taken again with a new process queue,
        // which has its own task.
        let Some(held) = core.queues().get(mq) else {
            return;
        };
        if !Arc::ptr_eq(&held.pq, &pq) || pq.is_dropped() || !core.is_running() {
            return;
        }
        pq.touch_pull(Instant::now());
        let step = match gate(layer, mq, &pq, held.paused, &mut previously_locked).await {
            Some(delay) => Step::Wait(delay),
            None => pull_once(layer, mq, &pq).await,
        };
        match step {
            Step::Next => {}
            Step::Wait(delay) => tokio::time::sleep(delay).await,
            Step::Stop => return,
        }
    }
}

/// Why the queue must not be pulled now, as the delay before trying again.
async fn gate(
    layer: &Arc<dyn Layer>,
    mq: &MessageQueue,
    pq: &ProcessQueue,
    queue_paused: bool,
    previously_locked: &mut bool,
) -> Option<Duration> {
    let core = layer.core();
    let error_delay = core.config().client.pull_delay_on_exception;
    if core.is_paused() || queue_paused {
        return Some(PAUSE_DELAY);
    }
    if layer.flow_control(pq) {
        return Some(FLOW_CONTROL_DELAY);
    }
    if layer.needs_lock() {
        if !pq.is_locked() {
            return Some(error_delay);
        }
        if !*previously_locked {
            // First pull under the lock: the previous owner may have committed further.
            match core.start_offset(mq).await {
                Ok(o) => {
                    core.queues().with(mq, |q| q.pull_offset = o);
                }
                Err(e) => {
                    tracing::warn!(queue = %mq, error = %e, "cannot fix the offset after locking");
                    return Some(error_delay);
                }
            }
            *previously_locked = true;
        }
    }
    None
}

/// One pull of `mq` and what follows from its answer.
async fn pull_once(layer: &Arc<dyn Layer>, mq: &MessageQueue, pq: &Arc<ProcessQueue>) -> Step {
    let core = layer.core();
    let offset = match core.queues().next_pull_offset(mq) {
        Some(o) => o,
        None => match core.start_offset(mq).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(queue = %mq, error = %e, "cannot compute the pull offset");
                return Step::Wait(START_OFFSET_DELAY);
            }
        },
    };
    let Some(sub) = layer.subscription(&mq.topic) else {
        return Step::Wait(core.config().client.pull_delay_on_exception);
    };
    let settings = &core.config().pull;
    let commit_offset = if core.passive() && core.clustering() {
        core.offsets().table().get(mq).filter(|o| *o > 0)
    } else {
        None
    };
    let args = PullArgs {
        group: core.group(),
        mq,
        subscription: &sub,
        post_subscription: settings.post_subscription,
        offset,
        max_nums: settings.batch_size,
        max_bytes: settings.batch_bytes,
        commit_offset,
        suspend: true,
        broker_suspend: settings.broker_suspend,
        lite: settings.lite,
    };
    let result = core.puller().pull(&args, settings.timeout).await;
    if pq.is_dropped() {
        return Step::Stop;
    }
    if core.queues().seek_pending(mq) {
        // The answer is for the old position.
        return Step::Next;
    }
    match result {
        Ok(r) => handle_found(layer, mq, pq, offset, r).await,
        Err(e) => failed(core, mq, &e),
    }
}

/// The delay after a failed pull.
fn failed(core: &ConsumerCore, mq: &MessageQueue, e: &ClientError) -> Step {
    if !mq.topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
        tracing::debug!(queue = %mq, error = %e, "pull failed");
    }
    match e {
        ClientError::Broker { code, .. } if *code == response_code::FLOW_CONTROL => {
            Step::Wait(BROKER_FLOW_CONTROL_DELAY)
        }
        _ => Step::Wait(core.config().client.pull_delay_on_exception),
    }
}

/// Follows a pull answer.
async fn handle_found(
    layer: &Arc<dyn Layer>,
    mq: &MessageQueue,
    pq: &Arc<ProcessQueue>,
    offset: i64,
    r: PullResult,
) -> Step {
    let core = layer.core();
    let next = r.next_begin_offset;
    match r.status {
        PullStatus::Found => {
            core.queues().with(mq, |q| q.pull_offset = next);
            if r.messages.is_empty() {
                return Step::Next;
            }
            layer.clone().deliver(mq, pq, r.messages);
            let interval = core.config().pull.interval;
            if interval.is_zero() {
                Step::Next
            } else {
                Step::Wait(interval)
            }
        }
        PullStatus::NoNewMsg | PullStatus::NoMatchedMsg => {
            core.queues().with(mq, |q| q.pull_offset = next);
            // Push: nothing cached, so the filtered range counts as consumed (Java
            // correctTagsOffset); lite pull commits only what was polled.
            if core.passive() && pq.count() == 0 {
                core.offsets().table().update(mq, next, true);
            }
            Step::Next
        }
        PullStatus::OffsetIllegal if core.passive() => {
            tracing::warn!(queue = %mq, requested = offset, next, "pull offset illegal; fixing");
            if let Err(e) = fix_offset(layer, mq, pq, next).await {
                tracing::warn!(queue = %mq, error = %e, "committing the fixed offset failed");
            }
            Step::Stop
        }
        PullStatus::OffsetIllegal => {
            tracing::warn!(queue = %mq, offset, next, "lite pull offset illegal");
            core.queues().with(mq, |q| q.pull_offset = next);
            Step::Next
        }
    }
}

/// Push after OFFSET_ILLEGAL (Java `pullMessage`'s OFFSET_ILLEGAL branch): drop the queue,
/// commit the broker's next offset (frozen, so late updates cannot undo it), give the queue
/// up and rebalance, which takes it again from there.
async fn fix_offset(
    layer: &Arc<dyn Layer>,
    mq: &MessageQueue,
    pq: &ProcessQueue,
    next: i64,
) -> Result<()> {
    let core = layer.core();
    pq.set_dropped();
    core.offsets().table().update_and_freeze(mq, next);
    let committed = core.offsets().commit_sync(mq, next).await;
    remove_queue(layer, mq).await;
    core.rebalance_now();
    committed
}
