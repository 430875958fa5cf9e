//! Tests of `route_table`.
use super::*;

fn topics(names: &[(&str, i32)], counter: i64) -> TopicConfigAndMappingSerializeWrapper {
    let mut w = TopicConfigAndMappingSerializeWrapper::default();
    w.data_version.counter = counter;
    for (n, q) in names {
        w.topic_config_table
            .insert(n.to_string(), TopicConfig::with_queues(*n, *q, *q, 6));
    }
    w
}

fn reg(
    cluster: &str,
    name: &str,
    id: i64,
    addr: &str,
    t: TopicConfigAndMappingSerializeWrapper,
) -> Registration {
    Registration {
        cluster: cluster.into(),
        broker_addr: addr.into(),
        broker_name: name.into(),
        broker_id: id,
        ha_server_addr: format!("{addr}-ha"),
        topics: t,
        channel_id: Some(id as u64 + 100),
        ..Registration::default()
    }
}

#[test]
fn two_clusters_routes_and_cluster_info() {
    let mut rt = RouteTable::new();
    rt.register_broker(
        reg(
            "c1",
            "broker-a",
            0,
            "10.0.0.1:10911",
            topics(&[("T", 4), ("A", 2)], 1),
        ),
        0,
    )
    .unwrap();
    rt.register_broker(
        reg(
            "c2",
            "broker-b",
            0,
            "10.0.0.2:10911",
            topics(&[("T", 8)], 1),
        ),
        0,
    )
    .unwrap();
    let route = rt.topic_route("T").unwrap();
    assert_eq!(route.queue_datas.len(), 2);
    assert_eq!(route.broker_datas.len(), 2);
    assert_eq!(
        route.broker("broker-b").unwrap().master_addr(),
        Some("10.0.0.2:10911")
    );
    assert!(rt.topic_route("nope").is_none());
    let info = rt.cluster_info();
    assert_eq!(
        info.cluster_addr_table["c1"].iter().collect::<Vec<_>>(),
        vec!["broker-a"]
    );
    assert_eq!(info.broker_addr_table.len(), 2);
    assert_eq!(rt.topics_of_cluster("c2"), vec!["T".to_string()]);
}

#[test]
fn slaves_learn_the_master_and_do_not_change_topics() {
    let mut rt = RouteTable::new();
    rt.register_broker(reg("c", "b", 0, "m:1", topics(&[("T", 4)], 1)), 0)
        .unwrap();
    let res = rt
        .register_broker(
            reg("c", "b", 1, "s:1", topics(&[("T", 16), ("X", 1)], 9)),
            0,
        )
        .unwrap();
    assert_eq!(res.master_addr.as_deref(), Some("m:1"));
    assert_eq!(res.ha_server_addr.as_deref(), Some("m:1-ha"));
    assert_eq!(
        rt.topic_route("T").unwrap().queue_datas[0].write_queue_nums,
        4
    );
    assert!(rt.topic_route("X").is_none());
}

#[test]
fn topics_apply_only_when_version_changes() {
    let mut rt = RouteTable::new();
    rt.register_broker(reg("c", "b", 0, "m:1", topics(&[("T", 4)], 1)), 0)
        .unwrap();
    // same version, different content: ignored (Java only re-applies on a version change)
    rt.register_broker(reg("c", "b", 0, "m:1", topics(&[("T", 8)], 1)), 10)
        .unwrap();
    assert_eq!(
        rt.topic_route("T").unwrap().queue_datas[0].read_queue_nums,
        4
    );
    rt.register_broker(reg("c", "b", 0, "m:1", topics(&[("T", 8)], 2)), 20)
        .unwrap();
    assert_eq!(
        rt.topic_route("T").unwrap().queue_datas[0].read_queue_nums,
        8
    );
}

#[test]
fn expiry_removes_dead_brokers_and_their_queues() {
    let mut rt = RouteTable::new();
    rt.register_broker(reg("c", "a", 0, "a:1", topics(&[("T", 4)], 1)), 0)
        .unwrap();
    rt.register_broker(reg("c", "b", 0, "b:1", topics(&[("T", 4)], 1)), 0)
        .unwrap();
    assert!(rt.touch("c", "a:1", 100_000));
    assert!(
        rt.scan_expired(120_000).is_empty(),
        "exactly at the timeout is still alive"
    );
    let removed = rt.scan_expired(120_001);
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].broker_name, "b");
    let route = rt.topic_route("T").unwrap();
    assert_eq!(route.queue_datas.len(), 1);
    assert_eq!(route.queue_datas[0].broker_name, "a");
    assert!(!rt.cluster_info().broker_addr_table.contains_key("b"));
    let removed = rt.scan_expired(300_000);
    assert_eq!(removed.len(), 1);
    assert!(rt.topic_route("T").is_none());
    assert!(rt.cluster_info().cluster_addr_table.is_empty());
}

#[test]
fn master_loss_keeps_queues_while_a_slave_lives() {
    let mut rt = RouteTable::new();
    rt.register_broker(reg("c", "b", 0, "m:1", topics(&[("T", 4)], 1)), 0)
        .unwrap();
    rt.register_broker(reg("c", "b", 1, "s:1", topics(&[("T", 4)], 1)), 0)
        .unwrap();
    let removed = rt.remove_by_channel(100);
    assert_eq!(removed.len(), 1);
    let route = rt.topic_route("T").unwrap();
    assert_eq!(route.broker_datas[0].master_addr(), None);
    assert_eq!(
        route.broker_datas[0]
            .broker_addrs
            .get(&1)
            .map(String::as_str),
        Some("s:1")
    );
}

#[test]
fn one_address_holds_one_id() {
    let mut rt = RouteTable::new();
    rt.register_broker(reg("c", "b", 1, "x:1", topics(&[], 1)), 0)
        .unwrap();
    rt.register_broker(reg("c", "b", 0, "x:1", topics(&[], 2)), 0)
        .unwrap();
    let info = rt.cluster_info();
    let addrs = &info.broker_addr_table["b"].broker_addrs;
    assert_eq!(addrs.len(), 1);
    assert_eq!(addrs.get(&0).map(String::as_str), Some("x:1"));
}

#[test]
fn older_state_version_is_ignored() {
    let mut rt = RouteTable::new();
    let mut t = topics(&[("T", 4)], 1);
    t.data_version.state_version = 5;
    rt.register_broker(reg("c", "b", 0, "new:1", t), 0).unwrap();
    let mut old = topics(&[("T", 4)], 1);
    old.data_version.state_version = 3;
    assert!(rt
        .register_broker(reg("c", "b", 0, "old:1", old), 0)
        .is_none());
    assert_eq!(
        rt.cluster_info().broker_addr_table["b"].master_addr(),
        Some("new:1")
    );
}

#[test]
fn write_permission_wipe_and_restore() {
    let mut rt = RouteTable::new();
    rt.register_broker(reg("c", "b", 0, "m:1", topics(&[("T", 4), ("U", 1)], 1)), 0)
        .unwrap();
    assert_eq!(rt.set_write_perm("b", false), 2);
    assert_eq!(rt.topic_route("T").unwrap().queue_datas[0].perm, 4);
    assert_eq!(rt.set_write_perm("b", true), 2);
    assert_eq!(rt.topic_route("T").unwrap().queue_datas[0].perm, 6);
    assert_eq!(rt.set_write_perm("zzz", true), 0);
}

#[test]
fn delete_topic_everywhere_or_per_cluster() {
    let mut rt = RouteTable::new();
    rt.register_broker(reg("c1", "a", 0, "a:1", topics(&[("T", 4)], 1)), 0)
        .unwrap();
    rt.register_broker(reg("c2", "b", 0, "b:1", topics(&[("T", 4)], 1)), 0)
        .unwrap();
    rt.delete_topic("T", Some("c1"));
    assert_eq!(rt.topic_route("T").unwrap().queue_datas.len(), 1);
    rt.delete_topic("T", None);
    assert!(rt.topic_route("T").is_none());
}
