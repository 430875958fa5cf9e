//! The revive service: reads each revive queue in order (progress: the offset of group
//! `CID_RMQ_SYS_REVIVE_GROUP`), hands checkpoints and acks to [`ReviveQueue`], and when a
//! checkpoint's invisibility ends with messages un-acked, puts each of those messages again
//! into the group's pop retry topic with one more reconsume time — or into `%DLQ%{group}`
//! once it was reconsumed the group's `retryMaxTimes` (FerroMQ's broker-side rule, as
//! CONSUMER_SEND_MSG_BACK; Java's revive leaves the DLQ to the client).
//!
//! Runs on a master only, every `reviveInterval` ms.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferromq_model::names;
use ferromq_model::perm::{PERM_READ, PERM_WRITE};
use ferromq_protocol::message::id::encode_offset_msg_id;
use ferromq_protocol::message::properties::{keys as props, Properties};
use ferromq_protocol::message::record::MessageExt;
use ferromq_store::{GetMessageStatus, MessageToStore};
use tokio_util::sync::CancellationToken;

use super::keys;
use super::records::{AckMsg, BatchAckMsg, PopCheckPoint};
use super::revive_log;
use super::revive_state::{CkKey, Pending, ReviveQueue};
use crate::context::BrokerContext;
use crate::delayed::repost::{classify, PutOutcome};
use crate::delayed::system_queue::{walk, Visit};
use crate::delayed::ticker::Ticker;
use crate::processor::send::create_dlq;

/// Revive-log records read per queue and pass: bounded work per tick.
const MAX_READ_PER_PASS: usize = 50_000;

/// Runs the service until `stop`.
pub(crate) async fn run(ctx: Arc<BrokerContext>, stop: CancellationToken) {
    let tick = ctx
        .settings()
        .get()
        .broker
        .revive_interval
        .clamp(100, 60_000) as u64;
    Ticker {
        tick: Duration::from_millis(tick),
        persist_every: 5_000 / tick.max(1),
        work: |ctx| {
            revive_pass(ctx, ferromq_protocol::time::now_ms());
        },
        persist: |ctx| {
            ctx.pop().order().persist()?;
            ctx.tables().offsets().persist()
        },
        name: "pop revive",
    }
    .run(ctx, stop)
    .await
}

/// One pass over every revive queue at time `now`; returns how many messages were put back.
pub(crate) fn revive_pass(ctx: &BrokerContext, now: i64) -> usize {
    let topic = revive_log::topic(ctx);
    let mut revived = 0;
    for qid in 0..ctx.pop().revive_queues() {
        let mut q = ctx.pop().revive(qid).lock();
        read_log(ctx, &topic, qid as i32, &mut q);
        for mut p in q.take_due(now) {
            revived += revive(ctx, &mut p);
            q.put_back(p);
        }
        if let Some(progress) = q.progress() {
            ctx.tables()
                .offsets()
                .commit(keys::REVIVE_GROUP, &topic, qid as i32, progress);
        }
    }
    revived
}

/// Reads the revive queue's new records into its state.
fn read_log(ctx: &BrokerContext, topic: &str, qid: i32, q: &mut ReviveQueue) {
    let store = ctx.store();
    let from = q.read_from(|| {
        ctx.tables()
            .offsets()
            .query(keys::REVIVE_GROUP, topic, qid)
            .unwrap_or_else(|| store.min_offset_in_queue(topic, qid))
    });
    let mut n = 0;
    let next = walk(store, topic, qid, from, |offset, bytes| {
        if n >= MAX_READ_PER_PASS {
            return Visit::Stop;
        }
        n += 1;
        apply(q, offset, bytes);
        Visit::Next
    });
    q.read_to(next);
}

/// One revive-log record; undecodable ones are skipped (logged).
fn apply(q: &mut ReviveQueue, offset: i64, bytes: &Bytes) {
    let Ok(m) = MessageExt::decode(bytes) else {
        tracing::warn!(offset, "undecodable revive-log record skipped");
        return;
    };
    let tags = Properties::parse_bytes(&m.properties)
        .get(props::TAGS)
        .map(str::to_string);
    match tags.as_deref() {
        Some(keys::CK_TAG) => match serde_json::from_slice::<PopCheckPoint>(&m.body) {
            Ok(ck) => q.on_ck(offset, ck),
            Err(e) => tracing::warn!(offset, error = %e, "bad checkpoint in the revive log"),
        },
        Some(keys::ACK_TAG) => {
            if let Ok(a) = serde_json::from_slice::<AckMsg>(&m.body) {
                q.on_ack(&key_of(&a), &[a.ack_offset]);
            }
        }
        Some(keys::BATCH_ACK_TAG) => {
            if let Ok(b) = serde_json::from_slice::<BatchAckMsg>(&m.body) {
                q.on_ack(&key_of(&b.ack), &b.ack_offset_list);
            }
        }
        _ => {}
    }
}

fn key_of(a: &AckMsg) -> CkKey {
    CkKey {
        topic: a.topic.clone(),
        group: a.consumer_group.clone(),
        queue_id: a.queue_id,
        start_offset: a.start_offset,
        pop_time: a.pop_time,
    }
}

/// Puts back the open messages of a due checkpoint, marking each one settled; stops at the
/// first put the store cannot take now (the rest wait for the next pass).
fn revive(ctx: &BrokerContext, p: &mut Pending) -> usize {
    let mut n = 0;
    let open: Vec<usize> = p.open().collect();
    for i in open {
        let offset = p.ck.offset_at(i);
        let Some(ext) = message_at(ctx, &p.ck.topic, p.ck.queue_id, offset) else {
            // Gone (retention) or never there: nothing to revive.
            p.done |= 1 << i;
            continue;
        };
        match put_retry(ctx, &p.ck, &ext) {
            PutOutcome::Retry => return n,
            PutOutcome::Stored => n += 1,
            PutOutcome::Drop => {}
        }
        p.done |= 1 << i;
    }
    n
}

/// The message at a queue offset.
fn message_at(ctx: &BrokerContext, topic: &str, qid: i32, offset: i64) -> Option<MessageExt> {
    let r = ctx
        .store()
        .get_messages(topic, qid, offset, 1, usize::MAX, None);
    if r.status != GetMessageStatus::Found || r.queue_offsets.first() != Some(&offset) {
        return None;
    }
    MessageExt::decode(r.messages.first()?).ok()
}

/// The group's pop retry topic of `topic`, created if absent; `None` when the topic table
/// refuses it: such messages go to the DLQ rather than nowhere.
fn retry_topic_of(ctx: &BrokerContext, topic: &str, group: &str, v2: bool) -> Option<String> {
    let retry = keys::retry_topic(topic, group, v2);
    let rw = PERM_READ | PERM_WRITE;
    match ctx
        .tables()
        .topics()
        .create_if_absent(&retry, keys::RETRY_QUEUE_NUM, rw, 0)
    {
        Some((_, created)) => {
            if created {
                ctx.topics_changed();
            }
            Some(retry)
        }
        None => {
            tracing::warn!(topic = %retry, "cannot create the pop retry topic");
            None
        }
    }
}

/// Stores `ext` again for `ck`'s group: its pop retry topic, or the DLQ.
fn put_retry(ctx: &BrokerContext, ck: &PopCheckPoint, ext: &MessageExt) -> PutOutcome {
    let group = &ck.cid;
    let cfg = ctx.settings().get();
    let max = ctx
        .tables()
        .groups()
        .get(group)
        .map(|g| g.retry_max_times)
        .unwrap_or(16);
    let mut p = Properties::parse_bytes(&ext.properties);
    if ext.reconsume_times == 0 || !p.contains(props::FIRST_POP_TIME) {
        p.insert(props::FIRST_POP_TIME, ck.pop_time.to_string());
    }
    let retry = if names::is_retry_topic(&ck.topic) {
        Some(ck.topic.clone())
    } else {
        retry_topic_of(ctx, &ck.topic, group, cfg.broker.enable_retry_topic_v2)
    };
    let target = match retry {
        Some(retry) if ext.reconsume_times < max => retry,
        _ => {
            let dlq = names::dlq_topic(group);
            if create_dlq(ctx, &dlq).is_err() {
                tracing::warn!(group = %group, "no DLQ topic for a popped message: dropped");
                return PutOutcome::Drop;
            }
            if !p.contains(props::RETRY_TOPIC) {
                p.insert(props::RETRY_TOPIC, ext.topic.clone());
            }
            if !p.contains(props::ORIGIN_MESSAGE_ID) {
                let id = encode_offset_msg_id(ext.store_host, ext.commit_log_offset);
                p.insert(props::ORIGIN_MESSAGE_ID, id);
            }
            tracing::info!(group = %group, topic = %ck.topic, offset = ext.queue_offset,
                reconsume_times = ext.reconsume_times, "popped message moved to the DLQ");
            dlq
        }
    };
    let host = ctx.identity().store_host();
    let mut msg = MessageToStore::from_stored(ext, host);
    msg.topic = target;
    msg.queue_id = 0;
    msg.born_host = host;
    msg.reconsume_times = ext.reconsume_times.saturating_add(1);
    msg.prepared_transaction_offset = 0;
    msg.properties = p.encode();
    let put = ctx.store().put_message(&msg);
    if put.status.is_stored() {
        let bytes = put.append.map(|a| a.wrote_bytes as u64).unwrap_or(0);
        ctx.stats().record_put(&msg.topic, 1, bytes);
    }
    classify(put.status)
}
