//! The push layer's shared state: the core, the push settings, the listener, the consume
//! threads and the send path for redeliveries.

use std::sync::Arc;

use parking_lot::RwLock;

use super::consume_threads::ConsumeThreads;
use crate::consumer::config::PushConsumerConfig;
use crate::consumer::core::ConsumerCore;
use crate::consumer::listener::{ConcurrentListener, OrderlyListener};
use crate::consumer::offset_store::OffsetStore;
use crate::producer::sender::Sender;

/// The registered listener.
#[derive(Clone)]
pub(super) enum Listener {
    Concurrent(Arc<dyn ConcurrentListener>),
    Orderly(Arc<dyn OrderlyListener>),
}

/// Shared state of a push consumer.
pub(super) struct PushInner {
    pub(super) core: ConsumerCore,
    pub(super) config: PushConsumerConfig,
    pub(super) listener: RwLock<Option<Listener>>,
    /// Send path for the send-back fallback (`CLIENT_INNER_PRODUCER`).
    pub(super) sender: Sender,
    /// Where listener calls run (`consume_concurrency` threads).
    pub(super) consume_threads: ConsumeThreads,
}

impl PushInner {
    pub(super) fn is_orderly(&self) -> bool {
        matches!(*self.listener.read(), Some(Listener::Orderly(_)))
    }

    pub(super) fn clustering(&self) -> bool {
        self.core.clustering()
    }

    /// Whether queues are locked on the broker before they are consumed.
    pub(super) fn orderly_clustering(&self) -> bool {
        self.is_orderly() && self.clustering()
    }

    /// Redeliveries allowed before the DLQ (concurrent: 16 by default).
    pub(super) fn max_reconsume_times(&self) -> i32 {
        self.config.max_reconsume_times.unwrap_or(16)
    }

    pub(super) fn offsets(&self) -> &OffsetStore {
        self.core.offsets()
    }

    /// Whether the consumer is shutting down.
    pub(super) fn is_stopping(&self) -> bool {
        self.core.stop_token().is_cancelled()
    }

    /// Runs `fut` on the consumer's task tracker unless stopping.
    pub(super) fn spawn<F>(&self, fut: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.core.spawn(fut);
    }
}
