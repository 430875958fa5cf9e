//! AckMessage, ChangeInvisibleDuration and ForwardMessageToDeadLetterQueue.

use crate::context::RequestContext;
use crate::pb;
use crate::proxy::Proxy;
use crate::status::status;

fn todo_status(rpc: &str) -> Option<pb::Status> {
    Some(status(
        pb::Code::NotImplemented,
        format!("{rpc} is not implemented yet"),
    ))
}

/// Answers AckMessage.
pub async fn ack_message(
    _proxy: &Proxy,
    _ctx: &RequestContext,
    _req: pb::AckMessageRequest,
) -> pb::AckMessageResponse {
    pb::AckMessageResponse {
        status: todo_status("AckMessage"),
        entries: vec![],
    }
}

/// Answers ChangeInvisibleDuration.
pub async fn change_invisible_duration(
    _proxy: &Proxy,
    _ctx: &RequestContext,
    _req: pb::ChangeInvisibleDurationRequest,
) -> pb::ChangeInvisibleDurationResponse {
    pb::ChangeInvisibleDurationResponse {
        status: todo_status("ChangeInvisibleDuration"),
        receipt_handle: String::new(),
    }
}

/// Answers ForwardMessageToDeadLetterQueue.
pub async fn forward_to_dead_letter_queue(
    _proxy: &Proxy,
    _ctx: &RequestContext,
    _req: pb::ForwardMessageToDeadLetterQueueRequest,
) -> pb::ForwardMessageToDeadLetterQueueResponse {
    pb::ForwardMessageToDeadLetterQueueResponse {
        status: todo_status("ForwardMessageToDeadLetterQueue"),
    }
}
