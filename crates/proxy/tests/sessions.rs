//! Sessions through the proxy: heartbeats reaching the brokers' connection lists, what Java
//! refuses, and broker requests relayed to a client over Telemetry.

mod fixture;

use ferromq_protocol::headers::ConsumerGroupRequestHeader;
use ferromq_protocol::{request_code as rc, RemotingCommand};
use ferromq_proxy::pb;
use ferromq_testkit::unique;
use fixture::*;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Request;

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

#[tokio::test(flavor = "multi_thread")]
async fn consumer_status_with_jstack_is_relayed_over_telemetry() {
    let f = fixture(false).await;
    let mut c = f.client().await;
    let topic = f.topic("grpc_jstack", None).await;
    let group = unique("grpc_jstack_group");
    let cid = "cid-jstack@1";
    let settings = pb::Settings {
        client_type: Some(pb::ClientType::PushConsumer as i32),
        pub_sub: Some(pb::settings::PubSub::Subscription(pb::Subscription {
            group: res(&group),
            subscriptions: vec![pb::SubscriptionEntry {
                topic: res(&topic),
                expression: None,
            }],
            ..Default::default()
        })),
        ..Default::default()
    };
    let (tx, _, mut inbound) = telemetry(&mut c, cid, settings).await;
    // The client answers the stack request it will be pushed.
    let answer = tokio::spawn(async move {
        let cmd = inbound.message().await.unwrap().unwrap();
        let Some(pb::telemetry_command::Command::PrintThreadStackTraceCommand(p)) = cmd.command
        else {
            panic!("stack request expected, got {cmd:?}")
        };
        tx.send(pb::TelemetryCommand {
            status: Some(pb::Status {
                code: pb::Code::Ok as i32,
                message: "OK".into(),
            }),
            command: Some(pb::telemetry_command::Command::ThreadStackTrace(
                pb::ThreadStackTrace {
                    nonce: p.nonce,
                    thread_stack_trace: Some("\"main\" RUNNABLE".into()),
                },
            )),
        })
        .await
        .unwrap();
        (tx, inbound)
    });
    let h = ferromq_protocol::headers::GetConsumerRunningInfoRequestHeader {
        consumer_group: group.clone(),
        client_id: cid.into(),
        jstack_enable: Some(true),
    };
    let r = f
        .cluster
        .call(RemotingCommand::request_with(
            rc::GET_CONSUMER_RUNNING_INFO,
            &h,
        ))
        .await;
    assert_eq!(r.code, 0, "{:?}", r.remark);
    let body = String::from_utf8_lossy(&r.body.to_bytes()).into_owned();
    assert!(body.contains("RUNNABLE"), "{body}");
    let _keep = answer.await.unwrap();
    f.cluster.shutdown().await;
}
