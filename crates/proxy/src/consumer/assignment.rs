//! QueryAssignment.

use crate::context::RequestContext;
use crate::pb;
use crate::proxy::Proxy;
use crate::status::status;

/// Answers QueryAssignment.
pub async fn query_assignment(
    _proxy: &Proxy,
    _ctx: &RequestContext,
    _req: pb::QueryAssignmentRequest,
) -> pb::QueryAssignmentResponse {
    let st = status(
        pb::Code::NotImplemented,
        "QueryAssignment is not implemented yet",
    );
    pb::QueryAssignmentResponse {
        status: Some(st),
        assignments: vec![],
    }
}
