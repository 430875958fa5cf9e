//! The broker's own topics are not writable by clients, and a parked message is only ever
//! re-put to a valid, existing, client-writable topic and queue — once, not on every tick.

use std::time::Duration;

use ferromq_model::names;
use ferromq_protocol::message::properties::{keys, Properties};
use ferromq_protocol::request_code as rc;
use ferromq_store::MessageToStore;
use ferromq_testkit::{send_request_with, TestCluster};

use crate::*;

fn parked(real_topic: &str, real_qid: &str, extra: &[(&str, String)]) -> Properties {
    let mut p = Properties::new();
    p.insert(keys::REAL_TOPIC, real_topic);
    p.insert(keys::REAL_QUEUE_ID, real_qid);
    for (k, v) in extra {
        p.insert(*k, v.clone());
    }
    p
}

/// Sending to `rmq_sys_wheel_timer` with `REAL_TOPIC`/`REAL_QID`/`TIMER_OUT_MS=0` once made
/// the timer re-put the message into any topic — read-only, transactional-half, path-like.
#[tokio::test]
async fn system_topics_refuse_client_sends() {
    let c = TestCluster::start().await;
    let ro = unique("ReadOnly");
    assert_eq!(c.create_topic_with(&ro, 1, 4).await.code, SUCCESS);
    let half_before = c.brokers[0]
        .context()
        .store()
        .max_offset_in_queue(names::TRANS_HALF_TOPIC, 0);

    let targets = [ro.as_str(), names::TRANS_HALF_TOPIC, "../x", "%DLQ%/../.."];
    for target in targets {
        let p = parked(target, "0", &[(keys::TIMER_OUT_MS, "0".into())]);
        let r = c
            .call(send_request_with(names::TIMER_TOPIC, 0, "evil", &p, 0))
            .await;
        assert_refused(&r, NO_PERMISSION);
    }
    let revive = names::revive_topic("TestCluster");
    for topic in [
        names::SCHEDULE_TOPIC,
        names::TRANS_HALF_TOPIC,
        names::TRANS_OP_HALF_TOPIC,
        names::TRANS_CHECK_MAX_TIME_TOPIC,
        names::SELF_TEST_TOPIC,
        names::OFFSET_MOVED_EVENT,
        names::ROCKSDB_OFFSET_TOPIC,
        names::TIMER_TOPIC,
        revive.as_str(),
        "rmq_sys_anything",
    ] {
        let p = parked(&ro, "0", &[]);
        let r = c.call(send_request_with(topic, 0, "evil", &p, 0)).await;
        assert_refused(&r, NO_PERMISSION);
        let mut batch = send_request_with(topic, 0, "evil", &p, 0);
        batch.code = rc::SEND_BATCH_MESSAGE;
        let r = c.call(batch).await;
        assert_refused(&r, NO_PERMISSION);
    }
    // Give a (wrongly) parked message time to be re-put: nothing arrives anywhere.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    c.settle();
    let store = &c.brokers[0].context().store();
    assert_eq!(store.max_offset_in_queue(&ro, 0), 0);
    assert_eq!(
        store.max_offset_in_queue(names::TRANS_HALF_TOPIC, 0),
        half_before
    );
    assert_store_layout(c.broker_dir(0));
    c.shutdown().await;
}

fn store_parked(c: &TestCluster, topic: &str, queue_id: i32, props: &Properties, body: &str) {
    let ctx = c.brokers[0].context();
    let put = ctx.store().put_message(&MessageToStore {
        topic: topic.into(),
        queue_id,
        flag: 0,
        body: body.as_bytes().to_vec().into(),
        properties: props.encode(),
        sys_flag: 0,
        born_timestamp: 1,
        born_host: ctx.identity().store_host(),
        store_host: ctx.identity().store_host(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    });
    assert!(put.status.is_stored());
}

/// A parked message whose target is bad (however it got there: a store written by an older
/// broker, a bug) is dropped and counted; the messages behind it are still delivered, and the
/// services do not retry it forever.
#[tokio::test]
async fn parked_messages_with_bad_targets_are_dropped_once() {
    let c = TestCluster::start().await;
    let good = unique("Target");
    c.create_topic(&good, 2).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    // Delay level 1 (1 s): bad targets first, then a good one.
    for (target, qid) in [
        ("../x", "0"),
        (names::TRANS_HALF_TOPIC, "0"),
        ("NoSuchTopic", "0"),
        (good.as_str(), "7"),
    ] {
        let p = parked(target, qid, &[(keys::DELAY_TIME_LEVEL, "1".into())]);
        store_parked(&c, names::SCHEDULE_TOPIC, 0, &p, "bad");
    }
    let p = parked(&good, "1", &[(keys::DELAY_TIME_LEVEL, "1".into())]);
    store_parked(&c, names::SCHEDULE_TOPIC, 0, &p, "delayed-good");
    // Timer: a bad target, then a good one.
    let due = (keys::TIMER_OUT_MS, now.to_string());
    let p = parked(names::TIMER_TOPIC, "0", std::slice::from_ref(&due));
    store_parked(&c, names::TIMER_TOPIC, 0, &p, "bad");
    let p = parked(&good, "0", std::slice::from_ref(&due));
    store_parked(&c, names::TIMER_TOPIC, 0, &p, "timer-good");

    let store = &c.brokers[0].context().store();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while (store.max_offset_in_queue(&good, 0) < 1 || store.max_offset_in_queue(&good, 1) < 1)
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        store.max_offset_in_queue(&good, 0),
        1,
        "timer message delivered"
    );
    assert_eq!(
        store.max_offset_in_queue(&good, 1),
        1,
        "delayed message delivered"
    );
    assert_eq!(c.brokers[0].context().stats().dropped_reposts(), 5);
    assert_eq!(store.max_offset_in_queue(names::TRANS_HALF_TOPIC, 0), 0);
    assert_eq!(store.max_offset_in_queue(&good, 7), 0);
    assert_store_layout(c.broker_dir(0));
    c.shutdown().await;
}
