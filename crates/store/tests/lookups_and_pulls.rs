//! Lookups by client-supplied offsets and pulls with client-supplied limits: forged records
//! are not found, impossible values give `None` instead of panics, and a pull does bounded
//! work whatever it asks for.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ferromq_protocol::hash::tag_code;
use ferromq_store::*;

/// Offset of the body in a record with IPv4 hosts (protocol.md §4.2).
const BODY_AT: i64 = 88;

#[test]
fn a_record_forged_inside_a_body_is_not_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path())).unwrap();
    let real = store.put_message(&msg("T", 0, b"real", "")).append.unwrap();
    // The client knows where its next message lands, so it can aim a forged record at the
    // exact offset its body will have: same topic/queue/queue offset as a real message, or
    // the transaction half topic.
    let carrier_at = store.max_phys_offset();
    let forged_at = carrier_at + BODY_AT;
    let forged = record("T", 0, real.queue_offset, forged_at, b"forged", "");
    let carrier = store.put_message(&msg("T", 0, &forged, "")).append.unwrap();
    assert_eq!(carrier.phys_offset, carrier_at);
    let half_at = store.max_phys_offset();
    let half = record(
        "RMQ_SYS_TRANS_HALF_TOPIC",
        0,
        0,
        half_at + BODY_AT,
        b"h",
        "",
    );
    store.put_message(&msg("T", 0, &half, ""));
    // Not dispatched yet: the walk from the dispatched offset decides.
    let undispatched = store.message_by_phys_offset(forged_at);
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    assert!(
        undispatched.is_none(),
        "forged record found before dispatch"
    );
    assert!(store.message_by_phys_offset(forged_at).is_none());
    assert!(store.message_by_phys_offset(half_at + BODY_AT).is_none());
    // Real records are found, by the same call.
    let (_, m) = store.message_by_phys_offset(real.phys_offset).unwrap();
    assert_eq!(&m.body[..], b"real");
    let (_, m) = store.message_by_phys_offset(carrier_at).unwrap();
    assert_eq!(&m.body[..], &forged[..]);
    for bad in [
        -1,
        i64::MIN,
        i64::MAX,
        store.max_phys_offset(),
        1,
        real.phys_offset + 4,
    ] {
        assert!(store.message_by_phys_offset(bad).is_none(), "{bad}");
    }
    store.shutdown().unwrap();
}

#[test]
fn records_not_yet_dispatched_are_found_by_walking_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path())).unwrap();
    // Race the dispatcher: look every record up right after its put, many times. Whether
    // or not it was dispatched, it is found.
    for i in 0..300 {
        let a = store
            .put_message(&msg("W", 0, format!("w{i}").as_bytes(), ""))
            .append
            .unwrap();
        let (_, m) = store.message_by_phys_offset(a.phys_offset).unwrap();
        assert_eq!(m.queue_offset, i);
    }
    store.shutdown().unwrap();
}

#[test]
fn impossible_offsets_give_none_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path())).unwrap();
    store.put_message(&msg("T", 0, b"x", ""));
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    for phys in [-1, -100, i64::MIN] {
        assert!(
            store.record_bytes(phys, 10).is_none(),
            "record_bytes {phys}"
        );
        assert!(store.read_raw(phys, 1 << 20).is_none(), "read_raw {phys}");
        assert!(!store.is_in_memory(phys, 10));
    }
    assert!(store.record_bytes(0, usize::MAX).is_none());
    assert!(store.record_bytes(i64::MAX, 10).is_none());
    assert!(store.read_raw(i64::MAX, usize::MAX).is_none());
    assert!(store.read_raw(0, usize::MAX).is_some());
    store.is_in_memory(i64::MAX, usize::MAX);
    for off in [i64::MAX, i64::MAX / 20 + 1, -1, i64::MIN] {
        assert_eq!(store.commit_log_offset_in_queue("T", 0, off), None, "{off}");
        assert_eq!(store.message_store_timestamp("T", 0, off), None, "{off}");
        let r = store.get_messages("T", 0, off, usize::MAX, usize::MAX, None);
        assert_ne!(r.status, GetMessageStatus::Found, "{off}");
    }
    for ts in [i64::MIN, -1, 0, i64::MAX] {
        for b in [BoundaryType::Lower, BoundaryType::Upper] {
            let o = store.offset_by_time("T", 0, ts, b);
            assert!((0..=1).contains(&o), "{ts} {b:?} -> {o}");
        }
    }
    assert!(store
        .query_by_key("T", "k", usize::MAX, i64::MIN, i64::MAX)
        .messages
        .is_empty());
    store.shutdown().unwrap();
}

#[test]
fn a_filter_that_never_matches_scans_a_bounded_window_per_pull() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = StoreConfig {
        mapped_file_size_commit_log: 1 << 20,
        mapped_file_size_consume_queue: 20 * 1000,
        ..config(dir.path())
    };
    let store = MessageStore::open(cfg).unwrap();
    let n = 5000i64;
    for _ in 0..n {
        store.put_message(&msg("F", 0, b"x", "TAGS\u{1}TagA\u{2}"));
    }
    assert!(store.wait_dispatched(Duration::from_secs(10)));
    let none = TagCodeFilter {
        codes: vec![tag_code(Some("TagB"))],
    };
    // Java: max(maxFilterMessageSize 16000, maxMsgNums × 20) bytes of queue per pull; the
    // count is clamped to 1024 (the clients' largest pullBatchSize).
    for (count, window) in [(0, 800), (32, 800), (1000, 1000), (usize::MAX, 1024)] {
        let r = store.get_messages("F", 0, 10, count, usize::MAX, Some(&none));
        assert_eq!(r.status, GetMessageStatus::NoMatchedMessage, "{count}");
        assert_eq!(r.next_begin_offset, 10 + window, "max_count {count}");
        assert!(r.messages.is_empty());
    }
    // A consumer following next_begin_offset crosses the queue in a bounded number of pulls.
    let (mut off, mut pulls) = (0, 0);
    let t = Instant::now();
    while off < n {
        let r = store.get_messages("F", 0, off, usize::MAX, usize::MAX, Some(&none));
        assert!(r.next_begin_offset > off);
        off = r.next_begin_offset;
        pulls += 1;
    }
    assert_eq!(pulls, (n + 1023) / 1024);
    assert!(t.elapsed() < Duration::from_secs(5));
    // Without a filter, huge limits still return one transfer's worth.
    let r = store.get_messages("F", 0, 0, usize::MAX, usize::MAX, None);
    assert_eq!(r.messages.len(), 32);
    store.shutdown().unwrap();
}

#[test]
fn garbage_in_the_log_is_skipped_and_shutdown_returns() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path())).unwrap();
    store.put_message(&msg("G", 0, b"before", ""));
    let at = store.max_phys_offset() as u64;
    store.append_raw(at, &[0xAB; 100]).unwrap();
    // Nothing after garbage can be found within what was published with it; what comes
    // later starts at a known boundary.
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    append_record(&store, "G", 0, 1, b"after");
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    let got: Vec<_> = pull_all(&store, "G", 0)
        .iter()
        .map(|m| m.body.to_vec())
        .collect();
    assert_eq!(got, vec![b"before".to_vec(), b"after".to_vec()]);
    assert_eq!(store.stats().dispatch_skipped, 1);
    let (tx, rx) = std::sync::mpsc::channel();
    let s = store.clone();
    std::thread::spawn(move || tx.send(s.shutdown().is_ok()).unwrap());
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(true));
}

#[test]
fn geometry_that_would_divide_by_zero_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for cfg in [
        StoreConfig {
            max_hash_slot_num: 0,
            ..config(dir.path())
        },
        StoreConfig {
            max_index_num: 0,
            ..config(dir.path())
        },
        StoreConfig {
            mapped_file_size_consume_queue: 0,
            ..config(dir.path())
        },
        StoreConfig {
            mapped_file_size_commit_log: 0,
            ..config(dir.path())
        },
    ] {
        assert!(matches!(
            MessageStore::open(cfg),
            Err(StoreError::InvalidArgument(_))
        ));
    }
}
