//! The RocketMQ 5.x gRPC `MessagingService` (`apache.rocketmq.v2`), as Apache RocketMQ's
//! proxy serves it to the official 5.x clients (Java, Go, C++, C#, Node.js, Python, Rust).
//!
//! The proxy translates each RPC into the remoting requests a Java proxy sends (SEND_MESSAGE,
//! POP_MESSAGE, ACK_MESSAGE, HEART_BEAT, ...), so one code path serves both modes:
//! - CLUSTER: `ferromq proxy -n nameserver` in front of any RocketMQ cluster, FerroMQ or Java
//!   brokers alike, over TCP;
//! - LOCAL: inside a broker process, the same requests reaching that broker in memory.
//!
//! Module map: `service` (the tonic trait, delegating) → `producer` (routes, sends,
//! transactions, recall), `consumer` (assignment, receive, ack, pull, offsets), `session`
//! (heartbeats, telemetry, client registry) → `backend` (remoting to brokers), `context`
//! (request metadata), `auth` (callers' signatures checked, remoting signed as them), `validate` (names and message fields, Java's codes), `status` (codes
//! and the one remoting → gRPC code map), `config`.

mod auth;
mod backend;
mod config;
mod consumer;
mod context;
pub mod pb;
mod producer;
mod proxy;
mod service;
mod session;
mod status;
mod tls;
mod validate;

pub use auth::{authorization, Auth, Caller, SecretLookup};
pub use backend::{Backend, BrokerAddr};
pub use config::{ConfigError, ProxyConfig};
pub use context::RequestContext;
pub use proxy::{serve, Proxy};
pub use service::Service;
pub use session::{ClientInfo, Sessions, TelemetrySender};
pub use status::Refusal;
