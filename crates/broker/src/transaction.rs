//! Transactional messages: END_TRANSACTION (37) and the check-back service.
//!
//! A half message waits in `RMQ_SYS_TRANS_HALF_TOPIC` (queue 0). Committing stores the real
//! message (COMMIT type) and an "op" record; rolling back stores only the op record. Op
//! records live in `RMQ_SYS_TRANS_OP_HALF_TOPIC` (tag `d`, body = half queue offsets as
//! `"12,"`). The check service walks the half queue: a half older than `transactionTimeOut`
//! without an op is re-appended with `TRANSACTION_CHECK_TIMES + 1` (so the walk can move on)
//! and its producer group is asked for the outcome (CHECK_TRANSACTION_STATE); after
//! `transactionCheckMax` checks it is discarded to `TRANS_CHECK_MAX_TIME_TOPIC`. Progress is
//! the consumer offset of group `CID_RMQ_SYS_TRANS` on both topics, so pending halves survive
//! a restart.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferromq_model::names;
use ferromq_protocol::headers::*;
use ferromq_protocol::message::id::encode_offset_msg_id;
use ferromq_protocol::message::properties::{keys, Properties};
use ferromq_protocol::message::record::{MessageExt, RecordView};
use ferromq_protocol::message::sysflag::message as sf;
use ferromq_protocol::{request_code as rc, response_code, RemotingCommand};
use ferromq_store::{GetMessageStatus, MessageToStore};
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use crate::context::BrokerContext;
use crate::processor::header;
use crate::repost::RepostError;

const GROUP: &str = names::CID_SYS_RMQ_TRANS;
const OP_TAG: &str = "d";

/// What the broker knows about resolved halves.
#[derive(Default)]
pub struct TransactionState {
    inner: Mutex<Resolved>,
}

#[derive(Default)]
struct Resolved {
    /// Half queue offsets with an op record.
    done: HashSet<i64>,
    /// Op queue offset → the half offsets it resolves (to advance the op offset).
    ops: BTreeMap<i64, Vec<i64>>,
    /// Next op queue offset to read.
    op_read: i64,
    loaded: bool,
}

impl TransactionState {
    /// Whether the half at `offset` is resolved.
    pub fn is_done(&self, offset: i64) -> bool {
        self.inner.lock().done.contains(&offset)
    }

    fn mark(&self, offsets: &[i64]) {
        let mut r = self.inner.lock();
        r.done.extend(offsets.iter().copied());
    }
}

fn now_ms() -> i64 {
    crate::processor::now_ms()
}

/// Writes an op record resolving `half_offset`.
fn write_op(ctx: &BrokerContext, half_offset: i64) -> bool {
    let mut props = Properties::new();
    props.insert(keys::TAGS, OP_TAG);
    let msg = MessageToStore {
        topic: names::TRANS_OP_HALF_TOPIC.to_string(),
        queue_id: 0,
        flag: 0,
        body: Bytes::from(format!("{half_offset},")),
        properties: props.encode(),
        sys_flag: 0,
        born_timestamp: now_ms(),
        born_host: ctx.store_host,
        store_host: ctx.store_host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    };
    let ok = ctx.store.put_message(&msg).status.is_stored();
    if ok {
        ctx.transactions.mark(&[half_offset]);
    }
    ok
}

/// END_TRANSACTION.
pub async fn end_transaction(ctx: &Arc<BrokerContext>, req: &RemotingCommand) -> RemotingCommand {
    let h = header!(req, EndTransactionRequestHeader);
    let from_check = h.from_transaction_check.unwrap_or(false);
    match h.commit_or_rollback {
        transaction_resolution::UNKNOWN => {
            tracing::debug!(group = %h.producer_group, msg_id = %h.msg_id, from_check, "transaction state unknown");
            return RemotingCommand::success();
        }
        transaction_resolution::COMMIT | transaction_resolution::ROLLBACK => {}
        other => {
            return RemotingCommand::error(
                response_code::ILLEGAL_OPERATION,
                format!("illegal commitOrRollback value {other}"),
            )
        }
    }
    let Some((_, half)) = ctx.store.message_by_phys_offset(h.commit_log_offset) else {
        return RemotingCommand::error(
            response_code::SYSTEM_ERROR,
            "Find prepared transaction message failed",
        );
    };
    if let Err(resp) = check_prepare_message(&half, &h) {
        return resp;
    }
    ensure_loaded(ctx);
    if ctx.transactions.is_done(half.queue_offset) {
        // Already resolved (e.g. by a check-back of its re-appended copy): once only.
        tracing::debug!(offset = half.queue_offset, "transaction already resolved");
        return RemotingCommand::success();
    }
    if h.commit_or_rollback == transaction_resolution::COMMIT {
        let mut msg = match committed_message(ctx, &half) {
            Ok(m) => m,
            Err(e) => {
                return RemotingCommand::error(
                    response_code::SYSTEM_ERROR,
                    format!("the half message cannot be committed: {e}"),
                )
            }
        };
        msg.prepared_transaction_offset = h.commit_log_offset;
        let mut props = msg.properties.clone();
        crate::message_rewrite::park_if_delayed(ctx, &mut msg, &mut props);
        msg.properties = props;
        let put = ctx.store.put_message(&msg);
        if !put.status.is_stored() {
            return RemotingCommand::error(response_code::SYSTEM_ERROR, put.status.name());
        }
        ctx.stats.record_put(&msg.topic, 1, msg.body.len() as u64);
    }
    if !write_op(ctx, half.queue_offset) {
        return RemotingCommand::error(
            response_code::SYSTEM_ERROR,
            "writing the transaction op record failed",
        );
    }
    tracing::debug!(
        offset = half.queue_offset,
        commit = h.commit_or_rollback == transaction_resolution::COMMIT,
        from_check,
        "transaction ended"
    );
    RemotingCommand::success()
}

fn check_prepare_message(
    half: &MessageExt,
    h: &EndTransactionRequestHeader,
) -> Result<(), RemotingCommand> {
    let props = Properties::parse_bytes(&half.properties);
    if half.topic != names::TRANS_HALF_TOPIC {
        return Err(RemotingCommand::error(
            response_code::SYSTEM_ERROR,
            "Find prepared transaction message failed",
        ));
    }
    if props.get(keys::PRODUCER_GROUP) != Some(h.producer_group.as_str()) {
        return Err(RemotingCommand::error(
            response_code::SYSTEM_ERROR,
            "The producer group wrong",
        ));
    }
    if half.queue_offset != h.tran_state_table_offset {
        return Err(RemotingCommand::error(
            response_code::SYSTEM_ERROR,
            "The transaction state table offset wrong",
        ));
    }
    if half.commit_log_offset != h.commit_log_offset {
        return Err(RemotingCommand::error(
            response_code::SYSTEM_ERROR,
            "The commit log offset wrong",
        ));
    }
    Ok(())
}

/// The real message of a committed half: real topic/queue (checked, see [`crate::repost`]),
/// COMMIT type, REAL_* removed.
fn committed_message(
    ctx: &BrokerContext,
    half: &MessageExt,
) -> Result<MessageToStore, RepostError> {
    let mut props = Properties::parse_bytes(&half.properties);
    let (topic, queue_id) = crate::repost::real_target(&ctx.topics, &props)?;
    props.remove(keys::REAL_TOPIC);
    props.remove(keys::REAL_QUEUE_ID);
    let store_host = ctx.store_host;
    Ok(MessageToStore {
        topic,
        queue_id,
        flag: half.flag,
        body: half.body.clone(),
        properties: props.encode(),
        sys_flag: sf::reset_transaction_value(half.sys_flag, sf::TRANSACTION_COMMIT_TYPE),
        born_timestamp: half.born_timestamp,
        born_host: half.born_host,
        store_host,
        reconsume_times: half.reconsume_times,
        prepared_transaction_offset: half.commit_log_offset,
    })
}

/// Reads op records not yet seen into the resolved set.
fn read_ops(ctx: &BrokerContext) {
    loop {
        let from = ctx.transactions.inner.lock().op_read;
        let r = ctx
            .store
            .get_messages(names::TRANS_OP_HALF_TOPIC, 0, from, 32, usize::MAX, None);
        match r.status {
            GetMessageStatus::Found => {}
            GetMessageStatus::OffsetTooSmall | GetMessageStatus::OffsetOverflowBadly => {
                ctx.transactions.inner.lock().op_read = r.next_begin_offset;
                return;
            }
            _ => return,
        }
        let mut st = ctx.transactions.inner.lock();
        for (bytes, qo) in r.messages.iter().zip(r.queue_offsets.iter()) {
            let halves: Vec<i64> = MessageExt::decode(bytes)
                .map(|m| {
                    String::from_utf8_lossy(&m.body)
                        .split(',')
                        .filter_map(|s| s.trim().parse().ok())
                        .collect()
                })
                .unwrap_or_default();
            st.done.extend(halves.iter().copied());
            st.ops.insert(*qo, halves);
            st.op_read = qo + 1;
        }
        if r.next_begin_offset <= from {
            return;
        }
    }
}

/// Loads the resolved set from the op queue once (at the first use after start).
fn ensure_loaded(ctx: &BrokerContext) {
    let need = {
        let mut st = ctx.transactions.inner.lock();
        if st.loaded {
            false
        } else {
            st.loaded = true;
            st.op_read = ctx
                .offsets
                .query(GROUP, names::TRANS_OP_HALF_TOPIC, 0)
                .unwrap_or(0);
            true
        }
    };
    if need {
        read_ops(ctx);
    }
}

/// One pass of the check service; returns how many halves were checked.
pub fn check_pass(ctx: &BrokerContext, now: i64) -> usize {
    ensure_loaded(ctx);
    read_ops(ctx);
    let (timeout_ms, max_checks) = {
        let c = ctx.config.read();
        (
            c.broker.transaction_time_out,
            c.broker.transaction_check_max,
        )
    };
    let mut offset = ctx
        .offsets
        .query(GROUP, names::TRANS_HALF_TOPIC, 0)
        .unwrap_or(0);
    // Copies re-appended by this pass are left for the next one.
    let end = ctx.store.max_offset_in_queue(names::TRANS_HALF_TOPIC, 0);
    let mut checked = 0;
    'walk: loop {
        let r = ctx
            .store
            .get_messages(names::TRANS_HALF_TOPIC, 0, offset, 32, usize::MAX, None);
        match r.status {
            GetMessageStatus::Found => {}
            GetMessageStatus::OffsetTooSmall | GetMessageStatus::OffsetOverflowBadly => {
                offset = r.next_begin_offset;
                break;
            }
            _ => break,
        }
        for (bytes, qo) in r.messages.iter().zip(r.queue_offsets.iter()) {
            if *qo >= end {
                break 'walk;
            }
            if ctx.transactions.is_done(*qo) {
                offset = qo + 1;
                continue;
            }
            let Ok(half) = MessageExt::decode(bytes) else {
                write_op(ctx, *qo);
                offset = qo + 1;
                continue;
            };
            let props = Properties::parse_bytes(&half.properties);
            let immunity = props
                .get(keys::CHECK_IMMUNITY_TIME_IN_SECONDS)
                .and_then(|v| v.trim().parse::<i64>().ok())
                .map(|s| s.saturating_mul(1000))
                .unwrap_or(timeout_ms);
            if now.saturating_sub(half.store_timestamp) < immunity {
                // Later halves are younger still.
                break 'walk;
            }
            let times: i32 = props
                .get(keys::TRANSACTION_CHECK_TIMES)
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if times >= max_checks {
                discard(ctx, &half);
            } else {
                recheck(ctx, &half, props, times + 1);
                checked += 1;
            }
            write_op(ctx, *qo);
            offset = qo + 1;
        }
        if r.messages.is_empty() {
            break;
        }
    }
    ctx.offsets
        .commit(GROUP, names::TRANS_HALF_TOPIC, 0, offset);
    advance_op_offset(ctx, offset);
    checked
}

/// Moves the op queue's offset past op records that only resolve halves below `half_offset`.
fn advance_op_offset(ctx: &BrokerContext, half_offset: i64) {
    let mut st = ctx.transactions.inner.lock();
    let mut new_op = None;
    while let Some((&op, halves)) = st.ops.first_key_value() {
        if halves.iter().all(|h| *h < half_offset) {
            let halves = st.ops.remove(&op).unwrap_or_default();
            for h in halves {
                st.done.remove(&h);
            }
            new_op = Some(op + 1);
        } else {
            break;
        }
    }
    drop(st);
    if let Some(op) = new_op {
        ctx.offsets.commit(GROUP, names::TRANS_OP_HALF_TOPIC, 0, op);
    }
}

/// Gives up on a half checked too often: kept in TRANS_CHECK_MAX_TIME_TOPIC for inspection.
fn discard(ctx: &BrokerContext, half: &MessageExt) {
    tracing::warn!(
        offset = half.queue_offset,
        "transaction checked too often; discarded"
    );
    let msg = MessageToStore {
        topic: names::TRANS_CHECK_MAX_TIME_TOPIC.to_string(),
        queue_id: 0,
        flag: half.flag,
        body: half.body.clone(),
        properties: String::from_utf8_lossy(&half.properties).into_owned(),
        sys_flag: half.sys_flag,
        born_timestamp: half.born_timestamp,
        born_host: half.born_host,
        store_host: ctx.store_host,
        reconsume_times: half.reconsume_times,
        prepared_transaction_offset: half.commit_log_offset,
    };
    let rw = ferromq_model::perm::PERM_READ | ferromq_model::perm::PERM_WRITE;
    if ctx
        .topics
        .create_if_absent(names::TRANS_CHECK_MAX_TIME_TOPIC, 1, rw, 0)
        .is_some_and(|(_, created)| created)
    {
        ctx.topics_changed();
    }
    let put = ctx.store.put_message(&msg);
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
    let copy = MessageToStore {
        topic: names::TRANS_HALF_TOPIC.to_string(),
        queue_id: 0,
        flag: half.flag,
        body: half.body.clone(),
        properties: props.encode(),
        sys_flag: half.sys_flag,
        born_timestamp: half.born_timestamp,
        born_host: half.born_host,
        store_host: ctx.store_host,
        reconsume_times: half.reconsume_times,
        prepared_transaction_offset: 0,
    };
    let put = ctx.store.put_message(&copy);
    let Some(info) = put.append.filter(|_| put.status.is_stored()) else {
        tracing::warn!(
            status = put.status.name(),
            "re-appending a half message failed"
        );
        return;
    };
    let Some(group) = props.get(keys::PRODUCER_GROUP).map(str::to_string) else {
        return;
    };
    let members = ctx.clients.producer_group(&group);
    let Some(member) = members.into_iter().find(|m| !m.channel.is_closed()) else {
        tracing::debug!(group, "no live producer to check a transaction with");
        return;
    };
    // The check body is the half as a stored record, with its real topic and queue.
    let real_topic = props
        .get(keys::REAL_TOPIC)
        .unwrap_or(names::TRANS_HALF_TOPIC)
        .to_string();
    let real_queue: i32 = props
        .get(keys::REAL_QUEUE_ID)
        .and_then(|q| q.parse().ok())
        .unwrap_or(0);
    let encoded = props.encode();
    let view = RecordView {
        version: ferromq_protocol::message::record::RecordVersion::for_topic_len(real_topic.len()),
        body_crc: ferromq_protocol::message::record::body_crc(&half.body),
        queue_id: real_queue,
        flag: half.flag,
        queue_offset: info.queue_offset,
        physical_offset: info.phys_offset,
        sys_flag: half.sys_flag,
        born_timestamp: half.born_timestamp,
        born_host: half.born_host,
        store_timestamp: info.store_timestamp,
        store_host: ctx.store_host,
        reconsume_times: half.reconsume_times,
        prepared_transaction_offset: 0,
        body: &half.body,
        topic: real_topic.as_bytes(),
        properties: encoded.as_bytes(),
    };
    let mut body = Vec::with_capacity(view.encoded_len());
    if view.encode(&mut body).is_err() {
        return;
    }
    let header = CheckTransactionStateRequestHeader {
        topic: Some(real_topic),
        tran_state_table_offset: info.queue_offset,
        commit_log_offset: info.phys_offset,
        msg_id: props.uniq_key().map(str::to_string),
        transaction_id: props
            .get(keys::TRANSACTION_ID)
            .or(props.uniq_key())
            .map(str::to_string),
        offset_msg_id: Some(encode_offset_msg_id(ctx.store_host, info.phys_offset)),
        broker_name: Some(ctx.broker_name.clone()),
    };
    let cmd = RemotingCommand::request_with(rc::CHECK_TRANSACTION_STATE, &header).with_body(body);
    tracing::debug!(group, client = %member.client_id, offset = info.queue_offset, times, "checking a transaction");
    tokio::spawn(async move {
        if let Err(e) = member.channel.oneway(cmd).await {
            tracing::debug!(error = %e, "sending CHECK_TRANSACTION_STATE failed");
        }
    });
}

/// Runs a check pass every `transactionCheckInterval` until `stop`.
pub async fn run(ctx: Arc<BrokerContext>, stop: CancellationToken) {
    loop {
        let interval = ctx.config.read().broker.transaction_check_interval.max(100) as u64;
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_millis(interval)) => {}
        }
        let c = ctx.clone();
        let rt = tokio::runtime::Handle::current();
        let _ = tokio::task::spawn_blocking(move || {
            let _g = rt.enter();
            check_pass(&c, now_ms())
        })
        .await;
    }
}
