//! Shared NameServer state: the route table, the KV store, options and the clock.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferromq_config::ConfigTable;
use ferromq_config::NamesrvConfig;
use parking_lot::{Mutex, RwLock};

use crate::kv_config::{persist, KvConfig, KvLimits};
use crate::route_table::{RouteLimits, RouteTable};

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
    /// Bounds on the KV store.
    pub kv_limits: KvLimits,
    /// Bounds on the route table.
    pub route_limits: RouteLimits,
}

impl Default for NameServerOptions {
    fn default() -> Self {
        NameServerOptions {
            kv_config_path: None,
            order_message_enable: false,
            scan_interval: Duration::from_secs(10),
            broker_expired: Duration::from_secs(120),
            kv_limits: KvLimits::default(),
            route_limits: RouteLimits::default(),
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
    /// The KV generation last written to disk; held while writing, so writes are serial.
    kv_persisted: Arc<tokio::sync::Mutex<u64>>,
    /// How many times the KV file was written (coalescing makes this less than the changes).
    kv_writes: std::sync::atomic::AtomicU64,
}

impl NameServerState {
    /// Builds the state, loading KV config from disk.
    pub fn new(options: NameServerOptions, config: Arc<dyn ConfigAccess>) -> Self {
        NameServerState {
            routes: RwLock::new(
                RouteTable::with_default_timeout(
                    i64::try_from(options.broker_expired.as_millis()).unwrap_or(i64::MAX),
                )
                .with_limits(options.route_limits),
            ),
            kv: Mutex::new(KvConfig::load(
                options.kv_config_path.clone(),
                options.kv_limits,
            )),
            options,
            config,
            epoch: tokio::time::Instant::now(),
            kv_persisted: Arc::new(tokio::sync::Mutex::new(0)),
            kv_writes: std::sync::atomic::AtomicU64::new(0),
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

    /// Makes KV generation `generation` durable before returning, as Java's put does.
    ///
    /// Writes are serial and coalesced: whoever holds the write lock serializes the table as
    /// it is then (under the KV lock, without copying it) and writes outside every lock, so a
    /// change that a write already captured returns at once. A burst of puts costs a few
    /// writes, not one full copy and one write each. The write owns the lock, so a request
    /// dropped mid-write cannot let a second write start on the same temporary file.
    pub(crate) async fn persist_kv(&self, generation: u64) {
        let Some(path) = self.options.kv_config_path.clone() else {
            return;
        };
        let mut persisted = self.kv_persisted.clone().lock_owned().await;
        if *persisted >= generation {
            return;
        }
        let (snapshot, json) = self.kv.lock().to_json();
        self.kv_writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let result = tokio::task::spawn_blocking(move || {
            persist(&path, &json)?;
            *persisted = snapshot;
            Ok::<_, crate::kv_config::KvConfigError>(())
        })
        .await;
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "persisting KV config failed"),
            Err(e) => tracing::error!(error = %e, "persisting KV config panicked"),
        }
    }

    /// How many times the KV file has been written.
    pub fn kv_writes(&self) -> u64 {
        self.kv_writes.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Concurrent puts share writes: none copies the table, and the file ends up with all.
    #[tokio::test]
    async fn kv_writes_are_coalesced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kvConfig.json");
        let state = Arc::new(NameServerState::new(
            NameServerOptions {
                kv_config_path: Some(path.clone()),
                ..Default::default()
            },
            Arc::new(LiveConfig::default()),
        ));
        let puts: Vec<_> = (0..64)
            .map(|i| {
                let state = state.clone();
                tokio::spawn(async move {
                    let generation = state.kv.lock().put("NS", &format!("k{i}"), "v").unwrap();
                    state.persist_kv(generation).await;
                })
            })
            .collect();
        for p in puts {
            p.await.unwrap();
        }
        let writes = state.kv_writes();
        assert!((1..=8).contains(&writes), "{writes} writes for 64 puts");
        let reloaded = KvConfig::load(Some(path), KvLimits::default());
        assert_eq!(reloaded.namespace("NS").map(|t| t.len()), Some(64));
        // Nothing changed: nothing to write.
        let current = state.kv.lock().to_json().0;
        state.persist_kv(current).await;
        assert_eq!(state.kv_writes(), writes);
    }
}
