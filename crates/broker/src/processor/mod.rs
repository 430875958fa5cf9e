//! Request handling: [`ROUTES`] maps every request code the broker serves to its handler —
//! the one table to touch when adding a code — and [`BrokerHandler`] dispatches through it.
//! Unknown codes get REQUEST_CODE_NOT_SUPPORTED, as Java answers them.
//!
//! A handler returns `Result<RemotingCommand, RequestError>`: refusals carry Java's response
//! code and remark, and `?` works on header decoding and name checks. Handlers take the parts
//! of the [`BrokerContext`] they use.

pub(crate) mod admin;
pub(crate) mod client;
pub(crate) mod end_transaction;
pub(crate) mod offset;
pub(crate) mod pull;
mod pull_route;
pub(crate) mod query;
pub(crate) mod recall;
pub(crate) mod send;
pub(crate) mod send_back;

use std::future::{ready, Future};
use std::pin::Pin;
use std::sync::Arc;

use ferromq_protocol::{request_code as rc, RemotingCommand};
use ferromq_remoting::{
    not_supported, respond, Channel, RequestHandler, RequestResult, ResponseFuture,
};

use crate::context::BrokerContext;
use crate::pop;

/// A handler's future, for those that wait.
pub(crate) type Later = Pin<Box<dyn Future<Output = RequestResult> + Send + 'static>>;

/// How a request code is handled.
#[derive(Clone, Copy)]
pub(crate) enum Handler {
    /// Answers from what is at hand (tables, store reads, ASYNC_FLUSH puts).
    Now(fn(&BrokerContext, &Channel, &RemotingCommand) -> RequestResult),
    /// May wait: a flush, the NameServers, a client's answer.
    Later(fn(Arc<BrokerContext>, Channel, RemotingCommand) -> Later),
    /// Answers now, or later through the channel (`None`: a parked pull).
    Parkable(fn(&Arc<BrokerContext>, &Channel, &RemotingCommand) -> Option<RemotingCommand>),
}

/// Every request code the broker serves, the hot ones first (lookups scan in order).
pub(crate) const ROUTES: &[(i32, Handler)] = &[
    (rc::SEND_MESSAGE_V2, Handler::Later(send::route)),
    (rc::PULL_MESSAGE, Handler::Parkable(pull::pull_message)),
    (rc::SEND_BATCH_MESSAGE, Handler::Later(send::route)),
    (rc::SEND_MESSAGE, Handler::Later(send::route)),
    (rc::LITE_PULL_MESSAGE, Handler::Parkable(pull::pull_message)),
    (
        rc::UPDATE_CONSUMER_OFFSET,
        Handler::Now(offset::update_consumer_offset),
    ),
    (
        rc::QUERY_CONSUMER_OFFSET,
        Handler::Now(offset::query_consumer_offset),
    ),
    (rc::HEART_BEAT, Handler::Now(client::heartbeat)),
    (rc::CONSUMER_SEND_MSG_BACK, Handler::Later(send_back::route)),
    (
        rc::END_TRANSACTION,
        Handler::Now(end_transaction::end_transaction),
    ),
    (rc::GET_MAX_OFFSET, Handler::Now(offset::get_max_offset)),
    (rc::GET_MIN_OFFSET, Handler::Now(offset::get_min_offset)),
    (
        rc::SEARCH_OFFSET_BY_TIMESTAMP,
        Handler::Now(offset::search_offset_by_timestamp),
    ),
    (
        rc::GET_EARLIEST_MSG_STORETIME,
        Handler::Now(offset::get_earliest_msg_storetime),
    ),
    (
        rc::UNREGISTER_CLIENT,
        Handler::Now(client::unregister_client),
    ),
    (
        rc::GET_CONSUMER_LIST_BY_GROUP,
        Handler::Now(client::get_consumer_list_by_group),
    ),
    (
        rc::CHECK_CLIENT_CONFIG,
        Handler::Now(client::check_client_config),
    ),
    (rc::LOCK_BATCH_MQ, Handler::Now(client::lock_batch_mq)),
    (rc::UNLOCK_BATCH_MQ, Handler::Now(client::unlock_batch_mq)),
    (rc::RECALL_MESSAGE, Handler::Later(recall::route)),
    (rc::QUERY_MESSAGE, Handler::Now(query::query_message)),
    (
        rc::VIEW_MESSAGE_BY_ID,
        Handler::Now(query::view_message_by_id),
    ),
    // 5.x POP consumption and server-side rebalance.
    (rc::POP_MESSAGE, Handler::Parkable(pop::pop::pop_message)),
    (rc::ACK_MESSAGE, Handler::Now(pop::ack::ack_message)),
    (rc::BATCH_ACK_MESSAGE, Handler::Now(pop::ack::batch_ack)),
    (
        rc::CHANGE_MESSAGE_INVISIBLETIME,
        Handler::Now(pop::invisible::change_invisible_time),
    ),
    (
        rc::NOTIFICATION,
        Handler::Parkable(pop::notification::notification),
    ),
    (
        rc::POLLING_INFO,
        Handler::Now(pop::notification::polling_info),
    ),
    (
        rc::QUERY_ASSIGNMENT,
        Handler::Now(pop::request_mode::query_assignment),
    ),
    (
        rc::SET_MESSAGE_REQUEST_MODE,
        Handler::Now(pop::request_mode::set_mode),
    ),
    // Admin: what mqadmin and consoles send.
    (
        rc::UPDATE_AND_CREATE_TOPIC,
        Handler::Later(admin::topic::create_topic),
    ),
    (
        rc::UPDATE_AND_CREATE_TOPIC_LIST,
        Handler::Later(admin::topic::create_topic_list),
    ),
    (
        rc::DELETE_TOPIC_IN_BROKER,
        Handler::Later(admin::topic::delete_topic),
    ),
    (
        rc::GET_ALL_TOPIC_CONFIG,
        Handler::Now(admin::topic::get_all_topic_config),
    ),
    (
        rc::GET_TOPIC_CONFIG,
        Handler::Now(admin::topic::get_topic_config),
    ),
    (
        rc::GET_TOPIC_NAME_LIST,
        Handler::Now(admin::topic::get_topic_name_list),
    ),
    (
        rc::GET_SYSTEM_TOPIC_LIST_FROM_BROKER,
        Handler::Now(admin::topic::get_system_topic_list),
    ),
    (
        rc::UPDATE_BROKER_CONFIG,
        Handler::Now(admin::config::update_broker_config),
    ),
    (
        rc::GET_BROKER_CONFIG,
        Handler::Now(admin::config::get_broker_config),
    ),
    (
        rc::GET_BROKER_RUNTIME_INFO,
        Handler::Now(admin::stats::runtime_info),
    ),
    (
        rc::GET_BROKER_HA_STATUS,
        Handler::Now(admin::stats::ha_status),
    ),
    (
        rc::NOTIFY_BROKER_ROLE_CHANGED,
        Handler::Now(admin::controller::role_changed),
    ),
    (
        rc::GET_BROKER_EPOCH_CACHE,
        Handler::Now(admin::controller::epoch_cache),
    ),
    (
        rc::GET_ALL_MESSAGE_REQUEST_MODE,
        Handler::Now(admin::stats::all_message_request_modes),
    ),
    (
        rc::GET_TOPIC_STATS_INFO,
        Handler::Now(admin::stats::topic_stats),
    ),
    (
        rc::GET_CONSUME_STATS,
        Handler::Now(admin::stats::consume_stats),
    ),
    (
        rc::QUERY_CONSUME_TIME_SPAN,
        Handler::Now(admin::stats::consume_time_span),
    ),
    (
        rc::GET_CONSUMER_CONNECTION_LIST,
        Handler::Now(admin::group::consumer_connections),
    ),
    (
        rc::GET_PRODUCER_CONNECTION_LIST,
        Handler::Now(admin::group::producer_connections),
    ),
    (
        rc::GET_ALL_PRODUCER_INFO,
        Handler::Now(admin::group::all_producers),
    ),
    (
        rc::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
        Handler::Now(admin::group::update_group),
    ),
    (
        rc::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST,
        Handler::Now(admin::group::update_group_list),
    ),
    (
        rc::GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
        Handler::Now(admin::group::all_groups),
    ),
    (
        rc::GET_SUBSCRIPTIONGROUP_CONFIG,
        Handler::Now(admin::group::get_group),
    ),
    (
        rc::DELETE_SUBSCRIPTIONGROUP,
        Handler::Now(admin::group::delete_group),
    ),
    (
        rc::INVOKE_BROKER_TO_RESET_OFFSET,
        Handler::Now(admin::offsets::reset_offset),
    ),
    (
        rc::QUERY_TOPIC_CONSUME_BY_WHO,
        Handler::Now(admin::group::topic_consumed_by),
    ),
    (
        rc::QUERY_TOPICS_BY_CONSUMER,
        Handler::Now(admin::group::topics_of_consumer),
    ),
    (
        rc::QUERY_SUBSCRIPTION_BY_CONSUMER,
        Handler::Now(admin::group::subscription_of_consumer),
    ),
    (
        rc::GET_ALL_CONSUMER_OFFSET,
        Handler::Now(admin::offsets::all_consumer_offsets),
    ),
    (
        rc::GET_ALL_DELAY_OFFSET,
        Handler::Now(admin::offsets::all_delay_offsets),
    ),
    (
        rc::CLONE_GROUP_OFFSET,
        Handler::Now(admin::offsets::clone_group_offset),
    ),
    (
        rc::GET_CONSUMER_RUNNING_INFO,
        Handler::Later(admin::relay::relay_to_client),
    ),
    (
        rc::CONSUME_MESSAGE_DIRECTLY,
        Handler::Later(admin::relay::relay_to_client),
    ),
    // ACL 1.0 accounts and whitelists.
    (
        rc::UPDATE_AND_CREATE_ACL_CONFIG,
        Handler::Later(admin::plain_acl::route),
    ),
    (
        rc::DELETE_ACL_CONFIG,
        Handler::Later(admin::plain_acl::route),
    ),
    (
        rc::GET_BROKER_CLUSTER_ACL_INFO,
        Handler::Later(admin::plain_acl::route),
    ),
    (
        rc::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG,
        Handler::Later(admin::plain_acl::route),
    ),
    // ACL 2.0 users and policies.
    (rc::AUTH_CREATE_USER, Handler::Later(admin::auth::route)),
    (rc::AUTH_UPDATE_USER, Handler::Later(admin::auth::route)),
    (rc::AUTH_DELETE_USER, Handler::Later(admin::auth::route)),
    (rc::AUTH_GET_USER, Handler::Later(admin::auth::route)),
    (rc::AUTH_LIST_USER, Handler::Later(admin::auth::route)),
    (rc::AUTH_CREATE_ACL, Handler::Later(admin::auth::route)),
    (rc::AUTH_UPDATE_ACL, Handler::Later(admin::auth::route)),
    (rc::AUTH_DELETE_ACL, Handler::Later(admin::auth::route)),
    (rc::AUTH_GET_ACL, Handler::Later(admin::auth::route)),
    (rc::AUTH_LIST_ACL, Handler::Later(admin::auth::route)),
];

/// The handler of `code`, if the broker serves it.
pub(crate) fn route(code: i32) -> Option<Handler> {
    ROUTES.iter().find(|(c, _)| *c == code).map(|(_, h)| *h)
}

/// Whether the broker serves `code`.
pub fn serves(code: i32) -> bool {
    route(code).is_some()
}

/// Serves every broker request code (both the main and the fast port use it).
#[derive(Clone)]
pub struct BrokerHandler {
    ctx: Arc<BrokerContext>,
}

impl BrokerHandler {
    /// A handler over the broker's state.
    pub fn new(ctx: Arc<BrokerContext>) -> Self {
        BrokerHandler { ctx }
    }
}

impl RequestHandler for BrokerHandler {
    fn handle(&self, channel: Channel, request: RemotingCommand) -> ResponseFuture {
        let code = request.code;
        // Access control before anything else, unknown codes included (as Java's hooks).
        if let Err(e) = self
            .ctx
            .access()
            .check(channel.remote_addr().ip(), &request)
        {
            return Box::pin(ready(Some(e.into_response())));
        }
        match route(code) {
            Some(Handler::Now(f)) => {
                let r = logged(code, &channel, f(&self.ctx, &channel, &request));
                Box::pin(ready(Some(r)))
            }
            Some(Handler::Parkable(f)) => Box::pin(ready(f(&self.ctx, &channel, &request))),
            Some(Handler::Later(f)) => {
                let remote = channel.clone();
                let fut = f(self.ctx.clone(), channel, request);
                Box::pin(async move { Some(logged(code, &remote, fut.await)) })
            }
            None => Box::pin(ready(Some(not_supported(code)))),
        }
    }

    fn on_channel_close(&self, channel: &Channel) {
        client::channel_closed(&self.ctx, channel);
    }
}

/// The response, with refusals logged at debug level.
fn logged(code: i32, channel: &Channel, result: RequestResult) -> RemotingCommand {
    if let Err(e) = &result {
        tracing::debug!(code, name = rc::name(code).unwrap_or("?"), remote = %channel.remote_addr(),
            refusal = %e, "request refused");
    }
    respond(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_handler_dispatches_through_the_table() {
        let t = crate::context::testing::context();
        let handler = BrokerHandler::new(t.ctx.clone());
        let ch = crate::context::testing::channel();
        let r = handler
            .handle(ch.clone(), RemotingCommand::request(99_999))
            .await
            .unwrap();
        assert_eq!(
            r.code,
            ferromq_protocol::response_code::REQUEST_CODE_NOT_SUPPORTED
        );
        let r = handler
            .handle(
                ch.clone(),
                RemotingCommand::request(rc::GET_BROKER_RUNTIME_INFO),
            )
            .await
            .unwrap();
        assert_eq!(r.code, ferromq_protocol::response_code::SUCCESS);
        // A header that does not decode: SYSTEM_ERROR, as Java answers.
        let r = handler
            .handle(ch, RemotingCommand::request(rc::GET_MAX_OFFSET))
            .await
            .unwrap();
        assert_eq!(r.code, ferromq_protocol::response_code::SYSTEM_ERROR);
    }

    #[test]
    fn one_route_per_code() {
        let mut codes: Vec<i32> = ROUTES.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        let n = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), n, "a code routed twice");
        assert!(serves(rc::SEND_MESSAGE_V2) && serves(rc::CLONE_GROUP_OFFSET));
        assert!(serves(rc::POP_MESSAGE) && !serves(rc::PEEK_MESSAGE));
        for (c, _) in ROUTES {
            assert!(rc::name(*c).is_some(), "{c} is in the code table");
        }
    }
}
