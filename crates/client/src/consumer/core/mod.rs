//! The consumer core shared by [`PushConsumer`](crate::PushConsumer) and
//! [`LitePullConsumer`](crate::LitePullConsumer) (Java's `RebalanceImpl`, offset store set-up,
//! pull-task skeleton and periodic services, once): settings common to both, subscriptions,
//! held queues, offsets, the per-queue pull loop, rebalancing, the periodic loops (rebalance,
//! offset commit), registration on the client instance and shutdown.
//!
//! The core reaches brokers only through a [`Puller`], and a [`Layer`] — push or lite pull —
//! decides what the loops cannot: where pulled messages go, flow control, orderly locks, and
//! the answers to broker requests. Where Java itself distinguishes push (`CONSUME_PASSIVELY`)
//! from lite pull (`CONSUME_ACTIVELY`), the core follows [`CoreConfig::consume_type`].

mod config;
mod hooks;
mod layer;
mod membership;
mod pull_loop;
mod queues;
mod rebalance_run;
mod release;
mod state;
#[cfg(test)]
mod tests;

use std::time::Duration;

pub(crate) use config::CoreConfig;
pub(crate) use layer::Layer;
pub(crate) use membership::join;
pub(crate) use pull_loop::start_pulling;
pub(crate) use queues::HeldQueue;
pub(crate) use rebalance_run::spawn_loops;
pub(crate) use release::detach_queues;
pub(crate) use state::ConsumerCore;

/// How long a shutdown waits for tasks in flight.
pub(crate) const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);
