//! The producer side: routes, sends, transactions, recall; `convert` turns messages between
//! gRPC and remoting, `message_type` decides typed-topic checks.

pub mod convert;
pub mod message_type;
pub mod recall;
pub mod route;
pub mod send;
pub mod transaction;
