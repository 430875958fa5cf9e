use super::*;

fn request(code: i32, fields: &[(&str, &str)]) -> RemotingCommand {
    let mut r = RemotingCommand::request(code);
    for (k, v) in fields {
        r.ext_fields.insert(*k, *v);
    }
    r
}

fn names(v: &[(String, Perm)]) -> Vec<(&str, Perm)> {
    v.iter().map(|(k, p)| (k.as_str(), *p)).collect()
}

#[test]
fn sends_need_pub_or_sub_on_retry_topics() {
    let r = request(rc::SEND_MESSAGE, &[("topic", "T")]);
    assert_eq!(names(&needed(&r).unwrap()), [("T", Perm::PUB)]);
    let r = request(
        rc::SEND_MESSAGE_V2,
        &[("b", "%RETRY%g"), ("topic", "ignored")],
    );
    assert_eq!(names(&needed(&r).unwrap()), [("%RETRY%g", Perm::SUB)]);
    let r = request(rc::SEND_BATCH_MESSAGE, &[("b", "T")]);
    assert_eq!(names(&needed(&r).unwrap()), [("T", Perm::PUB)]);
    let r = request(rc::RECALL_MESSAGE, &[("topic", "%RETRY%g")]);
    assert_eq!(names(&needed(&r).unwrap()), [("%RETRY%g", Perm::PUB)]);
}

#[test]
fn consumer_codes_need_groups_and_topics() {
    let r = request(rc::CONSUMER_SEND_MSG_BACK, &[("group", "g")]);
    assert_eq!(names(&needed(&r).unwrap()), [("%RETRY%g", Perm::SUB)]);
    let r = request(
        rc::PULL_MESSAGE,
        &[("topic", "TopicTest"), ("consumerGroup", "GID_demo")],
    );
    // Java's HashMap order, checked with a JDK 17 HashMap.
    assert_eq!(
        names(&needed(&r).unwrap()),
        [("%RETRY%GID_demo", Perm::SUB), ("TopicTest", Perm::SUB)]
    );
    let r = request(rc::QUERY_MESSAGE, &[("topic", "T")]);
    assert_eq!(names(&needed(&r).unwrap()), [("T", Perm::SUB)]);
    for code in [rc::UNREGISTER_CLIENT, rc::GET_CONSUMER_LIST_BY_GROUP] {
        let r = request(code, &[("consumerGroup", "g"), ("clientID", "c")]);
        assert_eq!(names(&needed(&r).unwrap()), [("%RETRY%g", Perm::SUB)]);
    }
    let r = request(rc::UNREGISTER_CLIENT, &[("clientID", "c")]);
    assert!(needed(&r).unwrap().is_empty(), "no group, nothing needed");
    let r = request(
        rc::UPDATE_CONSUMER_OFFSET,
        &[("consumerGroup", "g"), ("topic", "t"), ("queueId", "x")],
    );
    let got = needed(&r).unwrap();
    assert_eq!(got.len(), 2);
    assert!(got.contains(&("%RETRY%g".into(), Perm::SUB)));
    assert!(got.contains(&("t".into(), Perm::SUB)));
}

#[test]
fn other_codes_and_empty_ext_fields_need_nothing() {
    for code in [
        rc::QUERY_CONSUMER_OFFSET,
        rc::UPDATE_AND_CREATE_TOPIC,
        rc::GET_ROUTEINFO_BY_TOPIC,
    ] {
        let r = request(code, &[("topic", "T"), ("consumerGroup", "g")]);
        assert!(needed(&r).unwrap().is_empty(), "{code}");
    }
    // No extFields: Java does not even read the heartbeat body.
    let r = RemotingCommand::request(rc::HEART_BEAT).with_body(b"not json".to_vec());
    assert!(needed(&r).unwrap().is_empty());
    let r = request(rc::SEND_MESSAGE, &[("AccessKey", "ak")]);
    assert!(needed(&r).unwrap().is_empty(), "missing topic adds nothing");
}

#[test]
fn heartbeats_need_every_consumer_group_and_subscription() {
    let body = r#"{"clientID":"c","consumerDataSet":[
        {"groupName":"g1","subscriptionDataSet":[{"topic":"t1"},{"topic":"%RETRY%g1"}]},
        {"groupName":"g2","subscriptionDataSet":[]}],
        "producerDataSet":[{"groupName":"pg"}]}"#;
    let r = request(rc::HEART_BEAT, &[("AccessKey", "ak")]).with_body(body.as_bytes().to_vec());
    let got = needed(&r).unwrap();
    let mut sorted = names(&got);
    sorted.sort();
    assert_eq!(
        sorted,
        [
            ("%RETRY%g1", Perm::SUB),
            ("%RETRY%g2", Perm::SUB),
            ("t1", Perm::SUB)
        ]
    );
}

#[test]
fn bad_heartbeat_bodies_fail_with_the_parse_message() {
    let r = request(rc::HEART_BEAT, &[("AccessKey", "ak")]).with_body(b"{oops".to_vec());
    assert!(!needed(&r).unwrap_err().is_empty());
    let r = request(rc::HEART_BEAT, &[("AccessKey", "ak")]);
    assert_eq!(needed(&r).unwrap_err(), NO_HEARTBEAT_BODY);
}

#[test]
fn java_hash_map_iteration_order() {
    let keys = [
        "t1", "t2", "t3", "%RETRY%g", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k",
    ];
    let entries = keys.iter().map(|k| (k.to_string(), Perm::SUB)).collect();
    let order: Vec<String> = java_hash_map_order(entries)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    // Printed by a JDK 17 HashMap filled in the same order (15 keys: the table grew to 32).
    assert_eq!(order.join(","), "a,b,c,d,e,f,g,h,i,%RETRY%g,j,k,t1,t2,t3");
}

#[test]
fn a_later_entry_replaces_in_place() {
    let got = java_hash_map_order(vec![
        ("x".into(), Perm::PUB),
        ("y".into(), Perm::SUB),
        ("x".into(), Perm::SUB),
    ]);
    assert_eq!(names(&got), [("x", Perm::SUB), ("y", Perm::SUB)]);
}
