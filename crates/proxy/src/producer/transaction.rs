//! EndTransaction.

use crate::context::RequestContext;
use crate::pb;
use crate::proxy::Proxy;
use crate::status::status;

/// Answers EndTransaction.
pub async fn end_transaction(
    _proxy: &Proxy,
    _ctx: &RequestContext,
    _req: pb::EndTransactionRequest,
) -> pb::EndTransactionResponse {
    let st = status(
        pb::Code::NotImplemented,
        "EndTransaction is not implemented yet",
    );
    pb::EndTransactionResponse { status: Some(st) }
}
