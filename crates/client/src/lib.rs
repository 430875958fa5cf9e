//! FerroMQ client: a RocketMQ client SDK in async Rust, wire-compatible with Apache RocketMQ
//! brokers (4.x/5.x remoting protocol).
//!
//! Module map:
//! - [`producer`]: [`Producer`] (sync / async / one-way / batch / chosen queue / selector
//!   sends with retries and latency-based fault avoidance) and [`TransactionProducer`].
//! - [`consumer`]: [`PushConsumer`] (concurrent and orderly listeners, long polling, flow
//!   control, retries via send-back), [`LitePullConsumer`] (subscribe/assign, `poll`), queue
//!   allocation strategies, offset stores, process queues — the bookkeeping is plain code
//!   tested without sockets.
//! - [`admin`]: [`Admin`], the calls behind mqadmin and dashboards.
//! - [`message`]: [`Message`] to send, [`ReceivedMessage`] received, unique ids, compression,
//!   batch encoding.
//! - [`instance`]: [`ClientInstance`], the shared plumbing — client id, connections, NameServer
//!   failover, route cache, heartbeats, requests pushed by brokers.
//! - [`route`]: producer/consumer queue lists derived from topic routes.
//! - [`config`], [`client_id`], [`namesrv`], [`error`]: settings, identity, NameServer list,
//!   [`ClientError`].

pub mod admin;
pub mod client_id;
pub mod config;
pub mod consumer;
pub mod error;
pub mod instance;
pub mod message;
pub mod namesrv;
pub mod producer;
pub mod route;

pub use admin::Admin;
pub use config::{ClientConfig, SerializeType};
pub use consumer::{
    AllocateStrategy, ConcurrentlyContext, ConcurrentlyStatus, ConsumeFromWhere, LitePullConsumer,
    LitePullConsumerConfig, MessageModel, OrderlyContext, OrderlyStatus, PushConsumer,
    PushConsumerConfig,
};
pub use error::{ClientError, Result};
pub use ferromq_model::MessageQueue;
pub use instance::ClientInstance;
pub use message::{Message, ReceivedMessage};
pub use producer::{
    LocalTransactionState, Producer, ProducerConfig, QueueSelector, SelectByHash, SendResult,
    SendStatus, TransactionListener, TransactionProducer, TransactionSendResult,
};
