use std::sync::Arc;
use std::time::Duration;

use ferromq_model::fastjson::from_fastjson_slice;
use ferromq_model::{
    ConsumeFromWhere, ConsumeType, ConsumerData, GetConsumerListByGroupResponseBody, HeartbeatData,
    LockBatchRequestBody, LockBatchResponseBody, MessageModel, MessageQueue, ProducerData,
    SubscriptionData,
};
use ferromq_protocol::headers::*;
use ferromq_protocol::message::sysflag::pull;
use ferromq_protocol::{request_code as rc, response_code as code, RemotingCommand};
use ferromq_remoting::{Channel, ClientConfig, RemotingClient, RequestHandler, ResponseFuture};
use ferromq_testkit::{send_request, TestCluster, TIMEOUT};
use tokio::sync::mpsc;

use crate::{records, unique};

struct Recorder(mpsc::UnboundedSender<RemotingCommand>);

impl RequestHandler for Recorder {
    fn handle(&self, _c: Channel, req: RemotingCommand) -> ResponseFuture {
        let _ = self.0.send(req);
        Box::pin(async { None })
    }
}

fn heartbeat(client_id: &str, group: &str, topic: &str, expr: &str) -> RemotingCommand {
    let data = HeartbeatData {
        client_id: client_id.into(),
        consumer_data_set: vec![ConsumerData {
            consume_from_where: ConsumeFromWhere::ConsumeFromFirstOffset,
            consume_type: ConsumeType::ConsumePassively,
            group_name: group.into(),
            message_model: MessageModel::Clustering,
            subscription_data_set: vec![SubscriptionData::from_expression(topic, expr)],
            unit_mode: false,
        }],
        heartbeat_fingerprint: 0,
        producer_data_set: vec![ProducerData {
            group_name: format!("{group}_pg"),
        }],
        without_sub: false,
    };
    RemotingCommand::request(rc::HEART_BEAT).with_body(serde_json::to_vec(&data).unwrap())
}

fn consumer_list(group: &str) -> RemotingCommand {
    RemotingCommand::request_with(
        rc::GET_CONSUMER_LIST_BY_GROUP,
        &ConsumerGroupRequestHeader {
            consumer_group: group.into(),
        },
    )
}

#[tokio::test]
async fn heartbeats_register_consumers_and_notify_changes() {
    let c = TestCluster::start().await;
    let topic = unique("H");
    let group = unique("cg");
    c.create_topic(&topic, 2).await;
    let (tx1, mut rx1) = mpsc::unbounded_channel();
    let c1 = RemotingClient::new(ClientConfig::default(), Arc::new(Recorder(tx1)));
    let r = c1
        .invoke_sync(
            &c.broker_addr(),
            heartbeat("client-1", &group, &topic, "TagA"),
            TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(r.code, code::SUCCESS);
    assert_eq!(
        r.version,
        ferromq_protocol::version::CURRENT,
        "a real version ordinal (SQL92 gate)"
    );
    // the retry topic exists now
    assert!(c.brokers[0]
        .context()
        .tables()
        .topics()
        .contains(&format!("%RETRY%{group}")));
    let list: GetConsumerListByGroupResponseBody =
        from_fastjson_slice(&c.call(consumer_list(&group)).await.body.to_bytes()).unwrap();
    assert_eq!(list.consumer_id_list, ["client-1"]);

    // a second member joins: the first is told to rebalance
    let (tx2, _rx2) = mpsc::unbounded_channel();
    let c2 = RemotingClient::new(ClientConfig::default(), Arc::new(Recorder(tx2)));
    c2.invoke_sync(
        &c.broker_addr(),
        heartbeat("client-2", &group, &topic, "TagA"),
        TIMEOUT,
    )
    .await
    .unwrap();
    let notify = tokio::time::timeout(Duration::from_secs(5), rx1.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(notify.code, rc::NOTIFY_CONSUMER_IDS_CHANGED);
    assert!(notify.is_oneway());
    assert_eq!(notify.ext_fields.get("consumerGroup"), Some(group.as_str()));
    let list: GetConsumerListByGroupResponseBody =
        from_fastjson_slice(&c.call(consumer_list(&group)).await.body.to_bytes()).unwrap();
    assert_eq!(list.consumer_id_list, ["client-1", "client-2"]);

    // the second leaves by closing its connection: the first hears about it again
    c2.shutdown();
    let notify = tokio::time::timeout(Duration::from_secs(5), rx1.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(notify.code, rc::NOTIFY_CONSUMER_IDS_CHANGED);

    // a pull without a subscription uses the heartbeat's (TagA only)
    c.send(send_request(&topic, 0, "a", Some("TagA"), &[]))
        .await;
    c.send(send_request(&topic, 0, "b", Some("TagB"), &[]))
        .await;
    let h = PullMessageRequestHeader {
        consumer_group: group.clone(),
        topic: topic.clone(),
        queue_id: 0,
        queue_offset: 0,
        max_msg_nums: 32,
        sys_flag: pull::build(false, false, false, false),
        commit_offset: 0,
        suspend_timeout_millis: 0,
        subscription: None,
        sub_version: 0,
        expression_type: None,
        max_msg_bytes: None,
        request_source: None,
        proxy_forward_client_id: None,
    };
    let r = c1
        .invoke_sync(
            &c.broker_addr(),
            RemotingCommand::request_with(rc::PULL_MESSAGE, &h),
            TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(r.code, code::SUCCESS);
    assert_eq!(records(&r).len(), 1);
    // an unknown group has no subscription; a newer subscription version is "not latest"
    let unknown = PullMessageRequestHeader {
        consumer_group: "nobody".into(),
        ..h.clone()
    };
    let r = c
        .call(RemotingCommand::request_with(rc::PULL_MESSAGE, &unknown))
        .await;
    assert_eq!(r.code, code::SUBSCRIPTION_NOT_EXIST);
    let newer = PullMessageRequestHeader {
        sub_version: i64::MAX,
        ..h.clone()
    };
    let r = c
        .call(RemotingCommand::request_with(rc::PULL_MESSAGE, &newer))
        .await;
    assert_eq!(r.code, code::SUBSCRIPTION_NOT_LATEST);

    // UNREGISTER_CLIENT removes the member
    let un = UnregisterClientRequestHeader {
        client_id: "client-1".into(),
        producer_group: None,
        consumer_group: Some(group.clone()),
    };
    c1.invoke_sync(
        &c.broker_addr(),
        RemotingCommand::request_with(rc::UNREGISTER_CLIENT, &un),
        TIMEOUT,
    )
    .await
    .unwrap();
    assert_eq!(c.call(consumer_list(&group)).await.code, code::SYSTEM_ERROR);
    c.shutdown().await;
}

/// A V2 heartbeat: `fingerprint`, with or without the subscription.
fn heartbeat_v2(
    client_id: &str,
    group: &str,
    topic: &str,
    fingerprint: i32,
    without_sub: bool,
) -> RemotingCommand {
    let mut req = heartbeat(client_id, group, topic, "TagA");
    let mut data: HeartbeatData = from_fastjson_slice(&req.body.to_bytes()).unwrap();
    data.heartbeat_fingerprint = fingerprint;
    data.without_sub = without_sub;
    if without_sub {
        data.consumer_data_set[0].subscription_data_set.clear();
    }
    req = req.with_body(serde_json::to_vec(&data).unwrap());
    req
}

#[tokio::test]
async fn heartbeat_v2_asks_for_subscriptions_only_when_needed() {
    let c = TestCluster::start().await;
    let topic = unique("H2");
    let group = unique("cg2");
    c.create_topic(&topic, 1).await;
    let (tx, _rx) = mpsc::unbounded_channel();
    let client = RemotingClient::new(ClientConfig::default(), Arc::new(Recorder(tx)));
    let sub_change = |r: &RemotingCommand| {
        assert_eq!(r.code, code::SUCCESS);
        assert_eq!(r.ext_fields.get("IS_SUPPORT_HEART_BEAT_V2"), Some("true"));
        r.ext_fields.get("IS_SUB_CHANGE").unwrap().to_string()
    };
    let addr = c.broker_addr();
    let send = |req: RemotingCommand| client.invoke_sync(&addr, req, TIMEOUT);
    // classic heartbeats are always "changed"
    let r = send(heartbeat("c1", &group, &topic, "TagA")).await.unwrap();
    assert_eq!(sub_change(&r), "true");
    // first V2 heartbeat with subscriptions: nothing to compare with
    let r = send(heartbeat_v2("c1", &group, &topic, 7, false))
        .await
        .unwrap();
    assert_eq!(sub_change(&r), "false");
    // fingerprint only: the registered subscription stays
    for _ in 0..3 {
        let r = send(heartbeat_v2("c1", &group, &topic, 7, true))
            .await
            .unwrap();
        assert_eq!(sub_change(&r), "false");
    }
    let conn = c
        .call(RemotingCommand::request_with(
            rc::GET_CONSUMER_CONNECTION_LIST,
            &ConsumerGroupRequestHeader {
                consumer_group: group.clone(),
            },
        ))
        .await;
    let body = String::from_utf8(conn.body.to_bytes().to_vec()).unwrap();
    assert!(body.contains("TagA"), "subscription kept: {body}");
    // another fingerprint: the client must send its subscriptions again
    let r = send(heartbeat_v2("c1", &group, &topic, 8, false))
        .await
        .unwrap();
    assert_eq!(sub_change(&r), "true");
    // a connection the broker has no subscription for (as after a broker restart)
    let (tx2, _rx2) = mpsc::unbounded_channel();
    let other = RemotingClient::new(ClientConfig::default(), Arc::new(Recorder(tx2)));
    let r = other
        .invoke_sync(
            &c.broker_addr(),
            heartbeat_v2("c2", &group, &topic, 8, true),
            TIMEOUT,
        )
        .await
        .unwrap();
    assert_eq!(sub_change(&r), "true");
    c.shutdown().await;
}

#[tokio::test]
async fn queue_locks_are_exclusive() {
    let c = TestCluster::start().await;
    let broker = c.brokers[0].context().identity().name().to_string();
    let mq = |q| MessageQueue::new("T", broker.clone(), q);
    let lock = |client: &str, qs: &[i32]| {
        let body = LockBatchRequestBody {
            client_id: client.into(),
            consumer_group: "og".into(),
            mq_set: qs.iter().map(|q| mq(*q)).collect(),
            only_this_broker: true,
        };
        RemotingCommand::request(rc::LOCK_BATCH_MQ).with_body(serde_json::to_vec(&body).unwrap())
    };
    let r = c.call(lock("A", &[0, 1])).await;
    let got: LockBatchResponseBody = from_fastjson_slice(&r.body.to_bytes()).unwrap();
    assert_eq!(got.lock_ok_mq_set.len(), 2);
    let r = c.call(lock("B", &[1, 2])).await;
    let got: LockBatchResponseBody = from_fastjson_slice(&r.body.to_bytes()).unwrap();
    assert_eq!(
        got.lock_ok_mq_set.into_iter().collect::<Vec<_>>(),
        vec![mq(2)]
    );
    let body = LockBatchRequestBody {
        client_id: "A".into(),
        consumer_group: "og".into(),
        mq_set: [mq(1)].into_iter().collect(),
        only_this_broker: true,
    };
    let r = c
        .call(
            RemotingCommand::request(rc::UNLOCK_BATCH_MQ)
                .with_body(serde_json::to_vec(&body).unwrap()),
        )
        .await;
    assert_eq!(r.code, code::SUCCESS);
    let r = c.call(lock("B", &[1])).await;
    let got: LockBatchResponseBody = from_fastjson_slice(&r.body.to_bytes()).unwrap();
    assert_eq!(got.lock_ok_mq_set.len(), 1);
    c.shutdown().await;
}
