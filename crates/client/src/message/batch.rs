//! Client side of SEND_BATCH_MESSAGE: validate a batch as Java's `MessageBatch` does, give
//! every message a unique id, and encode the body with the shared batch codec.

use bytes::{Bytes, BytesMut};
use ferromq_model::names::RETRY_GROUP_TOPIC_PREFIX;
use ferromq_protocol::message::batch::BatchEntry;
use ferromq_protocol::message::keys;

use crate::error::ClientError;
use crate::message::{Message, UniqueIdGenerator};

/// Checks that `messages` may travel in one batch (same topic, same `WAIT`, no delay, no retry
/// topic), assigns missing `UNIQ_KEY`s, and encodes the batch body. Returns the body and the
/// unique ids in order.
pub(crate) fn encode_batch(
    messages: &mut [Message],
    ids: &UniqueIdGenerator,
) -> Result<(Bytes, Vec<String>), ClientError> {
    let first = messages
        .first()
        .ok_or_else(|| ClientError::IllegalMessage("a batch needs at least one message".into()))?;
    let (topic, wait) = (first.topic.clone(), first.wait_store_ok());
    for m in messages.iter() {
        if m.delay_level() > 0 {
            return Err(ClientError::IllegalMessage(
                "TimeDelayLevel is not supported for batching".into(),
            ));
        }
        if m.topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
            return Err(ClientError::IllegalMessage(
                "Retry Group is not supported for batching".into(),
            ));
        }
        if m.topic != topic {
            return Err(ClientError::IllegalMessage(
                "The topic of the messages in one batch should be the same".into(),
            ));
        }
        if m.wait_store_ok() != wait {
            return Err(ClientError::IllegalMessage(
                "The waitStoreMsgOK of the messages in one batch should the same".into(),
            ));
        }
    }
    let mut uniq = Vec::with_capacity(messages.len());
    let mut encoded_props = Vec::with_capacity(messages.len());
    for m in messages.iter_mut() {
        if m.uniq_key().is_none() {
            m.properties
                .insert(keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, ids.next_id());
        }
        uniq.push(m.uniq_key().unwrap_or_default().to_string());
        encoded_props.push(m.properties.encode());
    }
    let entries: Vec<BatchEntry<'_>> = messages
        .iter()
        .zip(&encoded_props)
        .map(|(m, p)| BatchEntry {
            flag: m.flag,
            body: &m.body,
            properties: p.as_bytes(),
        })
        .collect();
    let mut out = BytesMut::with_capacity(entries.iter().map(BatchEntry::encoded_len).sum());
    for e in &entries {
        e.encode(&mut out)
            .map_err(|e| ClientError::IllegalMessage(e.to_string()))?;
    }
    Ok((out.freeze(), uniq))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq_protocol::message::batch::decode_batch;
    use ferromq_protocol::message::Properties;

    fn ids() -> UniqueIdGenerator {
        UniqueIdGenerator::new("127.0.0.1".parse().unwrap(), 1)
    }

    #[test]
    fn encodes_every_message_with_an_id() {
        let mut msgs: Vec<Message> = (0..3)
            .map(|i| {
                Message::new("T", format!("m{i}"))
                    .with_tags("a")
                    .with_flag(i)
            })
            .collect();
        let (body, uniq) = encode_batch(&mut msgs, &ids()).unwrap();
        assert_eq!(uniq.len(), 3);
        let back = decode_batch(&body).unwrap();
        assert_eq!(back.len(), 3);
        for (i, e) in back.iter().enumerate() {
            assert_eq!(e.flag, i as i32);
            assert_eq!(e.body, format!("m{i}").as_bytes());
            let p = Properties::parse_bytes(e.properties);
            assert_eq!(p.uniq_key(), Some(uniq[i].as_str()));
            assert_eq!(p.tags(), Some("a"));
            assert_eq!(p.get("WAIT"), Some("true"));
        }
        let mut again = msgs.clone();
        let (_, uniq2) = encode_batch(&mut again, &ids()).unwrap();
        assert_eq!(uniq, uniq2, "existing ids are kept");
    }

    #[test]
    fn rejects_what_java_rejects() {
        let g = ids();
        assert!(encode_batch(&mut [], &g).is_err());
        let mut mixed = [Message::new("A", "x"), Message::new("B", "y")];
        assert!(encode_batch(&mut mixed, &g).is_err());
        let mut delayed = [Message::new("A", "x").with_delay_level(2)];
        assert!(encode_batch(&mut delayed, &g).is_err());
        let mut retry = [Message::new("%RETRY%g", "x")];
        assert!(encode_batch(&mut retry, &g).is_err());
        let mut wait = [
            Message::new("A", "x"),
            Message::new("A", "y").with_wait_store_ok(false),
        ];
        assert!(encode_batch(&mut wait, &g).is_err());
    }
}
