//! Requests from clients without credentials that try to grow the NameServer's memory or slip
//! names past it: each is refused with a clear code, and nothing changes.

use std::io::Write;

use ferromq_model::DecodeLimits;
use ferromq_namesrv::{KvLimits, RouteLimits};

use super::*;

async fn put_kv(c: &RemotingClient, ns: &str, key: &str, value: &str) -> RemotingCommand {
    let put = PutKvConfigRequestHeader {
        namespace: "ORDER_TOPIC_CONFIG".into(),
        key: key.into(),
        value: value.into(),
    };
    c.invoke_sync(
        ns,
        RemotingCommand::request_with(rc::PUT_KV_CONFIG, &put),
        T,
    )
    .await
    .unwrap()
}

async fn get_kv(c: &RemotingClient, ns: &str, key: &str) -> RemotingCommand {
    let get = KvConfigKeyRequestHeader {
        namespace: "ORDER_TOPIC_CONFIG".into(),
        key: key.into(),
    };
    c.invoke_sync(
        ns,
        RemotingCommand::request_with(rc::GET_KV_CONFIG, &get),
        T,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn kv_puts_over_the_limits_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ns = start(NameServerOptions {
        kv_config_path: Some(dir.path().join("kvConfig.json")),
        kv_limits: KvLimits {
            max_entries: 2,
            ..KvLimits::default()
        },
        ..Default::default()
    })
    .await;
    let c = RemotingClient::with_defaults();
    let long_key = "k".repeat(256);
    let r = put_kv(&c, &ns.addr, &long_key, "broker-a:4").await;
    assert_eq!(r.code, response_code::INVALID_PARAMETER);
    assert!(r.remark.unwrap().contains("key is 256 bytes long"));
    assert_eq!(
        get_kv(&c, &ns.addr, &long_key).await.code,
        response_code::QUERY_NOT_FOUND
    );
    let r = put_kv(&c, &ns.addr, "T", &"v".repeat(64 * 1024 + 1)).await;
    assert_eq!(r.code, response_code::INVALID_PARAMETER);

    let order_conf = "broker-a:4;broker-b:4";
    for key in ["T1", "T2"] {
        let r = put_kv(&c, &ns.addr, key, order_conf).await;
        assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
    }
    let r = put_kv(&c, &ns.addr, "T3", order_conf).await;
    assert_eq!(r.code, response_code::SYSTEM_ERROR);
    assert!(r.remark.unwrap().contains("full"));
    // Replacing an existing key is still fine, and nothing refused reached the file.
    let r = put_kv(&c, &ns.addr, "T1", "broker-a:8").await;
    assert_eq!(r.code, response_code::SUCCESS);
    let file = std::fs::read_to_string(dir.path().join("kvConfig.json")).unwrap();
    assert!(file.contains("broker-a:8") && !file.contains("T3") && !file.contains("kkkk"));
}

#[tokio::test]
async fn registrations_with_bad_names_are_refused() {
    let ns = start(NameServerOptions::default()).await;
    let c = RemotingClient::with_defaults();
    for (cluster, broker, addr) in [
        ("c/../x", "b", "127.0.0.1:1"),
        ("c", "b\nforged", "127.0.0.1:1"),
        ("c", "b", "127.0.0.1:1 junk"),
    ] {
        let req = register_request(cluster, broker, 0, addr, &[("T", 1)], false);
        let r = c.invoke_sync(&ns.addr, req, T).await.unwrap();
        assert_eq!(r.code, response_code::INVALID_PARAMETER, "{:?}", r.remark);
        assert!(r
            .remark
            .unwrap()
            .starts_with("register broker failed: the "));
    }
    let info = cluster_info(&c, &ns.addr).await;
    assert!(info.broker_addr_table.is_empty() && info.cluster_addr_table.is_empty());

    // A host-name broker keeps its own topics; a topic Java would refuse is left out.
    let req = register_request(
        "DefaultCluster",
        "host-1.example.com",
        0,
        "127.0.0.1:1",
        &[("T", 1), ("no/slash", 1), ("host-1.example.com", 1)],
        true,
    );
    let r = c.invoke_sync(&ns.addr, req, T).await.unwrap();
    assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
    for (topic, code) in [
        ("T", response_code::SUCCESS),
        ("host-1.example.com", response_code::SUCCESS),
        ("no/slash", response_code::TOPIC_NOT_EXIST),
    ] {
        assert_eq!(route(&c, &ns.addr, topic).await.code, code, "{topic}");
    }

    // REGISTER_TOPIC_IN_NAMESRV checks its topic like Java's TopicValidator.
    let route_body = route(&c, &ns.addr, "T").await.body.to_bytes();
    let req = RemotingCommand::request_with(
        rc::REGISTER_TOPIC_IN_NAMESRV,
        &TopicRequestHeader {
            topic: "a.b".into(),
        },
    )
    .with_body(route_body.to_vec());
    let r = c.invoke_sync(&ns.addr, req, T).await.unwrap();
    assert_eq!(r.code, response_code::INVALID_PARAMETER, "{:?}", r.remark);
    assert_eq!(
        route(&c, &ns.addr, "a.b").await.code,
        response_code::TOPIC_NOT_EXIST
    );
}

/// A register request with `body` as it is, compressed or not.
fn raw_register(body: Vec<u8>, compressed: bool) -> RemotingCommand {
    let header = RegisterBrokerRequestHeader {
        broker_name: "b".into(),
        broker_addr: "127.0.0.1:1".into(),
        cluster_name: "c".into(),
        ha_server_addr: "127.0.0.1:2".into(),
        broker_id: 0,
        compressed: Some(compressed),
        body_crc32: Some(0),
        ..Default::default()
    };
    RemotingCommand::request_with(rc::REGISTER_BROKER, &header).with_body(body)
}

#[tokio::test]
async fn register_bodies_are_bounded() {
    let ns = start(NameServerOptions {
        route_limits: RouteLimits {
            max_topics_per_broker: 10,
            ..RouteLimits::default()
        },
        ..Default::default()
    })
    .await;
    let c = RemotingClient::with_defaults();

    // A zlib bomb: 1 GiB promised, 64 MiB of zeros in 64 KiB.
    let mut raw = Vec::new();
    raw.extend_from_slice(&2i32.to_be_bytes());
    raw.extend_from_slice(b"{}");
    raw.extend_from_slice(&0i32.to_be_bytes());
    raw.extend_from_slice(&(1i32 << 30).to_be_bytes());
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&raw).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        enc.write_all(&zeros).unwrap();
    }
    let r = c
        .invoke_sync(&ns.addr, raw_register(enc.finish().unwrap(), true), T)
        .await
        .unwrap();
    assert_eq!(r.code, response_code::SYSTEM_ERROR);
    assert!(r.remark.unwrap().contains("truncated"));

    // Eleven topics, compressed or not: refused whole, before or after decoding.
    let topics: Vec<(String, i32)> = (0..11).map(|i| (format!("T{i}"), 1)).collect();
    let topics: Vec<(&str, i32)> = topics.iter().map(|(t, q)| (t.as_str(), *q)).collect();
    for compressed in [true, false] {
        let req = register_request("c", "b", 0, "127.0.0.1:1", &topics, compressed);
        let r = c.invoke_sync(&ns.addr, req, T).await.unwrap();
        assert_eq!(r.code, response_code::SYSTEM_ERROR, "{:?}", r.remark);
        assert!(r.remark.unwrap().contains("topic count"));
    }
    let info = cluster_info(&c, &ns.addr).await;
    assert!(info.broker_addr_table.is_empty());
    // Ten fit.
    let req = register_request("c", "b", 0, "127.0.0.1:1", &topics[..10], true);
    let r = c.invoke_sync(&ns.addr, req, T).await.unwrap();
    assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
    assert_eq!(
        DecodeLimits::default().max_inflated,
        ferromq_model::MAX_INFLATED_BODY
    );
}

#[tokio::test]
async fn one_connection_registers_a_bounded_number_of_brokers() {
    let ns = start(NameServerOptions {
        route_limits: RouteLimits {
            max_brokers_per_channel: 3,
            ..RouteLimits::default()
        },
        ..Default::default()
    })
    .await;
    let c = RemotingClient::with_defaults();
    for i in 0..4 {
        let addr = format!("127.0.0.1:{}", 1000 + i);
        let req = register_request("c", &format!("b{i}"), 0, &addr, &[], false);
        let r = c.invoke_sync(&ns.addr, req, T).await.unwrap();
        let expected = if i < 3 {
            response_code::SUCCESS
        } else {
            response_code::SYSTEM_ERROR
        };
        assert_eq!(r.code, expected, "{i}: {:?}", r.remark);
    }
    assert_eq!(ns.ns.state().routes().live_brokers().len(), 3);
}
