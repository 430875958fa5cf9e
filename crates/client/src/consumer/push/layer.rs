//! The push consumer as a [`Layer`] of the consumer core: pulled messages go to the
//! concurrent or orderly consume side, flow control counts one queue's cache, and an orderly
//! clustering consumer locks queues before taking them and unlocks them when giving them up.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferromq_model::MessageQueue;
use futures::future::BoxFuture;

use super::state::PushInner;
use super::{concurrent, lock, orderly, server_requests};
use crate::consumer::core::{ConsumerCore, HeldQueue, Layer};
use crate::consumer::process_queue::ProcessQueue;
use crate::message::ReceivedMessage;

/// How long giving up an orderly queue waits for its listener call to finish.
const ORDERLY_RELEASE_WAIT: Duration = Duration::from_millis(500);

impl Layer for PushInner {
    fn core(&self) -> &ConsumerCore {
        &self.core
    }

    fn flow_control(&self, pq: &ProcessQueue) -> bool {
        pq.flow_control(&self.config.flow, self.is_orderly())
            .is_some()
    }

    fn needs_lock(&self) -> bool {
        self.orderly_clustering()
    }

    fn deliver(
        self: Arc<Self>,
        mq: &MessageQueue,
        pq: &Arc<ProcessQueue>,
        msgs: Vec<ReceivedMessage>,
    ) {
        if self.is_orderly() {
            if pq.put(&msgs) {
                orderly::submit(&self, pq, mq, Duration::ZERO);
            }
        } else {
            pq.track(&msgs);
            concurrent::submit(&self, pq, mq, msgs);
        }
    }

    fn admit<'a>(&'a self, mq: &'a MessageQueue) -> BoxFuture<'a, bool> {
        Box::pin(async move { !self.orderly_clustering() || lock::lock_one(self, mq).await })
    }

    /// An orderly queue waits for its listener call (and stays held if that takes too long),
    /// commits, and is unlocked on the broker.
    fn release<'a>(&'a self, mq: &'a MessageQueue, held: &'a HeldQueue) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            if !self.orderly_clustering() {
                return true;
            }
            let pq = &held.pq;
            self.offsets().persist(mq).await;
            let Ok(guard) =
                tokio::time::timeout(ORDERLY_RELEASE_WAIT, pq.consume_lock.lock()).await
            else {
                return false;
            };
            self.offsets().persist(mq).await;
            self.offsets().table().remove(mq);
            pq.set_locked(false, Instant::now());
            lock::unlock(self, &[mq.clone()].into(), true).await;
            drop(guard);
            true
        })
    }

    fn reset_offset(self: Arc<Self>, topic: String, offsets: HashMap<MessageQueue, i64>) {
        tokio::spawn(async move { server_requests::reset_offset(self, topic, offsets).await });
    }

    fn running_info(&self) -> String {
        server_requests::running_info(self)
    }

    fn consume_directly(&self, message: ReceivedMessage) -> Option<String> {
        server_requests::consume_directly(self, message)
    }
}
