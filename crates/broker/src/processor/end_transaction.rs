//! END_TRANSACTION (37): a producer's commit or rollback of a half message (usually one-way).
//! The decision and its effects are [`crate::delayed::transaction::end`].

use ferromq_protocol::headers::EndTransactionRequestHeader;
use ferromq_protocol::{response_code, RemotingCommand};
use ferromq_remoting::{Channel, RequestError, RequestResult};

use crate::context::BrokerContext;
use crate::delayed::transaction::end::end;

/// END_TRANSACTION.
pub(crate) fn end_transaction(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    if ctx.replication().is_slave() {
        // Java answers with the bare code (no remark).
        tracing::warn!("Message store is slave mode, so end transaction is forbidden.");
        return Err(RequestError::new(response_code::SLAVE_NOT_AVAILABLE, ""));
    }
    let h: EndTransactionRequestHeader = req.decode_header()?;
    end(ctx, &h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::testing::{self, channel, send_request, topic};
    use ferromq_model::names;
    use ferromq_protocol::headers::{transaction_resolution as tr, SendMessageResponseHeader};
    use ferromq_protocol::message::properties::{keys, Properties};
    use ferromq_protocol::message::sysflag::message as sf;
    use ferromq_protocol::request_code as rc;
    use std::time::Duration;

    /// Sends a half message to `T`; returns (commit log offset, half queue offset).
    async fn half(t: &BrokerContext) -> (i64, i64) {
        let mut p = Properties::new();
        p.insert(keys::TRANSACTION_PREPARED, "true");
        p.insert(keys::PRODUCER_GROUP, "tx_pg");
        let mut req = send_request("T", 0, "tx", &p);
        req.ext_fields
            .insert("f", sf::TRANSACTION_PREPARED_TYPE.to_string()); // sysFlag
        let r = crate::processor::send::send(t, &channel(), req)
            .await
            .unwrap();
        assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
        let h: SendMessageResponseHeader = r.decode_header().unwrap();
        assert!(t.store().wait_dispatched(Duration::from_secs(5)));
        let phys = ferromq_protocol::message::id::decode_offset_msg_id(&h.msg_id)
            .unwrap()
            .commit_log_offset;
        (phys, h.queue_offset)
    }

    fn end_req(phys: i64, qo: i64, how: i32, group: &str) -> RemotingCommand {
        RemotingCommand::request_with(
            rc::END_TRANSACTION,
            &EndTransactionRequestHeader {
                topic: Some("T".into()),
                producer_group: group.into(),
                tran_state_table_offset: qo,
                commit_log_offset: phys,
                commit_or_rollback: how,
                from_transaction_check: Some(false),
                msg_id: "m".into(),
                transaction_id: None,
            },
        )
    }

    #[tokio::test]
    async fn commit_once_rollback_never() {
        let t = testing::context();
        topic(&t, "T", 1, 6);
        let ch = channel();
        let (phys, qo) = half(&t).await;
        assert_eq!(
            t.store().max_offset_in_queue("T", 0),
            0,
            "a half is not visible"
        );
        let code = |r: RequestResult| r.map(|r| r.code).unwrap_or_else(|e| e.code());
        assert_eq!(
            code(end_transaction(
                &t,
                &ch,
                &end_req(phys, qo, tr::COMMIT, "other")
            )),
            response_code::SYSTEM_ERROR
        );
        assert_eq!(
            code(end_transaction(
                &t,
                &ch,
                &end_req(phys, qo + 1, tr::COMMIT, "tx_pg")
            )),
            response_code::SYSTEM_ERROR
        );
        assert_eq!(
            code(end_transaction(&t, &ch, &end_req(phys, qo, 99, "tx_pg"))),
            response_code::ILLEGAL_OPERATION
        );
        assert_eq!(
            code(end_transaction(
                &t,
                &ch,
                &end_req(phys, qo, tr::UNKNOWN, "tx_pg")
            )),
            response_code::SUCCESS
        );
        assert_eq!(
            code(end_transaction(
                &t,
                &ch,
                &end_req(phys, qo, tr::COMMIT, "tx_pg")
            )),
            response_code::SUCCESS
        );
        assert_eq!(
            code(end_transaction(
                &t,
                &ch,
                &end_req(phys, qo, tr::COMMIT, "tx_pg")
            )),
            response_code::SUCCESS
        );
        assert!(t.store().wait_dispatched(Duration::from_secs(5)));
        assert_eq!(
            t.store().max_offset_in_queue("T", 0),
            1,
            "committed exactly once"
        );
        assert_eq!(
            t.store().max_offset_in_queue(names::TRANS_OP_HALF_TOPIC, 0),
            1
        );

        let (phys, qo) = half(&t).await;
        assert_eq!(
            code(end_transaction(
                &t,
                &ch,
                &end_req(phys, qo, tr::ROLLBACK, "tx_pg")
            )),
            response_code::SUCCESS
        );
        assert_eq!(
            code(end_transaction(
                &t,
                &ch,
                &end_req(phys, qo, tr::COMMIT, "tx_pg")
            )),
            response_code::SUCCESS
        );
        assert!(t.store().wait_dispatched(Duration::from_secs(5)));
        assert_eq!(
            t.store().max_offset_in_queue("T", 0),
            1,
            "rolled back: never delivered"
        );
    }
}
