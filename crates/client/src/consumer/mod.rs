//! Consuming: [`PushConsumer`] and [`LitePullConsumer`], thin layers on one consumer core.
//!
//! - [`core`](self::core): what both consumers are — subscriptions, held queues, the pull
//!   loop, rebalancing, offset commits, the periodic loops — reaching brokers through
//!   [`puller`]'s `Puller` trait.
//! - `push`: listeners, consume threads, flow control, orderly locks, send-back.
//! - `lite_pull`: the poll buffer, subscribe/assign modes, seek and manual commits.
//! - Plain bookkeeping, tested without sockets: queue allocation ([`allocate`]), rebalance
//!   decisions ([`rebalance`]), offsets ([`offset_table`], [`offset_store`],
//!   [`start_offset`]), the per-queue cache ([`process_queue`]) and the pull request and
//!   answer ([`pull`]).
//!
//! Dependencies point one way: `push`, `lite_pull` → `core` → `puller`, `offset_store`,
//! `start_offset`, `rebalance` → `pull`, `allocate`, `offset_table`, `process_queue`.

mod allocate;
mod config;
mod core;
mod listener;
mod lite_pull;
mod offset_store;
mod offset_table;
mod process_queue;
pub(crate) mod pull;
mod puller;
mod push;
mod rebalance;
mod start_offset;

pub use allocate::AllocateStrategy;
pub use config::{LitePullConsumerConfig, PushConsumerConfig};
pub use ferromq_model::{ConsumeFromWhere, MessageModel};
pub use listener::{
    ConcurrentListener, ConcurrentlyContext, ConcurrentlyStatus, OrderlyContext, OrderlyListener,
    OrderlyStatus,
};
pub use lite_pull::LitePullConsumer;
pub use process_queue::FlowLimits;
pub use pull::{PullResult, PullStatus};
pub use push::PushConsumer;
