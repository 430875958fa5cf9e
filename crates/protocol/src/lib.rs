//! FerroMQ protocol: the RocketMQ remoting wire format, with no I/O.
//!
//! - [`frame`]: length-prefixed frames ⇄ [`RemotingCommand`]; `Ok(None)` until complete.
//! - [`header`]: the JSON (type 0) and ROCKETMQ binary (type 1) header encodings.
//! - [`command`]: [`RemotingCommand`], flags and serialize types; [`body`]: chunked bodies.
//! - [`codes`]: request and response code tables (one table each, with names).
//! - [`ext_fields`]: the custom-header string map; [`headers`]: typed custom headers.
//! - [`language`], [`version`]: client language codes and `MQVersion` ordinals.
//! - [`message`]: property strings, sysflags, message ids, stored and batch records.
//! - [`hash`]: Java `String.hashCode`, used on disk and on the wire.
//! - [`time`]: the one place the clock is read (`now_ms`).

pub mod body;
pub mod codes;
pub mod command;
pub mod ext_fields;
pub mod frame;
pub mod hash;
pub mod header;
pub mod headers;
pub mod language;
pub mod message;
mod string_map;
pub mod time;
pub mod version;

pub use body::Body;
pub use codes::{request as request_code, response as response_code};
pub use command::{RemotingCommand, SerializeType, ONEWAY_FLAG, RESPONSE_FLAG};
pub use ext_fields::ExtFields;
pub use frame::{FrameError, DEFAULT_MAX_FRAME_LENGTH};
pub use headers::{CommandHeader, HeaderError};
pub use language::LanguageCode;
