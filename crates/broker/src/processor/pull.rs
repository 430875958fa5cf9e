//! PULL_MESSAGE (11) / LITE_PULL_MESSAGE (361), with long polling.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::perm::is_readable;
use ferromq_model::{
    ExpressionType, MessageModel, SubscriptionData, SubscriptionGroupConfig, TopicConfig,
};
use ferromq_protocol::headers::*;
use ferromq_protocol::message::sysflag::pull as pull_flag;
use ferromq_protocol::{response_code, Body, RemotingCommand};
use ferromq_remoting::{Channel, RequestError};
use ferromq_store::{GetMessageStatus, GetResult};

use crate::context::BrokerContext;
use crate::filtering::StoreFilter;
use crate::limits;
use crate::pull_hold::{HeldPull, PullRequest};

use super::pull_route::PullRouting;

/// Handles a pull. Returns `None` when the pull was parked (its response is sent later).
pub(crate) fn pull_message(
    ctx: &Arc<BrokerContext>,
    channel: &Channel,
    req: &RemotingCommand,
) -> Option<RemotingCommand> {
    let request = match req.decode_header::<PullMessageRequestHeader>() {
        Ok(header) => PullRequest {
            header,
            opaque: req.opaque,
            serialize_type: req.serialize_type,
        },
        Err(e) => return Some(RequestError::from(e).into_response()),
    };
    run(ctx, channel, request, true)
}

/// What a pull comes to.
enum Outcome {
    Respond(RemotingCommand),
    /// Nothing yet: park until a message arrives or `deadline`.
    Hold {
        deadline: Instant,
        tag_codes: Option<Vec<i32>>,
    },
}

/// Runs a pull; `first_run` is false when a parked pull is re-run.
fn run(
    ctx: &BrokerContext,
    channel: &Channel,
    request: PullRequest,
    first_run: bool,
) -> Option<RemotingCommand> {
    let outcome = match pull_once(ctx, channel, &request.header, first_run) {
        Ok(o) => o,
        Err(e) => return Some(e.into_response()),
    };
    match outcome {
        Outcome::Respond(r) => Some(r),
        Outcome::Hold {
            deadline,
            tag_codes,
        } => {
            let (topic, queue_id) = (request.header.topic.clone(), request.header.queue_id);
            let held = HeldPull {
                channel: channel.clone(),
                offset: request.header.queue_offset,
                request,
                deadline,
                tag_codes,
            };
            match ctx.pull_hold().hold(&topic, queue_id, held) {
                Ok(()) => None,
                // Busy, not "no message": Java clients back off on errors instead of
                // pulling again at once.
                Err(e) => Some(RemotingCommand::error(
                    response_code::SYSTEM_BUSY,
                    format!("[OVERLOAD] {e}"),
                )),
            }
        }
    }
}

fn pull_once(
    ctx: &BrokerContext,
    channel: &Channel,
    h: &PullMessageRequestHeader,
    first_run: bool,
) -> Result<Outcome, RequestError> {
    if ctx.replication().is_slave() && !ctx.settings().get().broker.slave_read_enable {
        // Java's `rejectRequest`: a slave serves no pulls unless `slaveReadEnable`.
        return Err(RequestError::new(
            response_code::SYSTEM_BUSY,
            "[REJECTREQUEST]system busy, start flow control for a while",
        ));
    }
    let (group_cfg, topic_cfg) = check_pull(ctx, channel, h)?;
    let filter = filter_for(ctx, h, group_cfg.consume_broadcast_enable)?;
    // An admin reset this queue's offset: send the consumer there.
    if first_run {
        if let Some(reset) =
            ctx.tables()
                .offsets()
                .take_reset(&h.consumer_group, &h.topic, h.queue_id)
        {
            return Ok(Outcome::Respond(offset_moved_to(ctx, h, reset)));
        }
    }
    let result = ctx.store().get_messages(
        &h.topic,
        h.queue_id,
        h.queue_offset,
        max_msg_nums(ctx, h.max_msg_nums),
        h.max_msg_bytes.filter(|b| *b > 0).unwrap_or(i32::MAX) as usize,
        Some(&filter),
    );
    let routing = {
        let cfg = ctx.settings().get();
        PullRouting {
            slave: ctx.replication().is_slave(),
            slave_read_enable: cfg.broker.slave_read_enable,
            offset_check_in_slave: cfg.store.offset_check_in_slave,
            suggest_slave: result.suggest_pulling_from_slave,
            group_broker_id: group_cfg.broker_id,
            when_slowly: group_cfg.which_broker_when_consume_slowly,
        }
    };
    let (code, suggest) = routing.decide(status_code(&result, h));
    if code == response_code::PULL_NOT_FOUND && first_run && pull_flag::has_suspend(h.sys_flag) {
        let wait = {
            let cfg = ctx.settings().get();
            suspend_for(
                cfg.broker.long_polling_enable,
                cfg.broker.short_polling_time_mills,
                h.suspend_timeout_millis,
            )
        };
        commit_offset_if_asked(ctx, h, first_run);
        return Ok(Outcome::Hold {
            deadline: Instant::now() + wait,
            tag_codes: filter.wake_codes(),
        });
    }
    let resp = found(ctx, h, (code, suggest), result, &group_cfg, &topic_cfg);
    commit_offset_if_asked(ctx, h, first_run);
    Ok(Outcome::Respond(resp))
}

/// Java's checks: the broker and the topic readable, the group allowed to consume (created
/// if allowed), the queue one of the topic's.
fn check_pull(
    ctx: &BrokerContext,
    channel: &Channel,
    h: &PullMessageRequestHeader,
) -> Result<(SubscriptionGroupConfig, TopicConfig), RequestError> {
    if !ctx.settings().readable() {
        return Err(RequestError::no_permission(format!(
            "the broker[{}] pulling message is forbidden",
            ctx.identity().store_host().ip()
        )));
    }
    let Some((group_cfg, created)) = ctx.tables().groups().find_or_create(&h.consumer_group) else {
        return Err(RequestError::new(
            response_code::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("subscription group [{}] does not exist", h.consumer_group),
        ));
    };
    if created {
        ctx.groups_changed();
    }
    if !group_cfg.consume_enable {
        return Err(RequestError::no_permission(format!(
            "subscription group no permission, {}",
            h.consumer_group
        )));
    }
    let Some(topic_cfg) = ctx.tables().topics().get(&h.topic) else {
        return Err(RequestError::new(
            response_code::TOPIC_NOT_EXIST,
            format!("topic[{}] not exist, apply first please!", h.topic),
        ));
    };
    if !is_readable(topic_cfg.perm) {
        return Err(RequestError::no_permission(format!(
            "the topic[{}] pulling message is forbidden",
            h.topic
        )));
    }
    if h.queue_id < 0 || h.queue_id >= topic_cfg.read_queue_nums {
        return Err(RequestError::system(format!(
            "queueId[{}] is illegal, topic:[{}] topicConfig.readQueueNums:[{}] consumer:[{}]",
            h.queue_id,
            h.topic,
            topic_cfg.read_queue_nums,
            channel.remote_addr()
        )));
    }
    Ok((group_cfg, topic_cfg))
}

/// The compiled filter of the pull's subscription.
fn filter_for(
    ctx: &BrokerContext,
    h: &PullMessageRequestHeader,
    broadcast_enabled: bool,
) -> Result<StoreFilter, RequestError> {
    let subscription = subscription_for(ctx, h, broadcast_enabled)?;
    if subscription.expression_type == ExpressionType::Sql92
        && !ctx.settings().get().broker.enable_property_filter
    {
        return Err(RequestError::system(
            "The broker does not support consumer to filter message by SQL92",
        ));
    }
    ctx.filters()
        .get(&h.consumer_group, &subscription)
        .map(StoreFilter)
        .map_err(|e| {
            RequestError::new(
                response_code::SUBSCRIPTION_PARSE_FAILED,
                format!(
                    "parse the consumer's subscription[{}] failed, group: {}: {e}",
                    subscription.sub_string, h.consumer_group
                ),
            )
        })
}

/// PULL_OFFSET_MOVED to where an admin reset the queue.
fn offset_moved_to(
    ctx: &BrokerContext,
    h: &PullMessageRequestHeader,
    reset: i64,
) -> RemotingCommand {
    tracing::info!(group = %h.consumer_group, topic = %h.topic, queue = h.queue_id, reset,
        "the queue under pulling was reset");
    let store = ctx.store();
    let header = PullMessageResponseHeader {
        suggest_which_broker_id: 0,
        next_begin_offset: reset,
        min_offset: store.min_offset_in_queue(&h.topic, h.queue_id),
        max_offset: store.max_offset_in_queue(&h.topic, h.queue_id),
        ..Default::default()
    };
    RemotingCommand::response(response_code::PULL_OFFSET_MOVED).with_header(&header)
}

/// The pull response code of a store read (Java's mapping).
fn status_code(result: &GetResult, h: &PullMessageRequestHeader) -> i32 {
    match result.status {
        GetMessageStatus::Found => response_code::SUCCESS,
        GetMessageStatus::MessageWasRemoving | GetMessageStatus::NoMatchedMessage => {
            response_code::PULL_RETRY_IMMEDIATELY
        }
        GetMessageStatus::NoMatchedLogicQueue | GetMessageStatus::NoMessageInQueue => {
            if h.queue_offset != 0 {
                response_code::PULL_OFFSET_MOVED
            } else {
                response_code::PULL_NOT_FOUND
            }
        }
        GetMessageStatus::OffsetFoundNull | GetMessageStatus::OffsetOverflowOne => {
            response_code::PULL_NOT_FOUND
        }
        GetMessageStatus::OffsetOverflowBadly | GetMessageStatus::OffsetTooSmall => {
            tracing::info!(group = %h.consumer_group, topic = %h.topic, queue = h.queue_id,
                requested = h.queue_offset, next = result.next_begin_offset, status = result.status.name(),
                "pull offset moved");
            response_code::PULL_OFFSET_MOVED
        }
    }
}

/// The response to a pull that is answered now: the records found (zero copy) or the code.
fn found(
    ctx: &BrokerContext,
    h: &PullMessageRequestHeader,
    (code, suggest): (i32, i64),
    result: GetResult,
    group_cfg: &SubscriptionGroupConfig,
    topic_cfg: &TopicConfig,
) -> RemotingCommand {
    let header = PullMessageResponseHeader {
        suggest_which_broker_id: suggest,
        next_begin_offset: result.next_begin_offset,
        min_offset: result.min_offset,
        max_offset: result.max_offset,
        offset_delta: None,
        topic_sys_flag: Some(topic_cfg.topic_sys_flag),
        group_sys_flag: Some(group_cfg.group_sys_flag),
        forbidden_type: None,
    };
    // Java puts the store's status name in the remark ("FOUND", "OFFSET_OVERFLOW_ONE", …).
    let mut resp = RemotingCommand::response(code)
        .with_header(&header)
        .with_remark(result.status.name());
    if code == response_code::SUCCESS {
        ctx.stats().record_get(
            &h.topic,
            result.messages.len() as u64,
            result.buffer_total_size as u64,
        );
        resp.body = Body::from_chunks(result.messages);
    }
    resp
}

/// The subscription to filter with: from the request when it carries one, else the one the
/// consumer registered by heartbeat (Java's rules and codes).
fn subscription_for(
    ctx: &BrokerContext,
    h: &PullMessageRequestHeader,
    broadcast_enabled: bool,
) -> Result<SubscriptionData, RequestError> {
    if pull_flag::has_subscription(h.sys_flag) {
        return subscription_of_request(h);
    }
    let Some(group) = ctx.clients().consumer_group(&h.consumer_group) else {
        return Err(RequestError::new(
            response_code::SUBSCRIPTION_NOT_EXIST,
            format!(
                "the consumer's group info not exist, group: {}",
                h.consumer_group
            ),
        ));
    };
    if !broadcast_enabled && group.message_model == MessageModel::Broadcasting {
        return Err(RequestError::no_permission(format!(
            "the consumer group[{}] can not consume by broadcast way",
            h.consumer_group
        )));
    }
    let Some(sub) = group.subscriptions.get(&h.topic).cloned() else {
        return Err(RequestError::new(
            response_code::SUBSCRIPTION_NOT_EXIST,
            format!(
                "the consumer's subscription not exist, group: {}",
                h.consumer_group
            ),
        ));
    };
    if sub.sub_version < h.sub_version {
        return Err(RequestError::new(
            response_code::SUBSCRIPTION_NOT_LATEST,
            format!(
                "the consumer's subscription not latest, group: {}",
                h.consumer_group
            ),
        ));
    }
    Ok(sub)
}

/// The subscription a pull carries (lite pull, `PullConsumer`).
fn subscription_of_request(h: &PullMessageRequestHeader) -> Result<SubscriptionData, RequestError> {
    let expr = h.subscription.as_deref().unwrap_or("*");
    let parse_failed = |why: String| {
        RequestError::new(
            response_code::SUBSCRIPTION_PARSE_FAILED,
            format!(
                "parse the consumer's subscription failed, group: {}: {why}",
                h.consumer_group
            ),
        )
    };
    if expr.len() > limits::MAX_EXPRESSION_LEN {
        return Err(parse_failed(format!(
            "the expression is longer than {} bytes",
            limits::MAX_EXPRESSION_LEN
        )));
    }
    let ty = match h.expression_type.as_deref() {
        None | Some("") | Some("TAG") => ExpressionType::Tag,
        Some("SQL92") => ExpressionType::Sql92,
        Some(other) => return Err(parse_failed(format!("unknown expression type {other}"))),
    };
    let mut s = SubscriptionData::build(h.topic.clone(), expr, ty);
    s.sub_version = h.sub_version;
    Ok(s)
}

/// The COMMIT_OFFSET flag piggy-backs an offset commit on the pull (masters only, first
/// execution only).
fn commit_offset_if_asked(ctx: &BrokerContext, h: &PullMessageRequestHeader, first_run: bool) {
    if first_run
        && pull_flag::has_commit_offset(h.sys_flag)
        && ctx.identity().is_master()
        && h.commit_offset >= 0
    {
        ctx.tables()
            .offsets()
            .commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    }
}

/// How long a pull that found nothing is parked: the client's `suspendTimeoutMillis` under
/// long polling, else the broker's short-polling time; never more than
/// [`limits::MAX_SUSPEND`] (clients ask 15–30 s), never negative.
fn suspend_for(long_polling: bool, short_polling_ms: i64, requested_ms: i64) -> Duration {
    let ms = if long_polling {
        requested_ms
    } else {
        short_polling_ms
    };
    Duration::from_millis(ms.max(0) as u64).min(limits::MAX_SUSPEND)
}

/// Messages per pull: at least one, at most what one pull can return anyway (Java's transfer
/// limits, 32 hot / 8 cold by default), so a huge `maxMsgNums` cannot widen the store's scan.
fn max_msg_nums(ctx: &BrokerContext, requested: i32) -> usize {
    let cfg = ctx.settings().get();
    let most = cfg
        .store
        .max_transfer_count_on_message_in_memory
        .max(cfg.store.max_transfer_count_on_message_in_disk)
        .max(1) as usize;
    (requested.max(1) as usize).min(most)
}

/// Re-runs woken pulls and answers them through their channels.
pub(crate) fn wake(ctx: &Arc<BrokerContext>, woken: Vec<HeldPull>) {
    for held in woken {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let opaque = held.request.opaque;
            let ser = held.request.serialize_type;
            if let Some(mut resp) = run(&ctx, &held.channel, held.request, false) {
                resp.opaque = opaque;
                resp.serialize_type = ser;
                resp.flag |= ferromq_protocol::RESPONSE_FLAG;
                let _ = held.channel.send(resp).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::testing::{self, channel, send_request, topic};
    use ferromq_model::perm::{PERM_READ, PERM_WRITE};
    use ferromq_protocol::message::properties::Properties;
    use ferromq_protocol::message::record::MessageExt;
    use ferromq_protocol::request_code as rc;

    fn pull(topic: &str, queue_id: i32, offset: i64, suspend_ms: i64) -> RemotingCommand {
        RemotingCommand::request_with(
            rc::PULL_MESSAGE,
            &PullMessageRequestHeader {
                consumer_group: "cg".into(),
                topic: topic.into(),
                queue_id,
                queue_offset: offset,
                max_msg_nums: 32,
                sys_flag: pull_flag::build(false, suspend_ms > 0, true, false),
                commit_offset: 0,
                suspend_timeout_millis: suspend_ms,
                subscription: Some("*".into()),
                sub_version: 0,
                expression_type: Some("TAG".into()),
                max_msg_bytes: None,
                request_source: None,
                proxy_forward_client_id: None,
            },
        )
    }

    #[tokio::test]
    async fn found_not_found_moved_and_parked() {
        let t = testing::context();
        topic(&t, "T", 2, PERM_READ | PERM_WRITE);
        for _ in 0..3 {
            crate::processor::send::send(
                &t,
                &channel(),
                send_request("T", 0, "m", &Properties::new()),
            )
            .await
            .unwrap();
        }
        assert!(t.store().wait_dispatched(Duration::from_secs(5)));
        let ch = channel();
        let r = pull_message(&t, &ch, &pull("T", 0, 0, 0)).unwrap();
        assert_eq!(r.code, response_code::SUCCESS);
        let body = r.body.to_bytes();
        assert_eq!(MessageExt::decode_all(&body).unwrap().len(), 3);
        let h: PullMessageResponseHeader = r.decode_header().unwrap();
        assert_eq!((h.next_begin_offset, h.max_offset), (3, 3));
        let r = pull_message(&t, &ch, &pull("T", 0, 3, 0)).unwrap();
        assert_eq!(r.code, response_code::PULL_NOT_FOUND);
        let r = pull_message(&t, &ch, &pull("T", 0, 99, 0)).unwrap();
        assert_eq!(r.code, response_code::PULL_OFFSET_MOVED);
        // Nothing new and the suspend flag set: parked, answered later.
        assert!(pull_message(&t, &ch, &pull("T", 1, 0, 15_000)).is_none());
        assert_eq!(t.pull_hold().len(), 1);
    }

    #[tokio::test]
    async fn refusals() {
        let t = testing::context();
        topic(&t, "WO", 1, PERM_WRITE);
        let ch = channel();
        let code = |r: Option<RemotingCommand>| r.unwrap().code;
        assert_eq!(
            code(pull_message(&t, &ch, &pull("WO", 0, 0, 0))),
            response_code::NO_PERMISSION
        );
        assert_eq!(
            code(pull_message(&t, &ch, &pull("Nope", 0, 0, 0))),
            response_code::TOPIC_NOT_EXIST
        );
        topic(&t, "T", 1, PERM_READ | PERM_WRITE);
        assert_eq!(
            code(pull_message(&t, &ch, &pull("T", 5, 0, 0))),
            response_code::SYSTEM_ERROR
        );
        let mut bad = pull("T", 0, 0, 0);
        bad.ext_fields.insert("consumerGroup", "a/b");
        assert_eq!(
            code(pull_message(&t, &ch, &bad)),
            response_code::SUBSCRIPTION_GROUP_NOT_EXIST
        );
        let mut long = pull("T", 0, 0, 0);
        long.ext_fields
            .insert("subscription", "x".repeat(limits::MAX_EXPRESSION_LEN + 1));
        assert_eq!(
            code(pull_message(&t, &ch, &long)),
            response_code::SUBSCRIPTION_PARSE_FAILED
        );
    }

    #[test]
    fn suspension_is_clamped() {
        assert_eq!(suspend_for(true, 1000, 15_000), Duration::from_secs(15));
        assert_eq!(suspend_for(true, 1000, i64::MAX), limits::MAX_SUSPEND);
        assert_eq!(suspend_for(true, 1000, i64::MIN), Duration::ZERO);
        assert_eq!(suspend_for(false, 1000, 15_000), Duration::from_secs(1));
    }
}
