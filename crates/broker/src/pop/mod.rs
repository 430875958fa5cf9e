//! POP consumption (RocketMQ 5.x), over remoting:
//!
//! - [`pop`] POP_MESSAGE, popping queue by queue with [`pop_queue`]; [`ack`] ACK_MESSAGE and
//!   BATCH_ACK_MESSAGE; [`invisible`] CHANGE_MESSAGE_INVISIBLETIME; [`notification`]
//!   NOTIFICATION and POLLING_INFO; [`request_mode`] SET_MESSAGE_REQUEST_MODE,
//!   GET_ALL_MESSAGE_REQUEST_MODE and QUERY_ASSIGNMENT.
//! - Durability as Java's: a pop moves the group's offset and writes a checkpoint to the
//!   revive log ([`revive_log`], bodies in [`records`]); acks go to the same log; the
//!   [`revive`] service matches them ([`revive_state`], pure) and puts messages still
//!   un-acked after their invisible time into the pop retry topic (or the DLQ).
//! - Orderly pops ([`order`], pure), long polling ([`hold`], [`wake`]), receipts and offset
//!   infos ([`extra_info`], pure), names ([`keys`]).
//! - [`state::Pop`]: the broker part holding all of it.

pub(crate) mod ack;
pub(crate) mod extra_info;
pub(crate) mod hold;
pub(crate) mod invisible;
pub(crate) mod keys;
pub(crate) mod notification;
pub(crate) mod order;
#[allow(clippy::module_inception)]
pub(crate) mod pop;
pub(crate) mod pop_queue;
pub(crate) mod records;
pub(crate) mod request_mode;
pub(crate) mod revive;
pub(crate) mod revive_log;
pub(crate) mod revive_state;
pub(crate) mod state;
pub(crate) mod wake;

pub use state::Pop;

#[cfg(test)]
mod tests;
