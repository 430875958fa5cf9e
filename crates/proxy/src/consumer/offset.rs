//! UpdateOffset, GetOffset and QueryOffset (the 5.x pull consumer).

use crate::context::RequestContext;
use crate::pb;
use crate::proxy::Proxy;
use crate::status::status;

fn todo_status(rpc: &str) -> Option<pb::Status> {
    Some(status(
        pb::Code::NotImplemented,
        format!("{rpc} is not implemented yet"),
    ))
}

/// Answers UpdateOffset.
pub async fn update_offset(
    _proxy: &Proxy,
    _ctx: &RequestContext,
    _req: pb::UpdateOffsetRequest,
) -> pb::UpdateOffsetResponse {
    pb::UpdateOffsetResponse {
        status: todo_status("UpdateOffset"),
    }
}

/// Answers GetOffset.
pub async fn get_offset(
    _proxy: &Proxy,
    _ctx: &RequestContext,
    _req: pb::GetOffsetRequest,
) -> pb::GetOffsetResponse {
    pb::GetOffsetResponse {
        status: todo_status("GetOffset"),
        offset: 0,
    }
}

/// Answers QueryOffset.
pub async fn query_offset(
    _proxy: &Proxy,
    _ctx: &RequestContext,
    _req: pb::QueryOffsetRequest,
) -> pb::QueryOffsetResponse {
    pb::QueryOffsetResponse {
        status: todo_status("QueryOffset"),
        offset: 0,
    }
}
