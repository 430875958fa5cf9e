//! The producers and consumers registered on a client instance, as the instance needs them:
//! what to put in heartbeats, and whom to hand server-initiated requests.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use ferromq_model::{ConsumerData, MessageQueue};
use ferromq_protocol::headers::CheckTransactionStateRequestHeader;

use crate::instance::ClientInstance;
use crate::message::ReceivedMessage;

/// What a consumer group offers its instance.
pub(crate) trait ConsumerHooks: Send + Sync {
    /// The heartbeat entry of the group.
    fn consumer_data(&self) -> ConsumerData;
    /// Topics whose routes the instance keeps fresh for this consumer.
    fn topics(&self) -> Vec<String>;
    /// NOTIFY_CONSUMER_IDS_CHANGED: rebalance soon.
    fn rebalance_now(&self);
    /// RESET_CONSUMER_CLIENT_OFFSET: move the group's offsets of `topic`.
    fn reset_offset(&self, topic: String, offsets: HashMap<MessageQueue, i64>);
    /// GET_CONSUMER_RUNNING_INFO: a `ConsumerRunningInfo` JSON body.
    fn running_info(&self) -> String;
    /// CONSUME_MESSAGE_DIRECTLY: run the listener on one message; a
    /// `ConsumeMessageDirectlyResult` JSON body, or `None` if the consumer cannot.
    fn consume_directly(&self, message: ReceivedMessage) -> Option<String>;
}

/// What a producer group offers its instance.
pub(crate) trait ProducerHooks: Send + Sync {
    /// CHECK_TRANSACTION_STATE from `broker_addr` about `message`.
    fn check_transaction(
        &self,
        instance: &ClientInstance,
        broker_addr: String,
        message: ReceivedMessage,
        header: CheckTransactionStateRequestHeader,
    );
}

/// A producer group that does not take part in transactions.
pub(crate) struct PlainProducer;

impl ProducerHooks for PlainProducer {
    fn check_transaction(
        &self,
        _: &ClientInstance,
        _: String,
        _: ReceivedMessage,
        _: CheckTransactionStateRequestHeader,
    ) {
    }
}

/// The registry.
#[derive(Default)]
pub(crate) struct Members {
    pub producers: BTreeMap<String, Arc<dyn ProducerHooks>>,
    pub consumers: BTreeMap<String, Arc<dyn ConsumerHooks>>,
}
