use super::*;

fn limits() -> Limits {
    Limits {
        default_invisible_ms: 60_000,
        min_invisible_ms: 10_000,
        max_invisible_ms: 12 * 3600 * 1000,
    }
}

fn dur(ms: i64) -> prost_types::Duration {
    prost_types::Duration {
        seconds: ms / 1000,
        nanos: ((ms % 1000) * 1_000_000) as i32,
    }
}

fn request() -> pb::ReceiveMessageRequest {
    pb::ReceiveMessageRequest {
        group: Some(pb::Resource {
            name: "G".into(),
            ..Default::default()
        }),
        message_queue: Some(pb::MessageQueue {
            topic: Some(pb::Resource {
                name: "T".into(),
                ..Default::default()
            }),
            id: -1,
            broker: Some(pb::Broker {
                name: "broker-b".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        filter_expression: Some(pb::FilterExpression {
            r#type: pb::FilterType::Tag as i32,
            expression: "TagA || TagB".into(),
        }),
        batch_size: 64,
        invisible_duration: Some(dur(30_000)),
        auto_renew: false,
        long_polling_timeout: Some(dur(30_000)),
        attempt_id: Some("a1".into()),
    }
}

#[test]
fn plans_as_java() {
    let p = plan(&limits(), &request(), &Budget::default()).unwrap();
    assert_eq!(p.topic, "T");
    assert_eq!(p.group, "G");
    assert_eq!(p.polling_ms, MAX_LONG_POLLING_MS);
    assert_eq!(p.invisible_ms, 30_000);
    assert_eq!(
        (p.exp_type.as_str(), p.exp.as_str()),
        ("TAG", "TagA || TagB")
    );
    assert_eq!(p.tags, vec!["TagA", "TagB"]);
    assert_eq!(p.batch, MAX_BATCH);
    assert_eq!(p.attempt_id.as_deref(), Some("a1"));
    assert_eq!(p.broker.as_deref(), Some("broker-b"));
}

#[test]
fn auto_renew_uses_the_default_invisible_time() {
    let mut r = request();
    r.auto_renew = true;
    r.invisible_duration = None;
    r.long_polling_timeout = Some(dur(1000));
    let p = plan(&limits(), &r, &Budget::default()).unwrap();
    assert!(p.auto_renew);
    assert_eq!(p.invisible_ms, 60_000);
    assert_eq!(p.polling_ms, MIN_LONG_POLLING_MS);
}

#[test]
fn refusals_carry_java_codes() {
    let code = |r: &pb::ReceiveMessageRequest| {
        plan(&limits(), r, &Budget::default())
            .unwrap_err()
            .status()
            .code
    };
    let mut r = request();
    r.invisible_duration = Some(dur(5_000));
    assert_eq!(code(&r), pb::Code::IllegalInvisibleTime as i32);
    r.invisible_duration = None;
    assert_eq!(code(&r), pb::Code::IllegalInvisibleTime as i32);
    let mut r = request();
    r.group.as_mut().unwrap().name = "bad group".into();
    assert_eq!(code(&r), pb::Code::IllegalConsumerGroup as i32);
    let mut r = request();
    r.message_queue.as_mut().unwrap().topic = None;
    assert_eq!(code(&r), pb::Code::IllegalTopic as i32);
    let mut r = request();
    r.filter_expression = Some(pb::FilterExpression {
        r#type: pb::FilterType::Sql as i32,
        expression: " ".into(),
    });
    assert_eq!(code(&r), pb::Code::IllegalFilterExpression as i32);
}

#[test]
fn filters() {
    assert_eq!(filter(None).unwrap(), ("TAG".into(), "*".into(), vec![]));
    let sql = pb::FilterExpression {
        r#type: pb::FilterType::Sql as i32,
        expression: "a > 1".into(),
    };
    assert_eq!(
        filter(Some(&sql)).unwrap(),
        ("SQL92".into(), "a > 1".into(), vec![])
    );
}

fn broker(name: &str) -> ReadableBroker {
    ReadableBroker {
        name: name.into(),
        addr: format!("{name}:1"),
        perm: 6,
        read_queue_nums: 4,
    }
}

#[test]
fn chooses_the_assigned_broker_else_rotates() {
    let bs = [broker("a"), broker("b"), broker("c")];
    assert_eq!(choose(&bs, Some("b"), 0).unwrap().name, "b");
    assert_eq!(choose(&bs, Some("zz"), 4).unwrap().name, "b");
    let names: Vec<_> = (0..4)
        .map(|t| choose(&bs, None, t).unwrap().name.clone())
        .collect();
    assert_eq!(names, ["a", "b", "c", "a"]);
    assert!(choose(&[], None, 0).is_none());
}

fn popped(tag: Option<&str>, reconsume: i32) -> Received {
    let mut p = ferromq_protocol::message::Properties::new();
    if let Some(t) = tag {
        p.insert(keys::TAGS, t);
    }
    Received {
        message: Decoded::new(crate::consumer::convert::tests::record(&p, b"x", 0)),
        handle: "h".into(),
        reconsume_times: reconsume,
    }
}

#[test]
fn verdicts_as_java_filter() {
    let tags = vec!["A".to_owned()];
    assert_eq!(
        verdict(&tags, &popped(Some("A"), 0), Some(16)),
        Verdict::Deliver
    );
    assert_eq!(
        verdict(&tags, &popped(Some("B"), 0), Some(16)),
        Verdict::NoMatch
    );
    assert_eq!(verdict(&tags, &popped(None, 0), None), Verdict::NoMatch);
    assert_eq!(verdict(&[], &popped(None, 16), Some(16)), Verdict::ToDlq);
    assert_eq!(verdict(&[], &popped(None, 15), Some(16)), Verdict::Deliver);
    assert_eq!(verdict(&[], &popped(None, 99), None), Verdict::Deliver);
}

#[test]
fn pop_responses_become_messages_with_handles() {
    use ferromq_protocol::headers::CommandHeader as _;
    let mut p = ferromq_protocol::message::Properties::new();
    p.insert(keys::TAGS, "A");
    let rec = crate::consumer::convert::tests::record(&p, b"body", 0);
    let mut buf = bytes::BytesMut::new();
    rec.view().encode(&mut buf).unwrap();
    let header = PopMessageResponseHeader {
        pop_time: 1000,
        invisible_time: 30_000,
        revive_qid: 2,
        rest_num: 0,
        start_offset_info: Some("0 3 42".into()),
        msg_offset_info: Some("0 3 42".into()),
        order_count_info: None,
    };
    let mut resp = RemotingCommand::success().with_body(buf.freeze());
    header.write_to(&mut resp.ext_fields);
    let Outcome::Found(found) = read_pop_response(&resp, "bk", false).unwrap() else {
        panic!("expected messages");
    };
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].handle, "42 1000 30000 2 0 bk 3 42 4096");
    assert_eq!(found[0].reconsume_times, 2);
    let none = RemotingCommand::response(response_code::POLLING_TIMEOUT);
    assert!(matches!(
        read_pop_response(&none, "bk", false).unwrap(),
        Outcome::NotFound
    ));
    let full = RemotingCommand::response(response_code::POLLING_FULL);
    assert!(matches!(
        read_pop_response(&full, "bk", false).unwrap(),
        Outcome::PollingFull
    ));
    let err = RemotingCommand::error(response_code::SUBSCRIPTION_GROUP_NOT_EXIST, "no group");
    let s = read_pop_response(&err, "bk", false).unwrap_err().status();
    assert_eq!(s.code, pb::Code::ConsumerGroupNotFound as i32);
    assert_eq!(s.message, "no group");
    // A body that is not records is an error, not a panic.
    let junk = RemotingCommand::success().with_body(bytes::Bytes::from_static(b"junk"));
    let mut junk = junk;
    header.write_to(&mut junk.ext_fields);
    assert!(read_pop_response(&junk, "bk", false).is_err());
}

#[tokio::test]
async fn a_refused_receive_streams_status_then_delivery_timestamp() {
    use futures::StreamExt as _;
    let cfg = crate::ProxyConfig::new("127.0.0.1:0".parse().unwrap(), vec!["127.0.0.1:1".into()]);
    let proxy = Proxy::new(cfg);
    let mut r = request();
    r.message_queue = None;
    let ctx = RequestContext::for_client("c1");
    let parts: Vec<_> = receive_message(proxy, ctx, r)
        .map(|x| x.unwrap().content.unwrap())
        .collect()
        .await;
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert!(matches!(&parts[0], Content::Status(s) if s.code == pb::Code::IllegalTopic as i32));
    assert!(matches!(&parts[1], Content::DeliveryTimestamp(_)));
}

#[test]
fn polling_follows_the_deadline_as_java() {
    let budget = |left: Option<i64>, v: &str| Budget {
        remaining_ms: left,
        request_timeout_ms: 3_000,
        client_version: v.into(),
    };
    let mut r = request();
    r.long_polling_timeout = Some(dur(15_000));
    assert_eq!(polling_ms(&r, &budget(None, "5.0.7")).unwrap(), 15_000);
    assert_eq!(
        polling_ms(&r, &budget(Some(18_000), "5.0.7")).unwrap(),
        15_000
    );
    // Cut to what the deadline leaves.
    assert_eq!(
        polling_ms(&r, &budget(Some(9_000), "5.0.7")).unwrap(),
        9_000
    );
    // Too little left: refused, with the code the client's version knows.
    let code = |b: Budget| polling_ms(&r, &b).unwrap_err().status().code;
    assert_eq!(
        code(budget(Some(4_000), "5.0.7")),
        pb::Code::IllegalPollingTime as i32
    );
    assert_eq!(
        code(budget(Some(4_000), "5.0.2")),
        pb::Code::BadRequest as i32
    );
    assert_eq!(code(budget(Some(4_000), "")), pb::Code::BadRequest as i32);
    // Without a long-polling timeout: the deadline less half a request timeout.
    r.long_polling_timeout = None;
    assert_eq!(
        polling_ms(&r, &budget(Some(14_500), "5.0.7")).unwrap(),
        13_000
    );
    assert_eq!(
        polling_ms(&r, &budget(None, "5.0.7")).unwrap(),
        MIN_LONG_POLLING_MS
    );
}
