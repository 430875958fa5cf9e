//! A channel: one connection speaking the remoting protocol, in either direction.
//!
//! Both ends are symmetrical. Each side can answer the other's requests (through its
//! [`RequestHandler`]) and send requests of its own (matched to responses by `opaque`): the
//! broker uses this to push NOTIFY_CONSUMER_IDS_CHANGED or CHECK_TRANSACTION_STATE to clients.
//!
//! A channel runs over any byte stream ([`Channel::spawn_io`]; TCP through [`Channel::spawn`]),
//! so its behaviour is tested in memory. A reader task ([`read`]) decodes frames and runs each
//! request's handler; a writer task ([`write`]) drains a queue bounded in bytes, coalescing
//! small frames into one buffer and writing large body chunks (for example records mapped
//! from the CommitLog) straight to the stream without copying them.
//!
//! Every per-connection resource is bounded by [`ChannelConfig`]: the frame size, the bytes
//! queued for writing, the requests being handled, and the time a peer may go without reading
//! what we write (or without sending anything).

mod read;
mod write;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferromq_protocol::{RemotingCommand, RESPONSE_FLAG};
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::error::RemotingError;
use crate::handler::RequestHandler;
use write::WriteQueue;

/// Settings of one channel. Each bound applies per connection.
#[derive(Debug, Clone)]
pub struct ChannelConfig {
    /// Largest frame accepted from the peer; a larger length prefix closes the connection
    /// before anything is allocated for it (Java: 16 MiB).
    pub max_frame: usize,
    /// Close the channel after this long without receiving a whole frame (Java's server:
    /// `serverChannelMaxIdleTimeSeconds`, 120 s).
    pub idle_timeout: Option<Duration>,
    /// Bytes of frames queued for writing before senders wait (default 4 MiB; a larger
    /// frame waits for an empty queue). The reader queues each answer, so a peer that does
    /// not read its responses stops having its requests read, as Java stops reading a
    /// channel above its write-buffer high-water mark.
    pub write_queue_bytes: usize,
    /// Close the channel when the peer accepts no bytes for this long while we have some to
    /// write (default 30 s: the longest a Java client waits for any response, a suspended
    /// pull, so nothing still queued by then is awaited). Java has no write timeout; its
    /// all-idle handler closes such a channel after 120 s.
    pub write_timeout: Duration,
    /// After a close, how long what is still queued may take to flush before the
    /// connection is dropped (default 3 s).
    pub close_flush_timeout: Duration,
    /// Requests whose handler did not answer at once (a sync flush, a call to another node)
    /// that may run on their own tasks; at the limit the reader holds the next such request
    /// and reads nothing until one finishes (default 256). Parked pulls return at once (they
    /// are answered later through the channel) and do not count.
    pub max_in_flight: usize,
    /// Bytes (frame sizes) of the requests counted by `max_in_flight`, together (default
    /// 64 MiB; a larger request waits until no other runs). With `max_in_flight` this bounds
    /// what a pipelining client pins: not 256 frames of 16 MiB.
    pub max_in_flight_bytes: usize,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            max_frame: ferromq_protocol::DEFAULT_MAX_FRAME_LENGTH,
            idle_timeout: Some(Duration::from_secs(120)),
            write_queue_bytes: 4 * 1024 * 1024,
            write_timeout: Duration::from_secs(30),
            close_flush_timeout: Duration::from_secs(3),
            max_in_flight: 256,
            max_in_flight_bytes: 64 * 1024 * 1024,
        }
    }
}

static NEXT_CHANNEL_ID: AtomicU64 = AtomicU64::new(1);

/// A cheap, cloneable handle to a connection.
#[derive(Clone)]
pub struct Channel {
    inner: Arc<Inner>,
}

struct Inner {
    id: u64,
    remote: SocketAddr,
    local: SocketAddr,
    queue: WriteQueue,
    pending: Mutex<HashMap<i32, oneshot::Sender<RemotingCommand>>>,
    next_opaque: AtomicI32,
    closed: CancellationToken,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel")
            .field("id", &self.inner.id)
            .field("remote", &self.inner.remote)
            .finish()
    }
}

impl PartialEq for Channel {
    fn eq(&self, other: &Self) -> bool {
        self.inner.id == other.inner.id
    }
}

impl Eq for Channel {}

impl std::hash::Hash for Channel {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.inner.id.hash(state);
    }
}

impl Channel {
    /// Starts the reader and writer tasks for a TCP connection. Returns the channel and a
    /// handle that resolves when both tasks have finished.
    pub fn spawn(
        stream: TcpStream,
        handler: Arc<dyn RequestHandler>,
        config: ChannelConfig,
    ) -> std::io::Result<(Channel, tokio::task::JoinHandle<()>)> {
        let remote = stream.peer_addr()?;
        let local = stream.local_addr()?;
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let (channel, run) = Channel::start(read, write, remote, local, handler, config);
        Ok((channel, tokio::spawn(run)))
    }

    /// Starts a channel over any byte stream (an in-memory `tokio::io::duplex` in tests, TLS
    /// later); `remote` and `local` are what [`Channel::remote_addr`] and
    /// [`Channel::local_addr`] report.
    pub fn spawn_io<S>(
        stream: S,
        remote: SocketAddr,
        local: SocketAddr,
        handler: Arc<dyn RequestHandler>,
        config: ChannelConfig,
    ) -> (Channel, tokio::task::JoinHandle<()>)
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (read, write) = tokio::io::split(stream);
        let (channel, run) = Channel::start(read, write, remote, local, handler, config);
        (channel, tokio::spawn(run))
    }

    /// Sets a channel up over a read half and a write half and returns it with the future
    /// that runs it: the reader runs in that future, the writer on a task of its own. The
    /// future ends when both have finished, which a close bounds by `close_flush_timeout`.
    pub fn start<R, W>(
        read: R,
        write: W,
        remote: SocketAddr,
        local: SocketAddr,
        handler: Arc<dyn RequestHandler>,
        config: ChannelConfig,
    ) -> (Channel, impl Future<Output = ()> + Send + 'static)
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let closed = CancellationToken::new();
        let (queue, queued) = WriteQueue::new(config.write_queue_bytes, closed.clone());
        let channel = Channel {
            inner: Arc::new(Inner {
                id: NEXT_CHANNEL_ID.fetch_add(1, Ordering::Relaxed),
                remote,
                local,
                queue,
                pending: Mutex::new(HashMap::new()),
                next_opaque: AtomicI32::new(0),
                closed: closed.clone(),
            }),
        };
        handler.on_channel_open(&channel);
        let ch = channel.clone();
        let run = async move {
            let timeouts = write::WriteTimeouts {
                stall: config.write_timeout,
                close_flush: config.close_flush_timeout,
            };
            let writer = tokio::spawn(write::write_loop(write, queued, closed, timeouts));
            read::read_loop(read, ch.clone(), handler.clone(), config).await;
            ch.close();
            let _ = writer.await;
            ch.fail_pending();
            handler.on_channel_close(&ch);
        };
        (channel, run)
    }

    /// A process-unique id.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// The peer's address.
    pub fn remote_addr(&self) -> SocketAddr {
        self.inner.remote
    }

    /// Our end's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local
    }

    /// Whether the channel has closed.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.is_cancelled()
    }

    /// Closes the channel: the writer stops, the reader stops, pending requests fail.
    pub fn close(&self) {
        self.inner.closed.cancel();
    }

    /// Resolves once the channel is closed.
    pub async fn closed(&self) {
        self.inner.closed.cancelled().await
    }

    /// Queues a command for writing (a response, or a request whose answer is not awaited),
    /// waiting while the write queue is full.
    pub async fn send(&self, cmd: RemotingCommand) -> Result<(), RemotingError> {
        self.inner
            .queue
            .push(cmd)
            .await
            .map_err(|_| self.closed_error())
    }

    /// Sends a request and waits for its response; `timeout` covers both waiting for room in
    /// the write queue and waiting for the answer.
    pub async fn request(
        &self,
        mut cmd: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, RemotingError> {
        let opaque = self.inner.next_opaque.fetch_add(1, Ordering::Relaxed);
        cmd.opaque = opaque;
        cmd.flag &= !RESPONSE_FLAG;
        let (tx, rx) = oneshot::channel();
        self.inner.pending.lock().insert(opaque, tx);
        let call = async {
            self.send(cmd).await?;
            rx.await.map_err(|_| self.closed_error())
        };
        let outcome = tokio::time::timeout(timeout, call).await;
        if !matches!(outcome, Ok(Ok(_))) {
            self.inner.pending.lock().remove(&opaque);
        }
        match outcome {
            Ok(result) => result,
            Err(_) => Err(RemotingError::Timeout {
                addr: self.inner.remote.to_string(),
                timeout,
                opaque,
            }),
        }
    }

    /// Sends a one-way request (no response expected).
    pub async fn oneway(&self, cmd: RemotingCommand) -> Result<(), RemotingError> {
        let mut cmd = cmd.into_oneway();
        cmd.opaque = self.inner.next_opaque.fetch_add(1, Ordering::Relaxed);
        self.send(cmd).await
    }

    fn closed_error(&self) -> RemotingError {
        RemotingError::ChannelClosed {
            addr: self.inner.remote.to_string(),
        }
    }

    fn complete(&self, response: RemotingCommand) {
        let waiter = self.inner.pending.lock().remove(&response.opaque);
        match waiter {
            Some(tx) => {
                let _ = tx.send(response);
            }
            None => tracing::debug!(
                opaque = response.opaque,
                remote = %self.inner.remote,
                "response for an unknown or expired request dropped"
            ),
        }
    }

    fn fail_pending(&self) {
        // Dropping the senders wakes every waiter with "closed".
        self.inner.pending.lock().clear();
    }
}
