//! Giving queues up: the rebalance gives up queues no longer assigned, the pull loop one whose
//! offset was illegal, lite pull's `assign` those no longer listed. Each is marked dropped,
//! settled by the layer, stopped, and its offset committed and forgotten.

use std::sync::Arc;

use ferromq_model::MessageQueue;

use super::layer::Layer;
use super::queues::HeldQueue;

/// Stops consuming `mq` (Java `removeUnnecessaryMessageQueue`): marks it dropped, lets the
/// layer settle it (which may keep it for now), stops its pull task, commits its offset and
/// forgets it. Returns whether it was given up.
pub(crate) async fn remove_queue(layer: &Arc<dyn Layer>, mq: &MessageQueue) -> bool {
    let core = layer.core();
    let Some(held) = core.queues().get(mq) else {
        return false;
    };
    held.pq.set_dropped();
    if !layer.release(mq, &held).await {
        return false;
    }
    held.cancel.cancel();
    core.offsets().persist(mq).await;
    core.offsets().table().remove(mq);
    core.queues().remove(mq);
    true
}

/// Gives up queues already taken out of the table (lite pull `assign`): they stop at once;
/// the layer settles them and their offsets are committed in the background.
pub(crate) fn detach_queues(layer: &Arc<dyn Layer>, removed: Vec<(MessageQueue, HeldQueue)>) {
    for (mq, held) in removed {
        held.cancel.cancel();
        held.pq.set_dropped();
        let layer = layer.clone();
        tokio::spawn(async move {
            layer.release(&mq, &held).await;
            let offsets = layer.core().offsets();
            offsets.persist(&mq).await;
            offsets.table().remove(&mq);
        });
    }
}
