//! Messages between gRPC and remoting, both ways, without I/O:
//! - [`to_remoting`]: a `pb::Message` to send → topic, body, sys flag and the properties a
//!   SEND_MESSAGE_V2 carries, with Java's `SendMessageActivity.buildMessageProperty` checks;
//! - [`from_record`]: a stored message (a check-back's half message, a received message) →
//!   `pb::Message`, as Java's `GrpcConverter.buildMessage`.

use std::net::SocketAddr;

use ferromq_protocol::message::keys;
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::message::sysflag::message as sysflag;
use ferromq_protocol::message::Properties;

use crate::config::ProxyConfig;
use crate::pb;
use crate::status::Refusal;
use crate::validate;

/// The property keys the system owns (Java's `MessageConst.STRING_HASH_SET`): a client may
/// not set them as user properties, and they are not shown as user properties.
pub const SYSTEM_KEYS: &[&str] = &[
    keys::KEYS,
    keys::TAGS,
    keys::WAIT_STORE_MSG_OK,
    keys::DELAY_TIME_LEVEL,
    keys::RETRY_TOPIC,
    keys::REAL_TOPIC,
    keys::REAL_QUEUE_ID,
    keys::TRANSACTION_PREPARED,
    keys::PRODUCER_GROUP,
    keys::MIN_OFFSET,
    keys::MAX_OFFSET,
    keys::BUYER_ID,
    keys::ORIGIN_MESSAGE_ID,
    keys::TRANSFER_FLAG,
    keys::CORRECTION_FLAG,
    "MQ2_FLAG",
    keys::RECONSUME_TIME,
    keys::MSG_REGION,
    keys::TRACE_SWITCH,
    keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
    keys::EXTEND_UNIQ_INFO,
    keys::MAX_RECONSUME_TIMES,
    keys::CONSUME_START_TIMESTAMP,
    keys::POP_CK,
    keys::POP_CK_OFFSET,
    keys::FIRST_POP_TIME,
    keys::TRANSACTION_PREPARED_QUEUE_OFFSET,
    keys::DUP_INFO,
    keys::INSTANCE_ID,
    keys::CORRELATION_ID,
    keys::MESSAGE_REPLY_TO_CLIENT,
    keys::MESSAGE_TTL,
    keys::REPLY_MESSAGE_ARRIVE_TIME,
    keys::PUSH_REPLY_TIME,
    keys::CLUSTER,
    keys::MESSAGE_TYPE,
    keys::INNER_MULTI_QUEUE_OFFSET,
    keys::INNER_MULTI_DISPATCH,
    keys::INNER_NUM,
    keys::INNER_BASE,
    keys::TIMER_OUT_MS,
    keys::TIMER_ENQUEUE_MS,
    keys::TIMER_DEQUEUE_MS,
    keys::TIMER_ROLL_TIMES,
    keys::TIMER_DELIVER_MS,
    keys::TIMER_DELAY_SEC,
    keys::TIMER_DELAY_MS,
    keys::TIMER_DEL_UNIQKEY,
    keys::TIMER_DELAY_LEVEL,
    keys::BORN_HOST,
    keys::BORN_TIMESTAMP,
    keys::DLQ_ORIGIN_TOPIC,
    keys::DLQ_ORIGIN_MESSAGE_ID,
    keys::SHARDING_KEY,
    keys::FORWARD_QUEUE_ID,
    keys::TRACE_CONTEXT,
    keys::TRANSACTION_CHECK_TIMES,
    keys::CHECK_IMMUNITY_TIME_IN_SECONDS,
    keys::REDIRECT,
    keys::TRANSACTION_ID,
];

/// One message ready for SEND_MESSAGE_V2.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub topic: String,
    pub body: Vec<u8>,
    pub sys_flag: i32,
    pub properties: Properties,
    /// The client's message id (`UNIQ_KEY`).
    pub message_id: String,
}

impl Outgoing {
    /// A property's value.
    pub fn property(&self, key: &str) -> Option<String> {
        self.properties.get(key).map(str::to_owned)
    }
}

fn millis(ts: &prost_types::Timestamp) -> i64 {
    ts.seconds
        .saturating_mul(1000)
        .saturating_add(i64::from(ts.nanos) / 1_000_000)
}

/// A message to send: `topic` is the request's (validated) topic, `born_host` the client's
/// address, `now_ms` the proxy's clock. Refusals carry Java's codes and messages.
pub fn to_remoting(
    config: &ProxyConfig,
    msg: pb::Message,
    topic: &str,
    born_host: Option<SocketAddr>,
    now_ms: i64,
) -> Result<Outgoing, Refusal> {
    let body = msg.body;
    check_body(config, &body)?;
    let sp = msg.system_properties.unwrap_or_default();
    let mut props = user_properties(config, &msg.user_properties)?;
    let user_size: usize = msg
        .user_properties
        .iter()
        .map(|(k, v)| k.len() + v.len())
        .sum();
    tags_and_keys(config, &sp, user_size, &mut props)?;
    if sp.message_id.trim().is_empty() {
        return Err(Refusal::new(
            pb::Code::IllegalMessageId,
            "message id cannot be empty",
        ));
    }
    props.insert(keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, sp.message_id.clone());
    let sys_flag = typed_properties(config, &sp, now_ms, &mut props)?;
    origin_properties(config, &sp, topic, born_host, &mut props)?;
    Ok(Outgoing {
        topic: topic.to_owned(),
        body,
        sys_flag,
        properties: props,
        message_id: sp.message_id,
    })
}

/// Java's body checks: not empty (when checked), not past the maximum size.
fn check_body(config: &ProxyConfig, body: &[u8]) -> Result<(), Refusal> {
    if config.enable_message_body_empty_check && body.is_empty() {
        return Err(Refusal::new(
            pb::Code::MessageBodyEmpty,
            "message body cannot be empty",
        ));
    }
    let max = config.max_message_size;
    if max > 0 && body.len() > max {
        return Err(Refusal::new(
            pb::Code::MessageBodyTooLarge,
            format!("message body cannot exceed the max {max}"),
        ));
    }
    Ok(())
}

/// The tag and keys, validated; with the user properties they count toward the user
/// property size limit.
fn tags_and_keys(
    config: &ProxyConfig,
    sp: &pb::SystemProperties,
    mut user_size: usize,
    props: &mut Properties,
) -> Result<(), Refusal> {
    let tag = sp.tag.clone().unwrap_or_default();
    validate::tag(&tag)?;
    user_size += tag.len();
    if !tag.is_empty() {
        props.insert(keys::TAGS, tag);
    }
    for k in &sp.keys {
        validate::key(k)?;
        user_size += k.len();
    }
    if !sp.keys.is_empty() {
        props.insert(keys::KEYS, sp.keys.join(" "));
    }
    if user_size > config.max_user_property_size {
        return Err(Refusal::new(
            pb::Code::MessagePropertiesTooLarge,
            format!(
                "the total size of user property is too large, max is {}",
                config.max_user_property_size
            ),
        ));
    }
    Ok(())
}

/// What the message type asks of the broker: the prepared flag and check immunity of a
/// transactional message, the delivery time of a delayed one, a compressed body's flag.
/// Returns the sys flag.
fn typed_properties(
    config: &ProxyConfig,
    sp: &pb::SystemProperties,
    now_ms: i64,
    props: &mut Properties,
) -> Result<i32, Refusal> {
    let kind = pb::MessageType::try_from(sp.message_type).unwrap_or(pb::MessageType::Unspecified);
    let mut sys_flag = 0;
    if pb::Encoding::try_from(sp.body_encoding) == Ok(pb::Encoding::Gzip) {
        sys_flag |= sysflag::COMPRESSED;
    }
    if kind == pb::MessageType::Transaction {
        sys_flag |= sysflag::TRANSACTION_PREPARED_TYPE;
        props.insert(keys::TRANSACTION_PREPARED, "true");
        if let Some(d) = &sp.orphaned_transaction_recovery_duration {
            let secs = d.seconds;
            if secs > config.max_transaction_recovery.as_secs() as i64 {
                return Err(Refusal::new(
                    pb::Code::BadRequest,
                    format!(
                        "the max transaction recovery time of message is too large, max is {}",
                        config.max_transaction_recovery.as_secs()
                    ),
                ));
            }
            props.insert(keys::CHECK_IMMUNITY_TIME_IN_SECONDS, secs.to_string());
        }
    }
    if let Some(ts) = &sp.delivery_timestamp {
        let at = millis(ts);
        let max = config.max_delay_time.as_millis() as i64;
        if max > 0 && at - now_ms > max {
            return Err(Refusal::new(
                pb::Code::IllegalDeliveryTime,
                format!("the max delay time of message is too large, max is {max}"),
            ));
        }
        props.insert(keys::TIMER_DELIVER_MS, at.to_string());
    }
    Ok(sys_flag)
}

/// Where the message comes from: producer group, message group, trace context, born host
/// and time, reconsume times.
fn origin_properties(
    config: &ProxyConfig,
    sp: &pb::SystemProperties,
    topic: &str,
    born_host: Option<SocketAddr>,
    props: &mut Properties,
) -> Result<(), Refusal> {
    props.insert(
        keys::RECONSUME_TIME,
        sp.delivery_attempt.unwrap_or(0).to_string(),
    );
    // Java's proxy names a gRPC producer's group after the topic (its check-backs find the
    // producer that way).
    props.insert(keys::PRODUCER_GROUP, topic);
    if let Some(group) = sp.message_group.as_deref().filter(|g| !g.is_empty()) {
        validate::message_group(group, config.max_message_group_size)?;
        props.insert(keys::SHARDING_KEY, group);
    }
    if let Some(tc) = sp.trace_context.as_deref().filter(|t| !t.is_empty()) {
        props.insert(keys::TRACE_CONTEXT, tc);
    }
    let born = match sp.born_host.trim() {
        "" => born_host.map(|a| a.to_string()).unwrap_or_default(),
        h => h.to_owned(),
    };
    if !born.is_empty() {
        props.insert(keys::BORN_HOST, born);
    }
    if let Some(ts) = &sp.born_timestamp {
        props.insert(keys::BORN_TIMESTAMP, millis(ts).to_string());
    }
    Ok(())
}

fn user_properties(
    config: &ProxyConfig,
    user: &std::collections::HashMap<String, String>,
) -> Result<Properties, Refusal> {
    if user.len() > config.user_property_max_num {
        return Err(Refusal::new(
            pb::Code::MessagePropertiesTooLarge,
            format!(
                "too many user properties, max is {}",
                config.user_property_max_num
            ),
        ));
    }
    let mut props = Properties::new();
    for (k, v) in user {
        let refuse = |m: String| Err(Refusal::new(pb::Code::IllegalMessagePropertyKey, m));
        if SYSTEM_KEYS.contains(&k.as_str()) {
            return refuse(format!("property is used by system: {k}"));
        }
        if validate::has_control_char(k) {
            return refuse("the key of property cannot contain control character".into());
        }
        if validate::has_control_char(v) {
            return refuse("the value of property cannot contain control character".into());
        }
        // The property string's separators cannot be escaped (Java's encoding).
        if k.contains(['\u{1}', '\u{2}']) || v.contains(['\u{1}', '\u{2}']) {
            return refuse("property contains a separator character".into());
        }
        props.insert(k.clone(), v.clone());
    }
    Ok(props)
}

fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}

/// Java's `BinaryUtil.generateMd5`: upper-case hex.
fn md5_upper(body: &[u8]) -> String {
    use md5::{Digest, Md5};
    let mut s = String::with_capacity(32);
    for b in Md5::digest(body) {
        s.push_str(&format!("{b:02X}"));
    }
    s
}

/// A stored message as the 5.x clients receive it (Java's `GrpcConverter.buildMessage`).
/// `now_ms` places a `TIMER_DELAY_SEC` message's delivery time.
pub fn from_record(m: &MessageExt, now_ms: i64) -> pb::Message {
    let props = Properties::parse_bytes(&m.properties);
    let get = |k: &str| props.get(k).map(str::to_owned);
    let kind = if get(keys::TRANSACTION_PREPARED).as_deref() == Some("true") {
        pb::MessageType::Transaction
    } else if [
        keys::DELAY_TIME_LEVEL,
        keys::TIMER_DELIVER_MS,
        keys::TIMER_DELAY_SEC,
    ]
    .iter()
    .any(|k| props.contains(k))
    {
        pb::MessageType::Delay
    } else if props.contains(keys::SHARDING_KEY) {
        pb::MessageType::Fifo
    } else {
        pb::MessageType::Normal
    };
    let delivery = match get(keys::TIMER_DELAY_SEC).and_then(|s| s.parse::<i64>().ok()) {
        Some(sec) => Some(timestamp(now_ms.saturating_add(sec.saturating_mul(1000)))),
        None => get(keys::TIMER_DELIVER_MS)
            .and_then(|s| s.parse::<i64>().ok())
            .map(timestamp),
    };
    let encoding = if m.sys_flag & sysflag::COMPRESSED != 0 {
        pb::Encoding::Gzip
    } else {
        pb::Encoding::Identity
    };
    let message_id = get(keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX).unwrap_or_else(|| {
        ferromq_protocol::message::id::encode_offset_msg_id(m.store_host, m.commit_log_offset)
    });
    let dlq = match (
        get(keys::DLQ_ORIGIN_TOPIC),
        get(keys::DLQ_ORIGIN_MESSAGE_ID),
    ) {
        (Some(topic), Some(message_id)) => Some(pb::DeadLetterQueue { topic, message_id }),
        _ => None,
    };
    let sp = pb::SystemProperties {
        tag: get(keys::TAGS),
        keys: get(keys::KEYS)
            .map(|k| k.split(' ').map(str::to_owned).collect())
            .unwrap_or_default(),
        message_id,
        body_digest: Some(pb::Digest {
            r#type: pb::DigestType::Md5 as i32,
            checksum: md5_upper(&m.body),
        }),
        body_encoding: encoding as i32,
        message_type: kind as i32,
        born_timestamp: Some(timestamp(m.born_timestamp)),
        born_host: get(keys::BORN_HOST)
            .filter(|h| !h.trim().is_empty())
            .unwrap_or_else(|| m.born_host.to_string()),
        store_timestamp: Some(timestamp(m.store_timestamp)),
        store_host: m.store_host.to_string(),
        delivery_timestamp: delivery,
        receipt_handle: get(keys::POP_CK),
        queue_id: m.queue_id,
        queue_offset: Some(m.queue_offset),
        delivery_attempt: Some(m.reconsume_times.saturating_add(1)),
        message_group: get(keys::SHARDING_KEY),
        trace_context: get(keys::TRACE_CONTEXT),
        dead_letter_queue: dlq,
        ..Default::default()
    };
    let (namespace, name) = match m.topic.split_once('%') {
        Some((ns, name)) if !m.topic.starts_with('%') => (ns.to_owned(), name.to_owned()),
        _ => (String::new(), m.topic.clone()),
    };
    pb::Message {
        topic: Some(pb::Resource {
            resource_namespace: namespace,
            name,
        }),
        user_properties: props
            .iter()
            .filter(|(k, _)| !SYSTEM_KEYS.contains(k))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        system_properties: Some(sp),
        body: m.body.to_vec(),
    }
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
