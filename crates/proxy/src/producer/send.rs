//! SendMessage (Java's `SendMessageActivity` and `ProducerProcessor.sendMessage`): every
//! message of the request is checked and converted, the first one's type checked against
//! the topic's `message.type`, one queue chosen (by the message group's hash for a single
//! FIFO message, else round robin), and the messages sent as one SEND_MESSAGE_V2 or
//! SEND_BATCH_MESSAGE to that queue's master.

use bytes::BytesMut;
use ferromq_client::ClientError;
use ferromq_model::{names, MessageQueue};
use ferromq_protocol::headers::{
    SendMessageRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use ferromq_protocol::message::batch::BatchEntry;
use ferromq_protocol::message::keys;
use ferromq_protocol::message::sysflag::message as sysflag;
use ferromq_protocol::{request_code, response_code as rc, RemotingCommand};

use crate::context::RequestContext;
use crate::pb;
use crate::producer::convert::{self, Outgoing};
use crate::producer::message_type::{self, TopicMessageType};
use crate::producer::transaction::TransactionData;
use crate::proxy::Proxy;
use crate::status::{code_name, status, Refusal};
use crate::validate;

/// Answers SendMessage.
pub async fn send_message(
    proxy: &Proxy,
    ctx: &RequestContext,
    req: pb::SendMessageRequest,
) -> pb::SendMessageResponse {
    match send(proxy, ctx, req).await {
        Ok(entries) => pb::SendMessageResponse {
            status: Some(overall(&entries)),
            entries,
        },
        Err(r) => pb::SendMessageResponse {
            status: Some(r.status()),
            entries: vec![],
        },
    }
}

/// The response status of a batch: the one code all entries share, else MULTIPLE_RESULTS.
fn overall(entries: &[pb::SendResultEntry]) -> pb::Status {
    let mut codes: Vec<i32> = entries
        .iter()
        .map(|e| e.status.as_ref().map_or(0, |s| s.code))
        .collect();
    codes.sort_unstable();
    codes.dedup();
    match codes.as_slice() {
        [] => status(pb::Code::InternalServerError, "send status is empty"),
        [one] => {
            let code = pb::Code::try_from(*one).unwrap_or(pb::Code::InternalServerError);
            status(code, code_name(code))
        }
        _ => status(pb::Code::MultipleResults, "MULTIPLE_RESULTS"),
    }
}

async fn send(
    proxy: &Proxy,
    ctx: &RequestContext,
    req: pb::SendMessageRequest,
) -> Result<Vec<pb::SendResultEntry>, Refusal> {
    let Some(first) = req.messages.first() else {
        return Err(Refusal::new(
            pb::Code::MessageCorrupted,
            "no message to send",
        ));
    };
    let resource = first.topic.clone();
    let topic = validate::topic(resource.as_ref())?;
    let now = ferromq_protocol::time::now_ms();
    let mut batch = Vec::with_capacity(req.messages.len());
    for m in req.messages {
        if m.topic != resource {
            return Err(Refusal::new(
                pb::Code::MessageCorrupted,
                "topic in message is not same",
            ));
        }
        batch.push(convert::to_remoting(
            proxy.config(),
            m,
            &topic,
            ctx.remote_addr(),
            now,
        )?);
    }
    let head = &batch[0];
    if proxy.config().enable_topic_message_type_check
        && !head.properties.contains(keys::TRANSFER_FLAG)
        && !names::is_retry_topic(&topic)
        && !names::is_dlq_topic(&topic)
    {
        let expected = proxy.backend().topic_message_type(&topic).await;
        let actual = TopicMessageType::of_properties(|k| head.property(k));
        message_type::check(expected, actual)?;
    }
    let route = proxy.backend().route(&topic).await?;
    let sharding = (batch.len() == 1)
        .then(|| head.property(keys::SHARDING_KEY))
        .flatten();
    let queues = &route.publish.queues;
    let first = match &sharding {
        Some(key) => select_by_key(key, queues.len()),
        None => (!queues.is_empty()).then(|| route.publish.next_index() as usize % queues.len()),
    };
    let Some(mut mq) = first.and_then(|i| queues.get(i)) else {
        return Err(Refusal::new(pb::Code::Forbidden, "no writable queue"));
    };
    let mut tried = Vec::new();
    let (resp, addr) = loop {
        let addr = proxy.backend().master_addr(&mq.broker_name, &topic).await?;
        let request = build_request(mq, &batch, now)?;
        match proxy.backend().invoke(&addr, request).await {
            Ok(resp) => break (resp, addr),
            Err(e) => {
                tried.push(mq.broker_name.clone());
                // Only a broker never reached is tried again (nothing can have been stored),
                // and never for a message group (its queue is its order).
                let next = (sharding.is_none() && unreachable(&e))
                    .then(|| other_broker(queues, &tried))
                    .flatten();
                match next {
                    Some(q) => {
                        tracing::debug!(broker = %mq.broker_name, error = %e, "send: broker unreachable, next broker");
                        mq = q;
                    }
                    None => return Err(e.into()),
                }
            }
        }
    };
    let entries = entries(&resp, &batch, &addr)?;
    if head.sys_flag & sysflag::TRANSACTION_PREPARED_TYPE != 0 {
        remember_halves(proxy, &topic, mq, &resp, &entries);
    }
    Ok(entries)
}

/// Whether a call failed before reaching the broker (no connection).
fn unreachable(e: &ClientError) -> bool {
    use ferromq_remoting::RemotingError as R;
    matches!(
        e,
        ClientError::Remoting(R::Connect { .. } | R::ConnectTimeout { .. } | R::InvalidAddress(_))
    )
}

/// A queue of a broker not in `tried`, if any.
fn other_broker<'a>(queues: &'a [MessageQueue], tried: &[String]) -> Option<&'a MessageQueue> {
    queues.iter().find(|q| !tried.contains(&q.broker_name))
}

/// Guava's `Hashing.consistentHash(key.hashCode(), buckets)`, the FIFO queue of a message
/// group in Java's proxy: one group always lands on the same queue of a route.
pub fn select_by_key(key: &str, buckets: usize) -> Option<usize> {
    let buckets = i32::try_from(buckets).ok().filter(|b| *b > 0)?;
    let input = i64::from(ferromq_protocol::hash::java_string_hash(key));
    Some(consistent_hash(input, buckets) as usize)
}

/// Guava's `Hashing.consistentHash(long, int)` (jump hashing over its linear congruential
/// generator), bit for bit: Java's `(int)` of a double saturates, as Rust's `as` does.
fn consistent_hash(input: i64, buckets: i32) -> i32 {
    let mut state = input;
    let mut candidate: i32 = 0;
    loop {
        state = state
            .wrapping_mul(2_862_933_555_777_941_757)
            .wrapping_add(1);
        let draw = (((state as u64) >> 33) as i32).wrapping_add(1);
        let next_double = f64::from(draw) / f64::from(1u32 << 31);
        let next = (f64::from(candidate + 1) / next_double) as i32;
        if next >= 0 && next < buckets {
            candidate = next;
        } else {
            return candidate;
        }
    }
}

/// SEND_MESSAGE_V2 for one message, SEND_BATCH_MESSAGE for several (Java's
/// `buildSendMessageRequestHeader` + `MQClientAPIExt.sendMessageAsync`).
fn build_request(
    mq: &MessageQueue,
    batch: &[Outgoing],
    now: i64,
) -> Result<RemotingCommand, Refusal> {
    let head = &batch[0];
    let born = head
        .property(keys::BORN_TIMESTAMP)
        .and_then(|b| b.parse().ok())
        .unwrap_or(now);
    let header = SendMessageRequestHeader {
        producer_group: head.topic.clone(),
        topic: head.topic.clone(),
        default_topic: names::AUTO_CREATE_TOPIC_KEY_TOPIC.to_owned(),
        default_topic_queue_nums: 4,
        queue_id: mq.queue_id,
        sys_flag: head.sys_flag,
        born_timestamp: born,
        flag: 0,
        properties: Some(head.properties.encode()),
        reconsume_times: Some(0),
        unit_mode: None,
        batch: (batch.len() > 1).then_some(true),
        max_reconsume_times: None,
        broker_name: Some(mq.broker_name.clone()),
    };
    let v2 = SendMessageRequestHeaderV2::from_v1(&header);
    if batch.len() == 1 {
        let req = RemotingCommand::request_with(request_code::SEND_MESSAGE_V2, &v2);
        return Ok(req.with_body(bytes::Bytes::from(head.body.clone())));
    }
    let props: Vec<String> = batch.iter().map(|m| m.properties.encode()).collect();
    let mut body = BytesMut::new();
    for (m, p) in batch.iter().zip(&props) {
        BatchEntry {
            flag: 0,
            body: &m.body,
            properties: p.as_bytes(),
        }
        .encode(&mut body)
        .map_err(|e| Refusal::new(pb::Code::MessagePropertiesTooLarge, e.to_string()))?;
    }
    let req = RemotingCommand::request_with(request_code::SEND_BATCH_MESSAGE, &v2);
    Ok(req.with_body(body.freeze()))
}

/// One entry per message (Java's `convertToSendMessageResponse`): a stored message is OK
/// with its id, queue offset, transaction id and recall handle; a persistence timeout has
/// its own code; any other refusal fails the whole request with the broker's mapped code.
fn entries(
    resp: &RemotingCommand,
    batch: &[Outgoing],
    addr: &str,
) -> Result<Vec<pb::SendResultEntry>, Refusal> {
    let failed = |code: pb::Code, name: &str| pb::SendResultEntry {
        status: Some(status(
            code,
            format!("send message failed, sendStatus={name}"),
        )),
        ..Default::default()
    };
    let one = match resp.code {
        rc::SUCCESS => None,
        rc::FLUSH_DISK_TIMEOUT => Some(failed(
            pb::Code::MasterPersistenceTimeout,
            "FLUSH_DISK_TIMEOUT",
        )),
        rc::FLUSH_SLAVE_TIMEOUT => Some(failed(
            pb::Code::SlavePersistenceTimeout,
            "FLUSH_SLAVE_TIMEOUT",
        )),
        rc::SLAVE_NOT_AVAILABLE => Some(failed(pb::Code::HaNotAvailable, "SLAVE_NOT_AVAILABLE")),
        code => {
            return Err(Refusal::from(ClientError::Broker {
                code,
                remark: resp.remark.clone().unwrap_or_default(),
                addr: addr.to_owned(),
            }))
        }
    };
    if let Some(e) = one {
        return Ok(vec![e; batch.len()]);
    }
    let h: SendMessageResponseHeader = resp
        .decode_header()
        .map_err(|e| Refusal::new(pb::Code::InternalServerError, e.to_string()))?;
    Ok(batch
        .iter()
        .enumerate()
        .map(|(i, m)| pb::SendResultEntry {
            status: Some(status(pb::Code::Ok, "OK")),
            message_id: m.message_id.clone(),
            transaction_id: h.transaction_id.clone().unwrap_or_default(),
            offset: h.queue_offset.saturating_add(i as i64),
            recall_handle: h.recall_handle.clone().unwrap_or_default(),
        })
        .collect())
}

/// Java's `fillTransactionData`: where the stored half is, for its EndTransaction.
fn remember_halves(
    proxy: &Proxy,
    topic: &str,
    mq: &MessageQueue,
    resp: &RemotingCommand,
    entries: &[pb::SendResultEntry],
) {
    let Ok(h) = resp.decode_header::<SendMessageResponseHeader>() else {
        return;
    };
    let first_offset_id = h.msg_id.split(',').next().unwrap_or_default();
    let Ok(id) = ferromq_protocol::message::id::decode_offset_msg_id(first_offset_id) else {
        return;
    };
    for e in entries
        .iter()
        .filter(|e| !e.transaction_id.trim().is_empty())
    {
        proxy.transactions().add(
            topic,
            &e.transaction_id,
            TransactionData {
                broker_name: mq.broker_name.clone(),
                broker_addr: None,
                topic: topic.to_owned(),
                tran_state_table_offset: e.offset,
                commit_log_offset: id.commit_log_offset,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consistent_hash_matches_guava() {
        // Guava's HashingTest.testConsistentHash_linearCongruentialGeneratorCompatibility.
        let golden100 = [
            0, 55, 62, 8, 45, 59, 86, 97, 82, 59, 73, 37, 17, 56, 86, 21, 90, 37, 38, 83,
        ];
        for (i, want) in golden100.iter().enumerate() {
            assert_eq!(consistent_hash(i as i64, 100), *want, "input {i}");
        }
        assert_eq!(consistent_hash(10_863_919_174_838_991, 11), 6);
        assert_eq!(consistent_hash(2_016_238_256_797_177_309, 11), 3);
        assert_eq!(consistent_hash(1_673_758_223_894_951_030, 11), 5);
        assert_eq!(consistent_hash(2, 100_001), 80_343);
        assert_eq!(consistent_hash(2201, 100_001), 22_152);
        assert_eq!(consistent_hash(2202, 100_001), 15_018);
        assert_eq!(select_by_key("a", 0), None);
        assert_eq!(select_by_key("a", 1), Some(0));
    }

    #[test]
    fn retries_go_to_another_broker() {
        let qs: Vec<MessageQueue> = ["a", "a", "b"]
            .iter()
            .enumerate()
            .map(|(i, b)| MessageQueue::new("T", *b, i as i32))
            .collect();
        assert_eq!(other_broker(&qs, &["a".into()]).unwrap().broker_name, "b");
        assert!(other_broker(&qs, &["a".into(), "b".into()]).is_none());
        let refused =
            ClientError::Remoting(ferromq_remoting::RemotingError::InvalidAddress("x".into()));
        assert!(unreachable(&refused));
        assert!(!unreachable(&ClientError::NotRunning));
    }

    #[test]
    fn overall_status() {
        let ok = pb::SendResultEntry {
            status: Some(status(pb::Code::Ok, "OK")),
            ..Default::default()
        };
        let bad = pb::SendResultEntry {
            status: Some(status(pb::Code::HaNotAvailable, "x")),
            ..Default::default()
        };
        assert_eq!(overall(&[ok.clone(), ok.clone()]).code, pb::Code::Ok as i32);
        assert_eq!(overall(&[ok, bad]).code, pb::Code::MultipleResults as i32);
        assert_eq!(overall(&[]).code, pb::Code::InternalServerError as i32);
    }
}
