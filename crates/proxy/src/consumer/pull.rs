//! PullMessage: offset-based pulls for the 5.x pull consumer, as PULL_MESSAGE (11) to the
//! broker the message queue names (the request Java's `ConsumerProcessor.pullMessage` builds).
//! The stream is a status, the messages, then the offset to pull from next — also after "no
//! new message" and "offset moved", so the client can carry on.

use std::sync::Arc;

use ferromq_protocol::headers::{PullMessageRequestHeader, PullMessageResponseHeader};
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::message::sysflag::pull as pull_flag;
use ferromq_protocol::{request_code, response_code, RemotingCommand};
use tokio::sync::mpsc;

use crate::consumer::convert::{self, Decoded, Delivery};
use crate::consumer::error::{self, duration_ms, now_ms, ConsumerError, Result};
use crate::consumer::offset::target;
use crate::consumer::receive::{filter, MAX_BATCH, MAX_LONG_POLLING_MS};
use crate::context::RequestContext;
use crate::pb;
use crate::proxy::Proxy;
use crate::service::BoxStream;
use crate::status::status;

use pb::pull_message_response::Content;

/// How late a broker may answer a suspended pull (Java's hold-service check period).
const PULL_HOLD_CHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// A pull's result: the status to send, the messages and the next offset.
#[derive(Debug)]
pub struct Pulled {
    pub status: pb::Status,
    pub messages: Vec<Decoded>,
    pub next_offset: i64,
}

/// Reads a PULL_MESSAGE answer; `tags` re-checks a TAG filter as Java's client does (the
/// broker filters by tag hash only).
pub fn read_pull_response(resp: &RemotingCommand, tags: &[String]) -> Result<Pulled> {
    let broken = |e: String| ConsumerError::Broker {
        code: resp.code,
        remark: e,
    };
    let code = resp.code;
    if !matches!(
        code,
        response_code::SUCCESS
            | response_code::PULL_NOT_FOUND
            | response_code::PULL_RETRY_IMMEDIATELY
            | response_code::PULL_OFFSET_MOVED
    ) {
        return Err(ConsumerError::Broker {
            code,
            remark: resp.remark.clone().unwrap_or_default(),
        });
    }
    let h: PullMessageResponseHeader = resp.decode_header().map_err(|e| broken(e.to_string()))?;
    let next_offset = h.next_begin_offset;
    let (st, messages) = match code {
        response_code::SUCCESS => {
            let records =
                MessageExt::decode_all(&resp.body.to_bytes()).map_err(|e| broken(e.to_string()))?;
            let messages: Vec<Decoded> = records
                .into_iter()
                .map(Decoded::new)
                .filter(|m| tags.is_empty() || m.tag().is_some_and(|t| tags.iter().any(|x| x == t)))
                .collect();
            if messages.is_empty() {
                (
                    status(pb::Code::MessageNotFound, "no match message"),
                    messages,
                )
            } else {
                (error::ok(), messages)
            }
        }
        response_code::PULL_OFFSET_MOVED => (
            status(pb::Code::IllegalOffset, "offset illegal, moved"),
            vec![],
        ),
        _ => (status(pb::Code::MessageNotFound, "no new message"), vec![]),
    };
    Ok(Pulled {
        status: st,
        messages,
        next_offset,
    })
}

async fn pull(proxy: &Proxy, req: &pb::PullMessageRequest) -> Result<(String, Pulled)> {
    let group = error::validate_group(req.group.as_ref())?;
    if req.offset < 0 {
        return Err(ConsumerError::refused(
            pb::Code::IllegalOffset,
            format!("offset {} is invalid", req.offset),
        ));
    }
    let (exp_type, exp, tags) = filter(req.filter_expression.as_ref())?;
    let t = target(proxy, req.message_queue.as_ref()).await?;
    let polling_ms = req
        .long_polling_timeout
        .as_ref()
        .map_or(0, duration_ms)
        .clamp(0, MAX_LONG_POLLING_MS);
    let header = PullMessageRequestHeader {
        consumer_group: group,
        topic: t.topic.clone(),
        queue_id: t.queue_id,
        queue_offset: req.offset,
        max_msg_nums: req.batch_size.clamp(1, MAX_BATCH),
        sys_flag: pull_flag::build(false, polling_ms > 0, true, false),
        commit_offset: 0,
        suspend_timeout_millis: polling_ms,
        subscription: Some(exp),
        sub_version: now_ms(),
        expression_type: Some(exp_type),
        max_msg_bytes: None,
        request_source: None,
        proxy_forward_client_id: None,
    };
    let cmd = RemotingCommand::request_with(request_code::PULL_MESSAGE, &header);
    // Java's broker checks held pulls every 5 s (PullRequestHoldService), so a suspended pull
    // may be answered up to 5 s after its suspend time.
    let timeout = std::time::Duration::from_millis(polling_ms as u64)
        + PULL_HOLD_CHECK
        + proxy.config().broker_timeout;
    let resp = proxy
        .backend()
        .instance()
        .invoke(&t.addr, cmd, timeout)
        .await?;
    Ok((t.topic, read_pull_response(&resp, &tags)?))
}

/// Answers PullMessage with a stream: a status, the messages, the next offset.
pub fn pull_message(
    proxy: Arc<Proxy>,
    ctx: RequestContext,
    req: pb::PullMessageRequest,
) -> BoxStream<pb::PullMessageResponse> {
    let (tx, rx) = mpsc::channel(MAX_BATCH as usize + 2);
    super::spawn_as_caller(async move {
        let one = |c: Content| pb::PullMessageResponse { content: Some(c) };
        let Some(_held) = proxy.consumers().hold_receive(ctx.client_id()) else {
            let s = status(pb::Code::TooManyRequests, "too many pull requests held");
            let _ = tx.send(one(Content::Status(s))).await;
            return;
        };
        let (topic, pulled) = match pull(&proxy, &req).await {
            Ok(p) => p,
            Err(e) => {
                let _ = tx.send(one(Content::Status(e.status()))).await;
                return;
            }
        };
        if tx.send(one(Content::Status(pulled.status))).await.is_err() {
            return;
        }
        let now = now_ms();
        for m in &pulled.messages {
            let d = Delivery {
                topic: convert::resource(&topic),
                receipt_handle: None,
                reconsume_times: None,
                now_ms: now,
            };
            let msg = Content::Message(convert::to_message(m, &d));
            if tx.send(one(msg)).await.is_err() {
                return;
            }
        }
        let _ = tx.send(one(Content::NextOffset(pulled.next_offset))).await;
    });
    Box::pin(futures::StreamExt::map(
        tokio_stream::wrappers::ReceiverStream::new(rx),
        Ok,
    ))
}

#[cfg(test)]
mod tests {
    use ferromq_protocol::headers::CommandHeader as _;
    use ferromq_protocol::message::{keys, Properties};

    use super::*;

    fn header(next: i64) -> PullMessageResponseHeader {
        PullMessageResponseHeader {
            suggest_which_broker_id: 0,
            next_begin_offset: next,
            min_offset: 0,
            max_offset: 10,
            ..Default::default()
        }
    }

    fn response(code: i32, next: i64, body: bytes::Bytes) -> RemotingCommand {
        let mut r = RemotingCommand::response(code).with_body(body);
        header(next).write_to(&mut r.ext_fields);
        r
    }

    #[test]
    fn found_messages_are_tag_checked() {
        let mut buf = bytes::BytesMut::new();
        for tag in ["A", "B"] {
            let mut p = Properties::new();
            p.insert(keys::TAGS, tag);
            let rec = crate::consumer::convert::tests::record(&p, b"x", 0);
            rec.view().encode(&mut buf).unwrap();
        }
        let resp = response(response_code::SUCCESS, 44, buf.freeze());
        let p = read_pull_response(&resp, &["A".into()]).unwrap();
        assert_eq!(p.status.code, pb::Code::Ok as i32);
        assert_eq!(p.messages.len(), 1);
        assert_eq!(p.next_offset, 44);
        let p = read_pull_response(&resp, &["C".into()]).unwrap();
        assert_eq!(p.status.code, pb::Code::MessageNotFound as i32);
        assert_eq!(read_pull_response(&resp, &[]).unwrap().messages.len(), 2);
    }

    #[test]
    fn empty_and_moved_pulls_still_say_where_to_go() {
        let p = read_pull_response(
            &response(response_code::PULL_NOT_FOUND, 7, Default::default()),
            &[],
        )
        .unwrap();
        assert_eq!(
            (p.status.code, p.next_offset),
            (pb::Code::MessageNotFound as i32, 7)
        );
        let p = read_pull_response(
            &response(response_code::PULL_OFFSET_MOVED, 3, Default::default()),
            &[],
        )
        .unwrap();
        assert_eq!(
            (p.status.code, p.next_offset),
            (pb::Code::IllegalOffset as i32, 3)
        );
        let e = read_pull_response(
            &RemotingCommand::error(response_code::SYSTEM_BUSY, "busy"),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.status().code, pb::Code::TooManyRequests as i32);
    }
}
