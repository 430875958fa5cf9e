//! FerroMQ NameServer: broker registration and liveness, topic routes, cluster info, KV config.
//!
//! Everything public is exported here; the modules are private:
//! - `route_table`: [`RouteTable`], the routing state and its rules and [`RouteLimits`], pure
//!   and clock-driven.
//! - `checks`: which broker, cluster and topic names and addresses may enter the tables
//!   ([`BadName`]).
//! - `kv_config`: namespaced KV config persisted to `kvConfig.json`, within [`KvLimits`].
//! - `state`: [`NameServerState`], [`NameServerOptions`] and the monotonic clock.
//! - `processor`: [`NameServerHandler`], the request handler (one match over the NameServer
//!   codes).
//! - `testing` (feature `testing`): the admission rules, for fuzz targets and other crates'
//!   tests.
//!
//! [`NameServer::run`] serves a listener and runs the liveness scan until shutdown.

#![warn(unreachable_pub)]

mod checks;
mod kv_config;
mod processor;
mod route_table;
mod state;

use std::future::Future;
use std::sync::Arc;

use ferromq_remoting::{ServerConfig, Transport};
use tokio::net::TcpListener;

pub use checks::BadName;
pub use kv_config::KvLimits;
pub use processor::NameServerHandler;
pub use route_table::{
    BrokerAddrKey, BrokerLiveInfo, Registration, RegistrationResult, RemovedBroker, RouteLimits,
    RouteRefused, RouteTable, Skipped, DEFAULT_BROKER_TIMEOUT_MS,
};
pub use state::{ConfigAccess, LiveConfig, NameServerOptions, NameServerState};

/// A NameServer: state plus the request handler.
#[derive(Clone)]
pub struct NameServer {
    state: Arc<NameServerState>,
}

impl NameServer {
    /// A NameServer with `options`, serving its config through `config`.
    pub fn new(options: NameServerOptions, config: Arc<dyn ConfigAccess>) -> Self {
        NameServer {
            state: Arc::new(NameServerState::new(options, config)),
        }
    }

    /// The shared state (route table, KV, clock).
    pub fn state(&self) -> &Arc<NameServerState> {
        &self.state
    }

    /// Serves `listener` and scans for dead brokers every `scan_interval` until `shutdown`.
    pub async fn run(
        self,
        listener: TcpListener,
        server: ServerConfig,
        shutdown: impl Future<Output = ()>,
    ) {
        self.run_with(listener, Transport::Plain, server, shutdown)
            .await
    }

    /// [`NameServer::run`] with TLS as `transport` says.
    pub async fn run_with(
        self,
        listener: TcpListener,
        transport: Transport,
        server: ServerConfig,
        shutdown: impl Future<Output = ()>,
    ) {
        let handler = Arc::new(NameServerHandler::new(self.state.clone()));
        let state = self.state.clone();
        let interval = state.options.scan_interval;
        let scan = tokio::spawn(async move {
            // Java starts scanning 5 s after start; then at a fixed rate.
            let mut tick = tokio::time::interval_at(
                tokio::time::Instant::now() + interval.min(std::time::Duration::from_secs(5)),
                interval,
            );
            loop {
                tick.tick().await;
                state.scan_not_active_brokers();
            }
        });
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, "name server listening");
        }
        ferromq_remoting::run_transport(listener, transport, handler, server, shutdown).await;
        scan.abort();
    }
}

/// The NameServer's admission rules, for fuzz targets and other crates' tests that check what
/// entered the tables (feature `testing`).
#[cfg(feature = "testing")]
pub mod testing {
    use crate::BadName;

    /// Whether `topic` is a name the route table accepts from a registration (Java's
    /// `TopicValidator`, with overlong names refused first).
    pub fn check_topic(topic: &str) -> Result<(), BadName> {
        crate::checks::check_topic(topic)
    }

    /// Whether `topic` is one a broker of `cluster` named `broker` creates from those names
    /// (accepted without [`check_topic`], as Java does).
    pub fn is_own_topic(topic: &str, cluster: &str, broker: &str) -> bool {
        crate::checks::is_own_topic(topic, cluster, broker)
    }
}
