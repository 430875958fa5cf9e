//! Client sessions: heartbeats, termination notices, the telemetry stream and the registry of
//! connected gRPC clients.

pub mod telemetry;

use crate::context::RequestContext;
use crate::pb;
use crate::proxy::Proxy;
use crate::status::status;

/// The gRPC clients this proxy serves.
#[derive(Default)]
pub struct Sessions {}

/// Answers Heartbeat.
pub async fn heartbeat(
    _proxy: &Proxy,
    _ctx: &RequestContext,
    _req: pb::HeartbeatRequest,
) -> pb::HeartbeatResponse {
    pb::HeartbeatResponse {
        status: Some(status(
            pb::Code::NotImplemented,
            "Heartbeat is not implemented yet",
        )),
    }
}

/// Answers NotifyClientTermination.
pub async fn notify_client_termination(
    _proxy: &Proxy,
    _ctx: &RequestContext,
    _req: pb::NotifyClientTerminationRequest,
) -> pb::NotifyClientTerminationResponse {
    pb::NotifyClientTerminationResponse {
        status: Some(status(
            pb::Code::NotImplemented,
            "NotifyClientTermination is not implemented yet",
        )),
    }
}
