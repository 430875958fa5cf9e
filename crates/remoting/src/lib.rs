//! FerroMQ remoting: the RocketMQ protocol over tokio TCP (or any byte stream).
//!
//! - [`codec`]: a `tokio_util` codec over `ferromq_protocol::frame`.
//! - [`channel`]: one connection over any stream, usable in both directions (requests matched
//!   by opaque), with every per-connection resource bounded by [`ChannelConfig`].
//! - [`handler`]: what a channel does with requests; [`handler::Dispatcher`] routes by code.
//! - [`server`]: `run(listener, handler, config, shutdown)`; [`serve`] over any [`Listener`].
//! - [`reply`]: [`RequestError`] (the code and remark of a refusal), [`ok_json`].
//! - [`client`]: a channel pool with `invoke_sync` / `invoke_async` / `invoke_oneway`.

pub mod channel;
pub mod client;
pub mod codec;
pub mod error;
pub mod handler;
pub mod reply;
pub mod server;

pub use channel::{Channel, ChannelConfig};
pub use client::{ClientConfig, RemotingClient};
pub use error::RemotingError;
pub use handler::{not_supported, Dispatcher, Processor, RequestHandler, ResponseFuture};
pub use reply::{ok_json, respond, RequestError, RequestResult};
pub use server::{run, serve, Accepted, Listener, ServerConfig};
