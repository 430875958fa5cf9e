//! FerroMQ controller: RocketMQ 5.x's controller mode (RIP-44). Per broker set it keeps the
//! master, the master epoch and the SyncStateSet, elects a new master from the SyncStateSet
//! when the master stops heart-beating, and tells the brokers. Three (or more) controllers
//! replicate their decisions with openraft.
//!
//! - `state`: the replicated state ([`ControllerState`]) and the [`Event`]s that change it.
//! - `decide`: what the leader answers to each broker request and which events it
//!   replicates first (Java's checks and election policy), pure.
//! - `liveness`: brokers' heartbeats, as this controller hears them.
//! - `raft`: openraft's storage, state machine and peer transport.
//! - `server`: a running [`Controller`] — its port (broker requests and Raft peers), the
//!   leader's operations and scans, role-change notices.

#![warn(unreachable_pub)]

mod decide;
#[cfg(test)]
mod decide_tests;
mod liveness;
mod raft;
mod server;
mod state;

pub use decide::{Decision, View, MAX_BROKER_SETS, MAX_CHECK_CODE_LEN, MAX_SET_MEMBERS};
pub use liveness::{Heartbeat, LiveInfo, LiveTable, MAX_LIVE_BROKERS};
pub use raft::{
    LogStore, NodeId, PeerNetwork, Raft, RaftNode, RaftService, RaftTiming, StateMachine,
    TypeConfig,
};
pub use server::{member_ids, parse_node_id, parse_peers, Controller, ControllerSettings};
pub use state::{Applied, BrokerId, BrokerSet, ControllerState, Event, Member};
