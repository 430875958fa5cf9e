//! The producer side and sessions of the gRPC proxy against an in-process FerroMQ, through
//! the generated tonic client: routes, sends (normal, FIFO, delay, batch, transactions with
//! commit, rollback and a check-back over Telemetry), recalls of delay messages, typed-topic
//! refusals, and a consumer's
//! heartbeat reaching the broker's connection list. Each test runs the proxy in CLUSTER mode
//! (TCP to the broker) or LOCAL mode (the broker's handler in memory).

mod fixture;

use std::time::Duration;

use ferromq_proxy::pb;
use ferromq_testkit::{unique, TestCluster};
use fixture::*;

async fn route_and_send(local: bool) {
    let f = fixture(local).await;
    let mut c = f.client().await;
    let topic = f.topic("grpc_normal", None).await;
    let route = c
        .query_route(req(
            "cid-1",
            pb::QueryRouteRequest {
                topic: res(&topic),
                endpoints: Some(pb::Endpoints {
                    scheme: pb::AddressScheme::IPv4 as i32,
                    addresses: vec![pb::Address {
                        host: "127.0.0.1".into(),
                        port: 1,
                    }],
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&route.status), pb::Code::Ok);
    assert_eq!(route.message_queues.len(), 4);
    let q = &route.message_queues[0];
    assert_eq!(q.permission, pb::Permission::ReadWrite as i32);
    assert_eq!(q.accept_message_types, [pb::MessageType::Normal as i32]);
    let ep = q.broker.as_ref().unwrap().endpoints.as_ref().unwrap();
    assert_eq!(ep.addresses[0].port, i32::from(f.addr.port()));

    let missing = c
        .query_route(req(
            "cid-1",
            pb::QueryRouteRequest {
                topic: res("no_such_topic_x"),
                endpoints: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&missing.status), pb::Code::TopicNotFound);

    let r = send(
        &mut c,
        "cid-1",
        vec![message(&topic, "ID-NORMAL-1", pb::MessageType::Normal)],
    )
    .await;
    assert_eq!(code(&r.status), pb::Code::Ok, "{r:?}");
    assert_eq!(r.entries[0].message_id, "ID-NORMAL-1");
    let batch = (0..3)
        .map(|i| message(&topic, &format!("ID-BATCH-{i}"), pb::MessageType::Normal))
        .collect();
    let r = send(&mut c, "cid-1", batch).await;
    assert_eq!(code(&r.status), pb::Code::Ok, "{r:?}");
    assert_eq!(r.entries.len(), 3);

    let stored = f.stored(&topic).await;
    assert_eq!(stored.len(), 4);
    let m = stored
        .iter()
        .find(|m| String::from_utf8_lossy(&m.body) == "body of ID-NORMAL-1")
        .unwrap();
    let props = ferromq_protocol::message::Properties::parse_bytes(&m.properties);
    assert_eq!(props.get("UNIQ_KEY"), Some("ID-NORMAL-1"));
    assert_eq!(props.get("TAGS"), Some("TagA"));
    assert_eq!(props.get("KEYS"), Some("key1"));
    assert_eq!(props.get("k"), Some("v"));
    f.cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn route_and_send_cluster_mode() {
    route_and_send(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn route_and_send_local_mode() {
    route_and_send(true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn typed_topics_refuse_other_types() {
    let f = fixture(true).await;
    let mut c = f.client().await;
    let fifo = f.topic("grpc_fifo", Some("FIFO")).await;
    let r = send(
        &mut c,
        "cid-2",
        vec![message(&fifo, "N1", pb::MessageType::Normal)],
    )
    .await;
    assert_eq!(code(&r.status), pb::Code::MessagePropertyConflictWithType);
    assert_eq!(
        r.status.unwrap().message,
        "TopicMessageType validate failed, the expected type is FIFO, but actual type is NORMAL"
    );
    // One group lands on one queue.
    let mut queues = Vec::new();
    for i in 0..3 {
        let mut m = message(&fifo, &format!("F{i}"), pb::MessageType::Fifo);
        m.system_properties.as_mut().unwrap().message_group = Some("order-7".into());
        let r = send(&mut c, "cid-2", vec![m]).await;
        assert_eq!(code(&r.status), pb::Code::Ok, "{r:?}");
        queues.push(r.entries[0].offset);
    }
    assert_eq!(queues, [0, 1, 2], "same queue, consecutive offsets");

    let delay = f.topic("grpc_delay", Some("DELAY")).await;
    let mut m = message(&delay, "D1", pb::MessageType::Delay);
    let at = ferromq_protocol::time::now_ms() + 60_000;
    m.system_properties.as_mut().unwrap().delivery_timestamp = Some(prost_types::Timestamp {
        seconds: at / 1000,
        nanos: 0,
    });
    let r = send(&mut c, "cid-2", vec![m]).await;
    assert_eq!(code(&r.status), pb::Code::Ok, "{r:?}");
    assert!(f.stored(&delay).await.is_empty(), "delivered later");
    let route = c
        .query_route(req(
            "cid-2",
            pb::QueryRouteRequest {
                topic: res(&delay),
                endpoints: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        route.message_queues[0].accept_message_types,
        [pb::MessageType::Delay as i32]
    );
    f.cluster.shutdown().await;
}

async fn end(
    c: &mut Client,
    cid: &str,
    topic: &str,
    entry: &pb::SendResultEntry,
    id: &str,
    commit: bool,
    check: bool,
) -> pb::Code {
    let r = c
        .end_transaction(req(
            cid,
            pb::EndTransactionRequest {
                topic: res(topic),
                message_id: id.into(),
                transaction_id: entry.transaction_id.clone(),
                resolution: if commit {
                    pb::TransactionResolution::Commit
                } else {
                    pb::TransactionResolution::Rollback
                } as i32,
                source: if check {
                    pb::TransactionSource::SourceServerCheck
                } else {
                    pb::TransactionSource::SourceClient
                } as i32,
                trace_context: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    code(&r.status)
}

async fn transactions(local: bool) {
    let f = fixture(local).await;
    let mut c = f.client().await;
    let topic = f.topic("grpc_tx", Some("TRANSACTION")).await;
    let cid = "cid-tx";
    let (_tx, settings, mut inbound) = telemetry(&mut c, cid, producer_settings(&topic)).await;
    let Some(pb::settings::PubSub::Publishing(p)) = settings.pub_sub else {
        panic!("publishing settings expected")
    };
    assert!(p.validate_message_type);
    assert_eq!(p.max_body_size, 4 * 1024 * 1024);
    assert_eq!(settings.backoff_policy.unwrap().max_attempts, 3);

    let mut results = Vec::new();
    for id in ["TX-COMMIT", "TX-ROLLBACK", "TX-CHECKED"] {
        let r = send(
            &mut c,
            cid,
            vec![message(&topic, id, pb::MessageType::Transaction)],
        )
        .await;
        assert_eq!(code(&r.status), pb::Code::Ok, "{r:?}");
        assert!(!r.entries[0].transaction_id.is_empty());
        results.push(r.entries[0].clone());
    }
    assert!(f.stored(&topic).await.is_empty(), "halves are not visible");
    assert_eq!(
        end(&mut c, cid, &topic, &results[0], "TX-COMMIT", true, false).await,
        pb::Code::Ok
    );
    assert_eq!(
        end(
            &mut c,
            cid,
            &topic,
            &results[1],
            "TX-ROLLBACK",
            false,
            false
        )
        .await,
        pb::Code::Ok
    );

    // The third is left open: the broker checks it back through the producer's Telemetry.
    let cmd = tokio::time::timeout(Duration::from_secs(30), inbound.message())
        .await
        .expect("a check-back within 30 s")
        .unwrap()
        .unwrap();
    let Some(pb::telemetry_command::Command::RecoverOrphanedTransactionCommand(rec)) = cmd.command
    else {
        panic!("recover command expected, got {cmd:?}")
    };
    let m = rec.message.unwrap();
    assert_eq!(
        m.system_properties.as_ref().unwrap().message_id,
        "TX-CHECKED"
    );
    let entry = pb::SendResultEntry {
        transaction_id: rec.transaction_id.clone(),
        ..Default::default()
    };
    assert_eq!(
        end(&mut c, cid, &topic, &entry, "TX-CHECKED", true, true).await,
        pb::Code::Ok
    );

    let mut bodies: Vec<String> = Vec::new();
    for _ in 0..50 {
        bodies = f
            .stored(&topic)
            .await
            .iter()
            .map(|m| String::from_utf8_lossy(&m.body).into_owned())
            .collect();
        if bodies.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bodies.sort();
    assert_eq!(bodies, ["body of TX-CHECKED", "body of TX-COMMIT"]);
    // Unknown transactions are refused.
    assert_ne!(
        end(&mut c, cid, &topic, &results[0], "TX-COMMIT", true, false).await,
        pb::Code::Ok
    );
    f.cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn transactions_cluster_mode() {
    transactions(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn transactions_local_mode() {
    transactions(true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_send_moves_on_from_a_broker_it_cannot_reach() {
    let mut cluster = TestCluster::start_with(2, |_| {}).await;
    let topic = unique("grpc_failover");
    for i in 0..2 {
        let r = cluster
            .call_broker(i, ferromq_testkit::create_topic_request(&topic, 2, 6))
            .await;
        assert_eq!(r.code, 0);
        cluster.brokers[i].register_now().await;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let proxy = ferromq_proxy::Proxy::new(ferromq_proxy::ProxyConfig::new(
        addr,
        vec![cluster.namesrv_addr.clone()],
    ));
    tokio::spawn(ferromq_proxy::serve(proxy, listener, Default::default()));
    let mut c = ferromq_proxy::pb::messaging_service_client::MessagingServiceClient::connect(
        format!("http://{addr}"),
    )
    .await
    .unwrap();
    // The proxy learns the route with both brokers, then one of them goes away.
    let r = send(
        &mut c,
        "cid-f",
        vec![message(&topic, "F0", pb::MessageType::Normal)],
    )
    .await;
    assert_eq!(code(&r.status), pb::Code::Ok);
    cluster.stop_broker(1).await;
    for i in 1..=8 {
        let id = format!("F{i}");
        let r = send(
            &mut c,
            "cid-f",
            vec![message(&topic, &id, pb::MessageType::Normal)],
        )
        .await;
        assert_eq!(code(&r.status), pb::Code::Ok, "{id}: {r:?}");
    }
    cluster.shutdown().await;
}

/// Receives from `topic` as `group` until `until` is among the bodies or `limit` passes.
async fn receive_bodies(
    c: &mut Client,
    topic: &str,
    group: &str,
    until: &str,
    limit: Duration,
) -> Vec<String> {
    let deadline = std::time::Instant::now() + limit;
    let mut bodies = Vec::new();
    while !bodies.iter().any(|b| b == until) && std::time::Instant::now() < deadline {
        let r = pb::ReceiveMessageRequest {
            group: res(group),
            message_queue: Some(pb::MessageQueue {
                topic: res(topic),
                id: -1,
                ..Default::default()
            }),
            filter_expression: Some(pb::FilterExpression {
                r#type: pb::FilterType::Tag as i32,
                expression: "*".into(),
            }),
            batch_size: 32,
            invisible_duration: Some(prost_types::Duration {
                seconds: 30,
                nanos: 0,
            }),
            auto_renew: false,
            long_polling_timeout: Some(prost_types::Duration {
                seconds: 1,
                nanos: 0,
            }),
            attempt_id: None,
        };
        let mut s = c
            .receive_message(req("cid-recall-c", r))
            .await
            .unwrap()
            .into_inner();
        while let Some(part) = s.message().await.unwrap() {
            if let Some(pb::receive_message_response::Content::Message(m)) = part.content {
                bodies.push(String::from_utf8_lossy(&m.body).into_owned());
            }
        }
    }
    bodies
}

async fn recall(local: bool) {
    let f = fixture(local).await;
    let mut c = f.client().await;
    let topic = f.topic("grpc_recall", Some("DELAY")).await;
    let at = ferromq_protocol::time::now_ms() + 2_500;
    let delayed = |id: &str| {
        let mut m = message(&topic, id, pb::MessageType::Delay);
        m.system_properties.as_mut().unwrap().delivery_timestamp = Some(prost_types::Timestamp {
            seconds: at / 1000,
            nanos: (at % 1000) as i32 * 1_000_000,
        });
        m
    };
    let r = send(&mut c, "cid-recall", vec![delayed("RECALLED-1")]).await;
    assert_eq!(code(&r.status), pb::Code::Ok, "{r:?}");
    let handle = r.entries[0].recall_handle.clone();
    assert!(
        !handle.is_empty(),
        "a delay message's send answers a recall handle"
    );
    let r = send(&mut c, "cid-recall", vec![delayed("KEPT-1")]).await;
    assert_eq!(code(&r.status), pb::Code::Ok, "{r:?}");

    let recall = |handle: String| pb::RecallMessageRequest {
        topic: res(&topic),
        recall_handle: handle,
    };
    let r = c
        .recall_message(req("cid-recall", recall(handle)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&r.status), pb::Code::Ok, "{r:?}");
    assert_eq!(r.message_id, "RECALLED-1");
    let bad = c
        .recall_message(req("cid-recall", recall("bm90IGEgaGFuZGxl".into())))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(code(&bad.status), pb::Code::Ok, "{bad:?}");

    let group = unique("grpc_recall_g");
    let got = receive_bodies(
        &mut c,
        &topic,
        &group,
        "body of KEPT-1",
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(got, ["body of KEPT-1"]);
    // The recalled one was due with it: nothing more comes.
    let more = receive_bodies(&mut c, &topic, &group, "-", Duration::from_millis(1500)).await;
    assert!(more.is_empty(), "{more:?}");
    assert_eq!(
        f.stored(&topic).await.len(),
        1,
        "neither the recalled message nor the marker"
    );
    f.cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn recall_cluster_mode() {
    recall(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn recall_local_mode() {
    recall(true).await;
}
