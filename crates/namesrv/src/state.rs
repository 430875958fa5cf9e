//! Shared NameServer state: the route table, the KV store, options and the clock.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferromq_config::namesrv::NamesrvConfig;
use ferromq_config::ConfigTable;
use parking_lot::{Mutex, RwLock};

use crate::kv_config::{persist, KvConfig, KvTables};
use crate::route_table::RouteTable;

/// What the NameServer needs from its configuration.
#[derive(Debug, Clone)]
pub struct NameServerOptions {
    /// Where KV config is persisted (`None`: memory only).
    pub kv_config_path: Option<PathBuf>,
    /// Add `orderTopicConf` from the KV store to routes.
    pub order_message_enable: bool,
    /// How often dead brokers are looked for (10 s).
    pub scan_interval: Duration,
    /// Silence after which a broker is dead, unless it registered its own timeout (120 s).
    pub broker_expired: Duration,
}

impl Default for NameServerOptions {
    fn default() -> Self {
        NameServerOptions {
            kv_config_path: None,
            order_message_enable: false,
            scan_interval: Duration::from_secs(10),
            broker_expired: Duration::from_secs(120),
        }
    }
}

/// Read and update access to the NameServer's own configuration (GET/UPDATE_NAMESRV_CONFIG),
/// provided by whoever owns the config (the `ferromq` binary).
pub trait ConfigAccess: Send + Sync + 'static {
    /// The configuration as Java properties text.
    fn properties(&self) -> String;
    /// Applies properties text.
    fn update(&self, text: &str) -> Result<(), String>;
}

/// The live [`NamesrvConfig`]: GET_NAMESRV_CONFIG prints it, UPDATE_NAMESRV_CONFIG changes it
/// (keys in `configBlackList` are refused).
#[derive(Default)]
pub struct LiveConfig(pub Mutex<NamesrvConfig>);

impl LiveConfig {
    /// Wraps a config.
    pub fn new(config: NamesrvConfig) -> Self {
        LiveConfig(Mutex::new(config))
    }
}

impl ConfigAccess for LiveConfig {
    fn properties(&self) -> String {
        self.0.lock().to_properties()
    }
    fn update(&self, text: &str) -> Result<(), String> {
        let changed = self
            .0
            .lock()
            .update_from_properties(text)
            .map_err(|e| e.to_string())?;
        tracing::info!(?changed, "namesrv config updated");
        Ok(())
    }
}

/// Everything the request handler and the liveness scan share.
pub struct NameServerState {
    pub(crate) routes: RwLock<RouteTable>,
    pub(crate) kv: Mutex<KvConfig>,
    pub(crate) options: NameServerOptions,
    pub(crate) config: Arc<dyn ConfigAccess>,
    epoch: tokio::time::Instant,
    persist_lock: tokio::sync::Mutex<()>,
}

impl NameServerState {
    /// Builds the state, loading KV config from disk.
    pub fn new(options: NameServerOptions, config: Arc<dyn ConfigAccess>) -> Self {
        NameServerState {
            routes: RwLock::new(RouteTable::with_default_timeout(
                options.broker_expired.as_millis() as i64,
            )),
            kv: Mutex::new(KvConfig::load(options.kv_config_path.clone())),
            options,
            config,
            epoch: tokio::time::Instant::now(),
            persist_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// Monotonic milliseconds (tokio's clock, so tests can pause and advance it).
    pub fn now_ms(&self) -> i64 {
        self.epoch.elapsed().as_millis() as i64
    }

    /// Read access to the route table.
    pub fn routes(&self) -> parking_lot::RwLockReadGuard<'_, RouteTable> {
        self.routes.read()
    }

    /// Removes dead brokers; returns how many were removed.
    pub fn scan_not_active_brokers(&self) -> usize {
        let now = self.now_ms();
        let removed = self.routes.write().scan_expired(now);
        for b in &removed {
            tracing::warn!(cluster = %b.cluster, broker = %b.broker_name, addr = %b.broker_addr, id = b.broker_id,
                "broker expired: no heartbeat within its timeout");
        }
        removed.len()
    }

    /// Writes KV tables to disk off the async threads, one write at a time, never holding
    /// the data lock meanwhile.
    pub(crate) async fn persist_kv(&self, tables: KvTables) {
        let Some(path) = self.options.kv_config_path.clone() else {
            return;
        };
        let _serial = self.persist_lock.lock().await;
        let result = tokio::task::spawn_blocking(move || persist(&path, &tables)).await;
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "persisting KV config failed"),
            Err(e) => tracing::error!(error = %e, "persisting KV config panicked"),
        }
    }
}
