//! FerroMQ NameServer: broker registration and liveness, topic routes, cluster info, KV config.
//!
//! - [`route_table`]: the routing state and its rules and limits, pure and clock-driven.
//! - [`checks`]: which broker, cluster and topic names and addresses may enter the tables.
//! - [`kv_config`]: namespaced KV config persisted to `kvConfig.json`.
//! - [`state`]: shared state, options and the monotonic clock.
//! - [`processor`]: the request handler (one match over the NameServer codes).
//!
//! [`NameServer::run`] serves a listener and runs the liveness scan until shutdown.

pub mod checks;
pub mod kv_config;
pub mod processor;
pub mod route_table;
pub mod state;

use std::future::Future;
use std::sync::Arc;

use ferromq_remoting::ServerConfig;
use tokio::net::TcpListener;

pub use processor::NameServerHandler;
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
        ferromq_remoting::run(listener, handler, server, shutdown).await;
        scan.abort();
    }
}
