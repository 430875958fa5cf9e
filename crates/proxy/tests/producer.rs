//! The producer side and sessions of the gRPC proxy against an in-process FerroMQ, through
//! the generated tonic client: routes, sends (normal, FIFO, delay, batch, transactions with
//! commit, rollback and a check-back over Telemetry), typed-topic refusals, and a consumer's
//! heartbeat reaching the broker's connection list. Each test runs the proxy in CLUSTER mode
//! (TCP to the broker) or LOCAL mode (the broker's handler in memory).

use std::sync::Arc;
use std::time::Duration;

use ferromq_protocol::headers::{ConsumerGroupRequestHeader, CreateTopicRequestHeader};
use ferromq_protocol::{request_code as rc, RemotingCommand};
use ferromq_proxy::pb;
use ferromq_proxy::pb::messaging_service_client::MessagingServiceClient;
use ferromq_proxy::{Proxy, ProxyConfig};
use ferromq_testkit::{pull_request, records, unique, TestCluster};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;
use tonic::Request;

type Client = MessagingServiceClient<Channel>;

struct Fixture {
    cluster: TestCluster,
    proxy: Arc<Proxy>,
    addr: std::net::SocketAddr,
}

/// A cluster with fast transaction checks, and a proxy in front of it.
async fn fixture(local: bool) -> Fixture {
    let cluster = TestCluster::start_with(1, |c| {
        use ferromq_config::ConfigTable;
        c.set("transactionCheckInterval", "1000").unwrap();
        c.set("transactionTimeOut", "1000").unwrap();
    })
    .await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let proxy = Proxy::new(ProxyConfig::new(addr, vec![cluster.namesrv_addr.clone()]));
    if local {
        let b = &cluster.brokers[0];
        let handler = Arc::new(ferromq_broker::BrokerHandler::new(b.context().clone()));
        proxy.add_local_broker(&b.addr().to_string(), handler);
    }
    let p = proxy.clone();
    tokio::spawn(async move {
        let _ = ferromq_proxy::serve(p, listener, Default::default()).await;
    });
    Fixture {
        cluster,
        proxy,
        addr,
    }
}

impl Fixture {
    async fn client(&self) -> Client {
        MessagingServiceClient::connect(format!("http://{}", self.addr))
            .await
            .unwrap()
    }

    /// Creates `topic` (4 queues) with `+message.type=kind` when given.
    async fn topic(&self, prefix: &str, kind: Option<&str>) -> String {
        let topic = unique(prefix);
        let h = CreateTopicRequestHeader {
            topic: topic.clone(),
            default_topic: "TBW102".into(),
            read_queue_nums: 4,
            write_queue_nums: 4,
            perm: 6,
            topic_filter_type: "SINGLE_TAG".into(),
            topic_sys_flag: Some(0),
            order: false,
            attributes: kind.map(|k| format!("+message.type={k}")),
            force: None,
        };
        let r = self
            .cluster
            .call(RemotingCommand::request_with(
                rc::UPDATE_AND_CREATE_TOPIC,
                &h,
            ))
            .await;
        assert_eq!(r.code, 0, "{:?}", r.remark);
        self.cluster.brokers[0].register_now().await;
        topic
    }

    /// Every message stored in `topic`'s queues.
    async fn stored(&self, topic: &str) -> Vec<ferromq_protocol::message::record::MessageExt> {
        self.cluster.settle();
        let mut all = Vec::new();
        for q in 0..4 {
            let r = self
                .cluster
                .call(pull_request("check_group", topic, q, 0, 32, "*", 0))
                .await;
            if r.code == 0 {
                all.extend(records(&r));
            }
        }
        all
    }
}

fn req<T>(client_id: &str, msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    let md = r.metadata_mut();
    md.insert("x-mq-client-id", client_id.parse().unwrap());
    md.insert("x-mq-language", "JAVA".parse().unwrap());
    md.insert("x-mq-client-version", "5.0.7".parse().unwrap());
    r
}

fn res(name: &str) -> Option<pb::Resource> {
    Some(pb::Resource {
        resource_namespace: String::new(),
        name: name.into(),
    })
}

fn message(topic: &str, id: &str, kind: pb::MessageType) -> pb::Message {
    pb::Message {
        topic: res(topic),
        user_properties: [("k".to_string(), "v".to_string())].into(),
        system_properties: Some(pb::SystemProperties {
            tag: Some("TagA".into()),
            keys: vec!["key1".into()],
            message_id: id.into(),
            message_type: kind as i32,
            ..Default::default()
        }),
        body: format!("body of {id}").into_bytes(),
    }
}

fn code(s: &Option<pb::Status>) -> pb::Code {
    pb::Code::try_from(s.as_ref().map_or(0, |s| s.code)).unwrap()
}

/// Opens Telemetry for `client_id` with `settings`; returns the sender side and the
/// server's first answer (its settings) with the rest of the stream.
async fn telemetry(
    client: &mut Client,
    client_id: &str,
    settings: pb::Settings,
) -> (
    mpsc::Sender<pb::TelemetryCommand>,
    pb::Settings,
    tonic::Streaming<pb::TelemetryCommand>,
) {
    let (tx, rx) = mpsc::channel(8);
    tx.send(pb::TelemetryCommand {
        status: None,
        command: Some(pb::telemetry_command::Command::Settings(settings)),
    })
    .await
    .unwrap();
    let mut inbound = client
        .telemetry(req(client_id, ReceiverStream::new(rx)))
        .await
        .unwrap()
        .into_inner();
    let first = inbound.message().await.unwrap().unwrap();
    assert_eq!(code(&first.status), pb::Code::Ok);
    let Some(pb::telemetry_command::Command::Settings(s)) = first.command else {
        panic!("settings expected, got {first:?}")
    };
    (tx, s, inbound)
}

fn producer_settings(topic: &str) -> pb::Settings {
    pb::Settings {
        client_type: Some(pb::ClientType::Producer as i32),
        pub_sub: Some(pb::settings::PubSub::Publishing(pb::Publishing {
            topics: vec![res(topic).unwrap()],
            ..Default::default()
        })),
        ..Default::default()
    }
}

async fn send(
    client: &mut Client,
    cid: &str,
    messages: Vec<pb::Message>,
) -> pb::SendMessageResponse {
    client
        .send_message(req(cid, pb::SendMessageRequest { messages }))
        .await
        .unwrap()
        .into_inner()
}

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
async fn consumer_heartbeat_shows_in_consumer_connection() {
    let f = fixture(true).await;
    let mut c = f.client().await;
    let topic = f.topic("grpc_sub", None).await;
    let group = unique("grpc_group");
    let cid = "cid-consumer@1";
    let settings = pb::Settings {
        client_type: Some(pb::ClientType::SimpleConsumer as i32),
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
    let (_tx, answered, _inbound) = telemetry(&mut c, cid, settings).await;
    let Some(pb::settings::PubSub::Subscription(sub)) = &answered.pub_sub else {
        panic!("subscription settings expected")
    };
    assert_eq!(sub.receive_batch_size, Some(32));
    assert_eq!(sub.long_polling_timeout.as_ref().unwrap().seconds, 20);
    assert!(f
        .proxy
        .sessions()
        .settings(cid)
        .and_then(|s| s.pub_sub)
        .is_some());
    let hb = c
        .heartbeat(req(
            cid,
            pb::HeartbeatRequest {
                group: res(&group),
                client_type: pb::ClientType::SimpleConsumer as i32,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&hb.status), pb::Code::Ok);

    let h = ConsumerGroupRequestHeader {
        consumer_group: group.clone(),
    };
    let r = f
        .cluster
        .call(RemotingCommand::request_with(
            rc::GET_CONSUMER_CONNECTION_LIST,
            &h,
        ))
        .await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let conn: ferromq_model::ConsumerConnection =
        ferromq_model::from_fastjson_slice(&r.body.to_bytes()).unwrap();
    let me = conn
        .connection_set
        .iter()
        .find(|c| c.client_id == cid)
        .expect("the gRPC client");
    assert_eq!(me.language, "JAVA");
    assert_eq!(me.version, ferromq_protocol::version::V5_0_0 + 14);

    let bye = c
        .notify_client_termination(req(
            cid,
            pb::NotifyClientTerminationRequest { group: res(&group) },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&bye.status), pb::Code::Ok);
    let r = f
        .cluster
        .call(RemotingCommand::request_with(
            rc::GET_CONSUMER_CONNECTION_LIST,
            &h,
        ))
        .await;
    assert_ne!(r.code, 0, "no consumer left");
    f.cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_refuse_what_java_refuses() {
    let f = fixture(false).await;
    let mut c = f.client().await;
    // A heartbeat before any settings: the client is unknown.
    let hb = c
        .heartbeat(req(
            "cid-unknown",
            pb::HeartbeatRequest {
                group: None,
                client_type: pb::ClientType::Producer as i32,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&hb.status), pb::Code::UnrecognizedClientType);
    // Settings without publishing or subscription end the stream with INVALID_ARGUMENT.
    let (tx, rx) = mpsc::channel(1);
    tx.send(pb::TelemetryCommand {
        status: None,
        command: Some(pb::telemetry_command::Command::Settings(
            pb::Settings::default(),
        )),
    })
    .await
    .unwrap();
    let mut inbound = c
        .telemetry(req("cid-empty", ReceiverStream::new(rx)))
        .await
        .unwrap()
        .into_inner();
    let err = inbound.message().await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    // A system topic is not a client's.
    let (tx, rx) = mpsc::channel(1);
    tx.send(pb::TelemetryCommand {
        status: None,
        command: Some(pb::telemetry_command::Command::Settings(producer_settings(
            "RMQ_SYS_TRANS_HALF_TOPIC",
        ))),
    })
    .await
    .unwrap();
    let mut inbound = c
        .telemetry(req("cid-sys", ReceiverStream::new(rx)))
        .await
        .unwrap()
        .into_inner();
    let err = inbound.message().await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(
        err.message().contains("cannot access system topic"),
        "{err:?}"
    );
    // No client id: refused before any RPC runs.
    let r = c
        .query_route(Request::new(pb::QueryRouteRequest {
            topic: res("T"),
            endpoints: None,
        }))
        .await;
    assert_eq!(r.unwrap_err().code(), tonic::Code::InvalidArgument);
    assert!(f.proxy.sessions().is_empty());
    f.cluster.shutdown().await;
}
