//! End-to-end behaviour of the message store: puts, pulls, batches, rollovers, reopen,
//! crash recovery, transactions, delay levels, index lookups, time lookups, I/O faults,
//! retention and the on-disk layout.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferromq_protocol::message::record::{MessageExt, RecordView};
use ferromq_protocol::message::sysflag::message as sysflag;
use ferromq_store::io::{DiskUsage, OsFs};
use ferromq_store::testing::FaultyFs;
use ferromq_store::*;

fn config(dir: &Path) -> StoreConfig {
    StoreConfig {
        mapped_file_size_commit_log: 64 * 1024,
        mapped_file_size_consume_queue: 20 * 50,
        max_hash_slot_num: 101,
        max_index_num: 400,
        flush_interval_consume_queue: Duration::from_millis(50),
        flush_interval_commit_log: Duration::from_millis(20),
        ..StoreConfig::with_root(dir)
    }
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn msg(topic: &str, queue_id: i32, body: &[u8], props: &str) -> MessageToStore {
    MessageToStore {
        topic: topic.into(),
        queue_id,
        flag: 0,
        body: Bytes::copy_from_slice(body),
        properties: props.into(),
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: addr("10.1.2.3:4567"),
        store_host: addr("127.0.0.1:10911"),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

fn pull_all(store: &MessageStore, topic: &str, q: i32) -> Vec<MessageExt> {
    let mut out = Vec::new();
    let mut off = store.min_offset_in_queue(topic, q);
    loop {
        let r = store.get_messages(topic, q, off, 32, 1 << 20, None);
        if r.status != GetMessageStatus::Found {
            break;
        }
        for b in &r.messages {
            out.push(MessageExt::decode(b).unwrap());
        }
        off = r.next_begin_offset;
    }
    out
}

#[test]
fn put_then_pull_with_statuses_and_filter() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path())).unwrap();
    let r = store.get_messages("T", 0, 0, 32, 1 << 20, None);
    assert_eq!(r.status, GetMessageStatus::NoMatchedLogicQueue);
    for i in 0..10 {
        let tag = if i % 2 == 0 { "TagA" } else { "TagB" };
        let p = store.put_message(&msg(
            "T",
            0,
            format!("body-{i}").as_bytes(),
            &format!("TAGS\u{1}{tag}\u{2}KEYS\u{1}k{i} shared\u{2}"),
        ));
        assert_eq!(p.status, PutMessageStatus::PutOk);
        assert_eq!(p.wait(), PutMessageStatus::PutOk);
        assert_eq!(p.append.as_ref().unwrap().queue_offset, i);
    }
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    assert_eq!(store.max_offset_in_queue("T", 0), 10);
    let r = store.get_messages("T", 0, 0, 4, 1 << 20, None);
    assert_eq!(r.status, GetMessageStatus::Found);
    assert_eq!(r.messages.len(), 4);
    assert_eq!(r.next_begin_offset, 4);
    let m = MessageExt::decode(&r.messages[2]).unwrap();
    assert_eq!(&m.body[..], b"body-2");
    assert_eq!(m.queue_offset, 2);
    assert_eq!(m.store_host, addr("127.0.0.1:10911"));
    assert_eq!(
        store.get_messages("T", 0, 10, 4, 1 << 20, None).status,
        GetMessageStatus::OffsetOverflowOne
    );
    let r = store.get_messages("T", 0, 12, 4, 1 << 20, None);
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::OffsetOverflowBadly, 10)
    );
    let f = TagCodeFilter {
        codes: vec![ferromq_protocol::hash::tag_code(Some("TagB"))],
    };
    let r = store.get_messages("T", 0, 0, 32, 1 << 20, Some(&f));
    assert_eq!(r.queue_offsets, vec![1, 3, 5, 7, 9]);
    let none = TagCodeFilter { codes: vec![42] };
    let r = store.get_messages("T", 0, 0, 32, 1 << 20, Some(&none));
    assert_eq!(r.status, GetMessageStatus::NoMatchedMessage);
    assert_eq!(r.next_begin_offset, 10);
    // Byte budget: at least one message, then stop.
    let r = store.get_messages("T", 0, 0, 32, 1, None);
    assert_eq!(r.messages.len(), 1);
    // Key lookups.
    let q = store.query_by_key("T", "k3", 10, 0, i64::MAX);
    assert_eq!(q.messages.len(), 1);
    assert_eq!(
        &MessageExt::decode(&q.messages[0]).unwrap().body[..],
        b"body-3"
    );
    assert_eq!(
        store
            .query_by_key("T", "shared", 64, 0, i64::MAX)
            .messages
            .len(),
        10
    );
    assert!(store
        .query_by_key("Other", "k3", 10, 0, i64::MAX)
        .messages
        .is_empty());
    let (_, by_phys) = store.message_by_phys_offset(m.commit_log_offset).unwrap();
    assert_eq!(by_phys, m);
    store.shutdown().unwrap();
    assert!(!dir.path().join("abort").exists());
}

#[test]
fn batches_rollovers_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let store = MessageStore::open(cfg.clone()).unwrap();
    let mut expected = Vec::new();
    for i in 0..40u32 {
        let body = vec![i as u8; 1500 + i as usize * 37];
        let p = store.put_message(&msg("R", 1, &body, "TAGS\u{1}x\u{2}"));
        assert_eq!(p.status, PutMessageStatus::PutOk);
        expected.push(body);
        if i % 10 == 0 {
            let batch = BatchToStore {
                topic: "R".into(),
                queue_id: 1,
                sys_flag: 0,
                born_timestamp: 1,
                born_host: addr("[::1]:5"),
                store_host: addr("127.0.0.1:10911"),
                reconsume_times: 0,
                messages: (0..3)
                    .map(|j| BatchMessage {
                        flag: j,
                        body: Bytes::from(vec![j as u8; 900]),
                        properties: Bytes::from_static(b"K\x01v\x02"),
                    })
                    .collect(),
            };
            let p = store.put_batch(&batch);
            assert_eq!(p.status, PutMessageStatus::PutOk);
            let a = p.append.unwrap();
            assert_eq!(a.msg_count, 3);
            assert_eq!(a.phys_offsets.len(), 3);
            assert_eq!(a.queue_offset as usize, expected.len());
            for j in 0..3 {
                expected.push(vec![j as u8; 900]);
            }
        }
    }
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    let got = pull_all(&store, "R", 1);
    assert_eq!(
        got.iter().map(|m| m.body.to_vec()).collect::<Vec<_>>(),
        expected
    );
    assert!(got.iter().any(|m| m.sys_flag & sysflag::BORNHOST_V6 != 0));
    let files: Vec<_> = std::fs::read_dir(dir.path().join("commitlog"))
        .unwrap()
        .collect();
    assert!(files.len() > 1, "rolled over");
    store.shutdown().unwrap();
    drop(store);
    let store = MessageStore::open(cfg).unwrap();
    assert!(!store.recovery_report().abnormal);
    let again = pull_all(&store, "R", 1);
    assert_eq!(again, got);
    // Appends continue with the next queue offset.
    let p = store.put_message(&msg("R", 1, b"after", ""));
    assert_eq!(p.append.unwrap().queue_offset as usize, expected.len());
    store.shutdown().unwrap();
}

#[test]
fn crash_recovery_rebuilds_queues_and_index() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let store = MessageStore::open(cfg.clone()).unwrap();
    for i in 0..100 {
        store.put_message(&msg(
            "C",
            i % 3,
            &[i as u8; 700],
            &format!("KEYS\u{1}key{i}\u{2}UNIQ_KEY\u{1}U{i}\u{2}"),
        ));
    }
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    let before: Vec<_> = (0..3).map(|q| pull_all(&store, "C", q)).collect();
    drop(store); // no shutdown: abort marker stays
    assert!(dir.path().join("abort").exists());
    // Lose every ConsumeQueue and index file: recovery must rebuild them from the CommitLog.
    std::fs::remove_dir_all(dir.path().join("consumequeue")).unwrap();
    std::fs::remove_dir_all(dir.path().join("index")).unwrap();
    let _ = std::fs::remove_file(dir.path().join("checkpoint"));
    let store = MessageStore::open(cfg).unwrap();
    assert!(store.recovery_report().abnormal);
    let after: Vec<_> = (0..3).map(|q| pull_all(&store, "C", q)).collect();
    assert_eq!(before, after);
    let (_, m) = store.message_by_uniq_key("C", "U42").unwrap();
    assert_eq!(&m.body[..], &[42u8; 700][..]);
    assert_eq!(
        store
            .query_by_key("C", "key7", 5, 0, i64::MAX)
            .messages
            .len(),
        1
    );
    store.shutdown().unwrap();
}

#[test]
fn corrupt_byte_truncates_from_there() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let store = MessageStore::open(cfg.clone()).unwrap();
    let mut offs = Vec::new();
    for i in 0..30 {
        let p = store.put_message(&msg("X", 0, &[i as u8; 500], ""));
        offs.push(p.append.unwrap().phys_offset);
    }
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    drop(store);
    // Flip a body byte of message 20 (in the last file).
    let victim = offs[20] as u64;
    let file_start = victim / cfg.mapped_file_size_commit_log * cfg.mapped_file_size_commit_log;
    let path = dir
        .path()
        .join("commitlog")
        .join(format!("{file_start:020}"));
    let mut data = std::fs::read(&path).unwrap();
    let pos = (victim - file_start) as usize + 120;
    data[pos] ^= 0xFF;
    std::fs::write(&path, &data).unwrap();
    let store = MessageStore::open(cfg).unwrap();
    assert_eq!(store.max_phys_offset(), offs[20]);
    assert_eq!(store.max_offset_in_queue("X", 0), 20);
    let got = pull_all(&store, "X", 0);
    assert_eq!(got.len(), 20);
    assert!(store.recovery_report().truncated_bytes > 0);
    // New appends reuse the queue offsets and the region, and survive another crash.
    let p = store.put_message(&msg("X", 0, b"new", ""));
    assert_eq!(p.append.as_ref().unwrap().queue_offset, 20);
    assert_eq!(p.append.unwrap().phys_offset, offs[20]);
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    drop(store);
    let store = MessageStore::open(config(dir.path())).unwrap();
    let got = pull_all(&store, "X", 0);
    assert_eq!(got.len(), 21, "old records past the cut must not come back");
    assert_eq!(&got[20].body[..], b"new");
    store.shutdown().unwrap();
}

#[test]
fn transactions_and_delay_levels() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path())).unwrap();
    let mut half = msg("TX", 0, b"half", "TRAN_MSG\u{1}true\u{2}");
    half.sys_flag = sysflag::TRANSACTION_PREPARED_TYPE;
    let p = store.put_message(&half);
    assert_eq!(p.append.as_ref().unwrap().queue_offset, 0);
    let half_phys = p.append.unwrap().phys_offset;
    let mut commit = msg("TX", 0, b"commit", "");
    commit.sys_flag = sysflag::TRANSACTION_COMMIT_TYPE;
    commit.prepared_transaction_offset = half_phys;
    assert_eq!(store.put_message(&commit).append.unwrap().queue_offset, 0);
    let d = store.put_message(&msg(
        "SCHEDULE_TOPIC_XXXX",
        2,
        b"later",
        "DELAY\u{1}3\u{2}REAL_TOPIC\u{1}T\u{2}",
    ));
    let store_ts = d.append.unwrap().store_timestamp;
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    let got = pull_all(&store, "TX", 0);
    assert_eq!(got.len(), 1);
    assert_eq!(&got[0].body[..], b"commit");
    assert_eq!(got[0].prepared_transaction_offset, half_phys);
    // A PREPARED half has no ConsumeQueue entry to vouch that a record starts there, so
    // the client-facing lookup does not return it (the broker keeps halves in
    // RMQ_SYS_TRANS_HALF_TOPIC as ordinary records); the raw bytes are still there.
    assert!(store.message_by_phys_offset(half_phys).is_none());
    let raw = store
        .record_bytes(half_phys, record_size_at(&store, half_phys))
        .unwrap();
    assert_eq!(&MessageExt::decode(&raw).unwrap().body[..], b"half");
    // Delay level 3 = 10 s: the CQ tag code is the delivery time.
    let f = TagCodeFilter {
        codes: vec![store_ts + 10_000],
    };
    let r = store.get_messages("SCHEDULE_TOPIC_XXXX", 2, 0, 8, 1 << 20, Some(&f));
    assert_eq!(r.status, GetMessageStatus::Found);
    store.shutdown().unwrap();
}

#[test]
fn arrival_listener_and_offset_by_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path())).unwrap();
    let seen = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let s2 = seen.clone();
    store.set_arrival_listener(Some(Arc::new(move |a: &Arrival<'_>| {
        s2.lock().push((
            a.topic.to_string(),
            a.queue_id,
            a.queue_offset,
            a.max_offset,
            a.tag_code,
        ));
    })));
    let mut stamps = Vec::new();
    for i in 0..6 {
        let p = store.put_message(&msg("L", 0, &[i], "TAGS\u{1}TagA\u{2}"));
        stamps.push(p.append.unwrap().store_timestamp);
        std::thread::sleep(Duration::from_millis(15));
    }
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    let seen = seen.lock().clone();
    assert_eq!(seen.len(), 6);
    assert_eq!(seen[5], ("L".to_string(), 0, 5, 6, 2598919));
    assert_eq!(
        store.offset_by_time("L", 0, stamps[3], BoundaryType::Lower),
        3
    );
    assert_eq!(
        store.offset_by_time("L", 0, stamps[3] + 1, BoundaryType::Lower),
        4
    );
    assert_eq!(
        store.offset_by_time("L", 0, stamps[3] + 1, BoundaryType::Upper),
        3
    );
    assert_eq!(store.offset_by_time("L", 0, 0, BoundaryType::Lower), 0);
    assert_eq!(
        store.offset_by_time("L", 0, i64::MAX, BoundaryType::Lower),
        6
    );
    assert_eq!(
        store.earliest_message_time_in_queue("L", 0),
        Some(stamps[0])
    );
    assert_eq!(store.earliest_message_time(), Some(stamps[0]));
    assert_eq!(store.queue_ids("L"), vec![0]);
    assert!(store.is_in_memory(store.max_phys_offset() - 10, 10));
    assert!(store.delete_topic("L").unwrap());
    assert_eq!(store.max_offset_in_queue("L", 0), 0);
    let st = store.stats();
    assert_eq!(st.put_messages, 6);
    store.shutdown().unwrap();
}

#[test]
fn raw_append_replicates_a_log() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let a = MessageStore::open(config(dir_a.path())).unwrap();
    let b = MessageStore::open(config(dir_b.path())).unwrap();
    for i in 0..60 {
        a.put_message(&msg("H", i % 2, &[i as u8; 1200], "KEYS\u{1}h\u{2}"));
    }
    let mut at = 0i64;
    while at < a.max_phys_offset() {
        let chunk = a.read_raw(at, 32 * 1024).unwrap();
        b.append_raw(at as u64, &chunk).unwrap();
        at += chunk.len() as i64;
    }
    assert!(b.append_raw(5, b"x").is_err(), "must append at the end");
    assert!(b.wait_dispatched(Duration::from_secs(5)));
    assert!(a.wait_dispatched(Duration::from_secs(5)));
    for q in 0..2 {
        assert_eq!(pull_all(&a, "H", q), pull_all(&b, "H", q));
    }
    a.shutdown().unwrap();
    b.shutdown().unwrap();
}

/// A new slave of a master with history starts at the master's last file (Java's rule for
/// a slave that reports offset 0); its queues then begin where that file does, and a
/// restart keeps the log's new start.
#[test]
fn an_empty_log_starts_at_the_first_raw_file() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let a = MessageStore::open(config(dir_a.path())).unwrap();
    for i in 0..200 {
        a.put_message(&msg("S", 0, &[i as u8; 1000], ""));
    }
    let file = 64 * 1024i64;
    let max = a.max_phys_offset();
    let start = max - max % file;
    assert!(start >= 2 * file, "the master rolled files");
    let b = MessageStore::open(config(dir_b.path())).unwrap();
    assert!(
        b.append_raw(start as u64 + 1, b"x").is_err(),
        "only a file start"
    );
    let mut at = start;
    while at < max {
        let chunk = a.read_raw(at, 32 * 1024).unwrap();
        b.append_raw(at as u64, &chunk).unwrap();
        at += chunk.len() as i64;
    }
    assert_eq!(b.max_phys_offset(), max);
    assert_eq!(b.min_phys_offset(), start);
    assert!(b.wait_dispatched(Duration::from_secs(5)));
    let tail = pull_all(&b, "S", 0);
    assert!(!tail.is_empty());
    assert_eq!(tail.last(), pull_all(&a, "S", 0).last());
    b.shutdown().unwrap();
    drop(b);
    let b = MessageStore::open(config(dir_b.path())).unwrap();
    assert_eq!(b.max_phys_offset(), max);
    assert_eq!(b.min_phys_offset(), start);
    b.shutdown().unwrap();
    a.shutdown().unwrap();
}

#[test]
fn sync_flush_group_commit_and_wait_false() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = StoreConfig {
        flush_disk_type: FlushDiskType::SyncFlush,
        ..config(dir.path())
    };
    let store = MessageStore::open(cfg).unwrap();
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let s = store.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let p = s.put_message(&msg("S", t, &[i; 100], ""));
                    assert_eq!(p.wait(), PutMessageStatus::PutOk);
                    assert!(s.flushed_phys_offset() > p.append.unwrap().phys_offset);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let p = store.put_message(&msg("S", 0, b"nowait", "WAIT\u{1}false\u{2}"));
    assert_eq!(p.durable.try_status(), Some(PutMessageStatus::PutOk));
    store.shutdown().unwrap();
}

#[test]
fn injected_faults_give_clear_errors_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (fs, faults) = FaultyFs::new(Arc::new(OsFs));
    let cfg = StoreConfig {
        flush_disk_type: FlushDiskType::SyncFlush,
        preallocate_next_file: false,
        ..config(dir.path())
    };
    let store = MessageStore::open_with(cfg.clone(), Arc::new(fs.clone())).unwrap();
    let mut acked = Vec::new();
    // Fill the first file, then make creating the next one fail with ENOSPC.
    faults.enospc_on_create.store(true, Ordering::SeqCst);
    let mut saw_disk_full = false;
    for i in 0..200u32 {
        let p = store.put_message(&msg("F", 0, &i.to_be_bytes().repeat(200), ""));
        match p.wait() {
            PutMessageStatus::PutOk => acked.push(i),
            PutMessageStatus::DiskFull => {
                saw_disk_full = true;
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        saw_disk_full,
        "ENOSPC on file creation is reported as disk full"
    );
    // Reads keep working.
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    assert_eq!(pull_all(&store, "F", 0).len(), acked.len());
    // Space comes back: appends resume.
    faults.enospc_on_create.store(false, Ordering::SeqCst);
    let p = store.put_message(&msg("F", 0, b"resumed", ""));
    assert_eq!(p.wait(), PutMessageStatus::PutOk);
    acked.push(u32::MAX);
    // EIO on fsync: never OK; the store then refuses writes.
    faults.eio_on_sync.store(true, Ordering::SeqCst);
    let p = store.put_message(&msg("F", 0, b"doomed", ""));
    assert_eq!(
        p.status,
        PutMessageStatus::PutOk,
        "appended to the page cache"
    );
    assert_eq!(p.wait(), PutMessageStatus::UnknownError);
    let p = store.put_message(&msg("F", 0, b"refused", ""));
    assert_eq!(p.status, PutMessageStatus::ServiceNotAvailable);
    assert!(store
        .not_writeable_reason()
        .unwrap()
        .contains("flush failed"));
    assert_eq!(store.stats().flush_failures, 1);
    faults.eio_on_sync.store(false, Ordering::SeqCst);
    drop(store);
    // Everything acknowledged is there after reopening.
    let store = MessageStore::open_with(cfg, Arc::new(fs)).unwrap();
    let got = pull_all(&store, "F", 0);
    assert!(got.len() > acked.len() - 1);
    assert_eq!(&got[acked.len() - 1].body[..], b"resumed");
    store.shutdown().unwrap();
}

#[test]
fn disk_full_by_ratio_refuses_writes_keeps_reads() {
    let dir = tempfile::tempdir().unwrap();
    let (fs, faults) = FaultyFs::new(Arc::new(OsFs));
    let store = MessageStore::open_with(config(dir.path()), Arc::new(fs)).unwrap();
    store.put_message(&msg("D", 0, b"one", ""));
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    *faults.disk_usage.lock() = Some(usage_with_free_percent(5));
    store.run_retention();
    assert_eq!(
        store.put_message(&msg("D", 0, b"two", "")).status,
        PutMessageStatus::DiskFull
    );
    assert_eq!(pull_all(&store, "D", 0).len(), 1);
    *faults.disk_usage.lock() = Some(usage_with_free_percent(50));
    store.run_retention();
    assert_eq!(
        store.put_message(&msg("D", 0, b"two", "")).status,
        PutMessageStatus::PutOk
    );
    store.shutdown().unwrap();
}

/// Size of the record at `phys`, from its header.
fn record_size_at(store: &MessageStore, phys: i64) -> usize {
    let head = store.read_raw(phys, 4).unwrap();
    i32::from_be_bytes(head[..4].try_into().unwrap()) as usize
}

/// A 100 GiB disk with `free` GiB free (reservations of a few MiB do not move its ratio).
fn usage_with_free_percent(free: u64) -> DiskUsage {
    DiskUsage {
        total_bytes: 100 << 30,
        free_bytes: free << 30,
    }
}

fn set_mtime(path: &Path, secs_ago: i64) {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let t = libc::timespec {
        tv_sec: now - secs_ago,
        tv_nsec: 0,
    };
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    let rc = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), [t, t].as_ptr(), 0) };
    assert_eq!(rc, 0);
}

#[test]
fn retention_deletes_expired_files_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let (fs, faults) = FaultyFs::new(Arc::new(OsFs));
    let cfg = StoreConfig {
        delete_when: "99".into(),
        file_reserved_time_hours: 1,
        ..config(dir.path())
    };
    let store = MessageStore::open_with(cfg, Arc::new(fs)).unwrap();
    for i in 0..200u32 {
        store.put_message(&msg(
            "E",
            0,
            &[i as u8; 1000],
            &format!("KEYS\u{1}e{i}\u{2}"),
        ));
    }
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    let files: Vec<_> = {
        let mut v: Vec<_> = std::fs::read_dir(dir.path().join("commitlog"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    };
    assert!(files.len() >= 3);
    // Not the hour, disk fine, files fresh: nothing happens.
    *faults.disk_usage.lock() = Some(usage_with_free_percent(60));
    store.run_retention();
    assert_eq!(store.min_phys_offset(), 0);
    // Two old files, disk above 75 %: both expired ones go, the fresh ones stay.
    set_mtime(&files[0], 7200);
    set_mtime(&files[1], 7200);
    *faults.disk_usage.lock() = Some(usage_with_free_percent(20));
    store.run_retention();
    assert_eq!(
        store.stats().deleted_files[DeleteReason::ExpiredDiskOverMaxRatio.index()],
        2
    );
    assert!(!files[0].exists() && !files[1].exists() && files[2].exists());
    assert_eq!(store.min_phys_offset(), 2 * 64 * 1024);
    let min_q = store.min_offset_in_queue("E", 0);
    assert!(min_q > 0);
    let r = store.get_messages("E", 0, 0, 8, 1 << 20, None);
    assert_eq!(
        (r.status, r.next_begin_offset),
        (GetMessageStatus::OffsetTooSmall, min_q)
    );
    let first = store.get_messages("E", 0, min_q, 1, 1 << 20, None);
    assert_eq!(first.status, GetMessageStatus::Found);
    assert!(store
        .query_by_key("E", "e0", 4, 0, i64::MAX)
        .messages
        .is_empty());
    // Disk nearly full: forced clean of unexpired files (never the newest).
    *faults.disk_usage.lock() = Some(usage_with_free_percent(12));
    store.run_retention();
    assert!(store.stats().deleted_files[DeleteReason::ForcedDiskNearlyFull.index()] >= 1);
    assert!(files.last().unwrap().exists());
    store.shutdown().unwrap();
}

#[test]
fn directory_layout_is_javas() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let store = MessageStore::open(cfg.clone()).unwrap();
    assert!(dir.path().join("abort").exists());
    assert!(
        MessageStore::open(cfg.clone()).is_err(),
        "second open is locked out"
    );
    let p = store.put_message(&msg("Lay", 3, b"abc", "KEYS\u{1}k\u{2}"));
    let ts = p.append.unwrap().store_timestamp;
    store.shutdown().unwrap();
    drop(store);
    let cl = dir.path().join("commitlog").join("00000000000000000000");
    assert_eq!(std::fs::metadata(&cl).unwrap().len(), 64 * 1024);
    let cq = dir.path().join("consumequeue/Lay/3/00000000000000000000");
    let cqb = std::fs::read(&cq).unwrap();
    assert_eq!(cqb.len(), 1000);
    assert_eq!(&cqb[0..8], &0i64.to_be_bytes());
    let rec = std::fs::read(&cl).unwrap();
    let v = RecordView::parse(&rec).unwrap();
    assert_eq!(&cqb[8..12], &(v.total_size() as i32).to_be_bytes());
    assert_eq!(v.store_timestamp, ts);
    let cp = std::fs::read(dir.path().join("checkpoint")).unwrap();
    assert_eq!(cp.len(), 4096);
    assert_eq!(
        i64::from_be_bytes(cp[0..8].try_into().unwrap()),
        ts,
        "physicMsgTimestamp"
    );
    assert_eq!(
        i64::from_be_bytes(cp[8..16].try_into().unwrap()),
        ts,
        "logicsMsgTimestamp"
    );
    let idx: Vec<_> = std::fs::read_dir(dir.path().join("index"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(idx.len(), 1);
    assert_eq!(idx[0].file_name().unwrap().len(), 17);
    assert_eq!(
        std::fs::metadata(&idx[0]).unwrap().len(),
        40 + 101 * 4 + 400 * 20
    );
    assert!(!dir.path().join("abort").exists());
}
