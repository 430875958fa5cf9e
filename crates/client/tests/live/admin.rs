//! Every admin call against a live server.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ferromq_client::{
    Admin, ConcurrentlyContext, ConcurrentlyStatus, ConsumeFromWhere, Message, Producer,
    ProducerConfig, PushConsumer, PushConsumerConfig, ReceivedMessage,
};
use ferromq_model::{MessageQueue, SubscriptionGroupConfig, TopicConfig};
use parking_lot::Mutex;

use crate::common::{
    cluster, create_group, create_topic, dead_listener, namesrv, now_ms, register_fake_broker,
    unique, wait_until, FAKE_CLUSTER_PREFIX,
};

#[tokio::test]
async fn cluster_broker_and_namesrv_calls() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let info = admin.cluster_info().await.unwrap();
    let cluster = cluster(&admin).await;
    let masters = admin.master_addrs(&cluster).await.unwrap();
    assert!(!masters.is_empty());
    assert!(info
        .broker_addr_table
        .values()
        .any(|b| b.master_addr() == Some(masters[0].as_str())));
    let broker = masters[0].clone();

    let runtime = admin.broker_runtime_info(&broker).await.unwrap();
    assert!(
        runtime.table.contains_key("brokerVersionDesc"),
        "{:?}",
        runtime.table.keys()
    );
    assert!(runtime.table.contains_key("putTps"));

    let cfg = admin.broker_config(&broker).await.unwrap();
    assert_eq!(cfg.get("brokerClusterName"), Some(&cluster));
    let old = cfg
        .get("fileReservedTime")
        .cloned()
        .unwrap_or_else(|| "72".into());
    let new = if old == "47" { "46" } else { "47" };
    admin
        .update_broker_config(
            &broker,
            &BTreeMap::from([("fileReservedTime".to_string(), new.to_string())]),
        )
        .await
        .unwrap();
    assert_eq!(
        admin
            .broker_config(&broker)
            .await
            .unwrap()
            .get("fileReservedTime")
            .map(String::as_str),
        Some(new)
    );
    admin
        .update_broker_config(
            &broker,
            &BTreeMap::from([("fileReservedTime".to_string(), old.clone())]),
        )
        .await
        .unwrap();

    // NameServer KV config.
    let ns_key = unique("kv");
    admin
        .put_kv_config("FERROMQ_TEST", &ns_key, "v1")
        .await
        .unwrap();
    assert_eq!(
        admin
            .kv_config("FERROMQ_TEST", &ns_key)
            .await
            .unwrap()
            .as_deref(),
        Some("v1")
    );
    assert_eq!(
        admin
            .kv_list("FERROMQ_TEST")
            .await
            .unwrap()
            .get(&ns_key)
            .map(String::as_str),
        Some("v1")
    );
    admin
        .delete_kv_config("FERROMQ_TEST", &ns_key)
        .await
        .unwrap();
    assert_eq!(
        admin.kv_config("FERROMQ_TEST", &ns_key).await.unwrap(),
        None
    );

    // NameServer config.
    let nscfg = admin.namesrv_config(None).await.unwrap();
    let (addr, props) = nscfg.iter().next().unwrap();
    assert!(
        props.contains_key("orderMessageEnable"),
        "{addr}: {:?}",
        props.keys()
    );
    let before = props["orderMessageEnable"].clone();
    let flipped = if before == "true" { "false" } else { "true" };
    let change = BTreeMap::from([("orderMessageEnable".to_string(), flipped.to_string())]);
    admin.update_namesrv_config(&change, None).await.unwrap();
    assert_eq!(
        admin.namesrv_config(None).await.unwrap()[addr]["orderMessageEnable"],
        flipped
    );
    admin
        .update_namesrv_config(
            &BTreeMap::from([("orderMessageEnable".to_string(), before)]),
            None,
        )
        .await
        .unwrap();
    admin.shutdown().await;
}

#[tokio::test]
async fn topic_and_group_lifecycle() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let cluster = cluster(&admin).await;
    let topic = unique("adm");
    let cfg = TopicConfig::with_queues(&topic, 3, 3, 6);
    let masters = admin
        .create_or_update_topic_in_cluster(&cluster, &cfg)
        .await
        .unwrap();
    wait_until(Duration::from_secs(10), || async {
        admin.topic_route(&topic).await.is_ok()
    })
    .await;
    let route = admin.topic_route(&topic).await.unwrap();
    assert_eq!(route.queue_datas[0].write_queue_nums, 3);
    assert!(admin
        .topic_list()
        .await
        .unwrap()
        .topic_list
        .contains(&topic));
    assert!(admin
        .topics_by_cluster(&cluster)
        .await
        .unwrap()
        .topic_list
        .contains(&topic));
    let tc = admin.topic_config(&masters[0], &topic).await.unwrap();
    assert_eq!(
        (tc.topic_name.as_str(), tc.read_queue_nums, tc.perm),
        (topic.as_str(), 3, 6)
    );
    let stats = admin.topic_stats(&topic).await.unwrap();
    assert_eq!(stats.offset_table.len(), 3);

    // Update: more queues.
    admin
        .create_or_update_topic_in_cluster(&cluster, &TopicConfig::with_queues(&topic, 5, 5, 6))
        .await
        .unwrap();
    wait_until(Duration::from_secs(10), || async {
        admin
            .topic_route(&topic)
            .await
            .is_ok_and(|r| r.queue_datas[0].write_queue_nums == 5)
    })
    .await;

    // Subscription groups.
    let group = unique("admg");
    let mut g = SubscriptionGroupConfig::new(&group);
    g.retry_max_times = 3;
    admin
        .create_or_update_subscription_group_in_cluster(&cluster, &g)
        .await
        .unwrap();
    let back = admin.subscription_group(&masters[0], &group).await.unwrap();
    assert_eq!(
        (back.group_name.as_str(), back.retry_max_times),
        (group.as_str(), 3)
    );
    admin
        .delete_subscription_group(&masters[0], &group, true)
        .await
        .unwrap();
    // Gone — or, on brokers with autoCreateSubscriptionGroup, re-created with defaults.
    match admin.subscription_group(&masters[0], &group).await {
        Err(e) => assert_eq!(e.response_code(), Some(26), "{e}"),
        Ok(again) => assert_eq!(again.retry_max_times, 16, "customized config deleted"),
    }

    // Delete the topic from brokers and NameServers.
    admin.delete_topic(&topic, &cluster).await.unwrap();
    wait_until(Duration::from_secs(10), || async {
        admin.topic_route(&topic).await.is_err()
    })
    .await;
    admin.shutdown().await;
}

#[tokio::test]
async fn write_permission_wipe_and_restore() {
    let Some(ns) = namesrv() else { return };
    let ns_first = ns.split(';').next().unwrap().to_string();
    let admin = Admin::connect(&ns_first);
    // A registered broker of its own, so other tests keep writing to the real one.
    let broker = unique("permb");
    let topic = unique("perm");
    let (addr, _) = dead_listener().await;
    let _registration = register_fake_broker(
        &ns_first,
        &format!("{FAKE_CLUSTER_PREFIX}{broker}"),
        &topic,
        &broker,
        &addr,
    )
    .await;
    let writable = |perm: i32| perm & 2 == 2;
    assert!(admin
        .topic_route(&topic)
        .await
        .unwrap()
        .queue_datas
        .iter()
        .all(|q| writable(q.perm)));
    let wiped = admin.wipe_write_perm(&broker).await.unwrap();
    assert_eq!(wiped[0].1, 2, "both topics of the broker: {wiped:?}");
    assert!(admin
        .topic_route(&topic)
        .await
        .unwrap()
        .queue_datas
        .iter()
        .all(|q| !writable(q.perm)));
    let restored = admin.add_write_perm(&broker).await.unwrap();
    assert_eq!(restored[0].1, 2, "{restored:?}");
    assert!(admin
        .topic_route(&topic)
        .await
        .unwrap()
        .queue_datas
        .iter()
        .all(|q| writable(q.perm)));
    admin.shutdown().await;
}

#[tokio::test]
async fn progress_connections_queries_and_offset_reset() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let (topic, group, pgroup) = (unique("prog"), unique("progc"), unique("progp"));
    create_topic(&admin, &topic, 2).await;
    create_group(&admin, &group).await;
    let p = Producer::new(ProducerConfig::new(&pgroup, &ns));
    p.start().await.unwrap();
    let mut sent = Vec::new();
    for i in 0..10 {
        sent.push(
            p.send(
                Message::new(&topic, format!("p{i}"))
                    .with_keys([format!("key-{i}"), "common".to_string()]),
            )
            .await
            .unwrap(),
        );
    }

    // Queries.
    let r = &sent[4];
    let by_offset_id = admin
        .query_message_by_id(&topic, &r.offset_msg_id)
        .await
        .unwrap();
    assert_eq!(by_offset_id.body_str(), "p4");
    // The unique-key index is built asynchronously.
    wait_until(Duration::from_secs(10), || async {
        admin
            .query_message_by_id(&topic, &r.msg_id)
            .await
            .is_ok_and(|m| m.body_str() == "p4")
    })
    .await;
    wait_until(Duration::from_secs(10), || async {
        admin
            .query_message_by_key(&topic, "common", 32)
            .await
            .is_ok_and(|q| q.messages.len() == 10)
    })
    .await;
    let by_key = admin
        .query_message_by_key(&topic, "key-7", 32)
        .await
        .unwrap();
    assert_eq!(by_key.messages.len(), 1);
    assert_eq!(by_key.messages[0].body_str(), "p7");
    let at = admin
        .query_message_by_offset(&r.queue, r.queue_offset)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(at.body_str(), "p4");
    let mq0 = MessageQueue::new(&topic, r.queue.broker_name.clone(), 0);
    assert!(
        admin.search_offset(&mq0, now_ms() + 60_000).await.unwrap()
            >= admin.min_offset(&mq0).await.unwrap()
    );

    // A consumer: progress, connections, running info, consume directly, reset.
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut cfg = PushConsumerConfig::new(&group, &ns);
    cfg.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    cfg.rebalance_interval = Duration::from_secs(2);
    let c = PushConsumer::new(cfg);
    let s2 = seen.clone();
    c.register_concurrent_listener(
        move |msgs: &[ReceivedMessage], _: &mut ConcurrentlyContext| {
            s2.lock()
                .extend(msgs.iter().map(|m| m.body_str().to_string()));
            ConcurrentlyStatus::ConsumeSuccess
        },
    );
    c.subscribe(&topic, "*").unwrap();
    c.start().await.unwrap();
    wait_until(Duration::from_secs(30), || async {
        seen.lock().len() >= 10
    })
    .await;
    wait_until(Duration::from_secs(20), || async {
        admin
            .consume_stats(&group, Some(&topic))
            .await
            .is_ok_and(|s| s.total_diff() == 0 && s.offset_table.len() == 2)
    })
    .await;
    let conn = admin.consumer_connection(&group).await.unwrap();
    assert!(
        conn.connection_set
            .iter()
            .any(|x| x.client_id == c.client_id()),
        "{conn:?}"
    );
    assert!(conn.subscription_table.contains_key(&topic));
    let pconn = admin.producer_connection(&pgroup, &topic).await.unwrap();
    assert!(
        pconn
            .connection_set
            .iter()
            .any(|x| x.client_id == p.instance().client_id()),
        "{pconn:?}"
    );
    let ids = admin.consumer_ids(&group, &topic).await.unwrap();
    assert_eq!(ids, vec![c.client_id().to_string()]);
    let info = admin
        .consumer_running_info(&group, c.client_id())
        .await
        .unwrap();
    assert_eq!(info["properties"]["PROP_CONSUME_TYPE"], "CONSUME_PASSIVELY");
    assert!(info["subscriptionSet"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));
    let before = seen.lock().len();
    let reset = admin
        .reset_offset_by_time(&topic, &group, 0, true)
        .await
        .unwrap();
    assert_eq!(reset.len(), 2);
    assert!(reset.values().all(|o| *o == 0), "{reset:?}");
    wait_until(Duration::from_secs(30), || async {
        seen.lock().len() >= before + 10
    })
    .await;
    // The broker loads the message by its offset msgId and hands it to the client.
    let direct = admin
        .consume_message_directly(&group, c.client_id(), &topic, &sent[0].offset_msg_id)
        .await
        .unwrap();
    assert_eq!(direct["consumeResult"], "CR_SUCCESS");
    c.shutdown().await;
    p.shutdown().await;
    admin.shutdown().await;
}

#[tokio::test]
async fn namesrv_failover_skips_a_dead_namesrv() {
    let Some(ns) = namesrv() else { return };
    // A dead NameServer first: calls fail over to the live one and stick to it.
    let admin = Admin::connect(&format!("127.0.0.1:1;{ns}"));
    for _ in 0..5 {
        admin
            .cluster_info()
            .await
            .expect("served by the live NameServer");
    }
    let order = admin.instance().namesrv().attempt_order();
    assert_ne!(
        order[0], "127.0.0.1:1",
        "the live NameServer became current"
    );
    admin.shutdown().await;
    let p = Producer::new(ProducerConfig::new(
        unique("pg"),
        &format!("127.0.0.1:1;{ns}"),
    ));
    p.start().await.unwrap();
    let topic = unique("nsf");
    create_topic(&Admin::connect(&ns), &topic, 1).await;
    p.send(Message::new(&topic, "x"))
        .await
        .expect("send through the failed-over NameServer");
    p.shutdown().await;
    assert!(
        matches!(
            p.start().await,
            Err(ferromq_client::ClientError::NotRunning)
        ),
        "no restart after shutdown"
    );
}
