//! RECALL_MESSAGE (370) over the wire: a timer message's send answers a recall handle; the
//! recalled message never reaches its topic (nor does the deletion marker), the one sent
//! beside it does, also when the broker restarts between the recall and the delivery.

use std::time::{Duration, Instant};

use ferromq_protocol::headers::*;
use ferromq_protocol::message::properties::{keys, Properties};
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::{request_code as rc, response_code as code, RemotingCommand};
use ferromq_testkit::{pull_request, send_request_with, TestCluster};

use crate::{records, unique};

async fn cluster() -> TestCluster {
    TestCluster::start_with(1, |cfg| {
        ferromq_config::ConfigTable::set(cfg, "recallMessageEnable", "true").unwrap();
    })
    .await
}

/// Sends `body` due in `delay_ms`; returns the recall handle of the answer.
async fn send_timer(c: &TestCluster, topic: &str, body: &str, delay_ms: u64) -> String {
    let mut p = Properties::new();
    p.insert(keys::TIMER_DELAY_MS, delay_ms.to_string());
    let r = c
        .send(send_request_with(topic, 0, body.to_owned(), &p, 0))
        .await;
    assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
    let h: SendMessageResponseHeader = r.decode_header().unwrap();
    h.recall_handle
        .expect("a parked timer message has a recall handle")
}

async fn recall(c: &TestCluster, topic: &str, handle: &str) -> RemotingCommand {
    let h = RecallMessageRequestHeader {
        producer_group: Some("recall_pg".into()),
        topic: topic.into(),
        recall_handle: handle.into(),
    };
    c.call(RemotingCommand::request_with(rc::RECALL_MESSAGE, &h))
        .await
}

async fn pull_all(c: &TestCluster, topic: &str) -> Vec<MessageExt> {
    c.settle();
    let r = c.call(pull_request("probe", topic, 0, 0, 32, "*", 0)).await;
    if r.code == code::SUCCESS {
        records(&r)
    } else {
        Vec::new()
    }
}

/// Waits until `topic` holds `want` messages, then a second more for any that should not
/// come; returns their bodies.
async fn delivered(c: &TestCluster, topic: &str, want: usize, within: Duration) -> Vec<String> {
    let deadline = Instant::now() + within;
    while pull_all(c, topic).await.len() < want && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    pull_all(c, topic)
        .await
        .iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect()
}

#[tokio::test]
async fn a_recalled_timer_message_is_never_delivered() {
    let c = cluster().await;
    let topic = unique("Recall");
    c.create_topic(&topic, 1).await;
    let handle = send_timer(&c, &topic, "recalled", 2_000).await;
    send_timer(&c, &topic, "kept", 2_000).await;
    let r = recall(&c, &topic, &handle).await;
    assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
    let h: RecallMessageResponseHeader = r.decode_header().unwrap();
    assert!(!h.msg_id.is_empty());
    // A second recall of the same handle is accepted too (Java cannot tell either).
    assert_eq!(recall(&c, &topic, &handle).await.code, code::SUCCESS);
    assert_eq!(
        recall(&c, &topic, "not a handle").await.code,
        code::ILLEGAL_OPERATION
    );
    let bodies = delivered(&c, &topic, 1, Duration::from_secs(6)).await;
    assert_eq!(
        bodies,
        vec!["kept"],
        "neither the recalled one nor the marker"
    );
    let timer = c.brokers[0].context().delayed().timer();
    assert_eq!((timer.pending(), timer.recalled()), (0, 1));
    // Once delivered, a message cannot be recalled.
    let late = recall(&c, &topic, &handle).await;
    assert_eq!(late.code, code::ILLEGAL_OPERATION);
    assert_eq!(
        late.remark.as_deref(),
        Some("recall failed, timestamp invalid")
    );
    c.shutdown().await;
}

#[tokio::test]
async fn a_recall_survives_a_broker_restart() {
    let mut c = cluster().await;
    let topic = unique("RecallRestart");
    c.create_topic(&topic, 1).await;
    let handle = send_timer(&c, &topic, "recalled", 3_000).await;
    send_timer(&c, &topic, "kept", 3_000).await;
    assert_eq!(recall(&c, &topic, &handle).await.code, code::SUCCESS);
    c.restart_broker(0).await;
    let bodies = delivered(&c, &topic, 1, Duration::from_secs(8)).await;
    assert_eq!(bodies, vec!["kept"]);
    c.shutdown().await;
}
