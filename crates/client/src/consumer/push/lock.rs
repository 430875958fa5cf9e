//! Broker locks of an orderly clustering consumer (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ): a queue
//! is locked before it is taken, every held queue's lock is renewed every `lock_interval`,
//! and locks are released when a queue is given up and at shutdown.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::MessageQueue;

use super::state::PushInner;
use crate::consumer::process_queue::ProcessQueue;

/// Delay before the first lock renewal after start.
const FIRST_RENEWAL_DELAY: Duration = Duration::from_secs(1);

fn by_broker(
    mqs: impl IntoIterator<Item = MessageQueue>,
) -> BTreeMap<String, BTreeSet<MessageQueue>> {
    let mut m: BTreeMap<String, BTreeSet<MessageQueue>> = BTreeMap::new();
    for mq in mqs {
        m.entry(mq.broker_name.clone()).or_default().insert(mq);
    }
    m
}

/// Starts the lock renewal loop.
pub(super) fn spawn_renewal(inner: &Arc<PushInner>) {
    let this = inner.clone();
    inner.spawn(async move {
        tokio::time::sleep(FIRST_RENEWAL_DELAY).await;
        loop {
            lock_all(&this).await;
            tokio::time::sleep(this.config.lock_interval).await;
        }
    });
}

/// Locks one queue before taking it.
pub(super) async fn lock_one(inner: &PushInner, mq: &MessageQueue) -> bool {
    let group = inner.core.group();
    match inner
        .core
        .puller()
        .lock(group, &mq.broker_name, [mq.clone()].into())
        .await
    {
        Ok(locked) => {
            let ok = locked.contains(mq);
            tracing::debug!(queue = %mq, ok, "lock queue");
            ok
        }
        Err(e) => {
            tracing::warn!(queue = %mq, error = %e, "lock queue failed");
            false
        }
    }
}

/// Renews the locks of every held queue; queues the broker refuses lose their lock.
pub(super) async fn lock_all(inner: &PushInner) {
    let held: Vec<(MessageQueue, Arc<ProcessQueue>)> = inner
        .core
        .queues()
        .process_queues()
        .into_iter()
        .filter(|(_, pq)| !pq.is_dropped())
        .collect();
    let group = inner.core.group();
    for (broker, mqs) in by_broker(held.iter().map(|(mq, _)| mq.clone())) {
        match inner.core.puller().lock(group, &broker, mqs.clone()).await {
            Ok(locked) => {
                let now = Instant::now();
                for (mq, pq) in held.iter().filter(|(mq, _)| mqs.contains(mq)) {
                    pq.set_locked(locked.contains(mq), now);
                }
            }
            Err(e) => tracing::warn!(broker = %broker, error = %e, "lock renewal failed"),
        }
    }
}

/// Releases the locks of `mqs`.
pub(super) async fn unlock(inner: &PushInner, mqs: &BTreeSet<MessageQueue>, oneway: bool) {
    let group = inner.core.group();
    for (broker, set) in by_broker(mqs.iter().cloned()) {
        if let Err(e) = inner
            .core
            .puller()
            .unlock(group, &broker, set, oneway)
            .await
        {
            tracing::debug!(broker = %broker, error = %e, "unlock failed");
        }
    }
}
