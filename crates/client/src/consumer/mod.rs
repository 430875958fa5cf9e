//! Consuming: [`PushConsumer`] and [`LitePullConsumer`], plus the pieces they are built from —
//! queue allocation ([`allocate`]), rebalance decisions ([`rebalance`]), offsets
//! ([`offset_table`], [`offset_store`], [`start_offset`]), the per-queue cache
//! ([`process_queue`]) and pulling ([`pull`]).

pub mod allocate;
mod config;
mod listener;
mod lite_pull;
pub mod offset_store;
pub mod offset_table;
pub mod process_queue;
pub mod pull;
mod push;
pub mod rebalance;
pub mod start_offset;

pub use allocate::AllocateStrategy;
pub use config::{LitePullConsumerConfig, PushConsumerConfig};
pub use ferromq_model::{ConsumeFromWhere, MessageModel};
pub use listener::{
    ConcurrentListener, ConcurrentlyContext, ConcurrentlyStatus, OrderlyContext, OrderlyListener,
    OrderlyStatus,
};
pub use lite_pull::LitePullConsumer;
pub use process_queue::{FlowControl, FlowLimits, ProcessQueue};
pub use push::PushConsumer;

use ferromq_model::names::retry_topic;
use ferromq_protocol::message::keys;

use crate::message::ReceivedMessage;

/// Restores the original topic of messages redelivered through `%RETRY%{group}` (Java
/// `resetRetryAndNamespace`).
pub(crate) fn restore_retry_topic(msgs: &mut [ReceivedMessage], group: &str) {
    let group_retry = retry_topic(group);
    for m in msgs {
        if m.topic == group_retry {
            if let Some(t) = m.property(keys::RETRY_TOPIC).map(str::to_string) {
                m.topic = t;
            }
        }
    }
}

/// Epoch milliseconds now.
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::received::tests::record_bytes;
    use ferromq_protocol::message::record::MessageExt;

    #[test]
    fn retry_topic_is_restored_only_for_the_group() {
        let raw = record_bytes("%RETRY%g", 0, b"x", "RETRY_TOPIC\u{1}Orders\u{2}", 0);
        let m = ReceivedMessage::from_record(MessageExt::decode(&raw).unwrap(), "b", true);
        let mut v = vec![m.clone()];
        restore_retry_topic(&mut v, "g");
        assert_eq!(v[0].topic, "Orders");
        let mut other = vec![m];
        restore_retry_topic(&mut other, "other");
        assert_eq!(other[0].topic, "%RETRY%g");
    }
}
