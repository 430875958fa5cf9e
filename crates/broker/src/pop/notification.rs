//! NOTIFICATION (200054): would a pop find messages? Answered `hasMsg=true` at once, else
//! held like a pop until a message arrives (`true`) or `pollTime` is up (`false`);
//! `pollingFull` when it cannot be held. POLLING_INFO (200055): how many requests are held
//! for a group on a queue.

use std::sync::Arc;
use std::time::Instant;

use ferromq_model::perm::is_readable;
use ferromq_model::TopicConfig;
use ferromq_protocol::headers::{
    NotificationRequestHeader, NotificationResponseHeader, PollingInfoRequestHeader,
    PollingInfoResponseHeader,
};
use ferromq_protocol::{response_code, RemotingCommand, SerializeType};
use ferromq_remoting::{Channel, RequestError, RequestResult};

use super::hold::{HeldPop, Waiting};
use super::keys;
use super::pop::{check_group, poll_for};
use crate::context::BrokerContext;
use crate::names::{group_name, topic_name};

/// The route of NOTIFICATION.
pub(crate) fn notification(
    ctx: &Arc<BrokerContext>,
    channel: &Channel,
    req: &RemotingCommand,
) -> Option<RemotingCommand> {
    match req.decode_header::<NotificationRequestHeader>() {
        Ok(h) => run(ctx, channel, h, req.opaque, req.serialize_type, None),
        Err(e) => Some(RequestError::from(e).into_response()),
    }
}

/// Runs a notification; `deadline` is set when a held one runs again.
pub(crate) fn run(
    ctx: &BrokerContext,
    channel: &Channel,
    h: NotificationRequestHeader,
    opaque: i32,
    serialize_type: SerializeType,
    deadline: Option<Instant>,
) -> Option<RemotingCommand> {
    let has = match check(ctx, &h.topic, &h.consumer_group, h.queue_id) {
        Ok(cfg) => has_message(ctx, &h, &cfg),
        Err(e) => return Some(e.into_response()),
    };
    let now = Instant::now();
    let deadline = deadline.unwrap_or_else(|| now + poll_for(h.poll_time));
    if has || h.poll_time <= 0 || now >= deadline {
        return Some(answer(has, false));
    }
    let held = HeldPop {
        channel: channel.clone(),
        waiting: Waiting::Notification(h),
        opaque,
        serialize_type,
        deadline,
    };
    match ctx.pop().hold().hold(held) {
        Ok(()) => None,
        Err(_) => Some(answer(false, true)),
    }
}

fn answer(has_msg: bool, polling_full: bool) -> RemotingCommand {
    RemotingCommand::success().with_header(&NotificationResponseHeader {
        has_msg,
        polling_full,
    })
}

/// Java's checks of NOTIFICATION and POLLING_INFO.
fn check(
    ctx: &BrokerContext,
    topic: &str,
    group: &str,
    qid: i32,
) -> Result<TopicConfig, RequestError> {
    topic_name(topic)?;
    group_name(group)?;
    let Some(cfg) = ctx.tables().topics().get(topic) else {
        return Err(RequestError::new(
            response_code::TOPIC_NOT_EXIST,
            format!("topic[{topic}] not exist, apply first please!"),
        ));
    };
    if !is_readable(cfg.perm) {
        return Err(RequestError::no_permission(format!(
            "the topic[{topic}] peeking message is forbidden"
        )));
    }
    if qid >= cfg.read_queue_nums {
        return Err(RequestError::invalid(format!(
            "queueId[{qid}] is illegal, topic:[{topic}] topicConfig.readQueueNums:[{}]",
            cfg.read_queue_nums
        )));
    }
    check_group(ctx, group)?;
    Ok(cfg)
}

/// Whether a pop of the request would find something.
fn has_message(ctx: &BrokerContext, h: &NotificationRequestHeader, _: &TopicConfig) -> bool {
    would_find(
        ctx,
        &h.topic,
        &h.consumer_group,
        h.queue_id,
        h.order.unwrap_or(false),
        h.attempt_id.as_deref(),
    )
}

/// Whether a pop by `group` of `topic`/`queue_id` (-1: any) would find something: a queue
/// (orderly: one not blocked) with messages past the group's offset, then the pop retry
/// topics.
pub(crate) fn would_find(
    ctx: &BrokerContext,
    topic: &str,
    group: &str,
    queue_id: i32,
    order: bool,
    attempt_id: Option<&str>,
) -> bool {
    let Some(cfg) = ctx.tables().topics().get(topic) else {
        return false;
    };
    let queues: Vec<i32> = if queue_id >= 0 {
        vec![queue_id]
    } else {
        (0..cfg.read_queue_nums).collect()
    };
    let now = ferromq_protocol::time::now_ms();
    let ready = |topic: &str, q: i32| {
        let key = (topic.to_string(), group.to_string(), q);
        if order && ctx.pop().order().blocked(&key, attempt_id, now) {
            return false;
        }
        let store = ctx.store();
        let at = ctx
            .tables()
            .offsets()
            .query(group, topic, q)
            .unwrap_or_else(|| store.min_offset_in_queue(topic, q));
        store.max_offset_in_queue(topic, q) > at
    };
    if queues.iter().any(|q| ready(topic, *q)) {
        return true;
    }
    !order
        && [
            keys::retry_topic_v1(topic, group),
            keys::retry_topic_v2(topic, group),
        ]
        .iter()
        .any(|t| {
            ctx.tables()
                .topics()
                .get(t)
                .is_some_and(|c| (0..c.read_queue_nums).any(|q| ready(t, q)))
        })
}

/// POLLING_INFO.
pub(crate) fn polling_info(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: PollingInfoRequestHeader = req.decode_header()?;
    check(ctx, &h.topic, &h.consumer_group, h.queue_id)?;
    let n = ctx
        .pop()
        .hold()
        .polling(&h.topic, &h.consumer_group, h.queue_id);
    Ok(
        RemotingCommand::success().with_header(&PollingInfoResponseHeader {
            polling_num: n.min(i32::MAX as usize) as i32,
        }),
    )
}
