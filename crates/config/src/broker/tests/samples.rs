//! broker.conf files laid out as the RocketMQ distribution's samples (`distribution/conf`).

use crate::broker::BrokerConfig;
use crate::table::{ConfigTable, ConfigWarning};
use crate::value::{BrokerRole, FlushDiskType};

const NOSLAVE_BROKER_A: &str = "\
# 2m-noslave/broker-a.properties: two masters, no slaves.
# Licensed text and comments as users keep them.
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
deleteWhen=04
fileReservedTime=48
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
";

const ASYNC_BROKER_A_S: &str = "\
# 2m-2s-async/broker-a-s.properties
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=1
deleteWhen=04
fileReservedTime=48
brokerRole=SLAVE
flushDiskType=ASYNC_FLUSH
";

const SYNC_BROKER_A: &str = "\
brokerClusterName=DefaultCluster\r\n\
brokerName=broker-a\r\n\
brokerId=0\r\n\
deleteWhen=04\r\n\
fileReservedTime=48\r\n\
brokerRole=SYNC_MASTER\r\n\
flushDiskType=ASYNC_FLUSH\r\n\
totalReplicas=2\r\n\
inSyncReplicas=2\r\n";

/// `conf/broker.conf`: blanks around `=`, a leading blank line.
const BROKER_CONF: &str = "
#  Default single-broker config.
brokerClusterName = DefaultCluster
brokerName = broker-a
brokerId = 0
deleteWhen = 04
fileReservedTime = 48
brokerRole = ASYNC_MASTER
flushDiskType = ASYNC_FLUSH
";

const DLEDGER_N0: &str = "
brokerClusterName = RaftCluster
brokerName=RaftNode00
listenPort=30911
namesrvAddr=127.0.0.1:9876
storePathRootDir=/tmp/rmqstore/node00
storePathCommitLog=/tmp/rmqstore/node00/commitlog
enableDLegerCommitLog=true
dLegerGroup=RaftNode00
dLegerPeers=n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913
## must be unique
dLegerSelfId=n0
sendMessageThreadPoolNums=16
";

const CONTROLLER_QUICK_START_N0: &str = "
brokerClusterName = DefaultCluster
brokerName = broker-a
brokerId = -1
brokerRole = SLAVE
deleteWhen = 04
fileReservedTime = 48
enableControllerMode = true
controllerAddr = 127.0.0.1:9878
namesrvAddr = 127.0.0.1:9876
allAckInSyncStateSet=true
listenPort=30911
storePathRootDir=/tmp/rmqstore/node00
storePathCommitLog=/tmp/rmqstore/node00/commitlog
";

const CONTAINER_BROKER_A: &str = "\
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerRole=SYNC_MASTER
flushDiskType=ASYNC_FLUSH
storePathRootDir=/root/broker-a/store
storePathCommitLog=/root/broker-a/store/commitlog
listenPort=10911
haListenPort=10912
totalReplicas=2
inSyncReplicas=2
minInSyncReplicas=1
enableAutoInSyncReplicas=true
slaveReadEnable=true
brokerHeartbeatInterval=1000
brokerNotActiveTimeoutMillis=5000
sendHeartbeatTimeoutMillis=1000
enableSlaveActingMaster=true
";

fn load_clean(text: &str) -> BrokerConfig {
    let loaded = BrokerConfig::from_properties_str(text).unwrap();
    assert_eq!(loaded.warnings, Vec::<ConfigWarning>::new());
    loaded.config
}

fn assert_common_sample(c: &BrokerConfig) {
    assert_eq!(c.delete_when_hours(), &[4]);
    assert_eq!(c.store.file_reserved_time, 48);
    assert_eq!(c.store.flush_disk_type, FlushDiskType::AsyncFlush);
}

#[test]
fn two_masters_no_slave() {
    let c = load_clean(NOSLAVE_BROKER_A);
    assert_common_sample(&c);
    assert_eq!(c.broker.broker_cluster_name, "DefaultCluster");
    assert_eq!(c.broker.broker_name, "broker-a");
    assert_eq!(c.broker.broker_id, 0);
    assert_eq!(c.store.broker_role, BrokerRole::AsyncMaster);
    // Untouched keys keep their defaults.
    assert_eq!(c.listen_port(), 10911);
    assert_eq!(c.store, {
        let mut d = BrokerConfig::default().store;
        d.delete_when = "04".parse().unwrap();
        d.file_reserved_time = 48;
        d
    });
}

#[test]
fn async_slave() {
    let mut c = load_clean(ASYNC_BROKER_A_S);
    assert_common_sample(&c);
    assert_eq!(c.broker.broker_id, 1);
    assert_eq!(c.store.broker_role, BrokerRole::Slave);
    assert!(!c.is_master());
    c.apply_startup_rules().unwrap();
    assert_eq!(c.broker.broker_id, 1);
}

#[test]
fn sync_master_with_crlf_lines() {
    let c = load_clean(SYNC_BROKER_A);
    assert_common_sample(&c);
    assert_eq!(c.store.broker_role, BrokerRole::SyncMaster);
    assert_eq!((c.store.total_replicas, c.store.in_sync_replicas), (2, 2));
}

#[test]
fn single_broker_conf_with_blanks_around_separators() {
    let c = load_clean(BROKER_CONF);
    assert_common_sample(&c);
    assert_eq!(c.broker.broker_name, "broker-a");
    assert_eq!(c, load_clean(NOSLAVE_BROKER_A));
}

#[test]
fn dledger_node() {
    let mut c = load_clean(DLEDGER_N0);
    assert_eq!(c.broker.broker_cluster_name, "RaftCluster");
    assert_eq!(c.broker.broker_name, "RaftNode00");
    assert_eq!(c.listen_port(), 30911);
    assert_eq!(c.fast_listen_port(), Some(30909));
    assert_eq!(c.ha_listen_port(), 30912);
    assert_eq!(c.namesrv_addrs(), vec!["127.0.0.1:9876"]);
    assert_eq!(c.store.store_path_root_dir, "/tmp/rmqstore/node00");
    assert_eq!(c.store_path_commit_log(), "/tmp/rmqstore/node00/commitlog");
    assert!(c.store.enable_dledger_commit_log);
    assert_eq!(c.store.dledger_group.as_deref(), Some("RaftNode00"));
    assert_eq!(
        c.store.dledger_peers.as_deref(),
        Some("n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913")
    );
    assert_eq!(c.store.dledger_self_id.as_deref(), Some("n0"));
    assert_eq!(c.broker.send_message_thread_pool_nums, 16);
    c.apply_startup_rules().unwrap();
    assert_eq!(
        c.broker.broker_id, -1,
        "DLedger brokers get their id from the Raft group"
    );
    assert_eq!(c.store.ha_listen_port, 30912);
}

#[test]
fn controller_quick_start_node() {
    let mut c = load_clean(CONTROLLER_QUICK_START_N0);
    assert_common_sample(&c);
    assert_eq!(c.broker.broker_id, -1);
    assert_eq!(c.store.broker_role, BrokerRole::Slave);
    assert!(c.broker.enable_controller_mode);
    assert_eq!(c.broker.controller_addr, "127.0.0.1:9878");
    assert!(c.store.all_ack_in_sync_state_set);
    assert_eq!(c.listen_port(), 30911);
    assert_eq!(
        c.store_path_epoch_file(),
        "/tmp/rmqstore/node00/epochFileCheckpoint"
    );
    assert_eq!(
        c.store_path_broker_identity(),
        "/tmp/rmqstore/node00/brokerIdentity"
    );
    // Controller mode skips the role/id rules: -1 stays until the controller assigns one.
    c.apply_startup_rules().unwrap();
    assert_eq!(c.broker.broker_id, -1);
}

#[test]
fn container_sync_master_with_acting_master() {
    let c = load_clean(CONTAINER_BROKER_A);
    assert_eq!(c.store.broker_role, BrokerRole::SyncMaster);
    assert_eq!(c.store.ha_listen_port, 10912);
    assert_eq!(c.ha_server_addr(), format!("{}:10912", c.broker_ip2()));
    assert!(c.store.enable_auto_in_sync_replicas && c.broker.slave_read_enable);
    assert!(c.broker.enable_slave_acting_master);
    assert_eq!(c.broker.broker_not_active_timeout_millis, 5000);
}

#[test]
fn every_sample_round_trips_through_to_properties() {
    for text in [
        NOSLAVE_BROKER_A,
        ASYNC_BROKER_A_S,
        SYNC_BROKER_A,
        BROKER_CONF,
        DLEDGER_N0,
        CONTROLLER_QUICK_START_N0,
        CONTAINER_BROKER_A,
    ] {
        let c = load_clean(text);
        let printed = c.to_properties();
        let again = load_clean(&printed);
        assert_eq!(again, c);
        assert_eq!(again.to_properties(), printed);
    }
}

#[test]
fn load_from_file_records_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broker-a.properties");
    std::fs::write(&path, NOSLAVE_BROKER_A).unwrap();
    let loaded = BrokerConfig::load(&path).unwrap();
    assert!(loaded.warnings.is_empty());
    assert_eq!(
        loaded.config.broker.broker_config_path.as_deref(),
        Some(path.to_str().unwrap())
    );
    assert_eq!(loaded.config.broker.broker_name, "broker-a");

    std::fs::write(&path, "brokerConfigPath=/etc/rocketmq/broker.conf\n").unwrap();
    let loaded = BrokerConfig::load(&path).unwrap();
    assert_eq!(
        loaded.config.broker.broker_config_path.as_deref(),
        Some("/etc/rocketmq/broker.conf")
    );
}
