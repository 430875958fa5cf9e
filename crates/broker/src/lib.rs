//! FerroMQ broker: the RocketMQ broker's request processing over the storage engine.
//!
//! - [`Broker`]: start (open the store, load the tables, serve the ports, run the periodic
//!   work) and shut down in order.
//! - [`BrokerContext`]: the broker's parts, each a narrow handle — [`Identity`],
//!   [`Settings`], [`Tables`] (topics, groups, offsets), [`Registration`] (NameServers),
//!   [`ClientRegistry`] / [`QueueLocks`] / [`FilterCache`] (live clients), [`PullHold`] (long
//!   polling), [`Delayed`] (delay levels, timer, transactions), [`BrokerStats`] and the store.
//! - `processor`: the route table of request codes and their handlers ([`BrokerHandler`]).
//! - `delayed`: messages delivered later — the send-side rewrites, the delay-level, timer and
//!   transaction services, each deciding with pure steps run by a thin runner.
//! - [`limits`]: what one client can make the broker hold or do (docs/security.md).

pub mod broker;
pub mod clients;
pub mod context;
pub mod delayed;
pub mod error;
pub mod filtering;
pub mod identity;
pub mod limits;
pub mod names;
pub mod processor;
pub mod pull_hold;
pub mod queue_locks;
pub mod registration;
pub mod settings;
pub mod stats;
pub mod store_config;
pub mod tables;

pub use broker::Broker;
pub use clients::ClientRegistry;
pub use context::BrokerContext;
pub use delayed::state::Delayed;
pub use error::BrokerError;
pub use filtering::FilterCache;
pub use identity::Identity;
pub use processor::BrokerHandler;
pub use pull_hold::PullHold;
pub use queue_locks::QueueLocks;
pub use registration::Registration;
pub use settings::Settings;
pub use stats::BrokerStats;
pub use tables::{ConsumerOffsets, GroupTable, Tables, TopicTable, MAX_QUEUE_NUMS};
