//! Everything a request processor can reach: config, store, tables, clients, long polling.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use ferromq_config::BrokerConfig;
use ferromq_store::MessageStore;

use parking_lot::RwLock;
use tokio::sync::Notify;

use crate::clients::ClientRegistry;
use crate::groups::GroupTable;
use crate::offsets::ConsumerOffsets;
use crate::pull_hold::PullHold;
use crate::queue_locks::QueueLocks;
use crate::stats::BrokerStats;
use crate::topics::TopicTable;

/// The broker's shared state.
pub struct BrokerContext {
    /// Live configuration (UPDATE_BROKER_CONFIG changes some keys at runtime).
    pub config: RwLock<BrokerConfig>,
    /// Serialises UPDATE_BROKER_CONFIG requests (each parses outside `config`'s lock).
    pub config_update: parking_lot::Mutex<()>,
    /// The message store.
    pub store: Arc<MessageStore>,
    pub topics: TopicTable,
    pub groups: GroupTable,
    pub offsets: ConsumerOffsets,
    pub clients: ClientRegistry,
    pub pull_hold: PullHold,
    /// Compiled subscription filters.
    pub filters: crate::filtering::FilterCache,
    pub queue_locks: QueueLocks,
    /// Delivered offsets of the delay levels.
    pub delay_offsets: crate::schedule::DelayOffsets,
    /// Timer messages.
    pub timer: crate::timer::TimerService,
    /// Resolved transactional half messages.
    pub transactions: crate::transaction::TransactionState,
    pub stats: BrokerStats,
    /// `brokerIP1:listenPort`: the address clients reach and message ids encode.
    pub store_host: SocketAddr,
    /// Woken when topics change, so the NameServer hears about it at once.
    pub registration_needed: Notify,
    /// The client registering with the NameServers (set at start).
    pub namesrv_client: std::sync::OnceLock<ferromq_remoting::RemotingClient>,
    /// Woken when the config files (topics, groups) need persisting.
    pub persist_needed: Notify,
    /// When the broker started.
    pub started: Instant,
    /// Broker cluster/name/id, fixed at start.
    pub cluster_name: String,
    pub broker_name: String,
    pub broker_id: i64,
}

impl BrokerContext {
    /// `brokerIP1:listenPort` as a string.
    pub fn broker_addr(&self) -> String {
        self.store_host.to_string()
    }

    /// Asks for topics.json/subscriptionGroup.json to be written and the NameServer updated.
    pub fn topics_changed(&self) {
        self.persist_needed.notify_one();
        self.registration_needed.notify_one();
    }

    /// Registers with every NameServer now and waits for the answers: admin topic changes
    /// are routable when their response arrives, as with the Java broker.
    pub async fn register_now(&self) {
        self.persist_needed.notify_one();
        if let Some(client) = self.namesrv_client.get() {
            crate::registration::register_all(self, client).await;
        }
    }

    /// Asks for the config files to be written (no routing change).
    pub fn groups_changed(&self) {
        self.persist_needed.notify_one();
    }

    /// The broker's permission (`brokerPermission`).
    pub fn broker_permission(&self) -> i32 {
        self.config.read().broker.broker_permission
    }
}
