//! The consumer RPCs under ACL 2.0 (CLUSTER mode): a signed client's POP, ACK and pull reach
//! the broker signed as its user — also from the tasks the proxy spawns for a receive — and an
//! unsigned client is refused by the broker (UNAUTHORIZED).

use std::time::{Duration, Instant};

use ferromq_protocol::headers::CreateTopicRequestHeader;
use ferromq_protocol::{request_code as rc, RemotingCommand};
use ferromq_proxy::pb;
use ferromq_proxy::pb::messaging_service_client::MessagingServiceClient;
use ferromq_proxy::{Proxy, ProxyConfig};
use ferromq_testkit::{acl2, unique, TestCluster, ACL_ROOT};
use tonic::Request;

fn req<T>(msg: T, credentials: Option<(&str, &str)>) -> Request<T> {
    let mut r = Request::new(msg);
    let md = r.metadata_mut();
    md.insert("x-mq-client-id", "acl-consumer".parse().unwrap());
    md.insert("x-mq-language", "JAVA".parse().unwrap());
    let date = "20261208T010000Z";
    md.insert("x-mq-date-time", date.parse().unwrap());
    if let Some((user, secret)) = credentials {
        let h = ferromq_proxy::authorization(user, secret, date);
        md.insert("authorization", h.parse().unwrap());
    }
    r
}

fn res(name: &str) -> Option<pb::Resource> {
    Some(pb::Resource {
        name: name.into(),
        ..Default::default()
    })
}

fn receive(topic: &str, group: &str) -> pb::ReceiveMessageRequest {
    pb::ReceiveMessageRequest {
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
        batch_size: 8,
        invisible_duration: Some(prost_types::Duration {
            seconds: 30,
            nanos: 0,
        }),
        auto_renew: false,
        long_polling_timeout: Some(prost_types::Duration {
            seconds: 5,
            nanos: 0,
        }),
        attempt_id: None,
    }
}

type Parts = Vec<pb::receive_message_response::Content>;

async fn parts(
    c: &mut MessagingServiceClient<tonic::transport::Channel>,
    r: Request<pb::ReceiveMessageRequest>,
) -> Parts {
    let mut s = c.receive_message(r).await.unwrap().into_inner();
    let mut out = Vec::new();
    while let Some(m) = s.message().await.unwrap() {
        out.push(m.content.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn consumers_are_their_users() {
    use pb::receive_message_response::Content;
    let cluster = TestCluster::start_with(1, acl2).await;
    let topic = unique("grpc_acl_c");
    let group = unique("grpc_acl_g");
    let h = CreateTopicRequestHeader {
        topic: topic.clone(),
        default_topic: "TBW102".into(),
        read_queue_nums: 1,
        write_queue_nums: 1,
        perm: 6,
        topic_filter_type: "SINGLE_TAG".into(),
        topic_sys_flag: Some(0),
        order: false,
        attributes: None,
        force: None,
    };
    let mut create = RemotingCommand::request_with(rc::UPDATE_AND_CREATE_TOPIC, &h);
    ferromq_protocol::signature::sign(&mut create, ACL_ROOT.0, ACL_ROOT.1, None);
    assert_eq!(cluster.call(create).await.code, 0);
    cluster.brokers[0].register_now().await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let proxy = Proxy::new(ProxyConfig::new(addr, vec![cluster.namesrv_addr.clone()]));
    proxy.auth().set_inner(ACL_ROOT.0, ACL_ROOT.1);
    proxy.use_cluster_users();
    let p = proxy.clone();
    tokio::spawn(async move {
        let _ = ferromq_proxy::serve(p, listener, Default::default()).await;
    });
    let mut c = MessagingServiceClient::connect(format!("http://{addr}"))
        .await
        .unwrap();

    // Unsigned: the broker refuses the pop.
    let got = parts(&mut c, req(receive(&topic, &group), None)).await;
    assert!(
        matches!(&got[0], Content::Status(s) if s.code == pb::Code::Unauthorized as i32),
        "{got:?}"
    );
    // Signed: subscribe, send through the proxy, receive and ack.
    parts(&mut c, req(receive(&topic, &group), Some(ACL_ROOT))).await;
    let msg = pb::Message {
        topic: res(&topic),
        user_properties: Default::default(),
        system_properties: Some(pb::SystemProperties {
            message_id: "ACLC1".into(),
            message_type: pb::MessageType::Normal as i32,
            ..Default::default()
        }),
        body: b"acl consumer".to_vec(),
    };
    let send = pb::SendMessageRequest {
        messages: vec![msg],
    };
    let r = c
        .send_message(req(send, Some(ACL_ROOT)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.status.unwrap().code, pb::Code::Ok as i32);
    let mut messages = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while messages.is_empty() && Instant::now() < deadline {
        for p in parts(&mut c, req(receive(&topic, &group), Some(ACL_ROOT))).await {
            if let Content::Message(m) = p {
                messages.push(m);
            }
        }
    }
    assert_eq!(messages.len(), 1);
    let s = messages[0].system_properties.clone().unwrap();
    let entry = pb::AckMessageEntry {
        message_id: s.message_id.clone(),
        receipt_handle: s.receipt_handle.clone().unwrap(),
        lite_topic: None,
    };
    let ack = |creds| {
        req(
            pb::AckMessageRequest {
                group: res(&group),
                topic: res(&topic),
                entries: vec![entry.clone()],
            },
            creds,
        )
    };
    let r = c.ack_message(ack(None)).await.unwrap().into_inner();
    assert_eq!(r.status.unwrap().code, pb::Code::Unauthorized as i32);
    let r = c
        .ack_message(ack(Some(ACL_ROOT)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        r.status.unwrap().code,
        pb::Code::Ok as i32,
        "{:?}",
        r.entries
    );
    cluster.shutdown().await;
}
