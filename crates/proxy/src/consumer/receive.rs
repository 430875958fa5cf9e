//! ReceiveMessage: POP from a broker, streamed to the client as Java's
//! `ReceiveMessageActivity` and `ReceiveMessageResponseStreamWriter` do — a status (OK, or
//! MESSAGE_NOT_FOUND / TOO_MANY_REQUESTS / an error), then one response per message, then a
//! delivery timestamp.

use std::sync::Arc;

use ferromq_protocol::headers::{PopMessageRequestHeader, PopMessageResponseHeader};
use ferromq_protocol::message::keys;
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::{request_code, response_code, RemotingCommand};
use tokio::sync::mpsc;

use crate::consumer::broker_calls::{self, ReadableBroker};
use crate::consumer::convert::{self, Decoded, Delivery};
use crate::consumer::error::{self, duration_ms, now_ms, ConsumerError, Result};
use crate::consumer::receipt::{self, PopInfo, PoppedRef, ReceiptHandle};
use crate::consumer::renew;
use crate::context::RequestContext;
use crate::pb;
use crate::proxy::Proxy;
use crate::service::BoxStream;
use crate::status::status;

use pb::receive_message_response::Content;

/// Java's `grpcClientConsumerMinLongPollingTimeoutMillis` / `...Max...`.
pub const MIN_LONG_POLLING_MS: i64 = 5_000;
pub const MAX_LONG_POLLING_MS: i64 = 20_000;
/// Java's `ProxyUtils.MAX_MSG_NUMS_FOR_POP_REQUEST`.
pub const MAX_BATCH: i32 = 32;
/// The invisible time given to messages the client never got (`NACK_INVISIBLE_TIME`).
const NACK_INVISIBLE_MS: i64 = 1_000;

/// What a receive asks the broker for, decided from the request alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub topic: String,
    pub group: String,
    pub polling_ms: i64,
    pub invisible_ms: i64,
    /// The proxy renews the messages' invisibility (push consumers).
    pub auto_renew: bool,
    pub exp_type: String,
    pub exp: String,
    /// The tags of a TAG filter (empty: everything), for the proxy's own check.
    pub tags: Vec<String>,
    pub batch: i32,
    pub attempt_id: Option<String>,
    /// The broker the client's assignment names, if any.
    pub broker: Option<String>,
    /// What the client's deadline leaves (ms), when known: the POP's remoting timeout.
    pub remaining_ms: Option<i64>,
}

/// The proxy settings a receive depends on.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub default_invisible_ms: i64,
    pub min_invisible_ms: i64,
    pub max_invisible_ms: i64,
}

impl Limits {
    pub fn of(proxy: &Proxy) -> Self {
        let c = proxy.config();
        Limits {
            default_invisible_ms: c.default_invisible_time.as_millis() as i64,
            min_invisible_ms: c.min_invisible_time.as_millis() as i64,
            max_invisible_ms: c.max_invisible_time.as_millis() as i64,
        }
    }
}

/// What is known of the call's time: the client's deadline (`grpc-timeout`) when the request
/// context carries it, the request timeout of its settings, and its version (which decides
/// the refusal code).
#[derive(Debug, Clone, Default)]
pub struct Budget {
    /// Milliseconds left before the client's deadline; `None`: unknown.
    pub remaining_ms: Option<i64>,
    /// The client's `Settings.request_timeout` (Java's default 3 s when absent).
    pub request_timeout_ms: i64,
    pub client_version: String,
}

/// The client version from which a too-short deadline is ILLEGAL_POLLING_TIME (before it,
/// BAD_REQUEST), compared as Java compares the strings.
const ILLEGAL_POLLING_TIME_SINCE: &str = "5.0.3";

/// The long-polling time as Java's `ReceiveMessageActivity` decides it: the request's, else
/// what the deadline leaves after half a request timeout; clamped to 5–20 s; cut to the
/// deadline, or refused when the deadline leaves less than the minimum. Without a known
/// deadline a request without a long-polling timeout polls the minimum.
pub fn polling_ms(req: &pb::ReceiveMessageRequest, budget: &Budget) -> Result<i64> {
    let asked = match (&req.long_polling_timeout, budget.remaining_ms) {
        (Some(d), _) => duration_ms(d),
        (None, Some(left)) => left - budget.request_timeout_ms / 2,
        (None, None) => MIN_LONG_POLLING_MS,
    };
    let polling = asked.clamp(MIN_LONG_POLLING_MS, MAX_LONG_POLLING_MS);
    match budget.remaining_ms {
        Some(left) if polling > left => {
            if left >= MIN_LONG_POLLING_MS {
                Ok(left)
            } else {
                let v = budget.client_version.as_str();
                let code = if v.is_empty() || ILLEGAL_POLLING_TIME_SINCE > v {
                    pb::Code::BadRequest
                } else {
                    pb::Code::IllegalPollingTime
                };
                Err(ConsumerError::refused(
                    code,
                    "The deadline time remaining is not enough for polling, please check network condition",
                ))
            }
        }
        _ => Ok(polling),
    }
}

/// Java's `FilterAPI.build`: a TAG expression `a || b` (empty or `*`: everything), or SQL92.
pub fn filter(expr: Option<&pb::FilterExpression>) -> Result<(String, String, Vec<String>)> {
    let (ty, text) = expr.map_or((pb::FilterType::Tag as i32, ""), |f| {
        (f.r#type, f.expression.as_str())
    });
    if ty == pb::FilterType::Sql as i32 {
        if text.trim().is_empty() {
            return Err(ConsumerError::refused(
                pb::Code::IllegalFilterExpression,
                "Expression can't be null! SQL92",
            ));
        }
        return Ok(("SQL92".into(), text.to_owned(), Vec::new()));
    }
    let text = text.trim();
    if text.is_empty() || text == "*" {
        return Ok(("TAG".into(), "*".into(), Vec::new()));
    }
    let tags = text
        .split("||")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(("TAG".into(), text.to_owned(), tags))
}

/// Checks a request and decides what to pop, in Java's order of checks.
pub fn plan(limits: &Limits, req: &pb::ReceiveMessageRequest, budget: &Budget) -> Result<Plan> {
    let polling_ms = polling_ms(req, budget)?;
    let mq = req.message_queue.as_ref();
    let topic = error::validate_topic(mq.and_then(|q| q.topic.as_ref()))?;
    let group = error::validate_group(req.group.as_ref())?;
    let auto_renew = req.auto_renew;
    let invisible_ms = if auto_renew {
        limits.default_invisible_ms
    } else {
        let ms = req.invisible_duration.as_ref().map_or(0, duration_ms);
        error::validate_invisible_time(ms, limits.min_invisible_ms, limits.max_invisible_ms)?;
        ms
    };
    let (exp_type, exp, tags) = filter(req.filter_expression.as_ref())?;
    let broker = mq
        .and_then(|q| q.broker.as_ref())
        .map(|b| b.name.clone())
        .filter(|n| !n.is_empty());
    Ok(Plan {
        topic,
        group,
        polling_ms,
        invisible_ms,
        auto_renew,
        exp_type,
        exp,
        tags,
        batch: req.batch_size.clamp(1, MAX_BATCH),
        attempt_id: req.attempt_id.clone().filter(|a| !a.is_empty()),
        broker,
        remaining_ms: budget.remaining_ms,
    })
}

/// The broker to pop from: the one the assignment names when it is readable, else the next
/// readable one in rotation (Java's `ReceiveMessageQueueSelector`).
pub fn choose<'a>(
    brokers: &'a [ReadableBroker],
    wanted: Option<&str>,
    turn: usize,
) -> Option<&'a ReadableBroker> {
    if let Some(w) = wanted {
        if let Some(b) = brokers.iter().find(|b| b.name == w) {
            return Some(b);
        }
    }
    if brokers.is_empty() {
        return None;
    }
    brokers.get(turn % brokers.len())
}

/// One message ready to go out.
#[derive(Debug, Clone)]
pub struct Received {
    pub message: Decoded,
    pub handle: String,
    pub reconsume_times: i32,
}

/// What the broker's answer amounts to.
#[derive(Debug)]
pub enum Outcome {
    Found(Vec<Received>),
    NotFound,
    PollingFull,
}

/// Reads a POP_MESSAGE answer: the records with their receipt handles, as Java's client and
/// `ConsumerProcessor.popMessage` build them.
pub fn read_pop_response(resp: &RemotingCommand, broker: &str, order: bool) -> Result<Outcome> {
    match resp.code {
        response_code::SUCCESS => {}
        response_code::POLLING_FULL => return Ok(Outcome::PollingFull),
        response_code::POLLING_TIMEOUT | response_code::PULL_NOT_FOUND => {
            return Ok(Outcome::NotFound)
        }
        code => {
            return Err(ConsumerError::Broker {
                code,
                remark: resp.remark.clone().unwrap_or_default(),
            })
        }
    }
    let broken = |e: String| ConsumerError::Broker {
        code: resp.code,
        remark: e,
    };
    let h: PopMessageResponseHeader = resp.decode_header().map_err(|e| broken(e.to_string()))?;
    let records =
        MessageExt::decode_all(&resp.body.to_bytes()).map_err(|e| broken(e.to_string()))?;
    let decoded: Vec<Decoded> = records.into_iter().map(Decoded::new).collect();
    let info = PopInfo {
        pop_time: h.pop_time,
        invisible_time: h.invisible_time,
        revive_qid: h.revive_qid,
        start_offset_info: h.start_offset_info,
        msg_offset_info: h.msg_offset_info,
        order_count_info: h.order_count_info,
    };
    let refs: Vec<PoppedRef<'_>> = decoded
        .iter()
        .map(|d| PoppedRef {
            topic: &d.record.topic,
            queue_id: d.record.queue_id,
            queue_offset: d.record.queue_offset,
            pop_ck: d.properties.get(keys::POP_CK),
        })
        .collect();
    let stamps = receipt::stamp_pop_result(&info, broker, order, &refs)
        .map_err(|e| broken(e.to_string()))?;
    let out = decoded
        .into_iter()
        .zip(stamps)
        .map(|(mut message, stamp)| {
            let extra = stamp
                .extra_info
                .or_else(|| message.properties.get(keys::POP_CK).map(str::to_owned))
                .unwrap_or_default();
            let handle = receipt::create_handle(&extra, message.record.commit_log_offset);
            message.properties.insert(keys::POP_CK, handle.clone());
            let reconsume_times = stamp
                .reconsume_times
                .unwrap_or(message.record.reconsume_times);
            Received {
                message,
                handle,
                reconsume_times,
            }
        })
        .collect();
    Ok(Outcome::Found(out))
}

/// What the proxy does with a popped message before handing it out (Java's
/// `PopMessageResultFilterImpl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Deliver,
    /// The tag does not match the subscription: ack it away.
    NoMatch,
    /// Out of attempts: forward to the DLQ.
    ToDlq,
}

/// Judges one message.
pub fn verdict(plan_tags: &[String], r: &Received, max_attempts: Option<i32>) -> Verdict {
    if !plan_tags.is_empty()
        && !r
            .message
            .tag()
            .is_some_and(|t| plan_tags.iter().any(|x| x == t))
    {
        return Verdict::NoMatch;
    }
    if max_attempts.is_some_and(|m| r.reconsume_times >= m) {
        return Verdict::ToDlq;
    }
    Verdict::Deliver
}

fn status_response(s: pb::Status) -> pb::ReceiveMessageResponse {
    pb::ReceiveMessageResponse {
        content: Some(Content::Status(s)),
    }
}

fn timestamp_response() -> pb::ReceiveMessageResponse {
    pb::ReceiveMessageResponse {
        content: Some(Content::DeliveryTimestamp(convert::timestamp(now_ms()))),
    }
}

/// Answers ReceiveMessage with a stream: a status, the messages, a delivery timestamp.
pub fn receive_message(
    proxy: Arc<Proxy>,
    ctx: RequestContext,
    req: pb::ReceiveMessageRequest,
) -> BoxStream<pb::ReceiveMessageResponse> {
    let (tx, rx) = mpsc::channel(MAX_BATCH as usize + 2);
    super::spawn_as_caller(async move {
        run(&proxy, &ctx, &req, &tx).await;
        let _ = tx.send(timestamp_response()).await;
    });
    Box::pin(futures::StreamExt::map(
        tokio_stream::wrappers::ReceiverStream::new(rx),
        Ok,
    ))
}

type Tx = mpsc::Sender<pb::ReceiveMessageResponse>;

async fn run(proxy: &Arc<Proxy>, ctx: &RequestContext, req: &pb::ReceiveMessageRequest, tx: &Tx) {
    // The request context does not carry the client's deadline (yet): polling is bounded by the
    // request's long-polling timeout alone.
    let budget = Budget {
        remaining_ms: None,
        request_timeout_ms: 3_000,
        client_version: ctx.client_version().to_owned(),
    };
    let plan = match plan(&Limits::of(proxy), req, &budget) {
        Ok(p) => p,
        Err(e) => {
            let _ = tx.send(status_response(e.status())).await;
            return;
        }
    };
    let Some(_held) = proxy.consumers().hold_receive(ctx.client_id()) else {
        let s = status(pb::Code::TooManyRequests, "too many receive requests held");
        let _ = tx.send(status_response(s)).await;
        return;
    };
    match pop(proxy, ctx.client_id(), &plan).await {
        Ok((Outcome::Found(found), _)) if found.is_empty() => {
            let _ = tx
                .send(status_response(status(
                    pb::Code::MessageNotFound,
                    "no match message",
                )))
                .await;
        }
        Ok((Outcome::Found(found), max_attempts)) => {
            deliver(proxy, ctx, &plan, found, max_attempts, tx).await
        }
        Ok((Outcome::PollingFull, _)) => {
            let s = status(pb::Code::TooManyRequests, "polling full");
            let _ = tx.send(status_response(s)).await;
        }
        Ok((Outcome::NotFound, _)) => {
            let s = status(pb::Code::MessageNotFound, "no new message");
            let _ = tx.send(status_response(s)).await;
        }
        Err(e) => {
            tracing::debug!(topic = %plan.topic, group = %plan.group, error = %e, "receive failed");
            let _ = tx.send(status_response(e.status())).await;
        }
    }
}

/// Pops once from the chosen broker; also returns the group's attempt limit.
async fn pop(proxy: &Proxy, client_id: &str, plan: &Plan) -> Result<(Outcome, Option<i32>)> {
    let brokers = broker_calls::readable_brokers(proxy, &plan.topic).await?;
    let turn = proxy.consumers().next_turn();
    let Some(broker) = choose(&brokers, plan.broker.as_deref(), turn) else {
        return Err(ConsumerError::refused(
            pb::Code::Forbidden,
            "no readable queue",
        ));
    };
    let group = broker_calls::GroupInfo::of(proxy, client_id, &plan.group).await;
    let header = PopMessageRequestHeader {
        consumer_group: plan.group.clone(),
        topic: plan.topic.clone(),
        queue_id: -1,
        max_msg_nums: plan.batch,
        invisible_time: plan.invisible_ms,
        poll_time: plan.polling_ms,
        born_time: now_ms(),
        init_mode: 1, // ConsumeInitMode.MAX
        exp_type: Some(plan.exp_type.clone()),
        exp: Some(plan.exp.clone()),
        order: Some(group.fifo),
        attempt_id: plan.attempt_id.clone(),
    };
    let req = RemotingCommand::request_with(request_code::POP_MESSAGE, &header);
    // The broker answers by pollTime: wait until the client's deadline (Java), or, when it is
    // unknown, one ordinary call's time past the polling time.
    let timeout = match plan.remaining_ms {
        Some(left) => std::time::Duration::from_millis(left.max(0) as u64),
        None => {
            std::time::Duration::from_millis(plan.polling_ms as u64) + proxy.config().broker_timeout
        }
    };
    let resp = proxy
        .backend()
        .instance()
        .invoke(&broker.addr, req, timeout)
        .await?;
    Ok((
        read_pop_response(&resp, &broker.name, group.fifo)?,
        group.max_attempts,
    ))
}

/// Filters, registers for renewal and streams the found messages; what the client can no
/// longer take is made visible again soon (Java's NACK on a failed write).
async fn deliver(
    proxy: &Arc<Proxy>,
    ctx: &RequestContext,
    plan: &Plan,
    found: Vec<Received>,
    max_attempts: Option<i32>,
    tx: &Tx,
) {
    let mut out = Vec::with_capacity(found.len());
    for r in found {
        match verdict(&plan.tags, &r, max_attempts) {
            Verdict::Deliver => out.push(r),
            v => spawn_settle(proxy.clone(), plan, r, v),
        }
    }
    if out.is_empty() {
        let s = status(pb::Code::MessageNotFound, "no match message");
        let _ = tx.send(status_response(s)).await;
        return;
    }
    let renewals = &proxy.consumers().renewals;
    if plan.auto_renew {
        renewals.start(proxy);
        let had_session = proxy.sessions().client(ctx.client_id()).is_some();
        for r in &out {
            let msg = renew::Incoming {
                msg_id: &r.message.msg_id(),
                topic: &plan.topic,
                handle: &r.handle,
                had_session,
            };
            renewals.add(ctx.client_id(), &plan.group, msg);
        }
    }
    if tx.send(status_response(error::ok())).await.is_err() {
        return nack_all(proxy, ctx, plan, &out);
    }
    let now = now_ms();
    for (i, r) in out.iter().enumerate() {
        let d = Delivery {
            topic: convert::resource(&plan.topic),
            receipt_handle: Some(r.handle.clone()),
            reconsume_times: Some(r.reconsume_times),
            now_ms: now,
        };
        let msg = pb::ReceiveMessageResponse {
            content: Some(Content::Message(convert::to_message(&r.message, &d))),
        };
        if tx.send(msg).await.is_err() {
            return nack_all(proxy, ctx, plan, &out[i..]);
        }
    }
}

/// Acks (no match) or forwards (out of attempts) a message the client will not see.
fn spawn_settle(proxy: Arc<Proxy>, plan: &Plan, r: Received, v: Verdict) {
    let (group, topic) = (plan.group.clone(), plan.topic.clone());
    super::spawn_as_caller(async move {
        let Ok(h) = ReceiptHandle::decode(&r.handle) else {
            return;
        };
        let res = match v {
            Verdict::NoMatch => broker_calls::ack(&proxy, &h, &group, &topic)
                .await
                .map(|_| ()),
            _ => broker_calls::forward_to_dlq(&proxy, &h, &r.message.msg_id(), &group, &topic)
                .await
                .map(|_| ()),
        };
        if let Err(e) = res {
            tracing::warn!(?v, error = %e, "settling a filtered message failed");
        }
    });
}

/// The client went away: make the undelivered messages visible again in a second.
fn nack_all(proxy: &Arc<Proxy>, ctx: &RequestContext, plan: &Plan, rest: &[Received]) {
    for r in rest {
        let handle = proxy
            .consumers()
            .renewals
            .take(ctx.client_id(), &plan.group, &r.message.msg_id(), &r.handle)
            .unwrap_or_else(|| r.handle.clone());
        let (proxy, group, topic) = (proxy.clone(), plan.group.clone(), plan.topic.clone());
        super::spawn_as_caller(async move {
            if let Ok(h) = ReceiptHandle::decode(&handle) {
                let _ =
                    broker_calls::change_invisible(&proxy, &h, &group, &topic, NACK_INVISIBLE_MS)
                        .await;
            }
        });
    }
}

#[cfg(test)]
#[path = "receive_tests.rs"]
mod tests;
