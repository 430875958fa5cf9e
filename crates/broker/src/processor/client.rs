//! Client management: HEART_BEAT (34), UNREGISTER_CLIENT (35), GET_CONSUMER_LIST_BY_GROUP
//! (38), CHECK_CLIENT_CONFIG (46), LOCK/UNLOCK_BATCH_MQ (41/42), and the
//! NOTIFY_CONSUMER_IDS_CHANGED (40) pushes that make consumers rebalance.

use std::sync::Arc;
use std::time::Instant;

use ferromq_model::fastjson::from_fastjson_slice;
use ferromq_model::perm::{PERM_READ, PERM_WRITE};
use ferromq_model::{
    names, CheckClientRequestBody, ExpressionType, GetConsumerListByGroupResponseBody,
    HeartbeatData, LockBatchRequestBody, LockBatchResponseBody, MessageQueue,
    UnlockBatchRequestBody,
};
use ferromq_protocol::headers::*;
use ferromq_protocol::{request_code as rc, response_code, RemotingCommand};
use ferromq_remoting::Channel;

use super::{header, ok_json};
use crate::clients::{ClientChannel, ConsumerRegistration};
use crate::context::BrokerContext;

const IS_SUPPORT_HEART_BEAT_V2: &str = "IS_SUPPORT_HEART_BEAT_V2";
const IS_SUB_CHANGE: &str = "IS_SUB_CHANGE";

/// HEART_BEAT: registers producers and consumers (with their subscriptions), creates each
/// consumer group's `%RETRY%` topic, and tells a group's members when membership changed.
pub async fn heartbeat(
    ctx: &Arc<BrokerContext>,
    channel: &Channel,
    req: &RemotingCommand,
) -> RemotingCommand {
    let data: HeartbeatData = match from_fastjson_slice(&req.body.to_bytes()) {
        Ok(d) => d,
        Err(e) => {
            return RemotingCommand::error(
                response_code::SYSTEM_ERROR,
                format!("bad heartbeat body: {e}"),
            );
        }
    };
    let member = |now: Instant| ClientChannel {
        channel: channel.clone(),
        client_id: data.client_id.clone(),
        language: req.language,
        version: req.version,
        last_update: now,
    };
    let now = Instant::now();
    // Heartbeat V2 (a non-zero fingerprint of the client's subscriptions), as Java's
    // heartBeatV2: IS_SUB_CHANGE tells the client that the fingerprint it sent differs from the
    // one the broker holds for the group, so it must send its subscriptions again. A classic
    // heartbeat is always answered "changed".
    let v2 = data.heartbeat_fingerprint != 0;
    let mut sub_change = !v2;
    for consumer in &data.consumer_data_set {
        let Some((group_cfg, created)) = ctx.groups.find_or_create(&consumer.group_name) else {
            continue;
        };
        if created {
            ctx.groups_changed();
        }
        if v2 {
            let previous = ctx
                .heartbeat_fingerprints
                .lock()
                .insert(consumer.group_name.clone(), data.heartbeat_fingerprint);
            if previous.is_some_and(|p| p != data.heartbeat_fingerprint) {
                sub_change = true;
            }
        }
        if data.without_sub {
            // Subscriptions left out: keep the ones registered. A consumer this broker does
            // not know (it restarted) is asked for them instead of being registered without
            // any, which Java would do.
            if !ctx
                .clients
                .touch_consumer(&consumer.group_name, channel.id(), now)
            {
                sub_change = true;
            }
            continue;
        }
        let retry = names::retry_topic(&consumer.group_name);
        let (_, new_topic) = ctx.topics.create_if_absent(
            &retry,
            group_cfg.retry_queue_nums.max(1),
            PERM_WRITE | PERM_READ,
            0,
        );
        if new_topic {
            ctx.topics_changed();
        }
        let outcome = ctx.clients.register_consumer(
            member(now),
            ConsumerRegistration {
                group: consumer.group_name.clone(),
                consume_type: consumer.consume_type,
                message_model: consumer.message_model,
                consume_from_where: consumer.consume_from_where,
                subscriptions: consumer.subscription_data_set.clone(),
            },
        );
        if outcome.members_changed && group_cfg.notify_consumer_ids_changed_enable {
            notify_consumer_ids_changed(ctx, &consumer.group_name);
        }
    }
    for producer in &data.producer_data_set {
        ctx.clients
            .register_producer(&producer.group_name, member(now));
    }
    RemotingCommand::success()
        .with_ext(IS_SUPPORT_HEART_BEAT_V2, "true")
        .with_ext(IS_SUB_CHANGE, sub_change.to_string())
}

/// UNREGISTER_CLIENT: the client is leaving its groups.
pub async fn unregister_client(
    ctx: &Arc<BrokerContext>,
    channel: &Channel,
    req: &RemotingCommand,
) -> RemotingCommand {
    let h = header!(req, UnregisterClientRequestHeader);
    if let Some(g) = h.producer_group.as_deref().filter(|g| !g.is_empty()) {
        ctx.clients.unregister_producer(g, channel.id());
    }
    if let Some(g) = h.consumer_group.as_deref().filter(|g| !g.is_empty()) {
        if ctx.clients.unregister_consumer(g, channel.id()) {
            let notify = ctx
                .groups
                .get(g)
                .is_none_or(|c| c.notify_consumer_ids_changed_enable);
            if notify {
                notify_consumer_ids_changed(ctx, g);
            }
        }
    }
    RemotingCommand::success()
}

/// A channel closed: it leaves every group, and the groups that lost a member rebalance.
pub fn channel_closed(ctx: &Arc<BrokerContext>, channel: &Channel) {
    for group in ctx.clients.channel_closed(channel.id()) {
        tracing::info!(group, client_addr = %channel.remote_addr(), "consumer channel closed");
        notify_consumer_ids_changed(ctx, &group);
    }
}

/// Sends NOTIFY_CONSUMER_IDS_CHANGED (one-way) to every member of `group`.
pub fn notify_consumer_ids_changed(ctx: &Arc<BrokerContext>, group: &str) {
    let Some(g) = ctx.clients.consumer_group(group) else {
        return;
    };
    let header = ConsumerGroupRequestHeader {
        consumer_group: group.to_string(),
    };
    for m in g.members.into_values() {
        let cmd = RemotingCommand::request_with(rc::NOTIFY_CONSUMER_IDS_CHANGED, &header);
        tokio::spawn(async move {
            if let Err(e) = m.channel.oneway(cmd).await {
                tracing::debug!(client = %m.client_id, error = %e, "notify consumer ids changed failed");
            }
        });
    }
}

/// GET_CONSUMER_LIST_BY_GROUP.
pub fn get_consumer_list_by_group(ctx: &BrokerContext, req: &RemotingCommand) -> RemotingCommand {
    let h = header!(req, ConsumerGroupRequestHeader);
    match ctx.clients.consumer_group(&h.consumer_group) {
        Some(g) => ok_json(&GetConsumerListByGroupResponseBody {
            consumer_id_list: g.client_ids(),
        }),
        None => RemotingCommand::error(
            response_code::SYSTEM_ERROR,
            format!("no consumer for this group, {}", h.consumer_group),
        ),
    }
}

/// CHECK_CLIENT_CONFIG: a consumer asks whether its subscription is acceptable (SQL92 needs
/// `enablePropertyFilter`).
pub fn check_client_config(ctx: &BrokerContext, req: &RemotingCommand) -> RemotingCommand {
    let body: CheckClientRequestBody = match from_fastjson_slice(&req.body.to_bytes()) {
        Ok(b) => b,
        Err(e) => {
            return RemotingCommand::error(response_code::SYSTEM_ERROR, format!("bad body: {e}"))
        }
    };
    if let Some(sub) = body.subscription_data {
        if sub.expression_type == ExpressionType::Sql92 {
            if !ctx.config.read().broker.enable_property_filter {
                return RemotingCommand::error(
                    response_code::SYSTEM_ERROR,
                    "The broker does not support consumer to filter message by SQL92",
                );
            }
            if let Err(e) = crate::filtering::compile(&sub) {
                return RemotingCommand::error(
                    response_code::SUBSCRIPTION_PARSE_FAILED,
                    format!("Parameter check error, or the SQL92 expression is invalid: {e}"),
                );
            }
        }
    }
    RemotingCommand::success()
}

/// LOCK_BATCH_MQ: locks the queues of an orderly consumer.
pub fn lock_batch_mq(ctx: &BrokerContext, req: &RemotingCommand) -> RemotingCommand {
    let body: LockBatchRequestBody = match from_fastjson_slice(&req.body.to_bytes()) {
        Ok(b) => b,
        Err(e) => {
            return RemotingCommand::error(response_code::SYSTEM_ERROR, format!("bad body: {e}"))
        }
    };
    let mqs: Vec<MessageQueue> = body.mq_set.into_iter().collect();
    let locked = ctx
        .queue_locks
        .lock(&body.consumer_group, &body.client_id, &mqs, Instant::now());
    ok_json(&LockBatchResponseBody {
        lock_ok_mq_set: locked,
    })
}

/// UNLOCK_BATCH_MQ.
pub fn unlock_batch_mq(ctx: &BrokerContext, req: &RemotingCommand) -> RemotingCommand {
    let body: UnlockBatchRequestBody = match from_fastjson_slice(&req.body.to_bytes()) {
        Ok(b) => b,
        Err(e) => {
            return RemotingCommand::error(response_code::SYSTEM_ERROR, format!("bad body: {e}"))
        }
    };
    let mqs: Vec<MessageQueue> = body.mq_set.into_iter().collect();
    ctx.queue_locks
        .unlock(&body.consumer_group, &body.client_id, &mqs);
    RemotingCommand::success()
}
