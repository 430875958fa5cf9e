//! Tests of `route_table`.
use super::*;
use ferromq_model::{TopicConfig, TopicQueueMappingInfo};

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
    .unwrap()
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
    .unwrap()
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
        .unwrap()
        .unwrap();
    let res = rt
        .register_broker(
            reg("c", "b", 1, "s:1", topics(&[("T", 16), ("X", 1)], 9)),
            0,
        )
        .unwrap()
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
        .unwrap()
        .unwrap();
    // same version, different content: ignored (Java only re-applies on a version change)
    rt.register_broker(reg("c", "b", 0, "m:1", topics(&[("T", 8)], 1)), 10)
        .unwrap()
        .unwrap();
    assert_eq!(
        rt.topic_route("T").unwrap().queue_datas[0].read_queue_nums,
        4
    );
    rt.register_broker(reg("c", "b", 0, "m:1", topics(&[("T", 8)], 2)), 20)
        .unwrap()
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
        .unwrap()
        .unwrap();
    rt.register_broker(reg("c", "b", 0, "b:1", topics(&[("T", 4)], 1)), 0)
        .unwrap()
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
        .unwrap()
        .unwrap();
    rt.register_broker(reg("c", "b", 1, "s:1", topics(&[("T", 4)], 1)), 0)
        .unwrap()
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
        .unwrap()
        .unwrap();
    rt.register_broker(reg("c", "b", 0, "x:1", topics(&[], 2)), 0)
        .unwrap()
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
    rt.register_broker(reg("c", "b", 0, "new:1", t), 0)
        .unwrap()
        .unwrap();
    let mut old = topics(&[("T", 4)], 1);
    old.data_version.state_version = 3;
    assert!(rt
        .register_broker(reg("c", "b", 0, "old:1", old), 0)
        .unwrap()
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
        .unwrap()
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
        .unwrap()
        .unwrap();
    rt.register_broker(reg("c2", "b", 0, "b:1", topics(&[("T", 4)], 1)), 0)
        .unwrap()
        .unwrap();
    rt.delete_topic("T", Some("c1"));
    assert_eq!(rt.topic_route("T").unwrap().queue_datas.len(), 1);
    rt.delete_topic("T", None);
    assert!(rt.topic_route("T").is_none());
}

fn on(channel: u64, mut r: Registration) -> Registration {
    r.channel_id = Some(channel);
    r
}

fn small_limits() -> RouteLimits {
    RouteLimits {
        max_brokers: 4,
        max_brokers_per_channel: 2,
        max_topics_per_broker: 3,
        max_topic_routes: 5,
        max_static_topic_mappings: 1,
        max_mapping_queues: 4,
        max_broker_timeout_ms: 1_000,
    }
}

fn assert_empty(rt: &RouteTable) {
    let info = rt.cluster_info();
    assert!(info.broker_addr_table.is_empty(), "{info:?}");
    assert!(info.cluster_addr_table.is_empty(), "{info:?}");
    assert!(rt.live_brokers().is_empty());
    assert!(rt.all_topics().is_empty());
}

#[test]
fn bad_names_are_refused_and_change_nothing() {
    let mut rt = RouteTable::new();
    let cases = [
        reg("a/b", "b", 0, "h:1", topics(&[("T", 1)], 1)),
        reg("c", "../b", 0, "h:1", topics(&[("T", 1)], 1)),
        reg("c", "", 0, "h:1", topics(&[("T", 1)], 1)),
        reg("c", &"b".repeat(256), 0, "h:1", topics(&[("T", 1)], 1)),
        reg("c", "b", 0, "h:1\nforged log line", topics(&[("T", 1)], 1)),
        Registration {
            zone_name: Some("zone a".into()),
            ..reg("c", "b", 0, "h:1", topics(&[("T", 1)], 1))
        },
    ];
    for r in cases {
        let refused = rt.register_broker(r, 0).unwrap_err();
        assert!(matches!(refused, RouteRefused::BadName(_)), "{refused:?}");
        assert_eq!(refused.response_code(), 29);
    }
    assert_empty(&rt);
    let refused = rt.register_topic("a.b", vec![]).unwrap_err();
    assert!(matches!(refused, RouteRefused::BadName(_)));
}

#[test]
fn invalid_topics_are_skipped_and_a_brokers_own_topics_kept() {
    let mut rt = RouteTable::new();
    let (cluster, broker) = ("DefaultCluster", "host-1.example.com");
    let mut t = topics(
        &[
            ("T", 4),
            ("bad.topic", 1),
            ("host-1.example.com", 1),
            ("rmq_sys_SYNC_BROKER_MEMBER_host-1.example.com", 1),
            ("other.example.com", 1),
        ],
        1,
    );
    // The map key is not what the route uses: the topic name inside is.
    t.topic_config_table.insert(
        "Innocent".into(),
        TopicConfig::with_queues("../etc", 1, 1, 6),
    );
    let res = rt
        .register_broker(reg(cluster, broker, 0, "10.0.0.1:10911", t), 0)
        .unwrap()
        .unwrap();
    assert_eq!(res.skipped.topics, 3);
    assert!(res.skipped.first_reason.is_some());
    let mut all = rt.all_topics();
    all.sort();
    assert_eq!(
        all,
        vec![
            "T",
            "host-1.example.com",
            "rmq_sys_SYNC_BROKER_MEMBER_host-1.example.com"
        ]
    );
}

#[test]
fn broker_instances_are_bounded_globally_and_per_connection() {
    let mut rt = RouteTable::new().with_limits(small_limits());
    let none = || topics(&[], 1);
    rt.register_broker(on(1, reg("c", "a", 0, "a:1", none())), 0)
        .unwrap();
    rt.register_broker(on(1, reg("c", "b", 0, "b:1", none())), 0)
        .unwrap();
    assert_eq!(
        rt.register_broker(on(1, reg("c", "x", 0, "x:1", none())), 0),
        Err(RouteRefused::TooManyBrokersOnChannel { max: 2 })
    );
    // Known instances may always re-register.
    rt.register_broker(on(1, reg("c", "b", 0, "b:1", none())), 5)
        .unwrap()
        .unwrap();
    rt.register_broker(on(2, reg("c", "c", 0, "c:1", none())), 0)
        .unwrap();
    rt.register_broker(on(3, reg("c", "d", 0, "d:1", none())), 0)
        .unwrap();
    let refused = rt
        .register_broker(on(4, reg("c", "e", 0, "e:1", none())), 0)
        .unwrap_err();
    assert_eq!(refused, RouteRefused::TooManyBrokers { max: 4 });
    assert_eq!(refused.response_code(), 1);
    assert_eq!(rt.live_brokers().len(), 4);
    assert!(!rt.cluster_info().broker_addr_table.contains_key("e"));
}

#[test]
fn topics_are_bounded_per_broker_and_in_total() {
    let mut rt = RouteTable::new().with_limits(small_limits());
    rt.register_broker(
        reg(
            "c",
            "a",
            0,
            "a:1",
            topics(&[("A", 1), ("B", 1), ("C", 1)], 1),
        ),
        0,
    )
    .unwrap()
    .unwrap();
    // A fourth topic for the same broker, in a new version: refused whole.
    let refused = rt
        .register_broker(
            reg("c", "a", 0, "a:1", topics(&[("A", 8), ("D", 1)], 2)),
            10,
        )
        .unwrap_err();
    assert_eq!(
        refused,
        RouteRefused::TooManyTopics {
            broker: "a".into(),
            topics: 4,
            max: 3
        }
    );
    assert!(rt.topic_route("D").is_none());
    assert_eq!(
        rt.topic_route("A").unwrap().queue_datas[0].read_queue_nums,
        1
    );
    let (changed, _) = rt.query_data_version("c", "a:1", &topics(&[], 2).data_version);
    assert!(
        changed,
        "the refused registration did not record its version"
    );
    // Five routes in all: broker b gets two, then the table is full.
    rt.register_broker(
        on(2, reg("c", "b", 0, "b:1", topics(&[("A", 1), ("B", 1)], 1))),
        0,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        rt.register_topic(
            "C",
            vec![rt.topic_route("A").unwrap().queue_datas[1].clone()]
        ),
        Err(RouteRefused::TooManyRoutes { routes: 6, max: 5 })
    );
    assert_eq!(
        rt.register_broker(on(3, reg("c", "x", 0, "x:1", topics(&[("X", 1)], 1))), 0),
        Err(RouteRefused::TooManyRoutes { routes: 6, max: 5 })
    );
    // Once a broker goes, so do its routes, and room is back.
    rt.unregister_broker("c", "a:1", "a", 0);
    rt.register_broker(on(3, reg("c", "x", 0, "x:1", topics(&[("X", 1)], 1))), 0)
        .unwrap()
        .unwrap();
}

#[test]
fn static_topic_mappings_are_bounded() {
    let mut rt = RouteTable::new().with_limits(small_limits());
    let mut t = topics(&[("S", 2)], 1);
    let mapping = |queues: i32| TopicQueueMappingInfo {
        bname: "a".into(),
        curr_id_map: (0..queues).map(|q| (q, q)).collect(),
        ..TopicQueueMappingInfo::default()
    };
    t.topic_queue_mapping_info_map
        .insert("S".into(), mapping(2));
    t.topic_queue_mapping_info_map
        .insert("Unknown".into(), mapping(2));
    let res = rt
        .register_broker(reg("c", "a", 0, "a:1", t), 0)
        .unwrap()
        .unwrap();
    assert_eq!(res.skipped.mappings, 1);
    let route = rt.topic_route("S").unwrap();
    assert_eq!(
        route.topic_queue_mapping_by_broker.unwrap()["a"]
            .curr_id_map
            .len(),
        2
    );

    let mut t = topics(&[("S", 2)], 2);
    t.topic_queue_mapping_info_map
        .insert("S".into(), mapping(5));
    let res = rt
        .register_broker(reg("c", "a", 0, "a:1", t), 0)
        .unwrap()
        .unwrap();
    assert_eq!(res.skipped.mappings, 1, "over max_mapping_queues");

    let mut t = topics(&[("R", 2)], 1);
    t.topic_queue_mapping_info_map
        .insert("R".into(), mapping(1));
    assert_eq!(
        rt.register_broker(reg("c", "b", 0, "b:1", t), 0),
        Err(RouteRefused::TooManyMappings {
            mappings: 2,
            max: 1
        })
    );
}

#[test]
fn heartbeat_timeouts_are_capped() {
    let mut rt = RouteTable::new().with_limits(small_limits());
    let r = Registration {
        timeout_ms: Some(i64::MAX),
        ..reg("c", "a", 0, "a:1", topics(&[], 1))
    };
    rt.register_broker(r, 0).unwrap().unwrap();
    assert!(rt.scan_expired(1_000).is_empty());
    assert_eq!(rt.scan_expired(1_001).len(), 1);
    assert_empty(&rt);
}

#[test]
fn an_address_taken_over_by_another_group_leaves_nothing_behind() {
    let mut rt = RouteTable::new();
    rt.register_broker(reg("c", "x", 0, "h:1", topics(&[("T", 1)], 1)), 0)
        .unwrap()
        .unwrap();
    rt.register_broker(reg("c", "y", 0, "h:1", topics(&[], 1)), 0)
        .unwrap()
        .unwrap();
    let info = rt.cluster_info();
    assert!(!info.broker_addr_table.contains_key("x"), "{info:?}");
    assert_eq!(info.cluster_addr_table["c"].len(), 1);
    assert!(rt.topic_route("T").is_none());
    rt.remove_by_channel(100);
    assert_empty(&rt);
}

#[test]
fn one_instance_in_two_clusters_leaves_nothing_behind() {
    let mut rt = RouteTable::new();
    for cluster in ["c1", "c2"] {
        rt.register_broker(
            on(7, reg(cluster, "x", 0, "h:1", topics(&[("T", 1)], 1))),
            0,
        )
        .unwrap()
        .unwrap();
    }
    assert_eq!(rt.remove_by_channel(7).len(), 2);
    assert_empty(&rt);
}

#[test]
fn cycling_clusters_under_a_live_group_leaves_nothing_behind() {
    let mut rt = RouteTable::new();
    rt.register_broker(on(1, reg("c0", "x", 0, "h:0", topics(&[], 1))), 0)
        .unwrap()
        .unwrap();
    for i in 1..50 {
        let r = on(
            2,
            reg(&format!("c{i}"), "x", i, &format!("h:{i}"), topics(&[], 1)),
        );
        rt.register_broker(r, 0).unwrap().unwrap();
        rt.remove_by_channel(2);
    }
    let info = rt.cluster_info();
    assert_eq!(info.cluster_addr_table.len(), 1, "{info:?}");
    assert_eq!(info.broker_addr_table["x"].broker_addrs.len(), 1);
}

#[test]
fn unregistering_under_a_wrong_name_leaves_nothing_behind() {
    let mut rt = RouteTable::new();
    rt.register_broker(reg("c", "z", 0, "h:1", topics(&[("T", 1)], 1)), 0)
        .unwrap()
        .unwrap();
    assert!(rt.unregister_broker("c", "h:1", "not-z", 0));
    assert_empty(&rt);
}

#[test]
fn a_stale_registration_on_another_groups_address_leaves_nothing_behind() {
    let mut rt = RouteTable::new();
    rt.register_broker(reg("c", "z", 0, "b:1", topics(&[("T", 1)], 1)), 0)
        .unwrap()
        .unwrap();
    let mut newer = topics(&[], 1);
    newer.data_version.state_version = 5;
    rt.register_broker(reg("c", "x", 0, "a:1", newer), 0)
        .unwrap()
        .unwrap();
    let mut older = topics(&[], 1);
    older.data_version.state_version = 3;
    assert!(rt
        .register_broker(reg("c", "x", 0, "b:1", older), 0)
        .unwrap()
        .is_none());
    let info = rt.cluster_info();
    assert!(!info.broker_addr_table.contains_key("z"), "{info:?}");
    assert_eq!(
        info.cluster_addr_table["c"].iter().collect::<Vec<_>>(),
        vec!["x"]
    );
}
