//! ReceiveMessage: POP from the brokers, streamed to the client.

use std::sync::Arc;

use crate::context::RequestContext;
use crate::pb;
use crate::proxy::Proxy;
use crate::service::BoxStream;
use crate::status::status;

/// Answers ReceiveMessage with a stream: a status, the messages, a delivery timestamp.
pub fn receive_message(
    _proxy: Arc<Proxy>,
    _ctx: RequestContext,
    _req: pb::ReceiveMessageRequest,
) -> BoxStream<pb::ReceiveMessageResponse> {
    let first = pb::ReceiveMessageResponse {
        content: Some(pb::receive_message_response::Content::Status(status(
            pb::Code::NotImplemented,
            "ReceiveMessage is not implemented yet",
        ))),
    };
    Box::pin(futures::stream::iter([Ok(first)]))
}
