//! Client management: HEART_BEAT (34), UNREGISTER_CLIENT (35), GET_CONSUMER_LIST_BY_GROUP
//! (38), CHECK_CLIENT_CONFIG (46), LOCK/UNLOCK_BATCH_MQ (41/42), and the
//! NOTIFY_CONSUMER_IDS_CHANGED (40) pushes that make consumers rebalance.

use std::time::Instant;

use ferromq_model::fastjson::from_fastjson_slice;
use ferromq_model::perm::{PERM_READ, PERM_WRITE};
use ferromq_model::{
    names, CheckClientRequestBody, ExpressionType, GetConsumerListByGroupResponseBody,
    HeartbeatData, LockBatchRequestBody, LockBatchResponseBody, MessageQueue, SubscriptionData,
    UnlockBatchRequestBody,
};
use ferromq_protocol::headers::*;
use ferromq_protocol::{request_code as rc, response_code, RemotingCommand};
use ferromq_remoting::Channel;

use ferromq_remoting::{ok_json, RequestError, RequestResult};

use crate::clients::{ClientChannel, ConsumerRegistration, Departure};
use crate::context::BrokerContext;
use crate::limits;
use crate::names as request_error;

const IS_SUPPORT_HEART_BEAT_V2: &str = "IS_SUPPORT_HEART_BEAT_V2";
const IS_SUB_CHANGE: &str = "IS_SUB_CHANGE";

/// HEART_BEAT: registers producers and consumers (with their subscriptions), creates each
/// consumer group's `%RETRY%` topic, and tells a group's members when membership changed.
pub(crate) fn heartbeat(
    ctx: &BrokerContext,
    channel: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let data: HeartbeatData = from_fastjson_slice(&req.body.to_bytes())
        .map_err(|e| RequestError::system(format!("bad heartbeat body: {e}")))?;
    check_heartbeat(&data)?;
    register(ctx, channel, req, &data)
}

/// Refuses a heartbeat whose names are not names, or that is larger than one client may
/// register (see [`crate::limits`]), before anything is registered.
fn check_heartbeat(data: &HeartbeatData) -> Result<(), RequestError> {
    if data.client_id.len() > limits::MAX_CLIENT_ID_LEN {
        return Err(RequestError::invalid("the client id is too long"));
    }
    if data.consumer_data_set.len() > limits::MAX_GROUPS_PER_HEARTBEAT
        || data.producer_data_set.len() > limits::MAX_GROUPS_PER_HEARTBEAT
    {
        return Err(RequestError::invalid(format!(
            "a heartbeat may carry at most {} consumer and {} producer groups",
            limits::MAX_GROUPS_PER_HEARTBEAT,
            limits::MAX_GROUPS_PER_HEARTBEAT
        )));
    }
    for p in &data.producer_data_set {
        request_error::group_name(&p.group_name)?;
    }
    for c in &data.consumer_data_set {
        request_error::group_name(&c.group_name)?;
        check_subscriptions(&c.group_name, &c.subscription_data_set)?;
    }
    Ok(())
}

fn check_subscriptions(group: &str, subs: &[SubscriptionData]) -> Result<(), RequestError> {
    if subs.len() > limits::MAX_SUBSCRIPTIONS_PER_GROUP {
        return Err(RequestError::invalid(format!(
            "group {group} subscribes to more than {} topics",
            limits::MAX_SUBSCRIPTIONS_PER_GROUP
        )));
    }
    let mut total = 0usize;
    for s in subs {
        request_error::topic_name(&s.topic)?;
        if s.sub_string.len() > limits::MAX_EXPRESSION_LEN {
            return Err(RequestError::new(
                response_code::SUBSCRIPTION_PARSE_FAILED,
                format!(
                    "the subscription expression of group {group} to {} is longer than {} bytes",
                    s.topic,
                    limits::MAX_EXPRESSION_LEN
                ),
            ));
        }
        if s.tags_set.len() > limits::MAX_TAGS_PER_SUBSCRIPTION
            || s.code_set.len() > limits::MAX_TAGS_PER_SUBSCRIPTION
        {
            return Err(RequestError::invalid(format!(
                "the subscription of group {group} to {} has more than {} tags",
                s.topic,
                limits::MAX_TAGS_PER_SUBSCRIPTION
            )));
        }
        total += s.topic.len()
            + s.sub_string.len()
            + s.tags_set.iter().map(String::len).sum::<usize>()
            + 4 * s.code_set.len();
    }
    if total > limits::MAX_SUBSCRIPTION_BYTES_PER_GROUP {
        return Err(RequestError::invalid(format!(
            "the subscriptions of group {group} exceed {} bytes",
            limits::MAX_SUBSCRIPTION_BYTES_PER_GROUP
        )));
    }
    Ok(())
}

/// Registers what a checked heartbeat says.
fn register(
    ctx: &BrokerContext,
    channel: &Channel,
    req: &RemotingCommand,
    data: &HeartbeatData,
) -> RequestResult {
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
        let Some((group_cfg, created)) = ctx.tables().groups().find_or_create(&consumer.group_name)
        else {
            continue;
        };
        if created {
            ctx.groups_changed();
        }
        if data.without_sub {
            // Subscriptions left out: keep the ones registered. A consumer this broker does
            // not know (it restarted) is asked for them instead of being registered without
            // any, which Java would do.
            if !ctx
                .clients()
                .touch_consumer(&consumer.group_name, channel.id(), now)
            {
                sub_change = true;
            } else if v2 {
                sub_change |= fingerprint_changed(ctx, &consumer.group_name, data);
            }
            continue;
        }
        let retry = names::retry_topic(&consumer.group_name);
        if let Some((_, true)) = ctx.tables().topics().create_if_absent(
            &retry,
            group_cfg.retry_queue_nums.max(1),
            PERM_WRITE | PERM_READ,
            0,
        ) {
            ctx.topics_changed();
        }
        let outcome = ctx
            .clients()
            .register_consumer(
                member(now),
                ConsumerRegistration {
                    group: consumer.group_name.clone(),
                    consume_type: consumer.consume_type,
                    message_model: consumer.message_model,
                    consume_from_where: consumer.consume_from_where,
                    subscriptions: consumer.subscription_data_set.clone(),
                },
            )
            .map_err(|e| RequestError::invalid(e.to_string()))?;
        if v2 {
            sub_change |= fingerprint_changed(ctx, &consumer.group_name, data);
        }
        if outcome.members_changed && group_cfg.notify_consumer_ids_changed_enable {
            notify_consumer_ids_changed(ctx, &consumer.group_name);
        }
    }
    for producer in &data.producer_data_set {
        ctx.clients()
            .register_producer(&producer.group_name, member(now))
            .map_err(|e| RequestError::invalid(e.to_string()))?;
    }
    Ok(RemotingCommand::success()
        .with_ext(IS_SUPPORT_HEART_BEAT_V2, "true")
        .with_ext(IS_SUB_CHANGE, sub_change.to_string()))
}

/// Stores the heartbeat's fingerprint for `group`; true when it differs from the one held.
fn fingerprint_changed(ctx: &BrokerContext, group: &str, data: &HeartbeatData) -> bool {
    ctx.clients()
        .swap_fingerprint(group, data.heartbeat_fingerprint)
        .is_some_and(|p| p != data.heartbeat_fingerprint)
}

/// UNREGISTER_CLIENT: the client is leaving its groups.
pub(crate) fn unregister_client(
    ctx: &BrokerContext,
    channel: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: UnregisterClientRequestHeader = req.decode_header()?;
    if let Some(g) = h.producer_group.as_deref().filter(|g| !g.is_empty()) {
        ctx.clients().unregister_producer(g, channel.id());
    }
    if let Some(g) = h.consumer_group.as_deref().filter(|g| !g.is_empty()) {
        if let Some(left) = ctx.clients().unregister_consumer(g, channel.id()) {
            departed(ctx, &[left]);
        }
    }
    Ok(RemotingCommand::success())
}

/// A channel closed: it leaves every group, and the groups that lost a member rebalance.
pub(crate) fn channel_closed(ctx: &BrokerContext, channel: &Channel) {
    let left = ctx.clients().channel_closed(channel.id());
    for d in &left {
        tracing::info!(group = %d.group, client_addr = %channel.remote_addr(), "consumer channel closed");
    }
    departed(ctx, &left);
}

/// Members left their groups: their queue locks are released at once (not after the lease),
/// and each group that lost a member is told to rebalance.
pub(crate) fn departed(ctx: &BrokerContext, left: &[Departure]) {
    let mut notified = std::collections::HashSet::new();
    for d in left {
        ctx.queue_locks().release_client(&d.group, &d.client_id);
        if !notified.insert(d.group.as_str()) {
            continue;
        }
        let notify = ctx
            .tables()
            .groups()
            .get(&d.group)
            .is_none_or(|c| c.notify_consumer_ids_changed_enable);
        if notify {
            notify_consumer_ids_changed(ctx, &d.group);
        }
    }
}

/// Sends NOTIFY_CONSUMER_IDS_CHANGED (one-way) to every member of `group`.
pub(crate) fn notify_consumer_ids_changed(ctx: &BrokerContext, group: &str) {
    let Some(g) = ctx.clients().consumer_group(group) else {
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
pub(crate) fn get_consumer_list_by_group(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: ConsumerGroupRequestHeader = req.decode_header()?;
    match ctx.clients().consumer_group(&h.consumer_group) {
        Some(g) => Ok(ok_json(&GetConsumerListByGroupResponseBody {
            consumer_id_list: g.client_ids(),
        })),
        None => Err(RequestError::system(format!(
            "no consumer for this group, {}",
            h.consumer_group
        ))),
    }
}

/// CHECK_CLIENT_CONFIG: a consumer asks whether its subscription is acceptable (SQL92 needs
/// `enablePropertyFilter`).
pub(crate) fn check_client_config(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let body: CheckClientRequestBody = from_fastjson_slice(&req.body.to_bytes())
        .map_err(|e| RequestError::system(format!("bad body: {e}")))?;
    let Some(sub) = body.subscription_data else {
        return Ok(RemotingCommand::success());
    };
    if sub.sub_string.len() > limits::MAX_EXPRESSION_LEN {
        return Err(RequestError::new(
            response_code::SUBSCRIPTION_PARSE_FAILED,
            format!(
                "the subscription expression is longer than {} bytes",
                limits::MAX_EXPRESSION_LEN
            ),
        ));
    }
    if sub.expression_type == ExpressionType::Sql92 {
        if !ctx.settings().get().broker.enable_property_filter {
            return Err(RequestError::system(
                "The broker does not support consumer to filter message by SQL92",
            ));
        }
        if let Err(e) = crate::filtering::compile(&sub) {
            return Err(RequestError::new(
                response_code::SUBSCRIPTION_PARSE_FAILED,
                format!("Parameter check error, or the SQL92 expression is invalid: {e}"),
            ));
        }
    }
    Ok(RemotingCommand::success())
}

/// The queues of a LOCK/UNLOCK_BATCH_MQ request, checked: a valid group and topics, a
/// bounded count.
fn lock_queues(group: &str, mqs: Vec<MessageQueue>) -> Result<Vec<MessageQueue>, RequestError> {
    request_error::group_name(group)?;
    if mqs.len() > limits::MAX_QUEUES_PER_LOCK_REQUEST {
        return Err(RequestError::invalid(format!(
            "at most {} queues per lock request",
            limits::MAX_QUEUES_PER_LOCK_REQUEST
        )));
    }
    for mq in &mqs {
        request_error::topic_name(&mq.topic)?;
    }
    Ok(mqs)
}

/// LOCK_BATCH_MQ: locks the queues of an orderly consumer.
pub(crate) fn lock_batch_mq(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let body: LockBatchRequestBody = from_fastjson_slice(&req.body.to_bytes())
        .map_err(|e| RequestError::system(format!("bad body: {e}")))?;
    if body.client_id.len() > limits::MAX_CLIENT_ID_LEN {
        return Err(RequestError::invalid("the client id is too long"));
    }
    let mqs = lock_queues(&body.consumer_group, body.mq_set.into_iter().collect())?;
    let locked =
        ctx.queue_locks()
            .lock(&body.consumer_group, &body.client_id, &mqs, Instant::now());
    Ok(ok_json(&LockBatchResponseBody {
        lock_ok_mq_set: locked,
    }))
}

/// UNLOCK_BATCH_MQ.
pub(crate) fn unlock_batch_mq(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let body: UnlockBatchRequestBody = from_fastjson_slice(&req.body.to_bytes())
        .map_err(|e| RequestError::system(format!("bad body: {e}")))?;
    let mqs = lock_queues(&body.consumer_group, body.mq_set.into_iter().collect())?;
    ctx.queue_locks()
        .unlock(&body.consumer_group, &body.client_id, &mqs);
    Ok(RemotingCommand::success())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::testing::{self, channel};

    fn heartbeat_request(group: &str, topic: &str) -> RemotingCommand {
        let body = serde_json::json!({
            "clientID": "127.0.0.1@unit",
            "consumerDataSet": [{ "groupName": group, "consumeType": "CONSUME_PASSIVELY",
                "messageModel": "CLUSTERING", "consumeFromWhere": "CONSUME_FROM_LAST_OFFSET",
                "subscriptionDataSet": [{ "topic": topic, "subString": "*", "subVersion": 1,
                    "expressionType": "TAG" }] }],
            "producerDataSet": [{ "groupName": "pg" }] });
        RemotingCommand::request(rc::HEART_BEAT).with_body(serde_json::to_vec(&body).unwrap())
    }

    #[tokio::test]
    async fn heartbeats_register_and_create_the_retry_topic() {
        let t = testing::context();
        let ch = channel();
        let r = heartbeat(&t, &ch, &heartbeat_request("cg", "T")).unwrap();
        assert_eq!(r.ext_fields.get(IS_SUB_CHANGE), Some("true"));
        let g = t.clients().consumer_group("cg").unwrap();
        assert!(g.subscriptions.contains_key("T"));
        assert_eq!(t.clients().producer_group("pg").len(), 1);
        assert!(t.tables().topics().get("%RETRY%cg").is_some());
        assert!(t.tables().groups().get("cg").is_some());
        let list = RemotingCommand::request_with(
            rc::GET_CONSUMER_LIST_BY_GROUP,
            &ConsumerGroupRequestHeader {
                consumer_group: "cg".into(),
            },
        );
        let r = get_consumer_list_by_group(&t, &ch, &list).unwrap();
        assert!(String::from_utf8_lossy(&r.body.to_bytes()).contains("127.0.0.1@unit"));
        channel_closed(&t, &ch);
        assert!(t.clients().consumer_group("cg").is_none());
    }

    #[tokio::test]
    async fn bad_heartbeats_change_nothing() {
        let t = testing::context();
        let e = heartbeat(&t, &channel(), &heartbeat_request("a/b", "T")).unwrap_err();
        assert_eq!(e.code(), response_code::INVALID_PARAMETER);
        let e = heartbeat(&t, &channel(), &heartbeat_request("cg", "../x")).unwrap_err();
        assert_eq!(e.code(), response_code::INVALID_PARAMETER);
        assert!(t.clients().consumer_groups().is_empty());
        assert!(t.tables().groups().get("cg").is_none());
    }

    #[tokio::test]
    async fn locks_are_exclusive_and_released() {
        let t = testing::context();
        let lock = |client: &str| {
            let body = serde_json::json!({ "consumerGroup": "ocg", "clientId": client,
                "mqSet": [{ "topic": "T", "brokerName": "b", "queueId": 0 }] });
            RemotingCommand::request(rc::LOCK_BATCH_MQ)
                .with_body(serde_json::to_vec(&body).unwrap())
        };
        let ch = channel();
        let got = |r: RemotingCommand| {
            String::from_utf8_lossy(&r.body.to_bytes()).contains("\"queueId\":0")
        };
        assert!(got(lock_batch_mq(&t, &ch, &lock("A")).unwrap()));
        assert!(
            !got(lock_batch_mq(&t, &ch, &lock("B")).unwrap()),
            "A holds it"
        );
        let mut unlock = lock("A");
        unlock.code = rc::UNLOCK_BATCH_MQ;
        unlock_batch_mq(&t, &ch, &unlock).unwrap();
        assert!(got(lock_batch_mq(&t, &ch, &lock("B")).unwrap()));
    }

    #[tokio::test]
    async fn sql92_needs_the_property_filter() {
        let check = |t: &BrokerContext, expr: &str| {
            let body = serde_json::json!({ "clientId": "c", "group": "g", "subscriptionData": {
                "topic": "T", "subString": expr, "expressionType": "SQL92" } });
            let req = RemotingCommand::request(rc::CHECK_CLIENT_CONFIG)
                .with_body(serde_json::to_vec(&body).unwrap());
            check_client_config(t, &channel(), &req)
                .map(|r| r.code)
                .unwrap_or_else(|e| e.code())
        };
        let off = testing::context();
        assert_eq!(check(&off, "a > 1"), response_code::SYSTEM_ERROR);
        let on = testing::context_with(|c| c.broker.enable_property_filter = true);
        assert_eq!(check(&on, "a > 1"), response_code::SUCCESS);
        assert_eq!(check(&on, "a >"), response_code::SUBSCRIPTION_PARSE_FAILED);
    }
}
