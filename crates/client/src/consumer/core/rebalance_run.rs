//! Running rebalances (Java `RebalanceImpl.doRebalance` / `updateProcessQueueTableInRebalance`):
//! turn each topic's [`assign`] decision into held queues — start pulling what was added,
//! settle and commit what was removed — plus the periodic loops: rebalance every
//! `rebalance_interval` or when signalled, offset commit every `persist_offset_interval`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::MessageQueue;

use super::layer::Layer;
use super::pull_loop::start_pulling;
use super::release::remove_queue;
use super::state::ConsumerCore;
use crate::consumer::process_queue::ProcessQueue;
use crate::consumer::rebalance::{assign, plan, Assignment};

/// How soon a rebalance that could not lock a queue is tried again.
const RETRY_LOCK_DELAY: Duration = Duration::from_millis(500);

/// Starts the rebalance and offset-commit loops.
pub(crate) fn spawn_loops(layer: &Arc<dyn Layer>) {
    let core = layer.core();
    let this = layer.clone();
    core.spawn(async move {
        let core = this.core();
        loop {
            if this.rebalances() {
                rebalance(&this).await;
            }
            tokio::select! {
                _ = core.rebalance_requested() => {}
                _ = tokio::time::sleep(core.config().rebalance_interval) => {}
            }
        }
    });
    let this = layer.clone();
    core.spawn(async move {
        let core = this.core();
        let mut tick = tokio::time::interval(core.config().client.persist_offset_interval);
        tick.tick().await;
        loop {
            tick.tick().await;
            core.persist_offsets().await;
        }
    });
}

/// What became of a queue the rebalance wanted to start.
enum Admission {
    Started,
    /// Not now (already held, or no start offset yet): the next round tries again.
    Skipped,
    /// The layer refused it for now (orderly lock taken elsewhere): rebalance again soon.
    Refused,
}

/// One rebalance round over every subscribed topic.
pub(crate) async fn rebalance(layer: &Arc<dyn Layer>) {
    let core = layer.core();
    if core.is_paused() {
        return;
    }
    let topics = core.topics();
    let mut changed_any = false;
    let mut retry_soon = false;
    for topic in &topics {
        let Assignment::Queues(assigned) = assignment(core, topic).await else {
            continue;
        };
        let p = plan(topic, &core.queues().held(topic, core.passive()), &assigned);
        let mut changed = false;
        for mq in &p.drop {
            changed |= remove_queue(layer, mq).await;
        }
        for mq in &p.add {
            match add_queue(layer, mq).await {
                Admission::Started => changed = true,
                Admission::Skipped => {}
                Admission::Refused => retry_soon = true,
            }
        }
        if changed {
            tracing::info!(group = %core.config().group, topic = %topic, assigned = assigned.len(), "rebalance changed the assignment");
            if core.passive() {
                core.bump_sub_version(topic);
            } else {
                core.puller().heartbeat().await;
            }
            changed_any = true;
        }
    }
    changed_any |= remove_unsubscribed(layer, &topics).await;
    if changed_any && core.passive() {
        core.puller().heartbeat().await;
    }
    if retry_soon {
        let this = layer.clone();
        core.spawn(async move {
            tokio::time::sleep(RETRY_LOCK_DELAY).await;
            this.core().rebalance_now();
        });
    }
}

/// What this client should own of `topic` now.
async fn assignment(core: &ConsumerCore, topic: &str) -> Assignment {
    let queues = core.puller().topic_queues(topic).await;
    let cids = if core.clustering() {
        match core
            .puller()
            .consumer_ids(topic, &core.config().group)
            .await
        {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::debug!(topic = %topic, error = %e, "consumer id list unavailable");
                None
            }
        }
    } else {
        None
    };
    assign(
        core.config().message_model,
        &core.config().allocate,
        core.instance().client_id(),
        queues.as_ref(),
        cids.as_deref(),
    )
}

/// Gives up the held queues of topics no longer subscribed; whether any was given up.
async fn remove_unsubscribed(layer: &Arc<dyn Layer>, topics: &[String]) -> bool {
    let stale: BTreeSet<MessageQueue> = layer
        .core()
        .queues()
        .queues()
        .into_iter()
        .filter(|mq| !topics.contains(&mq.topic))
        .collect();
    let mut removed = false;
    for mq in stale {
        removed |= remove_queue(layer, &mq).await;
    }
    removed
}

/// Starts consuming `mq`. A push consumer computes the start offset first (and takes the
/// queue only once it has one); lite pull computes it in the pull task.
async fn add_queue(layer: &Arc<dyn Layer>, mq: &MessageQueue) -> Admission {
    let core = layer.core();
    if !layer.admit(mq).await {
        return Admission::Refused;
    }
    let offset = if core.passive() {
        core.offsets().table().remove(mq);
        match core.start_offset(mq).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(queue = %mq, error = %e, "cannot compute the start offset; will retry");
                return Admission::Skipped;
            }
        }
    } else {
        -1
    };
    let pq = Arc::new(ProcessQueue::new());
    if core.passive() {
        pq.set_locked(true, Instant::now());
    }
    if !core.queues().insert(mq, pq, offset, core.stop_token()) {
        return Admission::Skipped;
    }
    tracing::debug!(queue = %mq, offset, "queue assigned");
    start_pulling(layer, mq);
    Admission::Started
}
