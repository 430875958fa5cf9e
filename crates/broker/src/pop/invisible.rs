//! CHANGE_MESSAGE_INVISIBLETIME (200053): a new checkpoint for the one message (popped now,
//! invisible for the new time), then an ack of the old receipt — in that order, so the
//! message is never without a checkpoint. The response's popTime/invisibleTime/reviveQid
//! make the new receipt (`offset popTime invisibleTime reviveQid mark broker queueId offset`).

use ferromq_protocol::headers::{
    ChangeInvisibleTimeRequestHeader, ChangeInvisibleTimeResponseHeader,
};
use ferromq_protocol::RemotingCommand;
use ferromq_remoting::{Channel, RequestError, RequestResult};

use super::ack::{check_target, receipt, revive_qid};
use super::keys;
use super::records::{AckMsg, PopCheckPoint};
use super::revive_log;
use crate::context::BrokerContext;
use crate::names::{group_name, topic_name};

/// CHANGE_MESSAGE_INVISIBLETIME.
pub(crate) fn change_invisible_time(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: ChangeInvisibleTimeRequestHeader = req.decode_header()?;
    topic_name(&h.topic)?;
    group_name(&h.consumer_group)?;
    let e = receipt(&h.extra_info)?;
    if h.invisible_time < 0 {
        return Err(RequestError::invalid("invisibleTime is negative"));
    }
    check_target(ctx, &h.topic, h.queue_id, h.offset)?;
    // The new checkpoint must not share the old one's key (an ack of the old receipt would
    // settle it): a different pop time, even within the same millisecond.
    let now = ferromq_protocol::time::now_ms().max(e.pop_time.saturating_add(1));
    if e.is_order() {
        // The receipt keeps its pop time (acks name the batch by it), as Java's: only the
        // invisible time grows to reach the new visibility.
        let key = (h.topic.clone(), h.consumer_group.clone(), h.queue_id);
        let _lock = ctx.pop().lock(key.clone());
        let visible_at = now.saturating_add(h.invisible_time);
        ctx.pop()
            .order()
            .change_invisible(&key, e.pop_time, visible_at);
        let invisible = visible_at.saturating_sub(e.pop_time);
        return Ok(answer(e.pop_time, invisible, keys::ORDER_REVIVE_QUEUE));
    }
    let rq = revive_qid(ctx, e.revive_qid)?;
    let ck = PopCheckPoint {
        start_offset: h.offset,
        pop_time: now,
        invisible_time: h.invisible_time,
        num: 1,
        queue_id: h.queue_id,
        topic: h.topic.clone(),
        cid: h.consumer_group.clone(),
        queue_offset_diff: vec![0],
        broker_name: Some(e.broker_name.clone()),
        ..Default::default()
    };
    if !revive_log::put_ck(ctx, &ck, rq) {
        return Err(RequestError::system("storing the checkpoint failed"));
    }
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
        tracing::warn!("acking the old receipt failed: the message may be delivered twice");
    }
    Ok(answer(now, h.invisible_time, rq))
}

fn answer(pop_time: i64, invisible_time: i64, revive_qid: i32) -> RemotingCommand {
    RemotingCommand::success().with_header(&ChangeInvisibleTimeResponseHeader {
        pop_time,
        invisible_time,
        revive_qid,
    })
}
