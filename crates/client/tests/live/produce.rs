//! Producer features against a live server: sync/async/callback/one-way sends, batch, chosen
//! queue, selector order, compression, auto-creation via TBW102, retries and fault avoidance
//! around a dead broker.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use ferromq_client::{
    Admin, ClientError, Message, MessageQueue, Producer, ProducerConfig, SelectByHash, SendStatus,
};
use ferromq_protocol::message::id::decode_offset_msg_id;
use ferromq_protocol::message::sysflag::message as sysflag;

use crate::common::{
    create_topic, dead_listener, namesrv, pull_at_least, register_fake_broker, unique, wait_until,
    FAKE_CLUSTER_PREFIX,
};

async fn producer(ns: &str) -> Producer {
    let p = Producer::new(ProducerConfig::new(unique("pg"), ns));
    p.start().await.expect("producer starts");
    p
}

/// Total messages in `topic` (sum of queue max offsets).
async fn stored_count(admin: &Admin, topic: &str) -> i64 {
    let stats = admin.topic_stats(topic).await.expect("topic stats");
    stats
        .offset_table
        .values()
        .map(|o| o.max_offset - o.min_offset)
        .sum()
}

#[tokio::test]
async fn sync_async_callback_and_oneway_sends() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let topic = unique("send");
    create_topic(&admin, &topic, 4).await;
    let p = producer(&ns).await;

    let r = p
        .send(
            Message::new(&topic, "sync body")
                .with_tags("TagA")
                .with_keys(["order-1"]),
        )
        .await
        .expect("sync send");
    assert_eq!(r.status, SendStatus::SendOk);
    assert_eq!(r.msg_id.len(), 32, "UNIQ_KEY as Java generates it");
    let stored_at = decode_offset_msg_id(&r.offset_msg_id).expect("offset msgId");
    assert!(r.queue.queue_id < 4 && r.queue.topic == topic);
    let by_id = admin
        .query_message_by_id(&topic, &r.offset_msg_id)
        .await
        .expect("view by offset id");
    assert_eq!(&by_id.body[..], b"sync body");
    assert_eq!(by_id.commit_log_offset, stored_at.commit_log_offset);
    assert_eq!(by_id.msg_id(), r.msg_id);
    assert_eq!(by_id.tags(), Some("TagA"));

    let handle = p.send_async(Message::new(&topic, "async body"));
    let r2 = handle.await.expect("async send");
    assert_eq!(r2.status, SendStatus::SendOk);

    let (tx, rx) = tokio::sync::oneshot::channel();
    p.send_with_callback(Message::new(&topic, "callback body"), move |res| {
        let _ = tx.send(res.map(|r| r.msg_id));
    });
    let cb_id = rx
        .await
        .expect("callback called")
        .expect("callback send ok");
    assert_eq!(cb_id.len(), 32);

    for i in 0..5 {
        p.send_oneway(Message::new(&topic, format!("oneway {i}")))
            .await
            .expect("oneway");
    }
    wait_until(Duration::from_secs(10), || async {
        stored_count(&admin, &topic).await == 8
    })
    .await;

    // Many async sends in flight at once all land.
    let handles: Vec<_> = (0..50)
        .map(|i| p.send_async(Message::new(&topic, format!("many {i}"))))
        .collect();
    for h in handles {
        h.await.expect("pipelined async send");
    }
    wait_until(Duration::from_secs(10), || async {
        stored_count(&admin, &topic).await == 58
    })
    .await;

    // Client-side validation errors are typed.
    assert!(matches!(
        p.send(Message::new(&topic, "")).await,
        Err(ClientError::IllegalMessage(_))
    ));
    p.shutdown().await;
    assert!(matches!(
        p.send(Message::new(&topic, "x")).await,
        Err(ClientError::NotRunning)
    ));
    admin.shutdown().await;
}

#[tokio::test]
async fn batch_and_chosen_queue() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let topic = unique("batch");
    create_topic(&admin, &topic, 4).await;
    let p = producer(&ns).await;

    let msgs: Vec<Message> = (0..10)
        .map(|i| Message::new(&topic, format!("b{i}")).with_keys([format!("bk{i}")]))
        .collect();
    let r = p.send_batch(msgs).await.expect("batch send");
    let ids: Vec<&str> = r.msg_id.split(',').collect();
    assert_eq!(ids.len(), 10);
    let pulled = pull_at_least(&admin, &r.queue, r.queue_offset, 10).await;
    assert_eq!(pulled.len(), 10);
    for (i, m) in pulled.iter().enumerate() {
        assert_eq!(
            m.queue_offset,
            r.queue_offset + i as i64,
            "consecutive offsets"
        );
        assert_eq!(m.body_str(), format!("b{i}"));
        assert_eq!(m.msg_id(), ids[i]);
        assert_eq!(m.keys(), vec![format!("bk{i}").as_str()]);
    }

    let mq = MessageQueue::new(&topic, r.queue.broker_name.clone(), 2);
    for i in 0..3 {
        let r = p
            .send_to_queue(Message::new(&topic, format!("q{i}")), &mq)
            .await
            .expect("send to queue");
        assert_eq!(r.queue, mq);
    }
    let batch_to_queue = p
        .send_batch_to_queue(
            vec![Message::new(&topic, "x"), Message::new(&topic, "y")],
            &mq,
        )
        .await
        .expect("batch to queue");
    assert_eq!(batch_to_queue.queue, mq);
    let expected = 5 + if r.queue == mq { 10 } else { 0 };
    wait_until(Duration::from_secs(10), || async {
        admin.max_offset(&mq).await.unwrap() - admin.min_offset(&mq).await.unwrap() == expected
    })
    .await;

    assert!(p
        .send_batch(vec![Message::new(&topic, "a").with_delay_level(1)])
        .await
        .is_err());
    p.shutdown().await;
    admin.shutdown().await;
}

#[tokio::test]
async fn selector_keeps_each_key_in_one_queue_in_order() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let topic = unique("order");
    create_topic(&admin, &topic, 4).await;
    let p = producer(&ns).await;
    let queues = p.publish_queues(&topic).await.unwrap();
    let mut queue_of: HashMap<String, MessageQueue> = HashMap::new();
    for seq in 0..10 {
        for key in ["k0", "k1", "k2", "k3", "k4"] {
            let r = p
                .send_orderly(
                    Message::new(&topic, format!("{key}:{seq}")).with_keys([key]),
                    key,
                )
                .await
                .expect("orderly send");
            assert_eq!(
                r.queue,
                queues[SelectByHash::index(key, queues.len())],
                "Java's hash rule"
            );
            let prev = queue_of
                .entry(key.to_string())
                .or_insert_with(|| r.queue.clone());
            assert_eq!(*prev, r.queue, "one queue per key");
        }
    }
    // Read every queue back: each key's sequence is in send order.
    wait_until(Duration::from_secs(10), || async {
        stored_count(&admin, &topic).await == 50
    })
    .await;
    let mut seen: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for mq in &queues {
        let n =
            (admin.max_offset(mq).await.unwrap() - admin.min_offset(mq).await.unwrap()) as usize;
        for m in pull_at_least(&admin, mq, 0, n).await {
            let body = m.body_str().to_string();
            let (k, s) = body.split_once(':').unwrap();
            seen.entry(k.to_string())
                .or_default()
                .push(s.parse().unwrap());
        }
    }
    assert_eq!(seen.len(), 5);
    for seqs in seen.values() {
        assert_eq!(*seqs, (0..10).collect::<Vec<_>>());
    }
    p.shutdown().await;
    admin.shutdown().await;
}

#[tokio::test]
async fn large_bodies_are_compressed() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let topic = unique("zip");
    create_topic(&admin, &topic, 1).await;
    let p = producer(&ns).await;
    let body: String = (0..2000).map(|i| format!("line {i};")).collect();
    let small = p.send(Message::new(&topic, "small")).await.unwrap();
    let big = p.send(Message::new(&topic, body.clone())).await.unwrap();
    let msgs = pull_at_least(&admin, &big.queue, small.queue_offset, 2).await;
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].sys_flag & sysflag::COMPRESSED, 0);
    let m = &msgs[1];
    assert_eq!(
        m.sys_flag & sysflag::COMPRESSED,
        sysflag::COMPRESSED,
        "stored compressed"
    );
    assert_eq!(
        m.sys_flag & sysflag::COMPRESSION_TYPE_MASK,
        sysflag::COMPRESSION_ZLIB
    );
    assert!(
        m.store_size < body.len() as i32,
        "the broker stored fewer bytes than the body"
    );
    assert_eq!(m.body_str(), body, "decompressed on receipt");
    p.shutdown().await;
    admin.shutdown().await;
}

#[tokio::test]
async fn unknown_topic_is_auto_created_through_tbw102() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let topic = unique("auto");
    assert!(
        admin.topic_route(&topic).await.is_err(),
        "topic does not exist yet"
    );
    let p = producer(&ns).await;
    let r = p
        .send(Message::new(&topic, "first"))
        .await
        .expect("send creates the topic");
    assert_eq!(r.status, SendStatus::SendOk);
    wait_until(Duration::from_secs(10), || async {
        admin.topic_route(&topic).await.is_ok()
    })
    .await;
    let route = admin.topic_route(&topic).await.unwrap();
    assert!(
        route.queue_datas.iter().all(|q| q.write_queue_nums == 4),
        "defaultTopicQueueNums"
    );
    p.shutdown().await;
    admin.shutdown().await;
}

#[tokio::test]
async fn retries_on_another_broker_and_avoids_a_dead_one() {
    let Some(ns) = namesrv() else { return };
    let ns_first = ns.split(';').next().unwrap().to_string();
    let admin = Admin::connect(&ns_first);
    let topic = unique("fault");
    create_topic(&admin, &topic, 4).await;
    let dead = unique("dead");
    let (dead_addr, connects) = dead_listener().await;
    let fake_cluster = format!("{FAKE_CLUSTER_PREFIX}{dead}");
    let _registration =
        register_fake_broker(&ns_first, &fake_cluster, &topic, &dead, &dead_addr).await;
    wait_until(Duration::from_secs(10), || async {
        admin
            .topic_route(&topic)
            .await
            .is_ok_and(|r| r.broker_datas.len() == 2)
    })
    .await;

    // Without fault avoidance, sends keep picking the dead broker and retry elsewhere.
    let mut cfg = ProducerConfig::new(unique("pg"), &ns_first);
    cfg.send_latency_fault_enable = false;
    let plain = Producer::new(cfg);
    plain.start().await.unwrap();
    for i in 0..16 {
        let r = plain
            .send(Message::new(&topic, format!("plain {i}")))
            .await
            .expect("retried send succeeds");
        assert_ne!(r.queue.broker_name, dead);
    }
    plain.shutdown().await;
    let without = connects.swap(0, Ordering::SeqCst);
    assert!(
        without >= 4,
        "round-robin hit the dead broker {without} times"
    );

    // With fault avoidance the dead broker is isolated after its first failure.
    let p = producer(&ns_first).await;
    for i in 0..40 {
        let r = p
            .send(Message::new(&topic, format!("fa {i}")))
            .await
            .expect("send succeeds");
        assert_ne!(r.queue.broker_name, dead);
    }
    let with = connects.load(Ordering::SeqCst);
    assert!(with <= 1, "isolated broker tried {with} times");
    assert!(
        p.fault_tolerance()
            .isolated_until(&dead, Instant::now())
            .is_some()
            || with == 0
    );

    // A send to the dead broker's queue itself fails with a transport error.
    let err = p
        .send_to_queue(
            Message::new(&topic, "x"),
            &MessageQueue::new(&topic, dead.clone(), 0),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Remoting(_)), "{err:?}");
    p.shutdown().await;
    admin.shutdown().await;
}
