//! Producing: [`Producer`] (sync, async, one-way, batch, chosen queue, selector),
//! [`TransactionProducer`], their settings and results, and the pure parts of the send path
//! (queue selection, fault avoidance, request building).

mod client;
mod config;
pub(crate) mod fault;
pub(crate) mod queue_select;
mod request;
mod selector;
mod send_result;
pub(crate) mod sender;
mod transaction;

pub use client::{Producer, SendHandle};
pub use config::ProducerConfig;
pub use fault::LatencyFaultTolerance;
pub use selector::{QueueSelector, SelectByHash, SelectByRandom};
pub use send_result::{SendResult, SendStatus};
pub use transaction::{
    LocalTransactionState, TransactionListener, TransactionProducer, TransactionSendResult,
};
