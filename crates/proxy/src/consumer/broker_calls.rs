//! The remoting requests the consumer RPCs send to brokers, built as Java's proxy builds them
//! (`ConsumerProcessor`, `ProducerProcessor.forwardMessageToDeadLetterQueue`,
//! `MQClientAPIImpl`), and the broker facts they need (readable brokers, group settings).

use ferromq_model::perm;
use ferromq_protocol::headers::{
    AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader, ChangeInvisibleTimeResponseHeader,
    ConsumerSendMsgBackRequestHeader,
};
use ferromq_protocol::{request_code, response_code, RemotingCommand};

use crate::consumer::error::{ConsumerError, Result};
use crate::consumer::receipt::{build_extra_info, create_handle, ReceiptHandle};
use crate::pb;
use crate::proxy::Proxy;

/// A broker group that can be read from, with the address to ask (the master if it has one,
/// as Java's `getMasterAddrPrefer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadableBroker {
    pub name: String,
    pub addr: String,
    pub perm: i32,
    pub read_queue_nums: i32,
}

/// The brokers of `topic`'s route with readable queues, sorted by name (Java's read selector
/// sorts its broker-acting queues).
pub async fn readable_brokers(proxy: &Proxy, topic: &str) -> Result<Vec<ReadableBroker>> {
    let route = proxy.backend().instance().route(topic).await?;
    Ok(readable_from_route(&route.data))
}

/// The pure part of [`readable_brokers`].
pub fn readable_from_route(data: &ferromq_model::TopicRouteData) -> Vec<ReadableBroker> {
    let mut out: Vec<ReadableBroker> = data
        .queue_datas
        .iter()
        .filter(|q| perm::is_readable(q.perm) && q.read_queue_nums > 0)
        .filter_map(|q| {
            let bd = data
                .broker_datas
                .iter()
                .find(|b| b.broker_name == q.broker_name)?;
            Some(ReadableBroker {
                name: q.broker_name.clone(),
                addr: bd.select_broker_addr()?.to_owned(),
                perm: q.perm,
                read_queue_nums: q.read_queue_nums,
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    out
}

/// What the proxy needs of a consumer group's broker-side config: whether it consumes in
/// order (Java's proxy turns `consumeMessageOrderly` into `Settings.subscription.fifo`) and
/// its delivery attempts (`retryMaxTimes + 1`, the settings' backoff `max_attempts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupInfo {
    pub fifo: bool,
    pub max_attempts: Option<i32>,
}

impl GroupInfo {
    /// As Java reads `Settings.subscription.fifo` and the backoff's `max_attempts`: its
    /// settings manager merges the group's current config into them on every read, so the
    /// group's config (`consumeMessageOrderly`, `retryMaxTimes + 1`) decides; only when the
    /// brokers cannot tell does what the client's settings say stand.
    pub async fn of(proxy: &Proxy, client_id: &str, group: &str) -> Self {
        if let Some(c) = proxy.backend().subscription_group(group).await {
            return GroupInfo {
                fifo: c.consume_message_orderly,
                max_attempts: Some(c.retry_max_times.saturating_add(1)),
            };
        }
        let Some(s) = proxy.sessions().settings(client_id) else {
            return GroupInfo::default();
        };
        let fifo = match &s.pub_sub {
            Some(pb::settings::PubSub::Subscription(sub)) => sub.fifo.unwrap_or(false),
            _ => false,
        };
        GroupInfo {
            fifo,
            max_attempts: s
                .backoff_policy
                .as_ref()
                .map(|b| b.max_attempts)
                .filter(|m| *m > 0),
        }
    }
}

/// The master address of the broker named in a receipt handle.
async fn handle_addr(proxy: &Proxy, handle: &ReceiptHandle, topic: &str) -> Result<String> {
    Ok(proxy
        .backend()
        .instance()
        .master_addr(&handle.broker_name, topic)
        .await?)
}

/// A broker's ACL refusal is the caller's (UNAUTHORIZED), not Java's "status is abnormal":
/// Java's proxy checks ACL itself before asking; here the brokers decide.
fn refused_by_acl(resp: RemotingCommand) -> Result<RemotingCommand> {
    if resp.code == response_code::NO_PERMISSION {
        return Err(ConsumerError::Broker {
            code: resp.code,
            remark: resp.remark.unwrap_or_default(),
        });
    }
    Ok(resp)
}

fn expired() -> ConsumerError {
    ConsumerError::refused(pb::Code::InvalidReceiptHandle, "receipt handle is expired")
}

/// ACK_MESSAGE for `handle`; `Ok(false)` when the broker refuses (Java's
/// `AckStatus.NO_EXIST`).
pub async fn ack(proxy: &Proxy, handle: &ReceiptHandle, group: &str, topic: &str) -> Result<bool> {
    if handle.is_expired(crate::consumer::error::now_ms()) {
        return Err(expired());
    }
    let addr = handle_addr(proxy, handle, topic).await?;
    let header = AckMessageRequestHeader {
        consumer_group: group.to_owned(),
        topic: handle.real_topic(topic, group),
        queue_id: handle.queue_id,
        extra_info: handle.raw.clone(),
        offset: handle.offset,
    };
    let req = RemotingCommand::request_with(request_code::ACK_MESSAGE, &header);
    let resp = refused_by_acl(proxy.backend().invoke(&addr, req).await?)?;
    Ok(resp.code == response_code::SUCCESS)
}

/// CHANGE_MESSAGE_INVISIBLETIME for `handle`; the new receipt handle, or `None` when the
/// broker refuses.
pub async fn change_invisible(
    proxy: &Proxy,
    handle: &ReceiptHandle,
    group: &str,
    topic: &str,
    invisible_ms: i64,
) -> Result<Option<String>> {
    if handle.is_expired(crate::consumer::error::now_ms()) {
        return Err(expired());
    }
    let addr = handle_addr(proxy, handle, topic).await?;
    let real_topic = handle.real_topic(topic, group);
    let header = ChangeInvisibleTimeRequestHeader {
        consumer_group: group.to_owned(),
        topic: real_topic.clone(),
        queue_id: handle.queue_id,
        extra_info: handle.raw.clone(),
        offset: handle.offset,
        invisible_time: invisible_ms,
    };
    let req = RemotingCommand::request_with(request_code::CHANGE_MESSAGE_INVISIBLETIME, &header);
    let resp = refused_by_acl(proxy.backend().invoke(&addr, req).await?)?;
    if resp.code != response_code::SUCCESS {
        return Ok(None);
    }
    let h: ChangeInvisibleTimeResponseHeader =
        resp.decode_header().map_err(|e| ConsumerError::Broker {
            code: resp.code,
            remark: e.to_string(),
        })?;
    let extra = build_extra_info(
        handle.offset,
        h.pop_time,
        h.invisible_time,
        h.revive_qid,
        &real_topic,
        &handle.broker_name,
        handle.queue_id,
        handle.offset,
    );
    Ok(Some(create_handle(&extra, handle.commit_log_offset)))
}

/// CONSUMER_SEND_MSG_BACK straight to the DLQ (delay level -1, no retries left), then an ack
/// of the handle when the broker took it — Java's `forwardMessageToDeadLetterQueue`. Returns
/// the broker's answer code and remark.
pub async fn forward_to_dlq(
    proxy: &Proxy,
    handle: &ReceiptHandle,
    message_id: &str,
    group: &str,
    topic: &str,
) -> Result<(i32, String)> {
    if handle.commit_log_offset < 0 {
        return Err(ConsumerError::refused(
            pb::Code::InvalidReceiptHandle,
            "commit log offset is empty",
        ));
    }
    let addr = handle_addr(proxy, handle, topic).await?;
    let header = ConsumerSendMsgBackRequestHeader {
        offset: handle.commit_log_offset,
        group: group.to_owned(),
        delay_level: -1,
        origin_msg_id: Some(message_id.to_owned()),
        origin_topic: Some(handle.real_topic(topic, group)),
        unit_mode: None,
        max_reconsume_times: Some(0),
    };
    let req = RemotingCommand::request_with(request_code::CONSUMER_SEND_MSG_BACK, &header);
    let resp = proxy.backend().invoke(&addr, req).await?;
    if resp.code == response_code::SUCCESS {
        if let Err(e) = ack(proxy, handle, group, topic).await {
            tracing::warn!(error = %e, message_id, "ack after forwarding to the DLQ failed");
        }
    }
    Ok((resp.code, resp.remark.unwrap_or_default()))
}
