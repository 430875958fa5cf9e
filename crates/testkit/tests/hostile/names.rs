//! Topic and group names from the wire are validated as Java validates them
//! (`[%|a-zA-Z0-9_-]`, topic ≤ 127 chars, group ≤ 120), including the topics derived from
//! groups (`%RETRY%`, `%DLQ%`), before they reach a map, a file name or a directory.

use ferromq_protocol::headers::*;
use ferromq_protocol::{request_code as rc, RemotingCommand};
use ferromq_testkit::{pull_request, send_request, TestCluster};

use crate::*;

/// The attack of the issue: one message, a send-back with a path-like group (its DLQ topic
/// became `%DLQ%/../..`), then deleting that "topic" removed commitlog/, consumequeue/ and
/// index/.
#[tokio::test]
async fn three_request_wipe_is_refused() {
    let c = TestCluster::start().await;
    let w = Witness::store(&c, 3).await;
    let root = c.broker_dir(0).to_path_buf();

    let r = c.call(send_back("/../..", w.first_phys, -1)).await;
    assert_refused(&r, SUBSCRIPTION_GROUP_NOT_EXIST);
    c.settle();
    assert_store_layout(&root);

    let r = c.call(delete_topic("%DLQ%/../..")).await;
    assert_refused(&r, INVALID_PARAMETER);
    assert_store_layout(&root);
    w.assert_intact(&c).await;

    // Still serving, and still intact after a restart.
    let mut c = c;
    c.restart_broker(0).await;
    w.assert_intact(&c).await;
    assert_store_layout(&root);
    c.shutdown().await;
}

/// Groups that are not names (path pieces, NUL, too long) are refused by every request that
/// would create something from them.
#[tokio::test]
async fn bad_groups_are_refused_everywhere() {
    let c = TestCluster::start().await;
    let w = Witness::store(&c, 1).await;
    let root = c.broker_dir(0).to_path_buf();
    let too_long = "g".repeat(121);
    for group in ["..", "a/b", "a\u{0}", "a.b", "", " ", too_long.as_str()] {
        // send-back: the retry and DLQ topics derive from the group
        let r = c.call(send_back(group, w.first_phys, 0)).await;
        assert_refused(&r, SUBSCRIPTION_GROUP_NOT_EXIST);
        let r = c.call(send_back(group, w.first_phys, -1)).await;
        assert_refused(&r, SUBSCRIPTION_GROUP_NOT_EXIST);
        // a pull would auto-create the group
        let r = c.call(pull_request(group, &w.topic, 0, 0, 1, "*", 0)).await;
        assert_refused(&r, SUBSCRIPTION_GROUP_NOT_EXIST);
        // offsets
        let r = c.call(update_offset(group, &w.topic, 0, 1)).await;
        assert_refused(&r, INVALID_PARAMETER);
        // admin: create a subscription group
        let r = c.call(create_group(group)).await;
        assert_refused(&r, INVALID_PARAMETER);
        // ordered consumption locks
        let r = c.call(lock_request(group, &w.topic)).await;
        assert_refused(&r, INVALID_PARAMETER);
        // a heartbeat registering the group
        let r = c.call(heartbeat(group, &w.topic)).await;
        assert_refused(&r, INVALID_PARAMETER);
    }
    c.settle();
    let groups = c.brokers[0].context().tables().groups().wrapper();
    for g in groups.subscription_group_table.keys() {
        assert!(
            ferromq_model::validate::validate_group(g).is_ok(),
            "group {g:?} was created"
        );
    }
    for t in c.brokers[0].context().tables().topics().names() {
        assert!(
            ferromq_model::validate::validate_topic(&t).is_ok(),
            "topic {t:?} was created"
        );
    }
    assert_store_layout(&root);
    w.assert_intact(&c).await;
    c.shutdown().await;
}

/// Topics that are not names are refused by sends, admin creation, deletion and offsets.
#[tokio::test]
async fn bad_topics_are_refused_everywhere() {
    let c = TestCluster::start().await;
    let w = Witness::store(&c, 1).await;
    let root = c.broker_dir(0).to_path_buf();
    let long = "t".repeat(128);
    let long_dlq = format!("%DLQ%{}", "t".repeat(251));
    for topic in [
        "..",
        "../../x",
        "a/b",
        "a\u{0}",
        "",
        long.as_str(),
        long_dlq.as_str(),
        "%DLQ%/../..",
    ] {
        let r = c.call(send_request(topic, 0, "x", None, &[])).await;
        assert_refused(&r, INVALID_PARAMETER);
        let r = c.create_topic(topic, 1).await;
        assert_refused(&r, INVALID_PARAMETER);
        let r = c.call(delete_topic(topic)).await;
        assert_refused(&r, INVALID_PARAMETER);
        let r = c.call(update_offset("cg", topic, 0, 1)).await;
        assert_refused(&r, INVALID_PARAMETER);
        let r = c.call(create_topic_list(topic)).await;
        assert_refused(&r, INVALID_PARAMETER);
    }
    c.settle();
    assert_store_layout(&root);
    w.assert_intact(&c).await;
    c.shutdown().await;
}

pub fn update_offset(group: &str, topic: &str, queue_id: i32, offset: i64) -> RemotingCommand {
    RemotingCommand::request_with(
        rc::UPDATE_CONSUMER_OFFSET,
        &UpdateConsumerOffsetRequestHeader {
            consumer_group: group.into(),
            topic: topic.into(),
            queue_id,
            commit_offset: offset,
        },
    )
}

pub fn create_group(group: &str) -> RemotingCommand {
    let body = serde_json::json!({ "groupName": group, "consumeEnable": true });
    RemotingCommand::request(rc::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
        .with_body(serde_json::to_vec(&body).unwrap())
}

pub fn create_topic_list(topic: &str) -> RemotingCommand {
    let body = serde_json::json!({ "topicConfigList": [ {
        "topicName": topic, "readQueueNums": 1, "writeQueueNums": 1, "perm": 6 } ] });
    RemotingCommand::request(rc::UPDATE_AND_CREATE_TOPIC_LIST)
        .with_body(serde_json::to_vec(&body).unwrap())
}

pub fn lock_request(group: &str, topic: &str) -> RemotingCommand {
    let body = serde_json::json!({
        "consumerGroup": group, "clientId": "c1", "onlyThisBroker": false,
        "mqSet": [ { "topic": topic, "brokerName": "broker-a", "queueId": 0 } ] });
    RemotingCommand::request(rc::LOCK_BATCH_MQ).with_body(serde_json::to_vec(&body).unwrap())
}

pub fn heartbeat(group: &str, topic: &str) -> RemotingCommand {
    let body = serde_json::json!({
        "clientID": "127.0.0.1@hostile",
        "consumerDataSet": [ {
            "groupName": group, "consumeType": "CONSUME_PASSIVELY",
            "messageModel": "CLUSTERING", "consumeFromWhere": "CONSUME_FROM_LAST_OFFSET",
            "unitMode": false,
            "subscriptionDataSet": [ { "topic": topic, "subString": "*", "classFilterMode": false,
                "tagsSet": [], "codeSet": [], "subVersion": 1, "expressionType": "TAG" } ] } ],
        "producerDataSet": [] });
    RemotingCommand::request(rc::HEART_BEAT).with_body(serde_json::to_vec(&body).unwrap())
}
