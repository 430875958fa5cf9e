//! Topic permissions hold for clients: no sends to read-only topics, no send-back into a
//! read-only retry topic, and auto-creation only from a default topic Java would accept.

use ferromq_protocol::request_code as rc;
use ferromq_testkit::{send_request, TestCluster};

use crate::*;

async fn create(c: &TestCluster, topic: &str, perm: i32) {
    let r = c.create_topic_with(topic, 1, perm).await;
    assert_eq!(r.code, SUCCESS, "{:?}", r.remark);
}

#[tokio::test]
async fn read_only_topics_refuse_sends() {
    let c = TestCluster::start().await;
    let ro = unique("RO");
    create(&c, &ro, 4).await;
    let r = c.call(send_request(&ro, 0, "x", None, &[])).await;
    assert_refused(&r, NO_PERMISSION);
    let mut batch = send_request(&ro, 0, "x", None, &[]);
    batch.code = rc::SEND_BATCH_MESSAGE;
    assert_refused(&c.call(batch).await, NO_PERMISSION);
    c.settle();
    assert_eq!(
        c.brokers[0].context().store().max_offset_in_queue(&ro, 0),
        0
    );
    c.shutdown().await;
}

#[tokio::test]
async fn send_back_needs_a_writable_retry_topic() {
    let c = TestCluster::start().await;
    let w = Witness::store(&c, 1).await;
    let group = unique("cg");
    create(&c, &format!("%RETRY%{group}"), 4).await;
    let r = c.call(send_back(&group, w.first_phys, 0)).await;
    assert_refused(&r, NO_PERMISSION);
    c.shutdown().await;
}

#[tokio::test]
async fn auto_create_only_from_an_inheritable_default_topic() {
    let c = TestCluster::start().await;
    let plain = unique("Plain");
    create(&c, &plain, 6).await;
    for default in [
        plain.as_str(),
        "../TBW102",
        "SELF_TEST_TOPIC",
        "NoSuchDefault",
    ] {
        let mut req = send_request(&unique("Auto"), 0, "x", None, &[]);
        req.ext_fields.insert("c", default);
        let r = c.call(req).await;
        assert_refused(&r, TOPIC_NOT_EXIST);
    }
    // A system topic name is never auto-created, whatever the default.
    let r = c
        .call(send_request("rmq_sys_mine", 0, "x", None, &[]))
        .await;
    assert_refused(&r, NO_PERMISSION);
    assert!(c.brokers[0]
        .context()
        .tables()
        .topics()
        .get("rmq_sys_mine")
        .is_none());
    // TBW102 still works.
    let r = c
        .call(send_request(&unique("Auto"), 0, "x", None, &[]))
        .await;
    assert_eq!(r.code, SUCCESS, "{:?}", r.remark);
    c.shutdown().await;
}
