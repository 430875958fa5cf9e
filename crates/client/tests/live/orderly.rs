//! Orderly consumption against a live server: two orderly consumers (queue locks), per-key
//! order kept, a suspended batch retried in place with `reconsume_times` counted.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ferromq_client::{
    Admin, ConsumeFromWhere, Message, OrderlyContext, OrderlyStatus, Producer, ProducerConfig,
    PushConsumer, PushConsumerConfig, ReceivedMessage,
};
use parking_lot::Mutex;

use crate::common::{create_group, create_topic, namesrv, unique, wait_until};

#[tokio::test]
async fn orderly_consumers_keep_per_key_order() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let (topic, group) = (unique("ord"), unique("og"));
    create_topic(&admin, &topic, 4).await;
    create_group(&admin, &group).await;
    // key → (sequence numbers in consumption order), plus how often seq 3 of k1 was refused.
    let seen: Arc<Mutex<BTreeMap<String, Vec<u32>>>> = Arc::default();
    let refused = Arc::new(Mutex::new(Vec::<i32>::new()));
    let mk = || {
        let mut cfg = PushConsumerConfig::new(&group, &ns);
        cfg.consume_from_where = ConsumeFromWhere::ConsumeFromFirstOffset;
        cfg.rebalance_interval = Duration::from_secs(2);
        cfg.suspend_current_queue_time = Duration::from_millis(200);
        let c = PushConsumer::new(cfg);
        let (seen, refused) = (seen.clone(), refused.clone());
        c.register_orderly_listener(move |msgs: &[ReceivedMessage], _: &mut OrderlyContext| {
            for m in msgs {
                let body = m.body_str().to_string();
                let (k, s) = body.split_once(':').unwrap();
                if body == "k1:3" && m.reconsume_times < 2 {
                    refused.lock().push(m.reconsume_times);
                    return OrderlyStatus::SuspendCurrentQueueAMoment;
                }
                seen.lock()
                    .entry(k.to_string())
                    .or_default()
                    .push(s.parse().unwrap());
            }
            OrderlyStatus::Success
        });
        c.subscribe(&topic, "*").unwrap();
        c
    };
    let (c1, c2) = (mk(), mk());
    c1.start().await.unwrap();
    c2.start().await.unwrap();
    let p = Producer::new(ProducerConfig::new(unique("pg"), &ns));
    p.start().await.unwrap();
    for seq in 0..20u32 {
        for k in 0..8 {
            let key = format!("k{k}");
            p.send_orderly(Message::new(&topic, format!("{key}:{seq}")), &key)
                .await
                .unwrap();
        }
    }
    wait_until(Duration::from_secs(60), || async {
        let s = seen.lock();
        s.len() == 8 && s.values().all(|v| v.len() >= 20)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (k, seqs) in seen.lock().iter() {
        assert_eq!(
            *seqs,
            (0..20).collect::<Vec<_>>(),
            "key {k} in order, no duplicates"
        );
    }
    assert_eq!(
        *refused.lock(),
        vec![0, 1],
        "suspended twice, redelivered in place with counts"
    );
    let held = c1.assigned_queues().len() + c2.assigned_queues().len();
    assert!(
        held >= 4,
        "both consumers hold locked queues between them ({held})"
    );
    c1.shutdown().await;
    c2.shutdown().await;
    p.shutdown().await;
    admin.shutdown().await;
}
