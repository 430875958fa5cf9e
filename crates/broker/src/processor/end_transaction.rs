//! END_TRANSACTION (37): a producer's commit or rollback of a half message (usually one-way).
//! The decision and its effects are [`crate::delayed::transaction::end`].

use ferromq_protocol::headers::EndTransactionRequestHeader;
use ferromq_protocol::RemotingCommand;
use ferromq_remoting::{Channel, RequestResult};

use crate::context::BrokerContext;
use crate::delayed::transaction::end::end;

/// END_TRANSACTION.
pub(crate) fn end_transaction(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: EndTransactionRequestHeader = req.decode_header()?;
    end(ctx, &h)
}
