//! ACL 2.0 (RocketMQ 5.3): users authenticate each request's signature; policies authorize
//! what it touches. `model` is the vocabulary, `contexts` what a request needs, `decide` the
//! decisions, `store` and `stored` the durable users and ACLs, `admin` the 3001–3010 changes.

mod admin;
mod contexts;
mod decide;
mod ip;
mod model;
mod store;
mod stored;

use std::collections::HashSet;

use ferromq_protocol::RemotingCommand;

pub use admin::AdminError;
pub use contexts::{annotated_codes, needs, Need};
pub use decide::{authenticate, authorize, Directory};
pub use model::{
    Acl, Action, Decision, Policy, PolicyEntry, PolicyType, Resource, ResourcePattern,
    ResourceType, User, UserStatus, UserType,
};
pub use store::{AuthStore, Snapshot, StoreError};

/// The ACL 2.0 switches of `broker.conf`, as the request gate needs them.
#[derive(Debug, Clone, Default)]
pub struct GateConfig {
    /// `authenticationEnabled`.
    pub authentication: bool,
    /// `authorizationEnabled`.
    pub authorization: bool,
    /// `authenticationMetadataProvider` is set (Java refuses everything without one).
    pub authentication_provider: bool,
    /// `authorizationMetadataProvider` is set.
    pub authorization_provider: bool,
    /// `authenticationWhitelist`: request codes that skip authentication.
    pub authentication_whitelist: HashSet<i32>,
    /// `authorizationWhitelist`: request codes that skip authorization.
    pub authorization_whitelist: HashSet<i32>,
    /// `brokerClusterName`: the `Cluster:` resource of cluster-wide requests.
    pub cluster: String,
}

impl GateConfig {
    /// Whether the gate checks anything.
    pub fn enabled(&self) -> bool {
        self.authentication || self.authorization
    }

    /// Parses a whitelist as Java does: comma-separated decimal request codes (anything
    /// else — gRPC method names — is ignored here).
    pub fn parse_whitelist(list: &str) -> HashSet<i32> {
        list.split(',')
            .filter_map(|c| c.trim().parse().ok())
            .collect()
    }

    /// Authentication then authorization of one request from `source_ip`; the refusal is
    /// Java's NO_PERMISSION remark.
    pub fn check(
        &self,
        snapshot: &Snapshot,
        request: &RemotingCommand,
        source_ip: &str,
    ) -> Result<(), String> {
        if self.authentication && !self.authentication_whitelist.contains(&request.code) {
            if !self.authentication_provider {
                return Err("The authenticationMetadataProvider is not configured".into());
            }
            authenticate(snapshot, request)?;
        }
        if self.authorization && !self.authorization_whitelist.contains(&request.code) {
            let needs = needs(request, &self.cluster)
                .map_err(|_| "parse authorization context error.".to_string())?;
            if needs.is_empty() {
                return Ok(());
            }
            if !self.authentication_provider {
                return Err("The authenticationMetadataProvider is not configured".into());
            }
            if !self.authorization_provider {
                return Err("The authorizationMetadataProvider is not configured".into());
            }
            authorize(snapshot, request, &needs, source_ip)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
