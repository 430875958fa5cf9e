//! Controller mode's two store operations: cutting the CommitLog of a running store
//! (`truncate_to`) and dispatching only up to the confirm offset (`set_confirm_offset`).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use ferromq_store::*;

const FILE: i64 = 64 * 1024;

/// Puts `n` messages of ~1 KiB to topic `topic`, queues alternating 0/1, each with the key
/// `{tag}{i}`; returns (phys offset, size) of each.
fn put_n(store: &MessageStore, topic: &str, tag: &str, n: usize) -> Vec<(i64, i64)> {
    put_sized(store, topic, tag, n, 1000)
}

fn put_sized(
    store: &MessageStore,
    topic: &str,
    tag: &str,
    n: usize,
    len: usize,
) -> Vec<(i64, i64)> {
    (0..n)
        .map(|i| {
            let r = store.put_message(&msg(
                topic,
                (i % 2) as i32,
                format!("{tag}-{i}-{}", "x".repeat(len)).as_bytes(),
                &format!("KEYS\u{1}{tag}{i}\u{2}"),
            ));
            assert_eq!(r.status, PutMessageStatus::PutOk);
            let a = r.append.unwrap();
            (a.phys_offset, a.wrote_bytes as i64)
        })
        .collect()
}

fn bodies(store: &MessageStore, topic: &str, q: i32) -> Vec<(i64, String)> {
    pull_all(store, topic, q)
        .into_iter()
        .map(|m| {
            (
                m.queue_offset,
                String::from_utf8_lossy(&m.body)[..8].to_string(),
            )
        })
        .collect()
}

/// Start offsets of the CommitLog files on disk.
fn commitlog_files(dir: &Path) -> Vec<i64> {
    names(&dir.join("commitlog"))
        .iter()
        .map(|n| n.parse().unwrap())
        .collect()
}

/// Checks that no CommitLog file lies past the one holding `end`, but for the one the
/// preparer may have created after it.
fn no_files_past(dir: &Path, end: i64) {
    let last = end - end % FILE;
    let files = commitlog_files(dir);
    assert!(files.contains(&last), "{files:?}");
    assert!(files.iter().all(|&f| f <= last + FILE), "{files:?}");
}

fn refused(store: &MessageStore, offset: u64) {
    let max = store.max_phys_offset();
    let q = (
        store.max_offset_in_queue("T", 0),
        store.max_offset_in_queue("T", 1),
    );
    let e = store.truncate_to(offset).unwrap_err();
    assert!(matches!(e, StoreError::InvalidArgument(_)), "{offset}: {e}");
    assert_eq!(store.max_phys_offset(), max, "nothing changed");
    assert_eq!(
        (
            store.max_offset_in_queue("T", 0),
            store.max_offset_in_queue("T", 1)
        ),
        q
    );
}

#[test]
fn truncate_in_the_middle_of_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let store = MessageStore::open(cfg.clone()).unwrap();
    let put = put_n(&store, "T", "a", 30);
    assert!(put.last().unwrap().0 < FILE, "all in the first file");
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    let old_max = store.max_phys_offset();
    let cut = put[20].0;

    refused(&store, cut as u64 + 1);
    refused(&store, cut as u64 - 4);
    assert_eq!(store.truncate_to(old_max as u64).unwrap(), 0, "the end");
    assert_eq!(store.truncate_to(old_max as u64 + 100).unwrap(), 0);

    assert_eq!(
        store.truncate_to(cut as u64).unwrap(),
        (old_max - cut) as u64
    );
    assert_eq!(store.max_phys_offset(), cut);
    assert_eq!(store.dispatched_phys_offset(), cut);
    assert_eq!(store.max_offset_in_queue("T", 0), 10);
    assert_eq!(store.max_offset_in_queue("T", 1), 10);
    let r = store.get_messages("T", 0, 10, 32, 1 << 20, None);
    assert!(r.messages.is_empty(), "{:?}", r.status);
    assert!(store.commit_log_offset_in_queue("T", 0, 10).is_none());
    assert!(store.message_by_phys_offset(put[25].0).is_none());
    assert!(store.read_raw(cut, 1024).is_none());
    assert!(store
        .query_by_key("T", "a25", 8, 0, i64::MAX)
        .messages
        .is_empty());
    assert_eq!(
        store.query_by_key("T", "a5", 8, 0, i64::MAX).messages.len(),
        1
    );

    // New puts continue at the cut with the right queue offsets.
    let more = put_n(&store, "T", "b", 6);
    assert_eq!(more[0].0, cut);
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    let x = "x".repeat(10);
    let expect_q0: Vec<(i64, String)> = (0..10)
        .map(|i| (i, format!("a-{}-{x}", 2 * i)[..8].to_string()))
        .chain((0..3).map(|i| (10 + i, format!("b-{}-{x}", 2 * i)[..8].to_string())))
        .collect();
    assert_eq!(bodies(&store, "T", 0), expect_q0);
    assert_eq!(bodies(&store, "T", 1).len(), 13);
    assert_eq!(
        store.query_by_key("T", "b3", 8, 0, i64::MAX).messages.len(),
        1
    );
    let end = store.max_phys_offset();
    let q0 = bodies(&store, "T", 0);
    let q1 = bodies(&store, "T", 1);

    // A clean restart and a crash both come back to the same end and queues.
    store.shutdown().unwrap();
    drop(store);
    let store = MessageStore::open(cfg.clone()).unwrap();
    assert_eq!(store.max_phys_offset(), end);
    assert_eq!(bodies(&store, "T", 0), q0);
    assert_eq!(bodies(&store, "T", 1), q1);
    drop(store);
    let store = MessageStore::open(cfg).unwrap();
    assert!(store.recovery_report().abnormal);
    assert_eq!(store.max_phys_offset(), end);
    assert_eq!(bodies(&store, "T", 0), q0);
    assert_eq!(bodies(&store, "T", 1), q1);
    store.shutdown().unwrap();
}

#[test]
fn truncate_across_files_then_crash() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let store = MessageStore::open(cfg.clone()).unwrap();
    let put = put_n(&store, "T", "a", 200);
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    assert!(commitlog_files(dir.path()).len() >= 3);
    let min = store.min_phys_offset() as u64;

    // The end of the first file's last record is where its blank starts.
    let last0 = put.iter().rposition(|p| p.0 < FILE).unwrap();
    let blank = put[last0].0 + put[last0].1;
    assert!(blank < FILE);
    refused(&store, blank as u64 + 1);
    refused(&store, FILE as u64 + 3);

    // Cut in the second file: later files go.
    let i = put.iter().position(|p| p.0 > FILE + 20_000).unwrap();
    let cut = put[i].0 as u64;
    let old_max = store.max_phys_offset() as u64;
    assert_eq!(store.truncate_to(cut).unwrap(), old_max - cut);
    assert_eq!(store.max_phys_offset() as u64, cut);
    assert_eq!(store.min_phys_offset() as u64, min);
    no_files_past(dir.path(), cut as i64);
    assert_eq!(store.max_offset_in_queue("T", 0), i.div_ceil(2) as i64);
    assert_eq!(store.max_offset_in_queue("T", 1), (i / 2) as i64);

    // Then at a file start, then at the start of the first file's blank.
    assert_eq!(store.truncate_to(FILE as u64).unwrap(), cut - FILE as u64);
    assert_eq!(store.max_phys_offset(), FILE);
    assert_eq!(
        store.truncate_to(blank as u64).unwrap(),
        (FILE - blank) as u64
    );
    assert_eq!(store.max_phys_offset(), blank);
    no_files_past(dir.path(), blank);
    let n = last0 + 1;
    assert_eq!(store.max_offset_in_queue("T", 0), n.div_ceil(2) as i64);
    assert_eq!(store.max_offset_in_queue("T", 1), (n / 2) as i64);

    // Puts (too big for the rest of the first file) write a blank there, roll to a new
    // second file and continue the queues.
    let more = put_sized(&store, "T", "b", 100, 1200);
    assert_eq!(
        more[0].0, FILE,
        "no room in the first file: a blank, then the next"
    );
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    let q0 = bodies(&store, "T", 0);
    let q1 = bodies(&store, "T", 1);
    assert_eq!(q0.len(), n.div_ceil(2) + 50);
    assert_eq!(q1.len(), n / 2 + 50);
    for (k, (qo, _)) in q0.iter().enumerate() {
        assert_eq!(*qo, k as i64);
    }
    assert_eq!(q0[n.div_ceil(2)].1, "b-0-xxxx");
    let end = store.max_phys_offset();

    // Crash (no shutdown): recovery ends exactly there.
    drop(store);
    let store = MessageStore::open(cfg).unwrap();
    assert!(store.recovery_report().abnormal);
    assert_eq!(store.max_phys_offset(), end);
    assert_eq!(bodies(&store, "T", 0), q0);
    assert_eq!(bodies(&store, "T", 1), q1);
    assert_eq!(
        store.query_by_key("T", "b7", 8, 0, i64::MAX).messages.len(),
        1
    );
    assert!(store
        .query_by_key("T", &format!("a{}", last0 + 1), 8, 0, i64::MAX)
        .messages
        .is_empty());
    store.shutdown().unwrap();
}

#[test]
fn truncate_right_after_cut_without_appends_survives_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let store = MessageStore::open(cfg.clone()).unwrap();
    let put = put_n(&store, "T", "a", 150);
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    // Let the background flushes write queues and checkpoint past the cut.
    store.flush_all().unwrap();
    let cut = put[40].0 as u64;
    store.truncate_to(cut).unwrap();
    drop(store);
    let store = MessageStore::open(cfg).unwrap();
    assert_eq!(store.max_phys_offset() as u64, cut);
    assert_eq!(store.max_offset_in_queue("T", 0), 20);
    assert_eq!(store.max_offset_in_queue("T", 1), 20);
    assert_eq!(bodies(&store, "T", 1).len(), 20);
    store.shutdown().unwrap();
}

/// A broker that was master wrote records its new master never got: as a slave it cuts them
/// and copies the master's log from there.
#[test]
fn a_returning_slave_cuts_its_tail_and_replicates() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let a = MessageStore::open(config(dir_a.path())).unwrap();
    let copy = |a: &MessageStore, b: &MessageStore, from: i64, to: i64| {
        let mut at = from;
        while at < to {
            let chunk = a.read_raw(at, 16 * 1024).unwrap();
            b.append_raw(at as u64, &chunk).unwrap();
            at += chunk.len() as i64;
        }
    };
    put_n(&a, "T", "a", 60);
    let common_end = a.max_phys_offset();
    let b = MessageStore::open(config(dir_b.path())).unwrap();
    copy(&a, &b, 0, common_end);
    assert!(b.wait_dispatched(Duration::from_secs(5)));
    b.shutdown().unwrap();
    drop(b);
    // B restarts as master and writes on its own, then A becomes the new master.
    let b = MessageStore::open(config(dir_b.path())).unwrap();
    put_n(&b, "T", "own", 90);
    put_n(&a, "T", "new", 80);
    assert!(b.max_phys_offset() > FILE, "B's tail spans files");
    assert!(b.wait_dispatched(Duration::from_secs(5)));
    assert_eq!(b.max_offset_in_queue("T", 0), 75);

    b.truncate_to(common_end as u64).unwrap();
    assert_eq!(b.max_phys_offset(), common_end);
    assert_eq!(b.max_offset_in_queue("T", 0), 30);
    copy(&a, &b, common_end, a.max_phys_offset());
    assert!(a.wait_dispatched(Duration::from_secs(5)));
    assert!(b.wait_dispatched(Duration::from_secs(5)));
    for q in 0..2 {
        assert_eq!(pull_all(&a, "T", q), pull_all(&b, "T", q));
    }
    let (_, m) = b.message_by_phys_offset(common_end).unwrap();
    assert!(m.body.starts_with(b"new-0-"));
    drop(b);
    let b = MessageStore::open(config(dir_b.path())).unwrap();
    assert_eq!(b.max_phys_offset(), a.max_phys_offset());
    for q in 0..2 {
        assert_eq!(pull_all(&a, "T", q), pull_all(&b, "T", q));
    }
    a.shutdown().unwrap();
    b.shutdown().unwrap();
}

#[test]
fn truncate_below_the_log_start_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path())).unwrap();
    let start = 2 * FILE;
    let mut at = start;
    for i in 0..5 {
        let rec = record("T", 0, i, at, b"raw body", "");
        store.append_raw(at as u64, &rec).unwrap();
        at += rec.len() as i64;
    }
    assert_eq!(store.min_phys_offset(), start);
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    refused(&store, 0);
    refused(&store, start as u64 - 1);
    let second = record("T", 0, 0, 0, b"raw body", "").len() as u64;
    assert_eq!(
        store.truncate_to(start as u64 + second).unwrap(),
        4 * second
    );
    assert_eq!(store.max_offset_in_queue("T", 0), 1);
    assert_eq!(store.min_phys_offset(), start);
    // Everything, down to the log's start.
    assert_eq!(store.truncate_to(start as u64).unwrap(), second);
    assert_eq!(store.max_phys_offset(), start);
    assert_eq!(store.max_offset_in_queue("T", 0), 0);
    let rec = record("T", 0, 0, start, b"again", "");
    store.append_raw(start as u64, &rec).unwrap();
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    let got = pull_all(&store, "T", 0);
    assert_eq!(got.len(), 1);
    assert_eq!(&got[0].body[..], b"again");
    store.shutdown().unwrap();
}

#[test]
fn the_confirm_offset_gates_dispatching() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let store = MessageStore::open(cfg.clone()).unwrap();
    assert_eq!(store.confirm_offset(), None);
    store.set_confirm_offset(Some(0));
    assert_eq!(store.confirm_offset(), Some(0));
    let put = put_n(&store, "T", "a", 10);
    assert!(
        store.wait_dispatched(Duration::from_secs(5)),
        "the gate is the end"
    );
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(store.max_offset_in_queue("T", 0), 0);
    assert_eq!(store.dispatched_phys_offset(), 0);

    store.set_confirm_offset(Some(put[4].0 as u64));
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    assert_eq!(store.dispatched_phys_offset(), put[4].0);
    assert_eq!(store.max_offset_in_queue("T", 0), 2);
    assert_eq!(store.max_offset_in_queue("T", 1), 2);
    // A record starting below the limit is dispatched whole.
    store.set_confirm_offset(Some(put[4].0 as u64 + 1));
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    assert_eq!(store.dispatched_phys_offset(), put[5].0);
    assert_eq!(store.max_offset_in_queue("T", 0), 3);

    // Raising the limit wakes an idle dispatcher promptly.
    std::thread::sleep(Duration::from_millis(50));
    let t = Instant::now();
    store.set_confirm_offset(Some(put[8].0 as u64));
    while store.max_offset_in_queue("T", 0) < 4 {
        assert!(t.elapsed() < Duration::from_secs(2));
        std::thread::sleep(Duration::from_micros(100));
    }

    store.set_confirm_offset(None);
    assert_eq!(store.confirm_offset(), None);
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    assert_eq!(store.dispatched_phys_offset(), store.max_phys_offset());
    assert_eq!(bodies(&store, "T", 0).len(), 5);
    assert_eq!(bodies(&store, "T", 1).len(), 5);

    // Shutdown does not wait for records the gate holds back; the next start dispatches them.
    store.set_confirm_offset(Some(store.max_phys_offset() as u64));
    put_n(&store, "T", "b", 4);
    let t = Instant::now();
    store.shutdown().unwrap();
    assert!(t.elapsed() < Duration::from_millis(900));
    drop(store);
    let store = MessageStore::open(cfg).unwrap();
    assert_eq!(store.confirm_offset(), None);
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    assert_eq!(bodies(&store, "T", 0).len(), 7);
    store.shutdown().unwrap();
}

/// Records below the cut that the gate held back keep their queue offsets: puts after the
/// cut continue after them.
#[test]
fn truncate_behind_the_confirm_offset() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(config(dir.path())).unwrap();
    put_n(&store, "T", "a", 10);
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    let put = put_n(&store, "T", "b", 10);
    let cut = put[7].0 as u64;
    // A limit past the cut stays as it is; records up to the cut are dispatched later.
    store.set_confirm_offset(Some(put[3].0 as u64));
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    assert_eq!(store.max_offset_in_queue("T", 0), 7);
    store.truncate_to(cut).unwrap();
    assert_eq!(store.dispatched_phys_offset() as u64, put[3].0 as u64);
    assert_eq!(store.max_offset_in_queue("T", 0), 7);
    let r = store.put_message(&msg("T", 0, b"after", ""));
    assert_eq!(
        r.append.unwrap().queue_offset,
        9,
        "b-0, b-2, b-4, b-6 hold 5..8"
    );
    let r = store.put_message(&msg("T", 1, b"after", ""));
    assert_eq!(
        r.append.unwrap().queue_offset,
        8,
        "b-1, b-3, b-5 hold 5..7; b-7 was cut"
    );
    assert_eq!(store.confirm_offset(), Some(put[3].0 as u64));
    store.set_confirm_offset(None);
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    let q0 = pull_all(&store, "T", 0);
    assert_eq!(q0.len(), 10);
    assert_eq!(&q0[9].body[..], b"after");
    let q1 = pull_all(&store, "T", 1);
    let offs: Vec<i64> = q1.iter().map(|m| m.queue_offset).collect();
    assert_eq!(offs, (0..9).collect::<Vec<_>>());
    assert_eq!(&q1[8].body[..], b"after");
    store.shutdown().unwrap();
}

/// Queue entries of cut records are zeroed: fewer, larger records written after the cut
/// leave no old entry behind for a recovery to find.
#[test]
fn cut_queue_entries_do_not_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let store = MessageStore::open(cfg.clone()).unwrap();
    let put = put_n(&store, "T", "a", 40);
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    store.truncate_to(put[10].0 as u64).unwrap();
    for _ in 0..3 {
        let r = store.put_message(&msg("T", 0, &[7u8; 9000], ""));
        assert_eq!(r.status, PutMessageStatus::PutOk);
    }
    assert!(
        store.max_phys_offset() > put[30].0,
        "over old entries' offsets"
    );
    assert!(store.wait_dispatched(Duration::from_secs(5)));
    store.flush_all().unwrap();
    drop(store);
    let store = MessageStore::open(cfg).unwrap();
    assert_eq!(store.max_offset_in_queue("T", 0), 8);
    assert_eq!(store.max_offset_in_queue("T", 1), 5);
    assert_eq!(pull_all(&store, "T", 0).len(), 8);
    store.shutdown().unwrap();
}

/// Truncating while the dispatcher is still busy with the records being cut.
#[test]
fn truncate_while_dispatching() {
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let store = MessageStore::open(config(dir.path())).unwrap();
        let put = put_n(&store, "T", "a", 300);
        let i = 100 + round * 37;
        store.truncate_to(put[i].0 as u64).unwrap();
        assert!(store.wait_dispatched(Duration::from_secs(5)));
        assert_eq!(store.max_offset_in_queue("T", 0), i.div_ceil(2) as i64);
        assert_eq!(store.max_offset_in_queue("T", 1), (i / 2) as i64);
        let more = put_n(&store, "T", "b", 10);
        assert_eq!(more[0].0, put[i].0);
        assert!(store.wait_dispatched(Duration::from_secs(5)));
        for q in 0..2 {
            let got = pull_all(&store, "T", q);
            assert_eq!(got.len(), (i + 10 + 1 - q as usize) / 2, "round {round}");
            for (k, m) in got.iter().enumerate() {
                assert_eq!(m.queue_offset, k as i64);
            }
        }
        store.shutdown().unwrap();
    }
}

/// A slave whose master died mid-batch ends inside a record: before it serves as master (or
/// compares logs with a new master) the torn record goes, and the queue offsets of its next
/// puts follow what it copied.
#[test]
fn a_torn_replicated_tail_is_cut_and_puts_continue_the_queues() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let a = MessageStore::open(config(dir_a.path())).unwrap();
    let b = MessageStore::open(config(dir_b.path())).unwrap();
    let recs = put_n(&a, "T", "a", 10);
    // Everything but the last 100 bytes of the last record.
    let torn = a.max_phys_offset() - 100;
    let mut at = 0;
    while at < torn {
        let chunk = a.read_raw(at, (torn - at).min(4096) as usize).unwrap();
        b.append_raw(at as u64, &chunk).unwrap();
        at += chunk.len() as i64;
    }
    assert_eq!(b.max_phys_offset(), torn);
    let last_start = recs[9].0 as u64;
    assert_eq!(b.valid_end(), last_start);
    assert_eq!(b.truncate_invalid_tail().unwrap(), torn as u64 - last_start);
    assert_eq!(b.max_phys_offset() as u64, last_start);
    assert_eq!(
        b.truncate_invalid_tail().unwrap(),
        0,
        "nothing torn any more"
    );
    assert!(b.wait_dispatched(Duration::from_secs(5)));
    b.recover_queue_offsets();
    let r = b.put_message(&msg("T", 1, b"after", ""));
    assert_eq!(r.status, PutMessageStatus::PutOk);
    // Records 1, 3, 5, 7 went to queue 1 (record 9, torn, is gone): the next is offset 4.
    assert_eq!(r.append.unwrap().queue_offset, 4);
    a.shutdown().unwrap();
    b.shutdown().unwrap();
}

/// Records the confirm gate holds back still own their queue offsets: a slave becoming
/// master must not hand them out again (the second message would miss its queue).
#[test]
fn queue_offsets_count_records_held_back_by_the_gate() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let a = MessageStore::open(config(dir_a.path())).unwrap();
    let b = MessageStore::open(config(dir_b.path())).unwrap();
    let recs = put_n(&a, "T", "a", 10);
    // The slave may dispatch only the first four records.
    b.set_confirm_offset(Some(recs[4].0 as u64));
    let end = a.max_phys_offset();
    let chunk = a.read_raw(0, end as usize).unwrap();
    b.append_raw(0, &chunk).unwrap();
    assert!(b.wait_dispatched(Duration::from_secs(5)));
    assert_eq!(
        b.max_offset_in_queue("T", 0),
        2,
        "records 0 and 2 dispatched"
    );
    b.recover_queue_offsets();
    let r = b.put_message(&msg("T", 0, b"after", ""));
    assert_eq!(r.status, PutMessageStatus::PutOk);
    assert_eq!(
        r.append.unwrap().queue_offset,
        5,
        "after records 0, 2, 4, 6, 8"
    );
    b.set_confirm_offset(None);
    assert!(b.wait_dispatched(Duration::from_secs(5)));
    assert_eq!(b.max_offset_in_queue("T", 0), 6);
    a.shutdown().unwrap();
    b.shutdown().unwrap();
}
