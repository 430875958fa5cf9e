//! Admin requests (what mqadmin and consoles send): topics, groups, offsets, configs,
//! runtime info, statistics, calls relayed to clients. They are routed by the one table in
//! [`crate::processor::ROUTES`].

pub(crate) mod auth;
pub(crate) mod config;
pub(crate) mod controller;
pub(crate) mod group;
pub(crate) mod offsets;
pub(crate) mod plain_acl;
pub(crate) mod relay;
pub(crate) mod stats;
pub(crate) mod topic;
