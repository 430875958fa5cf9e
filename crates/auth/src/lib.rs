//! FerroMQ access control, as RocketMQ brokers do it. Two independent systems, each switched
//! on in `broker.conf`:
//!
//! - **ACL 1.0** (`aclEnable`, RocketMQ 4.4 – 5.3.2): accounts, whitelists and per-topic /
//!   per-group permissions read from `plain_acl.yml` files and reloaded when they change
//!   (`plain`).
//! - **ACL 2.0** (`authenticationEnabled`, `authorizationEnabled`, RocketMQ 5.3): users and
//!   policies managed with the 3001–3010 admin requests and stored by the broker (`policy`).
//!
//! Both authenticate the same request signature (`ferromq_protocol::signature`). This crate
//! decides; the broker maps its refusals to response codes and serves the admin requests.

#![warn(unreachable_pub)]

mod migrate;
mod plain;
mod policy;

// ACL 1.0 (plain_acl.yml).
pub use plain::{
    needs_admin, split_comma_list, AclDenied, DenialSite, Perm, PlainAccount, PlainAcl,
    PlainAclError, ADMIN_CODES, RETRY_PREFIX,
};

// ACL 1.0 accounts as ACL 2.0 users (`migrateAuthFromV1Enabled`).
pub use migrate::migrate_v1;

// ACL 2.0 (users and policies).
pub use policy::{
    annotated_codes, authenticate, authorize, needs, Acl, Action, AdminError, AuthStore, Decision,
    Directory, GateConfig, Need, Policy, PolicyEntry, PolicyType, Resource, ResourcePattern,
    ResourceType, Snapshot, StoreError, User, UserStatus, UserType,
};
