//! Lite pull consumer against a live server: subscribe mode with poll and commits, assign mode
//! with seek.

use std::collections::BTreeSet;
use std::time::Duration;

use ferromq_client::{
    Admin, ConsumeFromWhere, LitePullConsumer, LitePullConsumerConfig, Message, Producer,
    ProducerConfig,
};

use crate::common::{create_group, create_topic, namesrv, unique, wait_until};

async fn producer(ns: &str) -> Producer {
    let p = Producer::new(ProducerConfig::new(unique("pg"), ns));
    p.start().await.unwrap();
    p
}

#[tokio::test]
async fn subscribe_poll_and_commit() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let (topic, group) = (unique("lp"), unique("lpg"));
    create_topic(&admin, &topic, 4).await;
    create_group(&admin, &group).await;
    let p = producer(&ns).await;
    for i in 0..30 {
        p.send(Message::new(&topic, format!("l{i}"))).await.unwrap();
    }
    let mut cfg = LitePullConsumerConfig::new(&group, &ns);
    cfg.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    cfg.rebalance_interval = Duration::from_secs(2);
    let c = LitePullConsumer::new(cfg);
    c.subscribe(&topic, "*").unwrap();
    assert!(
        c.assign(Vec::new()).is_err(),
        "subscribe and assign are exclusive"
    );
    c.start().await.unwrap();
    let mut got = BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while got.len() < 30 && tokio::time::Instant::now() < deadline {
        for m in c.poll_timeout(Duration::from_millis(500)).await.unwrap() {
            assert!(got.insert(m.body_str().to_string()), "no duplicates");
        }
    }
    assert_eq!(got.len(), 30);
    assert!(c
        .poll_timeout(Duration::from_millis(300))
        .await
        .unwrap()
        .is_empty());
    c.commit_sync().await.unwrap();
    let assigned = c.assignment();
    assert_eq!(assigned.len(), 4);
    for mq in &assigned {
        let max = admin.max_offset(mq).await.unwrap();
        assert_eq!(c.committed(mq).await.unwrap(), max, "{mq}");
    }
    wait_until(Duration::from_secs(15), || async {
        admin
            .consume_stats(&group, Some(&topic))
            .await
            .is_ok_and(|s| s.offset_table.len() == 4 && s.total_diff() == 0)
    })
    .await;
    c.shutdown().await;
    p.shutdown().await;
    admin.shutdown().await;
}

#[tokio::test]
async fn assign_and_seek() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let topic = unique("la");
    create_topic(&admin, &topic, 2).await;
    let p = producer(&ns).await;
    let mq = p.publish_queues(&topic).await.unwrap()[1].clone();
    for i in 0..5 {
        p.send_to_queue(Message::new(&topic, format!("a{i}")), &mq)
            .await
            .unwrap();
    }
    let mut cfg = LitePullConsumerConfig::new(unique("lag"), &ns);
    cfg.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    cfg.auto_commit = false;
    let c = LitePullConsumer::new(cfg);
    c.assign([mq.clone()]).unwrap();
    c.start().await.unwrap();
    assert_eq!(c.fetch_message_queues(&topic).await.unwrap().len(), 2);
    let mut bodies = Vec::new();
    while bodies.len() < 5 {
        let batch = c.poll_timeout(Duration::from_secs(10)).await.unwrap();
        assert!(!batch.is_empty(), "messages of the assigned queue arrive");
        bodies.extend(batch.into_iter().map(|m| m.body_str().to_string()));
    }
    assert_eq!(bodies, (0..5).map(|i| format!("a{i}")).collect::<Vec<_>>());
    c.seek(&mq, 3).await.unwrap();
    let again = c.poll_timeout(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        again.first().map(|m| m.queue_offset),
        Some(3),
        "seek rewinds"
    );
    assert!(c.seek(&mq, 99).await.is_err(), "beyond the max offset");
    c.seek_to_end(&mq).await.unwrap();
    assert!(c
        .poll_timeout(Duration::from_millis(500))
        .await
        .unwrap()
        .is_empty());
    p.send_to_queue(Message::new(&topic, "late"), &mq)
        .await
        .unwrap();
    let late = c.poll_timeout(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        late.iter()
            .map(|m| m.body_str().to_string())
            .collect::<Vec<_>>(),
        vec!["late"]
    );
    c.shutdown().await;
    p.shutdown().await;
    admin.shutdown().await;
}
