//! The replicated state of the controller: per broker set (brokerName), its members, its
//! master, the master's epoch and the SyncStateSet. Changed only by applying [`Event`]s from
//! the Raft log, in log order, on every controller alike; decisions that produce events are
//! made on the leader (`decide`) from this state.

mod apply;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use apply::Applied;

/// A broker id within its set (Java: `Long`; 0 is never assigned in controller mode).
pub type BrokerId = u64;

/// One decided change, as replicated through the Raft log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A broker took `broker_id` in its set (the controller had offered it); the check code
    /// lets the same broker re-register after a restart.
    ApplyBrokerId {
        cluster: String,
        broker_name: String,
        broker_id: BrokerId,
        /// The address part of the check code.
        address: String,
        register_check_code: String,
    },
    /// A registered broker's new address (it may change across restarts).
    UpdateBrokerAddress {
        cluster: String,
        broker_name: String,
        broker_id: BrokerId,
        address: String,
    },
    /// A new master — the master epoch moves on and the SyncStateSet restarts with the new
    /// master alone — or none, when no replica could be elected: the epoch moves on, the
    /// set stays.
    ElectMaster {
        broker_name: String,
        new_master: Option<BrokerId>,
    },
    /// The master reports which replicas are in sync.
    AlterSyncStateSet {
        broker_name: String,
        sync_state_set: BTreeSet<BrokerId>,
    },
    /// An admin removes brokers (the whole set when `broker_ids` is `None` or empty).
    CleanBrokerData {
        broker_name: String,
        broker_ids: Option<BTreeSet<BrokerId>>,
    },
}

/// A broker set as the controller keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerSet {
    cluster: String,
    broker_name: String,
    /// Member id → address.
    members: BTreeMap<BrokerId, Member>,
    next_broker_id: BrokerId,
    master: Option<BrokerId>,
    master_epoch: i32,
    sync_state_set: BTreeSet<BrokerId>,
    sync_state_set_epoch: i32,
}

/// One member of a broker set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Where the broker listens (`ip:port`).
    pub address: String,
    /// What the broker proved its id with (`address;timestamp` in Java).
    pub register_check_code: String,
}

impl BrokerSet {
    /// `brokerClusterName`.
    pub fn cluster(&self) -> &str {
        &self.cluster
    }

    /// `brokerName`.
    pub fn broker_name(&self) -> &str {
        &self.broker_name
    }

    /// The members by id.
    pub fn members(&self) -> &BTreeMap<BrokerId, Member> {
        &self.members
    }

    /// The address of member `id`.
    pub fn address(&self, id: BrokerId) -> Option<&str> {
        self.members.get(&id).map(|m| m.address.as_str())
    }

    /// Whether `id` is a member.
    pub fn has(&self, id: BrokerId) -> bool {
        self.members.contains_key(&id)
    }

    /// The id offered to the next new member (a counter of members ever added, from 1).
    pub fn next_broker_id(&self) -> BrokerId {
        self.next_broker_id
    }

    /// The master's id, if there is one.
    pub fn master(&self) -> Option<BrokerId> {
        self.master
    }

    /// The master epoch (moves on with every election).
    pub fn master_epoch(&self) -> i32 {
        self.master_epoch
    }

    /// The replicas in sync with the master (the master included).
    pub fn sync_state_set(&self) -> &BTreeSet<BrokerId> {
        &self.sync_state_set
    }

    /// The SyncStateSet epoch (moves on with every change of the set).
    pub fn sync_state_set_epoch(&self) -> i32 {
        self.sync_state_set_epoch
    }
}

/// Every broker set, by brokerName.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControllerState {
    sets: BTreeMap<String, BrokerSet>,
}

impl ControllerState {
    /// The set named `broker_name`.
    pub fn set(&self, broker_name: &str) -> Option<&BrokerSet> {
        self.sets.get(broker_name)
    }

    /// Every set.
    pub fn sets(&self) -> impl Iterator<Item = &BrokerSet> {
        self.sets.values()
    }
}
