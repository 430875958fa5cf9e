pub(crate) mod defaults;
mod samples;

use proptest::prelude::*;

use super::BrokerConfig;
use crate::table::{ConfigTable, ConfigWarning};
use crate::value::{BrokerRole, FlushDiskType};
use crate::ConfigError;

#[test]
fn unknown_keys_are_warnings_not_errors() {
    let text = "brokerName=b\nbrokername=x\nmaxMessagesize=1\nrocketmq.foo=bar\nbrokerRole=SLAVE\n";
    let loaded = BrokerConfig::from_properties_str(text).unwrap();
    assert_eq!(loaded.config.broker.broker_name, "b");
    assert_eq!(loaded.config.store.broker_role, BrokerRole::Slave);
    let unknown: Vec<(&str, usize, Option<&str>)> = loaded
        .warnings
        .iter()
        .map(|w| match w {
            ConfigWarning::UnknownKey {
                key,
                line,
                did_you_mean,
            } => (key.as_str(), *line, *did_you_mean),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        unknown,
        vec![
            ("brokername", 2, Some("brokerName")),
            ("maxMessagesize", 3, Some("maxMessageSize")),
            ("rocketmq.foo", 4, None),
        ]
    );
}

#[test]
fn bad_values_are_errors_naming_key_and_value() {
    let cases = [
        ("brokerId", "one"),
        ("listenPort", "65536"),
        ("autoCreateTopicEnable", "yes"),
        ("flushDiskType", "FAST_FLUSH"),
        ("brokerRole", "MASTER"),
        ("messageDelayLevel", "1s 5x"),
        ("deleteWhen", "25"),
        ("mapedFileSizeCommitLog", "1g"),
        ("maxMessageSize", "4194304000"),
    ];
    for (key, value) in cases {
        let text = format!("brokerName=b\n{key}={value}\n");
        let err = BrokerConfig::from_properties_str(&text).unwrap_err();
        match &err {
            ConfigError::InvalidValue {
                key: k,
                value: v,
                line,
                ..
            } => {
                assert_eq!((k.as_str(), v.as_str(), *line), (key, value, Some(2)));
            }
            other => panic!("{key}: unexpected {other:?}"),
        }
        let msg = err.to_string();
        assert!(msg.contains(key) && msg.contains(value), "{msg}");
    }
}

#[test]
fn lenient_values_as_users_write_them() {
    let text = "autoCreateTopicEnable = FALSE \nslaveReadEnable=1\nflushDiskType=sync_flush\n\
                brokerRole = Sync_Master\nbrokerId =  3 \nnamesrvAddr= 10.0.0.1:9876 ; 10.0.0.2:9876 ;\n";
    let c = BrokerConfig::from_properties_str(text).unwrap().config;
    assert!(!c.broker.auto_create_topic_enable);
    assert!(c.broker.slave_read_enable);
    assert_eq!(c.store.flush_disk_type, FlushDiskType::SyncFlush);
    assert_eq!(c.store.broker_role, BrokerRole::SyncMaster);
    assert_eq!(c.broker.broker_id, 3);
    assert_eq!(c.namesrv_addrs(), vec!["10.0.0.1:9876", "10.0.0.2:9876"]);
}

#[test]
fn legacy_maped_spellings_are_accepted_with_a_warning() {
    let text = "mapedFileSizeCommitLog=104857600\nmapedFileSizeConsumeQueue=6000001\n";
    let loaded = BrokerConfig::from_properties_str(text).unwrap();
    let c = &loaded.config;
    assert_eq!(c.store.mapped_file_size_commit_log, 104_857_600);
    assert_eq!(c.store.mapped_file_size_consume_queue, 6_000_001);
    assert_eq!(c.mapped_file_size_consume_queue(), 6_000_020);
    assert_eq!(
        loaded.warnings,
        vec![
            ConfigWarning::DeprecatedAlias {
                alias: "mapedFileSizeCommitLog".into(),
                key: "mappedFileSizeCommitLog",
                line: 1,
            },
            ConfigWarning::DeprecatedAlias {
                alias: "mapedFileSizeConsumeQueue".into(),
                key: "mappedFileSizeConsumeQueue",
                line: 2,
            },
        ]
    );
    // Both spellings present: the later line wins.
    let text = "mappedFileSizeCommitLog=1\nmapedFileSizeCommitLog=2\n";
    let c = BrokerConfig::from_properties_str(text).unwrap().config;
    assert_eq!(c.store.mapped_file_size_commit_log, 2);
    assert!(c.to_properties().contains("\nmappedFileSizeCommitLog=2\n"));
    assert!(!c.to_properties().contains("maped"));
}

#[test]
fn to_properties_is_sorted_java_shaped_and_omits_nulls() {
    let c = BrokerConfig::default();
    let text = c.to_properties();
    let keys: Vec<&str> = text.lines().map(|l| l.split_once('=').unwrap().0).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted);
    assert!(text.ends_with('\n'));
    for line in [
        "brokerClusterName=DefaultCluster",
        "brokerRole=ASYNC_MASTER",
        "configBlackList=configBlackList;brokerConfigPath",
        "controllerAddr=",
        "deleteWhen=04",
        "flushDiskType=ASYNC_FLUSH",
        "listenPort=10911",
        "mappedFileSizeCommitLog=1073741824",
        "messageDelayLevel=1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line}");
    }
    for absent in [
        "namesrvAddr",
        "storePathCommitLog",
        "haMasterAddress",
        "dLegerPeers",
    ] {
        assert!(
            !keys.contains(&absent),
            "{absent} is unset and must be omitted"
        );
    }
    let set_keys = BrokerConfig::key_specs()
        .iter()
        .filter(|k| c.get(k.key).is_some())
        .count();
    assert_eq!(keys.len(), set_keys);
}

#[test]
fn default_round_trips() {
    let c = BrokerConfig::default();
    let loaded = BrokerConfig::from_properties_str(&c.to_properties()).unwrap();
    assert!(loaded.warnings.is_empty());
    assert_eq!(loaded.config, c);
}

#[test]
fn runtime_update_reports_changes_and_respects_black_list() {
    let mut c = BrokerConfig::default();
    let changed = c
        .update_from_properties("brokerPermission=4\nflushDiskType=ASYNC_FLUSH\nnoSuchKey=1\nmapedFileSizeCommitLog=1024\n")
        .unwrap();
    assert_eq!(changed, vec!["brokerPermission", "mappedFileSizeCommitLog"]);
    assert_eq!(c.broker.broker_permission, 4);

    let before = c.clone();
    for key in ["brokerConfigPath", "configBlackList"] {
        let err = c.update_from_properties(&format!("brokerPermission=6\n{key}=x\n"));
        assert!(matches!(err, Err(ConfigError::ReadOnlyKey { key: k }) if k == key));
    }
    assert!(c
        .update_from_properties("brokerPermission=6\nbrokerId=x\n")
        .is_err());
    assert_eq!(c, before);

    // The black list itself is config: a stricter list at start-up protects more keys.
    let mut strict =
        BrokerConfig::from_properties_str("configBlackList=configBlackList; listenPort\n")
            .unwrap()
            .config;
    assert!(matches!(
        strict.update_from_properties("listenPort=1\n"),
        Err(ConfigError::ReadOnlyKey { .. })
    ));
    assert_eq!(
        strict
            .update_from_properties("brokerConfigPath=/x\n")
            .unwrap(),
        vec!["brokerConfigPath"]
    );
}

#[test]
fn env_fills_only_unset_keys() {
    let env = |name: &str| match name {
        "NAMESRV_ADDR" => Some("ns1:9876;ns2:9876".to_owned()),
        "ROCKETMQ_HOME" => Some("/opt/rocketmq".to_owned()),
        _ => None,
    };
    let mut c = BrokerConfig::default();
    c.apply_env_from(env);
    assert_eq!(c.namesrv_addrs(), vec!["ns1:9876", "ns2:9876"]);
    assert_eq!(c.broker.rocketmq_home.as_deref(), Some("/opt/rocketmq"));

    let mut c = BrokerConfig::from_properties_str("namesrvAddr=file:9876\n")
        .unwrap()
        .config;
    c.apply_env_from(env);
    assert_eq!(c.namesrv_addrs(), vec!["file:9876"]);

    let mut c = BrokerConfig::default();
    c.apply_env_from(|_| Some("  ".to_owned()));
    assert_eq!(c.broker.namesrv_addr, None);
}

#[test]
fn startup_rules_follow_broker_startup() {
    let mut c = BrokerConfig::from_properties_str("brokerId=5\nbrokerRole=SYNC_MASTER\n")
        .unwrap()
        .config;
    c.apply_startup_rules().unwrap();
    assert_eq!(c.broker.broker_id, 0, "masters are forced to id 0");
    assert_eq!(c.store.ha_listen_port, 10912);

    let mut slave = BrokerConfig::from_properties_str("brokerRole=SLAVE\n")
        .unwrap()
        .config;
    assert!(matches!(
        slave.apply_startup_rules(),
        Err(ConfigError::Inconsistent(_))
    ));

    let mut both = BrokerConfig::from_properties_str(
        "enableControllerMode=true\nenableDLegerCommitLog=true\n",
    )
    .unwrap()
    .config;
    assert!(matches!(
        both.apply_startup_rules(),
        Err(ConfigError::Inconsistent(_))
    ));

    for bad in ["127.0.0.1", "127.0.0.1:98765", ":9876", "a:1;b"] {
        let mut c = BrokerConfig::default();
        c.broker.namesrv_addr = Some(bad.to_owned());
        let err = c.apply_startup_rules().unwrap_err();
        assert!(
            matches!(&err, ConfigError::InvalidValue { key, .. } if key == "namesrvAddr"),
            "{bad}: {err}"
        );
    }

    let mut explicit = BrokerConfig::from_properties_str("listenPort=20911\nhaListenPort=20000\n")
        .unwrap()
        .config;
    explicit.apply_startup_rules().unwrap();
    assert_eq!(explicit.ha_listen_port(), 20000);
}

#[test]
fn derived_values() {
    let text = "listenPort=0\nstorePathRootDir=/data/store/\nstorePathCommitLog=/d1/commitlog, /d2/commitlog\n\
                deleteWhen=04;05\ndiskMaxUsedSpaceRatio=99\nmessageDelayLevel=1s 1m 1h 1d\nbrokerIP1=10.1.1.1\nbrokerIP2=\n";
    let c = BrokerConfig::from_properties_str(text).unwrap().config;
    assert_eq!(c.fast_listen_port(), None);
    assert_eq!(c.ha_listen_port(), 0, "port 0 stays 'any port' for tests");
    assert_eq!(c.commit_log_dirs(), vec!["/d1/commitlog", "/d2/commitlog"]);
    assert_eq!(c.store_path_epoch_file(), "/data/store/epochFileCheckpoint");
    assert_eq!(c.delete_when_hours(), &[4, 5]);
    assert_eq!(c.disk_max_used_space_ratio(), 95);
    assert_eq!(c.delay_levels(), &[1_000, 60_000, 3_600_000, 86_400_000]);
    assert_eq!(c.broker_addr(), "10.1.1.1:0");
    assert_eq!(c.broker_ip2(), crate::host::local_ipv4().to_string());
}

/// A value that may or may not be valid for a key of the given Java type.
fn arb_value(java_type: &'static str) -> BoxedStrategy<String> {
    match java_type {
        "boolean" => prop_oneof![Just("true"), Just("FALSE"), Just("1"), Just("0")]
            .prop_map(str::to_owned)
            .boxed(),
        "int" | "long" => prop_oneof![any::<i64>(), 0..70_000i64, -10..10i64]
            .prop_map(|n| n.to_string())
            .boxed(),
        "double" => (-1e6..1e6f64).prop_map(|f| f.to_string()).boxed(),
        "FlushDiskType" => prop_oneof![Just("SYNC_FLUSH"), Just("async_flush")]
            .prop_map(str::to_owned)
            .boxed(),
        "BrokerRole" => prop_oneof![Just("SLAVE"), Just("sync_master"), Just("ASYNC_MASTER")]
            .prop_map(str::to_owned)
            .boxed(),
        _ => prop_oneof![
            "\\PC*",
            Just("04;05".to_owned()),
            Just("1s 2m 3h 4d".to_owned()),
            "[ a-z:;=\\\\#!\\t]{0,20}",
        ]
        .boxed(),
    }
}

fn arb_assignments() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    let keys = BrokerConfig::key_specs();
    let n = keys.len();
    proptest::collection::vec(0..n, 0..40).prop_flat_map(move |idxs| {
        let keys = BrokerConfig::key_specs();
        idxs.into_iter()
            .map(|i| {
                let spec = keys[i];
                arb_value(spec.java_type).prop_map(move |v| (spec.key, v))
            })
            .collect::<Vec<_>>()
    })
}

proptest! {
    #[test]
    fn any_config_round_trips_through_to_properties(assignments in arb_assignments()) {
        let mut c = BrokerConfig::default();
        for (key, value) in &assignments {
            // Invalid values are rejected and leave the config as it was.
            let before = c.get(key);
            if c.set(key, value).is_err() {
                prop_assert_eq!(c.get(key), before);
            }
        }
        let printed = c.to_properties();
        let loaded = BrokerConfig::from_properties_str(&printed).unwrap();
        prop_assert!(loaded.warnings.is_empty());
        prop_assert_eq!(&loaded.config, &c);
    }
}
