//! Offsets: QUERY/UPDATE_CONSUMER_OFFSET (14/15), GET_MAX/MIN_OFFSET (30/31),
//! SEARCH_OFFSET_BY_TIMESTAMP (29), GET_EARLIEST_MSG_STORETIME (32). Each takes the tables and
//! the store, nothing else.

use ferromq_protocol::headers::*;
use ferromq_protocol::{response_code, RemotingCommand};
use ferromq_remoting::{Channel, RequestError, RequestResult};
use ferromq_store::{BoundaryType, MessageStore};

use crate::context::BrokerContext;
use crate::names;
use crate::tables::Tables;

fn offset_response(offset: i64) -> RequestResult {
    Ok(RemotingCommand::success().with_header(&OffsetResponseHeader { offset }))
}

/// QUERY_CONSUMER_OFFSET.
pub(crate) fn query_consumer_offset(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    query(ctx.tables(), ctx.store(), req)
}

/// The committed offset; when none, 0 if the queue still starts at offset 0 with its first
/// message in memory (Java's rule for new groups), else QUERY_NOT_FOUND so the client applies
/// its consume-from-where.
pub(crate) fn query(tables: &Tables, store: &MessageStore, req: &RemotingCommand) -> RequestResult {
    let h: QueryConsumerOffsetRequestHeader = req.decode_header()?;
    if let Some(o) = tables
        .offsets()
        .query(&h.consumer_group, &h.topic, h.queue_id)
    {
        return offset_response(o);
    }
    let min = store.min_offset_in_queue(&h.topic, h.queue_id);
    let zero_if_not_found = h.set_zero_if_not_found.unwrap_or(true);
    let first_in_memory = store
        .commit_log_offset_in_queue(&h.topic, h.queue_id, 0)
        .is_some_and(|phys| store.is_in_memory(phys, 1));
    if zero_if_not_found && min <= 0 && first_in_memory {
        return offset_response(0);
    }
    Err(RequestError::new(
        response_code::QUERY_NOT_FOUND,
        "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first",
    ))
}

/// UPDATE_CONSUMER_OFFSET (usually one-way).
pub(crate) fn update_consumer_offset(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let changed = update(ctx.tables(), req)?;
    if changed.group_created {
        ctx.groups_changed();
    }
    Ok(RemotingCommand::success())
}

/// What an offset update changed besides the offset.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Updated {
    /// The group was auto-created (persist it).
    pub group_created: bool,
}

/// As Java: the group and the topic must exist (the group is auto-created when allowed); the
/// queue must be one of the topic's, so a client cannot grow the offset table with made-up
/// names or queue ids.
pub(crate) fn update(tables: &Tables, req: &RemotingCommand) -> Result<Updated, RequestError> {
    let h: UpdateConsumerOffsetRequestHeader = req.decode_header()?;
    names::group_name(&h.consumer_group)?;
    names::topic_name(&h.topic)?;
    let Some(topic) = tables.topics().get(&h.topic) else {
        return Err(RequestError::new(
            response_code::TOPIC_NOT_EXIST,
            format!("Topic {} not exist!", h.topic),
        ));
    };
    let Some((_, group_created)) = tables.groups().find_or_create(&h.consumer_group) else {
        return Err(RequestError::new(
            response_code::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("Group {} not exist!", h.consumer_group),
        ));
    };
    let queues = topic.read_queue_nums.max(topic.write_queue_nums);
    if h.queue_id < 0 || h.queue_id >= queues {
        return Err(RequestError::invalid(format!(
            "queueId[{}] is illegal, topic {} has {queues} queues",
            h.queue_id, h.topic
        )));
    }
    tables
        .offsets()
        .commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    Ok(Updated { group_created })
}

/// GET_MAX_OFFSET: the next offset to be written.
pub(crate) fn get_max_offset(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: GetMaxOffsetRequestHeader = req.decode_header()?;
    offset_response(ctx.store().max_offset_in_queue(&h.topic, h.queue_id))
}

/// GET_MIN_OFFSET.
pub(crate) fn get_min_offset(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: TopicQueueRequestHeader = req.decode_header()?;
    offset_response(ctx.store().min_offset_in_queue(&h.topic, h.queue_id))
}

/// SEARCH_OFFSET_BY_TIMESTAMP.
pub(crate) fn search_offset_by_timestamp(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: SearchOffsetRequestHeader = req.decode_header()?;
    let boundary = match h.boundary_type.as_deref() {
        Some(b) if b.eq_ignore_ascii_case("upper") => BoundaryType::Upper,
        _ => BoundaryType::Lower,
    };
    offset_response(
        ctx.store()
            .offset_by_time(&h.topic, h.queue_id, h.timestamp, boundary),
    )
}

/// GET_EARLIEST_MSG_STORETIME.
pub(crate) fn get_earliest_msg_storetime(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: TopicQueueRequestHeader = req.decode_header()?;
    let timestamp = ctx
        .store()
        .earliest_message_time_in_queue(&h.topic, h.queue_id)
        .unwrap_or(-1);
    Ok(
        RemotingCommand::success()
            .with_header(&GetEarliestMsgStoretimeResponseHeader { timestamp }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::testing;
    use ferromq_protocol::request_code as rc;

    fn update_req(group: &str, topic: &str, queue_id: i32, offset: i64) -> RemotingCommand {
        RemotingCommand::request_with(
            rc::UPDATE_CONSUMER_OFFSET,
            &UpdateConsumerOffsetRequestHeader {
                consumer_group: group.into(),
                topic: topic.into(),
                queue_id,
                commit_offset: offset,
            },
        )
    }

    fn query_req(group: &str, topic: &str, queue_id: i32) -> RemotingCommand {
        RemotingCommand::request_with(
            rc::QUERY_CONSUMER_OFFSET,
            &QueryConsumerOffsetRequestHeader {
                consumer_group: group.into(),
                topic: topic.into(),
                queue_id,
                set_zero_if_not_found: Some(false),
            },
        )
    }

    #[test]
    fn commits_are_checked_and_queried_back() {
        let t = testing::context();
        let tables = t.tables();
        tables
            .topics()
            .put(ferromq_model::TopicConfig::with_queues("T", 2, 2, 6))
            .unwrap();
        let code = |r: Result<Updated, RequestError>| r.map(|_| 0).unwrap_or_else(|e| e.code());
        assert_eq!(
            update(tables, &update_req("cg", "T", 1, 42)),
            Ok(Updated {
                group_created: true
            })
        );
        let r = query(tables, t.store(), &query_req("cg", "T", 1)).unwrap();
        let h: OffsetResponseHeader = r.decode_header().unwrap();
        assert_eq!(h.offset, 42);
        assert_eq!(
            code(update(tables, &update_req("cg", "Nope", 0, 1))),
            response_code::TOPIC_NOT_EXIST
        );
        assert_eq!(
            code(update(tables, &update_req("cg", "T", 2, 1))),
            response_code::INVALID_PARAMETER,
            "not one of the topic's queues"
        );
        assert_eq!(
            code(update(tables, &update_req("a/b", "T", 0, 1))),
            response_code::INVALID_PARAMETER
        );
        let e = query(tables, t.store(), &query_req("other", "T", 0)).unwrap_err();
        assert_eq!(e.code(), response_code::QUERY_NOT_FOUND);
    }
}
