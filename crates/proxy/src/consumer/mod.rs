//! The consumer side: server-side assignment, POP receives, acks, pulls and offsets.
//!
//! Every RPC here becomes the remoting requests Java's proxy sends (POP_MESSAGE, ACK_MESSAGE,
//! CHANGE_MESSAGE_INVISIBLETIME, CONSUMER_SEND_MSG_BACK, PULL_MESSAGE, offsets), so the same
//! code serves FerroMQ and Apache RocketMQ brokers. Pure decisions (receipt handles, message
//! conversion, assignments, receive plans) live apart from the calls and are unit-tested.

pub mod ack;
pub mod assignment;
pub mod broker_calls;
pub mod convert;
pub mod error;
pub mod offset;
pub mod pull;
pub mod receipt;
pub mod receive;
pub mod renew;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

/// Receives held (long polling) at once, all clients together.
pub const MAX_HELD_RECEIVES: usize = 20_000;
/// Receives held at once by one client.
pub const MAX_HELD_RECEIVES_PER_CLIENT: usize = 256;

/// Consumer-side state shared by the RPCs.
#[derive(Default)]
pub struct Consumers {
    held: Arc<Mutex<HeldReceives>>,
    turn: AtomicUsize,
    /// Messages whose invisibility the proxy renews.
    pub renewals: renew::Renewals,
}

#[derive(Default)]
struct HeldReceives {
    total: usize,
    per_client: HashMap<String, usize>,
}

/// A held receive; dropping it releases its place.
pub struct HeldReceive {
    held: Arc<Mutex<HeldReceives>>,
    client: String,
}

impl Drop for HeldReceive {
    fn drop(&mut self) {
        let mut h = self.held.lock();
        h.total = h.total.saturating_sub(1);
        if let Some(n) = h.per_client.get_mut(&self.client) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                h.per_client.remove(&self.client);
            }
        }
    }
}

impl Consumers {
    /// A place for one more held receive of `client`, or `None` past the limits.
    pub fn hold_receive(&self, client: &str) -> Option<HeldReceive> {
        let mut h = self.held.lock();
        let mine = h.per_client.get(client).copied().unwrap_or(0);
        if h.total >= MAX_HELD_RECEIVES || mine >= MAX_HELD_RECEIVES_PER_CLIENT {
            return None;
        }
        h.total += 1;
        *h.per_client.entry(client.to_owned()).or_default() += 1;
        Some(HeldReceive {
            held: self.held.clone(),
            client: client.to_owned(),
        })
    }

    /// The next turn of the rotation over readable brokers.
    pub fn next_turn(&self) -> usize {
        self.turn.fetch_add(1, Ordering::Relaxed)
    }
}

/// Spawns `work` for the running call with the call's credentials: the caller is a
/// task-local (`crate::auth`), which `tokio::spawn` does not carry.
pub(crate) fn spawn_as_caller<F>(work: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    match crate::auth::current() {
        Some(caller) => tokio::spawn(crate::auth::scoped(caller, work)),
        None => tokio::spawn(work),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_receives_are_bounded_per_client() {
        let c = Consumers::default();
        let held: Vec<_> = (0..MAX_HELD_RECEIVES_PER_CLIENT)
            .map(|_| c.hold_receive("a").unwrap())
            .collect();
        assert!(c.hold_receive("a").is_none());
        assert!(c.hold_receive("b").is_some());
        drop(held);
        assert!(c.hold_receive("a").is_some());
        assert_eq!(c.held.lock().total, 0);
    }
}
