//! Telemetry: the bidirectional stream on which a client sends its settings and the proxy
//! pushes settings, orphaned-transaction recovery, message verification and thread-stack
//! requests.

use std::sync::Arc;

use tonic::{Status, Streaming};

use crate::context::RequestContext;
use crate::pb;
use crate::proxy::Proxy;
use crate::service::BoxStream;

/// Answers Telemetry.
pub fn telemetry(
    _proxy: Arc<Proxy>,
    _ctx: RequestContext,
    _inbound: Streaming<pb::TelemetryCommand>,
) -> BoxStream<pb::TelemetryCommand> {
    Box::pin(futures::stream::iter([Err(Status::unimplemented(
        "Telemetry is not implemented yet",
    ))]))
}
