//! Defaults against Java's: the fixture files hold the field values of fresh 5.3.3 config
//! objects, so a wrong key name or default in our tables fails here.

use std::collections::HashMap;

use crate::broker::{AuthConfig, BrokerConfig, BrokerSettings, MessageStoreConfig};
use crate::host;
use crate::netty::NettyServerConfig;
use crate::properties::Properties;
use crate::table::ConfigTable;

/// Our keys whose default deliberately differs from the Java field, or that the 5.3.3 jar
/// lacks, with why.
const DEVIATIONS: &[(&str, &str)] = &[
    (
        "haListenPort",
        "BrokerStartup resets it to 0 and derives listenPort + 1",
    ),
    (
        "writeWithoutMmap",
        "added to MessageStoreConfig after 5.3.3",
    ),
    (
        "enableGrpcServer",
        "FerroMQ's broker serves the gRPC proxy itself (Java: mqproxy -pm local)",
    ),
    (
        "grpcServerPort",
        "the Java proxy's key (ProxyConfig), read by FerroMQ's broker for its LOCAL proxy",
    ),
];

pub(crate) fn fixture(name: &str) -> HashMap<String, String> {
    let text = match name {
        "broker" => include_str!("../../../testdata/java-5.3.3-defaults/broker.properties"),
        "store" => include_str!("../../../testdata/java-5.3.3-defaults/store.properties"),
        "netty" => include_str!("../../../testdata/java-5.3.3-defaults/netty.properties"),
        "auth" => include_str!("../../../testdata/java-5.3.3-defaults/auth.properties"),
        "namesrv" => include_str!("../../../testdata/java-5.3.3-defaults/namesrv.properties"),
        "controller" => include_str!("../../../testdata/java-5.3.3-defaults/controller.properties"),
        other => panic!("no fixture {other}"),
    };
    Properties::parse(text)
        .unwrap()
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Every key of `T` must have Java's default (or be a listed deviation), and every key must
/// exist in the Java class (a typo would be missing from the fixture).
pub(crate) fn assert_defaults_match<T: ConfigTable + Default>(
    name: &str,
    machine_dependent: &[&str],
    deviations: &[(&str, &str)],
) {
    let java = fixture(name);
    let ours = T::default();
    let mut problems = Vec::new();
    for spec in T::key_specs() {
        let key = spec.key;
        if machine_dependent.contains(&key) || deviations.iter().any(|(k, _)| *k == key) {
            continue;
        }
        let got = ours.get(key);
        match java.get(key).map(String::as_str) {
            None => problems.push(format!("{key}: not a field of Java's {name} config")),
            Some("<null>") if got.is_none() => {}
            Some(want) if got.as_deref() == Some(want) => {}
            Some(want) => problems.push(format!("{key}: ours {got:?}, Java {want:?}")),
        }
    }
    assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
}

const BROKER_MACHINE: &[&str] = &[
    "brokerName",
    "brokerIP1",
    "brokerIP2",
    "sendMessageThreadPoolNums",
    "putMessageFutureThreadPoolNums",
    "pullMessageThreadPoolNums",
    "litePullMessageThreadPoolNums",
    "processReplyMessageThreadPoolNums",
    "queryMessageThreadPoolNums",
    "heartbeatThreadPoolNums",
    "endTransactionThreadPoolNums",
];

#[test]
fn broker_settings_defaults_match_java() {
    assert_defaults_match::<BrokerSettings>("broker", BROKER_MACHINE, DEVIATIONS);
}

#[test]
fn message_store_defaults_match_java() {
    assert_defaults_match::<MessageStoreConfig>("store", &["storePathRootDir"], DEVIATIONS);
}

#[test]
fn netty_server_defaults_match_java() {
    assert_defaults_match::<NettyServerConfig>("netty", &[], &[]);
}

#[test]
fn auth_defaults_match_java() {
    assert_defaults_match::<AuthConfig>("auth", &[], &[]);
}

#[test]
fn machine_dependent_defaults_follow_java_rules() {
    let c = BrokerConfig::default();
    let b = &c.broker;
    assert_eq!(
        b.broker_name,
        host::hostname().unwrap_or_else(|| "DEFAULT_BROKER".into())
    );
    assert_eq!(b.broker_ip1, host::local_ipv4().to_string());
    assert_eq!(b.broker_ip2, b.broker_ip1);
    assert_eq!(
        c.store.store_path_root_dir,
        format!("{}/store", host::home_dir())
    );
    // BrokerConfig's formulas over Runtime.availableProcessors().
    let n = host::processors();
    assert_eq!(b.send_message_thread_pool_nums, n.min(4));
    assert_eq!(b.put_message_future_thread_pool_nums, n.min(4));
    assert_eq!(b.pull_message_thread_pool_nums, 16 + 2 * n);
    assert_eq!(b.lite_pull_message_thread_pool_nums, 16 + 2 * n);
    assert_eq!(b.process_reply_message_thread_pool_nums, 16 + 2 * n);
    assert_eq!(b.query_message_thread_pool_nums, 8 + n);
    assert_eq!(b.heartbeat_thread_pool_nums, n.min(32));
    assert_eq!(
        b.end_transaction_thread_pool_nums,
        (8 + 2 * n).max(4 * n.min(4))
    );
}

#[test]
fn startup_level_defaults() {
    let c = BrokerConfig::default();
    assert_eq!(c.listen_port(), 10911);
    assert_eq!(c.fast_listen_port(), Some(10909));
    assert_eq!(c.ha_listen_port(), 10912);
    assert_eq!(
        c.store_path_commit_log(),
        format!("{}/commitlog", c.store.store_path_root_dir)
    );
    assert_eq!(c.store.store_path_commit_log, None);
    assert_eq!(c.mapped_file_size_consume_queue(), 6_000_000);
    assert_eq!(c.delay_levels().len(), 18);
    assert_eq!(c.delete_when_hours(), &[4]);
    assert!(c.namesrv_addrs().is_empty());
    assert!(c.is_master());
}

/// Every key the wire/storage reference (§7) lists for broker.conf is known.
#[test]
fn reference_section_7_keys_are_all_known() {
    let keys = [
        "brokerClusterName",
        "brokerName",
        "brokerId",
        "namesrvAddr",
        "listenPort",
        "brokerIP1",
        "brokerIP2",
        "storePathRootDir",
        "storePathCommitLog",
        "mappedFileSizeCommitLog",
        "mapedFileSizeCommitLog",
        "mappedFileSizeConsumeQueue",
        "mapedFileSizeConsumeQueue",
        "flushDiskType",
        "brokerRole",
        "deleteWhen",
        "fileReservedTime",
        "autoCreateTopicEnable",
        "autoCreateSubscriptionGroup",
        "defaultTopicQueueNums",
        "maxMessageSize",
        "flushIntervalCommitLog",
        "flushCommitLogLeastPages",
        "syncFlushTimeout",
        "slaveTimeout",
        "haListenPort",
        "haMasterAddress",
        "haTransferBatchSize",
        "totalReplicas",
        "inSyncReplicas",
        "minInSyncReplicas",
        "enableAutoInSyncReplicas",
        "messageDelayLevel",
        "brokerPermission",
        "longPollingEnable",
        "shortPollingTimeMills",
        "slaveReadEnable",
        "transientStorePoolEnable",
        "transientStorePoolSize",
        "messageIndexEnable",
        "maxHashSlotNum",
        "maxIndexNum",
        "enablePropertyFilter",
        "aclEnable",
        "authenticationEnabled",
        "transactionTimeOut",
        "transactionCheckMax",
        "transactionCheckInterval",
        "registerNameServerPeriod",
        "sendMessageThreadPoolNums",
        "pullMessageThreadPoolNums",
        "enableDLegerCommitLog",
        "dLegerGroup",
        "dLegerPeers",
        "dLegerSelfId",
        "enableControllerMode",
        "controllerAddr",
        "allAckInSyncStateSet",
        "timerWheelEnable",
        "timerMaxDelaySec",
        "timerPrecisionMs",
        "enableSlaveActingMaster",
        // also named in the brief / §4–§6
        "flushCommitLogThoroughInterval",
        "flushIntervalConsumeQueue",
        "diskMaxUsedSpaceRatio",
        "cleanResourceInterval",
        "checkCRCOnRecover",
        "maxTransferBytesOnMessageInMemory",
        "maxTransferCountOnMessageInMemory",
        "maxTransferBytesOnMessageInDisk",
        "maxTransferCountOnMessageInDisk",
        "accessMessageInMemoryMaxRatio",
        "traceTopicEnable",
        "clusterTopicEnable",
        "brokerTopicEnable",
        "channelExpiredTimeout",
        "rocketmqHome",
        "osPageCacheBusyTimeOutMills",
        "commitIntervalCommitLog",
        "flushCommitLogTimed",
        "haSendHeartbeatInterval",
        "haHousekeepingInterval",
        "flushConsumerOffsetInterval",
        "diskSpaceWarningLevelRatio",
        "diskSpaceCleanForciblyRatio",
    ];
    let missing: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| BrokerConfig::find_key(k).is_none())
        .collect();
    assert!(missing.is_empty(), "unknown keys: {missing:?}");
}

#[test]
fn keys_and_aliases_are_unique_and_documented() {
    let specs = BrokerConfig::key_specs();
    assert!(specs.len() > 250, "only {} keys", specs.len());
    let mut seen = std::collections::HashSet::new();
    for spec in &specs {
        for name in std::iter::once(&spec.key).chain(spec.aliases) {
            assert!(seen.insert(*name), "{name} declared twice");
            // Java's TLS keys are system-property names (`tls.server.mode`).
            let tls = spec.key.starts_with("tls.");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || (tls && c == '.')),
                "odd key {name}"
            );
        }
        assert!(!spec.doc().is_empty(), "{} has no doc", spec.key);
        assert!(!spec.java_type.is_empty());
    }
    assert_eq!(
        BrokerConfig::find_key("mapedFileSizeCommitLog").map(|k| k.key),
        Some("mappedFileSizeCommitLog")
    );
    assert_eq!(
        BrokerConfig::find_key("flushDiskType").map(|k| k.java_type),
        Some("FlushDiskType")
    );
}
