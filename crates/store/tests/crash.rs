//! Crash tests: a child process (this test binary re-executed) appends with SYNC_FLUSH from
//! several threads and prints each acknowledged append; the parent `kill -9`s it at a random
//! moment, reopens the store and checks that every acknowledged message is there, bit-exact
//! and in order, and that nothing invalid is served. Repeated on the same directory.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferromq_protocol::message::record::{MessageExt, RecordView};
use ferromq_store::*;
use rand::Rng;

const THREADS: u32 = 4;
const CHILD_ENV: &str = "FERROMQ_CRASH_CHILD_DIR";

fn config(dir: &Path) -> StoreConfig {
    StoreConfig {
        mapped_file_size_commit_log: 1024 * 1024,
        mapped_file_size_consume_queue: 20 * 1000,
        max_hash_slot_num: 1009,
        max_index_num: 4000,
        flush_disk_type: FlushDiskType::SyncFlush,
        flush_interval_consume_queue: Duration::from_millis(20),
        prefault_window: 256 * 1024,
        ..StoreConfig::with_root(dir)
    }
}

/// Deterministic body of message `seq` of thread `t`: 0 B … 40 KiB.
fn body(t: u32, seq: u64) -> Vec<u8> {
    let len = ((seq * 7919 + t as u64 * 104_729) % 40_000) as usize;
    (0..len)
        .map(|i| (seq as usize + i * 31 + t as usize) as u8)
        .collect()
}

fn child(dir: &Path) {
    let store = MessageStore::open(config(dir)).unwrap();
    let start = store.max_offset_in_queue("CT0", 0);
    let _ = start;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                let topic = format!("CT{t}");
                let mut seq = store.max_offset_in_queue(&topic, 0) as u64;
                loop {
                    let m = MessageToStore {
                        topic: topic.clone(),
                        queue_id: 0,
                        flag: 0,
                        body: Bytes::from(body(t, seq)),
                        properties: format!("KEYS\u{1}s{seq}\u{2}"),
                        sys_flag: 0,
                        born_timestamp: 0,
                        born_host: "127.0.0.1:1".parse::<SocketAddr>().unwrap(),
                        store_host: "127.0.0.1:10911".parse::<SocketAddr>().unwrap(),
                        reconsume_times: 0,
                        prepared_transaction_offset: 0,
                    };
                    let p = store.put_message(&m);
                    let qo = p.append.as_ref().map(|a| a.queue_offset).unwrap_or(-1);
                    if p.wait() == PutMessageStatus::PutOk {
                        assert_eq!(qo as u64, seq);
                        println!("ack {t} {seq}");
                    }
                    seq += 1;
                }
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
}

#[test]
fn crash_child_entry() {
    // Runs only when re-executed by `kill_nine_at_random_points`.
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child(Path::new(&dir));
    }
}

fn verify(dir: &Path, acked: &[u64]) {
    let store = MessageStore::open(config(dir)).unwrap_or_else(|e| panic!("reopen failed: {e}"));
    assert!(store.recovery_report().abnormal);
    for t in 0..THREADS {
        let topic = format!("CT{t}");
        let max = store.max_offset_in_queue(&topic, 0) as u64;
        assert!(
            max >= acked[t as usize],
            "thread {t}: {max} < acked {}",
            acked[t as usize]
        );
        let mut off = 0i64;
        let mut n = 0u64;
        loop {
            let r = store.get_messages(&topic, 0, off, 32, 8 << 20, None);
            if r.status != GetMessageStatus::Found {
                break;
            }
            for b in &r.messages {
                let v = RecordView::parse(b).expect("served record decodes");
                v.verify_body_crc().expect("served record has a good CRC");
                let m = MessageExt::decode(b).unwrap();
                assert_eq!(m.queue_offset as u64, n, "in order");
                assert_eq!(&m.body[..], &body(t, n)[..], "bit-exact");
                n += 1;
            }
            off = r.next_begin_offset;
        }
        assert_eq!(n, max, "every queue entry is served");
        if acked[t as usize] > 0 {
            let last = acked[t as usize] - 1;
            let q = store.query_by_key(&topic, &format!("s{last}"), 4, 0, i64::MAX);
            assert_eq!(q.messages.len(), 1, "index rebuilt for s{last}");
        }
    }
    store.shutdown().unwrap();
}

#[test]
fn kill_nine_at_random_points() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::thread_rng();
    let mut acked = vec![0u64; THREADS as usize];
    for round in 0..10 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child_entry",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let kill_after = Duration::from_millis(rng.gen_range(100..900));
        let reader = std::thread::spawn(move || {
            let mut acks = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let mut it = line.split_whitespace();
                if it.next() == Some("ack") {
                    let t: usize = it.next().unwrap().parse().unwrap();
                    let s: u64 = it.next().unwrap().parse().unwrap();
                    acks.push((t, s));
                }
            }
            acks
        });
        let start = Instant::now();
        while start.elapsed() < kill_after {
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let acks = reader.join().unwrap();
        for (t, s) in acks {
            acked[t] = acked[t].max(s + 1);
        }
        eprintln!("round {round}: killed after {kill_after:?}, acked {acked:?}");
        verify(dir.path(), &acked);
    }
    assert!(
        acked.iter().sum::<u64>() > 0,
        "the child acknowledged appends"
    );
}
