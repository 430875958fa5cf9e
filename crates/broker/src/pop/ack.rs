//! ACK_MESSAGE (200051) and BATCH_ACK_MESSAGE (200151): an ack is written to the revive
//! queue its receipt names (the revive service settles the checkpoint with it); an orderly
//! receipt (revive queue 999) moves the group's offset instead.

use ferromq_protocol::headers::AckMessageRequestHeader;
use ferromq_protocol::{response_code, RemotingCommand};
use ferromq_remoting::{Channel, RequestError, RequestResult};

use super::extra_info::ExtraInfo;
use super::keys;
use super::records::{AckMsg, BatchAckBody, BatchAckMsg};
use super::revive_log;
use crate::context::BrokerContext;
use crate::names::{group_name, topic_name};

/// Entries of one BATCH_ACK_MESSAGE body.
const MAX_BATCH_ACKS: usize = 1024;
/// Acked messages of one entry (a pop hands out at most 32; receipts of changed invisible
/// times start at the message itself).
const MAX_ACKS_PER_ENTRY: usize = 1024;

/// Parses a receipt from the wire; a bad one is INVALID_PARAMETER, never a panic.
pub(crate) fn receipt(text: &str) -> Result<ExtraInfo, RequestError> {
    ExtraInfo::parse(text).map_err(|e| RequestError::invalid(format!("illegal extraInfo: {e}")))
}

/// Checks the queue and the offset an ack names (Java's codes).
pub(crate) fn check_target(
    ctx: &BrokerContext,
    topic: &str,
    qid: i32,
    offset: i64,
) -> Result<(), RequestError> {
    let Some(cfg) = ctx.tables().topics().get(topic) else {
        return Err(RequestError::new(
            response_code::TOPIC_NOT_EXIST,
            format!("topic[{topic}] not exist, apply first please!"),
        ));
    };
    if qid < 0 || qid >= cfg.read_queue_nums {
        return Err(RequestError::new(
            response_code::MESSAGE_ILLEGAL,
            format!(
                "queueId[{qid}] is illegal, topic:[{topic}] topicConfig.readQueueNums:[{}]",
                cfg.read_queue_nums
            ),
        ));
    }
    let (min, max) = (
        ctx.store().min_offset_in_queue(topic, qid),
        ctx.store().max_offset_in_queue(topic, qid),
    );
    if offset < min || offset > max {
        return Err(RequestError::new(
            response_code::NO_MESSAGE,
            format!("offset is illegal, key:{topic}@{qid}, commit:{offset}, store:{min}~{max}"),
        ));
    }
    Ok(())
}

/// The revive queue a receipt names, checked.
pub(crate) fn revive_qid(ctx: &BrokerContext, qid: i32) -> Result<i32, RequestError> {
    if qid < 0 || qid as usize >= ctx.pop().revive_queues() {
        return Err(RequestError::invalid(format!("reviveQid {qid} is illegal")));
    }
    Ok(qid)
}

/// ACK_MESSAGE.
pub(crate) fn ack_message(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: AckMessageRequestHeader = req.decode_header()?;
    topic_name(&h.topic)?;
    group_name(&h.consumer_group)?;
    let e = receipt(&h.extra_info)?;
    check_target(ctx, &h.topic, h.queue_id, h.offset)?;
    if e.is_order() {
        ack_orderly(
            ctx,
            &h.topic,
            &h.consumer_group,
            h.queue_id,
            h.offset,
            e.pop_time,
        );
        return Ok(RemotingCommand::success());
    }
    let rq = revive_qid(ctx, e.revive_qid)?;
    let ack = AckMsg {
        ack_offset: h.offset,
        start_offset: e.ck_queue_offset,
        consumer_group: h.consumer_group,
        topic: h.topic,
        queue_id: h.queue_id,
        pop_time: e.pop_time,
        broker_name: Some(e.broker_name),
    };
    if !revive_log::put_ack(ctx, &ack, rq) {
        return Err(RequestError::system("storing the ack failed"));
    }
    Ok(RemotingCommand::success())
}

/// An orderly ack: the batch's next offset becomes the group's (held pops that would now
/// find messages run again within a second, [`super::hold::PopHold::due`]).
pub(crate) fn ack_orderly(
    ctx: &BrokerContext,
    topic: &str,
    group: &str,
    qid: i32,
    offset: i64,
    pop_time: i64,
) {
    let offsets = ctx.tables().offsets();
    if offsets.query(group, topic, qid).is_some_and(|o| offset < o) {
        return;
    }
    let key = (topic.to_string(), group.to_string(), qid);
    let _lock = ctx.pop().lock(key.clone());
    if offsets.query(group, topic, qid).is_some_and(|o| offset < o) {
        return;
    }
    if let Some(next) = ctx.pop().order().ack(&key, offset, pop_time) {
        offsets.commit(group, topic, qid, next);
    }
}

/// BATCH_ACK_MESSAGE: `{brokerName, acks:[…]}`.
pub(crate) fn batch_ack(ctx: &BrokerContext, _: &Channel, req: &RemotingCommand) -> RequestResult {
    let body: Option<BatchAckBody> = serde_json::from_slice(&req.body.to_bytes()).ok();
    let Some(body) = body.filter(|b| !b.acks.is_empty()) else {
        return Err(RequestError::new(
            response_code::NO_MESSAGE,
            "no ack in the body",
        ));
    };
    if body.acks.len() > MAX_BATCH_ACKS {
        return Err(RequestError::invalid(format!(
            "at most {MAX_BATCH_ACKS} acks per request"
        )));
    }
    for a in &body.acks {
        topic_name(&a.topic)?;
        group_name(&a.consumer_group)?;
        let Some(topic) = keys::real_topic(&a.topic, &a.consumer_group, &a.retry) else {
            return Err(RequestError::invalid(format!(
                "illegal retry mark {:?}",
                a.retry
            )));
        };
        topic_name(&topic)?;
        let (min, max) = (
            ctx.store().min_offset_in_queue(&topic, a.queue_id),
            ctx.store().max_offset_in_queue(&topic, a.queue_id),
        );
        let offsets: Vec<i64> = a
            .indexes(MAX_ACKS_PER_ENTRY)
            .into_iter()
            .map(|i| a.start_offset.saturating_add(i as i64))
            .filter(|o| *o >= min && *o <= max)
            .collect();
        if offsets.is_empty() {
            continue;
        }
        if a.revive_queue_id == keys::ORDER_REVIVE_QUEUE {
            for o in offsets {
                ack_orderly(ctx, &topic, &a.consumer_group, a.queue_id, o, a.pop_time);
            }
            continue;
        }
        let rq = revive_qid(ctx, a.revive_queue_id)?;
        let msg = BatchAckMsg {
            ack: AckMsg {
                ack_offset: -1,
                start_offset: a.start_offset,
                consumer_group: a.consumer_group.clone(),
                topic,
                queue_id: a.queue_id,
                pop_time: a.pop_time,
                broker_name: body.broker_name.clone(),
            },
            ack_offset_list: offsets,
        };
        if !revive_log::put_batch_ack(ctx, &msg, rq) {
            return Err(RequestError::system("storing the ack failed"));
        }
    }
    Ok(RemotingCommand::success())
}
