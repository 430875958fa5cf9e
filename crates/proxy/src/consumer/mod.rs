//! The consumer side: server-side assignment, POP receives, acks, pulls and offsets.

pub mod ack;
pub mod assignment;
pub mod offset;
pub mod pull;
pub mod receive;

/// Consumer-side state shared by the RPCs.
#[derive(Default)]
pub struct Consumers {}
