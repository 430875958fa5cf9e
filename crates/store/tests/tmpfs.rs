//! The reported failure on a real small file system: a 300 MB tmpfs, Java's default 420 MB
//! index file, and a disk that fills up. The test mounts (and unmounts) its own tmpfs; where
//! mounting is not permitted it says so loudly and passes.
//!
//! On tmpfs a write through a mapping into a page the file system cannot provide kills the
//! process with SIGBUS, so this test also proves that no writer touches unallocated pages.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::*;
use ferromq_store::testing::{fill_to, used_percent, Tmpfs};
use ferromq_store::*;

const MIB: u64 = 1 << 20;

#[test]
fn a_300mb_tmpfs_with_the_default_index_never_stops_dispatch_nor_loses_messages() {
    let fs = match Tmpfs::mount("300m") {
        Ok(fs) => fs,
        Err(e) => {
            eprintln!("SKIPPED: cannot mount tmpfs ({e})");
            return;
        }
    };
    let root = fs.path().join("store");
    let cfg = StoreConfig {
        mapped_file_size_commit_log: 4 * MIB,
        // Java's defaults: 6 MB queue files, 5,000,000 slots / 20,000,000 entries per index
        // file (420 MB), forced deletion above 85 %, writes refused above 90 %.
        mapped_file_size_consume_queue: StoreConfig::default().mapped_file_size_consume_queue,
        max_hash_slot_num: StoreConfig::default().max_hash_slot_num,
        max_index_num: StoreConfig::default().max_index_num,
        clean_resource_interval: Duration::from_millis(100),
        ..StoreConfig::with_root(&root)
    };
    let store = MessageStore::open(cfg.clone()).unwrap();

    // 1. 1,000 acknowledged messages reach their queues and the index.
    let t = Instant::now();
    for i in 0..1000u32 {
        let p = store.put_message(&msg(
            "T",
            (i % 4) as i32,
            &[i as u8; 1024],
            &format!("KEYS\u{1}k{i}\u{2}"),
        ));
        assert_eq!(p.status, PutMessageStatus::PutOk, "message {i}");
    }
    assert!(
        store.wait_dispatched(Duration::from_secs(10)),
        "dispatch stuck {} bytes behind",
        store.dispatch_behind_bytes()
    );
    let total: i64 = (0..4).map(|q| store.max_offset_in_queue("T", q)).sum();
    assert_eq!(total, 1000);
    assert_eq!(
        store
            .query_by_key("T", "k999", 4, 0, i64::MAX)
            .messages
            .len(),
        1
    );
    let data = store.disk_usage().unwrap().used_ratio_percent();
    eprintln!(
        "1,000 messages dispatched in {:?}; tmpfs {:.1} % used by blocks, {data:.1} % by data",
        t.elapsed(),
        used_percent(fs.path())
    );
    for _ in 0..3 {
        store.run_retention();
    }
    assert_eq!(
        store.stats().deleted_files,
        [0; 4],
        "nothing to delete at {data:.1} %"
    );

    // 2. Another tenant fills the disk: writes are refused, reads go on, nothing is lost.
    let filler = fill_to(fs.path(), 96.0);
    store.run_retention();
    let p = store.put_message(&msg("T", 0, b"refused", ""));
    assert_eq!(p.status, PutMessageStatus::DiskFull);
    let got: usize = (0..4).map(|q| pull_all(&store, "T", q).len()).sum();
    assert_eq!(got, 1000, "every acknowledged message is still there");
    std::fs::remove_file(&filler).unwrap();
    store.run_retention();
    let p = store.put_message(&msg("T", 0, b"accepted", ""));
    assert_eq!(
        p.status,
        PutMessageStatus::PutOk,
        "writes resume once space is freed"
    );

    // 3. The store fills the disk itself, under load: refusals or deletions, never a stuck
    // dispatcher, never a deleted file that was not dispatched.
    let t = Instant::now();
    let mut acked: BTreeMap<i64, u32> = BTreeMap::new();
    let mut refused = 0u32;
    let mut written = 0u64;
    let mut worst_lag = 0i64;
    let big = vec![9u8; 16 * 1024];
    let mut seq = 0u32;
    while written < 450 * MIB && t.elapsed() < Duration::from_secs(90) {
        seq += 1;
        let mut m = msg("F", 0, &big, "");
        m.body = bytes::Bytes::from([seq.to_be_bytes().as_slice(), &big[4..]].concat());
        let p = store.put_message(&m);
        match p.status {
            PutMessageStatus::PutOk => {
                acked.insert(p.append.unwrap().phys_offset, seq);
                written += big.len() as u64;
            }
            PutMessageStatus::DiskFull => {
                refused += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            other => panic!("put refused with {other:?}"),
        }
        worst_lag = worst_lag.max(store.dispatch_behind_bytes());
        assert!(store.min_phys_offset() <= store.dispatched_phys_offset());
    }
    assert!(store.wait_dispatched(Duration::from_secs(10)));
    // Forced deletion may still be running (the disk is past 85 %): read the queue first,
    // then check every acknowledged message above the minimum as it is *after* the read —
    // those were in the CommitLog all along (retention only ever removes the oldest files),
    // so the read must have found them. The read must follow the queue as a consumer does
    // (see `pull_all`): a pass deleting 10 files under it makes pulls return
    // MESSAGE_WAS_REMOVING, 800 entries at a time, before the live entries come; stopping
    // at the first one lost every message after it (about 1 run in 5 failed that way).
    let in_queue: BTreeMap<i64, u32> = pull_all(&store, "F", 0)
        .iter()
        .map(|m| {
            (
                m.commit_log_offset,
                u32::from_be_bytes(m.body[..4].try_into().unwrap()),
            )
        })
        .collect();
    let kept: Vec<_> = acked
        .range(store.min_phys_offset()..)
        .map(|(phys, seq)| (*phys, *seq))
        .collect();
    // Not vacuous: the newest CommitLog file is never deleted, and each file holds ~250 of
    // these messages.
    assert!(
        kept.len() >= 200,
        "only {} acknowledged messages left to check",
        kept.len()
    );
    for (phys, seq) in &in_queue {
        assert_eq!(acked.get(phys), Some(seq), "pulled message at {phys}");
    }
    for (phys, seq) in &kept {
        assert_eq!(
            in_queue.get(phys),
            Some(seq),
            "acknowledged message at {phys}"
        );
    }
    let st = store.stats();
    eprintln!(
        "wrote {} MiB in {:?}: {} acknowledged ({} still stored), {refused} refused, {} files deleted, \
         worst dispatch lag {worst_lag} bytes, tmpfs {:.1} % used by blocks, {:.1} % by data",
        written / MIB,
        t.elapsed(),
        acked.len(),
        kept.len(),
        st.deleted_files.iter().sum::<u64>(),
        used_percent(fs.path()),
        store.disk_usage().unwrap().used_ratio_percent()
    );
    assert_eq!(st.dispatch_skipped, 0);
    let t = Instant::now();
    store.shutdown().unwrap();
    assert!(t.elapsed() < Duration::from_secs(10));
    drop(store);
    let store = MessageStore::open(cfg).unwrap();
    assert!(store.max_offset_in_queue("F", 0) > 0);
    store.shutdown().unwrap();
}
