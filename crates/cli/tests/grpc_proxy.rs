//! The gRPC proxy as the binary serves it: `ferromq standalone --grpc-port` (LOCAL mode, the
//! broker reached in memory) and `ferromq proxy -n` in front of it (CLUSTER mode), each
//! answering QueryRoute with its own port and storing a typed topic's messages, the wrong
//! type refused as Java's proxy refuses it.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ferromq_proxy::pb;
use ferromq_proxy::pb::messaging_service_client::MessagingServiceClient;

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(args: &[&str], logs: &std::path::Path) -> Kill {
    Kill(
        Command::new(env!("CARGO_BIN_EXE_ferromq"))
            .args(args)
            .env("FERROMQ_LOG_DIR", logs)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

fn req<T>(msg: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut()
        .insert("x-mq-client-id", "cli-test@1".parse().unwrap());
    r
}

fn res(name: &str) -> Option<pb::Resource> {
    Some(pb::Resource {
        resource_namespace: String::new(),
        name: name.into(),
    })
}

/// Connects to the gRPC port, waiting for the server to come up.
async fn connect(port: u16) -> MessagingServiceClient<tonic::transport::Channel> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match MessagingServiceClient::connect(format!("http://127.0.0.1:{port}")).await {
            Ok(c) => return c,
            Err(e) if Instant::now() > deadline => panic!("gRPC port {port}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

async fn check(port: u16, topic: &str, id: &str) {
    let mut c = connect(port).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let route = loop {
        let r = c
            .query_route(req(pb::QueryRouteRequest {
                topic: res(topic),
                endpoints: None,
            }))
            .await
            .unwrap()
            .into_inner();
        if r.status.as_ref().map(|s| s.code) == Some(pb::Code::Ok as i32) {
            break r;
        }
        assert!(Instant::now() < deadline, "no route: {r:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let q = &route.message_queues[0];
    assert_eq!(q.accept_message_types, [pb::MessageType::Fifo as i32]);
    let ep = q.broker.as_ref().unwrap().endpoints.as_ref().unwrap();
    assert_eq!(ep.addresses[0].port, i32::from(port));
    let message = |kind: pb::MessageType, group: Option<&str>| pb::Message {
        topic: res(topic),
        user_properties: Default::default(),
        system_properties: Some(pb::SystemProperties {
            message_id: id.into(),
            message_type: kind as i32,
            message_group: group.map(str::to_owned),
            ..Default::default()
        }),
        body: b"through the binary".to_vec(),
    };
    let send = |m| req(pb::SendMessageRequest { messages: vec![m] });
    let r = c
        .send_message(send(message(pb::MessageType::Fifo, Some("g1"))))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.status.unwrap().code, pb::Code::Ok as i32);
    assert_eq!(r.entries[0].message_id, id);
    let r = c
        .send_message(send(message(pb::MessageType::Normal, None)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        r.status.unwrap().code,
        pb::Code::MessagePropertyConflictWithType as i32
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn standalone_and_proxy_serve_grpc() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("broker.conf");
    std::fs::write(
        &conf,
        "diskSpaceWarningLevelRatio=99\ndiskMaxUsedSpaceRatio=95\ndiskSpaceCleanForciblyRatio=97\n",
    )
    .unwrap();
    let (ns, broker, local, cluster) = (free_port(), free_port(), free_port(), free_port());
    let data = dir.path().join("data");
    let _standalone = spawn(
        &[
            "standalone",
            "--bind",
            "127.0.0.1",
            "--fast-port",
            "0",
            "--namesrv-port",
            &ns.to_string(),
            "--broker-port",
            &broker.to_string(),
            "--grpc-port",
            &local.to_string(),
            "--data",
            data.to_str().unwrap(),
            "-c",
            conf.to_str().unwrap(),
        ],
        dir.path(),
    );
    let ns_addr = format!("127.0.0.1:{ns}");
    let topic = "GrpcCliFifo";
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = Command::new(env!("CARGO_BIN_EXE_ferromq"))
            .args([
                "admin",
                "updateTopic",
                "-n",
                &ns_addr,
                "-c",
                "DefaultCluster",
            ])
            .args(["-t", topic, "-a", "+message.type=FIFO"])
            .output()
            .unwrap();
        if out.status.success() {
            break;
        }
        assert!(Instant::now() < deadline, "updateTopic: {out:?}");
        std::thread::sleep(Duration::from_millis(300));
    }
    check(local, topic, "LOCAL-1").await;

    let _proxy = spawn(
        &[
            "proxy",
            "-n",
            &ns_addr,
            "--bind",
            "127.0.0.1",
            "--grpc-port",
            &cluster.to_string(),
        ],
        dir.path(),
    );
    check(cluster, topic, "CLUSTER-1").await;
}
