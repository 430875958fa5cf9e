//! POP over the wire against an in-process broker with its revive service running: change of
//! invisible time and redelivery from the pop retry topic, retry → DLQ, orderly pops, receipts
//! that do not parse.

use std::time::{Duration, Instant};

use ferromq_model::SubscriptionGroupConfig;
use ferromq_protocol::headers::*;
use ferromq_protocol::message::properties::Properties;
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::response_code as code;
use ferromq_protocol::{request_code as rc, RemotingCommand};
use ferromq_testkit::{send_request, TestCluster};

use crate::{records, unique};

fn pop_request(topic: &str, group: &str, invisible: i64, order: Option<&str>) -> RemotingCommand {
    RemotingCommand::request_with(
        rc::POP_MESSAGE,
        &PopMessageRequestHeader {
            consumer_group: group.into(),
            topic: topic.into(),
            queue_id: -1,
            max_msg_nums: 32,
            invisible_time: invisible,
            poll_time: 0,
            born_time: 0,
            init_mode: 0,
            order: order.map(|_| true),
            attempt_id: order.map(str::to_string),
            ..Default::default()
        },
    )
}

/// Each message with the receipt Java's client builds for it (`POP_CK` when the broker set it).
fn receipts(r: &RemotingCommand) -> Vec<(MessageExt, String)> {
    if r.code != code::SUCCESS {
        assert_eq!(r.code, code::POLLING_TIMEOUT, "{:?}", r.remark);
        return Vec::new();
    }
    let h: PopMessageResponseHeader = r.decode_header().unwrap();
    let starts = h.start_offset_info.unwrap_or_default();
    records(r)
        .into_iter()
        .map(|m| {
            let ck = Properties::parse_bytes(&m.properties)
                .get("POP_CK")
                .map(str::to_string);
            let receipt = ck.unwrap_or_else(|| {
                let start = starts
                    .split(';')
                    .map(|e| e.split(' ').collect::<Vec<_>>())
                    .find(|f| f[0] == "0" && f[1] == m.queue_id.to_string())
                    .map(|f| f[2].to_string())
                    .expect("a start offset for the queue");
                format!(
                    "{start} {} {} {} 0 broker-a {} {}",
                    h.pop_time, h.invisible_time, h.revive_qid, m.queue_id, m.queue_offset
                )
            });
            (m, receipt)
        })
        .collect()
}

fn real_topic(topic: &str, group: &str, receipt: &str) -> String {
    match receipt.split(' ').nth(4) {
        Some("1") => format!("%RETRY%{group}_{topic}"),
        _ => topic.to_string(),
    }
}

async fn ack(c: &TestCluster, topic: &str, group: &str, m: &MessageExt, receipt: &str) -> i32 {
    let r = c
        .call(RemotingCommand::request_with(
            rc::ACK_MESSAGE,
            &AckMessageRequestHeader {
                consumer_group: group.into(),
                topic: real_topic(topic, group, receipt),
                queue_id: m.queue_id,
                extra_info: receipt.into(),
                offset: m.queue_offset,
            },
        ))
        .await;
    r.code
}

fn body(m: &MessageExt) -> String {
    String::from_utf8_lossy(&m.body).into_owned()
}

/// Pops until something comes or `within` passes.
async fn pop_until(
    c: &TestCluster,
    req: impl Fn() -> RemotingCommand,
    within: Duration,
) -> Vec<(MessageExt, String)> {
    let deadline = Instant::now() + within;
    loop {
        let got = receipts(&c.call(req()).await);
        if !got.is_empty() || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn change_invisible_time_and_redelivery_from_the_retry_topic() {
    let c = TestCluster::start().await;
    let (topic, group) = (unique("Pop"), unique("popg"));
    c.create_topic(&topic, 2).await;
    c.send(send_request(&topic, 0, "keep", None, &[])).await;
    c.send(send_request(&topic, 1, "later", None, &[])).await;
    c.settle();
    let got = receipts(&c.call(pop_request(&topic, &group, 2_000, None)).await);
    assert_eq!(got.len(), 2);
    let (keep, later) = if body(&got[0].0) == "keep" {
        (&got[0], &got[1])
    } else {
        (&got[1], &got[0])
    };
    assert_eq!(
        ack(&c, &topic, &group, &keep.0, &keep.1).await,
        code::SUCCESS
    );
    let r = c
        .call(RemotingCommand::request_with(
            rc::CHANGE_MESSAGE_INVISIBLETIME,
            &ChangeInvisibleTimeRequestHeader {
                consumer_group: group.clone(),
                topic: topic.clone(),
                queue_id: later.0.queue_id,
                extra_info: later.1.clone(),
                offset: later.0.queue_offset,
                invisible_time: 5_000,
            },
        ))
        .await;
    assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
    let changed_at = Instant::now();
    // Past the first invisible time: nothing yet.
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    assert!(receipts(&c.call(pop_request(&topic, &group, 60_000, None)).await).is_empty());
    let back = pop_until(
        &c,
        || pop_request(&topic, &group, 60_000, None),
        Duration::from_secs(10),
    )
    .await;
    assert!(
        changed_at.elapsed() >= Duration::from_secs(5),
        "not before the new invisible time"
    );
    assert_eq!(back.len(), 1);
    assert_eq!(
        (body(&back[0].0), back[0].0.reconsume_times),
        ("later".into(), 1)
    );
    assert_eq!(back[0].0.topic, topic, "the retry record under its topic");
    assert_eq!(
        ack(&c, &topic, &group, &back[0].0, &back[0].1).await,
        code::SUCCESS
    );
    c.shutdown().await;
}

#[tokio::test]
async fn un_acked_past_retry_max_times_lands_in_the_dlq() {
    let c = TestCluster::start().await;
    let (topic, group) = (unique("PopDlq"), unique("popdlq"));
    c.create_topic(&topic, 1).await;
    let mut g = SubscriptionGroupConfig::new(&group);
    g.retry_max_times = 1;
    let r = c
        .call(
            RemotingCommand::request(rc::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
                .with_body(serde_json::to_vec(&g).unwrap()),
        )
        .await;
    assert_eq!(r.code, code::SUCCESS);
    c.send(send_request(&topic, 0, "poison", None, &[])).await;
    c.settle();
    assert_eq!(
        receipts(&c.call(pop_request(&topic, &group, 500, None)).await).len(),
        1
    );
    let again = pop_until(
        &c,
        || pop_request(&topic, &group, 500, None),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].0.reconsume_times, 1);
    let dlq = format!("%DLQ%{group}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = c
            .call(RemotingCommand::request_with(
                rc::GET_MAX_OFFSET,
                &GetMaxOffsetRequestHeader {
                    topic: dlq.clone(),
                    queue_id: 0,
                    committed: None,
                },
            ))
            .await;
        if r.code == code::SUCCESS && r.decode_header::<OffsetResponseHeader>().unwrap().offset == 1
        {
            break;
        }
        assert!(Instant::now() < deadline, "never reached the DLQ");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    c.shutdown().await;
}

#[tokio::test]
async fn orderly_pops_hand_out_a_queue_batch_by_batch() {
    let c = TestCluster::start().await;
    let (topic, group) = (unique("PopOrder"), unique("popord"));
    c.create_topic(&topic, 1).await;
    for i in 0..3 {
        c.send(send_request(&topic, 0, format!("o{i}"), None, &[]))
            .await;
    }
    c.settle();
    let first = receipts(
        &c.call(pop_request(&topic, &group, 60_000, Some("a1")))
            .await,
    );
    assert_eq!(
        first.iter().map(|(m, _)| body(m)).collect::<Vec<_>>(),
        vec!["o0", "o1", "o2"]
    );
    assert!(receipts(
        &c.call(pop_request(&topic, &group, 60_000, Some("a2")))
            .await
    )
    .is_empty());
    for (m, r) in &first[..2] {
        assert_eq!(ack(&c, &topic, &group, m, r).await, code::SUCCESS);
    }
    assert!(
        receipts(
            &c.call(pop_request(&topic, &group, 60_000, Some("a3")))
                .await
        )
        .is_empty(),
        "o2 is not acked yet"
    );
    assert_eq!(
        ack(&c, &topic, &group, &first[2].0, &first[2].1).await,
        code::SUCCESS
    );
    c.send(send_request(&topic, 0, "o3", None, &[])).await;
    c.settle();
    let next = receipts(
        &c.call(pop_request(&topic, &group, 60_000, Some("a4")))
            .await,
    );
    assert_eq!(
        next.iter().map(|(m, _)| body(m)).collect::<Vec<_>>(),
        vec!["o3"]
    );
    c.shutdown().await;
}

#[tokio::test]
async fn receipts_that_do_not_parse_are_refused() {
    let c = TestCluster::start().await;
    let topic = unique("PopBad");
    c.create_topic(&topic, 1).await;
    c.send(send_request(&topic, 0, "x", None, &[])).await;
    c.settle();
    for extra in [
        "",
        "garbage",
        "1 2 3",
        "0 1 2 3 7 b 0 0",
        "0 1 2 999999 0 b 0 0",
    ] {
        let r = c
            .call(RemotingCommand::request_with(
                rc::ACK_MESSAGE,
                &AckMessageRequestHeader {
                    consumer_group: "g".into(),
                    topic: topic.clone(),
                    queue_id: 0,
                    extra_info: extra.into(),
                    offset: 0,
                },
            ))
            .await;
        assert_eq!(r.code, code::INVALID_PARAMETER, "{extra:?}: {:?}", r.remark);
    }
    c.shutdown().await;
}
