//! The consumer RPCs end to end: the generated tonic client → the proxy (CLUSTER mode over
//! TCP, and LOCAL mode in memory) → brokers: assignment, receive/ack, invisibility, FIFO.
//!
//! By default the brokers are a testkit NameServer + FerroMQ broker. With
//! `PROXY_IT_NAMESRV=host:port` the same tests run against any cluster, e.g. Apache RocketMQ
//! 5.3.3 (`autoCreateSubscriptionGroup=true`).

mod consumer_support;

use std::time::{Duration, Instant};

use consumer_support::*;
use ferromq_client::Message;
use ferromq_proxy::pb;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn query_assignment_names_each_readable_broker() {
    let mut e = env().await;
    let topic = e.topic(4).await;
    let group = e.group(false).await;
    let req = pb::QueryAssignmentRequest {
        topic: res(&topic),
        group: res(&group),
        endpoints: None,
    };
    let resp = e
        .client
        .query_assignment(request(req))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&resp.status), pb::Code::Ok as i32, "{:?}", resp.status);
    assert!(!resp.assignments.is_empty());
    for a in &resp.assignments {
        let q = a.message_queue.as_ref().unwrap();
        assert_eq!(q.id, -1);
        assert_eq!(q.permission, pb::Permission::ReadWrite as i32);
        assert!(q.broker.as_ref().unwrap().endpoints.is_some());
    }
    let req = pb::QueryAssignmentRequest {
        topic: res("NoSuchTopicProxyIt"),
        group: res(&group),
        endpoints: None,
    };
    let resp = e
        .client
        .query_assignment(request(req))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        code(&resp.status),
        pb::Code::TopicNotFound as i32,
        "{:?}",
        resp.status
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn receive_then_ack() {
    receive_then_ack_in(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn receive_then_ack_local_mode() {
    receive_then_ack_in(true).await;
}

async fn receive_then_ack_in(local: bool) {
    let mut e = env_mode(local, |_| {}).await;
    let topic = e.topic(4).await;
    let group = e.group(false).await;
    // Subscribe first: a new group starts at the queues' end (ConsumeInitMode.MAX).
    let first = e.receive(receive_req(&topic, &group, 30_000)).await;
    assert!(
        matches!(first.first(), Some(pb::receive_message_response::Content::Status(s)) if s.code == pb::Code::MessageNotFound as i32),
        "{first:?}"
    );
    assert!(matches!(
        first.last(),
        Some(pb::receive_message_response::Content::DeliveryTimestamp(_))
    ));
    let p = e.producer().await;
    for i in 0..3 {
        let m = Message::new(topic.as_str(), format!("m{i}"))
            .with_tags("TagA")
            .with_keys(["k1", "k2"])
            .with_property("color", "red");
        p.send(m).await.unwrap();
    }
    let got = e
        .receive_n(&topic, &group, 3, 30_000, Duration::from_secs(30))
        .await;
    assert_eq!(got.len(), 3, "{got:?}");
    let mut bodies: Vec<_> = got.iter().map(body_str).collect();
    bodies.sort();
    assert_eq!(bodies, ["m0", "m1", "m2"]);
    for m in &got {
        let s = m.system_properties.as_ref().unwrap();
        assert_eq!(s.tag.as_deref(), Some("TagA"));
        assert_eq!(s.keys, ["k1", "k2"]);
        assert_eq!(s.delivery_attempt, Some(1));
        assert_eq!(s.message_type, pb::MessageType::Normal as i32);
        assert_eq!(
            m.user_properties.get("color").map(String::as_str),
            Some("red")
        );
        assert_eq!(m.topic.as_ref().unwrap().name, topic);
        assert_eq!(s.receipt_handle.as_deref().unwrap().split(' ').count(), 9);
    }
    let ack = e.ack(&topic, &group, &got).await;
    assert_eq!(code(&ack.status), pb::Code::Ok as i32, "{ack:?}");
    assert!(ack
        .entries
        .iter()
        .all(|x| code(&x.status) == pb::Code::Ok as i32));
    // Malformed handles are refused per entry.
    let bad = pb::AckMessageRequest {
        group: res(&group),
        topic: res(&topic),
        entries: vec![pb::AckMessageEntry {
            message_id: "x".into(),
            receipt_handle: "not a handle".into(),
            lite_topic: None,
        }],
    };
    let resp = e
        .client
        .ack_message(request(bad))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&resp.status), pb::Code::InvalidReceiptHandle as i32);
    // Nothing comes back after the ack (wait past the 30 s invisibility? no: acked is gone).
    let again = e.receive(receive_req(&topic, &group, 30_000)).await;
    assert!(again
        .iter()
        .all(|c| !matches!(c, pb::receive_message_response::Content::Message(_))));
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn change_invisible_duration_then_redelivery_counts_the_attempt() {
    change_invisible_duration_then_redelivery_counts_the_attempt_in(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn change_invisible_duration_then_redelivery_counts_the_attempt_local_mode() {
    change_invisible_duration_then_redelivery_counts_the_attempt_in(true).await;
}

async fn change_invisible_duration_then_redelivery_counts_the_attempt_in(local: bool) {
    let mut e = env_mode(local, |_| {}).await;
    let topic = e.topic(1).await;
    let group = e.group(false).await;
    e.receive(receive_req(&topic, &group, 30_000)).await;
    let p = e.producer().await;
    p.send(Message::new(topic.as_str(), "again")).await.unwrap();
    let got = e
        .receive_n(&topic, &group, 1, 60_000, Duration::from_secs(30))
        .await;
    assert_eq!(got.len(), 1);
    let s = got[0].system_properties.as_ref().unwrap();
    let req = pb::ChangeInvisibleDurationRequest {
        group: res(&group),
        topic: res(&topic),
        receipt_handle: s.receipt_handle.clone().unwrap(),
        invisible_duration: dur(1_000),
        message_id: s.message_id.clone(),
        lite_topic: None,
        suspend: None,
    };
    let resp = e
        .client
        .change_invisible_duration(request(req))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&resp.status), pb::Code::Ok as i32, "{resp:?}");
    assert_ne!(&resp.receipt_handle, s.receipt_handle.as_ref().unwrap());
    // Visible again a second later: redelivered as attempt 2.
    let again = e
        .receive_n(&topic, &group, 1, 30_000, Duration::from_secs(60))
        .await;
    assert_eq!(again.len(), 1, "not redelivered");
    let s2 = again[0].system_properties.as_ref().unwrap();
    assert_eq!(s2.message_id, s.message_id);
    assert_eq!(s2.delivery_attempt, Some(2));
    let ack = e.ack(&topic, &group, &again).await;
    assert_eq!(code(&ack.status), pb::Code::Ok as i32, "{ack:?}");
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifo_group_receives_in_order() {
    fifo_group_receives_in_order_in(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifo_group_receives_in_order_local_mode() {
    fifo_group_receives_in_order_in(true).await;
}

async fn fifo_group_receives_in_order_in(local: bool) {
    let mut e = env_mode(local, |_| {}).await;
    let topic = e.topic(1).await;
    let group = e.group(true).await;
    e.receive(receive_req(&topic, &group, 30_000)).await;
    let p = e.producer().await;
    for i in 0..6 {
        let m = Message::new(topic.as_str(), format!("f{i}")).with_property("__SHARDINGKEY", "g1");
        p.send(m).await.unwrap();
    }
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.len() < 6 && Instant::now() < deadline {
        let got = e
            .receive_n(&topic, &group, 1, 30_000, Duration::from_secs(10))
            .await;
        for m in &got {
            let s = m.system_properties.as_ref().unwrap();
            assert_eq!(s.message_group.as_deref(), Some("g1"));
            assert_eq!(s.message_type, pb::MessageType::Fifo as i32);
        }
        seen.extend(got.iter().map(body_str));
        if !got.is_empty() {
            let ack = e.ack(&topic, &group, &got).await;
            assert_eq!(code(&ack.status), pb::Code::Ok as i32, "{ack:?}");
        }
    }
    let want: Vec<String> = (0..6).map(|i| format!("f{i}")).collect();
    assert_eq!(seen, want);
    p.shutdown().await;
}
