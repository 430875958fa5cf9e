//! Auto-renewal, departed clients and the DLQ forward end to end (see `consumer.rs` for the
//! targets).

mod consumer_support;

use std::time::{Duration, Instant};

use consumer_support::*;
use ferromq_client::Message;
use ferromq_proxy::pb;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn auto_renew_keeps_a_message_invisible_and_acks_with_the_renewed_handle() {
    // A 12 s default invisible time: the proxy's first scan (every 5 s) renews it.
    let mut e = env_with(|c| c.default_invisible_time = Duration::from_secs(12)).await;
    let topic = e.topic(1).await;
    let group = e.group(false).await;
    e.receive(receive_req(&topic, &group, 30_000)).await;
    let p = e.producer().await;
    p.send(Message::new(topic.as_str(), "renewed"))
        .await
        .unwrap();
    let mut req = receive_req(&topic, &group, 0);
    req.auto_renew = true;
    req.invisible_duration = None;
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while got.is_empty() && Instant::now() < deadline {
        for c in e.receive(req.clone()).await {
            if let pb::receive_message_response::Content::Message(m) = c {
                got.push(m);
            }
        }
    }
    assert_eq!(got.len(), 1);
    // Past the 12 s the message would have been visible again without renewal.
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(20) {
        let again = e.receive(req.clone()).await;
        assert!(
            again
                .iter()
                .all(|c| !matches!(c, pb::receive_message_response::Content::Message(_))),
            "redelivered although renewed: {again:?}"
        );
    }
    // The client's (first) handle is stale by now; the proxy acks with the renewed one.
    let ack = e.ack(&topic, &group, &got).await;
    assert_eq!(code(&ack.status), pb::Code::Ok as i32, "{ack:?}");
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forward_to_dead_letter_queue() {
    let mut e = env().await;
    let topic = e.topic(1).await;
    let group = e.group(false).await;
    e.receive(receive_req(&topic, &group, 30_000)).await;
    let p = e.producer().await;
    p.send(Message::new(topic.as_str(), "dead")).await.unwrap();
    let got = e
        .receive_n(&topic, &group, 1, 30_000, Duration::from_secs(30))
        .await;
    assert_eq!(got.len(), 1);
    let s = got[0].system_properties.as_ref().unwrap();
    let req = pb::ForwardMessageToDeadLetterQueueRequest {
        group: res(&group),
        topic: res(&topic),
        receipt_handle: s.receipt_handle.clone().unwrap(),
        message_id: s.message_id.clone(),
        delivery_attempt: 1,
        max_delivery_attempts: 16,
        lite_topic: None,
    };
    let r = e
        .client
        .forward_message_to_dead_letter_queue(request(req))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&r.status), pb::Code::Ok as i32, "{r:?}");
    // The DLQ holds it.
    let dlq = format!("%DLQ%{group}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(route) = e.admin.topic_route(&dlq).await {
            let mq = pb::MessageQueue {
                topic: res(&dlq),
                id: 0,
                broker: Some(pb::Broker {
                    name: route.queue_datas[0].broker_name.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            };
            let q = pb::QueryOffsetRequest {
                message_queue: Some(mq),
                query_offset_policy: pb::QueryOffsetPolicy::End as i32,
                timestamp: None,
            };
            let r = e
                .client
                .query_offset(request(q))
                .await
                .unwrap()
                .into_inner();
            if r.offset == 1 {
                break;
            }
        }
        assert!(Instant::now() < deadline, "nothing reached {dlq}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    p.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_terminated_clients_renewed_messages_come_back_soon() {
    let mut e = env().await;
    let topic = e.topic(1).await;
    let group = e.group(false).await;
    e.receive(receive_req(&topic, &group, 30_000)).await;
    // The client has a session (telemetry settings, heartbeat), receives with auto-renewal
    // (60 s), then leaves.
    let settings = pb::Settings {
        client_type: Some(pb::ClientType::PushConsumer as i32),
        pub_sub: Some(pb::settings::PubSub::Subscription(pb::Subscription {
            group: res(&group),
            subscriptions: vec![pb::SubscriptionEntry {
                topic: res(&topic),
                expression: Some(pb::FilterExpression {
                    r#type: pb::FilterType::Tag as i32,
                    expression: "*".into(),
                }),
            }],
            ..Default::default()
        })),
        ..Default::default()
    };
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tx.send(pb::TelemetryCommand {
        status: None,
        command: Some(pb::telemetry_command::Command::Settings(settings)),
    })
    .await
    .unwrap();
    let mut inbound = e
        .client
        .telemetry(request(tokio_stream::wrappers::ReceiverStream::new(rx)))
        .await
        .unwrap()
        .into_inner();
    let first = inbound.message().await.unwrap().unwrap();
    assert_eq!(code(&first.status), pb::Code::Ok as i32, "{first:?}");
    let hb = pb::HeartbeatRequest {
        group: res(&group),
        client_type: pb::ClientType::PushConsumer as i32,
    };
    let r = e.client.heartbeat(request(hb)).await.unwrap().into_inner();
    assert_eq!(code(&r.status), pb::Code::Ok as i32, "{r:?}");
    let p = e.producer().await;
    p.send(Message::new(topic.as_str(), "orphan"))
        .await
        .unwrap();
    let mut req = receive_req(&topic, &group, 0);
    req.auto_renew = true;
    req.invisible_duration = None;
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while got.is_empty() && Instant::now() < deadline {
        for c in e.receive(req.clone()).await {
            if let pb::receive_message_response::Content::Message(m) = c {
                got.push(m);
            }
        }
    }
    assert_eq!(got.len(), 1);
    let bye = pb::NotifyClientTerminationRequest { group: res(&group) };
    let r = e
        .client
        .notify_client_termination(request(bye))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&r.status), pb::Code::Ok as i32, "{r:?}");
    drop(tx);
    // Another client gets it within seconds, not after the 60 s invisible time.
    let t0 = Instant::now();
    let mut again = Vec::new();
    while again.is_empty() && t0.elapsed() < Duration::from_secs(30) {
        let mut s = e
            .client
            .receive_message(request_as(
                receive_req(&topic, &group, 30_000),
                "it-client@2",
            ))
            .await
            .unwrap()
            .into_inner();
        while let Some(m) = s.message().await.unwrap() {
            if let Some(pb::receive_message_response::Content::Message(m)) = m.content {
                again.push(m);
            }
        }
    }
    assert_eq!(again.len(), 1, "not released");
    assert!(t0.elapsed() < Duration::from_secs(30));
    assert_eq!(body_str(&again[0]), "orphan");
    p.shutdown().await;
}
