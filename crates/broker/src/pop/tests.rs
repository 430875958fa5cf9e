//! Handler tests over a broker context without sockets: pop, ack, change-invisible, revive,
//! retry → DLQ, orderly pops, long polling bounds, hostile input.

use std::time::Duration;

use ferromq_model::perm::{PERM_READ, PERM_WRITE};
use ferromq_protocol::headers::*;
use ferromq_protocol::message::properties::{keys as props, Properties};
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::{request_code as rc, response_code, RemotingCommand};

use ferromq_config::ConfigTable;

use super::extra_info::ExtraInfo;
use super::revive::revive_pass;
use crate::context::testing::{self, channel, send_request, topic, TestContext};

async fn with_messages(t: &TestContext, name: &str, queues: i32, n: usize) {
    topic(t, name, queues, PERM_READ | PERM_WRITE);
    for i in 0..n {
        let mut p = Properties::new();
        p.insert(props::TAGS, if i % 2 == 0 { "even" } else { "odd" });
        let q = (i as i32) % queues;
        crate::processor::send::send(t, &channel(), send_request(name, q, &format!("m{i}"), &p))
            .await
            .unwrap();
    }
    assert!(t.store().wait_dispatched(Duration::from_secs(5)));
}

fn pop_req(topic: &str, group: &str, max: i32, invisible: i64) -> PopMessageRequestHeader {
    PopMessageRequestHeader {
        consumer_group: group.into(),
        topic: topic.into(),
        queue_id: -1,
        max_msg_nums: max,
        invisible_time: invisible,
        poll_time: 0,
        born_time: ferromq_protocol::time::now_ms(),
        init_mode: 0,
        ..Default::default()
    }
}

fn pop(t: &TestContext, h: &PopMessageRequestHeader) -> RemotingCommand {
    let req = RemotingCommand::request_with(rc::POP_MESSAGE, h);
    super::pop::pop_message(t, &channel(), &req).expect("answered now")
}

/// The messages of a pop response with their receipts, built as Java's client does.
fn popped(r: &RemotingCommand) -> Vec<(MessageExt, ExtraInfo)> {
    assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
    let h: PopMessageResponseHeader = r.decode_header().unwrap();
    let msgs = MessageExt::decode_all(&r.body.to_bytes()).unwrap();
    let starts: std::collections::HashMap<String, i64> = h
        .start_offset_info
        .unwrap()
        .split(';')
        .map(|e| {
            let f: Vec<&str> = e.split(' ').collect();
            (format!("{}@{}", f[0], f[1]), f[2].parse().unwrap())
        })
        .collect();
    msgs.into_iter()
        .map(|m| {
            let p = Properties::parse_bytes(&m.properties);
            let receipt = match p.get(props::POP_CK) {
                Some(ck) => ExtraInfo::parse(ck).unwrap(),
                None => ExtraInfo {
                    ck_queue_offset: starts[&format!("0@{}", m.queue_id)],
                    pop_time: h.pop_time,
                    invisible_time: h.invisible_time,
                    revive_qid: h.revive_qid,
                    mark: "0".into(),
                    broker_name: "broker-test".into(),
                    queue_id: m.queue_id,
                    queue_offset: Some(m.queue_offset),
                },
            };
            (m, receipt)
        })
        .collect()
}

fn ack(
    t: &TestContext,
    topic: &str,
    group: &str,
    m: &MessageExt,
    e: &ExtraInfo,
) -> RemotingCommand {
    let req = RemotingCommand::request_with(
        rc::ACK_MESSAGE,
        &AckMessageRequestHeader {
            consumer_group: group.into(),
            topic: e.real_topic(topic, group),
            queue_id: e.queue_id,
            extra_info: e.build(),
            offset: e.queue_offset.unwrap_or(m.queue_offset),
        },
    );
    super::ack::ack_message(t, &channel(), &req).unwrap_or_else(|e| e.into_response())
}

fn settle(t: &TestContext) {
    assert!(t.store().wait_dispatched(Duration::from_secs(5)));
}

fn body(m: &MessageExt) -> String {
    String::from_utf8_lossy(&m.body).into_owned()
}

#[tokio::test]
async fn popped_acked_and_the_rest_revived_into_the_retry_topic() {
    let t = testing::context();
    with_messages(&t, "T", 2, 4).await;
    let r = pop(&t, &pop_req("T", "cg", 32, 1000));
    let h: PopMessageResponseHeader = r.decode_header().unwrap();
    assert_eq!(h.rest_num, 0);
    let got = popped(&r);
    assert_eq!(got.len(), 4);
    // The group's offsets moved at pop time.
    assert_eq!(t.tables().offsets().query("cg", "T", 0), Some(2));
    assert_eq!(t.tables().offsets().query("cg", "T", 1), Some(2));
    // Popped again at once: nothing (all invisible).
    assert_eq!(
        pop(&t, &pop_req("T", "cg", 32, 1000)).code,
        response_code::POLLING_TIMEOUT
    );
    // Ack m0 and m1.
    for (m, e) in got
        .iter()
        .filter(|(m, _)| ["m0", "m1"].contains(&body(m).as_str()))
    {
        assert_eq!(ack(&t, "T", "cg", m, e).code, response_code::SUCCESS);
    }
    settle(&t);
    let now = ferromq_protocol::time::now_ms();
    assert_eq!(revive_pass(&t, now), 0, "still invisible");
    assert_eq!(revive_pass(&t, now + 5_000), 2);
    settle(&t);
    assert_eq!(t.store().max_offset_in_queue("%RETRY%cg_T", 0), 2);
    // Revived once only.
    assert_eq!(revive_pass(&t, now + 10_000), 0);
    let again = popped(&pop(&t, &pop_req("T", "cg", 32, 60_000)));
    let mut bodies: Vec<String> = again.iter().map(|(m, _)| body(m)).collect();
    bodies.sort();
    assert_eq!(bodies, vec!["m2", "m3"]);
    for (m, e) in &again {
        assert_eq!(m.topic, "T", "renamed to the requested topic");
        assert_eq!(m.reconsume_times, 1);
        assert_eq!(e.mark, "1");
        let p = Properties::parse_bytes(&m.properties);
        assert!(p.contains(props::FIRST_POP_TIME));
        assert_eq!(ack(&t, "T", "cg", m, e).code, response_code::SUCCESS);
    }
    settle(&t);
    assert_eq!(
        revive_pass(&t, now + 120_000),
        0,
        "acked retries stay acked"
    );
}

#[tokio::test]
async fn change_invisible_time_moves_the_revive_time() {
    let t = testing::context();
    with_messages(&t, "T", 1, 1).await;
    let got = popped(&pop(&t, &pop_req("T", "cg", 1, 1000)));
    let (m, e) = &got[0];
    let req = RemotingCommand::request_with(
        rc::CHANGE_MESSAGE_INVISIBLETIME,
        &ChangeInvisibleTimeRequestHeader {
            consumer_group: "cg".into(),
            topic: "T".into(),
            queue_id: 0,
            extra_info: e.build(),
            offset: m.queue_offset,
            invisible_time: 100_000,
        },
    );
    let r = super::invisible::change_invisible_time(&t, &channel(), &req).unwrap();
    let h: ChangeInvisibleTimeResponseHeader = r.decode_header().unwrap();
    assert_eq!((h.invisible_time, h.revive_qid), (100_000, e.revive_qid));
    settle(&t);
    let now = ferromq_protocol::time::now_ms();
    assert_eq!(revive_pass(&t, now + 5_000), 0, "the old receipt was acked");
    assert_eq!(
        revive_pass(&t, now + 200_000),
        1,
        "the new checkpoint revives"
    );
}

#[tokio::test]
async fn retried_too_often_goes_to_the_dlq() {
    let t = testing::context();
    with_messages(&t, "T", 1, 1).await;
    let mut g = ferromq_model::SubscriptionGroupConfig::new("cg");
    g.retry_max_times = 1;
    t.tables().groups().put(g);
    let now = ferromq_protocol::time::now_ms();
    popped(&pop(&t, &pop_req("T", "cg", 1, 1000)));
    settle(&t);
    assert_eq!(revive_pass(&t, now + 5_000), 1);
    settle(&t);
    let retry = popped(&pop(&t, &pop_req("T", "cg", 1, 1000)));
    assert_eq!(retry[0].0.reconsume_times, 1);
    settle(&t);
    assert_eq!(revive_pass(&t, now + 10_000), 1);
    settle(&t);
    assert_eq!(t.store().max_offset_in_queue("%DLQ%cg", 0), 1);
    assert_eq!(t.store().max_offset_in_queue("%RETRY%cg_T", 0), 1);
}

#[tokio::test]
async fn tag_filters_apply_and_filtered_messages_move_the_offset() {
    let t = testing::context();
    with_messages(&t, "T", 1, 6).await;
    let mut h = pop_req("T", "cg", 32, 60_000);
    h.exp_type = Some("TAG".into());
    h.exp = Some("odd".into());
    let got = popped(&pop(&t, &h));
    let bodies: Vec<String> = got.iter().map(|(m, _)| body(m)).collect();
    assert_eq!(bodies, vec!["m1", "m3", "m5"]);
    h.exp_type = Some("SQL92".into());
    h.exp = Some("a > 1".into());
    assert_eq!(
        pop(&t, &h).code,
        response_code::SYSTEM_ERROR,
        "SQL92 needs enablePropertyFilter"
    );
    h.exp_type = Some("XPATH".into());
    assert_eq!(pop(&t, &h).code, response_code::SUBSCRIPTION_PARSE_FAILED);
}

#[tokio::test]
async fn orderly_pops_block_the_queue_until_acked() {
    let t = testing::context();
    with_messages(&t, "T", 1, 4).await;
    let mut h = pop_req("T", "cg", 2, 60_000);
    h.order = Some(true);
    h.attempt_id = Some("a1".into());
    let r = pop(&t, &h);
    let rh: PopMessageResponseHeader = r.decode_header().unwrap();
    assert_eq!(rh.revive_qid, super::keys::ORDER_REVIVE_QUEUE);
    assert_eq!(rh.order_count_info.as_deref(), Some("0 0 0"));
    let first = popped(&r);
    assert_eq!(
        first.iter().map(|(m, _)| body(m)).collect::<Vec<_>>(),
        vec!["m0", "m1"]
    );
    // Another attempt is blocked; the same attempt gets the same batch.
    h.attempt_id = Some("a2".into());
    assert_eq!(pop(&t, &h).code, response_code::POLLING_TIMEOUT);
    h.attempt_id = Some("a1".into());
    let same = popped(&pop(&t, &h));
    assert_eq!(
        same.iter().map(|(m, _)| body(m)).collect::<Vec<_>>(),
        vec!["m0", "m1"]
    );
    for (m, e) in &same {
        assert!(e.is_order());
        assert_eq!(ack(&t, "T", "cg", m, e).code, response_code::SUCCESS);
    }
    assert_eq!(t.tables().offsets().query("cg", "T", 0), Some(2));
    // Changing an orderly message's invisible time keeps its receipt's pop time: the ack of
    // the new receipt still settles the batch.
    h.attempt_id = Some("a3".into());
    let batch = popped(&pop(&t, &h));
    let (m, e) = &batch[0];
    let req = RemotingCommand::request_with(
        rc::CHANGE_MESSAGE_INVISIBLETIME,
        &ChangeInvisibleTimeRequestHeader {
            consumer_group: "cg".into(),
            topic: "T".into(),
            queue_id: 0,
            extra_info: e.build(),
            offset: m.queue_offset,
            invisible_time: 120_000,
        },
    );
    let r = super::invisible::change_invisible_time(&t, &channel(), &req).unwrap();
    let ch: ChangeInvisibleTimeResponseHeader = r.decode_header().unwrap();
    assert_eq!(ch.pop_time, e.pop_time);
    assert!(ch.invisible_time >= 120_000);
    let renewed = ExtraInfo {
        pop_time: ch.pop_time,
        invisible_time: ch.invisible_time,
        ..e.clone()
    };
    for (m, e) in [(m, &renewed), (&batch[1].0, &batch[1].1)] {
        assert_eq!(ack(&t, "T", "cg", m, e).code, response_code::SUCCESS);
    }
    assert_eq!(t.tables().offsets().query("cg", "T", 0), Some(4));
    assert_eq!(
        batch.iter().map(|(m, _)| body(m)).collect::<Vec<_>>(),
        vec!["m2", "m3"]
    );
    h.attempt_id = Some("a4".into());
    assert_eq!(
        pop(&t, &h).code,
        response_code::POLLING_TIMEOUT,
        "all consumed"
    );
}

#[tokio::test]
async fn long_polls_are_held_bounded_and_counted() {
    let t = testing::context();
    topic(&t, "T", 1, PERM_READ | PERM_WRITE);
    let ch = channel();
    let mut h = pop_req("T", "cg", 1, 1000);
    h.poll_time = 10_000;
    let req = RemotingCommand::request_with(rc::POP_MESSAGE, &h);
    assert!(super::pop::pop_message(&t, &ch, &req).is_none(), "held");
    let n = RemotingCommand::request_with(
        rc::NOTIFICATION,
        &NotificationRequestHeader {
            consumer_group: "cg".into(),
            topic: "T".into(),
            queue_id: -1,
            poll_time: 10_000,
            born_time: 0,
            order: None,
            attempt_id: None,
        },
    );
    assert!(
        super::notification::notification(&t, &ch, &n).is_none(),
        "held"
    );
    assert_eq!(t.pop().hold().len(), 2);
    let info = RemotingCommand::request_with(
        rc::POLLING_INFO,
        &PollingInfoRequestHeader {
            consumer_group: "cg".into(),
            topic: "T".into(),
            queue_id: -1,
        },
    );
    let r = super::notification::polling_info(&t, &ch, &info).unwrap();
    let ph: PollingInfoResponseHeader = r.decode_header().unwrap();
    assert_eq!(ph.polling_num, 2);
    // A message arrives: both run again and are answered.
    with_messages(&t, "T", 1, 1).await;
    super::wake::on_arrival(&t.ctx, "T");
    assert_eq!(t.pop().hold().len(), 0);
    // Full: POLLING_FULL, and a notification says pollingFull.
    let full = super::hold::PopHold::with_limits(0, 0);
    assert!(full
        .hold(super::hold::HeldPop {
            channel: ch.clone(),
            waiting: super::hold::Waiting::Pop(h.clone()),
            opaque: 0,
            serialize_type: ferromq_protocol::SerializeType::Json,
            deadline: std::time::Instant::now(),
        })
        .is_err());
}

#[tokio::test]
async fn hostile_requests_get_clear_codes() {
    let t = testing::context();
    with_messages(&t, "T", 1, 1).await;
    assert_eq!(
        pop(&t, &pop_req("T", "cg", 33, 1000)).code,
        response_code::INVALID_PARAMETER
    );
    assert_eq!(
        pop(&t, &pop_req("a/b", "cg", 1, 1000)).code,
        response_code::INVALID_PARAMETER
    );
    assert_eq!(
        pop(&t, &pop_req("T", "../g", 1, 1000)).code,
        response_code::INVALID_PARAMETER
    );
    assert_eq!(
        pop(&t, &pop_req("Nope", "cg", 1, 1000)).code,
        response_code::TOPIC_NOT_EXIST
    );
    let mut bad_q = pop_req("T", "cg", 1, 1000);
    bad_q.queue_id = 7;
    assert_eq!(pop(&t, &bad_q).code, response_code::INVALID_PARAMETER);
    let ack_with = |extra: &str, offset: i64| {
        let req = RemotingCommand::request_with(
            rc::ACK_MESSAGE,
            &AckMessageRequestHeader {
                consumer_group: "cg".into(),
                topic: "T".into(),
                queue_id: 0,
                extra_info: extra.into(),
                offset,
            },
        );
        super::ack::ack_message(&t, &channel(), &req)
            .map(|r| r.code)
            .unwrap_or_else(|e| e.code())
    };
    assert_eq!(ack_with("garbage", 0), response_code::INVALID_PARAMETER);
    assert_eq!(
        ack_with("0 1 2 3 9 b 0", 0),
        response_code::INVALID_PARAMETER
    );
    assert_eq!(
        ack_with("0 1 2 77 0 b 0 0", 0),
        response_code::INVALID_PARAMETER,
        "no such revive queue"
    );
    assert_eq!(ack_with("0 1 2 3 0 b 0 0", 99), response_code::NO_MESSAGE);
    assert_eq!(ack_with("0 1 2 3 0 b 0 0", 0), response_code::SUCCESS);
    let batch = |body: &str| {
        let req =
            RemotingCommand::request(rc::BATCH_ACK_MESSAGE).with_body(body.as_bytes().to_vec());
        super::ack::batch_ack(&t, &channel(), &req)
            .map(|r| r.code)
            .unwrap_or_else(|e| e.code())
    };
    assert_eq!(batch("not json"), response_code::NO_MESSAGE);
    assert_eq!(batch(r#"{"acks":[]}"#), response_code::NO_MESSAGE);
    assert_eq!(
        batch(
            r#"{"acks":[{"c":"cg","t":"T","r":"5","so":0,"q":0,"rq":0,"pt":1,"it":1,"b":"AQ=="}]}"#
        ),
        response_code::INVALID_PARAMETER
    );
    assert_eq!(
        batch(
            r#"{"acks":[{"c":"cg","t":"T","r":"0","so":0,"q":0,"rq":0,"pt":1,"it":1,"b":"AQ=="}]}"#
        ),
        response_code::SUCCESS
    );
}

#[tokio::test]
async fn batch_acks_settle_checkpoints() {
    let t = testing::context();
    with_messages(&t, "T", 1, 3).await;
    let got = popped(&pop(&t, &pop_req("T", "cg", 32, 1000)));
    let e = &got[0].1;
    let bits = super::records::BatchAck::bits_of(&[0, 2]);
    let b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(bits)
    };
    let body = format!(
        r#"{{"brokerName":"broker-test","acks":[{{"c":"cg","t":"T","r":"0","so":{},"q":0,"rq":{},"pt":{},"it":1000,"b":"{b64}"}}]}}"#,
        e.ck_queue_offset, e.revive_qid, e.pop_time
    );
    let req = RemotingCommand::request(rc::BATCH_ACK_MESSAGE).with_body(body.into_bytes());
    assert_eq!(
        super::ack::batch_ack(&t, &channel(), &req).unwrap().code,
        response_code::SUCCESS
    );
    settle(&t);
    assert_eq!(
        revive_pass(&t, ferromq_protocol::time::now_ms() + 5_000),
        1,
        "only m1 revives"
    );
}

#[tokio::test]
async fn a_held_pop_that_missed_its_arrival_runs_again_on_the_tick() {
    let t = testing::context();
    topic(&t, "T", 1, PERM_READ | PERM_WRITE);
    let mut h = pop_req("T", "cg", 1, 1000);
    h.poll_time = 10_000;
    let req = RemotingCommand::request_with(rc::POP_MESSAGE, &h);
    assert!(super::pop::pop_message(&t, &channel(), &req).is_none());
    // No arrival listener in this context: the message arrives unannounced.
    super::wake::on_tick(&t.ctx);
    assert_eq!(t.pop().hold().len(), 1, "nothing to find yet");
    with_messages(&t, "T", 1, 1).await;
    super::wake::on_tick(&t.ctx);
    assert_eq!(t.pop().hold().len(), 0, "run again within a tick");
}

#[tokio::test]
async fn orderly_re_pops_after_invisibility_report_attempts_as_java() {
    let t = testing::context();
    with_messages(&t, "T", 1, 2).await;
    let mut h = pop_req("T", "cg", 2, 0);
    h.order = Some(true);
    h.attempt_id = Some("a1".into());
    let first: PopMessageResponseHeader = pop(&t, &h).decode_header().unwrap();
    assert_eq!(first.order_count_info.as_deref(), Some("0 0 0"));
    h.attempt_id = Some("a2".into());
    let r = pop(&t, &h);
    let again: PopMessageResponseHeader = r.decode_header().unwrap();
    assert_eq!(
        again.order_count_info.as_deref(),
        Some("0 qo0%0 1;0 qo0%1 1;0 0 1")
    );
    assert_eq!(popped(&r).len(), 2, "the same batch again");
}

#[tokio::test]
async fn sql92_filters_with_enable_property_filter() {
    let t = testing::context_with(|c| {
        c.set("enablePropertyFilter", "true").unwrap();
    });
    topic(&t, "T", 1, PERM_READ | PERM_WRITE);
    for a in 0..4 {
        let mut p = Properties::new();
        p.insert("a", a.to_string());
        crate::processor::send::send(&t, &channel(), send_request("T", 0, &format!("a{a}"), &p))
            .await
            .unwrap();
    }
    settle(&t);
    let mut h = pop_req("T", "cg", 32, 60_000);
    h.exp_type = Some("SQL92".into());
    h.exp = Some("a > 1".into());
    let got = popped(&pop(&t, &h));
    assert_eq!(
        got.iter().map(|(m, _)| body(m)).collect::<Vec<_>>(),
        vec!["a2", "a3"]
    );
    h.exp = Some("a >".into());
    assert_eq!(pop(&t, &h).code, response_code::SUBSCRIPTION_PARSE_FAILED);
}

#[tokio::test]
async fn retry_topic_v2_names_and_marks() {
    let t = testing::context_with(|c| {
        c.set("enableRetryTopicV2", "true").unwrap();
        c.set("retrieveMessageFromPopRetryTopicV1", "false")
            .unwrap();
    });
    with_messages(&t, "T", 1, 1).await;
    popped(&pop(&t, &pop_req("T", "cg", 1, 1000)));
    settle(&t);
    assert_eq!(revive_pass(&t, ferromq_protocol::time::now_ms() + 5_000), 1);
    settle(&t);
    assert_eq!(t.store().max_offset_in_queue("%RETRY%cg+T", 0), 1);
    let back = popped(&pop(&t, &pop_req("T", "cg", 1, 60_000)));
    assert_eq!(back[0].1.mark, "2");
    assert_eq!(back[0].1.real_topic("T", "cg"), "%RETRY%cg+T");
    assert_eq!(
        ack(&t, "T", "cg", &back[0].0, &back[0].1).code,
        response_code::SUCCESS
    );
}

#[tokio::test]
async fn an_orderly_ack_waits_for_a_pop_of_its_queue() {
    let t = testing::context();
    with_messages(&t, "T", 1, 1).await;
    let mut h = pop_req("T", "cg", 1, 60_000);
    h.order = Some(true);
    let got = popped(&pop(&t, &h));
    let (m, e) = got[0].clone();
    // A pop of the queue is under way (it holds the queue's lock)…
    let lock = t.pop().try_lock(("T".into(), "cg".into(), 0)).unwrap();
    let ctx = t.ctx.clone();
    let acker = std::thread::spawn(move || {
        super::ack::ack_orderly(&ctx, "T", "cg", 0, m.queue_offset, e.pop_time)
    });
    std::thread::sleep(Duration::from_millis(100));
    // … so the ack has not moved the offset under it.
    assert_eq!(t.tables().offsets().query("cg", "T", 0), Some(0));
    drop(lock);
    acker.join().unwrap();
    assert_eq!(t.tables().offsets().query("cg", "T", 0), Some(1));
}
