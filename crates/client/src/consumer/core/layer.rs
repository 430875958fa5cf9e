//! [`Layer`]: what push and lite pull each add to the core.

use std::collections::HashMap;
use std::sync::Arc;

use ferromq_model::{MessageQueue, SubscriptionData};
use futures::future::BoxFuture;

use super::queues::HeldQueue;
use super::state::ConsumerCore;
use crate::consumer::process_queue::ProcessQueue;
use crate::message::ReceivedMessage;

/// What push and lite pull each add to the core. Methods with a default are what a consumer
/// without orderly locks does.
pub(crate) trait Layer: Send + Sync + 'static {
    /// The core this layer is built on.
    fn core(&self) -> &ConsumerCore;

    /// Whether subscriptions are rebalanced now (lite pull's assign mode is not).
    fn rebalances(&self) -> bool {
        true
    }

    /// The subscription used to pull `topic`; `None` postpones the pull.
    fn subscription(&self, topic: &str) -> Option<SubscriptionData> {
        self.core().subscription(topic)
    }

    /// Whether the pull of `pq` waits because too much is cached.
    fn flow_control(&self, pq: &ProcessQueue) -> bool;

    /// Whether pulls wait for the broker lock of the queue (orderly clustering).
    fn needs_lock(&self) -> bool {
        false
    }

    /// Hands messages found by a pull of `mq` to the consuming side.
    fn deliver(
        self: Arc<Self>,
        mq: &MessageQueue,
        pq: &Arc<ProcessQueue>,
        msgs: Vec<ReceivedMessage>,
    );

    /// Before a newly assigned queue is taken (orderly: lock it on the broker); false skips
    /// it and asks for another rebalance soon.
    fn admit<'a>(&'a self, _mq: &'a MessageQueue) -> BoxFuture<'a, bool> {
        Box::pin(async { true })
    }

    /// A queue being given up, already marked dropped: settle what the layer holds of it.
    /// False keeps the queue until the next round (an orderly listener still busy).
    fn release<'a>(&'a self, mq: &'a MessageQueue, held: &'a HeldQueue) -> BoxFuture<'a, bool>;

    /// RESET_CONSUMER_CLIENT_OFFSET from a broker.
    fn reset_offset(self: Arc<Self>, topic: String, offsets: HashMap<MessageQueue, i64>);

    /// GET_CONSUMER_RUNNING_INFO: a `ConsumerRunningInfo` JSON body.
    fn running_info(&self) -> String;

    /// CONSUME_MESSAGE_DIRECTLY: a `ConsumeMessageDirectlyResult` JSON body, if supported.
    fn consume_directly(&self, _message: ReceivedMessage) -> Option<String> {
        None
    }
}
