//! FerroMQ protocol: the RocketMQ remoting wire format, with no I/O.
//!
//! The root exports the command itself: [`RemotingCommand`] (with [`Body`], [`ExtFields`],
//! [`LanguageCode`], [`SerializeType`] and the flags), [`CommandHeader`] for typed headers,
//! and the decoding errors. Private modules:
//! - `command`: [`RemotingCommand`], flags and serialize types; `body`: chunked bodies;
//!   `ext_fields`: the custom-header string map; `language`: client language codes.
//! - `header`: the JSON (type 0) and ROCKETMQ binary (type 1) header encodings.
//! - `codes`: the request and response code tables, exported as the two namespaces below.
//!
//! Families of functions, constants and types that other crates address by path stay public
//! modules:
//! - [`frame`]: `frame::encode` / `frame::decode` — length-prefixed frames ⇄
//!   [`RemotingCommand`], `Ok(None)` until complete.
//! - [`headers`]: the typed custom headers (`headers::PullMessageRequestHeader`, …).
//! - [`request_code`], [`response_code`]: one table each, with `name` / `by_name`.
//! - [`message`]: property strings (`message::properties::keys`), sysflags, message ids,
//!   recall handles, stored and batch records.
//! - [`ha`]: the classic master/slave replication frames (reports and transfers).
//! - [`hash`]: Java `String.hashCode`, used on disk and on the wire.
//! - [`signature`]: the ACL request signature (`AccessKey`, `Signature`), signing and
//!   verifying.
//! - [`time`]: the one place the clock is read (`time::now_ms`).
//! - [`version`]: `MQVersion` ordinals (`version::CURRENT`).

#![warn(unreachable_pub)]

mod body;
mod codes;
mod command;
mod ext_fields;
pub mod frame;
pub mod ha;
pub mod hash;
mod header;
pub mod headers;
mod language;
pub mod message;
pub mod signature;
mod string_map;
pub mod time;
pub mod version;

pub use body::Body;
pub use codes::{request as request_code, response as response_code};
pub use command::{RemotingCommand, SerializeType, ONEWAY_FLAG, RESPONSE_FLAG};
pub use ext_fields::ExtFields;
pub use frame::{FrameError, DEFAULT_MAX_FRAME_LENGTH};
pub use header::{HeaderDecodeError, MAX_EXT_FIELDS};
pub use headers::{CommandHeader, HeaderError};
pub use language::LanguageCode;
