//! ACL 2.0 through the LOCAL proxy: a 5.x client's signature is checked against the broker's
//! users and its requests reach the broker signed as that user, so the broker's own ACL
//! decides; unsigned calls are refused by the broker, wrong signatures by the proxy.

use std::sync::Arc;

use ferromq_protocol::headers::CreateTopicRequestHeader;
use ferromq_protocol::{request_code as rc, RemotingCommand};
use ferromq_proxy::pb;
use ferromq_proxy::pb::messaging_service_client::MessagingServiceClient;
use ferromq_proxy::{Proxy, ProxyConfig};
use ferromq_testkit::{acl2, unique, TestCluster, ACL_ROOT};
use tokio::net::TcpListener;
use tonic::Request;

fn req<T>(msg: T, credentials: Option<(&str, &str)>) -> Request<T> {
    let mut r = Request::new(msg);
    let md = r.metadata_mut();
    md.insert("x-mq-client-id", "acl-client".parse().unwrap());
    md.insert("x-mq-language", "JAVA".parse().unwrap());
    let date = "20261208T010000Z";
    md.insert("x-mq-date-time", date.parse().unwrap());
    if let Some((user, secret)) = credentials {
        let h = ferromq_proxy::authorization(user, secret, date);
        md.insert("authorization", h.parse().unwrap());
    }
    r
}

fn message(topic: &str, id: &str) -> pb::Message {
    pb::Message {
        topic: Some(pb::Resource {
            resource_namespace: String::new(),
            name: topic.into(),
        }),
        user_properties: Default::default(),
        system_properties: Some(pb::SystemProperties {
            message_id: id.into(),
            message_type: pb::MessageType::Normal as i32,
            ..Default::default()
        }),
        body: b"acl body".to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn callers_are_their_users_local_mode() {
    callers_are_their_users(true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn callers_are_their_users_cluster_mode() {
    callers_are_their_users(false).await;
}

async fn callers_are_their_users(local: bool) {
    let cluster = TestCluster::start_with(1, acl2).await;
    let topic = unique("grpc_acl");
    let h = CreateTopicRequestHeader {
        topic: topic.clone(),
        default_topic: "TBW102".into(),
        read_queue_nums: 4,
        write_queue_nums: 4,
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

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let proxy = Proxy::new(ProxyConfig::new(addr, vec![cluster.namesrv_addr.clone()]));
    proxy.auth().set_inner(ACL_ROOT.0, ACL_ROOT.1);
    if local {
        // As the broker's wiring does: its handler in memory, its users directly.
        let b = &cluster.brokers[0];
        proxy.add_local_broker(
            &b.addr().to_string(),
            Arc::new(ferromq_broker::BrokerHandler::new(b.context().clone())),
        );
        let ctx = b.context().clone();
        proxy.auth().set_users(Arc::new(move |name: String| {
            let secret = (|| {
                ctx.access()
                    .store()
                    .ok()?
                    .get_user(Some(&name))
                    .ok()??
                    .password
            })();
            Box::pin(async move { secret })
        }));
    } else {
        // The users come from the brokers (AUTH_GET_USER with the inner credentials).
        proxy.use_cluster_users();
    }
    let p = proxy.clone();
    tokio::spawn(async move {
        let _ = ferromq_proxy::serve(p, listener, Default::default()).await;
    });
    let mut c = MessagingServiceClient::connect(format!("http://{addr}"))
        .await
        .unwrap();

    let send = |creds: Option<(&'static str, &'static str)>, id: &'static str| {
        req(
            pb::SendMessageRequest {
                messages: vec![message(&topic, id)],
            },
            creds,
        )
    };
    let r = c.send_message(send(None, "A1")).await.unwrap().into_inner();
    let st = r.status.unwrap();
    assert_eq!(st.code, pb::Code::Unauthorized as i32, "{st:?}");

    let r = c
        .send_message(send(Some(ACL_ROOT), "A2"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.status.unwrap().code, pb::Code::Ok as i32);

    let err = c
        .send_message(send(Some((ACL_ROOT.0, "wrong")), "A3"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unauthenticated);
    let err = c
        .send_message(send(Some(("nobody", "x")), "A4"))
        .await
        .unwrap_err();
    assert_eq!(err.message(), "User:nobody is not found.");
    cluster.shutdown().await;
}
