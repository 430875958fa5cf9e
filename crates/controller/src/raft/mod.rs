//! The controllers' consensus: openraft over FerroMQ's remoting transport. Three (or five)
//! controllers replicate one log of [`Event`]s; the leader decides, every member applies.
//!
//! - `types`: the openraft type configuration.
//! - `log_store`: the Raft log and vote, in files (fsynced before openraft is told).
//! - `state_machine`: [`ControllerState`] behind openraft's state-machine interface, with
//!   snapshots on disk.
//! - `network`: Raft RPCs as remoting requests on the peers' Raft port, and the handler that
//!   serves them.
//! - `node`: one member — storage, peer port, bootstrap of the group.

mod log_store;
mod network;
mod node;
mod state_machine;
mod types;

pub use log_store::LogStore;
pub use network::{PeerNetwork, RaftService};
pub use node::{RaftNode, RaftTiming};
pub use state_machine::StateMachine;
pub use types::{NodeId, Raft, TypeConfig};

use crate::state::ControllerState;
