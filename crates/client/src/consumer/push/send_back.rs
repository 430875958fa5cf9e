//! Returning a failed message for later redelivery (Java `sendMessageBack`):
//! CONSUMER_SEND_MSG_BACK to the broker that stored it (which re-stores it in
//! `%RETRY%{group}` with a delay, or in the DLQ when retries are exhausted); if that fails, the
//! client itself sends a copy to `%RETRY%{group}` with the retry bookkeeping properties.

use std::time::Duration;

use ferromq_model::names::retry_topic;
use ferromq_protocol::headers::ConsumerSendMsgBackRequestHeader;
use ferromq_protocol::message::{keys, Properties};
use ferromq_protocol::{request_code, RemotingCommand};

use super::state::PushInner;
use crate::message::{Message, ReceivedMessage};
use crate::producer::sender::SendMode;

/// Restores the original topic of messages redelivered through `%RETRY%{group}` (Java
/// `resetRetryAndNamespace`), before the listener sees them.
pub(super) fn restore_retry_topic(msgs: &mut [ReceivedMessage], group: &str) {
    let group_retry = retry_topic(group);
    for m in msgs {
        if m.topic == group_retry {
            if let Some(t) = m.property(keys::RETRY_TOPIC).map(str::to_string) {
                m.topic = t;
            }
        }
    }
}

/// The message the client sends itself when the broker's send-back fails.
pub(super) fn fallback_message(
    msg: &ReceivedMessage,
    group: &str,
    max_reconsume_times: i32,
) -> Message {
    let mut properties: Properties = msg.properties.clone();
    let origin = msg
        .property(keys::ORIGIN_MESSAGE_ID)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| msg.msg_id());
    properties.insert(keys::ORIGIN_MESSAGE_ID, origin);
    properties.insert(keys::RETRY_TOPIC, msg.topic.clone());
    properties.insert(keys::RECONSUME_TIME, (msg.reconsume_times + 1).to_string());
    properties.insert(keys::MAX_RECONSUME_TIMES, max_reconsume_times.to_string());
    properties.remove(keys::TRANSACTION_PREPARED);
    properties.insert(
        keys::DELAY_TIME_LEVEL,
        (3 + msg.reconsume_times).to_string(),
    );
    Message {
        topic: retry_topic(group),
        body: msg.body.clone(),
        flag: msg.flag,
        properties,
    }
}

/// Sends `msg` back; false when neither the broker nor the fallback took it.
pub(super) async fn send_back(inner: &PushInner, msg: &ReceivedMessage, delay_level: i32) -> bool {
    let max = inner.max_reconsume_times();
    match broker_send_back(inner, msg, delay_level, max).await {
        Ok(()) => return true,
        Err(e) => {
            tracing::warn!(msg_id = %msg.msg_id(), error = %e, "send-back failed; re-sending to the retry topic")
        }
    }
    let copy = fallback_message(msg, &inner.config.group, max);
    let result = async {
        let out = inner.sender.prepare(copy)?;
        inner
            .sender
            .send(out, SendMode::Sync, Duration::from_secs(3))
            .await
    }
    .await;
    match result {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(msg_id = %msg.msg_id(), error = %e, "re-sending to the retry topic failed");
            false
        }
    }
}

async fn broker_send_back(
    inner: &PushInner,
    msg: &ReceivedMessage,
    delay_level: i32,
    max: i32,
) -> crate::Result<()> {
    let addr = match inner.core.instance().routes().master_addr(&msg.broker_name) {
        Some(a) => a,
        None => msg.store_host.to_string(),
    };
    let header = ConsumerSendMsgBackRequestHeader {
        offset: msg.commit_log_offset,
        group: inner.config.group.clone(),
        delay_level,
        origin_msg_id: Some(msg.msg_id()),
        origin_topic: Some(msg.topic.clone()),
        unit_mode: Some(false),
        max_reconsume_times: Some(max),
    };
    let req = RemotingCommand::request_with(request_code::CONSUMER_SEND_MSG_BACK, &header)
        .with_ext("bname", msg.broker_name.clone());
    inner
        .core
        .instance()
        .invoke_ok(&addr, req, Duration::from_secs(5))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::received::tests::record_bytes;
    use ferromq_protocol::message::record::MessageExt;

    #[test]
    fn retry_topic_is_restored_only_for_the_group() {
        let raw = record_bytes("%RETRY%g", 0, b"x", "RETRY_TOPIC\u{1}Orders\u{2}", 0);
        let m = ReceivedMessage::from_record(MessageExt::decode(&raw).unwrap(), "b", true);
        let mut v = vec![m.clone()];
        restore_retry_topic(&mut v, "g");
        assert_eq!(v[0].topic, "Orders");
        let mut other = vec![m];
        restore_retry_topic(&mut other, "other");
        assert_eq!(other[0].topic, "%RETRY%g");
    }

    #[test]
    fn fallback_carries_retry_bookkeeping() {
        let raw = record_bytes(
            "Orders",
            3,
            b"x",
            "UNIQ_KEY\u{1}U1\u{2}TRAN_MSG\u{1}true\u{2}TAGS\u{1}t\u{2}",
            0,
        );
        let mut m = ReceivedMessage::from_record(MessageExt::decode(&raw).unwrap(), "b", true);
        m.reconsume_times = 2;
        let f = fallback_message(&m, "g", 16);
        assert_eq!(f.topic, "%RETRY%g");
        assert_eq!(f.property("RETRY_TOPIC"), Some("Orders"));
        assert_eq!(f.property("RECONSUME_TIME"), Some("3"));
        assert_eq!(f.property("MAX_RECONSUME_TIMES"), Some("16"));
        assert_eq!(f.property("ORIGIN_MESSAGE_ID"), Some("U1"));
        assert_eq!(f.property("DELAY"), Some("5"));
        assert_eq!(f.property("TRAN_MSG"), None);
        assert_eq!(f.tags(), Some("t"));
        assert_eq!(f.flag, 7);
    }
}
