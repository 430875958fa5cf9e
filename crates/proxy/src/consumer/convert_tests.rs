use std::io::Write;

use ferromq_protocol::message::record::RecordVersion;

use super::*;

pub(crate) fn record(props: &Properties, body: &[u8], sys_flag: i32) -> MessageExt {
    MessageExt {
        store_size: 0,
        version: RecordVersion::V1,
        body_crc: 0,
        queue_id: 3,
        flag: 0,
        queue_offset: 42,
        commit_log_offset: 4096,
        sys_flag,
        born_timestamp: 1_700_000_000_123,
        born_host: "10.0.0.7:50123".parse().unwrap(),
        store_timestamp: 1_700_000_000_456,
        store_host: "10.0.0.1:10911".parse().unwrap(),
        reconsume_times: 2,
        prepared_transaction_offset: 0,
        topic: "T".into(),
        body: Bytes::copy_from_slice(body),
        properties: Bytes::from(props.encode()),
    }
}

fn delivery(handle: &str) -> Delivery {
    Delivery {
        topic: resource("T"),
        receipt_handle: Some(handle.to_owned()),
        reconsume_times: None,
        now_ms: 1_000_000,
    }
}

#[test]
fn fills_system_properties_as_java() {
    let mut p = Properties::new();
    p.insert(keys::TAGS, "TagA");
    p.insert(keys::KEYS, "k1 k2");
    p.insert(
        keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX,
        "0A00000700002A9F0000000000000001",
    );
    p.insert(keys::SHARDING_KEY, "g1");
    p.insert(keys::TRACE_CONTEXT, "tc");
    p.insert(keys::POP_CK, "x");
    p.insert("color", "red");
    let m = Decoded::new(record(&p, b"hello", 0));
    let msg = to_message(&m, &delivery("h 1"));
    let s = msg.system_properties.unwrap();
    assert_eq!(s.tag.as_deref(), Some("TagA"));
    assert_eq!(s.keys, vec!["k1", "k2"]);
    assert_eq!(s.message_id, "0A00000700002A9F0000000000000001");
    let digest = s.body_digest.unwrap();
    assert_eq!(digest.r#type, pb::DigestType::Md5 as i32);
    assert_eq!(digest.checksum, "5D41402ABC4B2A76B9719D911017C592");
    assert_eq!(s.body_encoding, pb::Encoding::Identity as i32);
    assert_eq!(s.message_type, pb::MessageType::Fifo as i32);
    assert_eq!(s.born_timestamp.unwrap().seconds, 1_700_000_000);
    assert_eq!(s.born_timestamp.unwrap().nanos, 123_000_000);
    assert_eq!(s.born_host, "10.0.0.7");
    assert_eq!(s.store_host, "10.0.0.1:10911");
    assert_eq!(s.receipt_handle.as_deref(), Some("h 1"));
    assert_eq!(s.queue_id, 3);
    assert_eq!(s.queue_offset, Some(42));
    assert_eq!(s.delivery_attempt, Some(3));
    assert_eq!(s.message_group.as_deref(), Some("g1"));
    assert_eq!(s.trace_context.as_deref(), Some("tc"));
    assert_eq!(s.delivery_timestamp, None);
    assert_eq!(s.dead_letter_queue, None);
    // Java's STRING_HASH_SET leaves __SHARDINGKEY and TRACE_CONTEXT among user properties.
    let up = msg.user_properties;
    assert_eq!(up.get("color").map(String::as_str), Some("red"));
    assert!(up.contains_key(keys::SHARDING_KEY));
    assert!(!up.contains_key(keys::TAGS));
    assert!(!up.contains_key(keys::POP_CK));
    assert!(!up.contains_key(keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX));
    assert_eq!(msg.topic.unwrap().name, "T");
    assert_eq!(msg.body, b"hello");
}

#[test]
fn message_types_and_delivery_time() {
    let conv = |k: &str, v: &str| {
        let mut p = Properties::new();
        p.insert(k, v);
        let s = to_message(&Decoded::new(record(&p, b"", 0)), &delivery("h"))
            .system_properties
            .unwrap();
        (s.message_type, s.delivery_timestamp)
    };
    assert_eq!(
        conv(keys::TRANSACTION_PREPARED, "true").0,
        pb::MessageType::Transaction as i32
    );
    assert_eq!(
        conv(keys::TRANSACTION_PREPARED, "false").0,
        pb::MessageType::Normal as i32
    );
    let (t, d) = conv(keys::TIMER_DELIVER_MS, "1700000005000");
    assert_eq!(t, pb::MessageType::Delay as i32);
    assert_eq!(d.unwrap().seconds, 1_700_000_005);
    let (t, d) = conv(keys::TIMER_DELAY_SEC, "10");
    assert_eq!(t, pb::MessageType::Delay as i32);
    assert_eq!(d.unwrap().seconds, 1_010); // now (1 000 s) + 10 s
    assert_eq!(
        conv(keys::DELAY_TIME_LEVEL, "3").0,
        pb::MessageType::Delay as i32
    );
    assert_eq!(conv(keys::TIMER_DELIVER_MS, "junk").1, None);
}

#[test]
fn offset_msg_id_when_no_uniq_key_and_dlq_origin() {
    let mut p = Properties::new();
    p.insert(keys::DLQ_ORIGIN_TOPIC, "T0");
    p.insert(keys::DLQ_ORIGIN_MESSAGE_ID, "ID0");
    p.insert(keys::BORN_HOST, "1.2.3.4:5");
    let m = Decoded::new(record(&p, b"x", 0));
    let s = to_message(&m, &delivery("h")).system_properties.unwrap();
    assert_eq!(
        s.message_id,
        encode_offset_msg_id("10.0.0.1:10911".parse().unwrap(), 4096)
    );
    assert_eq!(s.born_host, "1.2.3.4:5");
    let dlq = s.dead_letter_queue.unwrap();
    assert_eq!((dlq.topic.as_str(), dlq.message_id.as_str()), ("T0", "ID0"));
}

#[test]
fn compressed_bodies_are_inflated_and_flagged_identity() {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&[b'a'; 5000]).unwrap();
    let packed = z.finish().unwrap();
    let m = Decoded::new(record(
        &Properties::new(),
        &packed,
        sysflag::COMPRESSED | sysflag::COMPRESSION_ZLIB,
    ));
    assert_eq!(m.body.len(), 5000);
    let s = to_message(&m, &delivery("h")).system_properties.unwrap();
    assert_eq!(s.body_encoding, pb::Encoding::Identity as i32);
    // A body that does not inflate is handed over as stored, flagged compressed.
    let m = Decoded::new(record(&Properties::new(), b"not zlib", sysflag::COMPRESSED));
    assert_eq!(&m.body[..], b"not zlib");
    let s = to_message(&m, &delivery("h")).system_properties.unwrap();
    assert_eq!(s.body_encoding, pb::Encoding::Gzip as i32);
}

#[test]
fn fifo_order_count_overrides_delivery_attempt() {
    let m = Decoded::new(record(&Properties::new(), b"", 0));
    let mut d = delivery("h");
    d.reconsume_times = Some(5);
    let s = to_message(&m, &d).system_properties.unwrap();
    assert_eq!(s.delivery_attempt, Some(6));
}

#[test]
fn namespaced_topics_become_resources() {
    let r = resource("ns1%T");
    assert_eq!(
        (r.resource_namespace.as_str(), r.name.as_str()),
        ("ns1", "T")
    );
    let r = resource("%RETRY%G");
    assert_eq!(
        (r.resource_namespace.as_str(), r.name.as_str()),
        ("", "%RETRY%G")
    );
    assert_eq!(resource("T").name, "T");
}

#[test]
fn bodies_inflating_past_the_cap_stay_compressed() {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..(MAX_INFLATED >> 20) + 1 {
        z.write_all(&chunk).unwrap();
    }
    let packed = z.finish().unwrap();
    let m = Decoded::new(record(
        &Properties::new(),
        &packed,
        sysflag::COMPRESSED | sysflag::COMPRESSION_ZLIB,
    ));
    assert_eq!(m.body.len(), packed.len());
    assert_ne!(m.sys_flag & sysflag::COMPRESSED, 0);
}
