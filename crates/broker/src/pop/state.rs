//! [`Pop`]: what the broker keeps for POP consumption — the revive queues' state, orderly
//! batches, held long polls, the per-queue pop locks, the message request modes.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use parking_lot::Mutex;

use super::hold::PopHold;
use super::order::{OrderTable, QueueKey};
use super::request_mode::RequestModes;
use super::revive_state::ReviveQueue;
use crate::error::BrokerError;

/// Most revive queues used, whatever `reviveQueueNum` says.
const MAX_REVIVE_QUEUES: i32 = 512;

/// POP consumption's state.
pub struct Pop {
    revive: Vec<Mutex<ReviveQueue>>,
    next_revive: AtomicU64,
    next_queue: AtomicU32,
    busy: Mutex<HashSet<QueueKey>>,
    order: OrderTable,
    hold: PopHold,
    modes: RequestModes,
}

impl Pop {
    /// Loads the request modes under the store root; `revive_queues` is `reviveQueueNum`.
    pub(crate) fn load(root: &str, revive_queues: i32) -> Result<Self, BrokerError> {
        let n = revive_queues.clamp(1, MAX_REVIVE_QUEUES) as usize;
        Ok(Pop {
            revive: (0..n).map(|_| Mutex::new(ReviveQueue::default())).collect(),
            next_revive: AtomicU64::new(0),
            next_queue: AtomicU32::new(rand::random::<u16>() as u32),
            busy: Mutex::new(HashSet::new()),
            order: OrderTable::load(root)?,
            hold: PopHold::default(),
            modes: RequestModes::load(root)?,
        })
    }

    /// Revive queues in use.
    pub(crate) fn revive_queues(&self) -> usize {
        self.revive.len()
    }

    /// One revive queue's state.
    pub(crate) fn revive(&self, qid: usize) -> &Mutex<ReviveQueue> {
        &self.revive[qid]
    }

    /// The revive queue of the next checkpoint (rotating, as Java's).
    pub(crate) fn next_revive_qid(&self) -> i32 {
        (self.next_revive.fetch_add(1, Ordering::Relaxed) % self.revive.len() as u64) as i32
    }

    /// A rotating number to start a pop of any queue at.
    pub(crate) fn next_start(&self) -> u32 {
        self.next_queue.fetch_add(1, Ordering::Relaxed)
    }

    /// Takes a queue's pop lock, if free (a busy queue is skipped, as Java's `tryLock`).
    pub(crate) fn try_lock(&self, key: QueueKey) -> Option<QueueGuard<'_>> {
        let mut busy = self.busy.lock();
        if busy.contains(&key) {
            return None;
        }
        busy.insert(key.clone());
        Some(QueueGuard { pop: self, key })
    }

    /// Takes a queue's pop lock, waiting for a pop that holds it (pops hold it for one store
    /// read, never across an await): what an orderly ack or change of invisible time does, so
    /// a pop never reads the offset before an ack of the batch and checks the batch after it.
    pub(crate) fn lock(&self, key: QueueKey) -> QueueGuard<'_> {
        loop {
            if let Some(g) = self.try_lock(key.clone()) {
                return g;
            }
            std::thread::yield_now();
        }
    }

    /// Orderly batches.
    pub(crate) fn order(&self) -> &OrderTable {
        &self.order
    }

    /// Held long polls.
    pub(crate) fn hold(&self) -> &PopHold {
        &self.hold
    }

    /// PULL/POP modes.
    pub(crate) fn modes(&self) -> &RequestModes {
        &self.modes
    }
}

/// A queue's pop lock, released on drop.
pub(crate) struct QueueGuard<'a> {
    pop: &'a Pop,
    key: QueueKey,
}

impl Drop for QueueGuard<'_> {
    fn drop(&mut self) {
        self.pop.busy.lock().remove(&self.key);
    }
}
