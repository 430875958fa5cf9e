//! A stored message (CommitLog record) as the `apache.rocketmq.v2.Message` a 5.x client
//! receives, filled as Java's `GrpcConverter.buildMessage` fills it after the proxy's remoting
//! client decoded the record (body inflated, COMPRESSED flag cleared; UNIQ_KEY defaulted to the
//! offset msgId; POP_CK replaced by the receipt handle).

use std::io::Read;
use std::net::SocketAddr;

use bytes::Bytes;
use ferromq_protocol::message::id::encode_offset_msg_id;
use ferromq_protocol::message::properties::KEY_SEPARATOR;
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::message::sysflag::message as sysflag;
use ferromq_protocol::message::{keys, Properties};
use md5::{Digest as _, Md5};

use crate::pb;

/// Java's `MessageConst.STRING_HASH_SET`: the properties that are not user properties. Keys
/// outside it (`__SHARDINGKEY`, `TRACE_CONTEXT`, `__transactionId__`, ...) reach the client as
/// user properties too, as with Java's proxy.
const SYSTEM_KEYS: &[&str] = &[
    keys::TRACE_SWITCH,
    keys::MSG_REGION,
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
    keys::MQ2_FLAG,
    keys::RECONSUME_TIME,
    keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
    keys::MAX_RECONSUME_TIMES,
    keys::CONSUME_START_TIMESTAMP,
    keys::POP_CK,
    keys::POP_CK_OFFSET,
    keys::FIRST_POP_TIME,
    keys::TRANSACTION_PREPARED_QUEUE_OFFSET,
    keys::DUP_INFO,
    keys::EXTEND_UNIQ_INFO,
    keys::INSTANCE_ID,
    keys::CORRELATION_ID,
    keys::MESSAGE_REPLY_TO_CLIENT,
    keys::MESSAGE_TTL,
    keys::REPLY_MESSAGE_ARRIVE_TIME,
    keys::PUSH_REPLY_TIME,
    keys::CLUSTER,
    keys::MESSAGE_TYPE,
    keys::INNER_MULTI_QUEUE_OFFSET,
    keys::TIMER_DELAY_MS,
    keys::TIMER_DELAY_SEC,
    keys::TIMER_DELIVER_MS,
    keys::TIMER_ENQUEUE_MS,
    keys::TIMER_DEQUEUE_MS,
    keys::TIMER_ROLL_TIMES,
    keys::TIMER_OUT_MS,
    keys::TIMER_DEL_UNIQKEY,
    keys::TIMER_DELAY_LEVEL,
    keys::BORN_HOST,
    keys::BORN_TIMESTAMP,
    keys::DLQ_ORIGIN_TOPIC,
    keys::DLQ_ORIGIN_MESSAGE_ID,
    keys::CRC32,
];

/// A record decoded as Java's proxy sees it: properties parsed, body inflated.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub record: MessageExt,
    pub properties: Properties,
    /// The body to hand out (inflated when the record was compressed and could be).
    pub body: Bytes,
    /// The sysflag after decoding: COMPRESSED cleared once the body is inflated.
    pub sys_flag: i32,
}

impl Decoded {
    /// Decodes `record` as Java's `MessageDecoder` with `deCompressBody` does. A body that
    /// cannot be inflated (corrupt, or LZ4/ZSTD) is kept as stored with its flag, so the client
    /// is told it is compressed rather than given garbage as text.
    pub fn new(record: MessageExt) -> Self {
        let mut properties = Properties::parse_bytes(&record.properties);
        let (body, sys_flag) = match inflate(&record.body, record.sys_flag) {
            Some(b) => (b, record.sys_flag & !sysflag::COMPRESSED),
            None => (record.body.clone(), record.sys_flag),
        };
        // Java's proxy: a message without UNIQ_KEY is known by its offset msgId.
        if properties.uniq_key().is_none_or(|k| k.trim().is_empty()) {
            properties.insert(
                keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
                encode_offset_msg_id(record.store_host, record.commit_log_offset),
            );
        }
        Decoded {
            record,
            properties,
            body,
            sys_flag,
        }
    }

    /// The message id the client sees (UNIQ_KEY, defaulted in [`Decoded::new`]).
    pub fn msg_id(&self) -> String {
        self.properties.uniq_key().unwrap_or_default().to_owned()
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.properties.tags()
    }
}

/// The largest inflated body: a stored body is bounded by the broker's message size, but a
/// compressed one can inflate to far more (a zip bomb); past this it is not inflated.
pub const MAX_INFLATED: usize = 64 * 1024 * 1024;

/// Inflates a zlib body (Java's default compressor); `None` when the body is not compressed
/// with zlib or does not inflate.
fn inflate(body: &Bytes, sys_flag: i32) -> Option<Bytes> {
    if sys_flag & sysflag::COMPRESSED == 0 {
        return Some(body.clone());
    }
    let kind = sys_flag & sysflag::COMPRESSION_TYPE_MASK;
    if kind != 0 && kind != sysflag::COMPRESSION_ZLIB {
        return None;
    }
    let mut out = Vec::with_capacity(body.len().saturating_mul(2).min(MAX_INFLATED));
    flate2::read::ZlibDecoder::new(&body[..])
        .take(MAX_INFLATED as u64 + 1)
        .read_to_end(&mut out)
        .ok()?;
    // Past the cap the body is handed over compressed rather than cut short.
    (out.len() <= MAX_INFLATED).then(|| Bytes::from(out))
}

/// A timestamp from epoch milliseconds.
pub fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}

/// `ip:port` as Java's `NetworkUtil.socketAddress2String`.
fn host_port(addr: &SocketAddr) -> String {
    format!("{}:{}", addr.ip(), addr.port())
}

/// Uppercase hex MD5, as Java's `BinaryUtil.generateMd5`.
fn md5_hex(body: &[u8]) -> String {
    Md5::digest(body)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// Java's message type rules: transactional, then delayed, then FIFO (a message group).
fn message_type(p: &Properties) -> pb::MessageType {
    if p.get(keys::TRANSACTION_PREPARED) == Some("true") {
        pb::MessageType::Transaction
    } else if p.contains(keys::DELAY_TIME_LEVEL)
        || p.contains(keys::TIMER_DELIVER_MS)
        || p.contains(keys::TIMER_DELAY_SEC)
    {
        pb::MessageType::Delay
    } else if p.contains(keys::SHARDING_KEY) {
        pb::MessageType::Fifo
    } else {
        pb::MessageType::Normal
    }
}

/// TIMER_DELAY_SEC counts from now (as Java); TIMER_DELIVER_MS is absolute. Unparsable values
/// are left out (Java would fail the message).
fn delivery_timestamp(p: &Properties, now_ms: i64) -> Option<prost_types::Timestamp> {
    if let Some(sec) = p.get(keys::TIMER_DELAY_SEC) {
        let s: i64 = sec.trim().parse().ok()?;
        return Some(timestamp(now_ms.saturating_add(s.saturating_mul(1000))));
    }
    let ms: i64 = p.get(keys::TIMER_DELIVER_MS)?.trim().parse().ok()?;
    Some(timestamp(ms))
}

/// The resource a broker-side name stands for: `ns%name` is `name` in namespace `ns`
/// (Java's `NamespaceUtil`); retry and DLQ names have no namespace here.
pub fn resource(name: &str) -> pb::Resource {
    match name.split_once('%') {
        Some((ns, rest)) if !ns.is_empty() && !rest.is_empty() => pb::Resource {
            resource_namespace: ns.to_owned(),
            name: rest.to_owned(),
        },
        _ => pb::Resource {
            resource_namespace: String::new(),
            name: name.to_owned(),
        },
    }
}

/// What a message is delivered as, beyond the record itself.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    /// The topic the client asked for (retried messages are stored under a retry topic).
    pub topic: pb::Resource,
    /// The receipt handle, for POP deliveries.
    pub receipt_handle: Option<String>,
    /// Overrides the record's reconsume times (FIFO pops: the broker's order count).
    pub reconsume_times: Option<i32>,
    pub now_ms: i64,
}

/// Builds the gRPC message for `m`.
pub fn to_message(m: &Decoded, d: &Delivery) -> pb::Message {
    let p = &m.properties;
    let r = &m.record;
    let user_properties = p
        .iter()
        .filter(|(k, _)| !SYSTEM_KEYS.contains(k))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let keys: Vec<String> = match p.get(keys::KEYS) {
        Some(k) => k.split(KEY_SEPARATOR).map(str::to_owned).collect(),
        None => Vec::new(),
    };
    let born_host = match p.get(keys::BORN_HOST) {
        Some(h) if !h.trim().is_empty() => h.to_owned(),
        _ => r.born_host.ip().to_string(),
    };
    let encoding = if m.sys_flag & sysflag::COMPRESSED != 0 {
        pb::Encoding::Gzip
    } else {
        pb::Encoding::Identity
    };
    let dead_letter_queue = match (
        p.get(keys::DLQ_ORIGIN_TOPIC),
        p.get(keys::DLQ_ORIGIN_MESSAGE_ID),
    ) {
        (Some(t), Some(id)) => Some(pb::DeadLetterQueue {
            topic: t.to_owned(),
            message_id: id.to_owned(),
        }),
        _ => None,
    };
    let system = pb::SystemProperties {
        tag: p.tags().map(str::to_owned),
        keys,
        message_id: m.msg_id(),
        body_digest: Some(pb::Digest {
            r#type: pb::DigestType::Md5 as i32,
            checksum: md5_hex(&m.body),
        }),
        body_encoding: encoding as i32,
        message_type: message_type(p) as i32,
        born_timestamp: Some(timestamp(r.born_timestamp)),
        born_host,
        store_timestamp: Some(timestamp(r.store_timestamp)),
        store_host: host_port(&r.store_host),
        delivery_timestamp: delivery_timestamp(p, d.now_ms),
        receipt_handle: d.receipt_handle.clone(),
        queue_id: r.queue_id,
        queue_offset: Some(r.queue_offset),
        delivery_attempt: Some(
            d.reconsume_times
                .unwrap_or(r.reconsume_times)
                .saturating_add(1),
        ),
        message_group: p.get(keys::SHARDING_KEY).map(str::to_owned),
        trace_context: p.get(keys::TRACE_CONTEXT).map(str::to_owned),
        dead_letter_queue,
        ..Default::default()
    };
    pb::Message {
        topic: Some(d.topic.clone()),
        user_properties,
        system_properties: Some(system),
        body: m.body.to_vec(),
    }
}

#[cfg(test)]
#[path = "convert_tests.rs"]
pub(crate) mod tests;
