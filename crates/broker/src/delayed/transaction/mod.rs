//! Transactional messages: the half/op queues and the check-back service.
//!
//! A half message waits in `RMQ_SYS_TRANS_HALF_TOPIC` (queue 0). END_TRANSACTION ([`end`])
//! commits or rolls it back; either way an "op" record resolves it. Op records live in
//! `RMQ_SYS_TRANS_OP_HALF_TOPIC` (tag `d`, body = half queue offsets as `"12,"`). The check
//! service walks the half queue and asks [`check::step`] about each unresolved half: one older
//! than `transactionTimeOut` is re-appended with `TRANSACTION_CHECK_TIMES + 1` (so the walk can
//! move on) and its producer group is asked for the outcome (CHECK_TRANSACTION_STATE); after
//! `transactionCheckMax` checks it is discarded to `TRANS_CHECK_MAX_TIME_TOPIC`. Progress is
//! the consumer offset of group `CID_RMQ_SYS_TRANS` on both topics, so pending halves survive
//! a restart. What is resolved is [`state::TransactionState`].

pub(crate) mod check;
pub(crate) mod end;
pub(crate) mod state;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferromq_model::names;
use ferromq_protocol::headers::CheckTransactionStateRequestHeader;
use ferromq_protocol::message::id::encode_offset_msg_id;
use ferromq_protocol::message::properties::{keys, Properties};
use ferromq_protocol::message::record::{body_crc, MessageExt, RecordVersion, RecordView};
use ferromq_protocol::{request_code as rc, RemotingCommand};
use ferromq_store::{AppendInfo, MessageToStore};
use tokio_util::sync::CancellationToken;

use crate::context::BrokerContext;
use crate::delayed::system_queue::{walk, Visit};
use check::{Action, Half, Policy};

const GROUP: &str = names::CID_SYS_RMQ_TRANS;
const OP_TAG: &str = "d";

/// Writes an op record resolving `half_offset`.
fn write_op(ctx: &BrokerContext, half_offset: i64) -> bool {
    let mut props = Properties::new();
    props.insert(keys::TAGS, OP_TAG);
    let host = ctx.identity().store_host();
    let msg = MessageToStore {
        topic: names::TRANS_OP_HALF_TOPIC.to_string(),
        queue_id: 0,
        flag: 0,
        body: Bytes::from(format!("{half_offset},")),
        properties: props.encode(),
        sys_flag: 0,
        born_timestamp: ferromq_protocol::time::now_ms(),
        born_host: host,
        store_host: host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    };
    let ok = ctx.store().put_message(&msg).status.is_stored();
    if ok {
        ctx.delayed().transactions().mark(&[half_offset]);
    }
    ok
}

/// Reads op records not yet seen into the resolved set.
fn read_ops(ctx: &BrokerContext) {
    let st = ctx.delayed().transactions();
    let next = walk(
        ctx.store(),
        names::TRANS_OP_HALF_TOPIC,
        0,
        st.op_read(),
        |qo, bytes| {
            let halves: Vec<i64> = MessageExt::decode(bytes)
                .map(|m| {
                    String::from_utf8_lossy(&m.body)
                        .split(',')
                        .filter_map(|s| s.trim().parse().ok())
                        .collect()
                })
                .unwrap_or_default();
            st.read_op(qo, halves);
            Visit::Next
        },
    );
    st.skip_op_read(next);
}

/// Loads the resolved set from the op queue once (at the first use after start).
fn ensure_loaded(ctx: &BrokerContext) {
    let offsets = ctx.tables().offsets();
    let first = ctx.delayed().transactions().start_loading(|| {
        offsets
            .query(GROUP, names::TRANS_OP_HALF_TOPIC, 0)
            .unwrap_or(0)
    });
    if first {
        read_ops(ctx);
    }
}

/// What the check step needs to know about a half, from its properties.
fn half_of(m: &MessageExt) -> (Half, Properties) {
    let props = Properties::parse_bytes(&m.properties);
    let half = Half {
        store_timestamp: m.store_timestamp,
        check_times: props
            .get(keys::TRANSACTION_CHECK_TIMES)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
        immunity_ms: props
            .get(keys::CHECK_IMMUNITY_TIME_IN_SECONDS)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .map(|s| s.saturating_mul(1000)),
    };
    (half, props)
}

/// One pass of the check service; returns how many halves were checked.
pub(crate) fn check_pass(ctx: &BrokerContext, now: i64) -> usize {
    ensure_loaded(ctx);
    read_ops(ctx);
    let policy = {
        let c = ctx.settings().get();
        Policy {
            timeout_ms: c.broker.transaction_time_out,
            max_checks: c.broker.transaction_check_max,
        }
    };
    let offsets = ctx.tables().offsets();
    let from = offsets
        .query(GROUP, names::TRANS_HALF_TOPIC, 0)
        .unwrap_or(0);
    // Copies re-appended by this pass are left for the next one.
    let end = ctx.store().max_offset_in_queue(names::TRANS_HALF_TOPIC, 0);
    let resolved = ctx.delayed().transactions();
    let mut checked = 0;
    let next = walk(
        ctx.store(),
        names::TRANS_HALF_TOPIC,
        0,
        from,
        |qo, bytes| {
            if qo >= end {
                return Visit::Stop;
            }
            if resolved.is_done(qo) {
                return Visit::Next;
            }
            let Ok(m) = MessageExt::decode(bytes) else {
                write_op(ctx, qo);
                return Visit::Next;
            };
            let (half, props) = half_of(&m);
            match check::step(&half, now, policy) {
                Action::Wait => return Visit::Stop,
                Action::Discard => discard(ctx, &m),
                Action::Recheck { times } => {
                    recheck(ctx, &m, props, times);
                    checked += 1;
                }
            }
            write_op(ctx, qo);
            Visit::Next
        },
    );
    offsets.commit(GROUP, names::TRANS_HALF_TOPIC, 0, next);
    if let Some(op) = resolved.advance(next) {
        offsets.commit(GROUP, names::TRANS_OP_HALF_TOPIC, 0, op);
    }
    checked
}

/// Gives up on a half checked too often: kept in TRANS_CHECK_MAX_TIME_TOPIC for inspection.
fn discard(ctx: &BrokerContext, half: &MessageExt) {
    tracing::warn!(
        offset = half.queue_offset,
        "transaction checked too often; discarded"
    );
    let mut msg = MessageToStore::from_stored(half, ctx.identity().store_host());
    msg.topic = names::TRANS_CHECK_MAX_TIME_TOPIC.to_string();
    msg.queue_id = 0;
    msg.prepared_transaction_offset = half.commit_log_offset;
    let rw = ferromq_model::perm::PERM_READ | ferromq_model::perm::PERM_WRITE;
    if let Some((_, true)) =
        ctx.tables()
            .topics()
            .create_if_absent(names::TRANS_CHECK_MAX_TIME_TOPIC, 1, rw, 0)
    {
        ctx.topics_changed();
    }
    let put = ctx.store().put_message(&msg);
    if !put.status.is_stored() {
        tracing::warn!(
            status = put.status.name(),
            "storing a discarded half message failed"
        );
    }
}

/// Re-appends the half with one more check, then asks a producer of its group.
fn recheck(ctx: &BrokerContext, half: &MessageExt, mut props: Properties, times: i32) {
    props.insert(keys::TRANSACTION_CHECK_TIMES, times.to_string());
    let mut copy = MessageToStore::from_stored(half, ctx.identity().store_host());
    copy.topic = names::TRANS_HALF_TOPIC.to_string();
    copy.queue_id = 0;
    copy.properties = props.encode();
    copy.prepared_transaction_offset = 0;
    let put = ctx.store().put_message(&copy);
    let Some(info) = put.append.filter(|_| put.status.is_stored()) else {
        tracing::warn!(
            status = put.status.name(),
            "re-appending a half message failed"
        );
        return;
    };
    ask_producer(ctx, half, &props, &info, times);
}

/// Sends CHECK_TRANSACTION_STATE about the re-appended copy at `info` to a live producer of
/// the half's group (one-way; its END_TRANSACTION answers).
fn ask_producer(
    ctx: &BrokerContext,
    half: &MessageExt,
    props: &Properties,
    info: &AppendInfo,
    times: i32,
) {
    let Some(group) = props.get(keys::PRODUCER_GROUP) else {
        return;
    };
    let members = ctx.clients().producer_group(group);
    let Some(member) = members.into_iter().find(|m| !m.channel.is_closed()) else {
        tracing::debug!(group, "no live producer to check a transaction with");
        return;
    };
    let Some(body) = check_body(ctx, half, props, info) else {
        return;
    };
    let host = ctx.identity().store_host();
    let header = CheckTransactionStateRequestHeader {
        topic: Some(
            props
                .get(keys::REAL_TOPIC)
                .unwrap_or(names::TRANS_HALF_TOPIC)
                .to_string(),
        ),
        tran_state_table_offset: info.queue_offset,
        commit_log_offset: info.phys_offset,
        msg_id: props.uniq_key().map(str::to_string),
        transaction_id: props
            .get(keys::TRANSACTION_ID)
            .or(props.uniq_key())
            .map(str::to_string),
        offset_msg_id: Some(encode_offset_msg_id(host, info.phys_offset)),
        broker_name: Some(ctx.identity().name().to_string()),
    };
    let cmd = RemotingCommand::request_with(rc::CHECK_TRANSACTION_STATE, &header).with_body(body);
    tracing::debug!(group, client = %member.client_id, offset = info.queue_offset, times, "checking a transaction");
    tokio::spawn(async move {
        if let Err(e) = member.channel.oneway(cmd).await {
            tracing::debug!(error = %e, "sending CHECK_TRANSACTION_STATE failed");
        }
    });
}

/// The check body: the half as a stored record, with its real topic and queue.
fn check_body(
    ctx: &BrokerContext,
    half: &MessageExt,
    props: &Properties,
    info: &AppendInfo,
) -> Option<Vec<u8>> {
    let real_topic = props
        .get(keys::REAL_TOPIC)
        .unwrap_or(names::TRANS_HALF_TOPIC);
    let real_queue: i32 = props
        .get(keys::REAL_QUEUE_ID)
        .and_then(|q| q.parse().ok())
        .unwrap_or(0);
    let encoded = props.encode();
    let view = RecordView {
        version: RecordVersion::for_topic_len(real_topic.len()),
        body_crc: body_crc(&half.body),
        queue_id: real_queue,
        flag: half.flag,
        queue_offset: info.queue_offset,
        physical_offset: info.phys_offset,
        sys_flag: half.sys_flag,
        born_timestamp: half.born_timestamp,
        born_host: half.born_host,
        store_timestamp: info.store_timestamp,
        store_host: ctx.identity().store_host(),
        reconsume_times: half.reconsume_times,
        prepared_transaction_offset: 0,
        body: &half.body,
        topic: real_topic.as_bytes(),
        properties: encoded.as_bytes(),
    };
    let mut body = Vec::with_capacity(view.encoded_len());
    view.encode(&mut body).ok()?;
    Some(body)
}

/// Runs a check pass every `transactionCheckInterval` until `stop`.
pub(crate) async fn run(ctx: Arc<BrokerContext>, stop: CancellationToken) {
    loop {
        let interval = ctx
            .settings()
            .get()
            .broker
            .transaction_check_interval
            .max(100) as u64;
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_millis(interval)) => {}
        }
        let c = ctx.clone();
        let rt = tokio::runtime::Handle::current();
        let _ = tokio::task::spawn_blocking(move || {
            let _g = rt.enter();
            check_pass(&c, ferromq_protocol::time::now_ms())
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::testing::{self, channel, send_request, topic};
    use ferromq_protocol::message::sysflag::message as sf;

    /// A half message in the half queue, as a transactional send parks it.
    async fn half(t: &BrokerContext) {
        let mut p = Properties::new();
        p.insert(keys::TRANSACTION_PREPARED, "true");
        p.insert(keys::PRODUCER_GROUP, "tx_pg");
        let mut req = send_request("T", 0, "tx", &p);
        req.ext_fields
            .insert("f", sf::TRANSACTION_PREPARED_TYPE.to_string());
        crate::processor::send::send(t, &channel(), req)
            .await
            .unwrap();
        assert!(t.store().wait_dispatched(Duration::from_secs(5)));
    }

    #[tokio::test]
    async fn old_halves_are_rechecked_then_discarded() {
        // Checks at once; a half is discarded after two checks.
        let t = testing::context_with(|c| {
            c.broker.transaction_time_out = 0;
            c.broker.transaction_check_max = 2;
        });
        topic(&t, "T", 1, 6);
        half(&t).await;
        let half_max = || t.store().max_offset_in_queue(names::TRANS_HALF_TOPIC, 0);
        let now = ferromq_protocol::time::now_ms() + 1_000;
        assert_eq!(check_pass(&t, now), 1, "checked once, re-appended");
        assert!(t.store().wait_dispatched(Duration::from_secs(5)));
        assert_eq!(half_max(), 2, "the copy with TRANSACTION_CHECK_TIMES 1");
        assert_eq!(check_pass(&t, now), 1);
        assert!(t.store().wait_dispatched(Duration::from_secs(5)));
        assert_eq!(half_max(), 3);
        assert_eq!(check_pass(&t, now), 0, "checked twice: discarded");
        assert!(t.store().wait_dispatched(Duration::from_secs(5)));
        assert_eq!(half_max(), 3);
        assert_eq!(
            t.store()
                .max_offset_in_queue(names::TRANS_CHECK_MAX_TIME_TOPIC, 0),
            1
        );
        // Every half resolved; progress past them all.
        let progress = t
            .tables()
            .offsets()
            .query(GROUP, names::TRANS_HALF_TOPIC, 0);
        assert_eq!(progress, Some(3));
        assert_eq!(t.store().max_offset_in_queue("T", 0), 0, "never delivered");
    }

    #[tokio::test]
    async fn young_halves_wait() {
        let t = testing::context_with(|c| c.broker.transaction_time_out = 60_000);
        topic(&t, "T", 1, 6);
        half(&t).await;
        assert_eq!(check_pass(&t, ferromq_protocol::time::now_ms()), 0);
        assert_eq!(
            t.tables()
                .offsets()
                .query(GROUP, names::TRANS_HALF_TOPIC, 0),
            Some(0),
            "the walk stops at the first young half"
        );
    }
}
