//! QueryRoute.

use crate::context::RequestContext;
use crate::pb;
use crate::proxy::Proxy;
use crate::status::status;

/// Answers QueryRoute.
pub async fn query_route(
    _proxy: &Proxy,
    _ctx: &RequestContext,
    _req: pb::QueryRouteRequest,
) -> pb::QueryRouteResponse {
    let st = status(
        pb::Code::NotImplemented,
        "QueryRoute is not implemented yet",
    );
    pb::QueryRouteResponse {
        status: Some(st),
        message_queues: vec![],
    }
}
