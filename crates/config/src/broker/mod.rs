//! The broker's config: broker.conf keys of Java's `BrokerConfig`, `MessageStoreConfig`,
//! `NettyServerConfig` and `AuthConfig`, which share one key namespace.

mod auth;
mod settings;
mod store;

use std::path::Path;

pub use auth::AuthConfig;
pub use settings::BrokerSettings;
pub use store::MessageStoreConfig;

use crate::host;
use crate::netty::NettyServerConfig;
use crate::table::{config_sections, load_text, read_properties_file, ConfigTable, Loaded};
use crate::tls::TlsConfig;
use crate::value::BrokerRole;
use crate::ConfigError;

/// Everything a broker.conf can say, one section per Java config class.
///
/// Keys are set and read by their Java names through [`ConfigTable`]
/// (`set("flushDiskType", "SYNC_FLUSH")`), or through the typed fields
/// (`config.store.flush_disk_type`).
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerConfig {
    /// Java `BrokerConfig`: identity, registration, topics, pools, pull, POP, transactions.
    pub broker: BrokerSettings,
    /// Java `MessageStoreConfig`: paths, files, flush, retention, replication, timers.
    pub store: MessageStoreConfig,
    /// Java `NettyServerConfig`: the remoting listener (`listenPort` 10911).
    pub netty: NettyServerConfig,
    /// Java `TlsSystemConfig`: TLS on the remoting ports.
    pub tls: TlsConfig,
    /// Java `AuthConfig`: 5.3 authentication/authorization.
    pub auth: AuthConfig,
}

config_sections!(BrokerConfig {
    broker: BrokerSettings,
    store: MessageStoreConfig,
    netty: NettyServerConfig,
    tls: TlsConfig,
    auth: AuthConfig,
});

impl Default for BrokerConfig {
    fn default() -> Self {
        // BrokerStartup's default, over NettyServerConfig's 0.
        let netty = NettyServerConfig {
            listen_port: Self::DEFAULT_LISTEN_PORT,
            ..NettyServerConfig::default()
        };
        BrokerConfig {
            broker: BrokerSettings::default(),
            store: MessageStoreConfig::default(),
            netty,
            tls: TlsConfig::default(),
            auth: AuthConfig::default(),
        }
    }
}

impl BrokerConfig {
    /// The broker's remoting port unless `listenPort` says otherwise.
    pub const DEFAULT_LISTEN_PORT: u16 = 10911;

    /// Reads broker.conf text over the defaults.
    pub fn from_properties_str(text: &str) -> Result<Loaded<Self>, ConfigError> {
        load_text(Self::default(), text)
    }

    /// Reads a broker.conf file over the defaults; records the path as `brokerConfigPath`
    /// unless the file sets it.
    pub fn load(path: &Path) -> Result<Loaded<Self>, ConfigError> {
        let text = read_properties_file(path)?;
        let mut loaded = Self::from_properties_str(&text)?;
        let own_path = &mut loaded.config.broker.broker_config_path;
        if own_path.is_none() {
            *own_path = Some(path.to_string_lossy().into_owned());
        }
        Ok(loaded)
    }

    /// Applies an UPDATE_BROKER_CONFIG body (properties text) all-or-nothing; returns the
    /// keys that changed. Keys in `configBlackList` are refused with
    /// [`ConfigError::ReadOnlyKey`]; unknown keys are ignored.
    pub fn update_from_properties(&mut self, text: &str) -> Result<Vec<String>, ConfigError> {
        let black_list = self.broker.config_black_list.clone();
        let read_only: Vec<&str> = split_list(&black_list, ';').collect();
        self.update_except(text, &read_only)
    }

    /// Fills unset keys from the environment as Java does: `NAMESRV_ADDR` for `namesrvAddr`,
    /// `ROCKETMQ_HOME` for `rocketmqHome`.
    pub fn apply_env(&mut self) {
        self.apply_env_from(|name| std::env::var(name).ok());
    }

    /// [`apply_env`](Self::apply_env) over any variable lookup.
    pub fn apply_env_from(&mut self, lookup: impl Fn(&str) -> Option<String>) {
        let b = &mut self.broker;
        fill_from(&mut b.namesrv_addr, lookup("NAMESRV_ADDR"));
        fill_from(&mut b.rocketmq_home, lookup("ROCKETMQ_HOME"));
    }

    /// The checks and adjustments Java's `BrokerStartup` makes before starting:
    /// `namesrvAddr` must be `host:port;…`; outside controller mode a master's `brokerId` is
    /// forced to 0 and a slave's must be > 0; DLedger forces `brokerId` -1 and excludes
    /// controller mode; `haListenPort` 0 becomes `listenPort + 1`.
    pub fn apply_startup_rules(&mut self) -> Result<(), ConfigError> {
        if let Some(addrs) = &self.broker.namesrv_addr {
            if let Some(bad) = split_list(addrs, ';').find(|a| !is_host_port(a)) {
                return Err(ConfigError::InvalidValue {
                    key: "namesrvAddr".to_owned(),
                    value: addrs.clone(),
                    line: None,
                    reason: format!(
                        "{bad:?} is not host:port (expected \"127.0.0.1:9876;192.168.0.1:9876\")"
                    ),
                });
            }
        }
        let dledger = self.store.enable_dledger_commit_log;
        if self.broker.enable_controller_mode && dledger {
            return Err(ConfigError::Inconsistent(
                "enableControllerMode and enableDLegerCommitLog cannot both be true".to_owned(),
            ));
        }
        if !self.broker.enable_controller_mode {
            match self.store.broker_role {
                BrokerRole::AsyncMaster | BrokerRole::SyncMaster => self.broker.broker_id = 0,
                BrokerRole::Slave if self.broker.broker_id <= 0 => {
                    return Err(ConfigError::Inconsistent(format!(
                        "a SLAVE needs brokerId > 0, got {}",
                        self.broker.broker_id
                    )));
                }
                BrokerRole::Slave => {}
            }
        }
        if dledger {
            self.broker.broker_id = -1;
        }
        self.store.ha_listen_port = self.ha_listen_port();
        Ok(())
    }

    /// Delay of each `messageDelayLevel` level in ms (index 0 is level 1).
    pub fn delay_levels(&self) -> &[u64] {
        self.store.message_delay_level.levels_ms()
    }

    /// Hours of day (0–23) of `deleteWhen`.
    pub fn delete_when_hours(&self) -> &[u8] {
        self.store.delete_when.hours()
    }

    /// Address advertised to clients: `brokerIP1`, or the machine's address when blank.
    pub fn broker_ip1(&self) -> String {
        non_blank_or_local(&self.broker.broker_ip1)
    }

    /// Address advertised to slaves for HA: `brokerIP2`, or the machine's address when blank.
    pub fn broker_ip2(&self) -> String {
        non_blank_or_local(&self.broker.broker_ip2)
    }

    /// `listenPort`.
    pub fn listen_port(&self) -> u16 {
        self.netty.listen_port
    }

    /// The "VIP" channel port clients use with `vipChannelEnabled`: `listenPort - 2`
    /// (`None` when `listenPort` < 2, e.g. 0 for "any port" in tests).
    pub fn fast_listen_port(&self) -> Option<u16> {
        let listen = self.netty.listen_port;
        (listen > 2).then(|| listen - 2)
    }

    /// HA port: `haListenPort`, or `listenPort + 1` when 0 (0 stays 0 for "any port").
    pub fn ha_listen_port(&self) -> u16 {
        match (self.store.ha_listen_port, self.netty.listen_port) {
            (0, 0) => 0,
            (0, listen) => listen.saturating_add(1),
            (ha, _) => ha,
        }
    }

    /// `brokerIP1:listenPort`, the address registered with name servers.
    pub fn broker_addr(&self) -> String {
        format!("{}:{}", self.broker_ip1(), self.listen_port())
    }

    /// `brokerIP2:haPort`, the HA address registered for slaves.
    pub fn ha_server_addr(&self) -> String {
        format!("{}:{}", self.broker_ip2(), self.ha_listen_port())
    }

    /// Name server addresses from `namesrvAddr` (`;`-separated, blanks ignored).
    pub fn namesrv_addrs(&self) -> Vec<String> {
        self.broker
            .namesrv_addr
            .as_deref()
            .map(|a| split_list(a, ';').map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// Whether `brokerRole` is a master role.
    pub fn is_master(&self) -> bool {
        self.store.broker_role.is_master()
    }

    /// CommitLog directory as Java's getter gives it: `storePathCommitLog`, else
    /// `{storePathRootDir}/commitlog`.
    pub fn store_path_commit_log(&self) -> String {
        self.store
            .store_path_commit_log
            .clone()
            .unwrap_or_else(|| self.under_root("commitlog"))
    }

    /// CommitLog directories: [`store_path_commit_log`](Self::store_path_commit_log) split
    /// on `,` (multi-disk layout).
    pub fn commit_log_dirs(&self) -> Vec<String> {
        split_list(&self.store_path_commit_log(), ',')
            .map(str::to_owned)
            .collect()
    }

    /// Controller-mode epoch file: `storePathEpochFile`, else `{root}/epochFileCheckpoint`.
    pub fn store_path_epoch_file(&self) -> String {
        self.store
            .store_path_epoch_file
            .clone()
            .unwrap_or_else(|| self.under_root("epochFileCheckpoint"))
    }

    /// Controller-mode identity file: `storePathBrokerIdentity`, else `{root}/brokerIdentity`.
    pub fn store_path_broker_identity(&self) -> String {
        self.store
            .store_path_broker_identity
            .clone()
            .unwrap_or_else(|| self.under_root("brokerIdentity"))
    }

    /// ConsumeQueue file size as Java's getter gives it: rounded up to whole 20-byte entries.
    pub fn mapped_file_size_consume_queue(&self) -> i32 {
        let size = i64::from(self.store.mapped_file_size_consume_queue);
        let rounded = (size.max(0) + 19) / 20 * 20;
        i32::try_from(rounded).unwrap_or(i32::MAX / 20 * 20)
    }

    /// `diskMaxUsedSpaceRatio` clamped to 10..=95, as Java's getter does.
    pub fn disk_max_used_space_ratio(&self) -> i32 {
        self.store.disk_max_used_space_ratio.clamp(10, 95)
    }

    fn under_root(&self, name: &str) -> String {
        let root = self.store.store_path_root_dir.trim_end_matches('/');
        format!("{root}/{name}")
    }
}

fn fill_from(slot: &mut Option<String>, value: Option<String>) {
    if slot.is_none() {
        *slot = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    }
}

fn non_blank_or_local(ip: &str) -> String {
    let ip = ip.trim();
    if ip.is_empty() {
        host::local_ipv4().to_string()
    } else {
        ip.to_owned()
    }
}

/// Items of a separated list, trimmed, empty ones skipped.
pub(crate) fn split_list(list: &str, sep: char) -> impl Iterator<Item = &str> {
    list.split(sep).map(str::trim).filter(|s| !s.is_empty())
}

/// `host:port` with a non-empty host and a port 0..=65535 (what Java's
/// `NetworkUtil.string2SocketAddress` accepts).
fn is_host_port(addr: &str) -> bool {
    addr.rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
}

#[cfg(test)]
pub(crate) mod tests;
