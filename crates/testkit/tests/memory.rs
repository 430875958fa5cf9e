//! What idle clients and parked pulls cost a broker: heap bytes that stay allocated per idle
//! client connection (one heartbeat, then silence) and per parked long-poll pull, counted by
//! this binary's allocator (resident memory printed alongside).
//!
//! - `idle_clients_and_parked_pulls_are_bounded` (CI): 2,000 idle clients and 10,000 parked
//!   pulls, clients in this process.
//! - `memory_10k` (ignored) prints the figures for 10,000 idle clients (whose ends live in a
//!   child process, to stay under the open-file limit) and 10,000 parked pulls:
//!   `cargo test --release -p ferromq-testkit --test memory -- --ignored --nocapture memory_10k`
//!
//! The figures are in docs/security.md.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use bytes::BytesMut;
use ferromq_protocol::{frame, request_code as rc, RemotingCommand};
use ferromq_testkit::{pull_request, unique, TestCluster};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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

fn heap() -> isize {
    LIVE.load(Ordering::SeqCst)
}

fn rss() -> isize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: isize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Raises the soft open-file limit to the hard one.
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

/// A heartbeat as a Java producer sends it (consumers of one group would each make the
/// broker notify every other member, which is what rebalancing needs but not an idle cost).
fn heartbeat(i: usize) -> RemotingCommand {
    let body = serde_json::json!({
        "clientID": format!("127.0.0.1@idle{i}"),
        "consumerDataSet": [],
        "producerDataSet": [{ "groupName": "idle_pg" }, { "groupName": "CLIENT_INNER_PRODUCER" }] });
    RemotingCommand::request(rc::HEART_BEAT)
        .with_body(serde_json::to_vec(&body).unwrap())
        .with_opaque(1)
}

/// Connects, heartbeats, reads the answer (skipping the broker's own notifications) and
/// returns the still-open stream.
async fn idle_client(addr: &str, i: usize) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(&frame::encode(&heartbeat(i))).await.unwrap();
    let mut buf = BytesMut::with_capacity(256);
    loop {
        while let Some(cmd) = frame::decode(&mut buf, 1 << 20).unwrap() {
            if cmd.is_response() && cmd.opaque == 1 {
                return s;
            }
        }
        assert!(s.read_buf(&mut buf).await.unwrap() > 0, "broker closed");
    }
}

async fn idle_clients(addr: &str, n: usize) -> Vec<TcpStream> {
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        v.push(idle_client(addr, i).await);
    }
    v
}

/// Parks `n` pulls on `conns` connections; returns the connections.
async fn park_pulls(c: &TestCluster, n: usize, conns: usize) -> Vec<TcpStream> {
    let topic = unique("Quiet");
    c.create_topic(&topic, 8).await;
    let mut out = Vec::new();
    let per = n.div_ceil(conns);
    let mut parked = 0;
    for _ in 0..conns {
        let mut s = TcpStream::connect(c.broker_addr()).await.unwrap();
        let mut batch = BytesMut::new();
        for k in 0..per.min(n - parked) {
            let mut req = pull_request("pull_cg", &topic, (k % 8) as i32, 0, 32, "*", 55_000);
            req.opaque = k as i32;
            batch.extend_from_slice(&frame::encode(&req));
        }
        parked += per.min(n - parked);
        s.write_all(&batch).await.unwrap();
        out.push(s);
    }
    let hold = &c.brokers[0].context().pull_hold();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while hold.len() < n {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} parked",
            hold.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    out
}

struct Figures {
    clients: usize,
    client_heap: isize,
    client_rss: isize,
    pulls: usize,
    pull_heap: isize,
    pull_rss: isize,
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "per idle client ({}): heap {} B, resident {} B; per parked pull ({}): heap {} B, \
             resident {} B; in all: heap {} MiB",
            self.clients,
            self.client_heap,
            self.client_rss,
            self.pulls,
            self.pull_heap,
            self.pull_rss,
            (self.client_heap * self.clients as isize + self.pull_heap * self.pulls as isize) >> 20
        )
    }
}

async fn measure<K, F>(clients: usize, pulls: usize, connect: impl FnOnce(String) -> F) -> Figures
where
    F: std::future::Future<Output = K>,
{
    let c = TestCluster::start().await;
    let addr = c.broker_addr();
    // Warm up: allocator arenas, the runtime, the group and topic tables.
    let warm = idle_clients(&addr, 50).await;
    let warm_pulls = park_pulls(&c, 50, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (h0, r0) = (heap(), rss());
    let keep = connect(addr).await;
    let members = || {
        c.brokers[0]
            .context()
            .clients()
            .producer_group("idle_pg")
            .len()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while members() < 50 + clients {
        assert!(std::time::Instant::now() < deadline, "{} joined", members());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (h1, r1) = (heap(), rss());
    let parked = park_pulls(&c, pulls, 4).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (h2, r2) = (heap(), rss());
    drop((keep, warm, warm_pulls, parked));
    c.shutdown().await;
    Figures {
        clients,
        client_heap: (h1 - h0) / clients as isize,
        client_rss: (r1 - r0) / clients as isize,
        pulls,
        // Minus the 4 connections the pulls came on.
        pull_heap: (h2 - h1) / pulls as isize,
        pull_rss: (r2 - r1) / pulls as isize,
    }
}

/// An idle client costs the broker its connection and its membership in two groups; a parked
/// pull only its decoded header and the channel handle (never its body).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_clients_and_parked_pulls_are_bounded() {
    raise_fd_limit();
    let (clients, pulls) = (2_000, 10_000);
    let f = measure(clients, pulls, |addr| async move {
        idle_clients(&addr, clients).await
    })
    .await;
    println!("{f}");
    assert!(f.client_heap < 24 * 1024, "{f}");
    assert!(f.pull_heap < 2 * 1024, "{f}");
}

/// The client side of `memory_10k`, run in a child process.
#[tokio::test]
#[ignore = "helper process of memory_10k"]
async fn memory_client() {
    let Ok(addr) = std::env::var("FERROMQ_MEM_ADDR") else {
        return;
    };
    raise_fd_limit();
    let n: usize = std::env::var("FERROMQ_MEM_N").unwrap().parse().unwrap();
    let clients = idle_clients(&addr, n).await;
    println!("ready");
    let mut sink = String::new();
    let _ = tokio::task::spawn_blocking(move || std::io::stdin().read_line(&mut sink)).await;
    drop(clients);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "opens 10,000 connections; run by hand to print the figures"]
async fn memory_10k() {
    let (clients, pulls) = (10_000, 10_000);
    assert!(raise_fd_limit() > clients + 500, "open-file limit too low");
    let f = measure(clients, pulls, |addr| async move {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "memory_client", "--ignored", "--nocapture"])
            .env("FERROMQ_MEM_ADDR", &addr)
            .env("FERROMQ_MEM_N", clients.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("client process");
        let out = child.stdout.take().unwrap();
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
    println!("{f}");
}
