//! Transactions through the proxy (Java's `TransactionService` and `EndTransactionActivity`):
//! a half message's offsets are remembered when its send succeeds and when a broker checks
//! it back; EndTransaction finds them by producer group (the topic) and transaction id and
//! sends END_TRANSACTION to the broker holding the half. Check-backs (CHECK_TRANSACTION_STATE
//! on the proxy's broker connections) are relayed to a producer of the topic over its
//! Telemetry stream as RecoverOrphanedTransactionCommand.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use ferromq_client::TransactionCheck;
use ferromq_protocol::headers::EndTransactionRequestHeader;
use ferromq_protocol::message::keys;
use ferromq_protocol::message::sysflag::message as sysflag;
use ferromq_protocol::message::Properties;
use ferromq_protocol::{request_code, RemotingCommand};
use parking_lot::Mutex;

use crate::context::RequestContext;
use crate::pb;
use crate::producer::convert;
use crate::proxy::Proxy;
use crate::status::{ok, Refusal};
use crate::validate;

/// Half messages remembered at most, whatever their expiry.
const MAX_ENTRIES: usize = 100_000;

/// Where a half message is, for its END_TRANSACTION.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionData {
    pub broker_name: String,
    /// The broker's address when known (a check-back names it; a send names the broker).
    pub broker_addr: Option<String>,
    pub topic: String,
    pub tran_state_table_offset: i64,
    pub commit_log_offset: i64,
}

/// Half messages awaiting their EndTransaction, by (producer group, transaction id).
pub struct Transactions {
    ttl: Duration,
    map: Mutex<HashMap<(String, String), (Instant, TransactionData)>>,
}

impl Transactions {
    /// Entries are kept for `ttl` (Java's `transactionDataExpireMillis`).
    pub fn new(ttl: Duration) -> Self {
        Transactions {
            ttl,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Remembers `data` for `(group, transaction_id)`; when full, the oldest half goes.
    pub fn add(&self, group: &str, transaction_id: &str, data: TransactionData) {
        let mut map = self.map.lock();
        if map.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            map.retain(|_, (at, _)| at.elapsed() < ttl);
            if map.len() >= MAX_ENTRIES {
                if let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, (at, _))| *at)
                    .map(|(k, _)| k.clone())
                {
                    map.remove(&oldest);
                }
            }
        }
        map.insert(
            (group.to_owned(), transaction_id.to_owned()),
            (Instant::now(), data),
        );
    }

    /// Takes the live entry of `(group, transaction_id)`.
    pub fn take(&self, group: &str, transaction_id: &str) -> Option<TransactionData> {
        let (at, data) = self
            .map
            .lock()
            .remove(&(group.to_owned(), transaction_id.to_owned()))?;
        (at.elapsed() < self.ttl).then_some(data)
    }

    /// Forgets expired entries.
    pub fn purge(&self) {
        let ttl = self.ttl;
        self.map.lock().retain(|_, (at, _)| at.elapsed() < ttl);
    }
}

/// Java's `buildCommitOrRollback`.
pub fn commit_or_rollback(resolution: i32) -> i32 {
    match pb::TransactionResolution::try_from(resolution) {
        Ok(pb::TransactionResolution::Commit) => sysflag::TRANSACTION_COMMIT_TYPE,
        Ok(pb::TransactionResolution::Rollback) => sysflag::TRANSACTION_ROLLBACK_TYPE,
        _ => sysflag::TRANSACTION_NOT_TYPE,
    }
}

/// Answers EndTransaction.
pub async fn end_transaction(
    proxy: &Proxy,
    ctx: &RequestContext,
    req: pb::EndTransactionRequest,
) -> pb::EndTransactionResponse {
    let status = match end(proxy, ctx, req).await {
        Ok(()) => ok(),
        Err(r) => r.status(),
    };
    pb::EndTransactionResponse {
        status: Some(status),
    }
}

async fn end(
    proxy: &Proxy,
    _ctx: &RequestContext,
    req: pb::EndTransactionRequest,
) -> Result<(), Refusal> {
    let topic = validate::topic(req.topic.as_ref())?;
    if req.transaction_id.trim().is_empty() {
        return Err(Refusal::new(
            pb::Code::InvalidTransactionId,
            "transaction id cannot be empty",
        ));
    }
    // The producer group of a gRPC producer is its topic.
    let Some(data) = proxy.transactions().take(&topic, &req.transaction_id) else {
        return Err(Refusal::new(
            pb::Code::InternalServerError,
            "cannot found transaction data",
        ));
    };
    let from_check =
        pb::TransactionSource::try_from(req.source) == Ok(pb::TransactionSource::SourceServerCheck);
    let header = EndTransactionRequestHeader {
        topic: Some(topic.clone()),
        producer_group: topic.clone(),
        tran_state_table_offset: data.tran_state_table_offset,
        commit_log_offset: data.commit_log_offset,
        commit_or_rollback: commit_or_rollback(req.resolution),
        from_transaction_check: Some(from_check),
        msg_id: req.message_id.clone(),
        transaction_id: Some(req.transaction_id.clone()),
    };
    let addr = match data.broker_addr {
        Some(a) => a,
        None => {
            proxy
                .backend()
                .master_addr(&data.broker_name, &topic)
                .await?
        }
    };
    let request = RemotingCommand::request_with(request_code::END_TRANSACTION, &header);
    // Java sends it one-way; waiting for the answer costs little and reports failures.
    let resp = proxy.backend().invoke(&addr, request).await?;
    if resp.code != ferromq_protocol::response_code::SUCCESS {
        return Err(Refusal::from(ferromq_client::ClientError::Broker {
            code: resp.code,
            remark: resp.remark.unwrap_or_default(),
            addr,
        }));
    }
    Ok(())
}

/// Installs the relay of check-backs on the proxy's broker connections.
pub(crate) fn relay_checks(proxy: &Arc<Proxy>) {
    let weak: Weak<Proxy> = Arc::downgrade(proxy);
    proxy
        .backend()
        .instance()
        .set_transaction_check_hook(Arc::new(move |check| {
            if let Some(p) = weak.upgrade() {
                relay(&p, check);
            }
        }));
}

/// A broker asks about a half message: remember where it is, then ask the freshest producer
/// of its topic that has a Telemetry stream. Nobody to ask: the broker asks again later.
fn relay(proxy: &Proxy, check: TransactionCheck) {
    let props = Properties::parse_bytes(&check.message.properties);
    let Some(group) = props.get(keys::PRODUCER_GROUP).map(str::to_owned) else {
        return;
    };
    let h = &check.header;
    let transaction_id = h
        .transaction_id
        .clone()
        .or_else(|| {
            props
                .get(keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
                .map(str::to_owned)
        })
        .unwrap_or_default();
    proxy.transactions().add(
        &group,
        &transaction_id,
        TransactionData {
            broker_name: h.broker_name.clone().unwrap_or_default(),
            broker_addr: Some(check.broker_addr.clone()),
            topic: check.message.topic.clone(),
            tran_state_table_offset: h.tran_state_table_offset,
            commit_log_offset: h.commit_log_offset,
        },
    );
    let message = convert::from_record(&check.message, ferromq_protocol::time::now_ms());
    let command = pb::TelemetryCommand {
        status: Some(ok()),
        command: Some(
            pb::telemetry_command::Command::RecoverOrphanedTransactionCommand(
                pb::RecoverOrphanedTransactionCommand {
                    message: Some(message),
                    transaction_id: transaction_id.clone(),
                },
            ),
        ),
    };
    for (client, tx) in proxy.sessions().producers_of(&group) {
        if tx.try_send(Ok(command.clone())).is_ok() {
            tracing::debug!(client, group, transaction_id, "transaction check relayed");
            return;
        }
    }
    tracing::debug!(
        group,
        transaction_id,
        "no producer to ask about a transaction"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> TransactionData {
        TransactionData {
            broker_name: "b".into(),
            broker_addr: None,
            topic: "T".into(),
            tran_state_table_offset: 1,
            commit_log_offset: 2,
        }
    }

    #[test]
    fn data_is_taken_once_and_expires() {
        let t = Transactions::new(Duration::from_secs(60));
        t.add("T", "tx", data());
        assert_eq!(t.take("T", "tx"), Some(data()));
        assert_eq!(t.take("T", "tx"), None);
        let t = Transactions::new(Duration::ZERO);
        t.add("T", "tx", data());
        assert_eq!(t.take("T", "tx"), None);
    }

    #[test]
    fn resolutions() {
        assert_eq!(
            commit_or_rollback(pb::TransactionResolution::Commit as i32),
            8
        );
        assert_eq!(
            commit_or_rollback(pb::TransactionResolution::Rollback as i32),
            12
        );
        assert_eq!(commit_or_rollback(0), 0);
    }
}
