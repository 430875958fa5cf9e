//! The NameServer over real sockets: registration, routes, cluster info, KV, expiry, and
//! resilience to malformed input.

use std::sync::Arc;
use std::time::Duration;

use bytes::BufMut;
use ferromq_model::fastjson::from_fastjson_slice;
use ferromq_model::{ClusterInfo, RegisterBrokerBody, TopicConfig, TopicRouteData};
use ferromq_namesrv::{LiveConfig, NameServer, NameServerOptions};
use ferromq_protocol::headers::*;
use ferromq_protocol::{request_code as rc, response_code, RemotingCommand, SerializeType};
use ferromq_remoting::{RemotingClient, ServerConfig};
use rand::{Rng, SeedableRng};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

mod limits;

const T: Duration = Duration::from_secs(5);

struct Running {
    addr: String,
    ns: NameServer,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start(options: NameServerOptions) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let ns = NameServer::new(options, Arc::new(LiveConfig::default()));
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(ns.clone().run(listener, ServerConfig::default(), async {
        let _ = rx.await;
    }));
    Running {
        addr,
        ns,
        _stop: stop,
    }
}

fn register_request(
    cluster: &str,
    name: &str,
    id: i64,
    addr: &str,
    topics: &[(&str, i32)],
    compressed: bool,
) -> RemotingCommand {
    let mut body = RegisterBrokerBody::default();
    let w = &mut body.topic_config_serialize_wrapper;
    w.data_version.counter = 1;
    for (t, q) in topics {
        w.topic_config_table
            .insert(t.to_string(), TopicConfig::with_queues(*t, *q, *q, 6));
    }
    let bytes = body.encode(compressed).unwrap();
    let header = RegisterBrokerRequestHeader {
        broker_name: name.into(),
        broker_addr: addr.into(),
        cluster_name: cluster.into(),
        ha_server_addr: format!("{addr}1"),
        broker_id: id,
        compressed: Some(compressed),
        body_crc32: Some((crc32fast::hash(&bytes) & 0x7fff_ffff) as i32),
        ..Default::default()
    };
    RemotingCommand::request_with(rc::REGISTER_BROKER, &header).with_body(bytes)
}

async fn route(c: &RemotingClient, ns: &str, topic: &str) -> RemotingCommand {
    let h = GetRouteInfoRequestHeader {
        topic: topic.into(),
        accept_standard_json_only: None,
    };
    c.invoke_sync(
        ns,
        RemotingCommand::request_with(rc::GET_ROUTEINFO_BY_TOPIC, &h),
        T,
    )
    .await
    .unwrap()
}

async fn cluster_info(c: &RemotingClient, ns: &str) -> ClusterInfo {
    let resp = c
        .invoke_sync(ns, RemotingCommand::request(rc::GET_BROKER_CLUSTER_INFO), T)
        .await
        .unwrap();
    assert_eq!(resp.code, response_code::SUCCESS);
    from_fastjson_slice(&resp.body.to_bytes()).unwrap()
}

#[tokio::test]
async fn two_brokers_two_clusters_routes_and_cluster_info() {
    let ns = start(NameServerOptions::default()).await;
    let c = RemotingClient::with_defaults();
    let r = c
        .invoke_sync(
            &ns.addr,
            register_request("c1", "broker-a", 0, "127.0.0.1:10911", &[("T", 4)], false),
            T,
        )
        .await
        .unwrap();
    assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
    // the second broker registers with the compressed body and binary headers
    let r = c
        .invoke_sync(
            &ns.addr,
            register_request(
                "c2",
                "broker-b",
                0,
                "127.0.0.1:10921",
                &[("T", 8), ("U", 1)],
                true,
            )
            .with_serialize_type(SerializeType::RocketMq),
            T,
        )
        .await
        .unwrap();
    assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);

    let resp = route(&c, &ns.addr, "T").await;
    assert_eq!(resp.code, response_code::SUCCESS);
    let text = String::from_utf8(resp.body.to_bytes().to_vec()).unwrap();
    assert!(
        text.contains(r#""brokerAddrs":{"0":"127.0.0.1:10911"}"#),
        "standard JSON keys: {text}"
    );
    let data: TopicRouteData = from_fastjson_slice(text.as_bytes()).unwrap();
    assert_eq!(data.queue_datas.len(), 2);
    assert_eq!(data.broker_datas.len(), 2);

    let missing = route(&c, &ns.addr, "Nope").await;
    assert_eq!(missing.code, response_code::TOPIC_NOT_EXIST);
    assert!(missing.remark.unwrap().contains("Nope"));

    let info = cluster_info(&c, &ns.addr).await;
    assert_eq!(info.cluster_addr_table.len(), 2);
    assert_eq!(
        info.broker_addr_table["broker-b"].master_addr(),
        Some("127.0.0.1:10921")
    );

    let all = c
        .invoke_sync(
            &ns.addr,
            RemotingCommand::request(rc::GET_ALL_TOPIC_LIST_FROM_NAMESERVER),
            T,
        )
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&all.body.to_bytes()).unwrap();
    assert_eq!(v["topicList"], serde_json::json!(["T", "U"]));
}

#[tokio::test]
async fn bad_crc_is_rejected() {
    let ns = start(NameServerOptions::default()).await;
    let c = RemotingClient::with_defaults();
    let mut req = register_request("c", "b", 0, "127.0.0.1:1", &[("T", 1)], false);
    req.ext_fields.insert("bodyCrc32", "12345");
    let r = c.invoke_sync(&ns.addr, req, T).await.unwrap();
    assert_eq!(r.code, response_code::SYSTEM_ERROR);
    assert_eq!(r.remark.as_deref(), Some("crc32 not match"));
    assert_eq!(
        route(&c, &ns.addr, "T").await.code,
        response_code::TOPIC_NOT_EXIST
    );
}

#[tokio::test]
async fn unregister_and_channel_close_remove_brokers() {
    let ns = start(NameServerOptions::default()).await;
    let c = RemotingClient::with_defaults();
    c.invoke_sync(
        &ns.addr,
        register_request("c", "a", 0, "127.0.0.1:1", &[("T", 1)], false),
        T,
    )
    .await
    .unwrap();
    let h = UnregisterBrokerRequestHeader {
        broker_name: "a".into(),
        broker_addr: "127.0.0.1:1".into(),
        cluster_name: "c".into(),
        broker_id: 0,
    };
    c.invoke_sync(
        &ns.addr,
        RemotingCommand::request_with(rc::UNREGISTER_BROKER, &h),
        T,
    )
    .await
    .unwrap();
    assert_eq!(
        route(&c, &ns.addr, "T").await.code,
        response_code::TOPIC_NOT_EXIST
    );

    // A broker whose connection drops is removed at once.
    let other = RemotingClient::with_defaults();
    other
        .invoke_sync(
            &ns.addr,
            register_request("c", "b", 0, "127.0.0.1:2", &[("T", 1)], false),
            T,
        )
        .await
        .unwrap();
    assert_eq!(route(&c, &ns.addr, "T").await.code, response_code::SUCCESS);
    other.shutdown();
    let deadline = tokio::time::Instant::now() + T;
    while route(&c, &ns.addr, "T").await.code == response_code::SUCCESS {
        assert!(
            tokio::time::Instant::now() < deadline,
            "broker not removed after its channel closed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn silent_broker_expires_with_paused_time() {
    let ns = start(NameServerOptions::default()).await;
    let c = RemotingClient::with_defaults();
    for (name, addr) in [("a", "127.0.0.1:1"), ("b", "127.0.0.1:2")] {
        let r = c
            .invoke_sync(
                &ns.addr,
                register_request("c", name, 0, addr, &[("T", 1)], false),
                T,
            )
            .await
            .unwrap();
        assert_eq!(r.code, response_code::SUCCESS);
    }
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(60)).await;
    tokio::time::resume();
    // only broker a keeps heart-beating
    let hb = BrokerHeartbeatRequestHeader {
        cluster_name: "c".into(),
        broker_addr: "127.0.0.1:1".into(),
        broker_name: "a".into(),
        ..Default::default()
    };
    let r = c
        .invoke_sync(
            &ns.addr,
            RemotingCommand::request_with(rc::BROKER_HEARTBEAT, &hb),
            T,
        )
        .await
        .unwrap();
    assert_eq!(r.code, response_code::SUCCESS);
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(71)).await;
    // let the scan task run at its new tick
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    tokio::time::resume();
    let live: Vec<String> = ns
        .ns
        .state()
        .routes()
        .live_brokers()
        .into_iter()
        .map(|(k, _)| k.addr)
        .collect();
    assert_eq!(live, vec!["127.0.0.1:1".to_string()]);
    let info = cluster_info(&c, &ns.addr).await;
    assert!(info.broker_addr_table.contains_key("a"));
    assert!(!info.broker_addr_table.contains_key("b"));
}

#[tokio::test]
async fn kv_config_and_order_topic_conf() {
    let dir = tempfile::tempdir().unwrap();
    let ns = start(NameServerOptions {
        kv_config_path: Some(dir.path().join("kvConfig.json")),
        order_message_enable: true,
        ..Default::default()
    })
    .await;
    let c = RemotingClient::with_defaults();
    let put = PutKvConfigRequestHeader {
        namespace: "ORDER_TOPIC_CONFIG".into(),
        key: "T".into(),
        value: "broker-a:4".into(),
    };
    let r = c
        .invoke_sync(
            &ns.addr,
            RemotingCommand::request_with(rc::PUT_KV_CONFIG, &put),
            T,
        )
        .await
        .unwrap();
    assert_eq!(r.code, response_code::SUCCESS);
    let key = KvConfigKeyRequestHeader {
        namespace: "ORDER_TOPIC_CONFIG".into(),
        key: "T".into(),
    };
    let r = c
        .invoke_sync(
            &ns.addr,
            RemotingCommand::request_with(rc::GET_KV_CONFIG, &key),
            T,
        )
        .await
        .unwrap();
    assert_eq!(r.ext_fields.get("value"), Some("broker-a:4"));
    assert!(std::fs::read_to_string(dir.path().join("kvConfig.json"))
        .unwrap()
        .contains("broker-a:4"));

    c.invoke_sync(
        &ns.addr,
        register_request("c", "broker-a", 0, "127.0.0.1:1", &[("T", 4)], false),
        T,
    )
    .await
    .unwrap();
    let data: TopicRouteData =
        from_fastjson_slice(&route(&c, &ns.addr, "T").await.body.to_bytes()).unwrap();
    assert_eq!(data.order_topic_conf.as_deref(), Some("broker-a:4"));

    let list = GetKvListByNamespaceRequestHeader {
        namespace: "ORDER_TOPIC_CONFIG".into(),
    };
    let r = c
        .invoke_sync(
            &ns.addr,
            RemotingCommand::request_with(rc::GET_KVLIST_BY_NAMESPACE, &list),
            T,
        )
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&r.body.to_bytes()).unwrap();
    assert_eq!(v["table"]["T"], "broker-a:4");

    c.invoke_sync(
        &ns.addr,
        RemotingCommand::request_with(rc::DELETE_KV_CONFIG, &key),
        T,
    )
    .await
    .unwrap();
    let r = c
        .invoke_sync(
            &ns.addr,
            RemotingCommand::request_with(rc::GET_KV_CONFIG, &key),
            T,
        )
        .await
        .unwrap();
    assert_eq!(r.code, response_code::QUERY_NOT_FOUND);
}

#[tokio::test]
async fn wipe_and_add_write_perm() {
    let ns = start(NameServerOptions::default()).await;
    let c = RemotingClient::with_defaults();
    c.invoke_sync(
        &ns.addr,
        register_request("c", "b", 0, "127.0.0.1:1", &[("T", 4), ("U", 4)], false),
        T,
    )
    .await
    .unwrap();
    let h = BrokerNameRequestHeader {
        broker_name: "b".into(),
    };
    let r = c
        .invoke_sync(
            &ns.addr,
            RemotingCommand::request_with(rc::WIPE_WRITE_PERM_OF_BROKER, &h),
            T,
        )
        .await
        .unwrap();
    assert_eq!(r.ext_fields.get("wipeTopicCount"), Some("2"));
    let data: TopicRouteData =
        from_fastjson_slice(&route(&c, &ns.addr, "T").await.body.to_bytes()).unwrap();
    assert_eq!(data.queue_datas[0].perm, 4);
    let r = c
        .invoke_sync(
            &ns.addr,
            RemotingCommand::request_with(rc::ADD_WRITE_PERM_OF_BROKER, &h),
            T,
        )
        .await
        .unwrap();
    assert_eq!(r.ext_fields.get("addTopicCount"), Some("2"));
}

#[tokio::test]
async fn unknown_code_and_bad_headers_get_errors() {
    let ns = start(NameServerOptions::default()).await;
    let c = RemotingClient::with_defaults();
    let r = c
        .invoke_sync(&ns.addr, RemotingCommand::request(7777), T)
        .await
        .unwrap();
    assert_eq!(r.code, response_code::REQUEST_CODE_NOT_SUPPORTED);
    let r = c
        .invoke_sync(
            &ns.addr,
            RemotingCommand::request(rc::GET_ROUTEINFO_BY_TOPIC),
            T,
        )
        .await
        .unwrap();
    assert_eq!(r.code, response_code::SYSTEM_ERROR);
    assert_eq!(
        r.remark.as_deref(),
        Some("the custom field <topic> is null")
    );
    let mut req = register_request("c", "b", 0, "127.0.0.1:1", &[], false).with_body("{not json");
    req.ext_fields.remove("bodyCrc32");
    let r = c.invoke_sync(&ns.addr, req, T).await.unwrap();
    assert_eq!(r.code, response_code::SYSTEM_ERROR);
}

#[tokio::test]
async fn random_bytes_never_stop_the_server() {
    let ns = start(NameServerOptions::default()).await;
    let good = RemotingClient::with_defaults();
    good.invoke_sync(
        &ns.addr,
        register_request("c", "b", 0, "127.0.0.1:1", &[("T", 1)], false),
        T,
    )
    .await
    .unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(99);
    for i in 0..100 {
        let mut s = TcpStream::connect(&ns.addr).await.unwrap();
        let mut bytes = Vec::new();
        if i % 3 == 0 {
            // a plausible frame with a random header of random type
            let header: Vec<u8> = (0..rng.gen_range(0..200)).map(|_| rng.gen()).collect();
            let body: Vec<u8> = (0..rng.gen_range(0..200)).map(|_| rng.gen()).collect();
            bytes.put_i32((4 + header.len() + body.len()) as i32);
            bytes.put_u8(rng.gen_range(0..3));
            bytes.put_uint(header.len() as u64, 3);
            bytes.extend_from_slice(&header);
            bytes.extend_from_slice(&body);
        } else if i % 3 == 1 {
            // a JSON header with random request codes and junk fields
            let h = format!(
                r#"{{"code":{},"opaque":{},"flag":0,"extFields":{{"topic":{},"brokerId":"x"}}}}"#,
                rng.gen_range(0..400),
                i,
                rng.gen::<i32>()
            );
            bytes.put_i32((4 + h.len()) as i32);
            bytes.put_u32(h.len() as u32);
            bytes.extend_from_slice(h.as_bytes());
        } else {
            bytes = (0..rng.gen_range(1..64)).map(|_| rng.gen()).collect();
        }
        let _ = s.write_all(&bytes).await;
        drop(s);
    }
    assert_eq!(
        route(&good, &ns.addr, "T").await.code,
        response_code::SUCCESS
    );
}
