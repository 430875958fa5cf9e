use ferromq_model::fastjson::from_fastjson_slice;
use ferromq_model::{
    ConsumeStats, KVTable, SubscriptionGroupConfig, TopicConfigAndMappingSerializeWrapper,
    TopicStatsTable,
};
use ferromq_protocol::headers::*;
use ferromq_protocol::{request_code as rc, response_code as code, RemotingCommand};
use ferromq_testkit::{pull_request, send_request, TestCluster};

use crate::unique;

#[tokio::test]
async fn topic_admin_and_stats() {
    let c = TestCluster::start().await;
    let topic = unique("A");
    assert_eq!(c.create_topic(&topic, 3).await.code, code::SUCCESS);
    // system topics cannot be created by admins
    let r = c.create_topic_with("SCHEDULE_TOPIC_XXXX", 1, 6).await;
    assert_eq!(r.code, code::INVALID_PARAMETER);

    let r = c
        .call(RemotingCommand::request(rc::GET_ALL_TOPIC_CONFIG))
        .await;
    let all: TopicConfigAndMappingSerializeWrapper =
        from_fastjson_slice(&r.body.to_bytes()).unwrap();
    assert_eq!(all.topic_config_table[&topic].write_queue_nums, 3);
    assert!(all.topic_config_table.contains_key("TBW102"));

    for i in 0..4 {
        c.send(send_request(&topic, 1, format!("s{i}"), None, &[]))
            .await;
    }
    let r = c
        .call(RemotingCommand::request_with(
            rc::GET_TOPIC_STATS_INFO,
            &TopicRequestHeader {
                topic: topic.clone(),
            },
        ))
        .await;
    assert_eq!(r.code, code::SUCCESS);
    let text = String::from_utf8(r.body.to_bytes().to_vec()).unwrap();
    assert!(
        text.contains("{{\"brokerName\""),
        "fastjson object keys: {text}"
    );
    let stats = TopicStatsTable::from_fastjson(&text).unwrap();
    let q1 = stats
        .offset_table
        .iter()
        .find(|(mq, _)| mq.queue_id == 1)
        .unwrap()
        .1;
    assert_eq!((q1.min_offset, q1.max_offset), (0, 4));
    assert!(q1.last_update_timestamp > 0);

    // consume stats: committed offsets against the queue max
    let up = UpdateConsumerOffsetRequestHeader {
        consumer_group: "statsg".into(),
        topic: topic.clone(),
        queue_id: 1,
        commit_offset: 1,
    };
    c.call(RemotingCommand::request_with(
        rc::UPDATE_CONSUMER_OFFSET,
        &up,
    ))
    .await;
    let h = GetConsumeStatsRequestHeader {
        consumer_group: "statsg".into(),
        topic: Some(topic.clone()),
        topic_list: None,
    };
    let r = c
        .call(RemotingCommand::request_with(rc::GET_CONSUME_STATS, &h))
        .await;
    let cs = ConsumeStats::from_fastjson(std::str::from_utf8(&r.body.to_bytes()).unwrap()).unwrap();
    assert_eq!(cs.total_diff(), 3);

    let r = c
        .call(RemotingCommand::request(rc::GET_BROKER_RUNTIME_INFO))
        .await;
    let kv: KVTable = from_fastjson_slice(&r.body.to_bytes()).unwrap();
    for key in [
        "brokerVersionDesc",
        "putTps",
        "getTransferredTps",
        "msgPutTotalTodayNow",
        "commitLogMaxOffset",
        "runtime",
    ] {
        assert!(kv.table.contains_key(key), "runtime info lacks {key}");
    }
    assert_eq!(kv.table["brokerVersionDesc"], "V5_3_3");

    // delete: gone from the broker and its route
    let r = c
        .call(RemotingCommand::request_with(
            rc::DELETE_TOPIC_IN_BROKER,
            &TopicRequestHeader {
                topic: topic.clone(),
            },
        ))
        .await;
    assert_eq!(r.code, code::SUCCESS);
    let r = c.call(pull_request("g", &topic, 0, 0, 1, "*", 0)).await;
    assert_eq!(r.code, code::TOPIC_NOT_EXIST);
    c.shutdown().await;
}

#[tokio::test]
async fn broker_config_get_and_update() {
    let c = TestCluster::start().await;
    let r = c
        .call(RemotingCommand::request(rc::GET_BROKER_CONFIG))
        .await;
    let text = String::from_utf8(r.body.to_bytes().to_vec()).unwrap();
    assert!(
        text.lines().any(|l| l == "brokerClusterName=TestCluster"),
        "{text}"
    );
    assert!(r
        .decode_header::<GetBrokerConfigResponseHeader>()
        .unwrap()
        .version
        .contains("counter"));
    let r = c
        .call(RemotingCommand::request(rc::UPDATE_BROKER_CONFIG).with_body("maxMessageSize=2048\n"))
        .await;
    assert_eq!(r.code, code::SUCCESS);
    let r = c
        .call(RemotingCommand::request(rc::GET_BROKER_CONFIG))
        .await;
    assert!(String::from_utf8_lossy(&r.body.to_bytes()).contains("maxMessageSize=2048"));
    let r = c
        .call(RemotingCommand::request(rc::UPDATE_BROKER_CONFIG).with_body("maxMessageSize=lots\n"))
        .await;
    assert_eq!(r.code, code::SYSTEM_ERROR);
    c.shutdown().await;
}

#[tokio::test]
async fn subscription_groups_and_reset_offset() {
    let c = TestCluster::start().await;
    let topic = unique("R");
    c.create_topic(&topic, 1).await;
    let mut g = SubscriptionGroupConfig::new("rg");
    g.retry_max_times = 5;
    let r = c
        .call(
            RemotingCommand::request(rc::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
                .with_body(serde_json::to_vec(&g).unwrap()),
        )
        .await;
    assert_eq!(r.code, code::SUCCESS);
    let r = c
        .call(RemotingCommand::request_with(
            rc::GET_SUBSCRIPTIONGROUP_CONFIG,
            &GroupRequestHeader { group: "rg".into() },
        ))
        .await;
    let back: SubscriptionGroupConfig = from_fastjson_slice(&r.body.to_bytes()).unwrap();
    assert_eq!(back.retry_max_times, 5);

    let t0 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    for i in 0..5 {
        c.send(send_request(&topic, 0, format!("r{i}"), None, &[]))
            .await;
    }
    let up = UpdateConsumerOffsetRequestHeader {
        consumer_group: "rg".into(),
        topic: topic.clone(),
        queue_id: 0,
        commit_offset: 5,
    };
    c.call(RemotingCommand::request_with(
        rc::UPDATE_CONSUMER_OFFSET,
        &up,
    ))
    .await;
    // reset to before the first message: the group's next pull is told to move to 0
    let h = ResetOffsetRequestHeader {
        topic: topic.clone(),
        group: "rg".into(),
        queue_id: None,
        offset: None,
        timestamp: t0 - 1000,
        is_force: true,
    };
    let r = c
        .call(RemotingCommand::request_with(
            rc::INVOKE_BROKER_TO_RESET_OFFSET,
            &h,
        ))
        .await;
    assert_eq!(r.code, code::SUCCESS, "{:?}", r.remark);
    let r = c.call(pull_request("rg", &topic, 0, 5, 32, "*", 0)).await;
    assert_eq!(r.code, code::PULL_OFFSET_MOVED);
    assert_eq!(
        r.decode_header::<PullMessageResponseHeader>()
            .unwrap()
            .next_begin_offset,
        0
    );
    // once
    let r = c.call(pull_request("rg", &topic, 0, 0, 32, "*", 0)).await;
    assert_eq!(r.code, code::SUCCESS);

    // consumer connection list of an offline group
    let r = c
        .call(RemotingCommand::request_with(
            rc::GET_CONSUMER_CONNECTION_LIST,
            &ConsumerGroupRequestHeader {
                consumer_group: "rg".into(),
            },
        ))
        .await;
    assert_eq!(r.code, code::CONSUMER_NOT_ONLINE);

    let r = c
        .call(RemotingCommand::request_with(
            rc::DELETE_SUBSCRIPTIONGROUP,
            &DeleteSubscriptionGroupRequestHeader {
                group_name: "rg".into(),
                clean_offset: Some(true),
            },
        ))
        .await;
    assert_eq!(r.code, code::SUCCESS);
    let r = c
        .call(RemotingCommand::request_with(
            rc::GET_SUBSCRIPTIONGROUP_CONFIG,
            &GroupRequestHeader { group: "rg".into() },
        ))
        .await;
    assert_eq!(r.code, code::SUBSCRIPTION_GROUP_NOT_EXIST);
    c.shutdown().await;
}

#[tokio::test]
async fn unknown_codes_are_not_supported() {
    let c = TestCluster::start().await;
    let r = c.call(RemotingCommand::request(9999)).await;
    assert_eq!(r.code, code::REQUEST_CODE_NOT_SUPPORTED);
    assert_eq!(
        r.remark.as_deref(),
        Some(" request type 9999 not supported")
    );
    c.shutdown().await;
}
