//! Offsets: QUERY/UPDATE_CONSUMER_OFFSET (14/15), GET_MAX/MIN_OFFSET (30/31),
//! SEARCH_OFFSET_BY_TIMESTAMP (29), GET_EARLIEST_MSG_STORETIME (32).

use ferromq_protocol::headers::*;
use ferromq_protocol::{response_code, RemotingCommand};
use ferromq_store::BoundaryType;

use super::header;
use crate::context::BrokerContext;
use crate::request_error::{self, respond, RequestError, RequestResult};

fn offset_response(offset: i64) -> RemotingCommand {
    RemotingCommand::success().with_header(&OffsetResponseHeader { offset })
}

/// QUERY_CONSUMER_OFFSET: the committed offset; when none, 0 if the queue still starts at
/// offset 0 with its first message in memory (Java's rule for new groups), else
/// QUERY_NOT_FOUND so the client applies its consume-from-where.
pub fn query_consumer_offset(ctx: &BrokerContext, req: &RemotingCommand) -> RemotingCommand {
    let h = header!(req, QueryConsumerOffsetRequestHeader);
    if let Some(o) = ctx.offsets.query(&h.consumer_group, &h.topic, h.queue_id) {
        return offset_response(o);
    }
    let min = ctx.store.min_offset_in_queue(&h.topic, h.queue_id);
    let zero_if_not_found = h.set_zero_if_not_found.unwrap_or(true);
    if zero_if_not_found && min <= 0 && first_message_in_memory(ctx, &h.topic, h.queue_id) {
        return offset_response(0);
    }
    RemotingCommand::error(
        response_code::QUERY_NOT_FOUND,
        "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first",
    )
}

fn first_message_in_memory(ctx: &BrokerContext, topic: &str, queue_id: i32) -> bool {
    match ctx.store.commit_log_offset_in_queue(topic, queue_id, 0) {
        Some(phys) => ctx.store.is_in_memory(phys, 1),
        None => false,
    }
}

/// UPDATE_CONSUMER_OFFSET (usually one-way). As Java: the group and the topic must exist
/// (the group is auto-created when allowed); the queue must be one of the topic's, so a
/// client cannot grow the offset table with made-up names or queue ids.
pub fn update_consumer_offset(ctx: &BrokerContext, req: &RemotingCommand) -> RemotingCommand {
    respond(update_offset(ctx, req))
}

fn update_offset(ctx: &BrokerContext, req: &RemotingCommand) -> RequestResult {
    let h: UpdateConsumerOffsetRequestHeader = req.decode_header()?;
    request_error::group_name(&h.consumer_group)?;
    request_error::topic_name(&h.topic)?;
    let Some(topic) = ctx.topics.get(&h.topic) else {
        return Err(RequestError::new(
            response_code::TOPIC_NOT_EXIST,
            format!("Topic {} not exist!", h.topic),
        ));
    };
    let Some((_, created)) = ctx.groups.find_or_create(&h.consumer_group) else {
        return Err(RequestError::new(
            response_code::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("Group {} not exist!", h.consumer_group),
        ));
    };
    if created {
        ctx.groups_changed();
    }
    let queues = topic.read_queue_nums.max(topic.write_queue_nums);
    if h.queue_id < 0 || h.queue_id >= queues {
        return Err(RequestError::invalid(format!(
            "queueId[{}] is illegal, topic {} has {queues} queues",
            h.queue_id, h.topic
        )));
    }
    ctx.offsets
        .commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    Ok(RemotingCommand::success())
}

/// GET_MAX_OFFSET: the next offset to be written.
pub fn get_max_offset(ctx: &BrokerContext, req: &RemotingCommand) -> RemotingCommand {
    let h = header!(req, GetMaxOffsetRequestHeader);
    offset_response(ctx.store.max_offset_in_queue(&h.topic, h.queue_id))
}

/// GET_MIN_OFFSET.
pub fn get_min_offset(ctx: &BrokerContext, req: &RemotingCommand) -> RemotingCommand {
    let h = header!(req, TopicQueueRequestHeader);
    offset_response(ctx.store.min_offset_in_queue(&h.topic, h.queue_id))
}

/// SEARCH_OFFSET_BY_TIMESTAMP.
pub fn search_offset_by_timestamp(ctx: &BrokerContext, req: &RemotingCommand) -> RemotingCommand {
    let h = header!(req, SearchOffsetRequestHeader);
    let boundary = match h.boundary_type.as_deref() {
        Some(b) if b.eq_ignore_ascii_case("upper") => BoundaryType::Upper,
        _ => BoundaryType::Lower,
    };
    offset_response(
        ctx.store
            .offset_by_time(&h.topic, h.queue_id, h.timestamp, boundary),
    )
}

/// GET_EARLIEST_MSG_STORETIME.
pub fn get_earliest_msg_storetime(ctx: &BrokerContext, req: &RemotingCommand) -> RemotingCommand {
    let h = header!(req, TopicQueueRequestHeader);
    let ts = ctx
        .store
        .earliest_message_time_in_queue(&h.topic, h.queue_id)
        .unwrap_or(-1);
    RemotingCommand::success().with_header(&GetEarliestMsgStoretimeResponseHeader { timestamp: ts })
}
