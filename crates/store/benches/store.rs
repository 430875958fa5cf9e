//! Storage benchmarks (figures in docs/benchmarks.md):
//! - `append_1k_async`: 1 KiB appends, ASYNC_FLUSH, one thread.
//! - `append_1k_sync_64`: 1 KiB appends, SYNC_FLUSH, 64 threads each waiting for durability.
//! - `read_seq_1gib`: pull a 1 GiB queue sequentially from the page cache, copying every
//!   record into a reused buffer (as a socket write would).
//! - `recover_after_crash`: open a store of `FERROMQ_BENCH_RECOVERY_GIB` (default 10) GiB of
//!   1 KiB records left by a crash, with the checkpoint, and with everything but the
//!   CommitLog lost (full scan, CRC check, rebuild of queues and index).
//!
//! Data goes under `FERROMQ_BENCH_DIR` (default: the system temp dir).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferromq_store::*;

fn bench_dir(name: &str) -> PathBuf {
    let base = std::env::var_os("FERROMQ_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let d = base.join(format!("ferromq-bench-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn msg(topic: &str, queue_id: i32, body: &Bytes) -> MessageToStore {
    let host: SocketAddr = "127.0.0.1:10911".parse().unwrap();
    MessageToStore {
        topic: topic.into(),
        queue_id,
        flag: 0,
        body: body.clone(),
        properties: "TAGS\u{1}TagA\u{2}UNIQ_KEY\u{1}7F0000010001000000000000000A\u{2}".into(),
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: host,
        store_host: host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

fn config(dir: &Path) -> StoreConfig {
    StoreConfig {
        message_index_enable: false,
        ..StoreConfig::with_root(dir)
    }
}

fn append_async(c: &mut Criterion) {
    let dir = bench_dir("async");
    let body = Bytes::from(vec![b'x'; 1024]);
    let m = msg("BenchAsync", 0, &body);
    let mut state: Option<Arc<MessageStore>> = None;
    let mut g = c.benchmark_group("append_1k_async");
    g.throughput(Throughput::Elements(1));
    g.sample_size(20)
        .measurement_time(Duration::from_secs(6))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("one_thread", |b| {
        let store = state.get_or_insert_with(|| MessageStore::open(config(&dir)).unwrap());
        b.iter(|| {
            let r = store.put_message(&m);
            debug_assert_eq!(r.status, PutMessageStatus::PutOk);
            r
        })
    });
    g.finish();
    if let Some(store) = state {
        store.shutdown().unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn append_sync(c: &mut Criterion) {
    let dir = bench_dir("sync");
    let mut state: Option<Arc<MessageStore>> = None;
    let body = Bytes::from(vec![b'y'; 1024]);
    let mut g = c.benchmark_group("append_1k_sync_64");
    g.throughput(Throughput::Elements(1));
    g.sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("64_appenders", |b| {
        let store = state.get_or_insert_with(|| {
            MessageStore::open(StoreConfig {
                flush_disk_type: FlushDiskType::SyncFlush,
                ..config(&dir)
            })
            .unwrap()
        });
        b.iter_custom(|iters| {
            let per = iters.div_ceil(64);
            let start = Instant::now();
            std::thread::scope(|s| {
                for t in 0..64 {
                    let store = &*store;
                    let m = msg("BenchSync", t % 8, &body);
                    s.spawn(move || {
                        for _ in 0..per {
                            let st = store.put_message(&m).wait();
                            assert_eq!(st, PutMessageStatus::PutOk);
                        }
                    });
                }
            });
            start.elapsed().mul_f64(iters as f64 / (per * 64) as f64)
        })
    });
    g.finish();
    if let Some(store) = state {
        store.shutdown().unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

struct ReadState {
    store: Arc<MessageStore>,
    max: i64,
    written: usize,
}

fn read_setup(dir: &Path) -> ReadState {
    let store = MessageStore::open(config(dir)).unwrap();
    let body = Bytes::from(vec![b'z'; 1024]);
    let m = msg("BenchRead", 0, &body);
    let mut written = 0usize;
    while written < 1 << 30 {
        let r = store.put_message(&m);
        written += r.append.unwrap().wrote_bytes as usize;
    }
    assert!(store.wait_dispatched(Duration::from_secs(60)));
    let max = store.max_offset_in_queue("BenchRead", 0);
    ReadState {
        store,
        max,
        written,
    }
}

fn read_seq(c: &mut Criterion) {
    let dir = bench_dir("read");
    let mut state: Option<ReadState> = None;
    let mut sink = vec![0u8; 1 << 20];
    let mut g = c.benchmark_group("read_seq_1gib");
    // 1 GiB of records plus their ~9 % of headers, rounded to what the setup writes.
    g.throughput(Throughput::Bytes(1 << 30));
    g.sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("pull_and_copy", |b| {
        let st = state.get_or_insert_with(|| read_setup(&dir));
        b.iter(|| {
            let mut off = 0;
            let mut bytes = 0usize;
            while off < st.max {
                let r = st
                    .store
                    .get_messages("BenchRead", 0, off, 32, 1 << 20, None);
                let mut at = 0;
                for rec in &r.messages {
                    if at + rec.len() > sink.len() {
                        at = 0;
                    }
                    sink[at..at + rec.len()].copy_from_slice(rec);
                    at += rec.len();
                    bytes += rec.len();
                }
                off = r.next_begin_offset;
            }
            assert_eq!(bytes, st.written);
            bytes
        })
    });
    g.finish();
    if let Some(st) = state {
        st.store.shutdown().unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn recover_setup(dir: &Path, cfg: &StoreConfig, gib: u64) -> u64 {
    let store = MessageStore::open(cfg.clone()).unwrap();
    let body = Bytes::from(vec![b'r'; 1024]);
    let total = gib << 30;
    let mut written = 0u64;
    let mut i = 0;
    while written < total {
        let r = store.put_message(&msg("BenchRecover", i % 16, &body));
        written += r.append.unwrap().wrote_bytes as u64;
        i += 1;
    }
    assert!(store.wait_dispatched(Duration::from_secs(600)));
    std::thread::sleep(Duration::from_secs(2)); // let the checkpoint catch up
    drop(store); // crash: the abort marker stays
    assert!(dir.join("abort").exists());
    written
}

fn recover(c: &mut Criterion) {
    let gib: u64 = std::env::var("FERROMQ_BENCH_RECOVERY_GIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let dir = bench_dir("recover");
    let cfg = StoreConfig {
        message_index_enable: true,
        ..StoreConfig::with_root(&dir)
    };
    let mut written: Option<u64> = None;
    let abort = dir.join("abort");
    let mut g = c.benchmark_group("recover_after_crash");
    g.throughput(Throughput::Bytes(gib << 30));
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    g.bench_function(format!("{gib}gib_with_checkpoint"), |b| {
        written.get_or_insert_with(|| recover_setup(&dir, &cfg, gib));
        b.iter_custom(|iters| {
            let mut t = Duration::ZERO;
            for _ in 0..iters {
                std::fs::write(&abort, b"").unwrap();
                let start = Instant::now();
                let s = MessageStore::open(cfg.clone()).unwrap();
                t += start.elapsed();
                assert!(s.recovery_report().abnormal);
                drop(s);
            }
            t
        })
    });
    g.bench_function(format!("{gib}gib_full_rebuild"), |b| {
        let w = *written.get_or_insert_with(|| recover_setup(&dir, &cfg, gib));
        b.iter_custom(|iters| {
            let mut t = Duration::ZERO;
            for _ in 0..iters {
                let _ = std::fs::remove_dir_all(dir.join("consumequeue"));
                let _ = std::fs::remove_dir_all(dir.join("index"));
                let _ = std::fs::remove_file(dir.join("checkpoint"));
                std::fs::write(&abort, b"").unwrap();
                let start = Instant::now();
                let s = MessageStore::open(cfg.clone()).unwrap();
                t += start.elapsed();
                let rep = s.recovery_report().clone();
                assert_eq!(rep.scan_from, 0);
                assert!(rep.end_offset >= w && rep.records_dispatched > 0);
                drop(s);
            }
            t
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, append_async, append_sync, read_seq, recover);
criterion_main!(benches);
