//! Writing the revive log `rmq_sys_REVIVE_LOG_{cluster}`: checkpoints (tag `ck`), acks
//! (`ack`) and batch acks (`bAck`) as JSON bodies with Java's field names and unique keys.
//! Java delays them through its timer to their revive time; FerroMQ stores them at once and
//! its revive service waits for the time itself (a Java broker reading this log still finds
//! every record it expects).

use bytes::Bytes;
use ferromq_model::names;
use ferromq_protocol::message::properties::{keys as props, Properties};
use ferromq_store::MessageToStore;

use super::keys;
use super::records::{AckMsg, BatchAckMsg, PopCheckPoint};
use crate::context::BrokerContext;

/// The revive topic of this broker's cluster.
pub(crate) fn topic(ctx: &BrokerContext) -> String {
    names::revive_topic(ctx.identity().cluster())
}

fn put(ctx: &BrokerContext, qid: i32, tag: &str, uniq: String, body: Vec<u8>) -> bool {
    let mut p = Properties::new();
    p.insert(props::TAGS, tag);
    p.insert(props::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, uniq);
    let host = ctx.identity().store_host();
    let msg = MessageToStore {
        topic: topic(ctx),
        queue_id: qid,
        flag: 0,
        body: Bytes::from(body),
        properties: p.encode(),
        sys_flag: 0,
        born_timestamp: ferromq_protocol::time::now_ms(),
        born_host: host,
        store_host: host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    };
    let status = ctx.store().put_message(&msg).status;
    if !status.is_stored() {
        tracing::warn!(
            tag,
            qid,
            status = status.name(),
            "writing the revive log failed"
        );
    }
    status.is_stored()
}

/// Stores a checkpoint in revive queue `qid`.
pub(crate) fn put_ck(ctx: &BrokerContext, ck: &PopCheckPoint, qid: i32) -> bool {
    let uniq = format!(
        "{}@{}@{}@{}@{}@{}@{}",
        ck.topic,
        ck.queue_id,
        ck.start_offset,
        ck.cid,
        ck.pop_time,
        ck.broker_name.as_deref().unwrap_or(""),
        keys::CK_TAG
    );
    let body = serde_json::to_vec(&ck.clone().with_revive_time()).unwrap_or_default();
    put(ctx, qid, keys::CK_TAG, uniq, body)
}

/// Stores an ack in revive queue `qid`.
pub(crate) fn put_ack(ctx: &BrokerContext, ack: &AckMsg, qid: i32) -> bool {
    let uniq = format!(
        "{}@{}@{}@{}@{}@{}@{}",
        ack.topic,
        ack.queue_id,
        ack.ack_offset,
        ack.consumer_group,
        ack.pop_time,
        ack.broker_name.as_deref().unwrap_or(""),
        keys::ACK_TAG
    );
    let body = serde_json::to_vec(ack).unwrap_or_default();
    put(ctx, qid, keys::ACK_TAG, uniq, body)
}

/// Stores a batch ack in revive queue `qid`.
pub(crate) fn put_batch_ack(ctx: &BrokerContext, b: &BatchAckMsg, qid: i32) -> bool {
    let list: Vec<String> = b.ack_offset_list.iter().map(|o| o.to_string()).collect();
    let uniq = format!(
        "{}@{}@[{}]@{}@{}@{}",
        b.ack.topic,
        b.ack.queue_id,
        list.join(", "),
        b.ack.consumer_group,
        b.ack.pop_time,
        keys::BATCH_ACK_TAG
    );
    let body = serde_json::to_vec(b).unwrap_or_default();
    put(ctx, qid, keys::BATCH_ACK_TAG, uniq, body)
}
