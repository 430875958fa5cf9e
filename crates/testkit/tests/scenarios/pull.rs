use std::time::{Duration, Instant};

use ferromq_protocol::headers::*;
use ferromq_protocol::response_code as code;
use ferromq_testkit::{pull_request, send_request, TestCluster};

use crate::{records, unique};

#[tokio::test]
async fn pull_statuses_match_java() {
    let c = TestCluster::start().await;
    let topic = unique("P");
    c.create_topic(&topic, 2).await;
    // empty queue at offset 0: NO_NEW_MSG; elsewhere: OFFSET_MOVED
    let r = c.call(pull_request("g", &topic, 0, 0, 32, "*", 0)).await;
    assert_eq!(r.code, code::PULL_NOT_FOUND);
    let r = c.call(pull_request("g", &topic, 0, 5, 32, "*", 0)).await;
    assert_eq!(r.code, code::PULL_OFFSET_MOVED);
    for i in 0..3 {
        c.send(send_request(&topic, 0, format!("m{i}"), None, &[]))
            .await;
    }
    // at the end: NO_NEW_MSG; past the end: OFFSET_MOVED to max
    let r = c.call(pull_request("g", &topic, 0, 3, 32, "*", 0)).await;
    assert_eq!(r.code, code::PULL_NOT_FOUND);
    let r = c.call(pull_request("g", &topic, 0, 9, 32, "*", 0)).await;
    assert_eq!(r.code, code::PULL_OFFSET_MOVED);
    assert_eq!(
        r.decode_header::<PullMessageResponseHeader>()
            .unwrap()
            .next_begin_offset,
        3
    );
    // max messages is honoured
    let r = c.call(pull_request("g", &topic, 0, 0, 2, "*", 0)).await;
    assert_eq!(records(&r).len(), 2);
    assert_eq!(
        r.decode_header::<PullMessageResponseHeader>()
            .unwrap()
            .next_begin_offset,
        2
    );
    // illegal queue id, unknown topic
    let r = c.call(pull_request("g", &topic, 5, 0, 32, "*", 0)).await;
    assert_eq!(r.code, code::SYSTEM_ERROR);
    assert!(r.remark.unwrap().contains("queueId[5] is illegal"));
    let r = c
        .call(pull_request("g", "NoSuchTopic", 0, 0, 32, "*", 0))
        .await;
    assert_eq!(r.code, code::TOPIC_NOT_EXIST);
    c.shutdown().await;
}

#[tokio::test]
async fn tag_filtering_uses_the_queue_tag_codes() {
    let c = TestCluster::start().await;
    let topic = unique("Tags");
    c.create_topic(&topic, 1).await;
    for (i, tag) in ["TagA", "TagB", "TagC", "TagA", "TagB"].iter().enumerate() {
        c.send(send_request(&topic, 0, format!("m{i}"), Some(tag), &[]))
            .await;
    }
    c.send(send_request(&topic, 0, "untagged", None, &[])).await;
    let r = c
        .call(pull_request("g", &topic, 0, 0, 32, "TagA || TagB", 0))
        .await;
    let got: Vec<String> = records(&r)
        .iter()
        .map(|m| String::from_utf8(m.body.to_vec()).unwrap())
        .collect();
    assert_eq!(got, ["m0", "m1", "m3", "m4"]);
    assert_eq!(
        r.decode_header::<PullMessageResponseHeader>()
            .unwrap()
            .next_begin_offset,
        6
    );
    // only non-matching messages in range: PULL_RETRY_IMMEDIATELY with the next offset
    let r = c.call(pull_request("g", &topic, 0, 5, 32, "TagA", 0)).await;
    assert_eq!(r.code, code::PULL_RETRY_IMMEDIATELY);
    assert_eq!(
        r.decode_header::<PullMessageResponseHeader>()
            .unwrap()
            .next_begin_offset,
        6
    );
    c.shutdown().await;
}

#[tokio::test]
async fn long_polling_wakes_on_arrival_and_times_out() {
    let c = TestCluster::start().await;
    let topic = unique("LP");
    c.create_topic(&topic, 1).await;
    // nothing arrives: answered NO_NEW_MSG after the suspend time
    let started = Instant::now();
    let r = c.call(pull_request("g", &topic, 0, 0, 32, "*", 1500)).await;
    assert_eq!(r.code, code::PULL_NOT_FOUND);
    assert!(
        started.elapsed() >= Duration::from_millis(1400),
        "{:?}",
        started.elapsed()
    );
    // a message arrives while the pull is parked: answered with it at once
    let client = c.client().clone();
    let addr = c.broker_addr();
    let t = topic.clone();
    let parked = tokio::spawn(async move {
        let started = Instant::now();
        let r = client
            .invoke_sync(
                &addr,
                pull_request("g", &t, 0, 0, 32, "*", 20_000),
                Duration::from_secs(30),
            )
            .await
            .unwrap();
        (r, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.send(send_request(&topic, 0, "wake", None, &[])).await;
    let (r, waited) = parked.await.unwrap();
    assert_eq!(r.code, code::SUCCESS);
    assert_eq!(&records(&r)[0].body[..], b"wake");
    assert!(waited < Duration::from_secs(3), "woke after {waited:?}");
    // an arrival of another tag does not wake a filtered pull early
    let client = c.client().clone();
    let addr = c.broker_addr();
    let t = topic.clone();
    let parked = tokio::spawn(async move {
        client
            .invoke_sync(
                &addr,
                pull_request("g", &t, 0, 1, 32, "TagX", 20_000),
                Duration::from_secs(30),
            )
            .await
            .unwrap()
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    c.send(send_request(&topic, 0, "other", Some("TagY"), &[]))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !parked.is_finished(),
        "a TagY arrival must not answer a TagX pull"
    );
    c.send(send_request(&topic, 0, "mine", Some("TagX"), &[]))
        .await;
    let r = tokio::time::timeout(Duration::from_secs(5), parked)
        .await
        .unwrap()
        .unwrap();
    let bodies: Vec<_> = records(&r).iter().map(|m| m.body.clone()).collect();
    assert_eq!(bodies, vec![bytes::Bytes::from_static(b"mine")]);
    c.shutdown().await;
}
