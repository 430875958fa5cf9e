use super::*;

#[test]
fn decodes_java_handles() {
    // As Java's proxy hands them out: extraInfo + commitLogOffset.
    let raw = "101 1700000000000 60000 3 0 broker-a 2 105 987654";
    let h = ReceiptHandle::decode(raw).unwrap();
    assert_eq!(h.start_offset, 101);
    assert_eq!(h.retrieve_time, 1_700_000_000_000);
    assert_eq!(h.invisible_time, 60_000);
    assert_eq!(h.revive_queue_id, 3);
    assert_eq!(h.topic_type, "0");
    assert_eq!(h.broker_name, "broker-a");
    assert_eq!(h.queue_id, 2);
    assert_eq!(h.offset, 105);
    assert_eq!(h.commit_log_offset, 987_654);
    assert_eq!(h.raw, raw);
    assert_eq!(h.encode(), raw);
    assert_eq!(h.next_visible_time(), 1_700_000_060_000);
    assert!(!h.is_expired(1_700_000_059_999));
    assert!(h.is_expired(1_700_000_060_000));
}

#[test]
fn eight_fields_mean_no_commitlog_offset_and_extra_fields_are_ignored() {
    let h = ReceiptHandle::decode("1 2 3 4 1 b 0 7").unwrap();
    assert_eq!(h.commit_log_offset, -1);
    let h = ReceiptHandle::decode("1 2 3 4 1 b 0 7 8 whatever").unwrap();
    assert_eq!(h.commit_log_offset, 8);
    // Java's split drops trailing empty fields.
    assert!(ReceiptHandle::decode("1 2 3 4 1 b 0 7  ").is_ok());
}

#[test]
fn malformed_handles_are_errors() {
    for bad in [
        "",
        " ",
        "1 2 3",
        "a 2 3 4 0 b 0 7 8",
        "1 2 3 4 0 b x 7 8",
        "1 2 3 4 0 b 0 7 x",
        "1  2 3 4 0 b 0 7",
        "99999999999999999999 2 3 4 0 b 0 7",
        "1 2 3 4294967296 0 b 0 7",
    ] {
        assert!(ReceiptHandle::decode(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn decode_never_panics() {
    // A small deterministic fuzz: mutations of a valid handle.
    let base = b"101 1700000000000 60000 3 0 broker-a 2 105 987654";
    let alphabet = b" 0123456789-+a%\xff";
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut s = base.to_vec();
        let n = (x % 4) as usize + 1;
        for k in 0..n {
            let pos = ((x >> (8 * k)) as usize) % s.len();
            let c = alphabet[((x >> (5 * k + 3)) as usize) % alphabet.len()];
            if (x >> (k + 40)) & 1 == 0 {
                s[pos] = c;
            } else {
                s.truncate(pos);
                break;
            }
        }
        let text = String::from_utf8_lossy(&s);
        let _ = ReceiptHandle::decode(&text);
    }
}

#[test]
fn real_topic_follows_the_topic_type() {
    assert_eq!(real_topic("0", "T", "G"), "T");
    assert_eq!(real_topic("1", "T", "G"), "%RETRY%G_T");
    assert_eq!(real_topic("2", "T", "G"), "%RETRY%G+T");
    assert_eq!(real_topic("9", "T", "G"), "T");
    assert_eq!(topic_type_of("T"), "0");
    assert_eq!(topic_type_of("%RETRY%G_T"), "1");
    assert_eq!(topic_type_of("%RETRY%G+T"), "2");
}

fn info(start: Option<&str>, msg: Option<&str>, order: Option<&str>) -> PopInfo {
    PopInfo {
        pop_time: 1000,
        invisible_time: 30_000,
        revive_qid: 5,
        start_offset_info: start.map(str::to_owned),
        msg_offset_info: msg.map(str::to_owned),
        order_count_info: order.map(str::to_owned),
    }
}

fn r(topic: &str, queue_id: i32, queue_offset: i64) -> PoppedRef<'_> {
    PoppedRef {
        topic,
        queue_id,
        queue_offset,
        pop_ck: None,
    }
}

#[test]
fn stamps_with_start_and_msg_offset_info() {
    let i = info(Some("0 1 10;1 0 3"), Some("0 1 10,12;1 0 3"), None);
    let recs = [r("T", 1, 10), r("T", 1, 12), r("%RETRY%G_T", 0, 3)];
    let s = stamp_pop_result(&i, "bk", false, &recs).unwrap();
    assert_eq!(
        s[0].extra_info.as_deref(),
        Some("10 1000 30000 5 0 bk 1 10")
    );
    assert_eq!(
        s[1].extra_info.as_deref(),
        Some("10 1000 30000 5 0 bk 1 12")
    );
    assert_eq!(s[2].extra_info.as_deref(), Some("3 1000 30000 5 1 bk 0 3"));
    assert!(s.iter().all(|x| x.reconsume_times.is_none()));
}

#[test]
fn stamps_without_start_offset_info_share_the_first_offset() {
    let i = info(None, None, None);
    let recs = [r("T", 1, 10), r("T", 1, 11), r("T", 2, 4)];
    let s = stamp_pop_result(&i, "bk", false, &recs).unwrap();
    assert_eq!(
        s[1].extra_info.as_deref(),
        Some("10 1000 30000 5 0 bk 1 11")
    );
    assert_eq!(s[2].extra_info.as_deref(), Some("4 1000 30000 5 0 bk 2 4"));
}

#[test]
fn fifo_pops_take_the_order_count() {
    let i = info(
        Some("0 1 10"),
        Some("0 1 10,11"),
        Some("0 qo1%10 2;0 qo1%11 0"),
    );
    let recs = [r("T", 1, 10), r("T", 1, 11)];
    let s = stamp_pop_result(&i, "bk", true, &recs).unwrap();
    assert_eq!(s[0].reconsume_times, Some(2));
    assert_eq!(s[1].reconsume_times, None);
    let s = stamp_pop_result(&i, "bk", false, &recs).unwrap();
    assert_eq!(s[0].reconsume_times, None);
}

#[test]
fn records_with_their_own_pop_ck_keep_it() {
    let i = info(Some("0 1 10"), Some("0 1 10"), None);
    let mut rec = r("T", 1, 10);
    rec.pop_ck = Some("1 2 3 4 0 bk 1 10");
    let s = stamp_pop_result(&i, "bk", false, &[rec]).unwrap();
    assert_eq!(s[0].extra_info, None);
}

#[test]
fn malformed_offset_info_is_an_error() {
    for (a, b, c) in [
        (Some("0 1"), None, None),
        (Some("0 1 x"), None, None),
        (Some("0 1 2;0 1 3"), None, None),
        (Some("0 1 2"), Some("0 1 a,b"), None),
        (Some("0 1 2"), Some("0 1 2"), Some("0 qo1%2")),
    ] {
        let i = info(a, b, c);
        assert!(stamp_pop_result(&i, "bk", true, &[r("T", 1, 2)]).is_err());
    }
}

#[test]
fn change_invisible_handle_round_trip() {
    let extra = build_extra_info(7, 2000, 15_000, 1, "%RETRY%G+T", "bk", 3, 7);
    let h = ReceiptHandle::decode(&create_handle(&extra, 4242)).unwrap();
    assert_eq!(h.topic_type, "2");
    assert_eq!(h.commit_log_offset, 4242);
    assert_eq!(h.real_topic("T", "G"), "%RETRY%G+T");
}

mod prop {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn decode_is_total(s in "\\PC{0,80}") {
            let _ = ReceiptHandle::decode(&s);
        }

        #[test]
        fn decode_reads_what_was_built(
            ck in any::<i64>(), pop in any::<i64>(), inv in any::<i64>(), rq in any::<i32>(),
            ty in 0u8..3, broker in "[a-zA-Z0-9_.-]{1,20}", q in any::<i32>(), off in any::<i64>(),
            clo in any::<i64>(),
        ) {
            let topic = match ty { 0 => "T", 1 => "%RETRY%G_T", _ => "%RETRY%G+T" };
            let extra = build_extra_info(ck, pop, inv, rq, topic, &broker, q, off);
            let h = ReceiptHandle::decode(&create_handle(&extra, clo)).unwrap();
            prop_assert_eq!(
                (h.start_offset, h.retrieve_time, h.invisible_time, h.revive_queue_id),
                (ck, pop, inv, rq)
            );
            prop_assert_eq!(h.topic_type, ty.to_string());
            prop_assert_eq!(h.broker_name, broker);
            prop_assert_eq!((h.queue_id, h.offset, h.commit_log_offset), (q, off, clo));
        }

        #[test]
        fn stamping_is_total(
            start in proptest::option::of("[0-9 ;a-z%]{0,30}"),
            msg in proptest::option::of("[0-9 ;,a-z%]{0,30}"),
            order in proptest::option::of("[0-9 ;a-z%q]{0,30}"),
            offs in proptest::collection::vec((0i32..4, 0i64..20), 0..8),
        ) {
            let info = PopInfo {
                pop_time: 1,
                invisible_time: 2,
                revive_qid: 3,
                start_offset_info: start,
                msg_offset_info: msg,
                order_count_info: order,
            };
            let recs: Vec<_> = offs
                .iter()
                .map(|(q, o)| PoppedRef { topic: "T", queue_id: *q, queue_offset: *o, pop_ck: None })
                .collect();
            if let Ok(s) = stamp_pop_result(&info, "b", true, &recs) {
                prop_assert_eq!(s.len(), recs.len());
            }
        }
    }
}
