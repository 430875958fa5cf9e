//! openraft's type configuration for the controller.

use std::io::Cursor;

use crate::state::{Applied, Event};

/// A controller's id in the Raft group (`n0` → 0).
pub type NodeId = u64;

openraft::declare_raft_types!(
    /// The controller's Raft types: the log carries [`Event`]s.
    pub TypeConfig:
        D = Event,
        R = Applied,
        NodeId = NodeId,
        Node = openraft::BasicNode,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

/// The controller's Raft handle.
pub type Raft = openraft::Raft<TypeConfig>;
