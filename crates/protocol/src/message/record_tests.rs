//! Tests of `record`.
use super::*;
use proptest::prelude::*;

fn sample<'a>(body: &'a [u8], topic: &'a [u8], props: &'a [u8]) -> RecordView<'a> {
    RecordView {
        version: RecordVersion::for_topic_len(topic.len()),
        body_crc: body_crc(body),
        queue_id: 3,
        flag: 7,
        queue_offset: 42,
        physical_offset: 1 << 33,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: "10.0.0.1:54321".parse().unwrap(),
        store_timestamp: 1_700_000_000_123,
        store_host: "192.168.1.2:10911".parse().unwrap(),
        reconsume_times: 1,
        prepared_transaction_offset: 0,
        body,
        topic,
        properties: props,
    }
}

#[test]
fn java_layout_positions() {
    let rec = sample(b"hello", b"TopicTest", b"TAGS\x01TagA\x02");
    let mut buf = vec![0u8; rec.encoded_len()];
    let n = rec.encode_into(&mut buf).unwrap();
    // Total (V1, IPv4) = 91 + body + topic + props.
    assert_eq!(n, 91 + 5 + 9 + 10);
    assert_eq!(read_i32(&buf, 0) as usize, n);
    assert_eq!(read_i32(&buf, 4), -626843481);
    assert_eq!(read_i32(&buf, FLAG_POSITION), 7);
    assert_eq!(
        &buf[QUEUE_OFFSET_POSITION..QUEUE_OFFSET_POSITION + 8],
        &42i64.to_be_bytes()
    );
    assert_eq!(
        &buf[PHYSICAL_OFFSET_POSITION..PHYSICAL_OFFSET_POSITION + 8],
        &(1i64 << 33).to_be_bytes()
    );
    assert_eq!(&buf[56..64], &1_700_000_000_123i64.to_be_bytes());
    assert_eq!(store_timestamp_position(0), 56);
    assert_eq!(read_i32(&buf, 84), 5);
    assert_eq!(&buf[88..93], b"hello");
    assert_eq!(buf[93], 9);
    assert_eq!(&buf[48..52], &[10, 0, 0, 1]);
    assert_eq!(read_i32(&buf, 52), 54321);
}

#[test]
fn ipv6_sets_flags_and_widths() {
    let mut rec = sample(b"x", b"T", b"");
    rec.born_host = "[::1]:9".parse().unwrap();
    rec.store_host = "[fe80::2]:10911".parse().unwrap();
    let mut out = Vec::new();
    let n = rec.encode(&mut out).unwrap();
    assert_eq!(n, out.len());
    assert_eq!(n, 91 + 24 + 1 + 1);
    let back = RecordView::parse(&out).unwrap();
    assert_eq!(back.sys_flag, BORNHOST_V6 | STOREHOST_V6);
    assert_eq!(back.born_host, rec.born_host);
    assert_eq!(back.store_host, rec.store_host);
    assert_eq!(store_timestamp_position(back.sys_flag), 68);
}

#[test]
fn long_topic_uses_v2() {
    let topic = vec![b'a'; 200];
    let rec = sample(b"", &topic, b"");
    assert_eq!(rec.version, RecordVersion::V2);
    let mut out = Vec::new();
    rec.encode(&mut out).unwrap();
    assert_eq!(read_i32(&out, 4), -626843477);
    let back = RecordView::parse(&out).unwrap();
    assert_eq!(back.topic, &topic[..]);
}

#[test]
fn rejects_bad_input_without_panic() {
    let rec = sample(b"body", b"T", b"K\x01V\x02");
    let mut out = Vec::new();
    rec.encode(&mut out).unwrap();
    for cut in 0..out.len() {
        assert!(RecordView::parse(&out[..cut]).is_err());
    }
    let mut bad = out.clone();
    bad[4] = 0;
    assert!(matches!(
        RecordView::parse(&bad),
        Err(RecordError::BadMagic(_))
    ));
    let mut bad = out.clone();
    bad[88] ^= 1;
    let v = RecordView::parse(&bad).unwrap();
    assert!(matches!(
        v.verify_body_crc(),
        Err(RecordError::BodyCrc { .. })
    ));
    let mut bad = out.clone();
    bad[0..4].copy_from_slice(&((out.len() + 1) as i32).to_be_bytes());
    bad.push(0);
    assert!(matches!(
        RecordView::parse(&bad),
        Err(RecordError::SizeMismatch { .. })
    ));
    let mut blank = Vec::new();
    blank.put_i32(100);
    blank.put_i32(BLANK_MAGIC_CODE);
    assert_eq!(RecordView::parse(&blank), Err(RecordError::Blank(100)));
}

#[test]
fn decode_all_is_zero_copy() {
    let mut out = Vec::new();
    sample(b"one", b"T", b"A\x011\x02")
        .encode(&mut out)
        .unwrap();
    sample(b"two!", b"T", b"").encode(&mut out).unwrap();
    let bytes = Bytes::from(out);
    let msgs = MessageExt::decode_all(&bytes).unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(&msgs[0].body[..], b"one");
    assert_eq!(&msgs[1].body[..], b"two!");
    assert_eq!(msgs[0].body.as_ptr(), bytes[88..].as_ptr());
    assert_eq!(msgs[0].topic, "T");
}

fn addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>()).prop_map(|(ip, p)| SocketAddr::new(IpAddr::from(ip), p)),
        (any::<[u8; 16]>(), any::<u16>()).prop_map(|(ip, p)| SocketAddr::new(IpAddr::from(ip), p)),
    ]
}

proptest! {
    #[test]
    fn round_trip(
        body in proptest::collection::vec(any::<u8>(), 0..2048),
        topic in "[A-Za-z0-9_%-]{1,300}",
        props in proptest::collection::vec(any::<u8>(), 0..512),
        born in addr(), store in addr(),
        fields in (any::<i32>(), any::<i32>(), any::<i64>(), any::<i64>(), any::<i32>(), any::<i64>(), any::<i64>(), any::<i32>(), any::<i64>()),
    ) {
        let (queue_id, flag, queue_offset, physical_offset, sys_flag, born_ts, store_ts, reconsume, prep) = fields;
        let rec = RecordView {
            version: RecordVersion::for_topic_len(topic.len()),
            body_crc: body_crc(&body),
            queue_id, flag, queue_offset, physical_offset,
            sys_flag,
            born_timestamp: born_ts, born_host: born, store_timestamp: store_ts, store_host: store,
            reconsume_times: reconsume, prepared_transaction_offset: prep,
            body: &body, topic: topic.as_bytes(), properties: &props,
        };
        let mut buf = vec![0u8; rec.encoded_len() + 3];
        let n = rec.encode_into(&mut buf).unwrap();
        let back = RecordView::parse(&buf).unwrap();
        prop_assert_eq!(back.total_size(), n);
        prop_assert!(back.verify_body_crc().is_ok());
        let mut expected = rec.clone();
        expected.sys_flag = rec.effective_sys_flag();
        prop_assert_eq!(&back, &expected);
        let owned = MessageExt::decode(&Bytes::copy_from_slice(&buf[..n])).unwrap();
        let mut again = Vec::new();
        owned.view().encode(&mut again).unwrap();
        prop_assert_eq!(&again[..], &buf[..n]);
    }

    #[test]
    fn parse_never_panics(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = RecordView::parse(&data);
    }
}
