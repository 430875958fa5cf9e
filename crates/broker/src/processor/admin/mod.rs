//! Admin requests (what mqadmin and consoles send): topics, groups, offsets, configs,
//! runtime info, statistics, calls relayed to clients. They are routed by the one table in
//! [`crate::processor::ROUTES`].

pub mod config;
pub mod group;
pub mod offsets;
pub mod relay;
pub mod stats;
pub mod topic;
