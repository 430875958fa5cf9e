//! AckMessage, ChangeInvisibleDuration and ForwardMessageToDeadLetterQueue, as Java's
//! `AckMessageActivity` (one ACK_MESSAGE per entry: Java's `enableBatchAck` is off by default),
//! `ChangeInvisibleDurationActivity` and `ForwardMessageToDLQActivity`.

use std::collections::BTreeSet;

use futures::StreamExt;

use crate::consumer::broker_calls;
use crate::consumer::error::{self, duration_ms, ConsumerError, Result};
use crate::consumer::receipt::ReceiptHandle;
use crate::context::RequestContext;
use crate::pb;
use crate::proxy::Proxy;
use crate::status::status;

/// Entries of one AckMessage sent to brokers at once.
const ACK_CONCURRENCY: usize = 16;

/// The handle to use for a message the client names: the proxy's renewed one when it holds the
/// message for auto-renewal (which then stops), else the client's.
fn current_handle(
    proxy: &Proxy,
    ctx: &RequestContext,
    group: &str,
    msg_id: &str,
    handle: &str,
) -> String {
    proxy
        .consumers()
        .renewals
        .take(ctx.client_id(), group, msg_id, handle)
        .unwrap_or_else(|| handle.to_owned())
}

/// Java's `setAckResponseStatus`: one code for all entries is the response's code,
/// several make MULTIPLE_RESULTS.
pub fn overall_status(codes: &BTreeSet<i32>) -> pb::Status {
    match codes.len() {
        0 => status(pb::Code::InternalServerError, "ack message result is empty"),
        1 => {
            let code = codes.iter().next().copied().unwrap_or_default();
            let c = pb::Code::try_from(code).unwrap_or(pb::Code::InternalServerError);
            status(c, c.as_str_name())
        }
        _ => status(pb::Code::MultipleResults, "MULTIPLE_RESULTS"),
    }
}

/// Answers AckMessage.
pub async fn ack_message(
    proxy: &Proxy,
    ctx: &RequestContext,
    req: pb::AckMessageRequest,
) -> pb::AckMessageResponse {
    let names = error::validate_topic(req.topic.as_ref())
        .and_then(|t| Ok((t, error::validate_group(req.group.as_ref())?)));
    let (topic, group) = match names {
        Ok(n) => n,
        Err(e) => {
            return pb::AckMessageResponse {
                status: Some(e.status()),
                entries: vec![],
            }
        }
    };
    let entries: Vec<pb::AckMessageResultEntry> = futures::stream::iter(req.entries)
        .map(|e| ack_entry(proxy, ctx, &group, &topic, e))
        .buffered(ACK_CONCURRENCY)
        .collect()
        .await;
    let codes = entries
        .iter()
        .filter_map(|e| e.status.as_ref().map(|s| s.code))
        .collect();
    pb::AckMessageResponse {
        status: Some(overall_status(&codes)),
        entries,
    }
}

async fn ack_entry(
    proxy: &Proxy,
    ctx: &RequestContext,
    group: &str,
    topic: &str,
    entry: pb::AckMessageEntry,
) -> pb::AckMessageResultEntry {
    let handle = current_handle(proxy, ctx, group, &entry.message_id, &entry.receipt_handle);
    let st = match ack_one(proxy, &handle, group, topic).await {
        Ok(true) => error::ok(),
        Ok(false) => status(
            pb::Code::InternalServerError,
            "ack failed: status is abnormal",
        ),
        Err(e) => e.status(),
    };
    pb::AckMessageResultEntry {
        message_id: entry.message_id,
        receipt_handle: entry.receipt_handle,
        status: Some(st),
    }
}

async fn ack_one(proxy: &Proxy, handle: &str, group: &str, topic: &str) -> Result<bool> {
    let h = ReceiptHandle::decode(handle)?;
    broker_calls::ack(proxy, &h, group, topic).await
}

/// Answers ChangeInvisibleDuration.
pub async fn change_invisible_duration(
    proxy: &Proxy,
    ctx: &RequestContext,
    req: pb::ChangeInvisibleDurationRequest,
) -> pb::ChangeInvisibleDurationResponse {
    match change(proxy, ctx, &req).await {
        Ok(Some(handle)) => pb::ChangeInvisibleDurationResponse {
            status: Some(error::ok()),
            receipt_handle: handle,
        },
        Ok(None) => pb::ChangeInvisibleDurationResponse {
            status: Some(status(
                pb::Code::InternalServerError,
                "changeInvisibleDuration failed: status is abnormal",
            )),
            receipt_handle: String::new(),
        },
        Err(e) => pb::ChangeInvisibleDurationResponse {
            status: Some(e.status()),
            receipt_handle: String::new(),
        },
    }
}

async fn change(
    proxy: &Proxy,
    ctx: &RequestContext,
    req: &pb::ChangeInvisibleDurationRequest,
) -> Result<Option<String>> {
    let topic = error::validate_topic(req.topic.as_ref())?;
    let group = error::validate_group(req.group.as_ref())?;
    let invisible_ms = req.invisible_duration.as_ref().map_or(0, duration_ms);
    let max_ms = proxy.config().max_invisible_time.as_millis() as i64;
    error::validate_invisible_time(invisible_ms, 0, max_ms)?;
    // Decode the client's handle first: a malformed one is refused before anything changes.
    ReceiptHandle::decode(&req.receipt_handle)?;
    let handle = current_handle(proxy, ctx, &group, &req.message_id, &req.receipt_handle);
    let h = ReceiptHandle::decode(&handle)?;
    broker_calls::change_invisible(proxy, &h, &group, &topic, invisible_ms).await
}

/// Answers ForwardMessageToDeadLetterQueue.
pub async fn forward_to_dead_letter_queue(
    proxy: &Proxy,
    ctx: &RequestContext,
    req: pb::ForwardMessageToDeadLetterQueueRequest,
) -> pb::ForwardMessageToDeadLetterQueueResponse {
    let st = match forward(proxy, ctx, &req).await {
        Ok((code, remark)) => error::broker_status(code, &remark),
        Err(e) => e.status(),
    };
    pb::ForwardMessageToDeadLetterQueueResponse { status: Some(st) }
}

async fn forward(
    proxy: &Proxy,
    ctx: &RequestContext,
    req: &pb::ForwardMessageToDeadLetterQueueRequest,
) -> Result<(i32, String)> {
    let topic = error::validate_topic(req.topic.as_ref())?;
    let group = error::validate_group(req.group.as_ref())?;
    let handle = current_handle(proxy, ctx, &group, &req.message_id, &req.receipt_handle);
    let h = ReceiptHandle::decode(&handle).map_err(ConsumerError::from)?;
    broker_calls::forward_to_dlq(proxy, &h, &req.message_id, &group, &topic).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overall_status_as_java() {
        let s = overall_status(&BTreeSet::from([pb::Code::Ok as i32]));
        assert_eq!((s.code, s.message.as_str()), (20000, "OK"));
        let s = overall_status(&BTreeSet::from([
            pb::Code::Ok as i32,
            pb::Code::InvalidReceiptHandle as i32,
        ]));
        assert_eq!(s.code, pb::Code::MultipleResults as i32);
        let s = overall_status(&BTreeSet::from([pb::Code::InvalidReceiptHandle as i32]));
        assert_eq!(s.message, "INVALID_RECEIPT_HANDLE");
        assert_eq!(
            overall_status(&BTreeSet::new()).code,
            pb::Code::InternalServerError as i32
        );
    }
}
