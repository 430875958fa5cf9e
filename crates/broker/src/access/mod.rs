//! [`Access`]: who may send the broker what. Two independent gates run before any handler:
//!
//! - ACL 1.0 (`aclEnable`): accounts and whitelists from `plain_acl.yml` under
//!   `rocketmqHome`, reloaded when the files change; a refusal is SYSTEM_ERROR with Java's
//!   `AclException` remark.
//! - ACL 2.0 (`authenticationEnabled` / `authorizationEnabled`): users and policies in
//!   `{storePathRootDir}/config/auth`; a refusal is NO_PERMISSION with Java's message.
//!
//! Both leave the connection open, as Java does. With both off, `check` is one branch.
//! The broker's own requests (to NameServers, its master, controllers) are signed with
//! `innerClientAuthenticationCredentials` ([`Access::outgoing_hook`]).

mod plain;

use std::net::IpAddr;
use std::path::Path;

use ferromq_auth::{AuthStore, GateConfig};
use ferromq_config::BrokerConfig;
use ferromq_protocol::{response_code, signature, RemotingCommand};
use ferromq_remoting::{RequestError, RpcHook};
use serde::Deserialize;

use crate::error::BrokerError;

pub(crate) use plain::PlainGate;

/// The broker's access control.
pub struct Access {
    gate: GateConfig,
    store: Option<AuthStore>,
    plain: Option<PlainGate>,
    outgoing: Option<RpcHook>,
}

/// `initAuthenticationUser`.
#[derive(Deserialize)]
struct InitUser {
    username: String,
    password: String,
}

/// `innerClientAuthenticationCredentials`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InnerCredentials {
    access_key: String,
    secret_key: String,
}

impl Access {
    /// Reads the switches, opens the user store when a provider is configured, creates the
    /// configured super users and loads the ACL 1.0 files.
    pub fn new(config: &BrokerConfig) -> Result<Access, BrokerError> {
        let a = &config.auth;
        let set = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
        let gate = GateConfig {
            authentication: a.authentication_enabled,
            authorization: a.authorization_enabled,
            authentication_provider: set(&a.authentication_metadata_provider),
            authorization_provider: set(&a.authorization_metadata_provider),
            authentication_whitelist: GateConfig::parse_whitelist(
                a.authentication_whitelist.as_deref().unwrap_or(""),
            ),
            authorization_whitelist: GateConfig::parse_whitelist(
                a.authorization_whitelist.as_deref().unwrap_or(""),
            ),
            cluster: config.broker.broker_cluster_name.clone(),
        };
        let store = if gate.authentication_provider || gate.authorization_provider {
            let dir = Path::new(&config.store.store_path_root_dir).join("config/auth");
            Some(AuthStore::open(&dir).map_err(|e| BrokerError::Config(e.to_string()))?)
        } else {
            None
        };
        let inner = parse_json::<InnerCredentials>(
            &a.inner_client_authentication_credentials,
            "innerClientAuthenticationCredentials",
        )?;
        if let Some(store) = &store {
            let init =
                parse_json::<InitUser>(&a.init_authentication_user, "initAuthenticationUser")?;
            let users = init.map(|u| (u.username, u.password)).into_iter().chain(
                inner
                    .as_ref()
                    .map(|c| (c.access_key.clone(), c.secret_key.clone())),
            );
            for (name, password) in users {
                if store.ensure_super_user(&name, &password).map_err(|e| {
                    BrokerError::Config(format!("Init authentication user error: {e}"))
                })? {
                    tracing::info!(user = %name, "created the configured super user");
                }
            }
        }
        if let (true, Some(store)) = (a.migrate_auth_from_v1_enabled, &store) {
            migrate(config, store);
        }
        let plain = if config.broker.acl_enable {
            Some(PlainGate::load(config)?)
        } else {
            None
        };
        let outgoing = inner.map(|c| RpcHook::sign_with(&c.access_key, &c.secret_key));
        Ok(Access {
            gate,
            store,
            plain,
            outgoing,
        })
    }

    /// Whether `request` from `remote` may reach its handler; the refusal otherwise.
    pub fn check(&self, remote: IpAddr, request: &RemotingCommand) -> Result<(), RequestError> {
        if self.plain.is_none() && !self.gate.enabled() {
            return Ok(());
        }
        let ip = remote.to_string();
        if let Some(p) = &self.plain {
            p.check(request, &ip)?;
        }
        if self.gate.enabled() {
            let snapshot = self
                .store
                .as_ref()
                .map(|s| s.snapshot())
                .unwrap_or_default();
            if let Err(why) = self.gate.check(&snapshot, request, &ip) {
                tracing::info!(code = request.code, remote = %ip,
                    user = request.ext_fields.get(signature::ACCESS_KEY).unwrap_or("-"),
                    refusal = %why, "request refused by ACL");
                return Err(RequestError::no_permission(why));
            }
        }
        Ok(())
    }

    /// The user and ACL store (when a metadata provider is configured).
    pub fn store(&self) -> Result<&AuthStore, RequestError> {
        self.store.as_ref().ok_or_else(|| {
            RequestError::new(
                response_code::SYSTEM_ERROR,
                "An system error occurred, please try again later.",
            )
        })
    }

    /// The ACL 1.0 gate, when `aclEnable` is on.
    pub(crate) fn plain(&self) -> Option<&PlainGate> {
        self.plain.as_ref()
    }

    /// Signs the broker's own requests, when inner credentials are configured.
    pub fn outgoing_hook(&self) -> Option<RpcHook> {
        self.outgoing.clone()
    }
}

/// `migrateAuthFromV1Enabled`: the ACL 1.0 accounts under `rocketmqHome` become users and
/// policies; a failure is logged and the broker starts anyway, as Java's.
fn migrate(config: &BrokerConfig, store: &AuthStore) {
    let Some(home) = config.broker.rocketmq_home.as_deref() else {
        tracing::warn!("migrateAuthFromV1Enabled without rocketmqHome: nothing to migrate");
        return;
    };
    let result = ferromq_auth::PlainAcl::load(Path::new(home))
        .map_err(|e| e.to_string())
        .and_then(|v1| ferromq_auth::migrate_v1(&v1, store).map_err(|e| e.to_string()));
    match result {
        Ok(n) => tracing::info!(accounts = n, "ACL 1.0 accounts migrated to ACL 2.0"),
        Err(e) => tracing::error!(error = %e, "ACL 1.0 migration failed"),
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(
    value: &Option<String>,
    key: &str,
) -> Result<Option<T>, BrokerError> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => serde_json::from_str(v)
            .map(Some)
            .map_err(|e| BrokerError::Config(format!("{key}: {e}"))),
    }
}
