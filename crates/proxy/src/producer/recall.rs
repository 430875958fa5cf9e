//! RecallMessage.

use crate::context::RequestContext;
use crate::pb;
use crate::proxy::Proxy;
use crate::status::status;

/// Answers RecallMessage.
pub async fn recall_message(
    _proxy: &Proxy,
    _ctx: &RequestContext,
    _req: pb::RecallMessageRequest,
) -> pb::RecallMessageResponse {
    let st = status(
        pb::Code::NotImplemented,
        "RecallMessage is not implemented yet",
    );
    pb::RecallMessageResponse {
        status: Some(st),
        message_id: String::new(),
    }
}
