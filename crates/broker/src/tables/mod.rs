//! The broker's persistent tables — topics (`topics.json`), subscription groups
//! (`subscriptionGroup.json`) and consumer offsets (`consumerOffset.json`) — and the signal
//! that asks for them to be written.

mod groups;
mod json_file;
mod offsets;
mod topics;

use ferromq_config::BrokerConfig;
use tokio::sync::Notify;

use crate::error::BrokerError;

pub use groups::GroupTable;
pub(crate) use json_file::{load as load_json, store as store_json};
pub use offsets::ConsumerOffsets;
pub(crate) use topics::check_config;
pub use topics::{TopicConfigError, TopicTable, MAX_QUEUE_NUMS};

/// Topics, groups and offsets.
pub struct Tables {
    topics: TopicTable,
    groups: GroupTable,
    offsets: ConsumerOffsets,
    persist_needed: Notify,
}

impl Tables {
    /// Loads the three files under the store root (`.bak` fallbacks, system topics added).
    pub fn load(config: &BrokerConfig) -> Result<Self, BrokerError> {
        Ok(Tables {
            topics: TopicTable::load(config)?,
            groups: GroupTable::load(config)?,
            offsets: ConsumerOffsets::load(config)?,
            persist_needed: Notify::new(),
        })
    }

    /// The topic table.
    pub fn topics(&self) -> &TopicTable {
        &self.topics
    }

    /// The subscription-group table.
    pub fn groups(&self) -> &GroupTable {
        &self.groups
    }

    /// The consumer offsets.
    pub fn offsets(&self) -> &ConsumerOffsets {
        &self.offsets
    }

    /// Asks for topics.json and subscriptionGroup.json to be written (soon, off the request).
    pub fn request_persist(&self) {
        self.persist_needed.notify_one();
    }

    /// Resolves when a write was asked for.
    pub async fn persist_requested(&self) {
        self.persist_needed.notified().await
    }

    /// Writes all three files now (blocking: call off the async threads).
    pub fn persist(&self) -> Result<(), BrokerError> {
        self.topics.persist()?;
        self.groups.persist()?;
        self.offsets.persist()
    }
}
