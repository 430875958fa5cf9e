//! SendMessage.

use crate::context::RequestContext;
use crate::pb;
use crate::proxy::Proxy;
use crate::status::status;

/// Answers SendMessage.
pub async fn send_message(
    _proxy: &Proxy,
    _ctx: &RequestContext,
    _req: pb::SendMessageRequest,
) -> pb::SendMessageResponse {
    let st = status(
        pb::Code::NotImplemented,
        "SendMessage is not implemented yet",
    );
    pb::SendMessageResponse {
        status: Some(st),
        entries: vec![],
    }
}
