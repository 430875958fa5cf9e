//! Transport behaviour over in-memory streams (`tokio::io::duplex`): back-pressure, peers that
//! stop reading, per-connection work limits, disconnects and the server's connection permits.
//! Timeouts run on paused time, so a 30 s write timeout takes no real time.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ferromq_protocol::{frame, response_code, RemotingCommand};
use ferromq_remoting::{
    serve, Accepted, Channel, ChannelConfig, Dispatcher, Listener, RemotingError, RequestHandler,
    ResponseFuture, ServerConfig,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, ReadHalf, WriteHalf};
use tokio::sync::{mpsc, Semaphore};
use tokio::time::Instant;

const ECHO: i32 = 9001;
/// Answers with a body of the size given in the request's `size` field.
const BIG: i32 = 9002;
/// Waits for a permit of the test's gate before answering.
const GATED: i32 = 9003;
const PANIC: i32 = 9004;

/// Counts requests started, and gates GATED ones.
#[derive(Clone)]
struct Probe {
    started: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
    gate: Arc<Semaphore>,
}

impl Probe {
    fn new() -> Self {
        Probe {
            started: Arc::default(),
            closed: Arc::default(),
            gate: Arc::new(Semaphore::new(0)),
        }
    }

    fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }
}

impl RequestHandler for Probe {
    fn handle(&self, _channel: Channel, req: RemotingCommand) -> ResponseFuture {
        self.started.fetch_add(1, Ordering::SeqCst);
        let gate = self.gate.clone();
        Box::pin(async move {
            match req.code {
                ECHO => Some(RemotingCommand::success().with_body(req.body.to_bytes())),
                BIG => {
                    let size: usize = req.ext_fields.get("size")?.parse().ok()?;
                    Some(RemotingCommand::success().with_body(Bytes::from(vec![7u8; size])))
                }
                GATED => {
                    gate.acquire().await.ok()?.forget();
                    Some(RemotingCommand::success())
                }
                PANIC => panic!("handler bug"),
                _ => None,
            }
        })
    }

    fn on_channel_close(&self, _channel: &Channel) {
        self.closed.fetch_add(1, Ordering::SeqCst);
    }
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, 1], port))
}

/// A server-side channel over one end of a duplex pipe of `pipe` bytes; the test plays the
/// client on the other end with raw frames.
fn server_channel(
    probe: &Probe,
    config: ChannelConfig,
    pipe: usize,
) -> (Channel, tokio::task::JoinHandle<()>, RawClient) {
    let (server_end, client_end) = tokio::io::duplex(pipe);
    let (ch, task) = Channel::spawn_io(
        server_end,
        addr(1),
        addr(2),
        Arc::new(probe.clone()),
        config,
    );
    (ch, task, RawClient::new(client_end))
}

/// A client speaking raw frames, so it can pipeline freely and choose not to read.
struct RawClient {
    read: ReadHalf<DuplexStream>,
    write: Option<WriteHalf<DuplexStream>>,
    buf: BytesMut,
}

impl RawClient {
    fn new(io: DuplexStream) -> Self {
        let (read, write) = tokio::io::split(io);
        RawClient {
            read,
            write: Some(write),
            buf: BytesMut::new(),
        }
    }

    /// Sends `n` requests from a task (the pipe blocks once the server stops reading).
    fn pipeline(&mut self, n: i32, make: impl Fn(i32) -> RemotingCommand + Send + 'static) {
        let mut w = self.write.take().expect("one pipeline per client");
        tokio::spawn(async move {
            for opaque in 0..n {
                let req = make(opaque).with_opaque(opaque);
                if w.write_all(&frame::encode(&req)).await.is_err() {
                    return;
                }
            }
            // Keep the write half (and so the connection) open.
            std::future::pending::<()>().await;
        });
    }

    async fn next(&mut self) -> Option<RemotingCommand> {
        loop {
            if let Some(cmd) = frame::decode(&mut self.buf, 1 << 25).unwrap() {
                return Some(cmd);
            }
            if self.read.read_buf(&mut self.buf).await.ok()? == 0 {
                return None;
            }
        }
    }
}

fn big(size: usize) -> impl Fn(i32) -> RemotingCommand {
    move |_| RemotingCommand::request(BIG).with_ext("size", size.to_string())
}

/// Lets every task run until all wait on each other (or on time, which is paused).
async fn settle() {
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_does_not_read_stops_being_read() {
    let probe = Probe::new();
    let config = ChannelConfig {
        write_queue_bytes: 64 * 1024,
        write_timeout: Duration::from_secs(3600),
        ..ChannelConfig::default()
    };
    let (_ch, _task, mut client) = server_channel(&probe, config, 4096);
    // 1,000 requests for 16 KiB answers: 16 MiB of responses nobody reads.
    client.pipeline(1000, big(16 * 1024));
    settle().await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    // Handled: what fits the 64 KiB queue, the writer's hands and the 4 KiB pipe, plus the
    // request whose answer waits for room. Not 1,000.
    let handled = probe.started();
    println!("handled while the peer read nothing: {handled}");
    assert!(
        handled <= 10,
        "{handled} requests handled for a peer that reads nothing"
    );
    // Nothing was dropped: reading now gets every answer, in order.
    for opaque in 0..1000 {
        let resp = client.next().await.expect("answer");
        assert_eq!(resp.opaque, opaque);
        assert_eq!(resp.body.len(), 16 * 1024);
    }
    assert_eq!(probe.started(), 1000);
}

#[tokio::test(start_paused = true)]
async fn a_stuck_peer_is_disconnected_after_the_write_timeout() {
    let probe = Probe::new();
    let config = ChannelConfig {
        write_timeout: Duration::from_secs(30),
        idle_timeout: None,
        ..ChannelConfig::default()
    };
    let (ch, task, mut client) = server_channel(&probe, config, 4096);
    let t0 = Instant::now();
    client.pipeline(4, big(1024 * 1024));
    task.await.unwrap();
    let took = t0.elapsed();
    assert!(ch.is_closed());
    assert_eq!(
        probe.closed.load(Ordering::SeqCst),
        1,
        "close reported once"
    );
    assert!(
        took >= Duration::from_secs(30) && took < Duration::from_secs(35),
        "closed after {took:?}"
    );
    // The client sees the end of the stream after what was written.
    while client.next().await.is_some() {}
}

#[tokio::test(start_paused = true)]
async fn closing_finishes_even_when_the_peer_never_reads() {
    let probe = Probe::new();
    let config = ChannelConfig {
        write_timeout: Duration::from_secs(3600),
        close_flush_timeout: Duration::from_secs(3),
        idle_timeout: None,
        ..ChannelConfig::default()
    };
    let (ch, task, mut client) = server_channel(&probe, config, 4096);
    client.pipeline(4, big(1024 * 1024));
    settle().await;
    let t0 = Instant::now();
    ch.close();
    task.await.unwrap();
    assert!(t0.elapsed() <= Duration::from_secs(4), "{:?}", t0.elapsed());
    // A sender waiting for room in the full queue is refused, not stuck.
    let err = ch.send(RemotingCommand::success()).await.unwrap_err();
    assert!(matches!(err, RemotingError::ChannelClosed { .. }));
}

#[tokio::test(start_paused = true)]
async fn a_close_flushes_what_was_queued() {
    let probe = Probe::new();
    let (ch, task, mut client) = server_channel(&probe, ChannelConfig::default(), 1 << 20);
    for opaque in 0..3 {
        ch.send(RemotingCommand::success().with_opaque(opaque))
            .await
            .unwrap();
    }
    ch.close();
    task.await.unwrap();
    for opaque in 0..3 {
        assert_eq!(client.next().await.unwrap().opaque, opaque);
    }
    assert!(client.next().await.is_none(), "then the stream ends");
}

#[tokio::test(start_paused = true)]
async fn requests_in_flight_per_connection_are_capped() {
    let probe = Probe::new();
    let config = ChannelConfig {
        max_in_flight: 4,
        ..ChannelConfig::default()
    };
    let (_ch, _task, mut client) = server_channel(&probe, config, 1 << 20);
    client.pipeline(20, |_| RemotingCommand::request(GATED));
    settle().await;
    // Four on their tasks, and the fifth held by the reader, waiting for a slot.
    assert_eq!(probe.started(), 5, "the reader waits for a free slot");
    // Each finished request lets exactly one more in.
    probe.gate.add_permits(1);
    assert_eq!(client.next().await.unwrap().code, response_code::SUCCESS);
    settle().await;
    assert_eq!(probe.started(), 6);
    probe.gate.add_permits(100);
    for _ in 1..20 {
        client.next().await.unwrap();
    }
    assert_eq!(probe.started(), 20);
}

#[tokio::test(start_paused = true)]
async fn bytes_of_requests_in_flight_per_connection_are_capped() {
    let probe = Probe::new();
    let config = ChannelConfig {
        max_in_flight_bytes: 100 * 1024,
        ..ChannelConfig::default()
    };
    let (_ch, _task, mut client) = server_channel(&probe, config, 1 << 20);
    // 40 KiB requests: two fit in 100 KiB, the reader holds the third.
    client.pipeline(10, |_| {
        RemotingCommand::request(GATED).with_body(vec![0u8; 40 * 1024])
    });
    settle().await;
    assert_eq!(probe.started(), 3, "the reader waits for room");
    probe.gate.add_permits(100);
    for _ in 0..10 {
        client.next().await.unwrap();
    }
    assert_eq!(probe.started(), 10);
}

#[tokio::test(start_paused = true)]
async fn requests_that_answer_at_once_are_answered_in_order() {
    let probe = Probe::new();
    let (_ch, _task, mut client) = server_channel(&probe, ChannelConfig::default(), 1024);
    client.pipeline(500, |i| {
        RemotingCommand::request(ECHO).with_body(format!("body-{i}"))
    });
    for opaque in 0..500 {
        let resp = client.next().await.unwrap();
        assert_eq!(resp.opaque, opaque);
        assert_eq!(resp.body.to_bytes(), format!("body-{opaque}").as_bytes());
    }
}

#[tokio::test(start_paused = true)]
async fn a_panicking_handler_answers_system_error_and_keeps_the_connection() {
    let probe = Probe::new();
    let (_ch, _task, mut client) = server_channel(&probe, ChannelConfig::default(), 4096);
    client.pipeline(2, |i| {
        RemotingCommand::request(if i == 0 { PANIC } else { ECHO })
    });
    let first = client.next().await.unwrap();
    assert_eq!((first.opaque, first.code), (0, response_code::SYSTEM_ERROR));
    let second = client.next().await.unwrap();
    assert_eq!((second.opaque, second.code), (1, response_code::SUCCESS));
}

#[tokio::test(start_paused = true)]
async fn channels_on_both_ends_talk_and_a_disconnect_fails_waiting_requests() {
    let (a, b) = tokio::io::duplex(64 * 1024);
    let probe = Probe::new();
    let (server, _st) = Channel::spawn_io(
        a,
        addr(2),
        addr(1),
        Arc::new(probe.clone()),
        ChannelConfig::default(),
    );
    let (client, client_task) = Channel::spawn_io(
        b,
        addr(1),
        addr(2),
        Arc::new(Dispatcher::new()),
        ChannelConfig::default(),
    );
    let resp = client
        .request(
            RemotingCommand::request(ECHO).with_body("hi"),
            Duration::from_secs(3),
        )
        .await
        .unwrap();
    assert_eq!(&resp.body.to_bytes()[..], b"hi");
    assert_eq!(client.remote_addr(), addr(1));
    // A request still waiting when the other side goes away fails at once, not at its
    // timeout.
    let waiting = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .request(RemotingCommand::request(GATED), Duration::from_secs(3600))
                .await
        })
    };
    settle().await;
    let t0 = Instant::now();
    server.close();
    let err = waiting.await.unwrap().unwrap_err();
    assert!(matches!(err, RemotingError::ChannelClosed { .. }), "{err}");
    assert!(t0.elapsed() < Duration::from_secs(5));
    client_task.await.unwrap();
}

/// An in-memory listener: each duplex stream sent through the channel is a connection.
struct MemoryListener(mpsc::UnboundedReceiver<DuplexStream>);

impl Listener for MemoryListener {
    type Read = ReadHalf<DuplexStream>;
    type Write = WriteHalf<DuplexStream>;

    async fn accept(&mut self) -> std::io::Result<Accepted<Self::Read, Self::Write>> {
        let Some(io) = self.0.recv().await else {
            return std::future::pending().await;
        };
        let (read, write) = tokio::io::split(io);
        Ok(Accepted {
            read,
            write,
            remote: addr(2),
            local: addr(1),
        })
    }
}

#[tokio::test(start_paused = true)]
async fn the_server_releases_the_connection_permit_of_a_stuck_peer() {
    let probe = Probe::new();
    let (connect, accepted) = mpsc::unbounded_channel();
    let config = ServerConfig {
        max_connections: 1,
        channel: ChannelConfig {
            write_timeout: Duration::from_secs(30),
            ..ChannelConfig::default()
        },
        ..ServerConfig::default()
    };
    tokio::spawn(serve(
        MemoryListener(accepted),
        Arc::new(probe.clone()),
        config,
        std::future::pending(),
    ));
    let dial = || {
        let (ours, theirs) = tokio::io::duplex(4096);
        connect.send(theirs).unwrap();
        RawClient::new(ours)
    };
    // The first client asks for 4 MiB and never reads: it holds the only permit.
    let mut stuck = dial();
    stuck.pipeline(4, big(1024 * 1024));
    settle().await;
    let t0 = Instant::now();
    let mut second = dial();
    second.pipeline(1, |_| RemotingCommand::request(ECHO));
    let resp = second
        .next()
        .await
        .expect("served once the stuck peer is gone");
    assert_eq!(resp.code, response_code::SUCCESS);
    let waited = t0.elapsed();
    assert!(
        waited >= Duration::from_secs(25) && waited < Duration::from_secs(40),
        "second client waited {waited:?}"
    );
    assert_eq!(probe.closed.load(Ordering::SeqCst), 1);
}
