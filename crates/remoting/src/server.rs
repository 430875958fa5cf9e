//! The accept loop: `run(listener, handler, config, shutdown)`.
//!
//! The caller binds (tests bind port 0) and passes any future as the stop signal. A
//! semaphore caps concurrent connections: a connection holds its permit until its channel has
//! finished, which every close bounds (a peer that stops reading is dropped after the
//! channel's write timeout). On shutdown the loop stops accepting, closes every channel and
//! waits (bounded) for them to finish. [`serve`] runs the same loop over any [`Listener`],
//! which is how the server is tested in memory.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
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

/// A connection accepted by a [`Listener`], split into its two halves.
#[derive(Debug)]
pub struct Accepted<R, W> {
    pub read: R,
    pub write: W,
    /// The peer's address.
    pub remote: SocketAddr,
    /// Our end's address.
    pub local: SocketAddr,
}

/// A source of connections for [`serve`]: a [`TcpListener`], or an in-memory one in tests.
pub trait Listener: Send {
    type Read: AsyncRead + Unpin + Send + 'static;
    type Write: AsyncWrite + Unpin + Send + 'static;

    /// Waits for the next connection.
    fn accept(
        &mut self,
    ) -> impl Future<Output = io::Result<Accepted<Self::Read, Self::Write>>> + Send;

    /// The address being listened on, for logs.
    fn local_addr(&self) -> Option<SocketAddr> {
        None
    }
}

impl Listener for TcpListener {
    type Read = OwnedReadHalf;
    type Write = OwnedWriteHalf;

    async fn accept(&mut self) -> io::Result<Accepted<OwnedReadHalf, OwnedWriteHalf>> {
        let (stream, remote) = TcpListener::accept(self).await?;
        let local = stream.local_addr()?;
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        Ok(Accepted {
            read,
            write,
            remote,
            local,
        })
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        TcpListener::local_addr(self).ok()
    }
}

/// Serves connections from `listener` until `shutdown` resolves.
pub async fn run(
    listener: TcpListener,
    handler: Arc<dyn RequestHandler>,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) {
    serve(listener, handler, config, shutdown).await
}

/// Serves connections from any [`Listener`] until `shutdown` resolves.
pub async fn serve<L: Listener>(
    mut listener: L,
    handler: Arc<dyn RequestHandler>,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) {
    let limit = Arc::new(Semaphore::new(config.max_connections));
    let live: Arc<Mutex<HashMap<u64, Channel>>> = Arc::new(Mutex::new(HashMap::new()));
    let tasks = tokio_util::task::TaskTracker::new();
    let local = listener.local_addr();
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
        let conn = match accepted {
            Ok(x) => x,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let peer = conn.remote;
        let (channel, run) = Channel::start(
            conn.read,
            conn.write,
            conn.remote,
            conn.local,
            handler.clone(),
            config.channel.clone(),
        );
        tracing::debug!(peer = %peer, channel = channel.id(), "accepted");
        live.lock().insert(channel.id(), channel.clone());
        let live = live.clone();
        tasks.spawn(async move {
            run.await;
            live.lock().remove(&channel.id());
            drop(permit);
        });
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
