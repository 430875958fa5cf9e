//! END_TRANSACTION: a producer commits or rolls back a half message. Committing stores the
//! real message (COMMIT type, parked again if it was a delayed one) and an op record; rolling
//! back stores only the op record. A half is resolved once, whatever arrives later.

use ferromq_model::names;
use ferromq_protocol::headers::{transaction_resolution, EndTransactionRequestHeader};
use ferromq_protocol::message::properties::{keys, Properties};
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::message::sysflag::message as sf;
use ferromq_protocol::{response_code, RemotingCommand};
use ferromq_remoting::{RequestError, RequestResult};
use ferromq_store::MessageToStore;

use super::{ensure_loaded, write_op};
use crate::context::BrokerContext;
use crate::delayed::repost::{real_target, RepostError};
use crate::put_status::put_error;
use crate::tables::TopicTable;

/// Resolves the half named by `h`.
pub(crate) fn end(ctx: &BrokerContext, h: &EndTransactionRequestHeader) -> RequestResult {
    let from_check = h.from_transaction_check.unwrap_or(false);
    match h.commit_or_rollback {
        transaction_resolution::UNKNOWN => {
            tracing::debug!(group = %h.producer_group, msg_id = %h.msg_id, from_check, "transaction state unknown");
            return Ok(RemotingCommand::success());
        }
        transaction_resolution::COMMIT | transaction_resolution::ROLLBACK => {}
        other => {
            return Err(RequestError::new(
                response_code::ILLEGAL_OPERATION,
                format!("illegal commitOrRollback value {other}"),
            ))
        }
    }
    // Only a real record (its ConsumeQueue says one starts there) is a half message.
    let Some((_, half)) = ctx.store().message_by_phys_offset(h.commit_log_offset) else {
        return Err(RequestError::system(
            "Find prepared transaction message failed",
        ));
    };
    check_prepare_message(&half, h)?;
    ensure_loaded(ctx);
    if ctx.delayed().transactions().is_done(half.queue_offset) {
        // Already resolved (e.g. by a check-back of its re-appended copy): once only.
        tracing::debug!(offset = half.queue_offset, "transaction already resolved");
        return Ok(RemotingCommand::success());
    }
    let commit = h.commit_or_rollback == transaction_resolution::COMMIT;
    if commit {
        store_committed(ctx, &half)?;
    }
    if !write_op(ctx, half.queue_offset) {
        return Err(RequestError::system(
            "writing the transaction op record failed",
        ));
    }
    tracing::debug!(
        offset = half.queue_offset,
        commit,
        from_check,
        "transaction ended"
    );
    Ok(RemotingCommand::success())
}

fn store_committed(ctx: &BrokerContext, half: &MessageExt) -> Result<(), RequestError> {
    let host = ctx.identity().store_host();
    let mut msg = committed_message(ctx.tables().topics(), half, host)
        .map_err(|e| RequestError::system(format!("the half message cannot be committed: {e}")))?;
    let mut props = msg.properties.clone();
    let cfg = ctx.settings().get();
    crate::delayed::rewrite::park_if_delayed(&cfg, &mut msg, &mut props);
    msg.properties = props;
    let put = ctx.store().put_message(&msg);
    if !put.status.is_stored() {
        return Err(put_error(put.status, &msg.topic));
    }
    ctx.stats().record_put(&msg.topic, 1, msg.body.len() as u64);
    Ok(())
}

fn check_prepare_message(
    half: &MessageExt,
    h: &EndTransactionRequestHeader,
) -> Result<(), RequestError> {
    let props = Properties::parse_bytes(&half.properties);
    if half.topic != names::TRANS_HALF_TOPIC {
        return Err(RequestError::system(
            "Find prepared transaction message failed",
        ));
    }
    if props.get(keys::PRODUCER_GROUP) != Some(h.producer_group.as_str()) {
        return Err(RequestError::system("The producer group wrong"));
    }
    if half.queue_offset != h.tran_state_table_offset {
        return Err(RequestError::system(
            "The transaction state table offset wrong",
        ));
    }
    if half.commit_log_offset != h.commit_log_offset {
        return Err(RequestError::system("The commit log offset wrong"));
    }
    Ok(())
}

/// The real message of a committed half: real topic/queue (checked, see
/// [`crate::delayed::repost`]), COMMIT type, REAL_* removed.
pub(crate) fn committed_message(
    topics: &TopicTable,
    half: &MessageExt,
    store_host: std::net::SocketAddr,
) -> Result<MessageToStore, RepostError> {
    let mut props = Properties::parse_bytes(&half.properties);
    let (topic, queue_id) = real_target(topics, &props)?;
    props.remove(keys::REAL_TOPIC);
    props.remove(keys::REAL_QUEUE_ID);
    let mut m = MessageToStore::from_stored(half, store_host);
    m.topic = topic;
    m.queue_id = queue_id;
    m.properties = props.encode();
    m.sys_flag = sf::reset_transaction_value(half.sys_flag, sf::TRANSACTION_COMMIT_TYPE);
    m.prepared_transaction_offset = half.commit_log_offset;
    Ok(m)
}
