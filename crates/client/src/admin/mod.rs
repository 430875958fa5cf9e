//! [`Admin`]: the calls behind mqadmin's commands and dashboards — cluster and broker state,
//! topics, subscription groups, consumer progress and connections, offset resets, message
//! queries, NameServer KV config and permissions, ACL 2.0 users and policies and ACL 1.0
//! accounts.
//!
//! Multi-broker calls follow mqadmin: per-topic calls go to one address of every broker group
//! in the topic's route, cluster-wide calls to every master of the cluster, NameServer writes
//! to every NameServer.

mod auth;
mod broker;
mod controller;
mod group;
mod message_query;
mod namesrv;
mod plain_acl;
mod properties;
mod topic;

use std::time::Duration;

use ferromq_model::{from_fastjson_slice, ClusterInfo};
use ferromq_protocol::{request_code, RemotingCommand};

pub use message_query::QueryResult;
pub use plain_acl::{AclVersionInfo, PlainAccessConfig};

use crate::config::ClientConfig;
use crate::error::{ClientError, Result};
use crate::instance::ClientInstance;

/// An admin client. No group, no heartbeat: every method is one or a few requests.
#[derive(Clone, Debug)]
pub struct Admin {
    instance: ClientInstance,
    timeout: Duration,
}

impl Admin {
    /// An admin client for the NameServers in `config`.
    pub fn new(config: ClientConfig) -> Self {
        let timeout = config.api_timeout;
        Admin {
            instance: ClientInstance::new(config),
            timeout,
        }
    }

    /// An admin client for `namesrv` (`a:9876;b:9876`) with default settings.
    pub fn connect(namesrv: &str) -> Self {
        Self::new(ClientConfig::new(namesrv))
    }

    /// The client instance (raw requests, routes).
    pub fn instance(&self) -> &ClientInstance {
        &self.instance
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Closes connections.
    pub async fn shutdown(&self) {
        self.instance.shutdown().await;
    }

    /// GET_BROKER_CLUSTER_INFO (106): clusters, broker groups and their addresses.
    pub async fn cluster_info(&self) -> Result<ClusterInfo> {
        let resp = self
            .instance
            .invoke_namesrv_ok(RemotingCommand::request(
                request_code::GET_BROKER_CLUSTER_INFO,
            ))
            .await?;
        Ok(from_fastjson_slice(&resp.body.to_bytes())?)
    }

    /// Master addresses of `cluster`.
    pub async fn master_addrs(&self, cluster: &str) -> Result<Vec<String>> {
        let info = self.cluster_info().await?;
        if !info.cluster_addr_table.contains_key(cluster) {
            return Err(ClientError::InvalidArgument(format!(
                "cluster `{cluster}` not found"
            )));
        }
        Ok(info
            .master_addrs_of_cluster(cluster)
            .into_iter()
            .map(str::to_string)
            .collect())
    }

    /// Sends `req` to `addr`, requiring SUCCESS.
    pub(crate) async fn call(&self, addr: &str, req: RemotingCommand) -> Result<RemotingCommand> {
        self.instance.invoke_ok(addr, req, self.timeout).await
    }
}
