//! A disk that fills up, deterministically: [`QuotaFs`] reports a small disk and answers
//! ENOSPC past it. Writes are refused with `DiskFull` before the disk is exhausted, every
//! acknowledged message stays readable, nothing undispatched is deleted, space held ahead of
//! writers does not count as used, writes resume once space is freed, shutdown returns.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use ferromq_store::io::{DiskUsage, OsFs};
use ferromq_store::testing::FaultyFs;
use ferromq_store::testing::{Quota, QuotaFs};
use ferromq_store::*;

const MIB: u64 = 1 << 20;

/// Acknowledged messages: (topic, queue) → queue offset → sequence number in the body.
type Acked = BTreeMap<(String, i32), BTreeMap<i64, u32>>;

fn body(seq: u32, len: usize) -> Vec<u8> {
    let mut b = seq.to_be_bytes().repeat(len / 4);
    b.truncate(len);
    b
}

fn seq_of(m: &ferromq_protocol::message::record::MessageExt) -> u32 {
    u32::from_be_bytes(m.body[..4].try_into().unwrap())
}

/// Puts from `threads` producers until each has been refused `refusals` times with
/// `DiskFull`. Any other failure fails the test.
fn fill(store: &MessageStore, threads: u32, body_len: usize, refusals: u32) -> (Acked, u32) {
    let acked = Mutex::new(Acked::new());
    let refused = std::sync::atomic::AtomicU32::new(0);
    let start = Instant::now();
    std::thread::scope(|sc| {
        for t in 0..threads {
            let (acked, refused) = (&acked, &refused);
            sc.spawn(move || {
                let mut seen = 0;
                let mut seq = t;
                while seen < refusals {
                    assert!(start.elapsed() < Duration::from_secs(120), "never full");
                    let (topic, q) = (format!("P{}", seq % 4), (seq / 4 % 2) as i32);
                    let keys = format!("KEYS\u{1}k{seq}\u{2}");
                    let p = store.put_message(&msg(&topic, q, &body(seq, body_len), &keys));
                    match p.status {
                        PutMessageStatus::PutOk => {
                            let qo = p.append.unwrap().queue_offset;
                            let mut a = acked.lock().unwrap();
                            a.entry((topic, q)).or_default().insert(qo, seq);
                        }
                        PutMessageStatus::DiskFull => {
                            seen += 1;
                            refused.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(Duration::from_millis(2));
                        }
                        other => panic!("put refused with {other:?}"),
                    }
                    seq += threads;
                }
            });
        }
    });
    (acked.into_inner().unwrap(), refused.into_inner())
}

/// Every acknowledged message is in its queue, in order, and found by its offset.
fn assert_all_readable(store: &MessageStore, acked: &Acked) {
    for ((topic, q), msgs) in acked {
        let got = pull_all(store, topic, *q);
        let got: BTreeMap<i64, u32> = got.iter().map(|m| (m.queue_offset, seq_of(m))).collect();
        assert_eq!(&got, msgs, "queue {topic}/{q}");
    }
}

fn assert_never_wrote_unallocated(quota: &Quota) {
    assert_eq!(
        quota.writes_past_allocation.load(Ordering::SeqCst),
        0,
        "a write touched pages that had no blocks: SIGBUS on a real full disk"
    );
}

fn small_files(dir: &std::path::Path) -> StoreConfig {
    StoreConfig {
        mapped_file_size_commit_log: MIB,
        mapped_file_size_consume_queue: 20 * 1000,
        max_hash_slot_num: 1000,
        max_index_num: 4000,
        clean_resource_interval: Duration::from_millis(50),
        prefault_window: 256 * 1024,
        ..config(dir)
    }
}

#[test]
fn a_full_disk_refuses_writes_and_loses_no_acknowledged_message() {
    let dir = tempfile::tempdir().unwrap();
    let (fs, quota) = QuotaFs::new(Arc::new(OsFs), 32 * MIB);
    let cfg = StoreConfig {
        // Forced deletion is for the next test: here every acknowledged message must stay.
        clean_file_forcibly_enable: false,
        ..small_files(dir.path())
    };
    let store = MessageStore::open_with(cfg.clone(), Arc::new(fs.clone())).unwrap();
    let t = Instant::now();
    let (acked, refused) = fill(&store, 2, 2000, 20);
    let n: usize = acked.values().map(|m| m.len()).sum();
    let usage = store.disk_usage().unwrap();
    eprintln!(
        "filled in {:?}: {n} acknowledged, {refused} refused; quota {} of {} bytes used, data {:.1} %",
        t.elapsed(),
        quota.used(),
        quota.limit(),
        usage.used_ratio_percent()
    );
    assert!(n > 5000, "{n} messages of 2 KB fit 32 MiB");
    assert!(quota.used() <= quota.limit());
    // Reads keep working on the full disk, every acknowledged message reaches its queue.
    assert!(store.wait_dispatched(Duration::from_secs(10)));
    assert_all_readable(&store, &acked);
    let ((topic, q), first) = acked.iter().next().unwrap();
    let phys = store.commit_log_offset_in_queue(topic, *q, *first.keys().next().unwrap());
    assert!(store.message_by_phys_offset(phys.unwrap()).is_some());
    assert_eq!(store.stats().dispatch_skipped, 0);
    assert_eq!(store.stats().deleted_files, [0; 4]);
    // Space is freed: writes are accepted again and dispatched.
    quota.set_limit(64 * MIB);
    let t = Instant::now();
    let p = loop {
        let p = store.put_message(&msg("P0", 0, &body(u32::MAX, 100), ""));
        if p.status == PutMessageStatus::PutOk || t.elapsed() > Duration::from_secs(3) {
            break p;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(
        p.status,
        PutMessageStatus::PutOk,
        "writes resume after space is freed"
    );
    eprintln!("writes resumed {:?} after space was freed", t.elapsed());
    let mut acked = acked;
    acked
        .entry(("P0".into(), 0))
        .or_default()
        .insert(p.append.unwrap().queue_offset, u32::MAX);
    assert!(store.wait_dispatched(Duration::from_secs(10)));
    assert_all_readable(&store, &acked);
    let t = Instant::now();
    store.shutdown().unwrap();
    assert!(t.elapsed() < Duration::from_secs(5));
    drop(store);
    let store = MessageStore::open_with(cfg, Arc::new(fs)).unwrap();
    assert_all_readable(&store, &acked);
    store.shutdown().unwrap();
    assert_never_wrote_unallocated(&quota);
}

#[test]
fn space_held_ahead_of_writers_is_not_counted_as_used() {
    let dir = tempfile::tempdir().unwrap();
    let (fs, quota) = QuotaFs::new(Arc::new(OsFs), 14 * MIB);
    let cfg = StoreConfig {
        mapped_file_size_commit_log: 4 * MIB,
        // Java-sized look-ahead: the preparer allocates the whole next file.
        prefault_window: 64 * MIB,
        ..small_files(dir.path())
    };
    let store = MessageStore::open_with(cfg, Arc::new(fs)).unwrap();
    // 1,500 messages of 4 KB: a full file, the current one half written, the next prepared.
    for i in 0..1500 {
        let p = store.put_message(&msg("R", i % 2, &body(i as u32, 4000), "KEYS\u{1}r\u{2}"));
        assert_eq!(p.status, PutMessageStatus::PutOk, "message {i}");
    }
    assert!(store.wait_dispatched(Duration::from_secs(10)));
    // The preparer allocates the rest of the current file and the next one ahead.
    let t = Instant::now();
    while quota.used() * 100 < quota.limit() * 85 && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let raw = quota.used() as f64 * 100.0 / quota.limit() as f64;
    let data = store.disk_usage().unwrap().used_ratio_percent();
    eprintln!("blocks in use {raw:.1} %, data {data:.1} %");
    assert!(
        raw > 85.0,
        "reservations push real usage past the forced-deletion ratio"
    );
    assert!(data < 50.0, "but the data does not: {data:.1} %");
    for _ in 0..3 {
        store.run_retention();
    }
    assert_eq!(store.stats().deleted_files, [0; 4], "nothing deleted");
    assert!(!store.is_disk_full());
    let p = store.put_message(&msg("R", 0, b"more", ""));
    assert_eq!(p.status, PutMessageStatus::PutOk);
    let got: usize = (0..2).map(|q| pull_all(&store, "R", q).len()).sum();
    assert_eq!(got, 1501);
    store.shutdown().unwrap();
    assert_never_wrote_unallocated(&quota);
}

#[test]
fn deletion_never_removes_a_file_the_dispatcher_has_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let (fs, faults) = FaultyFs::new(Arc::new(OsFs));
    let cfg = config(dir.path());
    let store = MessageStore::open_with(cfg.clone(), Arc::new(fs)).unwrap();
    let put = |topic: &str, n: u32| {
        for i in 0..n {
            let p = store.put_message(&msg(topic, 0, &body(i, 6000), ""));
            assert_eq!(p.status, PutMessageStatus::PutOk);
        }
    };
    put("A", 40);
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    // The dispatcher is stuck on B's first record (its queue cannot be created).
    *faults.enospc_on_create_in.lock() = Some(cfg.consume_queue_dir().join("B"));
    put("B", 1);
    put("A", 40);
    assert!(!store.wait_dispatched(Duration::from_millis(200)));
    let stuck_at = store.dispatched_phys_offset();
    let files_before = names(&cfg.commit_log_dir());
    assert!(files_before.len() >= 8, "{files_before:?}");
    // The disk is nearly full: forced deletion of unexpired files.
    *faults.disk_usage.lock() = Some(DiskUsage {
        total_bytes: 100 << 30,
        free_bytes: 1 << 30,
    });
    store.run_retention();
    let deleted = store.stats().deleted_files[DeleteReason::ForcedDiskNearlyFull.index()];
    let file = 64 * 1024;
    assert_eq!(
        deleted,
        stuck_at as u64 / file,
        "only the files below the dispatched offset {stuck_at}"
    );
    assert!(store.min_phys_offset() <= stuck_at);
    // Once the queue can be created, every undispatched message reaches its queue.
    *faults.enospc_on_create_in.lock() = None;
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    assert_eq!(pull_all(&store, "B", 0).len(), 1);
    let a = pull_all(&store, "A", 0);
    assert!(
        a.iter()
            .all(|m| m.commit_log_offset >= store.min_phys_offset()),
        "queue starts at the oldest file kept"
    );
    assert!(
        a.len() >= 40,
        "the 40 messages put after the stall all remain"
    );
    store.shutdown().unwrap();
}
