//! A full disk loses nothing acknowledged: on a real 300 MB file system (a tmpfs this test
//! mounts), with Java's default 1 GiB CommitLog files and 420 MB index file and Java's disk
//! ratios, a broker filled under load refuses sends with the disk-full code, keeps every
//! acknowledged message consumable, serves reads throughout, accepts writes again once space
//! is freed, shuts down and comes back with everything.
//!
//! Where mounting is not permitted the test says `SKIPPED` loudly and passes.

use std::time::{Duration, Instant};

use ferromq_config::ConfigTable;
use ferromq_store::testing::{fill_to, used_percent, Tmpfs};
use ferromq_testkit::{pull_request, send_request, TestCluster};

use crate::*;

const QUEUES: i32 = 4;

/// Every body stored in the topic, by queue, read back with pulls.
async fn consume_all(c: &TestCluster, topic: &str) -> Vec<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for q in 0..QUEUES {
        let mut bodies = Vec::new();
        let mut offset = 0;
        loop {
            let r = c
                .call(pull_request("dfcg", topic, q, offset, 32, "*", 0))
                .await;
            if r.code != SUCCESS {
                break;
            }
            let h: ferromq_protocol::headers::PullMessageResponseHeader =
                r.decode_header().unwrap();
            bodies.extend(records(&r).into_iter().map(|m| m.body.to_vec()));
            offset = h.next_begin_offset;
        }
        out.push(bodies);
    }
    out
}

fn body(i: usize) -> Vec<u8> {
    let mut b = format!("msg-{i:08}-").into_bytes();
    b.resize(4096, b'x');
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_sends_and_loses_nothing_acknowledged() {
    let fs = match Tmpfs::mount("300m") {
        Ok(fs) => fs,
        Err(e) => {
            eprintln!("SKIPPED: cannot mount tmpfs ({e})");
            return;
        }
    };
    let root = fs.path().join("store");
    let root_s = root.to_string_lossy().into_owned();
    let mut c = TestCluster::start_with(1, |cfg| {
        for (k, v) in [
            ("storePathRootDir", root_s.as_str()),
            ("mappedFileSizeCommitLog", "1073741824"),
            ("maxHashSlotNum", "5000000"),
            ("maxIndexNum", "20000000"),
            ("diskMaxUsedSpaceRatio", "75"),
            ("diskSpaceCleanForciblyRatio", "85"),
            ("diskSpaceWarningLevelRatio", "90"),
        ] {
            cfg.set(k, v).unwrap();
        }
    })
    .await;
    let topic = unique("Full");
    assert_eq!(c.create_topic(&topic, QUEUES).await.code, SUCCESS);

    // 1,000 acknowledged messages first (the reported loss).
    let mut acked: Vec<Vec<Vec<u8>>> = vec![Vec::new(); QUEUES as usize];
    let mut n = 0usize;
    let send = |i: usize| send_request(&topic, (i % QUEUES as usize) as i32, body(i), None, &[]);
    for _ in 0..1000 {
        let r = c.call(send(n)).await;
        assert_eq!(r.code, SUCCESS, "{:?}", r.remark);
        acked[n % QUEUES as usize].push(body(n));
        n += 1;
    }

    // Another tenant takes most of the disk; the broker's sends fill the rest.
    let filler = fill_to(fs.path(), 84.0);
    let mut refused = 0;
    let started = Instant::now();
    while refused < 20 && started.elapsed() < Duration::from_secs(120) {
        let r = c.call(send(n)).await;
        match r.code {
            SUCCESS => acked[n % QUEUES as usize].push(body(n)),
            SERVICE_NOT_AVAILABLE => {
                assert!(
                    r.remark.as_deref().unwrap_or("").contains("disk is full"),
                    "{:?}",
                    r.remark
                );
                refused += 1;
                // Reads keep working while writes are refused.
                let p = c.call(pull_request("dfcg", &topic, 0, 0, 1, "*", 0)).await;
                assert_eq!(p.code, SUCCESS, "{:?}", p.remark);
            }
            other => panic!("unexpected send response {other}: {:?}", r.remark),
        }
        n += 1;
    }
    assert!(refused >= 20, "the disk never filled up");
    let used = used_percent(fs.path());
    assert!(
        used < 100.0,
        "refused before the disk was exhausted ({used:.1} %)"
    );
    c.settle();
    assert_eq!(
        consume_all(&c, &topic).await,
        acked,
        "every acknowledged message"
    );

    // Space freed: writes are accepted again.
    std::fs::remove_file(&filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = c.call(send(n)).await;
        if r.code == SUCCESS {
            acked[n % QUEUES as usize].push(body(n));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "writes not accepted after freeing space"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A clean stop in bounded time, and everything is still there afterwards.
    let restarted = tokio::time::timeout(Duration::from_secs(60), c.restart_broker(0)).await;
    assert!(restarted.is_ok(), "shutdown and restart took over 60 s");
    c.settle();
    assert_eq!(consume_all(&c, &topic).await, acked);
    assert_store_layout(&root);
    c.shutdown().await;
}
