//! Transactional messages (Java's `TransactionMQProducer`): send a half message
//! (`TRAN_MSG=true`, `PGROUP`), run the local transaction, then END_TRANSACTION (one-way) with
//! commit/rollback/unknown; answer the broker's CHECK_TRANSACTION_STATE with the listener's
//! check.

use std::sync::Arc;

use ferromq_protocol::headers::{
    transaction_resolution, CheckTransactionStateRequestHeader, EndTransactionRequestHeader,
};
use ferromq_protocol::message::id::decode_offset_msg_id;
use ferromq_protocol::message::keys;
use ferromq_protocol::{request_code, RemotingCommand};

use crate::error::Result;
use crate::instance::members::ProducerHooks;
use crate::instance::ClientInstance;
use crate::message::{Message, ReceivedMessage};
use crate::producer::client::Producer;
use crate::producer::config::ProducerConfig;
use crate::producer::send_result::{SendResult, SendStatus};

/// The outcome of a local transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocalTransactionState {
    /// Deliver the message.
    Commit,
    /// Discard the message.
    Rollback,
    /// Not known yet: the broker will ask again later.
    Unknown,
}

impl LocalTransactionState {
    /// The END_TRANSACTION `commitOrRollback` value.
    pub fn wire_value(self) -> i32 {
        match self {
            LocalTransactionState::Commit => transaction_resolution::COMMIT,
            LocalTransactionState::Rollback => transaction_resolution::ROLLBACK,
            LocalTransactionState::Unknown => transaction_resolution::UNKNOWN,
        }
    }
}

/// The application side of a transaction. Both methods run on a blocking thread, so they may
/// block on a database.
pub trait TransactionListener: Send + Sync + 'static {
    /// Runs the local transaction for the half message just stored.
    fn execute(&self, msg: &Message, result: &SendResult) -> LocalTransactionState;
    /// Tells the broker what became of an earlier transaction (CHECK_TRANSACTION_STATE).
    fn check(&self, msg: &ReceivedMessage) -> LocalTransactionState;
}

/// A transactional send's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionSendResult {
    /// The half message's send result.
    pub send: SendResult,
    /// What the local transaction decided.
    pub local_state: LocalTransactionState,
}

/// A producer whose sends are transactions.
#[derive(Clone, Debug)]
pub struct TransactionProducer {
    producer: Producer,
    listener: Arc<dyn TransactionListener>,
}

impl std::fmt::Debug for dyn TransactionListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TransactionListener")
    }
}

struct CheckHooks {
    group: String,
    listener: Arc<dyn TransactionListener>,
}

impl ProducerHooks for CheckHooks {
    fn check_transaction(
        &self,
        instance: &ClientInstance,
        broker_addr: String,
        message: ReceivedMessage,
        header: CheckTransactionStateRequestHeader,
    ) {
        let instance = instance.clone();
        let listener = self.listener.clone();
        let group = self.group.clone();
        tokio::spawn(async move {
            let msg = message.clone();
            let state = tokio::task::spawn_blocking(move || listener.check(&msg)).await;
            let (state, remark) = match state {
                Ok(s) => (s, None),
                Err(e) => (
                    LocalTransactionState::Unknown,
                    Some(format!("checkLocalTransactionState Exception: {e}")),
                ),
            };
            let end = EndTransactionRequestHeader {
                topic: header.topic.clone(),
                producer_group: group,
                tran_state_table_offset: header.tran_state_table_offset,
                commit_log_offset: header.commit_log_offset,
                commit_or_rollback: state.wire_value(),
                from_transaction_check: Some(true),
                msg_id: message
                    .properties
                    .uniq_key()
                    .map(str::to_string)
                    .unwrap_or_else(|| message.msg_id()),
                transaction_id: header.transaction_id.clone(),
            };
            let mut req = RemotingCommand::request_with(request_code::END_TRANSACTION, &end);
            if let Some(n) = header.broker_name {
                req = req.with_ext("bname", n);
            }
            if let Some(r) = remark {
                req = req.with_remark(r);
            }
            tracing::debug!(?state, addr = %broker_addr, "answering transaction check");
            if let Err(e) = instance.invoke_oneway(&broker_addr, req).await {
                tracing::warn!(error = %e, "END_TRANSACTION after check failed");
            }
        });
    }
}

impl TransactionProducer {
    /// A transactional producer of `config.group` whose transactions `listener` runs.
    pub fn new(config: ProducerConfig, listener: Arc<dyn TransactionListener>) -> Self {
        let hooks = Arc::new(CheckHooks {
            group: config.group.clone(),
            listener: listener.clone(),
        });
        TransactionProducer {
            producer: Producer::with_hooks(config, hooks),
            listener,
        }
    }

    /// Starts the producer (registers the group so checks reach it).
    pub async fn start(&self) -> Result<()> {
        self.producer.start().await
    }

    /// Stops the producer.
    pub async fn shutdown(&self) {
        self.producer.shutdown().await
    }

    /// The underlying producer (for ordinary sends).
    pub fn producer(&self) -> &Producer {
        &self.producer
    }

    /// Sends `msg` as a half message, runs the listener's local transaction and ends the
    /// transaction accordingly. A delay level is ignored, as in Java.
    pub async fn send_in_transaction(&self, mut msg: Message) -> Result<TransactionSendResult> {
        msg.properties.remove(keys::DELAY_TIME_LEVEL);
        msg.properties.insert(keys::TRANSACTION_PREPARED, "true");
        msg.properties
            .insert(keys::PRODUCER_GROUP, self.producer.config().group.clone());
        let send = self.producer.send(msg.clone()).await?;
        let (local_state, remark) = match send.status {
            SendStatus::SendOk => {
                if let Some(tid) = &send.transaction_id {
                    msg.properties.insert(keys::TRANSACTION_ID, tid.clone());
                }
                let listener = self.listener.clone();
                let (m, r) = (msg.clone(), send.clone());
                match tokio::task::spawn_blocking(move || listener.execute(&m, &r)).await {
                    Ok(s) => (s, None),
                    Err(e) => (
                        LocalTransactionState::Unknown,
                        Some(format!("executeLocalTransactionBranch exception: {e}")),
                    ),
                }
            }
            _ => (LocalTransactionState::Rollback, None),
        };
        if let Err(e) = self.end_transaction(&msg, &send, local_state, remark).await {
            tracing::warn!(error = %e, state = ?local_state, "local transaction done, but END_TRANSACTION failed");
        }
        Ok(TransactionSendResult { send, local_state })
    }

    async fn end_transaction(
        &self,
        msg: &Message,
        send: &SendResult,
        state: LocalTransactionState,
        remark: Option<String>,
    ) -> Result<()> {
        let id = decode_offset_msg_id(&send.offset_msg_id)
            .or_else(|_| decode_offset_msg_id(&send.msg_id))?;
        let instance = self.producer.instance();
        let addr = instance
            .master_addr(&send.queue.broker_name, &send.queue.topic)
            .await?;
        let header = EndTransactionRequestHeader {
            topic: Some(msg.topic.clone()),
            producer_group: self.producer.config().group.clone(),
            tran_state_table_offset: send.queue_offset,
            commit_log_offset: id.commit_log_offset,
            commit_or_rollback: state.wire_value(),
            from_transaction_check: Some(false),
            msg_id: send.msg_id.clone(),
            transaction_id: send.transaction_id.clone(),
        };
        let mut req = RemotingCommand::request_with(request_code::END_TRANSACTION, &header)
            .with_ext("bname", send.queue.broker_name.clone());
        if let Some(r) = remark {
            req = req.with_remark(r);
        }
        instance.invoke_oneway(&addr, req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_match_java() {
        assert_eq!(LocalTransactionState::Commit.wire_value(), 8);
        assert_eq!(LocalTransactionState::Rollback.wire_value(), 12);
        assert_eq!(LocalTransactionState::Unknown.wire_value(), 0);
    }
}
