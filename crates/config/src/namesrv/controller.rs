//! Keys of Java's `ControllerConfig` that a name server with `enableControllerInNamesrv`
//! reads from the same file (keys it shares with `NamesrvConfig` are declared there).

use crate::table::config_table;

config_table! {
    /// The embedded controller (Java `ControllerConfig`, RIP-44).
    pub struct ControllerConfig {
        /// Consensus implementation: `DLedger` or `jRaft`.
        controller_type: String = "DLedger".to_owned() => "controllerType",
        /// Threads serving controller requests.
        controller_thread_pool_nums: i32 = 16 => "controllerThreadPoolNums",
        /// Queue capacity of controller requests.
        controller_request_thread_pool_queue_capacity: i32 = 50_000 => "controllerRequestThreadPoolQueueCapacity",
        /// DLedger group of the controllers.
        controller_dledger_group: Option<String> = None => "controllerDLegerGroup",
        /// DLedger peers of the controllers, `n0-host:port;n1-host:port;…`.
        controller_dledger_peers: Option<String> = None => "controllerDLegerPeers",
        /// This controller's id among the peers.
        controller_dledger_self_id: Option<String> = None => "controllerDLegerSelfId",
        /// Controller data directory (empty = `$HOME/{controllerType}Controller`).
        controller_store_path: String = String::new() => "controllerStorePath",
        /// Size of one controller log file (1 GiB).
        mapped_file_size: i32 = 1024 * 1024 * 1024 => "mappedFileSize",
        /// Election attempts before giving up.
        elect_master_max_retry_count: i32 = 3 => "electMasterMaxRetryCount",
        /// Elect a master from outside the SyncStateSet when none is left (may lose data).
        enable_elect_unclean_master: bool = false => "enableElectUncleanMaster",
        /// Serve reads through the consensus log.
        process_read_event: bool = false => "processReadEvent",
        /// Notify brokers of role changes.
        notify_broker_role_changed: bool = true => "notifyBrokerRoleChanged",
        /// Interval of checking for inactive masters, ms.
        scan_inactive_master_interval: i64 = 5_000 => "scanInactiveMasterInterval",
    }
}
