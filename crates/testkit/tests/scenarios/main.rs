//! Cross-crate scenarios: a real NameServer and broker(s) in process, driven over the wire
//! with the raw protocol. Each module covers one processor area, error paths included, and
//! checks the Java response codes.

mod admin;
mod clients;
mod features;
mod offsets;
mod pull;
mod query;
mod restart;
mod send;

use bytes::Bytes;
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::RemotingCommand;

/// Decodes the records of a pull/query body.
pub fn records(resp: &RemotingCommand) -> Vec<MessageExt> {
    let body: Bytes = resp.body.to_bytes();
    MessageExt::decode_all(&body).expect("valid records")
}

/// A topic name unique to this test process.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
