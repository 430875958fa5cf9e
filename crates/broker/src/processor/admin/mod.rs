//! Admin requests (what mqadmin and consoles send): topics, groups, configs, runtime info,
//! statistics, offset resets.

mod config;
mod group;
mod stats;
mod topic;

use std::sync::Arc;

use ferromq_protocol::{request_code as rc, RemotingCommand};
use ferromq_remoting::Channel;

use crate::context::BrokerContext;
use crate::request_error::respond;

const CODES: &[i32] = &[
    rc::UPDATE_AND_CREATE_TOPIC,
    rc::UPDATE_AND_CREATE_TOPIC_LIST,
    rc::DELETE_TOPIC_IN_BROKER,
    rc::GET_ALL_TOPIC_CONFIG,
    rc::GET_TOPIC_CONFIG,
    rc::GET_TOPIC_NAME_LIST,
    rc::GET_SYSTEM_TOPIC_LIST_FROM_BROKER,
    rc::UPDATE_BROKER_CONFIG,
    rc::GET_BROKER_CONFIG,
    rc::GET_BROKER_RUNTIME_INFO,
    rc::GET_TOPIC_STATS_INFO,
    rc::GET_CONSUME_STATS,
    rc::GET_CONSUMER_CONNECTION_LIST,
    rc::GET_PRODUCER_CONNECTION_LIST,
    rc::GET_ALL_PRODUCER_INFO,
    rc::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
    rc::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST,
    rc::GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
    rc::GET_SUBSCRIPTIONGROUP_CONFIG,
    rc::DELETE_SUBSCRIPTIONGROUP,
    rc::INVOKE_BROKER_TO_RESET_OFFSET,
    rc::QUERY_TOPIC_CONSUME_BY_WHO,
    rc::QUERY_TOPICS_BY_CONSUMER,
    rc::QUERY_SUBSCRIPTION_BY_CONSUMER,
    rc::QUERY_CONSUME_TIME_SPAN,
    rc::GET_ALL_CONSUMER_OFFSET,
    rc::GET_ALL_DELAY_OFFSET,
    rc::CLONE_GROUP_OFFSET,
    rc::GET_CONSUMER_RUNNING_INFO,
    rc::CONSUME_MESSAGE_DIRECTLY,
];

/// Whether `code` is an admin request this broker serves.
pub fn serves(code: i32) -> bool {
    CODES.contains(&code)
}

/// Processes an admin request.
pub async fn process(
    ctx: &Arc<BrokerContext>,
    channel: &Channel,
    req: RemotingCommand,
) -> RemotingCommand {
    let resp = match req.code {
        rc::UPDATE_AND_CREATE_TOPIC => respond(topic::create_topic(ctx, &req).await),
        rc::UPDATE_AND_CREATE_TOPIC_LIST => respond(topic::create_topic_list(ctx, &req).await),
        rc::DELETE_TOPIC_IN_BROKER => respond(topic::delete_topic(ctx, &req).await),
        rc::GET_ALL_TOPIC_CONFIG => topic::get_all_topic_config(ctx),
        rc::GET_TOPIC_CONFIG => topic::get_topic_config(ctx, &req),
        rc::GET_TOPIC_NAME_LIST => topic::get_topic_name_list(ctx),
        rc::GET_SYSTEM_TOPIC_LIST_FROM_BROKER => topic::get_system_topic_list(ctx),
        rc::UPDATE_BROKER_CONFIG => config::update_broker_config(ctx, &req),
        rc::GET_BROKER_CONFIG => config::get_broker_config(ctx),
        rc::GET_BROKER_RUNTIME_INFO => stats::runtime_info(ctx),
        rc::GET_TOPIC_STATS_INFO => stats::topic_stats(ctx, &req),
        rc::GET_CONSUME_STATS => stats::consume_stats(ctx, &req),
        rc::QUERY_CONSUME_TIME_SPAN => stats::consume_time_span(ctx, &req),
        rc::GET_CONSUMER_CONNECTION_LIST => group::consumer_connections(ctx, &req),
        rc::GET_PRODUCER_CONNECTION_LIST => group::producer_connections(ctx, &req),
        rc::GET_ALL_PRODUCER_INFO => group::all_producers(ctx),
        rc::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP => group::update_group(ctx, &req),
        rc::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST => group::update_group_list(ctx, &req),
        rc::GET_ALL_SUBSCRIPTIONGROUP_CONFIG => group::all_groups(ctx),
        rc::GET_SUBSCRIPTIONGROUP_CONFIG => group::get_group(ctx, &req),
        rc::DELETE_SUBSCRIPTIONGROUP => group::delete_group(ctx, &req),
        rc::INVOKE_BROKER_TO_RESET_OFFSET => group::reset_offset(ctx, &req),
        rc::QUERY_TOPIC_CONSUME_BY_WHO => group::topic_consumed_by(ctx, &req),
        rc::QUERY_TOPICS_BY_CONSUMER => group::topics_of_consumer(ctx, &req),
        rc::QUERY_SUBSCRIPTION_BY_CONSUMER => group::subscription_of_consumer(ctx, &req),
        rc::GET_ALL_CONSUMER_OFFSET => group::all_consumer_offsets(ctx),
        rc::GET_ALL_DELAY_OFFSET => group::all_delay_offsets(ctx),
        rc::CLONE_GROUP_OFFSET => group::clone_group_offset(ctx, &req),
        rc::GET_CONSUMER_RUNNING_INFO | rc::CONSUME_MESSAGE_DIRECTLY => {
            group::relay_to_client(ctx, req).await
        }
        other => ferromq_remoting::not_supported(other),
    };
    if resp.code != ferromq_protocol::response_code::SUCCESS {
        tracing::debug!(remote = %channel.remote_addr(), code = resp.code, remark = ?resp.remark, "admin request failed");
    }
    resp
}
