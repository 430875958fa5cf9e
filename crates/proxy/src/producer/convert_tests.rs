use super::*;

fn cfg() -> ProxyConfig {
    ProxyConfig::new("127.0.0.1:8081".parse().unwrap(), vec![])
}

fn message(kind: pb::MessageType) -> pb::Message {
    pb::Message {
        topic: Some(pb::Resource {
            resource_namespace: String::new(),
            name: "T".into(),
        }),
        user_properties: [("color".to_string(), "red".to_string())].into(),
        system_properties: Some(pb::SystemProperties {
            tag: Some("TagA".into()),
            keys: vec!["k1".into(), "k2".into()],
            message_id: "01ABCDEF".into(),
            message_type: kind as i32,
            born_timestamp: Some(prost_types::Timestamp {
                seconds: 1_700_000_000,
                nanos: 5_000_000,
            }),
            ..Default::default()
        }),
        body: b"hello".to_vec(),
    }
}

#[test]
fn normal_message_properties() {
    let born: SocketAddr = "10.0.0.9:5555".parse().unwrap();
    let o = to_remoting(&cfg(), message(pb::MessageType::Normal), "T", Some(born), 0).unwrap();
    assert_eq!(o.property("TAGS").as_deref(), Some("TagA"));
    assert_eq!(o.property("KEYS").as_deref(), Some("k1 k2"));
    assert_eq!(o.property("UNIQ_KEY").as_deref(), Some("01ABCDEF"));
    assert_eq!(o.property("PGROUP").as_deref(), Some("T"));
    assert_eq!(o.property("color").as_deref(), Some("red"));
    assert_eq!(o.property("__BORNHOST").as_deref(), Some("10.0.0.9:5555"));
    assert_eq!(
        o.property("BORN_TIMESTAMP").as_deref(),
        Some("1700000000005")
    );
    assert_eq!(o.property("RECONSUME_TIME").as_deref(), Some("0"));
    assert_eq!(o.sys_flag, 0);
    assert!(o.property("TRAN_MSG").is_none());
}

#[test]
fn typed_messages() {
    let mut m = message(pb::MessageType::Fifo);
    m.system_properties.as_mut().unwrap().message_group = Some("g1".into());
    let o = to_remoting(&cfg(), m, "T", None, 0).unwrap();
    assert_eq!(o.property("__SHARDINGKEY").as_deref(), Some("g1"));

    let mut m = message(pb::MessageType::Delay);
    m.system_properties.as_mut().unwrap().delivery_timestamp = Some(prost_types::Timestamp {
        seconds: 10,
        nanos: 0,
    });
    let o = to_remoting(&cfg(), m, "T", None, 0).unwrap();
    assert_eq!(o.property("TIMER_DELIVER_MS").as_deref(), Some("10000"));

    let mut m = message(pb::MessageType::Transaction);
    m.system_properties
        .as_mut()
        .unwrap()
        .orphaned_transaction_recovery_duration = Some(prost_types::Duration {
        seconds: 30,
        nanos: 0,
    });
    let o = to_remoting(&cfg(), m, "T", None, 0).unwrap();
    assert_eq!(o.property("TRAN_MSG").as_deref(), Some("true"));
    assert_eq!(
        o.property("CHECK_IMMUNITY_TIME_IN_SECONDS").as_deref(),
        Some("30")
    );
    assert_eq!(o.sys_flag, sysflag::TRANSACTION_PREPARED_TYPE);
}

#[test]
fn refusals_carry_java_codes() {
    let code = |m: pb::Message| to_remoting(&cfg(), m, "T", None, 0).unwrap_err().code;
    let mut m = message(pb::MessageType::Normal);
    m.body.clear();
    assert_eq!(code(m), pb::Code::MessageBodyEmpty);
    let mut m = message(pb::MessageType::Normal);
    m.body = vec![0; 4 * 1024 * 1024 + 1];
    assert_eq!(code(m), pb::Code::MessageBodyTooLarge);
    let mut m = message(pb::MessageType::Normal);
    m.user_properties.insert("UNIQ_KEY".into(), "x".into());
    assert_eq!(code(m), pb::Code::IllegalMessagePropertyKey);
    let mut m = message(pb::MessageType::Normal);
    m.system_properties.as_mut().unwrap().message_id = " ".into();
    assert_eq!(code(m), pb::Code::IllegalMessageId);
    let mut m = message(pb::MessageType::Normal);
    m.system_properties.as_mut().unwrap().tag = Some("a|b".into());
    assert_eq!(code(m), pb::Code::IllegalMessageTag);
    let mut m = message(pb::MessageType::Delay);
    m.system_properties.as_mut().unwrap().delivery_timestamp = Some(prost_types::Timestamp {
        seconds: 2 * 86_400,
        nanos: 0,
    });
    assert_eq!(code(m), pb::Code::IllegalDeliveryTime);
}

#[test]
fn stored_record_back_to_grpc() {
    let mut props = Properties::new();
    props.insert("TAGS", "TagA");
    props.insert("KEYS", "k1 k2");
    props.insert("UNIQ_KEY", "01AB");
    props.insert("TRAN_MSG", "true");
    props.insert("color", "red");
    let m = MessageExt {
        store_size: 0,
        version: Default::default(),
        body_crc: 0,
        queue_id: 2,
        flag: 0,
        queue_offset: 7,
        commit_log_offset: 100,
        sys_flag: 0,
        born_timestamp: 1_000,
        born_host: "10.0.0.1:1".parse().unwrap(),
        store_timestamp: 2_000,
        store_host: "10.0.0.2:10911".parse().unwrap(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        topic: "T".into(),
        body: bytes::Bytes::from_static(b"hello"),
        properties: bytes::Bytes::from(props.encode().into_bytes()),
    };
    let pbm = from_record(&m, 0);
    let sp = pbm.system_properties.unwrap();
    assert_eq!(sp.message_id, "01AB");
    assert_eq!(sp.tag.as_deref(), Some("TagA"));
    assert_eq!(sp.keys, ["k1", "k2"]);
    assert_eq!(sp.message_type, pb::MessageType::Transaction as i32);
    assert_eq!(
        sp.body_digest.unwrap().checksum,
        "5D41402ABC4B2A76B9719D911017C592"
    );
    assert_eq!(sp.delivery_attempt, Some(1));
    assert_eq!(pbm.user_properties.len(), 1);
    assert_eq!(pbm.topic.unwrap().name, "T");
}
