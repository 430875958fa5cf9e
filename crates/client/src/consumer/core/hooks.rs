//! How a consumer answers its client instance: heartbeat data, the topics whose routes to
//! keep fresh, group-change notifications — from the core — and offset resets, running info
//! and direct consumption, which the layer answers.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use ferromq_model::{ConsumerData, MessageQueue};

use super::layer::Layer;
use crate::instance::members::ConsumerHooks;
use crate::message::ReceivedMessage;

/// The hooks registered for a consumer group. Weak, so a dropped consumer is not kept alive
/// by its instance.
pub(super) struct CoreHooks {
    layer: Weak<dyn Layer>,
}

impl CoreHooks {
    pub(super) fn new(layer: &Arc<dyn Layer>) -> Self {
        CoreHooks {
            layer: Arc::downgrade(layer),
        }
    }
}

impl ConsumerHooks for CoreHooks {
    fn consumer_data(&self) -> ConsumerData {
        let Some(layer) = self.layer.upgrade() else {
            return ConsumerData::default();
        };
        let core = layer.core();
        ConsumerData {
            consume_from_where: core.config().consume_from_where,
            consume_type: core.config().consume_type,
            group_name: core.config().group.clone(),
            message_model: core.config().message_model,
            subscription_data_set: core.subscriptions(),
            unit_mode: false,
        }
    }

    fn topics(&self) -> Vec<String> {
        self.layer
            .upgrade()
            .map(|l| l.core().topics())
            .unwrap_or_default()
    }

    fn rebalance_now(&self) {
        if let Some(l) = self.layer.upgrade() {
            l.core().rebalance_now();
        }
    }

    fn reset_offset(&self, topic: String, offsets: HashMap<MessageQueue, i64>) {
        if let Some(l) = self.layer.upgrade() {
            l.reset_offset(topic, offsets);
        }
    }

    fn running_info(&self) -> String {
        self.layer
            .upgrade()
            .map(|l| l.running_info())
            .unwrap_or_default()
    }

    fn consume_directly(&self, message: ReceivedMessage) -> Option<String> {
        self.layer.upgrade()?.consume_directly(message)
    }
}
