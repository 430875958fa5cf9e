//! Transactional producer against a live server: commit, rollback, and unknown resolved by
//! the broker's check-back.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferromq_client::{
    Admin, LocalTransactionState, Message, ProducerConfig, ReceivedMessage, SendResult,
    TransactionListener, TransactionProducer,
};

use crate::common::{create_topic, namesrv, pull_at_least, unique};

/// Decides by the body: `commit…`, `rollback…`, `unknown…` (then commit on check).
struct ByBody {
    checks: AtomicUsize,
}

impl TransactionListener for ByBody {
    fn execute(&self, msg: &Message, _result: &SendResult) -> LocalTransactionState {
        let body = String::from_utf8_lossy(&msg.body);
        if body.starts_with("commit") {
            LocalTransactionState::Commit
        } else if body.starts_with("rollback") {
            LocalTransactionState::Rollback
        } else {
            LocalTransactionState::Unknown
        }
    }

    fn check(&self, msg: &ReceivedMessage) -> LocalTransactionState {
        self.checks.fetch_add(1, Ordering::SeqCst);
        if msg.body_str().starts_with("unknown") {
            LocalTransactionState::Commit
        } else {
            LocalTransactionState::Rollback
        }
    }
}

#[tokio::test]
async fn commit_rollback_and_check_back() {
    let Some(ns) = namesrv() else { return };
    let admin = Admin::connect(&ns);
    let topic = unique("tx");
    create_topic(&admin, &topic, 1).await;
    let listener = Arc::new(ByBody {
        checks: AtomicUsize::new(0),
    });
    let tp = TransactionProducer::new(ProducerConfig::new(unique("txg"), &ns), listener.clone());
    tp.start().await.unwrap();
    let mut results = BTreeMap::new();
    for body in ["commit-1", "rollback-1", "unknown-1", "commit-2"] {
        let r = tp
            .send_in_transaction(Message::new(&topic, body))
            .await
            .expect("half message sent");
        results.insert(body, r);
    }
    assert_eq!(
        results["commit-1"].local_state,
        LocalTransactionState::Commit
    );
    assert_eq!(
        results["rollback-1"].local_state,
        LocalTransactionState::Rollback
    );
    assert_eq!(
        results["unknown-1"].local_state,
        LocalTransactionState::Unknown
    );
    let mq = results["commit-1"].send.queue.clone();

    // Committed messages become visible; the unknown one after the broker checks back
    // (reference kit: every 3 s; FerroMQ/Java defaults: within a minute).
    let msgs = {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let m = pull_at_least(&admin, &mq, 0, 3).await;
            if m.len() >= 3 || tokio::time::Instant::now() >= deadline {
                break m;
            }
        }
    };
    let bodies: Vec<String> = msgs.iter().map(|m| m.body_str().to_string()).collect();
    assert!(
        bodies.contains(&"commit-1".to_string()) && bodies.contains(&"commit-2".to_string()),
        "{bodies:?}"
    );
    assert!(
        bodies.contains(&"unknown-1".to_string()),
        "resolved by the check: {bodies:?}"
    );
    assert!(
        !bodies.iter().any(|b| b.starts_with("rollback")),
        "{bodies:?}"
    );
    assert!(
        listener.checks.load(Ordering::SeqCst) >= 1,
        "the broker asked"
    );
    let committed = msgs.iter().find(|m| m.body_str() == "commit-1").unwrap();
    assert_eq!(
        committed.msg_id(),
        results["commit-1"].send.msg_id,
        "same unique id as the half message"
    );
    tp.shutdown().await;
    admin.shutdown().await;
}
