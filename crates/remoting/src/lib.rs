//! FerroMQ remoting: the RocketMQ protocol over tokio TCP (or any byte stream).
//!
//! Everything public is exported here; the modules are private:
//! - `codec`: [`RemotingCodec`], a `tokio_util` codec over `ferromq_protocol::frame`.
//! - `channel`: [`Channel`], one connection over any stream, usable in both directions
//!   (requests matched by opaque), with every per-connection resource bounded by
//!   [`ChannelConfig`].
//! - `handler`: what a channel does with requests ([`RequestHandler`]); [`Dispatcher`] routes
//!   by code to [`Processor`]s.
//! - `server`: [`run`]`(listener, handler, config, shutdown)`; [`serve`] over any [`Listener`].
//! - `reply`: [`RequestError`] (the code and remark of a refusal), [`respond`], [`ok_json`],
//!   [`clipped`].
//! - `client`: [`RemotingClient`], a channel pool with `invoke_sync` / `invoke_async` /
//!   `invoke_oneway`.
//! - `error`: [`RemotingError`].
//! - `tls`: [`TlsListener`], TLS and plain on one port as `tls.server.mode` says
//!   ([`TlsServerSettings`], [`server_config`]).

#![warn(unreachable_pub)]

mod channel;
mod client;
mod codec;
mod error;
mod handler;
mod reply;
mod server;
mod tls;

pub use channel::{Channel, ChannelConfig};
pub use client::{ClientConfig, RemotingClient, RpcHook};
pub use codec::{CodecError, RemotingCodec};
pub use error::RemotingError;
pub use handler::{
    not_supported, ChannelLifecycle, Dispatcher, Processor, RequestHandler, ResponseFuture,
};
pub use reply::{clipped, ok_json, respond, RequestError, RequestResult, MAX_REMARK};
pub use server::{run, serve, Accepted, Listener, ServerConfig};
pub use tls::{
    client_tls, client_tls_config, provider, run_transport, server_config, test_mode_server_config,
    BoxRead, BoxWrite, ClientAuth, TlsClientSettings, TlsError, TlsListener, TlsMode,
    TlsServerSettings, Transport,
};
