//! FerroMQ broker: the RocketMQ broker's request processing over the storage engine.
//!
//! - [`Broker`]: start (open the store, load the tables, serve the ports, run the periodic
//!   work) and shut down in order.
//! - [`BrokerContext`]: the broker's parts, each a narrow handle — [`Identity`],
//!   [`Settings`], [`Tables`] (topics, groups, offsets), [`Registration`] (NameServers),
//!   [`ClientRegistry`] / [`QueueLocks`] / [`FilterCache`] (live clients), [`PullHold`] (long
//!   polling), [`Delayed`] (delay levels, timer, transactions), [`BrokerStats`], [`Replication`]
//!   and the store.
//! - `processor`: the route table of request codes and their handlers ([`BrokerHandler`]).
//! - `delayed`: messages delivered later — the send-side rewrites, the delay-level, timer and
//!   transaction services, each deciding with pure steps run by a thin runner.
//! - `pop`: 5.x POP consumption ([`Pop`]): pops, acks, checkpoints in the revive log, the
//!   revive service, orderly pops, message request modes.
//! - `ha`: master/slave replication ([`Replication`]): the HA port, the slave's link to its
//!   master, and the wait of SYNC_MASTER writes.
//! - [`limits`]: what one client can make the broker hold or do (docs/security.md).
//! - `testing` (feature `testing`): a [`BrokerContext`] over a temporary store, for unit tests
//!   of handlers without sockets.

#![warn(unreachable_pub)]

mod access;
mod broker;
mod clients;
mod context;
mod delayed;
mod error;
mod filtering;
mod ha;
mod identity;
pub mod limits;
mod names;
mod pop;
mod processor;
mod pull_hold;
mod put_status;
mod queue_locks;
mod registration;
mod replicas;
mod settings;
mod stats;
mod store_config;
mod tables;

pub use access::Access;
pub use broker::Broker;
pub use clients::ClientRegistry;
pub use clients::{ClientChannel, ConsumerGroup};
#[cfg(any(test, feature = "testing"))]
pub use context::testing;
pub use context::BrokerContext;
pub use delayed::state::Delayed;
pub use error::BrokerError;
pub use filtering::FilterCache;
pub use ha::{Controlled, MasterLink, Replication};
pub use identity::Identity;
pub use pop::Pop;
pub use processor::{serves, BrokerHandler};
pub use pull_hold::PullHold;
pub use queue_locks::QueueLocks;
pub use registration::Registration;
pub use settings::Settings;
pub use stats::BrokerStats;
pub use tables::{
    ConsumerOffsets, GroupTable, Tables, TopicConfigError, TopicTable, MAX_QUEUE_NUMS,
};
