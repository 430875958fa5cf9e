//! Property test: random appends (0 B … 4 MiB bodies, batches, rollovers on small files) are
//! read back bit-exact, and again after a clean reopen and after a crash reopen.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use ferromq_protocol::message::record::MessageExt;
use ferromq_store::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    One { queue: i32, len: usize, tag: u8 },
    Batch { queue: i32, lens: Vec<usize> },
}

fn op() -> impl Strategy<Value = Op> {
    let len = prop_oneof![
        8 => 0usize..2048,
        2 => 2048usize..200_000,
        1 => Just(4 * 1024 * 1024),
    ];
    prop_oneof![
        6 => (0..3i32, len, any::<u8>()).prop_map(|(queue, len, tag)| Op::One { queue, len, tag }),
        1 => (0..3i32, proptest::collection::vec(0usize..3000, 1..8)).prop_map(|(queue, lens)| Op::Batch { queue, lens }),
    ]
}

fn fill(seed: usize, len: usize) -> Bytes {
    Bytes::from(
        (0..len)
            .map(|i| (seed.wrapping_mul(131) ^ i) as u8)
            .collect::<Vec<_>>(),
    )
}

fn read_queue(store: &MessageStore, q: i32) -> Vec<(Bytes, String)> {
    let mut out = Vec::new();
    let mut off = 0;
    loop {
        let r = store.get_messages("P", q, off, 32, 16 << 20, None);
        if r.status != GetMessageStatus::Found {
            break;
        }
        for b in &r.messages {
            let m = MessageExt::decode(b).unwrap();
            out.push((
                m.body.clone(),
                String::from_utf8_lossy(&m.properties).into_owned(),
            ));
        }
        off = r.next_begin_offset;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn appends_read_back_and_survive_reopen(ops in proptest::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let cfg = StoreConfig {
            mapped_file_size_commit_log: 5 * 1024 * 1024,
            mapped_file_size_consume_queue: 20 * 16,
            max_hash_slot_num: 31,
            max_index_num: 64,
            ..StoreConfig::with_root(dir.path())
        };
        let host: SocketAddr = "127.0.0.1:10911".parse().unwrap();
        let store = MessageStore::open(cfg.clone()).unwrap();
        let mut expected: Vec<Vec<(Bytes, String)>> = vec![Vec::new(); 3];
        for (i, op) in ops.iter().enumerate() {
            match op {
                Op::One { queue, len, tag } => {
                    let props = format!("TAGS\u{1}t{tag}\u{2}KEYS\u{1}m{i}\u{2}");
                    let body = fill(i, *len);
                    let p = store.put_message(&MessageToStore {
                        topic: "P".into(), queue_id: *queue, flag: i as i32, body: body.clone(),
                        properties: props.clone(), sys_flag: 0, born_timestamp: i as i64,
                        born_host: host, store_host: host, reconsume_times: 0, prepared_transaction_offset: 0,
                    });
                    prop_assert_eq!(p.status, PutMessageStatus::PutOk);
                    expected[*queue as usize].push((body, props));
                }
                Op::Batch { queue, lens } => {
                    let msgs: Vec<BatchMessage> = lens.iter().enumerate().map(|(j, l)| BatchMessage {
                        flag: j as i32, body: fill(i * 100 + j, *l), properties: Bytes::from(format!("B\u{1}{j}\u{2}")),
                    }).collect();
                    let p = store.put_batch(&BatchToStore {
                        topic: "P".into(), queue_id: *queue, sys_flag: 0, born_timestamp: 0,
                        born_host: host, store_host: host, reconsume_times: 0, messages: msgs.clone(),
                    });
                    prop_assert_eq!(p.status, PutMessageStatus::PutOk);
                    for m in msgs {
                        expected[*queue as usize].push((m.body, String::from_utf8_lossy(&m.properties).into_owned()));
                    }
                }
            }
        }
        prop_assert!(store.wait_dispatched(Duration::from_secs(10)));
        for q in 0..3 {
            prop_assert_eq!(&read_queue(&store, q), &expected[q as usize]);
        }
        store.shutdown().unwrap();
        drop(store);
        let store = MessageStore::open(cfg.clone()).unwrap();
        for q in 0..3 {
            prop_assert_eq!(&read_queue(&store, q), &expected[q as usize]);
        }
        drop(store); // crash: no shutdown
        let store = MessageStore::open(cfg).unwrap();
        prop_assert!(store.recovery_report().abnormal);
        for q in 0..3 {
            prop_assert_eq!(&read_queue(&store, q), &expected[q as usize]);
        }
        store.shutdown().unwrap();
    }
}
