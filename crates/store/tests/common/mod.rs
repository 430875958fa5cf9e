//! Helpers shared by the store's integration tests.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use ferromq_protocol::message::record::{body_crc, RecordVersion, RecordView};
use ferromq_store::*;

/// Small files so tests roll them: 64 KiB CommitLog files, 50-entry queue files, a tiny index.
pub fn config(dir: &Path) -> StoreConfig {
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

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub fn msg(topic: &str, queue_id: i32, body: &[u8], props: &str) -> MessageToStore {
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

/// Every message of a queue, pulled from its min offset in batches of 32 the way a consumer
/// pulls: only the end of the queue (or no queue) ends it. A pull that returns nothing but
/// moves `next_begin_offset` on is followed, not taken for the end:
///
/// - `MessageWasRemoving`: the entries point into CommitLog files retention deleted after the
///   queue's min offset was read. One pull scans at most `max_filter_message_size / 20`
///   (800) entries, while one retention pass deletes up to `delete_file_batch_max` files
///   (thousands of entries), and the queue's min offset is corrected only after the files
///   are gone — so several such pulls can come before the live entries.
/// - `OffsetTooSmall`: the min offset was corrected past `off` meanwhile (next = new min).
/// - `OffsetFoundNull`: a ConsumeQueue file was deleted meanwhile (next = next file).
/// - `NoMatchedMessage`: nothing but padding entries in the scanned span.
pub fn pull_all(
    store: &MessageStore,
    topic: &str,
    q: i32,
) -> Vec<ferromq_protocol::message::record::MessageExt> {
    let mut out = Vec::new();
    let mut off = store.min_offset_in_queue(topic, q);
    loop {
        let r = store.get_messages(topic, q, off, 32, 1 << 20, None);
        for b in &r.messages {
            out.push(ferromq_protocol::message::record::MessageExt::decode(b).unwrap());
        }
        match r.status {
            GetMessageStatus::Found
            | GetMessageStatus::MessageWasRemoving
            | GetMessageStatus::OffsetTooSmall
            | GetMessageStatus::OffsetFoundNull
            | GetMessageStatus::NoMatchedMessage => {}
            // OffsetOverflowOne is the end; the others mean there is nothing (more) to read.
            _ => break,
        }
        assert!(
            r.next_begin_offset > off,
            "a {:?} pull of {topic}/{q} at {off} must move on, got next {}",
            r.status,
            r.next_begin_offset
        );
        off = r.next_begin_offset;
    }
    out
}

/// A whole CommitLog record with the given fields, as the master would ship it.
pub fn record(
    topic: &str,
    queue_id: i32,
    queue_offset: i64,
    phys: i64,
    body: &[u8],
    props: &str,
) -> Vec<u8> {
    let v = RecordView {
        version: RecordVersion::for_topic_len(topic.len()),
        body_crc: body_crc(body),
        queue_id,
        flag: 0,
        queue_offset,
        physical_offset: phys,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: addr("10.1.2.3:4567"),
        store_timestamp: 1_700_000_000_001,
        store_host: addr("127.0.0.1:10911"),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        body,
        topic: topic.as_bytes(),
        properties: props.as_bytes(),
    };
    let mut out = vec![0u8; v.encoded_len()];
    v.encode_into(&mut out).unwrap();
    out
}

/// Appends a raw record at the end of the log (the slave path); returns its offset.
pub fn append_record(
    store: &MessageStore,
    topic: &str,
    queue_id: i32,
    queue_offset: i64,
    body: &[u8],
) -> i64 {
    let phys = store.max_phys_offset();
    let rec = record(topic, queue_id, queue_offset, phys, body, "");
    store.append_raw(phys as u64, &rec).unwrap();
    phys
}

/// Lists a directory's entry names, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
