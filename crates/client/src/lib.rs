//! FerroMQ client: a RocketMQ client SDK in async Rust, wire-compatible with Apache RocketMQ
//! brokers (4.x/5.x remoting protocol). Everything public is re-exported here; the modules
//! are private.
//!
//! Module map (dependencies point down the list, never up):
//! - `admin`: [`Admin`], the calls behind mqadmin and dashboards (ACL admin included).
//! - `producer`: [`Producer`] (sync / async / one-way / batch / chosen queue / selector sends
//!   with retries and latency-based fault avoidance) and [`TransactionProducer`].
//! - `consumer`: [`PushConsumer`] and [`LitePullConsumer`], thin layers on one consumer core
//!   (subscriptions, held queues, pull loop, rebalance, offset commits) that reaches brokers
//!   through a pull trait, so its loops are tested with a mock.
//! - `instance`: [`ClientInstance`], the shared plumbing — client id, connections, NameServer
//!   failover, route cache, heartbeats, requests pushed by brokers.
//! - `route`: producer/consumer queue lists derived from topic routes ([`RouteTable`]).
//! - `message`: [`Message`] to send, [`ReceivedMessage`] received, unique ids, compression,
//!   batch encoding.
//! - `config`, `client_id`, `namesrv`, `clock`, `error`: settings, identity, NameServer list,
//!   epoch time, [`ClientError`].

#![warn(unreachable_pub)]

mod admin;
mod client_id;
mod config;
mod consumer;
mod error;
mod instance;
mod message;
mod namesrv;
mod producer;
mod route;

pub use admin::{AclVersionInfo, Admin, PlainAccessConfig, QueryResult};
pub use config::{
    serialize_type_from, ClientConfig, Credentials, SerializeType, SERIALIZE_TYPE_ENV,
    TLS_ENABLE_ENV,
};
pub use consumer::{
    AllocateStrategy, ConcurrentListener, ConcurrentlyContext, ConcurrentlyStatus,
    ConsumeFromWhere, FlowLimits, LitePullConsumer, LitePullConsumerConfig, MessageModel,
    OrderlyContext, OrderlyListener, OrderlyStatus, PullResult, PullStatus, PushConsumer,
    PushConsumerConfig,
};
pub use error::{ClientError, Result};
pub use ferromq_model::MessageQueue;
pub use instance::{
    ClientInstance, ForeignRequestHook, RequestSigner, TransactionCheck, TransactionCheckHook,
};
pub use message::{CompressionConfig, Message, ReceivedMessage, UniqueIdGenerator};
pub use namesrv::NameServerList;
pub use producer::{
    LatencyFaultTolerance, LocalTransactionState, Producer, ProducerConfig, QueueSelector,
    SelectByHash, SelectByRandom, SendHandle, SendResult, SendStatus, TransactionListener,
    TransactionProducer, TransactionSendResult,
};
pub use route::{PublishInfo, RouteTable, TopicRoute};
