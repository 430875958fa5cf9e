//! Cross-crate scenarios: a real NameServer and broker(s) in process, driven over the wire
//! with the raw protocol. Each module covers one processor area, error paths included, and
//! checks the Java response codes.

mod admin;
mod clients;
mod controller_mode;
mod features;
mod offsets;
mod pop;
mod pull;
mod query;
mod recall;
mod replication;
mod restart;
mod send;
mod tls;

pub use ferromq_testkit::{records, unique};
