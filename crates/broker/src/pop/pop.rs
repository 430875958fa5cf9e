//! POP_MESSAGE (200050): checks, the order of queues (retry topic first with
//! `popFromRetryProbability`, the topic's queues from a rotating start, the retry topic again
//! when short), the response header in Java's formats, and long polling up to `pollTime`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::perm::is_readable;
use ferromq_model::{ExpressionType, SubscriptionData, TopicConfig};
use ferromq_protocol::headers::{PopMessageRequestHeader, PopMessageResponseHeader};
use ferromq_protocol::{response_code, Body, RemotingCommand, SerializeType};
use ferromq_remoting::{Channel, RequestError};
use rand::Rng;

use super::hold::{HeldPop, Waiting};
use super::keys;
use super::pop_queue::{pop_queue, PopJob, Popped};
use crate::context::BrokerContext;
use crate::filtering::StoreFilter;
use crate::limits;
use crate::names::{group_name, topic_name};

/// The route of POP_MESSAGE: answered now, or held (`None`) until a message or `pollTime`.
pub(crate) fn pop_message(
    ctx: &Arc<BrokerContext>,
    channel: &Channel,
    req: &RemotingCommand,
) -> Option<RemotingCommand> {
    match req.decode_header::<PopMessageRequestHeader>() {
        Ok(h) => run(ctx, channel, h, req.opaque, req.serialize_type, None),
        Err(e) => Some(RequestError::from(e).into_response()),
    }
}

/// Runs a pop; `deadline` is set when a held pop runs again.
pub(crate) fn run(
    ctx: &BrokerContext,
    channel: &Channel,
    h: PopMessageRequestHeader,
    opaque: i32,
    serialize_type: SerializeType,
    deadline: Option<Instant>,
) -> Option<RemotingCommand> {
    let popped = match pop_once(ctx, channel, &h) {
        Ok(p) => p,
        Err(e) => return Some(e.into_response()),
    };
    if !popped.messages.is_empty() {
        return Some(respond(&h, popped, response_code::SUCCESS));
    }
    let now = Instant::now();
    let deadline = deadline.unwrap_or_else(|| now + poll_for(h.poll_time));
    if h.poll_time <= 0 || now >= deadline {
        return Some(respond(&h, popped, response_code::POLLING_TIMEOUT));
    }
    let held = HeldPop {
        channel: channel.clone(),
        waiting: Waiting::Pop(h.clone()),
        opaque,
        serialize_type,
        deadline,
    };
    match ctx.pop().hold().hold(held) {
        Ok(()) => None,
        Err(_) => Some(respond(&h, popped, response_code::POLLING_FULL)),
    }
}

/// How long a pop may be held: its `pollTime`, at most [`limits::MAX_SUSPEND`].
pub(crate) fn poll_for(poll_time: i64) -> Duration {
    Duration::from_millis(poll_time.max(0) as u64).min(limits::MAX_SUSPEND)
}

/// The response: header always, records when found.
fn respond(h: &PopMessageRequestHeader, p: Popped, code: i32) -> RemotingCommand {
    let order = h.order.unwrap_or(false);
    let header = PopMessageResponseHeader {
        pop_time: p.pop_time,
        invisible_time: h.invisible_time,
        revive_qid: p.revive_qid,
        rest_num: p.rest,
        start_offset_info: Some(p.infos.start),
        msg_offset_info: Some(p.infos.msg),
        order_count_info: order.then_some(p.infos.order_count),
    };
    let found = code == response_code::SUCCESS;
    let mut r = RemotingCommand::response(code)
        .with_header(&header)
        .with_remark(if found {
            "FOUND"
        } else {
            "NO_MESSAGE_IN_QUEUE"
        });
    if found {
        r.body = Body::from_chunks(p.messages);
    }
    r
}

/// Pops once over the queues the request covers.
fn pop_once(
    ctx: &BrokerContext,
    channel: &Channel,
    h: &PopMessageRequestHeader,
) -> Result<Popped, RequestError> {
    let topic_cfg = check(ctx, channel, h)?;
    let filter = filter_of(ctx, h)?;
    let retry_filter = filter
        .as_ref()
        .filter(|f| matches!(f.0.as_ref(), ferromq_filter::MessageFilter::Tag(_)));
    let cfg = ctx.settings().get();
    let b = &cfg.broker;
    let order = h.order.unwrap_or(false);
    let mut p = Popped {
        pop_time: ferromq_protocol::time::now_ms(),
        revive_qid: if order {
            keys::ORDER_REVIVE_QUEUE
        } else {
            ctx.pop().next_revive_qid()
        },
        ..Default::default()
    };
    let max = h.max_msg_nums.clamp(1, keys::MAX_POP_MSG_NUMS) as usize;
    let rename_retry = !b.pop_response_return_actual_retry_topic;
    let main = PopJob {
        h,
        max,
        order,
        filter: filter.as_ref().map(as_dyn),
        rename_retry,
    };
    let retry = PopJob {
        filter: retry_filter.map(as_dyn),
        ..main
    };
    let dice = rand::thread_rng().gen_range(0..100);
    let retry_first = dice < b.pop_from_retry_probability;
    let retry_topic =
        if b.enable_retry_topic_v2 && b.retrieve_message_from_pop_retry_topic_v1 && dice % 2 == 0 {
            keys::retry_topic_v1(&h.topic, &h.consumer_group)
        } else {
            keys::retry_topic(&h.topic, &h.consumer_group, b.enable_retry_topic_v2)
        };
    if retry_first && !order {
        pop_topic(ctx, &retry, &retry_topic, &mut p);
    }
    if h.queue_id < 0 {
        let n = topic_cfg.read_queue_nums.max(0) as u32;
        let start = ctx.pop().next_start();
        for i in 0..n {
            pop_queue(ctx, &main, &h.topic, ((start + i) % n) as i32, &mut p);
        }
    } else {
        pop_queue(ctx, &main, &h.topic, h.queue_id, &mut p);
    }
    if !retry_first && !order && p.messages.len() < main.max {
        pop_topic(ctx, &retry, &retry_topic, &mut p);
    }
    Ok(p)
}

fn as_dyn(f: &StoreFilter) -> &dyn ferromq_store::MessageFilter {
    f
}

/// Pops every queue of a retry topic, if it exists.
fn pop_topic(ctx: &BrokerContext, job: &PopJob<'_>, topic: &str, p: &mut Popped) {
    if let Some(cfg) = ctx.tables().topics().get(topic) {
        for q in 0..cfg.read_queue_nums {
            pop_queue(ctx, job, topic, q, p);
        }
    }
}

/// Java's checks, in its order, with its codes.
fn check(
    ctx: &BrokerContext,
    channel: &Channel,
    h: &PopMessageRequestHeader,
) -> Result<TopicConfig, RequestError> {
    topic_name(&h.topic)?;
    group_name(&h.consumer_group)?;
    let ip = ctx.identity().store_host().ip();
    if !ctx.settings().readable() {
        return Err(RequestError::no_permission(format!(
            "the broker[{ip}] pop message is forbidden"
        )));
    }
    if ctx.replication().is_slave() {
        return Err(RequestError::new(
            response_code::SYSTEM_BUSY,
            "[REJECTREQUEST]system busy, a slave serves no pop",
        ));
    }
    if h.max_msg_nums > keys::MAX_POP_MSG_NUMS {
        return Err(RequestError::invalid(format!(
            "the broker[{ip}] pop message's num is greater than 32"
        )));
    }
    if h.invisible_time < 0 {
        return Err(RequestError::invalid("invisibleTime is negative"));
    }
    let Some(topic_cfg) = ctx.tables().topics().get(&h.topic) else {
        return Err(RequestError::new(
            response_code::TOPIC_NOT_EXIST,
            format!("topic[{}] not exist, apply first please!", h.topic),
        ));
    };
    if !is_readable(topic_cfg.perm) {
        return Err(RequestError::no_permission(format!(
            "the topic[{}] peeking message is forbidden",
            h.topic
        )));
    }
    if h.queue_id >= topic_cfg.read_queue_nums {
        return Err(RequestError::invalid(format!(
            "queueId[{}] is illegal, topic:[{}] topicConfig.readQueueNums:[{}] consumer:[{}]",
            h.queue_id,
            h.topic,
            topic_cfg.read_queue_nums,
            channel.remote_addr()
        )));
    }
    check_group(ctx, &h.consumer_group)?;
    Ok(topic_cfg)
}

/// The group exists (or may be auto-created) and may consume.
pub(crate) fn check_group(ctx: &BrokerContext, group: &str) -> Result<(), RequestError> {
    let Some((g, created)) = ctx.tables().groups().find_or_create(group) else {
        return Err(RequestError::new(
            response_code::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("subscription group [{group}] does not exist"),
        ));
    };
    if created {
        ctx.groups_changed();
    }
    if !g.consume_enable {
        return Err(RequestError::no_permission(format!(
            "subscription group no permission, {group}"
        )));
    }
    Ok(())
}

/// The compiled filter of the request's expression; `None` accepts everything.
fn filter_of(
    ctx: &BrokerContext,
    h: &PopMessageRequestHeader,
) -> Result<Option<StoreFilter>, RequestError> {
    let exp = h.exp.as_deref().unwrap_or("").trim();
    let failed = |why: String| {
        RequestError::new(
            response_code::SUBSCRIPTION_PARSE_FAILED,
            format!("parse the consumer's subscription failed: {why}"),
        )
    };
    let ty = match h.exp_type.as_deref() {
        None | Some("") | Some("TAG") => ExpressionType::Tag,
        Some("SQL92") => ExpressionType::Sql92,
        Some(other) => return Err(failed(format!("unknown expression type {other}"))),
    };
    if exp.is_empty() || (ty == ExpressionType::Tag && exp == "*") {
        return Ok(None);
    }
    if exp.len() > limits::MAX_EXPRESSION_LEN {
        return Err(failed(format!(
            "the expression is longer than {} bytes",
            limits::MAX_EXPRESSION_LEN
        )));
    }
    if ty == ExpressionType::Sql92 && !ctx.settings().get().broker.enable_property_filter {
        return Err(RequestError::system(
            "The broker does not support consumer to filter message by SQL92",
        ));
    }
    let sub = SubscriptionData::build(h.topic.clone(), exp, ty);
    ctx.filters()
        .get(&h.consumer_group, &sub)
        .map(|f| Some(StoreFilter(f)))
        .map_err(failed)
}
