//! `ferromq admin` against an in-process cluster: help, cluster/broker, topic and NameServer
//! commands — output snapshots (insta) and the effect of each write.

mod admin_support;

use admin_support::{admin, lines_with_keys, on, TestCluster};

#[tokio::test]
async fn command_list_and_help() {
    let list = admin(&[]).await;
    snap!("command_list", list.ok());
    assert_eq!(admin(&["help"]).await.ok(), list.stdout);
    assert_eq!(admin(&["-h"]).await.ok(), list.stdout);

    let help = admin(&["help", "updateTopic"]).await;
    snap!("help_update_topic", help.ok());
    // `-h` anywhere prints the same, and names match in any case, as in mqadmin
    assert_eq!(
        admin(&["updateTopic", "-t", "x", "-h"]).await.ok(),
        help.stdout
    );
    assert_eq!(admin(&["UPDATETOPIC", "--help"]).await.ok(), help.stdout);

    let unknown = admin(&["nope"]).await;
    assert_eq!(unknown.failed(), "Error: The sub command nope not exist.");
    let missing = admin(&["topicRoute"]).await;
    assert_eq!(missing.failed(), "Error: Missing required option: t");
    assert!(missing
        .stderr
        .starts_with("usage: ferromq admin topicRoute"));
    let group = admin(&["updateTopic", "-t", "T"]).await;
    assert_eq!(
        group.failed(),
        "Error: Missing required option: one of b, c"
    );
    let bad_number = admin(&["updateTopic", "-c", "C", "-t", "T", "-r", "many"]).await;
    assert!(
        bad_number.failed().contains("many"),
        "{}",
        bad_number.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_and_broker_commands() {
    let c = TestCluster::start().await;
    let broker = c.broker_addr();

    let list = on(&c, "clusterList", &[]).await;
    snap!(
        "cluster_list",
        list.ok(),
        [
            (r"\s+\d+\.\d{2}\(", " [TPS]("),
            (r"\s\d+\.\d{2}\s+\d\.\d{4}\s+", " [HOUR]  [SPACE]  "),
        ]
    );
    let row = list.stdout.lines().nth(1).unwrap();
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        &cols[..5],
        ["TestCluster", "broker-a", "0", broker.as_str(), "V5_3_3"]
    );
    assert_eq!(cols.last(), Some(&"true"));
    snap!(
        "cluster_list_more",
        on(&c, "clusterList", &["-m"]).await.ok()
    );
    let rows = on(&c, "clusterList", &["--json"]).await.json();
    assert_eq!(rows[0]["addr"], broker.as_str());
    assert_eq!(rows[0]["activated"], true);

    let status = on(&c, "brokerStatus", &["-b", &broker]).await;
    let keys = [
        "brokerVersionDesc",
        "brokerActive",
        "msgPutTotalTodayNow",
        "commitLogMinOffset",
    ];
    snap!("broker_status", lines_with_keys(status.ok(), &keys));
    let by_cluster = on(&c, "brokerStatus", &["-c", "TestCluster"]).await;
    assert!(by_cluster
        .ok()
        .lines()
        .all(|l| l.starts_with(&format!("{broker:<24} "))));
    assert_eq!(
        by_cluster.stdout.lines().count(),
        status.stdout.lines().count()
    );

    let config_keys = [
        "brokerName",
        "brokerClusterName",
        "brokerId",
        "maxMessageSize",
        "flushDiskType",
    ];
    let config = on(&c, "getBrokerConfig", &["-b", &broker]).await;
    snap!(
        "get_broker_config",
        lines_with_keys(config.ok(), &config_keys)
    );
    assert!(config.stdout.ends_with("\n\n"));

    let update = on(
        &c,
        "updateBrokerConfig",
        &["-c", "TestCluster", "-k", "maxMessageSize", "-v", "2048"],
    )
    .await;
    snap!("update_broker_config", update.ok());
    let after = on(&c, "getBrokerConfig", &["-c", "TestCluster", "--json"])
        .await
        .json();
    assert_eq!(after[&broker]["maxMessageSize"], "2048");
    let bad = on(
        &c,
        "updateBrokerConfig",
        &["-b", &broker, "-k", "maxMessageSize", "-v", "lots"],
    )
    .await;
    assert!(
        bad.failed()
            .starts_with("Error: updateBrokerConfig command failed: CODE: 1  DESC:"),
        "{}",
        bad.stderr
    );

    let unknown = on(&c, "getBrokerConfig", &["-c", "NoSuchCluster"]).await;
    snap!("unknown_cluster", unknown.failed());

    let ns = on(&c, "getNamesrvConfig", &[]).await;
    snap!(
        "get_namesrv_config",
        lines_with_keys(ns.ok(), &["orderMessageEnable", "clusterTest"])
    );
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_lifecycle() {
    let c = TestCluster::start().await;

    let create = on(
        &c,
        "updateTopic",
        &["-c", "TestCluster", "-t", "Orders", "-r", "4", "-w", "4"],
    )
    .await;
    snap!("update_topic", create.ok());
    let route = on(&c, "topicRoute", &["-t", "Orders", "--json"])
        .await
        .json();
    assert_eq!(route["queueDatas"][0]["writeQueueNums"], 4);
    assert_eq!(route["queueDatas"][0]["perm"], 6);

    snap!(
        "topic_route",
        on(&c, "topicRoute", &["-t", "Orders"]).await.ok()
    );
    snap!(
        "topic_route_json",
        on(&c, "topicRoute", &["-t", "Orders", "--json"]).await.ok()
    );
    snap!(
        "topic_route_list",
        on(&c, "topicRoute", &["-t", "Orders", "-l"]).await.ok()
    );

    // an ordered topic on one broker, with attributes: also registered as NameServer order config
    let broker = c.broker_addr();
    let ordered = on(
        &c,
        "updateTopic",
        &[
            "-b",
            &broker,
            "-t",
            "Fifo",
            "-o",
            "true",
            "-p",
            "4",
            "-a",
            "+message.type=FIFO",
        ],
    )
    .await;
    snap!("update_topic_ordered", ordered.ok());
    let fifo = on(&c, "topicRoute", &["-t", "Fifo", "--json"]).await.json();
    assert_eq!(fifo["queueDatas"][0]["perm"], 4);

    for q in 0..3 {
        c.send(ferromq_testkit::send_request(
            "Orders",
            q,
            format!("m{q}"),
            Some("TagA"),
            &[],
        ))
        .await;
    }
    c.send(ferromq_testkit::send_request("Orders", 1, "m1b", None, &[]))
        .await;
    snap!(
        "topic_status",
        on(&c, "topicStatus", &["-t", "Orders"]).await.ok(),
        [(r"Topic Put TPS: \S+", "Topic Put TPS: [TPS]"),]
    );
    let status = on(&c, "topicStatus", &["-t", "Orders", "--json"])
        .await
        .json();
    let max: Vec<i64> = status["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["maxOffset"].as_i64().unwrap())
        .collect();
    assert_eq!(max, [1, 2, 1, 0]);

    let list = on(&c, "topicList", &[]).await;
    let topics: Vec<&str> = list.ok().lines().collect();
    for t in ["Orders", "Fifo", "TBW102"] {
        assert!(topics.contains(&t), "{t} missing from {topics:?}");
    }
    let with_clusters = on(&c, "topicList", &["-c"]).await;
    let ours: String = with_clusters
        .ok()
        .lines()
        .filter(|l| l.starts_with("#Cluster") || l.contains(" Orders ") || l.contains(" Fifo "))
        .map(|l| format!("{l}\n"))
        .collect();
    snap!("topic_list_clusters", ours);

    let delete = on(&c, "deleteTopic", &["-c", "TestCluster", "-t", "Orders"]).await;
    snap!("delete_topic", delete.ok());
    let gone = on(&c, "topicRoute", &["-t", "Orders"]).await;
    snap!("topic_route_unknown", gone.failed());
    assert!(!on(&c, "topicList", &[])
        .await
        .ok()
        .lines()
        .any(|l| l == "Orders"));
    let status_gone = on(&c, "topicStatus", &["-t", "Orders"]).await;
    assert!(
        status_gone.failed().contains("CODE: 17"),
        "{}",
        status_gone.stderr
    );
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namesrv_commands() {
    let c = TestCluster::start().await;
    on(
        &c,
        "updateTopic",
        &["-c", "TestCluster", "-t", "Perm", "-r", "2", "-w", "2"],
    )
    .await
    .ok();
    let admin_api = ferromq_client::Admin::connect(&c.namesrv_addr);

    let put = on(
        &c,
        "updateKvConfig",
        &["-s", "ORDER_TOPIC_CONFIG", "-k", "Perm", "-v", "broker-a:2"],
    )
    .await;
    snap!("update_kv_config", put.ok());
    assert_eq!(
        admin_api
            .kv_config("ORDER_TOPIC_CONFIG", "Perm")
            .await
            .unwrap()
            .as_deref(),
        Some("broker-a:2")
    );
    let del = on(
        &c,
        "deleteKvConfig",
        &["-s", "ORDER_TOPIC_CONFIG", "-k", "Perm"],
    )
    .await;
    snap!("delete_kv_config", del.ok());
    assert_eq!(
        admin_api
            .kv_config("ORDER_TOPIC_CONFIG", "Perm")
            .await
            .unwrap(),
        None
    );

    let perm = |route: &serde_json::Value| route["queueDatas"][0]["perm"].as_i64().unwrap();
    let wipe = on(&c, "wipeWritePerm", &["-b", "broker-a"]).await;
    snap!("wipe_write_perm", wipe.ok(), [(r"OK, \d+", "OK, [COUNT]")]);
    assert_eq!(
        perm(&on(&c, "topicRoute", &["-t", "Perm", "--json"]).await.json()),
        4
    );
    let add = on(&c, "addWritePerm", &["-b", "broker-a"]).await;
    snap!("add_write_perm", add.ok(), [(r"OK, \d+", "OK, [COUNT]")]);
    assert_eq!(
        perm(&on(&c, "topicRoute", &["-t", "Perm", "--json"]).await.json()),
        6
    );

    // an unreachable NameServer: one line, non-zero exit
    let down = admin(&["clusterList", "-n", "127.0.0.1:1"]).await;
    assert!(
        down.failed()
            .starts_with("Error: clusterList command failed: "),
        "{}",
        down.stderr
    );
    assert_eq!(down.stderr.lines().count(), 1, "{}", down.stderr);
    admin_api.shutdown().await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ha_status_of_a_master_and_its_slave() {
    let c = TestCluster::start_set(1, |_, _| {}).await;
    let master = c.brokers[0].addr().to_string();
    let slave = c.brokers[1].addr().to_string();
    assert_eq!(c.create_topic("HaT", 1).await.code, 0);
    c.send(ferromq_testkit::send_request("HaT", 0, "x", None, &[]))
        .await;
    let end = c.brokers[0].context().store().max_phys_offset();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while c.brokers[0].context().replication().max_acked() < end {
        assert!(std::time::Instant::now() < deadline, "slave never acked");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let m = on(&c, "haStatus", &["-b", &master]).await;
    let text = m.ok();
    assert!(text.contains(&format!(
        "#MasterAddr\t{master}\n#MasterCommitLogMaxOffset\t{end}\n#SlaveNum\t1\n#InSyncSlaveNum\t1\n"
    )), "{text}");
    let row = text.lines().last().unwrap();
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols[1..3], [end.to_string(), "0".to_string()], "{row}");
    assert_eq!(cols[4], "OK", "{row}");
    // -c lists the masters of the cluster.
    assert_eq!(on(&c, "haStatus", &["-c", "TestCluster"]).await.ok(), text);
    let s = on(&c, "haStatus", &["-b", &slave]).await;
    let ha = c.brokers[0].context().replication().listen_addr().unwrap();
    assert!(
        s.ok().contains(&format!(
            "\n#MasterAddr\t{ha}\n#CommitLogMaxOffset\t{end}\n"
        )),
        "{}",
        s.stdout
    );
    c.shutdown().await;
}
