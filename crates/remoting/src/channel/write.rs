//! The writing half of a channel: a queue bounded in bytes, and the task that drains it.
//!
//! Senders reserve room for a frame's bytes before queueing it and wait while the queue is
//! full, so a peer that does not read its responses stops its own requests from being read
//! (the reader waits to queue each answer) instead of growing our memory. A peer that accepts
//! no bytes for the write timeout is disconnected, and once the channel closes the final
//! flush of what is still queued is bounded too, so the connection (and the server's
//! connection permit) is always released.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use ferromq_protocol::{frame, RemotingCommand};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// Bodies up to this size are copied into the write buffer; larger chunks go to the stream
/// directly from their own buffer.
const COPY_THRESHOLD: usize = 16 * 1024;
/// Write the buffer out once it holds this much.
const WRITE_BUFFER_HIGH: usize = 256 * 1024;
/// What a frame is charged at least (its length word, header word and a small header).
const MIN_FRAME_COST: usize = 64;

/// A command waiting to be written, holding its share of the queue's room until written.
/// Boxed in the queue: the channel's first block of slots is then 32 pointers, not 32
/// commands, which matters for thousands of idle connections.
pub(super) struct Queued {
    cmd: RemotingCommand,
    _room: OwnedSemaphorePermit,
}

/// The sending side of the write queue.
pub(super) struct WriteQueue {
    tx: mpsc::UnboundedSender<Box<Queued>>,
    /// Free bytes of the queue, as permits (one per byte).
    room: Arc<Semaphore>,
    capacity: usize,
    /// The channel's close signal: waiting senders give up when it fires, whoever fires it
    /// (a close, the reader at end of stream, the writer on a stall).
    closed: CancellationToken,
}

/// Why a command could not be queued: the channel is closing.
pub(super) struct QueueClosed;

impl WriteQueue {
    /// A queue holding at most `capacity` bytes of frames (at least one frame of any size).
    pub(super) fn new(
        capacity: usize,
        closed: CancellationToken,
    ) -> (WriteQueue, mpsc::UnboundedReceiver<Box<Queued>>) {
        let capacity = capacity.clamp(MIN_FRAME_COST, u32::MAX as usize);
        let (tx, rx) = mpsc::unbounded_channel();
        let queue = WriteQueue {
            tx,
            room: Arc::new(Semaphore::new(capacity)),
            capacity,
            closed,
        };
        (queue, rx)
    }

    /// Queues `cmd`, waiting for room. A frame larger than the whole queue waits until the
    /// queue is empty and then takes all of it.
    pub(super) async fn push(&self, cmd: RemotingCommand) -> Result<(), QueueClosed> {
        if self.closed.is_cancelled() {
            return Err(QueueClosed);
        }
        let cost = frame_cost(&cmd).min(self.capacity) as u32;
        let room = match self.room.clone().try_acquire_many_owned(cost) {
            Ok(room) => room,
            Err(_) => tokio::select! {
                room = self.room.clone().acquire_many_owned(cost) => {
                    room.map_err(|_| QueueClosed)?
                }
                _ = self.closed.cancelled() => return Err(QueueClosed),
            },
        };
        self.tx
            .send(Box::new(Queued { cmd, _room: room }))
            .map_err(|_| QueueClosed)
    }
}

/// Bytes `cmd` will occupy on the wire, closely enough for accounting (the header estimate
/// errs high).
pub(super) fn frame_cost(cmd: &RemotingCommand) -> usize {
    let fields: usize = cmd
        .ext_fields
        .iter()
        .map(|(k, v)| k.len() + v.len() + 8)
        .sum();
    let remark = cmd.remark.as_ref().map_or(0, String::len);
    (MIN_FRAME_COST + 192 + fields + remark + cmd.body.len()).max(MIN_FRAME_COST)
}

/// Timing of the writer.
pub(super) struct WriteTimeouts {
    /// Disconnect when the peer accepts no bytes for this long.
    pub stall: Duration,
    /// After the channel closes, stop flushing after this long.
    pub close_flush: Duration,
}

/// Drains the queue into `out` until the channel closes, then flushes what is left and shuts
/// the stream down, giving up `close_flush` after the close. Cancels `closed` when writing
/// fails or stalls.
pub(super) async fn write_loop<W: AsyncWrite + Unpin>(
    out: W,
    queue: mpsc::UnboundedReceiver<Box<Queued>>,
    closed: CancellationToken,
    timeouts: WriteTimeouts,
) {
    let mut writer = Writer {
        out,
        buf: BytesMut::new(),
        stall: timeouts.stall,
    };
    let run = drain(&mut writer, queue, &closed);
    tokio::pin!(run);
    let gave_up = async {
        closed.cancelled().await;
        tokio::time::sleep(timeouts.close_flush).await;
    };
    tokio::select! {
        _ = &mut run => {}
        _ = gave_up => tracing::debug!("final flush timed out; dropping the connection"),
    }
}

async fn drain<W: AsyncWrite + Unpin>(
    w: &mut Writer<W>,
    mut queue: mpsc::UnboundedReceiver<Box<Queued>>,
    closed: &CancellationToken,
) {
    loop {
        let first = tokio::select! {
            biased;
            q = queue.recv() => q,
            _ = closed.cancelled() => None,
        };
        let Some(first) = first else { break };
        if let Err(e) = w.write_batch(first, &mut queue).await {
            tracing::debug!(error = %e, "write failed; closing channel");
            closed.cancel();
            return;
        }
    }
    // Closing: give what is already queued a last chance (bounded by the caller).
    while let Ok(q) = queue.try_recv() {
        if w.command(&q.cmd).await.is_err() {
            return;
        }
    }
    if w.flush_buf().await.is_ok() {
        let _ = tokio::time::timeout(w.stall, w.out.shutdown()).await;
    }
}

struct Writer<W> {
    out: W,
    /// Coalesces small frames; empty (no allocation) while the channel is idle.
    buf: BytesMut,
    stall: Duration,
}

impl<W: AsyncWrite + Unpin> Writer<W> {
    /// Writes `first` and everything queued behind it, then flushes and releases the buffer.
    async fn write_batch(
        &mut self,
        first: Box<Queued>,
        queue: &mut mpsc::UnboundedReceiver<Box<Queued>>,
    ) -> io::Result<()> {
        let mut next = Some(first);
        while let Some(q) = next {
            self.command(&q.cmd).await?;
            // `q` (and its room in the queue) is released once its bytes are buffered or
            // written: the buffer itself is bounded by WRITE_BUFFER_HIGH.
            drop(q);
            next = queue.try_recv().ok();
        }
        self.flush_buf().await?;
        timed(self.stall, self.out.flush()).await?;
        // Idle connections keep no write buffer.
        self.buf = BytesMut::new();
        Ok(())
    }

    async fn command(&mut self, cmd: &RemotingCommand) -> io::Result<()> {
        frame::encode_head(cmd, &mut self.buf);
        for chunk in cmd.body.chunks() {
            if chunk.len() <= COPY_THRESHOLD {
                self.buf.extend_from_slice(chunk);
            } else {
                self.flush_buf().await?;
                write_all(&mut self.out, chunk, self.stall).await?;
            }
        }
        if self.buf.len() >= WRITE_BUFFER_HIGH {
            self.flush_buf().await?;
        }
        Ok(())
    }

    async fn flush_buf(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            write_all(&mut self.out, &self.buf, self.stall).await?;
            self.buf.clear();
        }
        Ok(())
    }
}

/// `write_all` that fails when the peer accepts nothing for `stall` (however long the whole
/// write takes while bytes keep moving).
async fn write_all<W: AsyncWrite + Unpin>(
    out: &mut W,
    mut data: &[u8],
    stall: Duration,
) -> io::Result<()> {
    while !data.is_empty() {
        let n = timed(stall, out.write(data)).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        data = &data[n..];
    }
    Ok(())
}

async fn timed<T>(
    stall: Duration,
    op: impl std::future::Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match tokio::time::timeout(stall, op).await {
        Ok(r) => r,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("peer accepted no bytes for {stall:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame_of(body: usize) -> RemotingCommand {
        RemotingCommand::success().with_body(vec![0u8; body])
    }

    #[tokio::test]
    async fn the_queue_is_bounded_in_bytes() {
        let (queue, mut rx) = WriteQueue::new(10_000, CancellationToken::new());
        // Three frames of ~3 KiB fit; the fourth waits for room.
        for _ in 0..3 {
            queue.push(frame_of(3000)).await.ok().unwrap();
        }
        let fourth = queue.push(frame_of(3000));
        tokio::pin!(fourth);
        assert!(futures::poll!(&mut fourth).is_pending());
        // Writing (dropping) one frees its room.
        drop(rx.recv().await.unwrap());
        assert!(fourth.await.is_ok());
    }

    #[tokio::test]
    async fn a_frame_larger_than_the_queue_waits_for_it_to_empty() {
        let (queue, mut rx) = WriteQueue::new(10_000, CancellationToken::new());
        queue.push(frame_of(100)).await.ok().unwrap();
        let huge = queue.push(frame_of(1 << 20));
        tokio::pin!(huge);
        assert!(futures::poll!(&mut huge).is_pending());
        drop(rx.recv().await.unwrap());
        assert!(huge.await.is_ok());
    }

    #[tokio::test]
    async fn waiting_senders_are_refused_when_the_channel_closes() {
        let closed = CancellationToken::new();
        let (queue, _rx) = WriteQueue::new(1000, closed.clone());
        queue.push(frame_of(900)).await.ok().unwrap();
        let blocked = queue.push(frame_of(900));
        tokio::pin!(blocked);
        assert!(futures::poll!(&mut blocked).is_pending());
        closed.cancel();
        assert!(blocked.await.is_err());
        assert!(queue.push(frame_of(1)).await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_write_fails_after_the_timeout_but_a_slow_one_does_not() {
        // The pipe holds 100 bytes; nobody reads: stalled.
        let (mut out, _peer) = tokio::io::duplex(100);
        let t0 = tokio::time::Instant::now();
        let err = write_all(&mut out, &[0; 1000], Duration::from_secs(30))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(t0.elapsed().as_secs(), 30);
        // A reader taking 100 bytes every 20 s is slow but never stalls for 30 s.
        let (mut out, mut peer) = tokio::io::duplex(100);
        tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let mut b = [0u8; 100];
            loop {
                tokio::time::sleep(Duration::from_secs(20)).await;
                if peer.read(&mut b).await.unwrap_or(0) == 0 {
                    return;
                }
            }
        });
        write_all(&mut out, &[0; 1000], Duration::from_secs(30))
            .await
            .unwrap();
    }
}
