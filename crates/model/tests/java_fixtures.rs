//! Bodies and files written by the real Java classes (rocketmq-remoting 5.3.3 with fastjson
//! 1.2.83, `toJson()` / `toJson(true)` / `encode(true)`), read with this crate.
//!
//! The fixtures under `tests/fixtures/java/` were produced by a throwaway Java program that built
//! each object with the Java API and wrote its encoding; they are data, not code.

use std::collections::BTreeMap;

use ferromq_model::*;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/java/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const DV: DataVersion = DataVersion {
    counter: 3,
    state_version: 0,
    timestamp: 1_700_000_000_000,
};

#[test]
fn data_version_is_byte_identical() {
    let text = fixture("data_version.json");
    assert_eq!(from_fastjson::<DataVersion>(&text).unwrap(), DV);
    assert_eq!(serde_json::to_string(&DV).unwrap(), text);
}

#[test]
fn route_in_both_java_encodings() {
    let plain: TopicRouteData = from_fastjson(&fixture("route_plain.json")).unwrap();
    let standard: TopicRouteData = from_fastjson(&fixture("route_standard.json")).unwrap();
    assert_eq!(plain, standard);
    let a = plain.broker("broker-a").unwrap();
    assert_eq!(a.select_broker_addr(), Some("10.0.0.1:10911"));
    assert_eq!(a.zone_name.as_deref(), Some("zone-1"));
    let b = plain.broker("broker-b").unwrap();
    assert_eq!(b.master_addr(), None);
    assert_eq!(b.select_broker_addr(), Some("10.0.0.4:10911"));
    assert_eq!(plain.order_topic_conf.as_deref(), Some("broker-a:4"));
    assert_eq!(plain.queue_datas[0].perm, 6);
    // Our output is exactly what Java writes for clients ≥ 4.9.4 (standard, quoted ids).
    assert_eq!(
        serde_json::to_string(&plain).unwrap(),
        fixture("route_standard.json")
    );
}

#[test]
fn cluster_info() {
    let info: ClusterInfo = from_fastjson(&fixture("cluster_info.json")).unwrap();
    assert_eq!(
        info.master_addrs_of_cluster("DefaultCluster"),
        ["10.0.0.1:10911"]
    );
    assert_eq!(
        info.broker_addr_table["broker-a"].broker_addrs[&1],
        "10.0.0.2:10911"
    );
    assert_eq!(info.cluster_addr_table["DefaultCluster"].len(), 2);
}

#[test]
fn heartbeat_is_byte_identical() {
    let text = fixture("heartbeat.json");
    let hb: HeartbeatData = from_fastjson(&text).unwrap();
    let cd = &hb.consumer_data_set[0];
    assert_eq!(
        cd.consume_from_where,
        ConsumeFromWhere::ConsumeFromFirstOffset
    );
    let topic = cd
        .subscription_data_set
        .iter()
        .find(|s| s.topic == "TopicTest")
        .unwrap();
    // Java's codes equal ours.
    let ours = SubscriptionData::from_expression("TopicTest", "TagA || TagB");
    assert_eq!(topic.code_set, ours.code_set);
    assert_eq!(topic.tags_set, ours.tags_set);
    assert_eq!(serde_json::to_string(&hb).unwrap(), text);
}

#[test]
fn consume_and_topic_stats_with_object_keys() {
    let stats = ConsumeStats::from_fastjson(&fixture("consume_stats.json")).unwrap();
    let q0 = stats.offset_table[&MessageQueue::new("TopicTest", "broker-a", 0)];
    assert_eq!(
        (q0.broker_offset, q0.consumer_offset, q0.last_timestamp),
        (100, 98, 1_700_000_000_000)
    );
    assert_eq!(stats.total_diff(), 2);
    assert_eq!(stats.consume_tps, 1.5);
    // Same document up to the (unordered) map's entry order.
    let again = ConsumeStats::from_fastjson(&stats.to_fastjson_string().unwrap()).unwrap();
    assert_eq!(again, stats);

    let text = fixture("topic_stats.json");
    let topic = TopicStatsTable::from_fastjson(&text).unwrap();
    assert_eq!(
        topic.offset_table[&MessageQueue::new("TopicTest", "broker-a", 3)].max_offset,
        10
    );
    assert_eq!(topic.to_fastjson_string().unwrap(), text);
}

#[test]
fn reset_offset_and_lock_bodies() {
    let reset = ResetOffsetBody::from_fastjson(&fixture("reset_offset.json")).unwrap();
    assert_eq!(
        reset.offset_table[&MessageQueue::new("TopicTest", "broker-a", 1)],
        43
    );
    let lock: LockBatchRequestBody = from_fastjson(&fixture("lock_request.json")).unwrap();
    assert_eq!(lock.mq_set.len(), 2);
    assert_eq!(
        (lock.client_id.as_str(), lock.only_this_broker),
        ("c1", false)
    );
}

#[test]
fn pretty_printed_config_files() {
    let offsets: ConsumerOffsetSerializeWrapper =
        from_fastjson(&fixture("consumer_offset.json")).unwrap();
    assert_eq!(
        offsets.offset_table["TopicTest@cg"],
        BTreeMap::from([(0, 123), (1, 456)])
    );
    assert_eq!(offsets.data_version, Some(DV));

    let groups: SubscriptionGroupWrapper =
        from_fastjson(&fixture("subscription_group.json")).unwrap();
    assert_eq!(
        groups.subscription_group_table["cg"],
        SubscriptionGroupConfig::new("cg")
    );
    let cg2 = &groups.subscription_group_table["cg2"];
    assert!(!cg2.consume_enable);
    assert_eq!(cg2.retry_max_times, 3);
    assert_eq!(
        cg2.group_retry_policy.policy_type,
        GroupRetryPolicyType::Exponential
    );
    assert_eq!(
        cg2.group_retry_policy
            .exponential_retry_policy
            .as_ref()
            .map(|p| p.multiplier),
        Some(3)
    );

    let topics: TopicConfigSerializeWrapper = from_fastjson(&fixture("topics.json")).unwrap();
    assert_eq!(topics.data_version, DV);
    assert_eq!(
        topics.topic_config_table["TBW102"],
        TopicConfig::with_queues("TBW102", 8, 8, 7)
    );
    let fifo = &topics.topic_config_table["FifoTopic"];
    assert!(fifo.order);
    assert_eq!(
        (
            fifo.topic_sys_flag,
            fifo.attributes["message.type"].as_str()
        ),
        (1, "FIFO")
    );
    // Pretty output in our key order parses back to the same table.
    let ours = serde_json::to_string_pretty(&topics).unwrap();
    assert_eq!(
        from_fastjson::<TopicConfigSerializeWrapper>(&ours).unwrap(),
        topics
    );
}

#[test]
fn register_broker_json_with_fastjson_ref() {
    // Java wrote mappingDataVersion as {"$ref":"$.topicConfigSerializeWrapper.dataVersion"}.
    let text = fixture("register_broker.json");
    assert!(text.contains("$ref"));
    let body = RegisterBrokerBody::decode(text.as_bytes(), false).unwrap();
    let w = &body.topic_config_serialize_wrapper;
    assert_eq!(w.mapping_data_version, DV);
    assert_eq!(w.topic_config_table.len(), 3);
    let info = &w.topic_queue_mapping_info_map["StaticTopic"];
    assert_eq!((info.bname.as_str(), info.total_queues), ("broker-a", 2));
    assert_eq!(info.curr_id_map, BTreeMap::from([(0, 0), (1, 1)]));
}

#[test]
fn register_broker_compressed_by_java() {
    let path = format!(
        "{}/tests/fixtures/java/register_broker_compressed.bin",
        env!("CARGO_MANIFEST_DIR")
    );
    let blob = std::fs::read(path).unwrap();
    let body = RegisterBrokerBody::decode(&blob, true).unwrap();
    let json =
        RegisterBrokerBody::decode(fixture("register_broker.json").as_bytes(), false).unwrap();
    let (c, j) = (
        &body.topic_config_serialize_wrapper,
        &json.topic_config_serialize_wrapper,
    );
    assert_eq!(c.data_version, j.data_version);
    assert_eq!(
        c.topic_queue_mapping_info_map,
        j.topic_queue_mapping_info_map
    );
    // The text form carries neither `order` nor `topicSysFlag`, in Java as here.
    let fifo = &c.topic_config_table["FifoTopic"];
    assert_eq!(fifo.attributes["message.type"], "FIFO");
    assert!(!fifo.order);
    assert_eq!(
        c.topic_config_table["TBW102"],
        j.topic_config_table["TBW102"]
    );
    // Re-encoding and decoding gives the same body.
    let again = RegisterBrokerBody::decode(&body.encode(true).unwrap(), true).unwrap();
    assert_eq!(again, body);
}

#[test]
fn connection_kv_lists_and_5x_bodies() {
    let text = fixture("consumer_connection.json");
    let cc: ConsumerConnection = from_fastjson(&text).unwrap();
    assert_eq!(cc.connection_set[0].language, "JAVA");
    assert_eq!(cc.min_version(), Some(479));
    assert_eq!(serde_json::to_string(&cc).unwrap(), text);

    let text = fixture("kv_table.json");
    let kv: KVTable = from_fastjson(&text).unwrap();
    assert_eq!(kv.table["putTps"], "1.0 2.0 3.0");
    assert_eq!(serde_json::to_string(&kv).unwrap(), text);

    let list: TopicList = from_fastjson(&fixture("topic_list.json")).unwrap();
    assert_eq!(list.broker_addr.as_deref(), Some("10.0.0.1:10911"));
    assert!(list.topic_list.contains("TBW102"));

    let text = fixture("query_assignment_response.json");
    let qa: QueryAssignmentResponseBody = from_fastjson(&text).unwrap();
    assert_eq!(
        qa.message_queue_assignments[0].mode,
        MessageRequestMode::Pop
    );
    assert_eq!(serde_json::to_string(&qa).unwrap(), text);

    let gm: GetBrokerMemberGroupResponseBody =
        from_fastjson(&fixture("broker_member_group.json")).unwrap();
    assert_eq!(
        gm.broker_member_group.unwrap().broker_addrs[&0],
        "10.0.0.1:10911"
    );

    // Java adds formatted *Str getters; they are ignored on input.
    let span: QueryConsumeTimeSpanBody = from_fastjson(&fixture("consume_time_span.json")).unwrap();
    let s = &span.consume_time_span_set[0];
    assert_eq!(
        (s.min_time_stamp, s.delay_time, s.message_queue.queue_id),
        (1, 1000, 0)
    );
}
