//! PullMessage: offset-based pulls for the 5.x pull consumer.

use std::sync::Arc;

use crate::context::RequestContext;
use crate::pb;
use crate::proxy::Proxy;
use crate::service::BoxStream;
use crate::status::status;

/// Answers PullMessage with a stream: a status, the messages, the next offset.
pub fn pull_message(
    _proxy: Arc<Proxy>,
    _ctx: RequestContext,
    _req: pb::PullMessageRequest,
) -> BoxStream<pb::PullMessageResponse> {
    let first = pb::PullMessageResponse {
        content: Some(pb::pull_message_response::Content::Status(status(
            pb::Code::NotImplemented,
            "PullMessage is not implemented yet",
        ))),
    };
    Box::pin(futures::stream::iter([Ok(first)]))
}
