//! Request processors: one module per area, and [`BrokerHandler`] routing codes to them.
//!
//! Every request is answered the way the Java broker answers it: the same response codes,
//! and remarks close enough that client logs read the same.

pub mod admin;
pub mod client;
pub mod offset;
pub mod pull;
pub mod query;
pub mod send;

use std::sync::Arc;

use ferromq_protocol::headers::HeaderError;
use ferromq_protocol::{request_code as rc, response_code, RemotingCommand};
use ferromq_remoting::{not_supported, Channel, RequestHandler, ResponseFuture};

use crate::context::BrokerContext;

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
        let ctx = self.ctx.clone();
        Box::pin(async move { dispatch(ctx, channel, request).await })
    }

    fn on_channel_close(&self, channel: &Channel) {
        client::channel_closed(&self.ctx, channel);
    }
}

async fn dispatch(
    ctx: Arc<BrokerContext>,
    channel: Channel,
    req: RemotingCommand,
) -> Option<RemotingCommand> {
    let resp = match req.code {
        rc::SEND_MESSAGE | rc::SEND_MESSAGE_V2 | rc::SEND_BATCH_MESSAGE => {
            send::send_message(&ctx, &channel, req).await
        }
        rc::CONSUMER_SEND_MSG_BACK => send::consumer_send_msg_back(&ctx, &channel, req).await,
        rc::PULL_MESSAGE | rc::LITE_PULL_MESSAGE => {
            return pull::pull_message(ctx, channel, req).await
        }
        rc::QUERY_CONSUMER_OFFSET => offset::query_consumer_offset(&ctx, &req),
        rc::UPDATE_CONSUMER_OFFSET => offset::update_consumer_offset(&ctx, &req),
        rc::GET_MAX_OFFSET => offset::get_max_offset(&ctx, &req),
        rc::GET_MIN_OFFSET => offset::get_min_offset(&ctx, &req),
        rc::SEARCH_OFFSET_BY_TIMESTAMP => offset::search_offset_by_timestamp(&ctx, &req),
        rc::GET_EARLIEST_MSG_STORETIME => offset::get_earliest_msg_storetime(&ctx, &req),
        rc::HEART_BEAT => client::heartbeat(&ctx, &channel, &req).await,
        rc::UNREGISTER_CLIENT => client::unregister_client(&ctx, &channel, &req).await,
        rc::GET_CONSUMER_LIST_BY_GROUP => client::get_consumer_list_by_group(&ctx, &req),
        rc::CHECK_CLIENT_CONFIG => client::check_client_config(&ctx, &req),
        rc::LOCK_BATCH_MQ => client::lock_batch_mq(&ctx, &req),
        rc::UNLOCK_BATCH_MQ => client::unlock_batch_mq(&ctx, &req),
        rc::END_TRANSACTION => crate::transaction::end_transaction(&ctx, &req).await,
        rc::QUERY_MESSAGE => query::query_message(&ctx, &req),
        rc::VIEW_MESSAGE_BY_ID => query::view_message_by_id(&ctx, &req),
        code if admin::serves(code) => admin::process(&ctx, &channel, req).await,
        other => not_supported(other),
    };
    Some(resp)
}

/// The response to a header that does not decode (Java: SYSTEM_ERROR with the message).
pub(crate) fn bad_header(e: HeaderError) -> RemotingCommand {
    RemotingCommand::error(response_code::SYSTEM_ERROR, e.to_string())
}

/// Decodes a typed header or returns the error response from the enclosing function.
macro_rules! header {
    ($req:expr, $t:ty) => {
        match $req.decode_header::<$t>() {
            Ok(h) => h,
            Err(e) => return $crate::processor::bad_header(e),
        }
    };
}
pub(crate) use header;

/// A SUCCESS response with a JSON body.
pub(crate) fn ok_json(value: &impl serde::Serialize) -> RemotingCommand {
    RemotingCommand::success().with_body(serde_json::to_vec(value).unwrap_or_default())
}

pub(crate) use ferromq_protocol::time::now_ms;
