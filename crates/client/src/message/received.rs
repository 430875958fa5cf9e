//! [`ReceivedMessage`]: a stored message as pulled, queried or checked (Java's `MessageExt`).

use std::net::SocketAddr;

use bytes::Bytes;
use ferromq_protocol::message::id::encode_offset_msg_id;
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::message::{keys, Properties};

use crate::message::decompress_body;

/// A message read back from a broker, with its storage coordinates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// Topic (for retried messages: the original topic, restored from `RETRY_TOPIC`).
    pub topic: String,
    /// Body, decompressed.
    pub body: Bytes,
    /// User flag.
    pub flag: i32,
    /// Properties.
    pub properties: Properties,
    /// Broker group the message was read from.
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// Logical offset in the queue.
    pub queue_offset: i64,
    /// Physical offset in the broker's CommitLog.
    pub commit_log_offset: i64,
    /// Stored record size.
    pub store_size: i32,
    /// Sysflag as stored.
    pub sys_flag: i32,
    /// Producer timestamp (ms).
    pub born_timestamp: i64,
    /// Producer address.
    pub born_host: SocketAddr,
    /// Broker store timestamp (ms).
    pub store_timestamp: i64,
    /// Broker address.
    pub store_host: SocketAddr,
    /// How many times this message was re-delivered after a failed consumption.
    pub reconsume_times: i32,
    /// Queue offset of the half message (transactions).
    pub prepared_transaction_offset: i64,
    /// CRC of the stored body.
    pub body_crc: i32,
}

impl ReceivedMessage {
    /// Builds from a decoded record, inflating a compressed body when `decompress` is set (a
    /// body that cannot be inflated is kept as stored).
    pub fn from_record(record: MessageExt, broker_name: &str, decompress: bool) -> Self {
        let body = if decompress {
            decompress_body(&record.body, record.sys_flag).unwrap_or_else(|e| {
                tracing::warn!(error = %e, offset = record.queue_offset, "keeping compressed body");
                record.body.clone()
            })
        } else {
            record.body.clone()
        };
        ReceivedMessage {
            properties: Properties::parse_bytes(&record.properties),
            topic: record.topic,
            body,
            flag: record.flag,
            broker_name: broker_name.to_string(),
            queue_id: record.queue_id,
            queue_offset: record.queue_offset,
            commit_log_offset: record.commit_log_offset,
            store_size: record.store_size,
            sys_flag: record.sys_flag,
            born_timestamp: record.born_timestamp,
            born_host: record.born_host,
            store_timestamp: record.store_timestamp,
            store_host: record.store_host,
            reconsume_times: record.reconsume_times,
            prepared_transaction_offset: record.prepared_transaction_offset,
            body_crc: record.body_crc,
        }
    }

    /// The message id users see: the producer's `UNIQ_KEY`, else the offset msgId.
    pub fn msg_id(&self) -> String {
        match self.properties.uniq_key() {
            Some(k) if !k.is_empty() => k.to_string(),
            _ => self.offset_msg_id(),
        }
    }

    /// The broker's offset msgId (store host + CommitLog offset).
    pub fn offset_msg_id(&self) -> String {
        encode_offset_msg_id(self.store_host, self.commit_log_offset)
    }

    /// The tag.
    pub fn tags(&self) -> Option<&str> {
        self.properties.tags()
    }

    /// The business keys.
    pub fn keys(&self) -> Vec<&str> {
        self.properties.keys().collect()
    }

    /// A property.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key)
    }

    /// The transaction id of a transactional message.
    pub fn transaction_id(&self) -> Option<&str> {
        self.properties
            .get(keys::TRANSACTION_ID)
            .or_else(|| self.properties.uniq_key())
    }

    /// Body as UTF-8 text (lossy), handy for logs and tests.
    pub fn body_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ferromq_protocol::message::record::{RecordVersion, RecordView};

    /// Encodes a stored record the way a broker would return it.
    pub(crate) fn record_bytes(
        topic: &str,
        queue_offset: i64,
        body: &[u8],
        props: &str,
        sys_flag: i32,
    ) -> Bytes {
        let view = RecordView {
            version: RecordVersion::V1,
            body_crc: 0,
            queue_id: 1,
            flag: 7,
            queue_offset,
            physical_offset: 1000 + queue_offset,
            sys_flag,
            born_timestamp: 1,
            born_host: "127.0.0.1:5000".parse().unwrap(),
            store_timestamp: 2,
            store_host: "127.0.0.1:10911".parse().unwrap(),
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body,
            topic: topic.as_bytes(),
            properties: props.as_bytes(),
        };
        let mut out = Vec::new();
        view.encode(&mut out).unwrap();
        Bytes::from(out)
    }

    #[test]
    fn ids_and_decompression() {
        let cfg = crate::message::CompressionConfig {
            threshold: 0,
            level: 5,
        };
        let (compressed, flag) = crate::message::compress_body(b"hello hello hello", &cfg)
            .unwrap()
            .unwrap();
        let raw = record_bytes(
            "T",
            5,
            &compressed,
            "UNIQ_KEY\u{1}ABC\u{2}TAGS\u{1}t\u{2}",
            flag,
        );
        let rec = MessageExt::decode(&raw).unwrap();
        let m = ReceivedMessage::from_record(rec.clone(), "b", true);
        assert_eq!(&m.body[..], b"hello hello hello");
        assert_eq!(m.msg_id(), "ABC");
        assert_eq!(m.tags(), Some("t"));
        assert_eq!(m.offset_msg_id(), "7F00000100002A9F00000000000003ED");
        let kept = ReceivedMessage::from_record(rec, "b", false);
        assert_eq!(kept.body, compressed);
        let no_uniq = record_bytes("T", 5, b"x", "", 0);
        let m = ReceivedMessage::from_record(MessageExt::decode(&no_uniq).unwrap(), "b", true);
        assert_eq!(m.msg_id(), m.offset_msg_id());
    }
}
