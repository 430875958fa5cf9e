//! A channel: one TCP connection speaking the remoting protocol, in either direction.
//!
//! Both ends are symmetrical. Each side can answer the other's requests (through its
//! [`RequestHandler`]) and send requests of its own (matched to responses by `opaque`): the
//! broker uses this to push NOTIFY_CONSUMER_IDS_CHANGED or CHECK_TRANSACTION_STATE to clients.
//!
//! A reader task decodes frames and runs each request's handler, answering at once when it
//! completes without waiting and spawning a task only when it must wait; a writer task drains a queue,
//! coalescing small frames into one buffer and writing large body chunks (for example
//! records mapped from the CommitLog) straight to the socket without copying them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use ferromq_protocol::{frame, RemotingCommand, RESPONSE_FLAG};
use futures::StreamExt;
use parking_lot::Mutex;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

use crate::codec::RemotingCodec;
use crate::error::RemotingError;
use crate::handler::RequestHandler;

/// Bodies up to this size are copied into the write buffer; larger chunks go to the socket
/// directly from their own buffer.
const COPY_THRESHOLD: usize = 16 * 1024;
/// Flush the write buffer once it holds this much.
const WRITE_BUFFER_HIGH: usize = 256 * 1024;
/// Frames queued for writing per channel before senders wait.
const WRITE_QUEUE: usize = 8192;

/// Settings of one channel.
#[derive(Debug, Clone)]
pub struct ChannelConfig {
    /// Largest frame accepted from the peer.
    pub max_frame: usize,
    /// Close the channel after this long without receiving anything.
    pub idle_timeout: Option<Duration>,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            max_frame: ferromq_protocol::DEFAULT_MAX_FRAME_LENGTH,
            idle_timeout: Some(Duration::from_secs(120)),
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
    queue: mpsc::Sender<RemotingCommand>,
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
    /// Starts the reader and writer tasks for `stream`. Returns the channel and a future that
    /// resolves when both tasks have finished.
    pub fn spawn(
        stream: TcpStream,
        handler: Arc<dyn RequestHandler>,
        config: ChannelConfig,
    ) -> std::io::Result<(Channel, tokio::task::JoinHandle<()>)> {
        let remote = stream.peer_addr()?;
        let local = stream.local_addr()?;
        let _ = stream.set_nodelay(true);
        let (read_half, write_half) = stream.into_split();
        let (tx, rx) = mpsc::channel(WRITE_QUEUE);
        let channel = Channel {
            inner: Arc::new(Inner {
                id: NEXT_CHANNEL_ID.fetch_add(1, Ordering::Relaxed),
                remote,
                local,
                queue: tx,
                pending: Mutex::new(HashMap::new()),
                next_opaque: AtomicI32::new(0),
                closed: CancellationToken::new(),
            }),
        };
        handler.on_channel_open(&channel);
        let writer = tokio::spawn(write_loop(write_half, rx, channel.inner.closed.clone()));
        let reader_channel = channel.clone();
        let task = tokio::spawn(async move {
            read_loop(read_half, reader_channel.clone(), handler.clone(), config).await;
            reader_channel.close();
            let _ = writer.await;
            reader_channel.fail_pending();
            handler.on_channel_close(&reader_channel);
        });
        Ok((channel, task))
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

    /// Queues a command for writing (a response, or a request whose answer is not awaited).
    pub async fn send(&self, cmd: RemotingCommand) -> Result<(), RemotingError> {
        if self.is_closed() {
            return Err(self.closed_error());
        }
        self.inner
            .queue
            .send(cmd)
            .await
            .map_err(|_| self.closed_error())
    }

    /// Sends a request and waits for its response.
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
        if let Err(e) = self.send(cmd).await {
            self.inner.pending.lock().remove(&opaque);
            return Err(e);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(_)) => Err(self.closed_error()),
            Err(_) => {
                self.inner.pending.lock().remove(&opaque);
                Err(RemotingError::Timeout {
                    addr: self.inner.remote.to_string(),
                    timeout,
                    opaque,
                })
            }
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

async fn read_loop(
    read_half: tokio::net::tcp::OwnedReadHalf,
    channel: Channel,
    handler: Arc<dyn RequestHandler>,
    config: ChannelConfig,
) {
    let mut frames =
        FramedRead::with_capacity(read_half, RemotingCodec::new(config.max_frame), 64 * 1024);
    let closed = channel.inner.closed.clone();
    loop {
        let next = async {
            match config.idle_timeout {
                Some(idle) => tokio::time::timeout(idle, frames.next()).await.ok(),
                None => Some(frames.next().await),
            }
        };
        let item = tokio::select! {
            _ = closed.cancelled() => return,
            item = next => item,
        };
        let cmd = match item {
            None => {
                tracing::debug!(remote = %channel.remote_addr(), "closing idle channel");
                return;
            }
            Some(None) => return,
            Some(Some(Err(e))) => {
                tracing::warn!(remote = %channel.remote_addr(), error = %e, "closing channel after a bad frame");
                return;
            }
            Some(Some(Ok(cmd))) => cmd,
        };
        if cmd.is_response() {
            channel.complete(cmd);
            continue;
        }
        let opaque = cmd.opaque;
        let oneway = cmd.is_oneway();
        let ser = cmd.serialize_type;
        let mut fut = handler.handle(channel.clone(), cmd);
        // Most requests (sends under async flush, offsets, heartbeats) complete without
        // waiting: answer those right here, in arrival order, without a task hand-off. Only
        // requests that really wait (a flush, a parked pull, a call to a client) get a task.
        match futures::poll!(fut.as_mut()) {
            std::task::Poll::Ready(resp) => {
                if let Some(resp) = resp.filter(|_| !oneway) {
                    let _ = channel.send(finish_response(resp, opaque, ser)).await;
                }
            }
            std::task::Poll::Pending => {
                let ch = channel.clone();
                tokio::spawn(async move {
                    if let Some(resp) = fut.await.filter(|_| !oneway) {
                        let _ = ch.send(finish_response(resp, opaque, ser)).await;
                    }
                });
            }
        }
    }
}

/// Stamps a handler's response with its request's opaque, the response flag and encoding.
fn finish_response(
    mut resp: RemotingCommand,
    opaque: i32,
    ser: ferromq_protocol::SerializeType,
) -> RemotingCommand {
    resp.opaque = opaque;
    resp.flag |= RESPONSE_FLAG;
    resp.serialize_type = ser;
    resp
}

async fn write_loop(
    mut out: OwnedWriteHalf,
    mut queue: mpsc::Receiver<RemotingCommand>,
    closed: CancellationToken,
) {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    loop {
        let first = tokio::select! {
            _ = closed.cancelled() => break,
            cmd = queue.recv() => cmd,
        };
        let Some(first) = first else { break };
        let mut next = Some(first);
        while let Some(cmd) = next {
            if let Err(e) = write_command(&mut out, &mut buf, &cmd).await {
                tracing::debug!(error = %e, "write failed; closing channel");
                closed.cancel();
                return;
            }
            next = queue.try_recv().ok();
        }
        if !buf.is_empty() {
            if let Err(e) = out.write_all(&buf).await {
                tracing::debug!(error = %e, "write failed; closing channel");
                closed.cancel();
                return;
            }
            buf.clear();
        }
    }
    // Give queued responses a last chance before the socket closes.
    while let Ok(cmd) = queue.try_recv() {
        if write_command(&mut out, &mut buf, &cmd).await.is_err() {
            break;
        }
    }
    let _ = out.write_all(&buf).await;
    let _ = out.shutdown().await;
}

async fn write_command(
    out: &mut OwnedWriteHalf,
    buf: &mut BytesMut,
    cmd: &RemotingCommand,
) -> std::io::Result<()> {
    frame::encode_head(cmd, buf);
    for chunk in cmd.body.chunks() {
        if chunk.len() <= COPY_THRESHOLD {
            buf.extend_from_slice(chunk);
        } else {
            out.write_all(buf).await?;
            buf.clear();
            out.write_all(chunk).await?;
        }
    }
    if buf.len() >= WRITE_BUFFER_HIGH {
        out.write_all(buf).await?;
        buf.clear();
    }
    Ok(())
}
