//! Push consumer against a live server: clustering (exactly once across two consumers),
//! broadcasting, send-back retries, rebalance on a third consumer joining, offsets across a
//! restart, tag and SQL92 filtering, consume-from-first, shutdown with a listener call in
//! flight.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use ferromq_client::{
    Admin, ConcurrentlyContext, ConcurrentlyStatus, ConsumeFromWhere, Message, MessageModel,
    Producer, ProducerConfig, PushConsumer, PushConsumerConfig, ReceivedMessage,
};
use parking_lot::Mutex;

use crate::common::{create_group, create_topic, namesrv, unique, wait_until};

/// Consumed messages by consumer name: (msg id, body, reconsume times, topic).
type Seen = Arc<Mutex<Vec<(String, String, String, i32, String)>>>;

fn recording_consumer(
    ns: &str,
    group: &str,
    name: &str,
    seen: &Seen,
    tweak: impl FnOnce(&mut PushConsumerConfig),
) -> PushConsumer {
    let mut cfg = PushConsumerConfig::new(group, ns);
    cfg.rebalance_interval = Duration::from_secs(2);
    tweak(&mut cfg);
    let c = PushConsumer::new(cfg);
    let (seen, name) = (seen.clone(), name.to_string());
    c.register_concurrent_listener(
        move |msgs: &[ReceivedMessage], _: &mut ConcurrentlyContext| {
            let mut s = seen.lock();
            for m in msgs {
                s.push((
                    name.clone(),
                    m.msg_id(),
                    m.body_str().to_string(),
                    m.reconsume_times,
                    m.topic.clone(),
                ));
            }
            ConcurrentlyStatus::ConsumeSuccess
        },
    );
    c
}

fn non_retry(queues: BTreeSet<ferromq_client::MessageQueue>) -> usize {
    queues
        .iter()
        .filter(|q| !q.topic.starts_with("%RETRY%"))
        .count()
}

async fn producer(ns: &str) -> Producer {
    let p = Producer::new(ProducerConfig::new(unique("pg"), ns));
    p.start().await.unwrap();
    p
}

#[tokio::test]
async fn clustering_two_consumers_consume_each_message_once() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let (topic, group) = (unique("cl"), unique("cg"));
    create_topic(&admin, &topic, 8).await;
    create_group(&admin, &group).await;
    let seen: Seen = Arc::default();
    let c1 = recording_consumer(&ns, &group, "c1", &seen, |_| {});
    let c2 = recording_consumer(&ns, &group, "c2", &seen, |_| {});
    c1.subscribe(&topic, "*").unwrap();
    c2.subscribe(&topic, "*").unwrap();
    c1.start().await.unwrap();
    c2.start().await.unwrap();
    wait_until(Duration::from_secs(30), || async {
        let (a, b) = (
            non_retry(c1.assigned_queues()),
            non_retry(c2.assigned_queues()),
        );
        a == 4 && b == 4
    })
    .await;
    let disjoint: BTreeSet<_> = c1
        .assigned_queues()
        .intersection(&c2.assigned_queues())
        .cloned()
        .collect();
    assert!(
        disjoint.iter().all(|q| q.topic.starts_with("%RETRY%")),
        "queues split: {disjoint:?}"
    );

    let p = producer(&ns).await;
    let mut sent = BTreeSet::new();
    for i in 0..100 {
        sent.insert(
            p.send(Message::new(&topic, format!("m{i}")))
                .await
                .unwrap()
                .msg_id,
        );
    }
    wait_until(Duration::from_secs(30), || async {
        seen.lock().len() >= 100
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let s = seen.lock().clone();
    let ids: Vec<_> = s.iter().map(|x| x.1.clone()).collect();
    let unique_ids: BTreeSet<_> = ids.iter().cloned().collect();
    assert_eq!(ids.len(), 100, "no duplicates");
    assert_eq!(unique_ids, sent);
    let by: HashMap<&str, usize> = s.iter().fold(HashMap::new(), |mut m, x| {
        *m.entry(x.0.as_str()).or_default() += 1;
        m
    });
    assert!(
        by.get("c1").copied().unwrap_or(0) > 0 && by.get("c2").copied().unwrap_or(0) > 0,
        "{by:?}"
    );

    // The group's progress is visible to admins and catches up.
    wait_until(Duration::from_secs(20), || async {
        admin
            .consume_stats(&group, Some(&topic))
            .await
            .is_ok_and(|st| st.offset_table.len() == 8 && st.total_diff() == 0)
    })
    .await;
    p.shutdown().await;
    c1.shutdown().await;
    c2.shutdown().await;
    admin.shutdown().await;
}

#[tokio::test]
async fn broadcasting_every_consumer_gets_every_message() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let (topic, group) = (unique("bc"), unique("bg"));
    create_topic(&admin, &topic, 4).await;
    let dir = tempfile::tempdir().unwrap();
    let seen: Seen = Arc::default();
    let mk = |name: &str| {
        recording_consumer(&ns, &group, name, &seen, |c| {
            c.message_model = MessageModel::Broadcasting;
            c.client.instance_name = name.to_string();
            c.offset_store_dir = dir.path().to_path_buf();
            c.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
        })
    };
    let (b1, b2) = (mk("b1"), mk("b2"));
    for c in [&b1, &b2] {
        c.subscribe(&topic, "*").unwrap();
        c.start().await.unwrap();
    }
    assert!(
        b1.client_id().ends_with("@b1"),
        "broadcasting keeps the instance name"
    );
    wait_until(Duration::from_secs(20), || async {
        b1.assigned_queues().len() == 4 && b2.assigned_queues().len() == 4
    })
    .await;
    let p = producer(&ns).await;
    for i in 0..20 {
        p.send(Message::new(&topic, format!("bm{i}")))
            .await
            .unwrap();
    }
    wait_until(Duration::from_secs(30), || async {
        seen.lock().len() >= 40
    })
    .await;
    let s = seen.lock().clone();
    for name in ["b1", "b2"] {
        let bodies: BTreeSet<_> = s
            .iter()
            .filter(|x| x.0 == name)
            .map(|x| x.2.clone())
            .collect();
        assert_eq!(bodies.len(), 20, "{name} got every message");
    }
    b1.shutdown().await;
    // Offsets of a broadcasting consumer live in a local file.
    let file = dir
        .path()
        .join(b1.client_id())
        .join(&group)
        .join("offsets.json");
    let text = std::fs::read_to_string(&file).expect("local offset file");
    assert!(text.contains(&topic), "{text}");
    b2.shutdown().await;
    p.shutdown().await;
    admin.shutdown().await;
}

#[tokio::test]
async fn failed_messages_come_back_with_reconsume_times() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let (topic, group) = (unique("rt"), unique("rg"));
    create_topic(&admin, &topic, 2).await;
    create_group(&admin, &group).await;
    let mut cfg = PushConsumerConfig::new(&group, &ns);
    cfg.rebalance_interval = Duration::from_secs(1);
    let c = PushConsumer::new(cfg);
    let seen: Seen = Arc::default();
    let s2 = seen.clone();
    c.register_concurrent_listener(
        move |msgs: &[ReceivedMessage], _: &mut ConcurrentlyContext| {
            let m = &msgs[0];
            s2.lock().push((
                "c".into(),
                m.msg_id(),
                m.body_str().to_string(),
                m.reconsume_times,
                m.topic.clone(),
            ));
            if m.reconsume_times == 0 {
                ConcurrentlyStatus::ReconsumeLater
            } else {
                ConcurrentlyStatus::ConsumeSuccess
            }
        },
    );
    c.subscribe(&topic, "*").unwrap();
    c.start().await.unwrap();
    wait_until(Duration::from_secs(20), || async {
        non_retry(c.assigned_queues()) == 2
    })
    .await;
    let p = producer(&ns).await;
    let mut ids = BTreeSet::new();
    for i in 0..3 {
        ids.insert(
            p.send(Message::new(&topic, format!("r{i}")).with_tags("T"))
                .await
                .unwrap()
                .msg_id,
        );
    }
    // Redelivery waits for the broker's delay level (1 s on the reference kit, 10 s by default).
    wait_until(Duration::from_secs(90), || async {
        let s = seen.lock();
        ids.iter()
            .all(|id| s.iter().any(|x| &x.1 == id && x.3 >= 1))
    })
    .await;
    for x in seen.lock().iter().filter(|x| x.3 >= 1) {
        assert_eq!(
            x.4, topic,
            "the original topic is restored from RETRY_TOPIC"
        );
    }
    assert!(
        c.assigned_queues()
            .iter()
            .any(|q| q.topic == format!("%RETRY%{group}")),
        "retry topic subscribed"
    );
    c.shutdown().await;
    p.shutdown().await;
    admin.shutdown().await;
}

#[tokio::test]
async fn a_third_consumer_joining_triggers_a_rebalance() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let (topic, group) = (unique("rb"), unique("rbg"));
    create_topic(&admin, &topic, 6).await;
    create_group(&admin, &group).await;
    let seen: Seen = Arc::default();
    // The periodic rebalance is slow on purpose: the change must come from the broker's
    // NOTIFY_CONSUMER_IDS_CHANGED.
    let slow = |c: &mut PushConsumerConfig| c.rebalance_interval = Duration::from_secs(600);
    let c1 = recording_consumer(&ns, &group, "c1", &seen, slow);
    let c2 = recording_consumer(&ns, &group, "c2", &seen, slow);
    for c in [&c1, &c2] {
        c.subscribe(&topic, "*").unwrap();
        c.start().await.unwrap();
    }
    wait_until(Duration::from_secs(30), || async {
        non_retry(c1.assigned_queues()) == 3 && non_retry(c2.assigned_queues()) == 3
    })
    .await;
    let c3 = recording_consumer(&ns, &group, "c3", &seen, slow);
    c3.subscribe(&topic, "*").unwrap();
    c3.start().await.unwrap();
    wait_until(Duration::from_secs(30), || async {
        [&c1, &c2, &c3]
            .iter()
            .all(|c| non_retry(c.assigned_queues()) == 2)
    })
    .await;
    let all: BTreeSet<_> = [&c1, &c2, &c3]
        .iter()
        .flat_map(|c| c.assigned_queues())
        .filter(|q| q.topic == topic)
        .collect();
    assert_eq!(all.len(), 6);
    // And back when one leaves.
    c3.shutdown().await;
    wait_until(Duration::from_secs(30), || async {
        non_retry(c1.assigned_queues()) == 3 && non_retry(c2.assigned_queues()) == 3
    })
    .await;
    c1.shutdown().await;
    c2.shutdown().await;
    admin.shutdown().await;
}

#[tokio::test]
async fn offsets_survive_a_consumer_restart() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let (topic, group) = (unique("off"), unique("og"));
    create_topic(&admin, &topic, 2).await;
    create_group(&admin, &group).await;
    let p = producer(&ns).await;
    let seen: Seen = Arc::default();
    let first = |c: &mut PushConsumerConfig| {
        c.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset
    };
    let c1 = recording_consumer(&ns, &group, "first", &seen, first);
    c1.subscribe(&topic, "*").unwrap();
    c1.start().await.unwrap();
    for i in 0..10 {
        p.send(Message::new(&topic, format!("old{i}")))
            .await
            .unwrap();
    }
    wait_until(Duration::from_secs(30), || async {
        seen.lock().len() >= 10
    })
    .await;
    c1.shutdown().await;
    for i in 0..10 {
        p.send(Message::new(&topic, format!("new{i}")))
            .await
            .unwrap();
    }
    let c2 = recording_consumer(&ns, &group, "second", &seen, first);
    c2.subscribe(&topic, "*").unwrap();
    c2.start().await.unwrap();
    wait_until(Duration::from_secs(30), || async {
        seen.lock().iter().filter(|x| x.0 == "second").count() >= 10
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let second: BTreeSet<_> = seen
        .lock()
        .iter()
        .filter(|x| x.0 == "second")
        .map(|x| x.2.clone())
        .collect();
    let expected: BTreeSet<_> = (0..10).map(|i| format!("new{i}")).collect();
    assert_eq!(
        second, expected,
        "the restarted consumer resumes where the first stopped"
    );
    c2.shutdown().await;
    p.shutdown().await;
    admin.shutdown().await;
}

#[tokio::test]
async fn tag_and_sql_filters() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let topic = unique("flt");
    create_topic(&admin, &topic, 2).await;
    let first = |c: &mut PushConsumerConfig| {
        c.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset
    };
    let seen_tag: Seen = Arc::default();
    let seen_sql: Seen = Arc::default();
    let tag = recording_consumer(&ns, &unique("tagg"), "tag", &seen_tag, first);
    tag.subscribe(&topic, "TagA || TagB").unwrap();
    let sql = recording_consumer(&ns, &unique("sqlg"), "sql", &seen_sql, first);
    sql.subscribe_sql(&topic, "a > 5 AND color = 'red'")
        .unwrap();
    let p = producer(&ns).await;
    for i in 0..12 {
        let t = ["TagA", "TagB", "TagC"][i % 3];
        let color = if i % 2 == 0 { "red" } else { "blue" };
        p.send(
            Message::new(&topic, format!("{t}-{i}-{color}"))
                .with_tags(t)
                .with_property("a", i.to_string())
                .with_property("color", color),
        )
        .await
        .unwrap();
    }
    tag.start().await.unwrap();
    sql.start().await.unwrap();
    wait_until(Duration::from_secs(30), || async {
        seen_tag.lock().len() >= 8 && seen_sql.lock().len() >= 3
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let tags: BTreeSet<_> = seen_tag.lock().iter().map(|x| x.2.clone()).collect();
    assert_eq!(tags.len(), 8);
    assert!(tags.iter().all(|b| !b.starts_with("TagC")));
    let sqls: BTreeSet<_> = seen_sql.lock().iter().map(|x| x.2.clone()).collect();
    let expected: BTreeSet<_> = [6, 8, 10]
        .iter()
        .map(|i| format!("{}-{i}-red", ["TagA", "TagB", "TagC"][i % 3]))
        .collect();
    assert_eq!(sqls, expected);
    tag.shutdown().await;
    sql.shutdown().await;
    p.shutdown().await;
    admin.shutdown().await;
}

#[tokio::test]
async fn shutdown_waits_for_the_listener_call_in_flight_and_commits_it() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let (topic, group) = (unique("slow"), unique("sg"));
    create_topic(&admin, &topic, 1).await;
    create_group(&admin, &group).await;
    let p = producer(&ns).await;
    p.send(Message::new(&topic, "slow")).await.unwrap();
    let mut cfg = PushConsumerConfig::new(&group, &ns);
    cfg.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
    let c = PushConsumer::new(cfg);
    let entered = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let (entered, finished) = (entered.clone(), finished.clone());
        c.register_concurrent_listener(
            move |_: &[ReceivedMessage], _: &mut ConcurrentlyContext| {
                entered.store(true, std::sync::atomic::Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(800));
                finished.store(true, std::sync::atomic::Ordering::SeqCst);
                ConcurrentlyStatus::ConsumeSuccess
            },
        );
    }
    c.subscribe(&topic, "*").unwrap();
    c.start().await.unwrap();
    wait_until(Duration::from_secs(30), || async {
        entered.load(std::sync::atomic::Ordering::SeqCst)
    })
    .await;
    c.shutdown().await;
    assert!(
        finished.load(std::sync::atomic::Ordering::SeqCst),
        "shutdown returned before the listener call finished"
    );
    // The call's result was recorded before the final offset commit.
    wait_until(Duration::from_secs(5), || async {
        admin
            .consume_stats(&group, Some(&topic))
            .await
            .is_ok_and(|s| {
                s.offset_table
                    .values()
                    .map(|o| o.consumer_offset)
                    .sum::<i64>()
                    == 1
            })
    })
    .await;
    p.shutdown().await;
    admin.shutdown().await;
}
