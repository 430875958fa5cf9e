//! Running a push consumer's rebalance: apply [`crate::consumer::rebalance`] decisions to the
//! held process queues, lock/unlock queues for orderly consumption (LOCK_BATCH_MQ /
//! UNLOCK_BATCH_MQ), and the periodic loops (rebalance 20 s, offset commit 5 s, lock renewal
//! 20 s).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::names::MASTER_ID;
use ferromq_model::{
    from_fastjson_slice, CheckClientRequestBody, ExpressionType, LockBatchRequestBody,
    LockBatchResponseBody, MessageQueue, UnlockBatchRequestBody,
};
use ferromq_protocol::{request_code, RemotingCommand};

use super::{pull_loop, PushInner};
use crate::consumer::process_queue::ProcessQueue;
use crate::consumer::rebalance::{assign, plan, Assignment};
use crate::consumer::start_offset;
use crate::error::{ClientError, Result};

/// Starts the rebalance, offset-commit and (orderly) lock-renewal loops.
pub(super) fn spawn_loops(inner: &Arc<PushInner>) {
    let this = inner.clone();
    inner.spawn(async move {
        loop {
            do_rebalance(&this).await;
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
            let assigned = this.assigned();
            this.offsets.persist_all(&assigned).await;
        }
    });
    if inner.is_orderly() && inner.clustering() {
        let this = inner.clone();
        inner.spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            loop {
                lock_all(&this).await;
                tokio::time::sleep(this.config.lock_interval).await;
            }
        });
    }
}

/// One rebalance round over every subscribed topic.
pub(crate) async fn do_rebalance(inner: &Arc<PushInner>) {
    if inner.paused.load(std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let subs: Vec<String> = inner.subscriptions.read().keys().cloned().collect();
    let mut changed_any = false;
    let mut retry_soon = false;
    for topic in &subs {
        let route = match inner.instance.routes().get(topic) {
            Some(r) => Some(r),
            None => inner.instance.update_route(topic).await.ok(),
        };
        let queues = route.as_ref().map(|r| &r.subscribe);
        let cids = if inner.clustering() {
            match inner
                .instance
                .consumer_id_list(topic, &inner.config.group)
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
        let Assignment::Queues(assigned) = assign(
            inner.config.message_model,
            &inner.config.allocate,
            inner.instance.client_id(),
            queues,
            cids.as_deref(),
        ) else {
            continue;
        };
        let held: Vec<(MessageQueue, bool)> = {
            let now = Instant::now();
            inner
                .queues
                .lock()
                .iter()
                .filter(|(mq, _)| &mq.topic == topic)
                .map(|(mq, pq)| (mq.clone(), pq.is_pull_expired(now)))
                .collect()
        };
        let p = plan(topic, &held, &assigned);
        let mut changed = false;
        for mq in &p.drop {
            if remove_queue(inner, mq).await {
                changed = true;
            }
        }
        for mq in &p.add {
            if inner.is_orderly() && inner.clustering() && !lock_one(inner, mq).await {
                retry_soon = true;
                continue;
            }
            if add_queue(inner, mq).await {
                changed = true;
            }
        }
        if changed {
            tracing::info!(
                group = %inner.config.group,
                topic = %topic,
                assigned = assigned.len(),
                "rebalance changed the assignment"
            );
            if let Some(sub) = inner.subscriptions.write().get_mut(topic) {
                sub.sub_version = crate::consumer::now_millis();
            }
            changed_any = true;
        }
    }
    // Topics no longer subscribed.
    let stale: Vec<MessageQueue> = inner
        .queues
        .lock()
        .keys()
        .filter(|mq| !subs.contains(&mq.topic))
        .cloned()
        .collect();
    for mq in stale {
        changed_any |= remove_queue(inner, &mq).await;
    }
    if changed_any {
        inner.instance.send_heartbeat_to_all().await;
    }
    if retry_soon {
        let this = inner.clone();
        inner.spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            this.rebalance_signal.notify_one();
        });
    }
}

/// Starts consuming `mq`: computes the start offset and spawns its pull loop.
async fn add_queue(inner: &Arc<PushInner>, mq: &MessageQueue) -> bool {
    inner.offsets.table().remove(mq);
    let offset = match start_offset::compute(
        &inner.instance,
        &inner.offsets,
        inner.config.consume_from_where,
        inner.consume_timestamp,
        mq,
    )
    .await
    {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(queue = %mq, error = %e, "cannot compute the start offset; will retry");
            return false;
        }
    };
    let pq = Arc::new(ProcessQueue::new());
    pq.set_locked(true, Instant::now());
    {
        let mut queues = inner.queues.lock();
        if queues.contains_key(mq) {
            return false;
        }
        queues.insert(mq.clone(), pq.clone());
    }
    tracing::debug!(queue = %mq, offset, "queue assigned");
    let this = inner.clone();
    let mq = mq.clone();
    inner.spawn(async move { pull_loop::run(this, mq, pq, offset).await });
    true
}

/// Stops consuming `mq` (Java `removeUnnecessaryMessageQueue`). An orderly queue whose
/// listener is busy stays until the next round.
pub(crate) async fn remove_queue(inner: &Arc<PushInner>, mq: &MessageQueue) -> bool {
    let Some(pq) = inner.queues.lock().get(mq).cloned() else {
        return false;
    };
    pq.set_dropped();
    if inner.is_orderly() && inner.clustering() {
        inner.offsets.persist(mq).await;
        let guard =
            match tokio::time::timeout(Duration::from_millis(500), pq.consume_lock.lock()).await {
                Ok(g) => g,
                Err(_) => return false,
            };
        inner.offsets.persist(mq).await;
        inner.offsets.table().remove(mq);
        pq.set_locked(false, Instant::now());
        unlock(inner, &[mq.clone()].into(), true).await;
        drop(guard);
    } else {
        inner.offsets.persist(mq).await;
        inner.offsets.table().remove(mq);
    }
    inner.queues.lock().remove(mq);
    true
}

fn by_broker(
    mqs: impl IntoIterator<Item = MessageQueue>,
) -> BTreeMap<String, BTreeSet<MessageQueue>> {
    let mut m: BTreeMap<String, BTreeSet<MessageQueue>> = BTreeMap::new();
    for mq in mqs {
        m.entry(mq.broker_name.clone()).or_default().insert(mq);
    }
    m
}

/// LOCK_BATCH_MQ for `mqs` of one broker; returns the queues locked.
async fn lock_batch(
    inner: &PushInner,
    broker: &str,
    mqs: BTreeSet<MessageQueue>,
) -> Result<BTreeSet<MessageQueue>> {
    let (addr, _) = inner
        .instance
        .routes()
        .subscribe_addr(broker, MASTER_ID, true)
        .ok_or_else(|| ClientError::BrokerNotFound(broker.to_string()))?;
    let body = LockBatchRequestBody {
        client_id: inner.instance.client_id().to_string(),
        consumer_group: inner.config.group.clone(),
        mq_set: mqs,
        only_this_broker: false,
    };
    let req = RemotingCommand::request(request_code::LOCK_BATCH_MQ)
        .with_body(serde_json::to_vec(&body).unwrap_or_default());
    let resp = inner
        .instance
        .invoke_ok(&addr, req, Duration::from_secs(1))
        .await?;
    let locked: LockBatchResponseBody = from_fastjson_slice(&resp.body.to_bytes())?;
    Ok(locked.lock_ok_mq_set)
}

/// Locks one queue before taking it (orderly clustering).
async fn lock_one(inner: &PushInner, mq: &MessageQueue) -> bool {
    match lock_batch(inner, &mq.broker_name, [mq.clone()].into()).await {
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
pub(crate) async fn lock_all(inner: &Arc<PushInner>) {
    let held: Vec<(MessageQueue, Arc<ProcessQueue>)> = inner
        .queues
        .lock()
        .iter()
        .filter(|(_, pq)| !pq.is_dropped())
        .map(|(mq, pq)| (mq.clone(), pq.clone()))
        .collect();
    for (broker, mqs) in by_broker(held.iter().map(|(mq, _)| mq.clone())) {
        match lock_batch(inner, &broker, mqs.clone()).await {
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

/// UNLOCK_BATCH_MQ for `mqs`.
pub(crate) async fn unlock(inner: &PushInner, mqs: &BTreeSet<MessageQueue>, oneway: bool) {
    for (broker, set) in by_broker(mqs.iter().cloned()) {
        let Some((addr, _)) = inner
            .instance
            .routes()
            .subscribe_addr(&broker, MASTER_ID, true)
        else {
            continue;
        };
        let body = UnlockBatchRequestBody {
            client_id: inner.instance.client_id().to_string(),
            consumer_group: inner.config.group.clone(),
            mq_set: set,
            only_this_broker: false,
        };
        let req = RemotingCommand::request(request_code::UNLOCK_BATCH_MQ)
            .with_body(serde_json::to_vec(&body).unwrap_or_default());
        let r = if oneway {
            inner.instance.invoke_oneway(&addr, req).await
        } else {
            inner
                .instance
                .invoke_ok(&addr, req, Duration::from_secs(1))
                .await
                .map(|_| ())
        };
        if let Err(e) = r {
            tracing::debug!(broker = %broker, error = %e, "unlock failed");
        }
    }
}

/// Releases every lock (shutdown).
pub(crate) async fn unlock_all(inner: &PushInner, mqs: &BTreeSet<MessageQueue>) {
    unlock(inner, mqs, false).await;
}

/// CHECK_CLIENT_CONFIG for SQL92 subscriptions: fails when a broker cannot filter by SQL.
pub(super) async fn check_sql_subscriptions(inner: &PushInner) -> Result<()> {
    let subs: Vec<_> = inner
        .subscriptions
        .read()
        .values()
        .filter(|s| s.expression_type != ExpressionType::Tag)
        .cloned()
        .collect();
    for sub in subs {
        let route = inner.instance.route(&sub.topic).await?;
        for bd in &route.data.broker_datas {
            let Some(addr) = bd.select_broker_addr() else {
                continue;
            };
            let body = CheckClientRequestBody {
                client_id: inner.instance.client_id().to_string(),
                group: inner.config.group.clone(),
                namespace: None,
                subscription_data: Some(sub.clone()),
            };
            let req = RemotingCommand::request(request_code::CHECK_CLIENT_CONFIG)
                .with_body(serde_json::to_vec(&body).unwrap_or_default());
            inner
                .instance
                .invoke_ok(addr, req, inner.config.client.api_timeout)
                .await?;
        }
    }
    Ok(())
}
