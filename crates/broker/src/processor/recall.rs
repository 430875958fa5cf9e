//! RECALL_MESSAGE (370, RocketMQ 5.3): a producer takes back a timer message before it is
//! delivered, with the recall handle its send answered.
//!
//! The broker cannot find a parked message by its id cheaply, so a recall does not touch it:
//! it parks a deletion marker (`TIMER_DEL_UNIQKEY` = real topic + `+` + unique key) due in
//! the same second, and the wheel drops the message when both are due (`delayed::timer`).
//! Like Java's, a recall of a message this broker never parked, or of one a marker already
//! recalled, succeeds and cancels nothing; one whose time has passed is refused.

use std::sync::Arc;

use ferromq_model::names;
use ferromq_protocol::headers::{RecallMessageRequestHeader, RecallMessageResponseHeader};
use ferromq_protocol::message::properties::{keys, Properties};
use ferromq_protocol::message::recall::RecallHandle;
use ferromq_protocol::time::now_ms;
use ferromq_protocol::{response_code, RemotingCommand};
use ferromq_remoting::{respond, Channel, RequestError, RequestResult};
use ferromq_store::{MessageToStore, PutMessageStatus};

use super::Later;
use crate::context::BrokerContext;
use crate::delayed::timer::wheel::delete_key;
use crate::names as check;

/// The tag of deletion markers (Java's `RECALL_MESSAGE_TAG`).
const RECALL_TAG: &str = "_RECALL_TAG_";
/// Java's remark for every refusal that should not say more.
const NOT_AVAILABLE: &str = "recall failed, broker service not available";

/// The route of RECALL_MESSAGE.
pub(crate) fn route(ctx: Arc<BrokerContext>, channel: Channel, req: RemotingCommand) -> Later {
    Box::pin(async move {
        let region = ctx.settings().get().broker.region_id.clone();
        // Java answers with the region on refusals too.
        Ok(respond(recall(&ctx, &channel, &req).await).with_ext(keys::MSG_REGION, region))
    })
}

/// Checks the request and the handle, then parks the deletion marker.
async fn recall(ctx: &BrokerContext, channel: &Channel, req: &RemotingCommand) -> RequestResult {
    let h = req.decode_header::<RecallMessageRequestHeader>()?;
    check_broker(ctx)?;
    // A name that is not a topic name cannot be in the table: Java's TOPIC_NOT_EXIST.
    if check::topic_name(&h.topic).is_err() || ctx.tables().topics().get(&h.topic).is_none() {
        return Err(RequestError::new(
            response_code::TOPIC_NOT_EXIST,
            format!("recall failed, the topic[{}] not exist", h.topic),
        ));
    }
    if !names::is_client_writable(&h.topic) {
        return Err(RequestError::no_permission(format!(
            "recall failed, the topic[{}] is a system topic",
            h.topic
        )));
    }
    let handle = RecallHandle::decode(&h.recall_handle)
        .map_err(|e| RequestError::new(response_code::ILLEGAL_OPERATION, e.to_string()))?;
    let deliver_ms = check_handle(ctx, &h.topic, &handle, now_ms())?;
    let marker = marker(ctx, channel, &h, &handle, deliver_ms);
    let put = ctx.store().put_message(&marker);
    let cfg = ctx.settings().get();
    let status = ctx.replication().stored(&cfg, &put, true).await;
    match (status, &put.append) {
        (
            PutMessageStatus::PutOk
            | PutMessageStatus::FlushDiskTimeout
            | PutMessageStatus::FlushSlaveTimeout
            | PutMessageStatus::SlaveNotAvailable,
            Some(info),
        ) => {
            ctx.stats().record_put(
                names::TIMER_TOPIC,
                info.msg_count as u64,
                info.wrote_bytes as u64,
            );
            tracing::info!(topic = %h.topic, msg_id = %handle.message_id, deliver_ms, "timer message recalled");
            Ok(
                RemotingCommand::response(response_code::SUCCESS).with_header(
                    &RecallMessageResponseHeader {
                        msg_id: handle.message_id,
                    },
                ),
            )
        }
        (status, _) => {
            tracing::warn!(topic = %h.topic, status = status.name(), "storing a recall marker failed");
            Err(RequestError::system("recall failed, execute error"))
        }
    }
}

/// Whether this broker takes recalls now (Java's checks, in its order).
fn check_broker(ctx: &BrokerContext) -> Result<(), RequestError> {
    let cfg = ctx.settings().get();
    if !cfg.broker.recall_message_enable {
        return Err(RequestError::no_permission(
            "recall failed, operation is forbidden",
        ));
    }
    if ctx.replication().is_slave() {
        return Err(RequestError::new(
            response_code::SLAVE_NOT_AVAILABLE,
            NOT_AVAILABLE,
        ));
    }
    if now_ms() < cfg.broker.start_accept_send_request_time_stamp
        || (!ctx.settings().writable() && !cfg.broker.allow_recall_when_broker_not_writeable)
    {
        return Err(RequestError::new(
            response_code::SERVICE_NOT_AVAILABLE,
            NOT_AVAILABLE,
        ));
    }
    Ok(())
}

/// The marker's delivery time, if the handle is for `topic` on this broker and still
/// pending at `now`; the handle's timestamp is the message's `TIMER_OUT_MS` + 1.
fn check_handle(
    ctx: &BrokerContext,
    topic: &str,
    handle: &RecallHandle,
    now: i64,
) -> Result<i64, RequestError> {
    let illegal = |remark: &str| RequestError::new(response_code::ILLEGAL_OPERATION, remark);
    if handle.topic != topic {
        return Err(illegal("recall failed, topic not match"));
    }
    if handle.broker_name != ctx.identity().name() {
        return Err(illegal(NOT_AVAILABLE));
    }
    let cfg = ctx.settings().get();
    let max_ms = (cfg.store.timer_max_delay_sec as i64).saturating_mul(1000);
    let left = handle.timestamp_ms().unwrap_or(-1).saturating_sub(now);
    if left <= 0 || left >= max_ms {
        return Err(illegal("recall failed, timestamp invalid"));
    }
    if !cfg.store.timer_wheel_enable {
        // Java's store refuses the marker (WHEEL_TIMER_NOT_ENABLE) and the recall says so.
        return Err(RequestError::system("recall failed, execute error"));
    }
    Ok(handle.timestamp_ms().unwrap_or(now).saturating_sub(1))
}

/// The deletion marker, already in its parked form (timer topic, queue 0).
fn marker(
    ctx: &BrokerContext,
    channel: &Channel,
    h: &RecallMessageRequestHeader,
    handle: &RecallHandle,
    deliver_ms: i64,
) -> MessageToStore {
    let now = now_ms();
    let mut p = Properties::new();
    p.insert(keys::TAGS, RECALL_TAG);
    p.insert(
        keys::TIMER_DEL_UNIQKEY,
        delete_key(&handle.topic, &handle.message_id),
    );
    p.insert(
        keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
        handle.message_id.clone(),
    );
    p.insert(keys::TIMER_DELIVER_MS, handle.timestamp.clone());
    p.insert(keys::BORN_TIMESTAMP, now.to_string());
    p.insert(keys::TRACE_CONTEXT, "");
    if let Some(g) = &h.producer_group {
        p.insert(keys::PRODUCER_GROUP, g.clone());
    }
    p.insert(keys::TIMER_OUT_MS, deliver_ms.to_string());
    p.insert(keys::REAL_TOPIC, handle.topic.clone());
    p.insert(keys::REAL_QUEUE_ID, "0");
    let host = ctx.identity().store_host();
    MessageToStore {
        topic: names::TIMER_TOPIC.to_string(),
        queue_id: 0,
        flag: 0,
        body: bytes::Bytes::from_static(b"0"),
        properties: p.encode(),
        sys_flag: 0,
        born_timestamp: now,
        born_host: channel.remote_addr(),
        store_host: host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::testing::{self, channel, send_request, topic, TestContext};
    use ferromq_model::perm::{PERM_READ, PERM_WRITE};
    use ferromq_protocol::headers::SendMessageResponseHeader;
    use ferromq_protocol::request_code as rc;
    use std::time::Duration;

    fn enabled() -> TestContext {
        let t = testing::context_with(|c| c.broker.recall_message_enable = true);
        topic(&t, "T", 1, PERM_READ | PERM_WRITE);
        t
    }

    async fn send_timer(t: &BrokerContext, uniq: &str) -> String {
        let mut p = Properties::new();
        p.insert(keys::TIMER_DELAY_SEC, "30");
        p.insert(keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, uniq);
        let r =
            respond(super::super::send::send(t, &channel(), send_request("T", 0, "x", &p)).await);
        let h: SendMessageResponseHeader = r.decode_header().unwrap();
        h.recall_handle
            .expect("a timer message has a recall handle")
    }

    async fn call(t: &Arc<BrokerContext>, topic: &str, handle: &str) -> RemotingCommand {
        let h = RecallMessageRequestHeader {
            producer_group: Some("pg".into()),
            topic: topic.into(),
            recall_handle: handle.into(),
        };
        let req = RemotingCommand::request_with(rc::RECALL_MESSAGE, &h);
        route(Arc::clone(t), channel(), req).await.unwrap()
    }

    #[tokio::test]
    async fn a_recalled_message_leaves_the_wheel_undelivered() {
        let t = enabled();
        let handle = send_timer(&t, "U1").await;
        let _other = send_timer(&t, "U2").await;
        let r = call(&t, "T", &handle).await;
        assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
        let h: RecallMessageResponseHeader = r.decode_header().unwrap();
        assert_eq!(h.msg_id, "U1");
        assert!(r.ext_fields.get(keys::MSG_REGION).is_some());
        assert!(t.store().wait_dispatched(Duration::from_secs(5)));
        crate::delayed::timer::enqueue(&t);
        let timer = t.delayed().timer();
        assert_eq!(timer.pending(), 2, "two messages, one marker");
        let due = timer.take_due(now_ms() + 60_000);
        assert_eq!(due.len(), 1, "only U2 is delivered");
        assert_eq!(timer.recalled(), 1);
    }

    #[tokio::test]
    async fn refuses_what_java_refuses() {
        let off = testing::context();
        topic(&off, "T", 1, PERM_READ | PERM_WRITE);
        let handle = send_timer(&off, "U1").await;
        let r = call(&off, "T", &handle).await;
        assert_eq!(
            r.code,
            response_code::NO_PERMISSION,
            "recallMessageEnable=false"
        );

        let t = enabled();
        let illegal = |r: RemotingCommand| {
            assert_eq!(r.code, response_code::ILLEGAL_OPERATION);
            r.remark.unwrap_or_default()
        };
        assert_eq!(
            illegal(call(&t, "T", "!!").await),
            "recall handle is invalid"
        );
        let other_topic = RecallHandle::for_parked("X", "broker-test", now_ms() + 9_000, "U");
        assert_eq!(
            illegal(call(&t, "T", &other_topic.encode()).await),
            "recall failed, topic not match"
        );
        let other_broker = RecallHandle::for_parked("T", "broker-b", now_ms() + 9_000, "U");
        assert_eq!(
            illegal(call(&t, "T", &other_broker.encode()).await),
            NOT_AVAILABLE
        );
        let delivered = RecallHandle::for_parked("T", "broker-test", now_ms() - 10, "U");
        assert_eq!(
            illegal(call(&t, "T", &delivered.encode()).await),
            "recall failed, timestamp invalid"
        );
        let r = call(&t, "Nope", &handle).await;
        assert_eq!(r.code, response_code::TOPIC_NOT_EXIST);
        assert_eq!(
            call(&t, "../x", &handle).await.code,
            response_code::TOPIC_NOT_EXIST
        );
        topic(&t, names::TIMER_TOPIC, 1, PERM_READ | PERM_WRITE);
        let r = call(&t, names::TIMER_TOPIC, &handle).await;
        assert_eq!(r.code, response_code::NO_PERMISSION);

        let no_timer = testing::context_with(|c| {
            c.broker.recall_message_enable = true;
            c.store.timer_wheel_enable = false;
        });
        topic(&no_timer, "T", 1, PERM_READ | PERM_WRITE);
        let h = RecallHandle::for_parked("T", "broker-test", now_ms() + 9_000, "U");
        let r = call(&no_timer, "T", &h.encode()).await;
        assert_eq!(r.code, response_code::SYSTEM_ERROR);
        assert_eq!(r.remark.as_deref(), Some("recall failed, execute error"));
    }
}
