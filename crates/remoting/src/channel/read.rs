//! The reading half of a channel: frames from the stream, and what happens to each.
//!
//! Memory: between frames a connection holds no read buffer at all. While nothing is
//! buffered, reads go through a per-thread scratch buffer and only the bytes that arrived are
//! copied out, so 10,000 idle connections cost no buffers; a partial frame grows its buffer
//! with what actually arrives (at most about twice that), not with what its length prefix
//! claims.
//!
//! Work: a request's handler is polled once right here, and most answer at once; one that
//! must wait (a flush, a call to another node) continues on its own task. At most
//! `max_in_flight` such tasks, for requests of at most `max_in_flight_bytes` together, run per
//! connection: at the limit the reader holds the next waiting request and stops reading until
//! a task finishes, which pushes back on a client that pipelines requests faster than they
//! complete. (A handler that waits for an
//! answer from the same peer must not rely on more than the limit: the answer is read by
//! this reader.)

use std::cell::RefCell;
use std::io;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, BytesMut};
use ferromq_protocol::{frame, response_code, RemotingCommand, SerializeType, RESPONSE_FLAG};
use futures::FutureExt;
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{Channel, ChannelConfig};
use crate::codec::CodecError;
use crate::handler::RequestHandler;

/// Size of the per-thread buffer idle connections read into.
const SCRATCH: usize = 64 * 1024;
/// The least a partial frame's buffer grows by, so small pipelined frames are read in a few
/// system calls rather than one each.
const MIN_READ: usize = 8 * 1024;
/// A partial frame's buffer is reserved up to this much ahead of what arrived (frames up to
/// this size are read into one allocation); beyond, it grows with what arrives (doubling),
/// so a length prefix alone pins at most this much.
const GROW_STEP: usize = 1024 * 1024;

thread_local! {
    static SCRATCH_BUF: RefCell<Vec<u8>> = RefCell::new(vec![0; SCRATCH]);
}

/// Decodes frames from a byte stream, holding a buffer only while a frame is incomplete.
pub(super) struct FrameReader<R> {
    io: R,
    buf: BytesMut,
    max_frame: usize,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub(super) fn new(io: R, max_frame: usize) -> Self {
        FrameReader {
            io,
            buf: BytesMut::new(),
            max_frame,
        }
    }

    /// The next frame; `None` at the end of the stream between frames.
    pub(super) async fn next(&mut self) -> Result<Option<RemotingCommand>, CodecError> {
        loop {
            if let Some(cmd) = self.decode()? {
                return Ok(Some(cmd));
            }
            if self.buf.is_empty() {
                match std::future::poll_fn(|cx| poll_read_idle(&mut self.io, cx)).await? {
                    Some(bytes) => self.buf = bytes,
                    None => return Ok(None),
                }
            } else {
                self.reserve_for_partial()?;
                if self.io.read_buf(&mut self.buf).await? == 0 {
                    return Err(CodecError::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "stream ended inside a frame",
                    )));
                }
            }
        }
    }

    fn decode(&mut self) -> Result<Option<RemotingCommand>, CodecError> {
        let Some(length) = frame::peek_length(&self.buf, self.max_frame)? else {
            return Ok(None);
        };
        // `length` ≤ max_frame, so this cannot overflow.
        if self.buf.len() - 4 < length {
            return Ok(None);
        }
        self.buf.advance(4);
        let body = self.buf.split_to(length).freeze();
        if self.buf.is_empty() {
            // Let the frame own its bytes; an idle connection keeps no buffer.
            self.buf = BytesMut::new();
        }
        Ok(Some(frame::decode_frame_body(body)?))
    }

    /// Makes room for more of the frame at the front of the buffer: what the frame still
    /// needs, but at most the buffer's size again (so memory follows what the peer actually
    /// sent, not what its length prefix claims).
    fn reserve_for_partial(&mut self) -> Result<(), CodecError> {
        let have = self.buf.len();
        let needed = match frame::peek_length(&self.buf, self.max_frame)? {
            Some(length) => (4 + length).saturating_sub(have),
            None => 4 - have,
        };
        let step = needed.min(have.max(GROW_STEP)).max(MIN_READ);
        if self.buf.capacity() - have < step {
            self.buf.reserve(step);
        }
        Ok(())
    }
}

/// Reads whatever is available into the thread's scratch buffer and returns a copy of it, so
/// that a connection waiting for its next frame holds no buffer of its own. `None` at the
/// end of the stream.
fn poll_read_idle<R: AsyncRead + Unpin>(
    io: &mut R,
    cx: &mut Context<'_>,
) -> Poll<io::Result<Option<BytesMut>>> {
    SCRATCH_BUF.with(|scratch| {
        // Never contended (one poll at a time per thread); a fresh buffer covers the
        // impossible case rather than panicking.
        let mut fallback;
        let mut guard = scratch.try_borrow_mut();
        let space: &mut [u8] = match guard.as_deref_mut() {
            Ok(s) => s,
            Err(_) => {
                fallback = vec![0; MIN_READ];
                &mut fallback
            }
        };
        let mut rb = ReadBuf::new(space);
        match Pin::new(io).poll_read(cx, &mut rb) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(())) if rb.filled().is_empty() => Poll::Ready(Ok(None)),
            Poll::Ready(Ok(())) => Poll::Ready(Ok(Some(BytesMut::from(rb.filled())))),
        }
    })
}

/// Reads and dispatches frames until the stream ends, a frame is malformed, the peer is idle
/// for `idle_timeout`, or the channel closes.
pub(super) async fn read_loop<R: AsyncRead + Unpin>(
    read: R,
    channel: Channel,
    handler: Arc<dyn RequestHandler>,
    config: ChannelConfig,
) {
    let mut frames = FrameReader::new(read, config.max_frame);
    let slots = Slots::new(&config);
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
            Some(Ok(None)) => return,
            Some(Err(e)) => {
                tracing::warn!(remote = %channel.remote_addr(), error = %e, "closing channel after a bad frame");
                return;
            }
            Some(Ok(Some(cmd))) => cmd,
        };
        if cmd.is_response() {
            channel.complete(cmd);
            continue;
        }
        if !dispatch(&channel, &handler, &slots, cmd).await {
            return;
        }
    }
}

/// The requests a connection may have in its handlers: a count and their bytes.
struct Slots {
    count: Arc<Semaphore>,
    bytes: Arc<Semaphore>,
    max_bytes: usize,
}

/// One request's share of [`Slots`], released when its answer is queued.
struct Slot {
    _count: OwnedSemaphorePermit,
    _bytes: OwnedSemaphorePermit,
}

impl Slots {
    fn new(config: &ChannelConfig) -> Self {
        let max_bytes = config.max_in_flight_bytes.clamp(1, u32::MAX as usize);
        Slots {
            count: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
            bytes: Arc::new(Semaphore::new(max_bytes)),
            max_bytes,
        }
    }

    /// What `request` is charged against the byte limit.
    fn cost(&self, request: &RemotingCommand) -> u32 {
        super::write::frame_cost(request).min(self.max_bytes) as u32
    }

    /// A slot of `cost` bytes if one is free now (the common case, without waiting).
    fn try_acquire(&self, cost: u32) -> Option<Slot> {
        let count = self.count.clone().try_acquire_owned().ok()?;
        let bytes = self.bytes.clone().try_acquire_many_owned(cost).ok()?;
        Some(Slot {
            _count: count,
            _bytes: bytes,
        })
    }

    /// Waits until `cost` bytes fit; `None` if the semaphores were closed (never: they are
    /// this reader's own).
    async fn acquire(&self, cost: u32) -> Option<Slot> {
        let count = self.count.clone().acquire_owned().await.ok()?;
        let bytes = self.bytes.clone().acquire_many_owned(cost).await.ok()?;
        Some(Slot {
            _count: count,
            _bytes: bytes,
        })
    }
}

/// Runs `request`'s handler: answers here if it completes at once, else hands it to a task
/// holding a slot until the answer is queued, waiting for a slot at the limit (the reader
/// reads nothing meanwhile). `false` if the channel closed while waiting.
async fn dispatch(
    channel: &Channel,
    handler: &Arc<dyn RequestHandler>,
    slots: &Slots,
    request: RemotingCommand,
) -> bool {
    let reply = Reply {
        opaque: request.opaque,
        oneway: request.is_oneway(),
        ser: request.serialize_type,
        code: request.code,
    };
    let cost = slots.cost(&request);
    // A handler that panics answers SYSTEM_ERROR (as a Java processor that throws) instead
    // of taking the connection down.
    let mut fut = AssertUnwindSafe(handler.handle(channel.clone(), request)).catch_unwind();
    // Most requests (sends under async flush, offsets, heartbeats) complete without
    // waiting: answer those right here, in arrival order, without a task hand-off or a slot.
    if let Poll::Ready(outcome) = futures::poll!(&mut fut) {
        reply.send(channel, outcome).await;
        return true;
    }
    let slot = match slots.try_acquire(cost) {
        Some(slot) => slot,
        None => tokio::select! {
            _ = channel.inner.closed.cancelled() => return false,
            slot = slots.acquire(cost) => match slot {
                Some(slot) => slot,
                None => return false,
            },
        },
    };
    let ch = channel.clone();
    tokio::spawn(async move {
        reply.send(&ch, fut.await).await;
        drop(slot);
    });
    true
}

/// What a response needs from its request.
struct Reply {
    opaque: i32,
    oneway: bool,
    ser: SerializeType,
    code: i32,
}

impl Reply {
    async fn send(
        self,
        channel: &Channel,
        outcome: Result<Option<RemotingCommand>, Box<dyn std::any::Any + Send>>,
    ) {
        let resp = match outcome {
            Ok(resp) => resp,
            Err(_) => {
                tracing::error!(code = self.code, remote = %channel.remote_addr(), "request handler panicked");
                Some(RemotingCommand::error(
                    response_code::SYSTEM_ERROR,
                    format!("request {} failed: handler panicked", self.code),
                ))
            }
        };
        let Some(mut resp) = resp.filter(|_| !self.oneway) else {
            return;
        };
        resp.opaque = self.opaque;
        resp.flag |= RESPONSE_FLAG;
        resp.serialize_type = self.ser;
        let _ = channel.send(resp).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BufMut;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn no_buffer_is_kept_between_frames() {
        let (mut tx, rx) = tokio::io::duplex(1 << 20);
        let mut frames = FrameReader::new(rx, 1 << 24);
        let big = RemotingCommand::request(1).with_body(vec![1u8; 1 << 20]);
        let small = RemotingCommand::request(2);
        tokio::spawn(async move {
            tx.write_all(&frame::encode(&big)).await.unwrap();
            tx.write_all(&frame::encode(&small)).await.unwrap();
        });
        let first = frames.next().await.unwrap().unwrap();
        assert_eq!(first.body.len(), 1 << 20);
        let second = frames.next().await.unwrap().unwrap();
        assert_eq!(second.code, 2);
        assert_eq!(
            frames.buf.capacity(),
            0,
            "nothing held after the last frame"
        );
        assert!(
            frames.next().await.unwrap().is_none(),
            "clean end of stream"
        );
    }

    #[tokio::test]
    async fn a_length_prefix_alone_does_not_allocate_the_frame() {
        let (mut tx, rx) = tokio::io::duplex(1 << 20);
        let mut frames = FrameReader::new(rx, 16 << 20);
        // A 16 MiB frame is announced; 100 bytes of it arrive, then nothing.
        let mut head = BytesMut::new();
        head.put_i32(16 << 20);
        head.put_slice(&[0; 100]);
        tx.write_all(&head).await.unwrap();
        let wait = std::time::Duration::from_millis(50);
        let read = tokio::time::timeout(wait, frames.next()).await;
        assert!(read.is_err(), "still waiting for the frame");
        // At most GROW_STEP ahead (1 MiB), not the 16 MiB announced.
        assert!(
            frames.buf.capacity() <= GROW_STEP + 4096,
            "{} bytes reserved for 104 received",
            frames.buf.capacity()
        );
    }

    #[tokio::test]
    async fn a_partial_frame_grows_with_what_arrives_and_decodes() {
        let (mut tx, rx) = tokio::io::duplex(4096);
        let mut frames = FrameReader::new(rx, 16 << 20);
        let cmd = RemotingCommand::request(3).with_body(vec![9u8; 3 << 20]);
        let wire = frame::encode(&cmd);
        tokio::spawn(async move {
            for chunk in wire.chunks(1000) {
                tx.write_all(chunk).await.unwrap();
            }
        });
        let back = frames.next().await.unwrap().unwrap();
        assert_eq!(back, cmd);
    }

    #[tokio::test]
    async fn end_of_stream_inside_a_frame_is_an_error() {
        let (mut tx, rx) = tokio::io::duplex(4096);
        let mut frames = FrameReader::new(rx, 1 << 20);
        let wire = frame::encode(&RemotingCommand::request(1).with_body("abc"));
        tx.write_all(&wire[..wire.len() - 1]).await.unwrap();
        drop(tx);
        assert!(frames.next().await.is_err());
    }
}
