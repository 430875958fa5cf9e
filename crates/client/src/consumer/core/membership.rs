//! Joining the group: offsets loaded, the group registered on the client instance with hooks
//! that answer through the layer, the instance started, routes fetched.

use std::sync::Arc;

use super::hooks::CoreHooks;
use super::layer::Layer;
use crate::error::Result;

/// Loads the offsets, registers the group on the instance (answering brokers through
/// `layer`), starts the instance and fetches the routes of the subscribed topics.
pub(crate) async fn join(layer: &Arc<dyn Layer>) -> Result<()> {
    let core = layer.core();
    core.offsets().load().await?;
    core.instance()
        .register_consumer(core.group(), Arc::new(CoreHooks::new(layer)))?;
    core.instance().start();
    for topic in core.topics() {
        if let Err(e) = core.instance().update_route(&topic).await {
            tracing::debug!(topic = %topic, error = %e, "no route yet");
        }
    }
    Ok(())
}
