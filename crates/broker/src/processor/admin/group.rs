//! Consumer/producer group administration: connections, subscription groups, offset resets
//! and the queries consoles use.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use ferromq_model::fastjson::from_fastjson_slice;
use ferromq_model::{
    Connection, ConsumerConnection, ConsumerOffsetSerializeWrapper, GroupList, MessageQueue,
    ProducerConnection, ResetOffsetBody, SubscriptionGroupConfig, SubscriptionGroupList, TopicList,
};
use ferromq_protocol::headers::*;
use ferromq_protocol::{request_code as rc, response_code, RemotingCommand};
use ferromq_store::BoundaryType;

use crate::clients::ClientChannel;
use crate::context::BrokerContext;
use crate::processor::{header, ok_json};

fn connection(m: &ClientChannel) -> Connection {
    Connection {
        client_addr: m.channel.remote_addr().to_string(),
        client_id: m.client_id.clone(),
        language: m.language.name().to_string(),
        version: m.version,
    }
}

/// GET_CONSUMER_CONNECTION_LIST (203).
pub fn consumer_connections(ctx: &BrokerContext, req: &RemotingCommand) -> RemotingCommand {
    let h = header!(req, ConsumerGroupRequestHeader);
    let Some(g) = ctx.clients.consumer_group(&h.consumer_group) else {
        return RemotingCommand::error(
            response_code::CONSUMER_NOT_ONLINE,
            format!("the consumer group[{}] not online", h.consumer_group),
        );
    };
    let mut connection_set: Vec<Connection> = g.members.values().map(connection).collect();
    connection_set.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    ok_json(&ConsumerConnection {
        connection_set,
        consume_from_where: Some(g.consume_from_where),
        consume_type: Some(g.consume_type),
        message_model: Some(g.message_model),
        subscription_table: g.subscriptions.clone(),
    })
}

/// GET_PRODUCER_CONNECTION_LIST (204).
pub fn producer_connections(ctx: &BrokerContext, req: &RemotingCommand) -> RemotingCommand {
    let h = header!(req, ProducerGroupRequestHeader);
    let members = ctx.clients.producer_group(&h.producer_group);
    if members.is_empty() {
        return RemotingCommand::error(
            response_code::SYSTEM_ERROR,
            format!("the producer group[{}] not exist", h.producer_group),
        );
    }
    let mut connection_set: Vec<Connection> = members.iter().map(connection).collect();
    connection_set.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    ok_json(&ProducerConnection { connection_set })
}

/// GET_ALL_PRODUCER_INFO (328): `{"groupChannelTable":{group:[producerInfo…]}}`.
pub fn all_producers(ctx: &BrokerContext) -> RemotingCommand {
    let mut table: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for (group, members) in ctx.clients.producer_groups() {
        let list = members
            .iter()
            .map(|m| {
                serde_json::json!({
                    "clientId": m.client_id,
                    "remoteIP": m.channel.remote_addr().to_string(),
                    "language": m.language.name(),
                    "version": m.version,
                    "lastUpdateTimestamp": crate::processor::now_ms() - m.last_update.elapsed().as_millis() as i64,
                })
            })
            .collect();
        table.insert(group, list);
    }
    ok_json(&serde_json::json!({ "groupChannelTable": table }))
}

/// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200).
pub fn update_group(ctx: &Arc<BrokerContext>, req: &RemotingCommand) -> RemotingCommand {
    let cfg: SubscriptionGroupConfig = match from_fastjson_slice(&req.body.to_bytes()) {
        Ok(c) => c,
        Err(e) => {
            return RemotingCommand::error(response_code::SYSTEM_ERROR, format!("bad body: {e}"))
        }
    };
    if let Err(e) = ferromq_model::validate::validate_group(&cfg.group_name) {
        return RemotingCommand::error(response_code::INVALID_PARAMETER, e.to_string());
    }
    ctx.groups.put(cfg);
    ctx.groups_changed();
    RemotingCommand::success()
}

/// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST (225).
pub fn update_group_list(ctx: &Arc<BrokerContext>, req: &RemotingCommand) -> RemotingCommand {
    let list: SubscriptionGroupList = match from_fastjson_slice(&req.body.to_bytes()) {
        Ok(c) => c,
        Err(e) => {
            return RemotingCommand::error(response_code::SYSTEM_ERROR, format!("bad body: {e}"))
        }
    };
    for cfg in &list.group_config_list {
        if let Err(e) = ferromq_model::validate::validate_group(&cfg.group_name) {
            return RemotingCommand::error(response_code::INVALID_PARAMETER, e.to_string());
        }
    }
    for cfg in list.group_config_list {
        ctx.groups.put(cfg);
    }
    ctx.groups_changed();
    RemotingCommand::success()
}

/// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201).
pub fn all_groups(ctx: &BrokerContext) -> RemotingCommand {
    ok_json(&ctx.groups.wrapper())
}

/// GET_SUBSCRIPTIONGROUP_CONFIG (352).
pub fn get_group(ctx: &BrokerContext, req: &RemotingCommand) -> RemotingCommand {
    let h = header!(req, GroupRequestHeader);
    match ctx.groups.get(&h.group) {
        Some(g) => ok_json(&g),
        None => RemotingCommand::error(
            response_code::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("The consumer group {} not exist", h.group),
        ),
    }
}

/// DELETE_SUBSCRIPTIONGROUP (207), optionally with its offsets.
pub fn delete_group(ctx: &Arc<BrokerContext>, req: &RemotingCommand) -> RemotingCommand {
    let h = header!(req, DeleteSubscriptionGroupRequestHeader);
    ctx.groups.delete(&h.group_name);
    if h.clean_offset.unwrap_or(false) {
        ctx.offsets.remove_group(&h.group_name, None);
    }
    ctx.groups_changed();
    RemotingCommand::success()
}

/// INVOKE_BROKER_TO_RESET_OFFSET (222), server side as Java 5.x does by default: the table
/// changes now and each queue's next pull is told where to continue.
pub fn reset_offset(ctx: &BrokerContext, req: &RemotingCommand) -> RemotingCommand {
    let h = header!(req, ResetOffsetRequestHeader);
    if ctx.broker_id != 0 {
        return RemotingCommand::error(
            response_code::SYSTEM_ERROR,
            "Can not reset offset in slave broker",
        );
    }
    let Some(cfg) = ctx.topics.get(&h.topic) else {
        return RemotingCommand::error(
            response_code::TOPIC_NOT_EXIST,
            format!("Topic {} does not exist", h.topic),
        );
    };
    if ctx.groups.get(&h.group).is_none() {
        return RemotingCommand::error(
            response_code::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("Group {} does not exist", h.group),
        );
    }
    let search = |q: i32| -> i64 {
        if h.timestamp == -1 {
            ctx.store.max_offset_in_queue(&h.topic, q)
        } else {
            ctx.store
                .offset_by_time(&h.topic, q, h.timestamp, BoundaryType::Lower)
        }
    };
    let mut offsets: BTreeMap<i32, i64> = BTreeMap::new();
    match h.queue_id.filter(|q| *q >= 0) {
        Some(q) => {
            let offset = match h.offset.filter(|o| *o != -1) {
                Some(o) => {
                    let min = ctx.store.min_offset_in_queue(&h.topic, q);
                    let max = ctx.store.max_offset_in_queue(&h.topic, q);
                    if (min >= 0 && o < min) || o > max + 1 {
                        return RemotingCommand::error(
                            response_code::SYSTEM_ERROR,
                            format!("Target offset {o} not in consume queue range [{min}-{max}]"),
                        );
                    }
                    o
                }
                None => search(q),
            };
            offsets.insert(q, offset);
        }
        None => {
            for q in 0..cfg.read_queue_nums {
                offsets.insert(q, search(q));
            }
        }
    }
    if offsets.is_empty() {
        return RemotingCommand::error(response_code::SYSTEM_ERROR, "No queues to reset.");
    }
    let mut body = ResetOffsetBody {
        offset_table: HashMap::new(),
    };
    for (q, o) in offsets {
        ctx.offsets.assign_reset(&h.group, &h.topic, q, o);
        body.offset_table.insert(
            MessageQueue::new(h.topic.clone(), ctx.broker_name.clone(), q),
            o,
        );
    }
    tracing::info!(topic = %h.topic, group = %h.group, timestamp = h.timestamp, "consumer offsets reset");
    match body.to_fastjson_string() {
        Ok(s) => RemotingCommand::success().with_body(s),
        Err(e) => RemotingCommand::error(response_code::SYSTEM_ERROR, e.to_string()),
    }
}

/// QUERY_TOPIC_CONSUME_BY_WHO (300): groups online for, or with offsets on, a topic.
pub fn topic_consumed_by(ctx: &BrokerContext, req: &RemotingCommand) -> RemotingCommand {
    let h = header!(req, TopicRequestHeader);
    let mut groups: BTreeSet<String> = ctx
        .clients
        .groups_subscribing(&h.topic)
        .into_iter()
        .collect();
    groups.extend(ctx.offsets.groups_of_topic(&h.topic));
    ok_json(&GroupList { group_list: groups })
}

/// QUERY_TOPICS_BY_CONSUMER (343).
pub fn topics_of_consumer(ctx: &BrokerContext, req: &RemotingCommand) -> RemotingCommand {
    let h = header!(req, GroupRequestHeader);
    let mut topics: BTreeSet<String> = ctx.offsets.topics_of_group(&h.group).into_iter().collect();
    if let Some(g) = ctx.clients.consumer_group(&h.group) {
        topics.extend(g.subscriptions.keys().cloned());
    }
    ok_json(&TopicList {
        broker_addr: Some(ctx.broker_addr()),
        topic_list: topics,
    })
}

/// QUERY_SUBSCRIPTION_BY_CONSUMER (345).
pub fn subscription_of_consumer(ctx: &BrokerContext, req: &RemotingCommand) -> RemotingCommand {
    let h = header!(req, QuerySubscriptionByConsumerRequestHeader);
    let sub = h
        .topic
        .as_deref()
        .and_then(|t| ctx.clients.subscription(&h.group, t));
    ok_json(&serde_json::json!({
        "group": h.group,
        "subscriptionData": sub,
        "topic": h.topic,
    }))
}

/// GET_ALL_CONSUMER_OFFSET (43): consumerOffset.json as served to slaves.
pub fn all_consumer_offsets(ctx: &BrokerContext) -> RemotingCommand {
    let w: ConsumerOffsetSerializeWrapper = ctx.offsets.wrapper();
    ok_json(&w)
}

/// GET_ALL_DELAY_OFFSET (45): delayOffset.json.
pub fn all_delay_offsets(ctx: &BrokerContext) -> RemotingCommand {
    ok_json(&ctx.delay_offsets.wrapper())
}

/// CLONE_GROUP_OFFSET (314).
pub fn clone_group_offset(ctx: &BrokerContext, req: &RemotingCommand) -> RemotingCommand {
    let h = header!(req, CloneGroupOffsetRequestHeader);
    if let Err(e) = ferromq_model::validate::validate_group(&h.dest_group) {
        return RemotingCommand::error(response_code::INVALID_PARAMETER, e.to_string());
    }
    ctx.offsets
        .clone_group(&h.src_group, &h.dest_group, h.topic.as_deref());
    RemotingCommand::success()
}

/// GET_CONSUMER_RUNNING_INFO (307) / CONSUME_MESSAGE_DIRECTLY (309): forwarded to the client
/// named in the header, its answer returned.
pub async fn relay_to_client(ctx: &BrokerContext, req: RemotingCommand) -> RemotingCommand {
    let mut body = req.body.clone();
    let mut ext = req.ext_fields.clone();
    let (group, client) = match req.code {
        rc::GET_CONSUMER_RUNNING_INFO => {
            let h = header!(req, GetConsumerRunningInfoRequestHeader);
            (h.consumer_group, Some(h.client_id))
        }
        _ => {
            // The client consumes the stored record named by the offset msgId.
            let h = header!(req, ConsumeMessageDirectlyResultRequestHeader);
            let Some(phys) = h
                .msg_id
                .as_deref()
                .and_then(|id| ferromq_protocol::message::id::decode_offset_msg_id(id).ok())
                .map(|id| id.commit_log_offset)
            else {
                return RemotingCommand::error(
                    response_code::SYSTEM_ERROR,
                    "msgId is not an offset message id",
                );
            };
            match ctx.store.message_by_phys_offset(phys) {
                Some((record, _)) => body = record.into(),
                None => {
                    return RemotingCommand::error(
                        response_code::SYSTEM_ERROR,
                        format!("can not find message by the offset, {phys}"),
                    )
                }
            }
            ext.insert("brokerName", ctx.broker_name.clone());
            (h.consumer_group, h.client_id)
        }
    };
    let Some(client) = client else {
        return RemotingCommand::error(response_code::SYSTEM_ERROR, "clientId is required");
    };
    let Some(channel) = ctx.clients.find_consumer_channel(&group, &client) else {
        return RemotingCommand::error(
            response_code::SYSTEM_ERROR,
            format!("The Consumer <{client}> <{group}> not online"),
        );
    };
    let mut fwd = RemotingCommand::request(req.code).with_body(body);
    fwd.ext_fields = ext;
    match channel.request(fwd, Duration::from_secs(5)).await {
        Ok(resp) => {
            let mut out = RemotingCommand::response(resp.code).with_body(resp.body);
            out.remark = resp.remark;
            out.ext_fields = resp.ext_fields;
            out
        }
        Err(e) => RemotingCommand::error(
            response_code::SYSTEM_ERROR,
            format!("invoke consumer <{client}> <{group}> failed: {e}"),
        ),
    }
}
