//! Bounded memory and work: what one client can make the broker hold (parked pulls,
//! compiled filters, subscriptions, locks) and do per request (messages per pull).

use std::time::Duration;

use ferromq_protocol::headers::*;
use ferromq_protocol::request_code as rc;
use ferromq_testkit::{pull_request, send_request, TestCluster};

use crate::*;

/// Parked pulls are capped per connection; past the cap a pull is answered SYSTEM_BUSY at
/// once (Java clients back off), and a closed connection's pulls are dropped.
#[tokio::test]
async fn parked_pulls_are_capped_per_connection() {
    let c = TestCluster::start().await;
    let topic = unique("Quiet");
    c.create_topic(&topic, 1).await;
    let cap = ferromq_broker::limits::MAX_HELD_PULLS_PER_CHANNEL;
    let mut conn = RawConn::connect(&c.broker_addr()).await;
    // A large body on every pull: only the header may be kept.
    let body = vec![7u8; 64 * 1024];
    for _ in 0..cap {
        let req = pull_request("cg", &topic, 0, 0, 32, "*", 30_000).with_body(body.clone());
        conn.send(req).await;
    }
    let hold = &c.brokers[0].context().pull_hold();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while hold.len() < cap && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(hold.len(), cap, "all parked, none answered");
    let over = conn
        .send(pull_request("cg", &topic, 0, 0, 32, "*", 30_000))
        .await;
    let r = conn
        .recv_response(Duration::from_secs(5))
        .await
        .expect("answered at once");
    assert_eq!(r.opaque, over);
    assert_refused(&r, SYSTEM_BUSY);
    // Another connection is not affected.
    let mut other = RawConn::connect(&c.broker_addr()).await;
    other
        .send(pull_request("cg", &topic, 0, 0, 32, "*", 30_000))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(hold.len(), cap + 1);
    // Closing the first connection releases its pulls.
    drop(conn);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while hold.len() > 1 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(hold.len(), 1);
    c.shutdown().await;
}

/// Absurd `suspendTimeoutMillis` values park like any other pull (clamped to
/// `limits::MAX_SUSPEND`, see the unit test of `suspend_for`) and the connection serves on.
#[tokio::test]
async fn absurd_suspend_timeouts_are_clamped() {
    let c = TestCluster::start().await;
    let topic = unique("Quiet");
    c.create_topic(&topic, 1).await;
    let mut conn = RawConn::connect(&c.broker_addr()).await;
    for suspend in [i64::MAX, i64::MIN, -1] {
        conn.send(pull_request("cg", &topic, 0, 0, 32, "*", suspend))
            .await;
    }
    let r = conn
        .call(RemotingCommand::request_with(
            rc::GET_MAX_OFFSET,
            &GetMaxOffsetRequestHeader {
                topic: topic.clone(),
                queue_id: 0,
                committed: None,
            },
        ))
        .await;
    assert_eq!(r.code, SUCCESS, "the connection still serves");
    c.shutdown().await;
}

/// A huge `maxMsgNums` returns at most what a pull returns anyway (Java's transfer count).
#[tokio::test]
async fn max_msg_nums_is_clamped() {
    let c = TestCluster::start().await;
    let topic = unique("Many");
    c.create_topic(&topic, 1).await;
    for i in 0..40 {
        c.call(send_request(&topic, 0, format!("m{i}"), None, &[]))
            .await;
    }
    c.settle();
    let r = c
        .call(pull_request("cg", &topic, 0, 0, i32::MAX, "*", 0))
        .await;
    assert_eq!(r.code, SUCCESS);
    assert_eq!(records(&r).len(), 32);
    c.shutdown().await;
}

/// Subscriptions are bounded: expression length, topics per group, groups per heartbeat and
/// per connection.
#[tokio::test]
async fn subscriptions_are_bounded() {
    use ferromq_broker::limits;
    let c = TestCluster::start().await;
    let topic = unique("Sub");
    c.create_topic(&topic, 1).await;
    let long = "a".repeat(limits::MAX_EXPRESSION_LEN + 1);
    let r = c.call(pull_request("cg", &topic, 0, 0, 1, &long, 0)).await;
    assert_refused(&r, SUBSCRIPTION_PARSE_FAILED);
    let hb = |groups: Vec<serde_json::Value>| {
        let body = serde_json::json!({ "clientID": "h@1", "consumerDataSet": groups,
            "producerDataSet": [] });
        RemotingCommand::request(rc::HEART_BEAT).with_body(serde_json::to_vec(&body).unwrap())
    };
    let group = |name: String, subs: Vec<serde_json::Value>| {
        serde_json::json!({ "groupName": name, "consumeType": "CONSUME_PASSIVELY",
            "messageModel": "CLUSTERING", "consumeFromWhere": "CONSUME_FROM_LAST_OFFSET",
            "subscriptionDataSet": subs })
    };
    let sub = |t: &str, expr: &str| {
        serde_json::json!({ "topic": t, "subString": expr, "subVersion": 1,
            "expressionType": "TAG" })
    };
    let r = c
        .call(hb(vec![group("cg1".into(), vec![sub(&topic, &long)])]))
        .await;
    assert_refused(&r, SUBSCRIPTION_PARSE_FAILED);
    let many: Vec<_> = (0..=limits::MAX_SUBSCRIPTIONS_PER_GROUP)
        .map(|i| sub(&format!("T{i}"), "*"))
        .collect();
    let r = c.call(hb(vec![group("cg1".into(), many)])).await;
    assert_refused(&r, INVALID_PARAMETER);
    let groups: Vec<_> = (0..=limits::MAX_GROUPS_PER_HEARTBEAT)
        .map(|i| group(format!("g{i}"), vec![]))
        .collect();
    let r = c.call(hb(groups)).await;
    assert_refused(&r, INVALID_PARAMETER);
    // One connection, many heartbeats with new groups: bounded per connection.
    let mut conn = RawConn::connect(&c.broker_addr()).await;
    let per = 256;
    for round in 0..limits::MAX_GROUPS_PER_CHANNEL / per {
        let groups: Vec<_> = (0..per)
            .map(|i| group(format!("cg_{round}_{i}"), vec![]))
            .collect();
        assert_eq!(conn.call(hb(groups)).await.code, SUCCESS);
    }
    let r = conn
        .call(hb(vec![group("one_too_many".into(), vec![])]))
        .await;
    assert_refused(&r, INVALID_PARAMETER);
    c.shutdown().await;
}

/// Properties longer than Java's 32767 are refused before they are parsed.
#[tokio::test]
async fn oversized_properties_are_refused() {
    use ferromq_protocol::message::properties::Properties;
    let c = TestCluster::start().await;
    let topic = unique("Props");
    c.create_topic(&topic, 1).await;
    let mut p = Properties::new();
    p.insert("k", "v".repeat(40_000));
    let r = c
        .call(ferromq_testkit::send_request_with(&topic, 0, "x", &p, 0))
        .await;
    assert_refused(&r, MESSAGE_ILLEGAL);
    c.settle();
    assert_eq!(
        c.brokers[0]
            .context()
            .store()
            .max_offset_in_queue(&topic, 0),
        0
    );
    c.shutdown().await;
}

/// Queue counts are bounded: every per-queue request walks them.
#[tokio::test]
async fn queue_counts_are_bounded() {
    let c = TestCluster::start().await;
    let max = ferromq_broker::MAX_QUEUE_NUMS;
    assert_eq!(c.create_topic(&unique("Wide"), max).await.code, SUCCESS);
    for n in [max + 1, i32::MAX, -1] {
        assert_refused(&c.create_topic(&unique("Wide"), n).await, INVALID_PARAMETER);
    }
    c.shutdown().await;
}

/// Queue locks leave with their client: a closed connection releases them at once.
#[tokio::test]
async fn queue_locks_leave_with_their_client() {
    let c = TestCluster::start().await;
    let topic = unique("Ordered");
    c.create_topic(&topic, 1).await;
    let group = unique("ocg");
    let mut conn = RawConn::connect(&c.broker_addr()).await;
    let hb = crate::names::heartbeat(&group, &topic);
    assert_eq!(conn.call(hb).await.code, SUCCESS);
    // The heartbeat's client id is the one the lock request names.
    let body = serde_json::json!({
        "consumerGroup": group, "clientId": "127.0.0.1@hostile", "onlyThisBroker": true,
        "mqSet": [ { "topic": topic, "brokerName": "broker-a", "queueId": 0 } ] });
    let r = conn
        .call(
            RemotingCommand::request(rc::LOCK_BATCH_MQ)
                .with_body(serde_json::to_vec(&body).unwrap()),
        )
        .await;
    assert_eq!(r.code, SUCCESS);
    let locks = &c.brokers[0].context().queue_locks();
    assert_eq!(locks.len(), 1);
    drop(conn);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !locks.is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(locks.is_empty(), "released when the connection closed");
    // Too many queues in one request.
    let many: Vec<_> = (0..=ferromq_broker::limits::MAX_QUEUES_PER_LOCK_REQUEST as i32)
        .map(|q| serde_json::json!({ "topic": topic, "brokerName": "broker-a", "queueId": q }))
        .collect();
    let body = serde_json::json!({ "consumerGroup": group, "clientId": "x", "mqSet": many });
    let r = c
        .call(
            RemotingCommand::request(rc::LOCK_BATCH_MQ)
                .with_body(serde_json::to_vec(&body).unwrap()),
        )
        .await;
    assert_refused(&r, INVALID_PARAMETER);
    c.shutdown().await;
}
