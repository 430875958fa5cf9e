//! Transport behaviour over real loopback sockets.

use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use ferromq_protocol::{frame, response_code, RemotingCommand, SerializeType};
use ferromq_remoting::{
    Channel, ClientConfig, Dispatcher, RemotingClient, RequestHandler, ServerConfig,
};
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

const ECHO: i32 = 9001;
const SLOW: i32 = 9002;
const ASK_BACK: i32 = 9003;

fn dispatcher() -> Dispatcher {
    Dispatcher::new()
        .route(
            &[ECHO],
            Arc::new(|_ch: Channel, req: RemotingCommand| async move {
                Some(
                    RemotingCommand::success()
                        .with_body(req.body.to_bytes())
                        .with_ext("echo", "1"),
                )
            }),
        )
        .route(
            &[SLOW],
            Arc::new(|_ch: Channel, _req: RemotingCommand| async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                Some(RemotingCommand::success())
            }),
        )
        .route(
            &[ASK_BACK],
            // The server asks the client something over the same channel, then answers.
            Arc::new(|ch: Channel, _req: RemotingCommand| async move {
                let answer = ch
                    .request(
                        RemotingCommand::request(ECHO).with_body("from-server"),
                        Duration::from_secs(2),
                    )
                    .await
                    .ok()?;
                Some(RemotingCommand::success().with_body(answer.body.to_bytes()))
            }),
        )
}

async fn start_server() -> (String, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let handler: Arc<dyn RequestHandler> = Arc::new(dispatcher());
    let task = tokio::spawn(ferromq_remoting::run(
        listener,
        handler,
        ServerConfig::default(),
        async {
            let _ = stop_rx.await;
        },
    ));
    (addr, stop_tx, task)
}

fn client() -> RemotingClient {
    RemotingClient::new(ClientConfig::default(), Arc::new(dispatcher()))
}

#[tokio::test]
async fn request_response_matched_by_opaque() {
    let (addr, _stop, _t) = start_server().await;
    let c = client();
    let mut calls = Vec::new();
    for i in 0..200 {
        let c = c.clone();
        let addr = addr.clone();
        calls.push(tokio::spawn(async move {
            let body = format!("payload-{i}");
            let resp = c
                .invoke_sync(
                    &addr,
                    RemotingCommand::request(ECHO).with_body(body.clone()),
                    Duration::from_secs(5),
                )
                .await
                .unwrap();
            assert_eq!(resp.code, response_code::SUCCESS);
            assert!(resp.is_response());
            assert_eq!(&resp.body.to_bytes()[..], body.as_bytes());
        }));
    }
    for c in calls {
        c.await.unwrap();
    }
}

#[tokio::test]
async fn binary_requests_get_binary_responses() {
    let (addr, _stop, _t) = start_server().await;
    let resp = client()
        .invoke_sync(
            &addr,
            RemotingCommand::request(ECHO).with_serialize_type(SerializeType::RocketMq),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(resp.serialize_type, SerializeType::RocketMq);
    assert_eq!(resp.ext_fields.get("echo"), Some("1"));
}

#[tokio::test]
async fn unknown_code_is_not_supported() {
    let (addr, _stop, _t) = start_server().await;
    let resp = client()
        .invoke_sync(
            &addr,
            RemotingCommand::request(4242),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::REQUEST_CODE_NOT_SUPPORTED);
    assert_eq!(
        resp.remark.as_deref(),
        Some(" request type 4242 not supported")
    );
}

#[tokio::test]
async fn oneway_gets_no_response() {
    let (addr, _stop, _t) = start_server().await;
    let mut raw = TcpStream::connect(&addr).await.unwrap();
    let oneway = RemotingCommand::request(ECHO).with_opaque(1).into_oneway();
    raw.write_all(&frame::encode(&oneway)).await.unwrap();
    let normal = RemotingCommand::request(ECHO).with_opaque(2);
    raw.write_all(&frame::encode(&normal)).await.unwrap();
    let resp = read_one(&mut raw).await;
    assert_eq!(
        resp.opaque, 2,
        "the first response answers the second request"
    );
}

#[tokio::test]
async fn timeouts_are_reported() {
    let (addr, _stop, _t) = start_server().await;
    let err = client()
        .invoke_sync(
            &addr,
            RemotingCommand::request(SLOW),
            Duration::from_millis(50),
        )
        .await
        .unwrap_err();
    assert_eq!(err.java_code(), -1006);
}

#[tokio::test]
async fn server_can_call_back_over_the_same_channel() {
    let (addr, _stop, _t) = start_server().await;
    let resp = client()
        .invoke_sync(
            &addr,
            RemotingCommand::request(ASK_BACK),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    assert_eq!(&resp.body.to_bytes()[..], b"from-server");
}

#[tokio::test]
async fn garbage_and_oversize_frames_close_only_their_connection() {
    let (addr, _stop, _t) = start_server().await;
    let c = client();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for round in 0..60 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        let mut bytes = BytesMut::new();
        match round % 4 {
            0 => {
                // random bytes
                let n = rng.gen_range(1..512);
                bytes.extend((0..n).map(|_| rng.gen::<u8>()));
            }
            1 => {
                // oversized length prefix
                bytes.put_i32(64 * 1024 * 1024);
                bytes.put_slice(b"xxxx");
            }
            2 => {
                // valid length, garbage header
                bytes.put_i32(12);
                bytes.put_u32(8);
                bytes.put_slice(b"{\"code\":[");
            }
            _ => {
                // a truncated valid frame, then the connection drops
                let f = frame::encode(&RemotingCommand::request(ECHO).with_body("abc"));
                let cut = rng.gen_range(1..f.len());
                bytes.extend_from_slice(&f[..cut]);
            }
        }
        let _ = s.write_all(&bytes).await;
        drop(s);
        // the server still answers a well-behaved client
        let resp = c
            .invoke_sync(
                &addr,
                RemotingCommand::request(ECHO).with_body("ok"),
                Duration::from_secs(5),
            )
            .await
            .unwrap();
        assert_eq!(&resp.body.to_bytes()[..], b"ok");
    }
}

#[tokio::test]
async fn bad_frame_closes_the_connection() {
    let (addr, _stop, _t) = start_server().await;
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(&[0xff, 0xff, 0xff, 0xff]).await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0, "server closed the connection");
}

#[tokio::test]
async fn shutdown_closes_connections() {
    let (addr, stop, task) = start_server().await;
    let c = client();
    let ch = c.channel(&addr).await.unwrap();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), ch.closed())
        .await
        .unwrap();
    assert!(TcpStream::connect(&addr).await.is_err(), "listener is gone");
}

#[tokio::test]
async fn large_bodies_cross_intact() {
    let (addr, _stop, _t) = start_server().await;
    let body: Bytes = (0..4 * 1024 * 1024u32)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into();
    let resp = client()
        .invoke_sync(
            &addr,
            RemotingCommand::request(ECHO).with_body(body.clone()),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert_eq!(resp.body.to_bytes(), body);
}

async fn read_one(s: &mut TcpStream) -> RemotingCommand {
    let mut buf = BytesMut::new();
    loop {
        if let Some(cmd) = frame::decode(&mut buf, 1 << 24).unwrap() {
            return cmd;
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "connection closed early");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Throughput over one loopback connection, printed (the transport's hot path: pipelined
/// small requests, and large bodies):
/// `cargo test --release -p ferromq-remoting --test transport -- --ignored --nocapture throughput`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "prints figures; run by hand"]
async fn throughput() {
    let (addr, _stop, _t) = start_server().await;
    let c = client();
    for (body, calls, callers) in [(100usize, 200_000usize, 64usize), (1 << 20, 2_000, 8)] {
        let payload = Bytes::from(vec![1u8; body]);
        let t0 = std::time::Instant::now();
        let cpu0 = cpu_time();
        let mut tasks = Vec::new();
        for _ in 0..callers {
            let (c, addr, payload) = (c.clone(), addr.clone(), payload.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..calls / callers {
                    let req = RemotingCommand::request(ECHO).with_body(payload.clone());
                    let resp = c.invoke_sync(&addr, req, Duration::from_secs(30)).await;
                    assert_eq!(resp.unwrap().body.len(), payload.len());
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let secs = t0.elapsed().as_secs_f64();
        let cpu = cpu_time() - cpu0;
        println!(
            "{calls} echo calls of {body} B, {callers} callers: {:.0} calls/s, {:.0} MiB/s each way, \
             {:.2} µs of CPU per call (client and server)",
            calls as f64 / secs,
            (calls * body) as f64 / secs / (1 << 20) as f64,
            cpu * 1e6 / calls as f64
        );
    }
}

/// User + system CPU seconds of this process.
fn cpu_time() -> f64 {
    // SAFETY: getrusage only writes the struct passed by pointer.
    let u = unsafe {
        let mut u = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u
    };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 * 1e-6;
    t(u.ru_utime) + t(u.ru_stime)
}
