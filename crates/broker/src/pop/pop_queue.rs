//! Popping from one queue (Java's `popMsgFromQueue`): where the group starts, the orderly
//! block, the read, the checkpoint written before the offset moves, and the records as the
//! response carries them.

use bytes::{Bytes, BytesMut};
use ferromq_model::names;
use ferromq_protocol::headers::PopMessageRequestHeader;
use ferromq_protocol::message::properties::{keys as props, Properties};
use ferromq_protocol::message::record::MessageExt;
use ferromq_store::{GetMessageStatus, GetResult, MessageFilter};

use super::extra_info::{ExtraInfo, OffsetInfos};
use super::order::QueueKey;
use super::records::PopCheckPoint;
use super::revive_log;
use crate::context::BrokerContext;

/// What one pop gathered so far, over its queues.
#[derive(Debug, Default)]
pub(crate) struct Popped {
    pub messages: Vec<Bytes>,
    pub infos: OffsetInfos,
    /// Messages left behind (Java's `restNum`).
    pub rest: i64,
    pub pop_time: i64,
    pub revive_qid: i32,
}

/// What every queue of one pop shares.
#[derive(Clone, Copy)]
pub(crate) struct PopJob<'a> {
    pub h: &'a PopMessageRequestHeader,
    pub max: usize,
    pub order: bool,
    pub filter: Option<&'a dyn MessageFilter>,
    /// Rewrite retry records to the requested topic (Java's default).
    pub rename_retry: bool,
}

/// Pops from `topic`/`queue_id` into `p`.
pub(crate) fn pop_queue(
    ctx: &BrokerContext,
    job: &PopJob<'_>,
    topic: &str,
    queue_id: i32,
    p: &mut Popped,
) {
    let h = job.h;
    let store = ctx.store();
    let key = (topic.to_string(), h.consumer_group.clone(), queue_id);
    let Some(_lock) = ctx.pop().try_lock(key.clone()) else {
        let at = ctx
            .tables()
            .offsets()
            .query(&h.consumer_group, topic, queue_id)
            .unwrap_or(0);
        p.rest += (store.max_offset_in_queue(topic, queue_id) - at).max(0);
        return;
    };
    let mut offset = start_offset(ctx, topic, &h.consumer_group, queue_id, h.init_mode);
    let offsets = ctx.tables().offsets();
    if let Some(reset) = offsets.take_reset(&h.consumer_group, topic, queue_id) {
        ctx.pop().order().clear(&key);
        offsets.commit(&h.consumer_group, topic, queue_id, reset);
        offset = reset;
    }
    let now = ferromq_protocol::time::now_ms();
    if job.order
        && ctx
            .pop()
            .order()
            .blocked(&key, h.attempt_id.as_deref(), now)
    {
        return;
    }
    if p.messages.len() >= job.max {
        p.rest += (store.max_offset_in_queue(topic, queue_id) - offset).max(0);
        return;
    }
    let (r, offset) = read(
        ctx,
        job,
        topic,
        queue_id,
        offset,
        job.max - p.messages.len(),
    );
    p.rest += (r.max_offset - r.next_begin_offset).max(0);
    if r.messages.is_empty() {
        if matches!(
            r.status,
            GetMessageStatus::NoMatchedMessage
                | GetMessageStatus::OffsetFoundNull
                | GetMessageStatus::MessageWasRemoving
                | GetMessageStatus::NoMatchedLogicQueue
        ) && r.next_begin_offset > offset
        {
            // Everything scanned was filtered out: nothing to hand out, move on.
            offsets.commit(&h.consumer_group, topic, queue_id, r.next_begin_offset);
        }
        return;
    }
    hand_out(ctx, job, key, offset, r, p);
}

/// Reads up to `want` messages from `offset`; a group offset outside the queue is moved to
/// where the queue is first. Returns the read and the offset it started at.
fn read(
    ctx: &BrokerContext,
    job: &PopJob<'_>,
    topic: &str,
    queue_id: i32,
    offset: i64,
    want: usize,
) -> (GetResult, i64) {
    let store = ctx.store();
    let r = store.get_messages(topic, queue_id, offset, want, usize::MAX, job.filter);
    if !matches!(
        r.status,
        GetMessageStatus::OffsetTooSmall
            | GetMessageStatus::OffsetOverflowBadly
            | GetMessageStatus::OffsetFoundNull
    ) {
        return (r, offset);
    }
    let moved = r.next_begin_offset;
    ctx.tables()
        .offsets()
        .commit(&job.h.consumer_group, topic, queue_id, moved);
    let r = store.get_messages(topic, queue_id, moved, want, usize::MAX, job.filter);
    (r, moved)
}

/// Hands out what was read from the queue `key` starting at `offset`: orderly, the batch is
/// recorded (the offset stays); else a checkpoint is stored, then the offset moves past it.
fn hand_out(
    ctx: &BrokerContext,
    job: &PopJob<'_>,
    key: QueueKey,
    offset: i64,
    r: GetResult,
    p: &mut Popped,
) {
    let h = job.h;
    let (topic, queue_id) = (key.0.clone(), key.2);
    let offsets = ctx.tables().offsets();
    if job.order {
        let counts = ctx.pop().order().update(
            key,
            h.attempt_id.as_deref(),
            p.pop_time,
            h.invisible_time,
            &r.queue_offsets,
        );
        // As Java: the offsets consumed before (count > 0), then the queue's least count
        // (what older clients read).
        let min = counts.iter().map(|(_, c)| *c).min().unwrap_or(0);
        for (o, c) in counts.into_iter().filter(|(_, c)| *c > 0) {
            p.infos.add_offset_count(&topic, queue_id, o, c);
        }
        p.infos.add_queue_count(&topic, queue_id, min);
        offsets.commit(&h.consumer_group, &topic, queue_id, offset);
    } else {
        let ck = checkpoint(ctx, h, &topic, queue_id, offset, p.pop_time, &r);
        if !revive_log::put_ck(ctx, &ck, p.revive_qid) {
            // Without a checkpoint these messages could be lost: hand out none of them.
            p.rest += r.messages.len() as i64;
            return;
        }
        offsets.commit(&h.consumer_group, &topic, queue_id, r.next_begin_offset);
    }
    p.infos
        .add_queue(&topic, queue_id, offset, &r.queue_offsets);
    ctx.stats()
        .record_get(&topic, r.messages.len() as u64, r.buffer_total_size as u64);
    let retry = names::is_retry_topic(&topic);
    for b in r.messages {
        if retry && job.rename_retry {
            if let Some(b) = as_requested(ctx, job, offset, p, &b) {
                p.messages.push(b);
            }
        } else {
            p.messages.push(b);
        }
    }
}

/// Where the group pops `topic`/`queue_id` from; a group without an offset starts at the
/// queue's minimum (`initMode` 0, and always on retry topics) or at its last message
/// (`initMode` 1) — at 0 while the queue's first message is still in memory, as Java with
/// `initPopOffsetByCheckMsgInMem` — and that start is committed.
fn start_offset(
    ctx: &BrokerContext,
    topic: &str,
    group: &str,
    queue_id: i32,
    init_mode: i32,
) -> i64 {
    let offsets = ctx.tables().offsets();
    if let Some(o) = offsets.query(group, topic, queue_id).filter(|o| *o >= 0) {
        return o;
    }
    let store = ctx.store();
    let min = store.min_offset_in_queue(topic, queue_id);
    let start = if init_mode == 0 || names::is_retry_topic(topic) {
        min
    } else {
        let first_in_memory = min <= 0
            && store
                .commit_log_offset_in_queue(topic, queue_id, 0)
                .is_some_and(|phys| store.is_in_memory(phys, 1));
        if first_in_memory {
            0
        } else {
            (store.max_offset_in_queue(topic, queue_id) - 1).max(0)
        }
    };
    offsets.commit(group, topic, queue_id, start);
    start
}

/// The checkpoint of the messages read from one queue.
fn checkpoint(
    ctx: &BrokerContext,
    h: &PopMessageRequestHeader,
    topic: &str,
    queue_id: i32,
    start: i64,
    pop_time: i64,
    r: &GetResult,
) -> PopCheckPoint {
    PopCheckPoint {
        start_offset: start,
        pop_time,
        invisible_time: h.invisible_time,
        bit_map: 0,
        num: r.messages.len().min(32) as i8,
        queue_id,
        topic: topic.to_string(),
        cid: h.consumer_group.clone(),
        revive_offset: 0,
        queue_offset_diff: r.queue_offsets.iter().map(|o| (o - start) as i32).collect(),
        broker_name: Some(ctx.identity().name().to_string()),
        re_put_times: None,
        revive_time: 0,
    }
}

/// A retry record as Java hands it out: under the requested topic, with its receipt in
/// `POP_CK` (the client could not build it: the response's offset infos name the retry
/// topic). `None` for a record that does not decode or re-encode.
fn as_requested(
    ctx: &BrokerContext,
    job: &PopJob<'_>,
    start: i64,
    p: &Popped,
    b: &Bytes,
) -> Option<Bytes> {
    let ext = MessageExt::decode(b).ok()?;
    let mut props = Properties::parse_bytes(&ext.properties);
    if !props.contains(props::POP_CK) {
        let receipt = ExtraInfo {
            ck_queue_offset: start,
            pop_time: p.pop_time,
            invisible_time: job.h.invisible_time,
            revive_qid: p.revive_qid,
            mark: super::keys::retry_mark(&ext.topic).to_string(),
            broker_name: ctx.identity().name().to_string(),
            queue_id: ext.queue_id,
            queue_offset: Some(ext.queue_offset),
        };
        props.insert(props::POP_CK, receipt.build());
    }
    let text = props.encode();
    let mut view = ext.view();
    view.topic = job.h.topic.as_bytes();
    view.properties = text.as_bytes();
    let mut out = BytesMut::with_capacity(view.encoded_len());
    view.encode(&mut out).ok()?;
    Some(out.freeze())
}
