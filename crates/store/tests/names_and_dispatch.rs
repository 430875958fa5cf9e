//! Hostile names never become paths, and records that cannot be dispatched never stop the
//! dispatcher (nor the next start-up).

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use ferromq_store::io::OsFs;
use ferromq_store::testing::FaultyFs;
use ferromq_store::*;

const HOSTILE: &[&str] = &[
    "%DLQ%/../..",
    "..",
    ".",
    "",
    "a/b",
    "/abs",
    "%DLQ%a\u{0}",
    "a b",
    "a.b",
];

#[test]
fn hostile_topics_are_refused_and_delete_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path())).unwrap();
    assert!(store
        .put_message(&msg("T", 0, b"keep", ""))
        .status
        .is_stored());
    let long = "x".repeat(300);
    for t in HOSTILE.iter().copied().chain([long.as_str()]) {
        let p = store.put_message(&msg(t, 0, b"evil", ""));
        assert_eq!(p.status, PutMessageStatus::MessageIllegal, "put {t:?}");
    }
    assert_eq!(
        store.put_message(&msg("T", -1, b"x", "")).status,
        PutMessageStatus::MessageIllegal
    );
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    for t in HOSTILE.iter().copied().chain([long.as_str()]) {
        let e = store.delete_topic(t).unwrap_err();
        assert!(
            matches!(e, StoreError::InvalidTopic { .. }),
            "delete {t:?}: {e}"
        );
    }
    for d in ["commitlog", "consumequeue", "index"] {
        assert!(dir.path().join(d).exists(), "{d} survived");
    }
    assert_eq!(names(&dir.path().join("consumequeue")), vec!["T"]);
    assert_eq!(pull_all(&store, "T", 0).len(), 1);
    // A valid topic is deleted, and only its own directory.
    assert!(store.delete_topic("T").unwrap());
    assert!(names(&dir.path().join("consumequeue")).is_empty());
    assert!(dir.path().join("commitlog").exists());
    store.shutdown().unwrap();
}

#[test]
fn foreign_entries_in_consumequeue_are_skipped_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let cq = dir.path().join("consumequeue");
    let file = "00000000000000000000";
    for d in ["bad name/0", "T/01", "T/+2", "%DLQ%x/-1"] {
        std::fs::create_dir_all(cq.join(d)).unwrap();
        std::fs::write(cq.join(d).join(file), vec![0u8; 1000]).unwrap();
    }
    std::fs::write(cq.join("stray"), b"not a directory").unwrap();
    std::fs::write(cq.join("T").join("notes"), b"x").unwrap();
    let store = MessageStore::open(config(dir.path())).unwrap();
    assert!(store.topics().is_empty(), "{:?}", store.topics());
    assert!(store
        .put_message(&msg("T", 1, b"real", ""))
        .status
        .is_stored());
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    assert_eq!(pull_all(&store, "T", 1).len(), 1);
    assert_eq!(store.queue_ids("T"), vec![1]);
    store.shutdown().unwrap();
    drop(store);
    let store = MessageStore::open(config(dir.path())).unwrap();
    assert!(store.delete_topic("T").unwrap());
    store.shutdown().unwrap();
    for d in ["bad name/0", "%DLQ%x/-1"] {
        assert!(cq.join(d).join(file).exists(), "{d} kept");
    }
    assert!(cq.join("stray").exists());
}

#[test]
fn undispatchable_records_are_skipped_counted_and_survive_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let store = MessageStore::open(cfg.clone()).unwrap();
    assert!(store
        .put_message(&msg("T", 0, b"before", ""))
        .status
        .is_stored());
    // What a master (or an old broker) may have stored: names that cannot be queues, and
    // impossible queue offsets.
    append_record(&store, "%DLQ%a\u{0}", 0, 0, b"nul");
    append_record(&store, &"z".repeat(300), 0, 0, b"long");
    append_record(&store, "T", 0, -5, b"negative queue offset");
    append_record(&store, "T", 0, i64::MAX, b"queue offset past any file");
    append_record(&store, "T", 0, 1_000_000, b"gap of a million entries");
    let phys = store.max_phys_offset();
    let lie = record("T", 0, 1, phys + 64, b"physical offset field lies", "");
    store.append_raw(phys as u64, &lie).unwrap();
    for i in 0..5 {
        let p = store.put_message(&msg("T", 0, format!("after-{i}").as_bytes(), ""));
        assert!(p.status.is_stored());
    }
    assert!(
        store.wait_dispatched(Duration::from_secs(5)),
        "the dispatcher went past the bad records"
    );
    let bodies = |s: &MessageStore| -> Vec<Vec<u8>> {
        pull_all(s, "T", 0)
            .iter()
            .map(|m| m.body.to_vec())
            .collect()
    };
    let expected: Vec<Vec<u8>> = std::iter::once(b"before".to_vec())
        .chain((0..5).map(|i| format!("after-{i}").into_bytes()))
        .collect();
    assert_eq!(bodies(&store), expected);
    assert_eq!(store.stats().dispatch_skipped, 6);
    assert_eq!(store.max_offset_in_queue("T", 0), 6);
    // A crash: recovery replays every record, and skips the same ones.
    drop(store);
    let store = MessageStore::open(cfg.clone()).unwrap();
    assert!(store.recovery_report().abnormal);
    // Records of topics without a queue are skipped again; the others sit below the queue's
    // end and count as already dispatched.
    assert_eq!(store.stats().dispatch_skipped, 3);
    assert_eq!(bodies(&store), expected);
    let p = store.put_message(&msg("T", 0, b"after restart", ""));
    assert_eq!(p.append.unwrap().queue_offset, 6);
    store.shutdown().unwrap();
    drop(store);
    let store = MessageStore::open(cfg).unwrap();
    assert_eq!(bodies(&store).len(), 7);
    store.shutdown().unwrap();
}

#[test]
fn index_trouble_never_holds_up_the_queues() {
    let dir = tempfile::tempdir().unwrap();
    let (fs, faults) = FaultyFs::new(Arc::new(OsFs));
    let cfg = config(dir.path());
    *faults.enospc_on_create_in.lock() = Some(cfg.index_dir());
    let store = MessageStore::open_with(cfg.clone(), Arc::new(fs)).unwrap();
    for i in 0..50 {
        let p = store.put_message(&msg("I", 0, b"x", &format!("KEYS\u{1}k{i}\u{2}")));
        assert!(p.status.is_stored());
    }
    assert!(
        store.wait_dispatched(Duration::from_secs(5)),
        "no index file, queues still built"
    );
    assert_eq!(pull_all(&store, "I", 0).len(), 50);
    assert_eq!(store.stats().index_skipped, 50);
    assert_eq!(store.stats().dispatch_skipped, 0);
    assert!(store
        .query_by_key("I", "k1", 4, 0, i64::MAX)
        .messages
        .is_empty());
    // Space is back: indexing resumes (after the one-second pause between attempts).
    *faults.enospc_on_create_in.lock() = None;
    std::thread::sleep(Duration::from_millis(1100));
    store.put_message(&msg("I", 0, b"y", "KEYS\u{1}later\u{2}"));
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    assert_eq!(
        store
            .query_by_key("I", "later", 4, 0, i64::MAX)
            .messages
            .len(),
        1
    );
    store.shutdown().unwrap();
}

#[test]
fn a_queue_that_cannot_be_created_is_retried_and_never_blocks_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let (fs, faults) = FaultyFs::new(Arc::new(OsFs));
    let cfg = StoreConfig {
        preallocate_next_file: false,
        ..config(dir.path())
    };
    let store = MessageStore::open_with(cfg.clone(), Arc::new(fs.clone())).unwrap();
    assert!(store.put_message(&msg("A", 0, b"a", "")).status.is_stored());
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    // No space for a new queue file: the record waits, it is not skipped.
    faults.enospc_on_create.store(true, Ordering::SeqCst);
    assert!(store.put_message(&msg("N", 0, b"n", "")).status.is_stored());
    assert!(!store.wait_dispatched(Duration::from_millis(300)));
    assert!(store.stats().dispatch_retries > 0);
    assert_eq!(store.stats().dispatch_skipped, 0);
    assert_eq!(pull_all(&store, "A", 0).len(), 1, "reads keep working");
    faults.enospc_on_create.store(false, Ordering::SeqCst);
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    assert_eq!(pull_all(&store, "N", 0).len(), 1);
    // Stuck again at shutdown: shutdown still returns promptly.
    faults.enospc_on_create.store(true, Ordering::SeqCst);
    assert!(store.put_message(&msg("M", 0, b"m", "")).status.is_stored());
    let t = Instant::now();
    let _ = store.shutdown();
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    drop(store);
    // Start-up with the disk still full: the store opens, the record waits for space.
    let store = MessageStore::open_with(cfg.clone(), Arc::new(fs.clone())).unwrap();
    assert_eq!(pull_all(&store, "N", 0).len(), 1);
    assert!(!store.wait_dispatched(Duration::from_millis(200)));
    faults.enospc_on_create.store(false, Ordering::SeqCst);
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    assert_eq!(pull_all(&store, "M", 0).len(), 1);
    // The writer continues M's queue after the record recovery could not dispatch.
    let p = store.put_message(&msg("M", 0, b"m2", ""));
    assert_eq!(p.append.unwrap().queue_offset, 1);
    store.shutdown().unwrap();
}
