//! Consumer/producer group administration: connections, subscription groups and the queries
//! consoles use.

use std::collections::{BTreeMap, BTreeSet};

use ferromq_model::fastjson::from_fastjson_slice;
use ferromq_model::{
    Connection, ConsumerConnection, GroupList, ProducerConnection, SubscriptionGroupConfig,
    SubscriptionGroupList, TopicList,
};
use ferromq_protocol::headers::*;
use ferromq_protocol::time::now_ms;
use ferromq_protocol::{response_code, RemotingCommand};
use ferromq_remoting::{ok_json, Channel, RequestError, RequestResult};

use crate::clients::ClientChannel;
use crate::context::BrokerContext;
use crate::names;

fn connection(m: &ClientChannel) -> Connection {
    Connection {
        client_addr: m.channel.remote_addr().to_string(),
        client_id: m.client_id.clone(),
        language: m.language.name().to_string(),
        version: m.version,
    }
}

fn bad_body(e: impl std::fmt::Display) -> RequestError {
    RequestError::system(format!("bad body: {e}"))
}

/// GET_CONSUMER_CONNECTION_LIST (203).
pub(crate) fn consumer_connections(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: ConsumerGroupRequestHeader = req.decode_header()?;
    let Some(g) = ctx.clients().consumer_group(&h.consumer_group) else {
        return Err(RequestError::new(
            response_code::CONSUMER_NOT_ONLINE,
            format!("the consumer group[{}] not online", h.consumer_group),
        ));
    };
    let mut connection_set: Vec<Connection> = g.members.values().map(connection).collect();
    connection_set.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    Ok(ok_json(&ConsumerConnection {
        connection_set,
        consume_from_where: Some(g.consume_from_where),
        consume_type: Some(g.consume_type),
        message_model: Some(g.message_model),
        subscription_table: g.subscriptions.clone(),
    }))
}

/// GET_PRODUCER_CONNECTION_LIST (204).
pub(crate) fn producer_connections(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: ProducerGroupRequestHeader = req.decode_header()?;
    let members = ctx.clients().producer_group(&h.producer_group);
    if members.is_empty() {
        return Err(RequestError::system(format!(
            "the producer group[{}] not exist",
            h.producer_group
        )));
    }
    let mut connection_set: Vec<Connection> = members.iter().map(connection).collect();
    connection_set.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    Ok(ok_json(&ProducerConnection { connection_set }))
}

/// GET_ALL_PRODUCER_INFO (328): `{"groupChannelTable":{group:[producerInfo…]}}`.
pub(crate) fn all_producers(
    ctx: &BrokerContext,
    _: &Channel,
    _: &RemotingCommand,
) -> RequestResult {
    let mut table: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for (group, members) in ctx.clients().producer_groups() {
        let list = members
            .iter()
            .map(|m| {
                serde_json::json!({
                    "clientId": m.client_id,
                    "remoteIP": m.channel.remote_addr().to_string(),
                    "language": m.language.name(),
                    "version": m.version,
                    "lastUpdateTimestamp": now_ms() - m.last_update.elapsed().as_millis() as i64,
                })
            })
            .collect();
        table.insert(group, list);
    }
    Ok(ok_json(&serde_json::json!({ "groupChannelTable": table })))
}

/// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200).
pub(crate) fn update_group(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let cfg: SubscriptionGroupConfig =
        from_fastjson_slice(&req.body.to_bytes()).map_err(bad_body)?;
    names::group_name(&cfg.group_name)?;
    ctx.tables().groups().put(cfg);
    ctx.groups_changed();
    Ok(RemotingCommand::success())
}

/// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST (225): all or nothing.
pub(crate) fn update_group_list(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let list: SubscriptionGroupList =
        from_fastjson_slice(&req.body.to_bytes()).map_err(bad_body)?;
    for cfg in &list.group_config_list {
        names::group_name(&cfg.group_name)?;
    }
    for cfg in list.group_config_list {
        ctx.tables().groups().put(cfg);
    }
    ctx.groups_changed();
    Ok(RemotingCommand::success())
}

/// GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201).
pub(crate) fn all_groups(ctx: &BrokerContext, _: &Channel, _: &RemotingCommand) -> RequestResult {
    Ok(ok_json(&ctx.tables().groups().wrapper()))
}

/// GET_SUBSCRIPTIONGROUP_CONFIG (352).
pub(crate) fn get_group(ctx: &BrokerContext, _: &Channel, req: &RemotingCommand) -> RequestResult {
    let h: GroupRequestHeader = req.decode_header()?;
    match ctx.tables().groups().get(&h.group) {
        Some(g) => Ok(ok_json(&g)),
        None => Err(RequestError::new(
            response_code::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("The consumer group {} not exist", h.group),
        )),
    }
}

/// DELETE_SUBSCRIPTIONGROUP (207), optionally with its offsets.
pub(crate) fn delete_group(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: DeleteSubscriptionGroupRequestHeader = req.decode_header()?;
    ctx.tables().groups().delete(&h.group_name);
    if h.clean_offset.unwrap_or(false) {
        ctx.tables().offsets().remove_group(&h.group_name, None);
    }
    ctx.groups_changed();
    Ok(RemotingCommand::success())
}

/// QUERY_TOPIC_CONSUME_BY_WHO (300): groups online for, or with offsets on, a topic.
pub(crate) fn topic_consumed_by(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: TopicRequestHeader = req.decode_header()?;
    let mut groups: BTreeSet<String> = ctx
        .clients()
        .groups_subscribing(&h.topic)
        .into_iter()
        .collect();
    groups.extend(ctx.tables().offsets().groups_of_topic(&h.topic));
    Ok(ok_json(&GroupList { group_list: groups }))
}

/// QUERY_TOPICS_BY_CONSUMER (343).
pub(crate) fn topics_of_consumer(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: GroupRequestHeader = req.decode_header()?;
    let mut topics: BTreeSet<String> = ctx
        .tables()
        .offsets()
        .topics_of_group(&h.group)
        .into_iter()
        .collect();
    if let Some(g) = ctx.clients().consumer_group(&h.group) {
        topics.extend(g.subscriptions.keys().cloned());
    }
    Ok(ok_json(&TopicList {
        broker_addr: Some(ctx.identity().addr()),
        topic_list: topics,
    }))
}

/// QUERY_SUBSCRIPTION_BY_CONSUMER (345).
pub(crate) fn subscription_of_consumer(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: QuerySubscriptionByConsumerRequestHeader = req.decode_header()?;
    let sub = h
        .topic
        .as_deref()
        .and_then(|t| ctx.clients().subscription(&h.group, t));
    Ok(ok_json(&serde_json::json!({
        "group": h.group,
        "subscriptionData": sub,
        "topic": h.topic,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::testing::{self, channel};
    use ferromq_protocol::request_code as rc;

    #[tokio::test]
    async fn groups_are_created_read_and_deleted() {
        let t = testing::context();
        let ch = channel();
        let create = |name: &str| {
            RemotingCommand::request(rc::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP).with_body(
                serde_json::to_vec(&serde_json::json!({ "groupName": name, "retryMaxTimes": 3 }))
                    .unwrap(),
            )
        };
        update_group(&t, &ch, &create("g1")).unwrap();
        assert_eq!(t.tables().groups().get("g1").unwrap().retry_max_times, 3);
        assert_eq!(
            update_group(&t, &ch, &create("a.b")).unwrap_err().code(),
            response_code::INVALID_PARAMETER
        );
        let get = RemotingCommand::request_with(
            rc::GET_SUBSCRIPTIONGROUP_CONFIG,
            &GroupRequestHeader { group: "g1".into() },
        );
        assert!(get_group(&t, &ch, &get).is_ok());
        let del = RemotingCommand::request_with(
            rc::DELETE_SUBSCRIPTIONGROUP,
            &DeleteSubscriptionGroupRequestHeader {
                group_name: "g1".into(),
                clean_offset: Some(true),
            },
        );
        delete_group(&t, &ch, &del).unwrap();
        assert_eq!(
            get_group(&t, &ch, &get).unwrap_err().code(),
            response_code::SUBSCRIPTION_GROUP_NOT_EXIST
        );
        let none = RemotingCommand::request_with(
            rc::GET_CONSUMER_CONNECTION_LIST,
            &ConsumerGroupRequestHeader {
                consumer_group: "g1".into(),
            },
        );
        assert_eq!(
            consumer_connections(&t, &ch, &none).unwrap_err().code(),
            response_code::CONSUMER_NOT_ONLINE
        );
    }
}
