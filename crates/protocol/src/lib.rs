//! FerroMQ protocol: the RocketMQ remoting wire format, with no I/O.
//!
//! - [`codes`]: request and response code tables (one table each, with names).
//! - [`hash`]: Java `String.hashCode`, used on disk and on the wire.
//! - [`message`]: property strings, sysflags, message ids, stored and batch records.

pub mod codes;
pub mod hash;
pub mod message;

pub use codes::{request as request_code, response as response_code};
