//! FerroMQ broker: the RocketMQ broker's request processing over the storage engine.
//!
//! - [`broker`]: [`Broker::start`] / [`Broker::shutdown`] and the periodic work.
//! - [`context`]: [`BrokerContext`], the state processors share.
//! - [`processor`]: request handlers by area (send, pull, offsets, clients, queries, admin).
//! - Tables: [`topics`] (topics.json), [`groups`] (subscriptionGroup.json), [`offsets`]
//!   (consumerOffset.json), persisted with [`json_file`].
//! - Clients: [`clients`] (groups learned from heartbeats), [`queue_locks`] (ordered
//!   consumption), [`pull_hold`] (long polling).
//! - [`message_rewrite`]: unique ids, `CLUSTER`, half and delayed message parking.
//! - [`registration`]: NameServer registration; [`store_config`]: config → store settings.
//! - Delivery later: [`schedule`] (delay levels), [`timer`] (timer messages), [`transaction`]
//!   (half messages, END_TRANSACTION, check-backs).
//! - [`stats`]: traffic counters; [`filtering`]: subscription filters.

pub mod broker;
pub mod clients;
pub mod context;
pub mod error;
pub mod filtering;
pub mod groups;
pub mod json_file;
pub mod limits;
pub mod message_rewrite;
pub mod offsets;
pub mod processor;
pub mod pull_hold;
pub mod queue_locks;
pub mod registration;
pub mod repost;
pub mod request_error;
pub mod schedule;
pub mod stats;
pub mod store_config;
pub mod ticker;
pub mod timer;
pub mod topics;
pub mod transaction;

pub use broker::Broker;
pub use context::BrokerContext;
pub use error::BrokerError;
