//! A store directory written by the real Apache RocketMQ 5.3.3 broker opens in FerroMQ
//! (issue 3, "same layout"). The fixture `tests/data/java-5.3.3-store.tar.gz` and how it was
//! made are described in `tests/data/README.md`: three topics, 1096 messages (tags incl.
//! non-ASCII ones, keys, properties, zlib-compressed bodies, one batch), 1 MiB CommitLog files,
//! 300-entry ConsumeQueue files and 500-entry index files, all rolled over; `manifest.tsv`
//! records what the official Java client sent and where the Java broker put it.

#[path = "java_store/fixture.rs"]
mod fixture;

use std::collections::BTreeMap;
use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use ferromq_protocol::hash::tag_code;
use ferromq_protocol::message::id::decode_offset_msg_id;
use ferromq_protocol::message::properties::Properties;
use ferromq_protocol::message::record::{MessageExt, RecordView};
use ferromq_protocol::message::sysflag::message as sysflag;
use ferromq_store::*;

use fixture::{expected_body, fixture, java_config, Manifest, Sent};

/// Checks one stored record against what the Java client sent.
fn check_record(rec: &Bytes, s: &Sent, origin: &str) -> MessageExt {
    let view = RecordView::parse(rec).expect("record parses");
    view.verify_body_crc()
        .expect("body CRC as Java computed it");
    let m = MessageExt::decode(rec).unwrap();
    let at = format!("{}/{}@{}", s.topic, s.queue, s.offset);
    assert_eq!(m.topic, s.topic, "{at}");
    assert_eq!(m.queue_id, s.queue, "{at}");
    assert_eq!(m.queue_offset, s.offset, "{at}");
    let props = Properties::parse_bytes(&m.properties);
    let raw = String::from_utf8_lossy(&m.properties).into_owned();
    assert_eq!(
        first_property(&raw, "UNIQ_KEY"),
        Some(s.msg_id.as_str()),
        "{at}: own UNIQ_KEY"
    );
    assert_eq!(
        props.uniq_key(),
        Some(s.pulled_msg_id.as_str()),
        "{at}: UNIQ_KEY as Java reads it (the last one)"
    );
    assert_eq!(props.tags(), s.tags.as_deref(), "{at}: TAGS");
    assert_eq!(props.get("KEYS"), s.keys.as_deref(), "{at}: KEYS");
    assert_eq!(props.get("seq"), Some(s.seq.to_string().as_str()), "{at}");
    assert_eq!(props.get("origin"), Some(origin), "{at}");
    assert_eq!(props.get("note"), s.note.as_deref(), "{at}: UTF-8 note");
    let compressed = m.sys_flag & sysflag::COMPRESSED != 0;
    assert_eq!(compressed, s.compressed, "{at}: sysFlag {:#x}", m.sys_flag);
    let body = if compressed {
        assert_eq!(
            m.sys_flag & sysflag::COMPRESSION_TYPE_MASK,
            sysflag::COMPRESSION_ZLIB,
            "{at}: the 5.x client marks zlib in the sysFlag"
        );
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(&m.body[..])
            .read_to_end(&mut out)
            .unwrap();
        assert!(m.body.len() < out.len(), "{at}: stored compressed");
        out
    } else {
        m.body.to_vec()
    };
    assert_eq!(
        body,
        expected_body(&s.topic, s.seq, s.body_len),
        "{at}: body"
    );
    if s.offset_msg_id != "-" {
        let id = decode_offset_msg_id(&s.offset_msg_id).unwrap();
        assert_eq!(
            id.commit_log_offset, m.commit_log_offset,
            "{at}: offsetMsgId"
        );
    }
    m
}

/// The value Java's `HashMap`-based property parsing keeps: the last occurrence.
/// The first value of `key` in a raw property string (a batch record carries its own
/// `UNIQ_KEY` first, then the batch's; Java reads the last).
fn first_property<'a>(raw: &'a str, key: &str) -> Option<&'a str> {
    raw.split('\u{2}')
        .filter_map(|pair| pair.split_once('\u{1}'))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// The raw ConsumeQueue entry of a queue offset, read from the Java-written file.
fn raw_cq_entry(root: &Path, s: &Sent) -> (i64, i32, i64) {
    let pos = s.offset as u64 * 20;
    let start = pos - pos % 6000;
    let file = root
        .join("consumequeue")
        .join(&s.topic)
        .join(s.queue.to_string())
        .join(format!("{start:020}"));
    let data = std::fs::read(&file).unwrap();
    let e = &data[(pos - start) as usize..(pos - start) as usize + 20];
    (
        i64::from_be_bytes(e[0..8].try_into().unwrap()),
        i32::from_be_bytes(e[8..12].try_into().unwrap()),
        i64::from_be_bytes(e[12..20].try_into().unwrap()),
    )
}

/// Every message of the manifest readable by queue and offset, with the right content.
fn check_every_message(store: &MessageStore, m: &Manifest) {
    for ((topic, q), msgs) in m.queues() {
        assert_eq!(store.min_offset_in_queue(&topic, q), 0, "{topic}/{q}");
        assert_eq!(
            store.max_offset_in_queue(&topic, q),
            msgs.len() as i64,
            "{topic}/{q}"
        );
        for (i, s) in msgs.iter().enumerate() {
            assert_eq!(s.offset, i as i64, "manifest of {topic}/{q} has no gaps");
            let r = store.get_messages(&topic, q, s.offset, 1, 1 << 20, None);
            assert_eq!(
                r.status,
                GetMessageStatus::Found,
                "{topic}/{q}@{}",
                s.offset
            );
            assert_eq!(r.messages.len(), 1);
            let got = check_record(&r.messages[0], s, "java");
            let (phys, _) = store.message_by_phys_offset(got.commit_log_offset).unwrap();
            assert_eq!(phys, r.messages[0], "lookup by physical offset");
        }
        // Whole-queue pulls with Java's transfer limits come back in order.
        let mut off = 0;
        let mut n = 0;
        while off < msgs.len() as i64 {
            let r = store.get_messages(&topic, q, off, 32, 1 << 20, None);
            assert_eq!(r.status, GetMessageStatus::Found);
            for (rec, qo) in r.messages.iter().zip(&r.queue_offsets) {
                assert_eq!(*qo, n as i64, "consecutive offsets");
                check_record(rec, msgs[*qo as usize], "java");
                n += 1;
            }
            off = r.next_begin_offset;
        }
        assert_eq!(n, msgs.len());
    }
}

fn check_index(store: &MessageStore, m: &Manifest) {
    let mut shared: BTreeMap<(String, String), usize> = BTreeMap::new();
    for s in &m.sent {
        let keys: Vec<&str> = s
            .keys
            .as_deref()
            .map(|k| k.split(' ').collect())
            .unwrap_or_default();
        for k in &keys {
            if k.starts_with("shared-") {
                *shared.entry((s.topic.clone(), k.to_string())).or_default() += 1;
            }
        }
        if let Some(k) = keys.first() {
            let r = store.query_by_key(&s.topic, k, 32, 0, i64::MAX);
            assert_eq!(r.messages.len(), 1, "key {k}");
            check_record(&r.messages[0], s, "java");
        }
        // By unique key as a client knows it (for a Java batch, the batch's key: any of its
        // messages answers, as from the Java broker).
        let (rec, _) = store
            .message_by_uniq_key(&s.topic, &s.pulled_msg_id)
            .unwrap_or_else(|| panic!("unique key {} of {}", s.pulled_msg_id, s.seq));
        if s.batch {
            let p = Properties::parse_bytes(&MessageExt::decode(&rec).unwrap().properties);
            assert_eq!(p.uniq_key(), Some(s.pulled_msg_id.as_str()));
        } else {
            check_record(&rec, s, "java");
        }
    }
    assert!(shared.len() >= 10);
    for ((topic, key), n) in shared {
        let r = store.query_by_key(&topic, &key, 64, 0, i64::MAX);
        assert_eq!(r.messages.len(), n, "shared key {key}");
    }
    // Time-bounded lookups use the index entries' time deltas.
    let s = m
        .sent
        .iter()
        .find(|s| s.phase == 1 && s.keys.is_some())
        .unwrap();
    let k = s.keys.as_deref().unwrap().split(' ').next().unwrap();
    assert!(store
        .query_by_key(&s.topic, k, 32, m.tmid + 5_000, i64::MAX)
        .messages
        .is_empty());
}

fn check_offsets_by_time(store: &MessageStore, m: &Manifest) {
    for ((topic, q), msgs) in m.queues() {
        let first2 = msgs.iter().find(|s| s.phase == 2).unwrap().offset;
        assert_eq!(
            store.offset_by_time(&topic, q, m.tmid, BoundaryType::Lower),
            first2,
            "{topic}/{q}"
        );
        assert_eq!(
            store.offset_by_time(&topic, q, m.tmid, BoundaryType::Upper),
            first2 - 1,
            "{topic}/{q}"
        );
        let t0 = store.earliest_message_time_in_queue(&topic, q).unwrap();
        assert!(t0 < m.tmid);
        assert_eq!(store.offset_by_time(&topic, q, 0, BoundaryType::Lower), 0);
    }
}

fn new_message(topic: &str, queue_id: i32, seq: u32) -> MessageToStore {
    let addr: SocketAddr = "127.0.0.1:26911".parse().unwrap();
    MessageToStore {
        topic: topic.into(),
        queue_id,
        flag: 0,
        body: Bytes::from(expected_body(topic, seq, 300)),
        properties: format!(
            "KEYS\u{1}k-{topic}-{seq}\u{2}TAGS\u{1}TagA\u{2}UNIQ_KEY\u{1}FERRO{seq:027}\u{2}seq\u{1}{seq}\u{2}origin\u{1}ferromq\u{2}"
        ),
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: addr,
        store_host: addr,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

fn appended_sent(topic: &str, queue: i32, offset: i64, seq: u32) -> Sent {
    Sent {
        topic: topic.into(),
        queue,
        offset,
        phase: 3,
        seq,
        msg_id: format!("FERRO{seq:027}"),
        pulled_msg_id: format!("FERRO{seq:027}"),
        batch: false,
        offset_msg_id: "-".into(),
        tags: Some("TagA".into()),
        java_tag_hash: 2598919,
        keys: Some(format!("k-{topic}-{seq}")),
        body_len: 300,
        compressed: false,
        note: None,
    }
}

// ------------------------------------------------------------------ tests

#[test]
fn java_store_opens_with_every_message_index_and_times() {
    let fx = fixture();
    let m = &fx.manifest;
    let store = MessageStore::open(java_config(&fx.store_root)).unwrap();
    assert!(
        !store.recovery_report().abnormal,
        "Java removed `abort` at shutdown"
    );
    assert_eq!(store.min_phys_offset(), 0);
    assert!(
        store.max_phys_offset() > 2 * 1024 * 1024,
        "three CommitLog files"
    );

    check_every_message(&store, m);
    // ConsumeQueue tag codes: Java's String.hashCode (UTF-16) both as stored and as FerroMQ
    // computes it; the tag filter sees them.
    for s in &m.sent {
        let (phys, size, code) = raw_cq_entry(&fx.store_root, s);
        assert_eq!(
            code, s.java_tag_hash,
            "{}/{}@{}",
            s.topic, s.queue, s.offset
        );
        assert_eq!(tag_code(s.tags.as_deref()), s.java_tag_hash);
        assert_eq!(
            store.commit_log_offset_in_queue(&s.topic, s.queue, s.offset),
            Some(phys)
        );
        let (rec, _) = store.message_by_phys_offset(phys).unwrap();
        assert_eq!(rec.len(), size as usize);
    }
    let odd_tag = "Tag\u{2713}\u{1F600}";
    let filter = TagCodeFilter {
        codes: vec![tag_code(Some(odd_tag))],
    };
    for ((topic, q), msgs) in m.queues() {
        let want = msgs
            .iter()
            .filter(|s| s.tags.as_deref() == Some(odd_tag))
            .count();
        let mut got = 0;
        let mut off = 0;
        while off < msgs.len() as i64 {
            let r = store.get_messages(&topic, q, off, 32, 1 << 20, Some(&filter));
            got += r.messages.len();
            off = r.next_begin_offset;
        }
        assert_eq!(got, want, "{topic}/{q} filtered by {odd_tag}");
    }
    check_index(&store, m);
    check_offsets_by_time(&store, m);

    // Appends continue the Java queues and the Java CommitLog.
    let end = store.max_phys_offset();
    let mut appended = Vec::new();
    for ((topic, q), msgs) in m.queues() {
        let seq = 90_000 + appended.len() as u32;
        let r = store.put_message(&new_message(&topic, q, seq));
        assert_eq!(r.wait(), PutMessageStatus::PutOk);
        let a = r.append.unwrap();
        assert_eq!(a.queue_offset, msgs.len() as i64, "{topic}/{q}");
        if appended.is_empty() {
            assert_eq!(a.phys_offset, end, "first append at the Java end");
        }
        appended.push(appended_sent(&topic, q, a.queue_offset, seq));
    }
    assert!(store.wait_dispatched(Duration::from_secs(10)));
    let check_appended = |store: &MessageStore| {
        for s in &appended {
            let r = store.get_messages(&s.topic, s.queue, s.offset, 1, 1 << 20, None);
            assert_eq!(r.status, GetMessageStatus::Found);
            check_record(&r.messages[0], s, "ferromq");
            let k = s.keys.as_deref().unwrap();
            let q = store.query_by_key(&s.topic, k, 8, 0, i64::MAX);
            assert_eq!(q.messages.len(), 1, "appended key {k}");
        }
    };
    check_appended(&store);
    store.shutdown().unwrap();
    drop(store);

    // Reopened: the Java messages and the new ones, after a clean FerroMQ shutdown.
    let store = MessageStore::open(java_config(&fx.store_root)).unwrap();
    assert!(!store.recovery_report().abnormal);
    check_appended(&store);
    check_index(&store, m);
    for ((topic, q), msgs) in m.queues() {
        assert_eq!(store.max_offset_in_queue(&topic, q), msgs.len() as i64 + 1);
    }
    store.shutdown().unwrap();
}

/// As Java leaves a store after `kill -9`: `abort` still there (Java writes its pid into it),
/// possibly with queues, index and checkpoint behind the CommitLog and a torn record at the
/// end. Recovery must keep every message and rebuild what is missing.
#[test]
fn java_store_after_kill9_keeps_every_message() {
    // 1. Only the abort marker.
    let fx = fixture();
    std::fs::write(fx.store_root.join("abort"), b"7377").unwrap();
    let store = MessageStore::open(java_config(&fx.store_root)).unwrap();
    assert!(store.recovery_report().abnormal);
    assert_eq!(store.recovery_report().truncated_bytes, 0);
    check_every_message(&store, &fx.manifest);
    check_index(&store, &fx.manifest);
    store.shutdown().unwrap();

    // 2. A crash with nothing flushed but the CommitLog: a stale checkpoint, ConsumeQueues
    //    cut short or missing, the newest index files gone, a half-written record at the end.
    let fx = fixture();
    let root = &fx.store_root;
    std::fs::write(root.join("abort"), b"7377").unwrap();
    std::fs::write(root.join("checkpoint"), [0u8; 4096]).unwrap();
    let cq = root.join("consumequeue");
    std::fs::remove_file(cq.join("SC_LOGS/0/00000000000000006000")).unwrap();
    std::fs::remove_dir_all(cq.join("SC_EVENTS/2")).unwrap();
    let f = cq.join("SC_ORDERS/1/00000000000000000000");
    let mut data = std::fs::read(&f).unwrap();
    data[20 * 40..].fill(0);
    std::fs::write(&f, data).unwrap();
    let mut index: Vec<_> = std::fs::read_dir(root.join("index"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    index.sort();
    for p in &index[2..] {
        std::fs::remove_file(p).unwrap();
    }
    let last = root.join("commitlog/00000000000002097152");
    let mut data = std::fs::read(&last).unwrap();
    let end = data.iter().rposition(|&b| b != 0).unwrap() + 1;
    // The first 40 bytes of a record that never finished: plausible size and magic.
    data[end..end + 8].copy_from_slice(&[0, 0, 2, 0, 0xDA, 0xA3, 0x20, 0xA7]);
    data[end + 8..end + 40].fill(0x5A);
    std::fs::write(&last, data).unwrap();

    let store = MessageStore::open(java_config(root)).unwrap();
    let rep = store.recovery_report().clone();
    assert!(rep.abnormal);
    assert_eq!(
        rep.scan_from, 0,
        "a zero checkpoint replays from the first file"
    );
    assert_eq!(
        rep.end_offset,
        2 * 1024 * 1024 + end as u64,
        "torn record cut"
    );
    assert!(rep.truncated_bytes >= 40);
    check_every_message(&store, &fx.manifest);
    check_index(&store, &fx.manifest);
    check_offsets_by_time(&store, &fx.manifest);
    let r = store.put_message(&new_message("SC_EVENTS", 2, 1));
    assert_eq!(r.wait(), PutMessageStatus::PutOk);
    assert_eq!(r.append.unwrap().phys_offset, rep.end_offset as i64);
    store.shutdown().unwrap();
}

/// `put_batch_with_properties` lays a batch out as the Java broker did in the fixture: the
/// same message properties, the batch's appended, byte for byte; the batch's `UNIQ_KEY` is
/// the indexed one (Java's `HashMap`: the last occurrence wins).
#[test]
fn batch_with_properties_matches_the_java_layout() {
    let fx = fixture();
    let java = MessageStore::open(java_config(&fx.store_root)).unwrap();
    let batch: Vec<&Sent> = fx.manifest.sent.iter().filter(|s| s.batch).collect();
    assert_eq!(batch.len(), 16);
    let records: Vec<Bytes> = batch
        .iter()
        .map(|s| {
            java.get_messages(&s.topic, s.queue, s.offset, 1, 1 << 20, None)
                .messages
                .remove(0)
        })
        .collect();
    java.shutdown().unwrap();
    // The Java record's properties: the message's own, then the batch's (from MSG_REGION on).
    let split = |rec: &Bytes| -> (Vec<u8>, String) {
        let m = MessageExt::decode(rec).unwrap();
        let p = String::from_utf8(m.properties.to_vec()).unwrap();
        let at = p
            .find("MSG_REGION\u{1}")
            .expect("batch properties appended");
        (p.as_bytes()[..at].to_vec(), p[at..].to_string())
    };
    let batch_props = split(&records[0]).1;
    assert!(records.iter().all(|r| split(r).1 == batch_props));

    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(java_config(dir.path())).unwrap();
    let host: SocketAddr = "127.0.0.1:26911".parse().unwrap();
    let messages = records
        .iter()
        .map(|r| {
            let m = MessageExt::decode(r).unwrap();
            BatchMessage {
                flag: m.flag,
                body: m.body.clone(),
                properties: Bytes::from(split(r).0),
            }
        })
        .collect();
    let r = store.put_batch_with_properties(
        &BatchToStore {
            topic: "SC_EVENTS".into(),
            queue_id: 1,
            sys_flag: 0,
            born_timestamp: 1_700_000_000_000,
            born_host: host,
            store_host: host,
            reconsume_times: 0,
            messages,
        },
        &batch_props,
    );
    assert_eq!(r.wait(), PutMessageStatus::PutOk);
    assert!(store.wait_dispatched(Duration::from_secs(10)));
    let ours = store
        .get_messages("SC_EVENTS", 1, 0, 32, 1 << 20, None)
        .messages;
    assert_eq!(ours.len(), 16);
    for (ours, java) in ours.iter().zip(&records) {
        let (o, j) = (
            MessageExt::decode(ours).unwrap(),
            MessageExt::decode(java).unwrap(),
        );
        assert_eq!(o.properties, j.properties, "properties byte for byte");
        assert_eq!(o.store_size, j.store_size);
        assert_eq!(o.body_crc, j.body_crc);
    }
    let outer = &batch[0].pulled_msg_id;
    assert_eq!(
        store
            .query_by_key("SC_EVENTS", outer, 64, 0, i64::MAX)
            .messages
            .len(),
        16,
        "every message of the batch under the batch's UNIQ_KEY, as in Java"
    );
    assert!(store
        .query_by_key("SC_EVENTS", &batch[0].msg_id, 64, 0, i64::MAX)
        .messages
        .is_empty());
    assert_eq!(
        store
            .query_by_key("SC_EVENTS", "k-SC_EVENTS-10000", 64, 0, i64::MAX)
            .messages
            .len(),
        1
    );
    store.shutdown().unwrap();
}
