//! The accept loop: `run(listener, handler, config, shutdown)`.
//!
//! The caller binds (tests bind port 0) and passes any future as the stop signal. A
//! semaphore caps concurrent connections; on shutdown the loop stops accepting, closes every
//! channel and waits (bounded) for their tasks to finish.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::channel::{Channel, ChannelConfig};
use crate::handler::RequestHandler;

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Per-channel settings (max frame, idle timeout: Java's 120 s by default).
    pub channel: ChannelConfig,
    /// Connections beyond this wait until one closes.
    pub max_connections: usize,
    /// How long shutdown waits for connections to drain.
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            channel: ChannelConfig::default(),
            max_connections: 65_536,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Serves connections from `listener` until `shutdown` resolves.
pub async fn run(
    listener: TcpListener,
    handler: Arc<dyn RequestHandler>,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) {
    let limit = Arc::new(Semaphore::new(config.max_connections));
    let live: Arc<Mutex<HashMap<u64, Channel>>> = Arc::new(Mutex::new(HashMap::new()));
    let tasks = tokio_util::task::TaskTracker::new();
    let local = listener.local_addr().ok();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            p = limit.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
        };
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            a = listener.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        match Channel::spawn(stream, handler.clone(), config.channel.clone()) {
            Ok((channel, task)) => {
                tracing::debug!(peer = %peer, channel = channel.id(), "accepted");
                live.lock().insert(channel.id(), channel.clone());
                let live = live.clone();
                tasks.spawn(async move {
                    let _ = task.await;
                    live.lock().remove(&channel.id());
                    drop(permit);
                });
            }
            Err(e) => tracing::debug!(peer = %peer, error = %e, "connection dropped before setup"),
        }
    }
    tracing::info!(addr = ?local, "remoting server stopping");
    drop(listener);
    let channels: Vec<Channel> = live.lock().values().cloned().collect();
    for c in channels {
        c.close();
    }
    tasks.close();
    if tokio::time::timeout(config.shutdown_grace, tasks.wait())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not finish within the shutdown grace period");
    }
}
