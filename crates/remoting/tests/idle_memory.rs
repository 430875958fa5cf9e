//! Memory held by idle connections: a broker or name server must afford thousands of
//! connected clients that say nothing.
//!
//! Each client connects, sends one request (as every client does: a heartbeat), reads the
//! answer, and then stays silent. The figure is the server's heap bytes that stay allocated per
//! connection (counted by this binary's allocator: unlike resident memory it does not depend on
//! which pages happen to be touched), with resident memory printed alongside.
//!
//! - `idle_connections_are_cheap` (CI): 2,000 connections, clients in this process.
//! - `idle_memory_10k` (ignored) prints the figures for 10,000 connections whose client ends
//!   live in a child process (each process keeps under the open-file limit):
//!   `cargo test --release -p ferromq-remoting --test idle_memory -- --ignored --nocapture idle_memory_10k`

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use ferromq_protocol::{frame, RemotingCommand};
use ferromq_remoting::{Channel, RequestHandler, ResponseFuture, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const PING: i32 = 34; // HEART_BEAT

struct Server(AtomicUsize);

impl RequestHandler for Server {
    fn handle(&self, _channel: Channel, _request: RemotingCommand) -> ResponseFuture {
        Box::pin(async { Some(RemotingCommand::success()) })
    }
    fn on_channel_open(&self, _channel: &Channel) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Raises the soft open-file limit to the hard one (the hard one cannot be raised here).
fn raise_fd_limit() -> usize {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed by pointer.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
    }
    lim.rlim_cur as usize
}

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("resident pages");
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize
}

/// Connects, sends one request, reads its answer, and returns the still-open stream.
async fn ping(addr: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let req = RemotingCommand::request(PING).with_opaque(1);
    s.write_all(&frame::encode(&req)).await.unwrap();
    let mut buf = BytesMut::with_capacity(256);
    loop {
        if let Some(resp) = frame::decode(&mut buf, 1 << 20).unwrap() {
            assert_eq!(resp.opaque, 1);
            return s;
        }
        assert!(s.read_buf(&mut buf).await.unwrap() > 0, "server closed");
    }
}

async fn ping_all(addr: &str, n: usize) -> Vec<TcpStream> {
    let mut clients = Vec::with_capacity(n);
    for _ in 0..n {
        clients.push(ping(addr).await);
    }
    clients
}

struct Figures {
    heap: usize,
    rss: usize,
}

/// Starts a server, runs `connect` (which leaves `n` idle connections open and returns
/// something that keeps them so) and measures what the server holds per connection.
async fn measure<K, F>(n: usize, connect: impl FnOnce(String) -> F) -> Figures
where
    F: std::future::Future<Output = K>,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let handler = Arc::new(Server(AtomicUsize::new(0)));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(ferromq_remoting::run(
        listener,
        handler.clone(),
        ServerConfig::default(),
        async {
            let _ = stopped.await;
        },
    ));
    // Warm up allocator arenas, the timer wheel and the runtime's structures.
    let warm = ping_all(&addr, 100).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (heap0, rss0) = (LIVE.load(Ordering::SeqCst), rss_bytes());
    let keep = connect(addr).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while handler.0.load(Ordering::SeqCst) < 100 + n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "server accepted too few"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Let every channel finish its answer and settle into its idle wait.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (heap1, rss1) = (LIVE.load(Ordering::SeqCst), rss_bytes());
    drop(keep);
    drop(warm);
    let _ = stop.send(());
    let _ = server.await;
    Figures {
        heap: (heap1 - heap0).max(0) as usize / n,
        rss: rss1.saturating_sub(rss0) / n,
    }
}

/// An idle connection holds no read or write buffer: what is left is its tasks, the socket
/// registration and the channel state, about 7 KiB (the bound leaves room for debug builds
/// and for the clients' own sockets, which live in this process too). It was 135 KiB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_cheap() {
    raise_fd_limit();
    let n = 2_000;
    let f = measure(n, |addr| async move { ping_all(&addr, n).await }).await;
    println!(
        "per idle connection ({n}, clients in process): heap {} B, resident {} B",
        f.heap, f.rss
    );
    assert!(
        f.heap < 16 * 1024,
        "an idle connection holds {} heap bytes",
        f.heap
    );
}

/// The client side of `idle_memory_10k`, run in a child process.
#[tokio::test]
#[ignore = "helper process of idle_memory_10k"]
async fn idle_memory_client() {
    let Ok(addr) = std::env::var("FERROMQ_IDLE_ADDR") else {
        return;
    };
    raise_fd_limit();
    let n: usize = std::env::var("FERROMQ_IDLE_N").unwrap().parse().unwrap();
    let clients = ping_all(&addr, n).await;
    println!("ready");
    // Hold the connections until the parent closes our stdin.
    let mut sink = String::new();
    let _ = tokio::task::spawn_blocking(move || std::io::stdin().read_line(&mut sink)).await;
    drop(clients);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "opens 10,000 connections; run by hand to print the figures"]
async fn idle_memory_10k() {
    let n = 10_000;
    assert!(raise_fd_limit() > n + 300, "open-file limit too low");
    let f = measure(n, |addr| async move {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "idle_memory_client", "--ignored", "--nocapture"])
            .env("FERROMQ_IDLE_ADDR", &addr)
            .env("FERROMQ_IDLE_N", n.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("client process");
        let out = child.stdout.take().unwrap();
        // Read until "ready", then keep draining so the child can print its test summary.
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut ready_tx = Some(ready_tx);
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if line.trim() == "ready" {
                    if let Some(tx) = ready_tx.take() {
                        let _ = tx.send(());
                    }
                }
            }
        });
        ready_rx.await.expect("client process ended early");
        child
    })
    .await;
    println!(
        "per idle connection ({n}, clients in a child process): heap {} B, resident {} B; \
         {n} connections: heap {} MiB, resident {} MiB",
        f.heap,
        f.rss,
        (f.heap * n) >> 20,
        (f.rss * n) >> 20
    );
}
