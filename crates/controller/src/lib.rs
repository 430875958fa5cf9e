//! FerroMQ controller: RocketMQ 5.x's controller mode (RIP-44). Per broker set it keeps the
//! master, the master epoch and the SyncStateSet, elects a new master from the SyncStateSet
//! when the master stops heart-beating, and tells the brokers. Three (or more) controllers
//! replicate their decisions with openraft.
//!
//! - `state`: the replicated state ([`ControllerState`]) and the [`Event`]s that change it.
//! - `raft`: openraft's storage, state machine and peer transport.

#![warn(unreachable_pub)]

mod raft;
mod state;

pub use raft::{
    LogStore, NodeId, PeerNetwork, Raft, RaftNode, RaftService, RaftTiming, StateMachine,
    TypeConfig,
};
pub use state::{Applied, BrokerId, BrokerSet, ControllerState, Event, Member};
