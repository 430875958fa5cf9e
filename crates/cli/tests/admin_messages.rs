//! `ferromq admin` message, consumer-group and connection commands against an in-process
//! cluster: output snapshots (insta) and their effect (a sent message is found, offsets move).

mod admin_support;

use std::time::Duration;

use admin_support::{on, wait_for_route, TestCluster};
use ferromq_client::{
    ConcurrentlyContext, ConcurrentlyStatus, Producer, ProducerConfig, PushConsumer,
    PushConsumerConfig, ReceivedMessage,
};
use ferromq_testkit::send_request;

/// A cluster with topic `T` (2 queues): three tagged messages with keys, one untagged.
async fn cluster_with_messages() -> TestCluster {
    let c = TestCluster::start().await;
    c.create_topic("T", 2).await;
    wait_for_route(&c, "T").await;
    c.send(send_request("T", 0, "alpha", Some("TagA"), &["k1"]))
        .await;
    c.send(send_request("T", 0, "beta", Some("TagB"), &["k2"]))
        .await;
    c.send(send_request("T", 1, "gamma", Some("TagA"), &["k1", "k3"]))
        .await;
    c.send(send_request("T", 1, "delta", None, &[])).await;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_and_query_messages() {
    let c = cluster_with_messages().await;

    let by_offset = on(
        &c,
        "queryMsgByOffset",
        &["-t", "T", "-b", "broker-a", "-i", "1", "-o", "0"],
    )
    .await;
    snap!("query_msg_by_offset", by_offset.ok());

    let sent = on(
        &c,
        "sendMessage",
        &[
            "-t",
            "T",
            "-p",
            "hello admin",
            "-k",
            "order-42",
            "-c",
            "TagC",
        ],
    )
    .await;
    snap!(
        "send_message",
        sent.ok(),
        [(
            r"broker-a\s+\d\s",
            "broker-a                          [Q]   "
        )]
    );
    let to_queue = on(
        &c,
        "sendMessage",
        &[
            "-t", "T", "-p", "queued", "-b", "broker-a", "-i", "1", "--json",
        ],
    )
    .await
    .json();
    assert_eq!(to_queue["queueId"], 1);
    assert_eq!(to_queue["sendStatus"], "SEND_OK");
    let no_broker = on(&c, "sendMessage", &["-t", "T", "-p", "x", "-i", "1"]).await;
    assert!(no_broker
        .failed()
        .ends_with("Broker name must be set if the queue is chosen!"));

    // the message sendMessage stored is found by its id, and by key
    let id = sent
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_string();
    c.settle();
    let by_id = on(&c, "queryMsgById", &["-t", "T", "-i", &id, "-f", "UTF-8"]).await;
    snap!(
        "query_msg_by_id",
        by_id.ok(),
        [
            (r"CommitLog Offset:\s+\d+", "CommitLog Offset:    [OFFSET]"),
            (r"Queue ID:\s+\d", "Queue ID:            [Q]")
        ]
    );
    let found = on(&c, "queryMsgById", &["-t", "T", "-i", &id, "--json"])
        .await
        .json();
    assert_eq!(found[0]["body"], "hello admin");
    assert_eq!(found[0]["keys"], "order-42");
    let body_path = found[0]["messageBodyPath"].as_str().unwrap();
    assert_eq!(std::fs::read(body_path).unwrap(), b"hello admin");

    let missing = on(
        &c,
        "queryMsgById",
        &["-t", "T", "-i", "0123456789ABCDEF0123456789ABCDEF"],
    )
    .await;
    snap!("query_msg_by_id_missing", missing.failed());

    snap!(
        "query_msg_by_key",
        on(&c, "queryMsgByKey", &["-t", "T", "-k", "k1"]).await.ok()
    );
    let by_key = on(
        &c,
        "queryMsgByKey",
        &["-t", "T", "-k", "order-42", "--json"],
    )
    .await
    .json();
    assert_eq!(by_key[0]["msgId"], id.as_str());

    // `-s true` sends the message again (keeping its id, as mqadmin does)
    let stored = |status: serde_json::Value| -> i64 {
        status["queues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["maxOffset"].as_i64().unwrap())
            .sum()
    };
    let before = stored(on(&c, "topicStatus", &["-t", "T", "--json"]).await.json());
    let resend = on(&c, "queryMsgById", &["-t", "T", "-i", &id, "-s", "true"]).await;
    let expected = format!(
        "prepare resend msg. originalMsgId={id}SendResult [sendStatus=SEND_OK, msgId={id}, "
    );
    assert!(resend.ok().starts_with(&expected), "{}", resend.stdout);
    c.settle();
    assert_eq!(
        stored(on(&c, "topicStatus", &["-t", "T", "--json"]).await.json()),
        before + 1
    );

    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn print_and_consume_messages() {
    let c = cluster_with_messages().await;

    let all = on(&c, "printMsg", &["-t", "T"]).await;
    snap!("print_msg", all.ok());
    assert!(all.stderr.contains("printMsg: MessageQueue [topic=T, brokerName=broker-a, queueId=1]: 2 message(s); 4 in 2/2 queue(s)"), "{}", all.stderr);
    let tag_a = on(&c, "printMsg", &["-t", "T", "-s", "TagA", "-d", "false"]).await;
    snap!("print_msg_tag_a", tag_a.ok());
    let json = on(&c, "printMsg", &["-t", "T", "--json"]).await.json();
    let bodies: Vec<&str> = json["queues"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|q| {
            q["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["body"].as_str().unwrap())
        })
        .collect();
    assert_eq!(bodies, ["alpha", "beta", "gamma", "delta"]);

    let three = on(&c, "consumeMessage", &["-t", "T", "-c", "3"]).await;
    snap!("consume_message", three.ok());
    assert!(three.stderr.contains("consumeMessage:"), "{}", three.stderr);
    let one_queue = on(
        &c,
        "consumeMessage",
        &["-t", "T", "-b", "broker-a", "-i", "1", "-o", "1", "--json"],
    )
    .await
    .json();
    let bodies: Vec<&str> = one_queue["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["delta"]);
    let bad = on(&c, "consumeMessage", &["-t", "T", "-o", "1"]).await;
    assert!(bad.failed().ends_with("Please set queueId before offset!"));
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_groups_and_offsets() {
    let c = cluster_with_messages().await;

    let create = on(
        &c,
        "updateSubGroup",
        &["-c", "TestCluster", "-g", "G", "-r", "5", "-q", "2"],
    )
    .await;
    snap!("update_sub_group", create.ok());

    // rewind to the start: the group now lags by every message
    let rewind = on(&c, "resetOffsetByTime", &["-g", "G", "-t", "T", "-s", "0"]).await;
    snap!("reset_offset_by_time", rewind.ok());
    let progress = on(&c, "consumerProgress", &["-g", "G", "-t", "T"]).await;
    snap!("consumer_progress", progress.ok());
    let json = on(&c, "consumerProgress", &["-g", "G", "-t", "T", "--json"])
        .await
        .json();
    assert_eq!(json["diffTotal"], 4);

    // forward to now: nothing left
    let now = on(
        &c,
        "resetOffsetByTime",
        &["-g", "G", "-t", "T", "-s", "now", "--json"],
    )
    .await
    .json();
    let offsets: Vec<i64> = now["offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["offset"].as_i64().unwrap())
        .collect();
    assert_eq!(offsets, [2, 2]);
    assert_eq!(
        on(&c, "consumerProgress", &["-g", "G", "-t", "T", "--json"])
            .await
            .json()["diffTotal"],
        0
    );

    // one queue, to an explicit offset
    let one = on(
        &c,
        "resetOffsetByTime",
        &[
            "-g",
            "G",
            "-t",
            "T",
            "-s",
            "now",
            "-b",
            &c.broker_addr(),
            "-q",
            "1",
            "-o",
            "1",
        ],
    )
    .await;
    snap!(
        "reset_offset_one_queue",
        one.ok(),
        [(r"timestamp\(long\)\[\d+\]", "timestamp(long)[NOW]")]
    );
    assert_eq!(
        on(&c, "consumerProgress", &["-g", "G", "-t", "T", "--json"])
            .await
            .json()["diffTotal"],
        1
    );

    // skipAccumulatedMessage: to the end of every queue, nothing left
    let skip = on(&c, "skipAccumulatedMessage", &["-g", "G", "-t", "T"]).await;
    snap!("skip_accumulated_message", skip.ok());
    assert_eq!(
        on(&c, "consumerProgress", &["-g", "G", "-t", "T", "--json"])
            .await
            .json()["diffTotal"],
        0
    );

    // without a retry topic (no consumer ever ran) the group has no route of its own
    let no_route = on(&c, "consumerProgress", &["-g", "G"]).await;
    assert!(
        no_route.failed().contains("%RETRY%G"),
        "{}",
        no_route.stderr
    );

    let delete = on(&c, "deleteSubGroup", &["-b", &c.broker_addr(), "-g", "G"]).await;
    snap!("delete_sub_group", delete.ok());

    // unknown groups and topics: a one-line error and a non-zero exit
    snap!(
        "consumer_progress_unknown",
        on(&c, "consumerProgress", &["-g", "Nobody"]).await.failed()
    );
    snap!(
        "reset_unknown_topic",
        on(
            &c,
            "resetOffsetByTime",
            &["-g", "G", "-t", "Nothing", "-s", "now"]
        )
        .await
        .failed()
    );
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_and_message_tracks() {
    let c = cluster_with_messages().await;
    let ns = c.namesrv_addr.clone();
    on(&c, "updateSubGroup", &["-c", "TestCluster", "-g", "CG"])
        .await
        .ok();

    c.create_topic("P", 1).await;
    wait_for_route(&c, "P").await;
    let producer = Producer::new(ProducerConfig::new("PG", &ns));
    producer.start().await.unwrap();
    let mut cfg = PushConsumerConfig::new("CG", &ns);
    cfg.consume_from_where = ferromq_client::ConsumeFromWhere::ConsumeFromFirstOffset;
    cfg.client.persist_offset_interval = Duration::from_millis(200);
    let consumer = PushConsumer::new(cfg);
    consumer.subscribe("T", "*").unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    consumer.register_concurrent_listener(
        move |msgs: &[ReceivedMessage], _: &mut ConcurrentlyContext| {
            for m in msgs {
                let _ = tx.send(m.body_str().to_string());
            }
            ConcurrentlyStatus::ConsumeSuccess
        },
    );
    consumer.start().await.unwrap();
    let mut seen = Vec::new();
    while seen.len() < 4 {
        let body = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("consumed")
            .unwrap();
        seen.push(body);
    }
    // wait for the consumer to commit its offsets
    let api = ferromq_client::Admin::connect(&ns);
    for _ in 0..50 {
        if api
            .consume_stats("CG", Some("T"))
            .await
            .is_ok_and(|s| s.total_diff() == 0)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    api.shutdown().await;

    let cc = on(&c, "consumerConnection", &["-g", "CG"]).await;
    snap!("consumer_connection", cc.ok());
    let direct = on(
        &c,
        "consumerConnection",
        &["-g", "CG", "-b", &c.broker_addr(), "--json"],
    )
    .await
    .json();
    assert_eq!(direct["connectionSet"][0]["clientId"], consumer.client_id());

    producer
        .send(ferromq_client::Message::new("P", "from a producer"))
        .await
        .unwrap();
    // the first heartbeat went out before the producer knew any broker
    producer.instance().send_heartbeat_to_all().await;
    let pc = on(&c, "producerConnection", &["-g", "PG", "-t", "P"]).await;
    snap!("producer_connection", pc.ok());

    let progress = on(
        &c,
        "consumerProgress",
        &["-g", "CG", "-t", "T", "-s", "true"],
    )
    .await;
    snap!(
        "consumer_progress_client_ip",
        progress.ok(),
        [
            (r"\s\d{1,3}(?:\.\d{1,3}){3}\s+", " [CLIENTIP]  "),
            (r"Consume TPS: \S+", "Consume TPS: [TPS]"),
        ]
    );
    assert!(
        !progress.stdout.contains("N/A"),
        "every queue has an owner: {}",
        progress.stdout
    );
    let summary = on(&c, "consumerProgress", &[]).await;
    let ours: String = summary
        .ok()
        .lines()
        .filter(|l| l.starts_with('#') || l.starts_with("CG "))
        .map(|l| format!("{l}\n"))
        .collect();
    snap!(
        "consumer_progress_groups",
        ours,
        [(r"CLUSTERING\s+\d+", "CLUSTERING      [TPS]")]
    );

    // where each group stands on the first message: CG consumed it
    let id = on(
        &c,
        "queryMsgByOffset",
        &["-t", "T", "-b", "broker-a", "-i", "0", "-o", "0", "--json"],
    )
    .await
    .json();
    let tracks = &id["tracks"];
    // and `-g`/`-d` hands it to the consumer directly
    let offset_id = id["offsetMsgId"].as_str().unwrap();
    let direct = on(
        &c,
        "queryMsgById",
        &[
            "-t",
            "T",
            "-i",
            offset_id,
            "-g",
            "CG",
            "-d",
            consumer.client_id(),
        ],
    )
    .await;
    snap!(
        "query_msg_by_id_consume_directly",
        direct.ok(),
        [(r"spentTimeMills=\d+", "spentTimeMills=[MS]")]
    );
    assert!(
        tracks
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["consumerGroup"] == "CG" && t["trackType"] == "CONSUMED"),
        "{tracks}"
    );

    consumer.shutdown().await;
    producer.shutdown().await;
    let offline = on(&c, "consumerConnection", &["-g", "Nobody"]).await;
    assert!(offline.failed().contains("CODE: "), "{}", offline.stderr);
    c.shutdown().await;
}
