//! Keys of Java's `NamesrvConfig`.

use crate::host;
use crate::table::config_table;

fn under_home(rest: &str) -> String {
    format!("{}/namesrv/{rest}", host::home_dir())
}

config_table! {
    /// Name server behaviour (Java `NamesrvConfig`).
    pub struct NamesrvSettings {
        /// RocketMQ installation directory (else env ROCKETMQ_HOME).
        rocketmq_home: Option<String> = None => "rocketmqHome",
        /// Where KV config (e.g. ORDER_TOPIC_CONFIG) is persisted.
        kv_config_path: String = under_home("kvConfig.json") => "kvConfigPath",
        /// The config file; runtime updates are persisted there.
        config_store_path: String = under_home("namesrv.properties") => "configStorePath",
        /// Environment name reported by the name server.
        product_env_name: String = "center".to_owned() => "productEnvName",
        /// Test-cluster mode (route lookups fall back to a test topic).
        cluster_test: bool = false => "clusterTest",
        /// Attach ORDER_TOPIC_CONFIG to routes (ordered messages across brokers).
        order_message_enable: bool = false => "orderMessageEnable",
        /// Return the order-topic config to brokers on registration.
        return_order_topic_config_to_broker: bool = true => "returnOrderTopicConfigToBroker",
        /// Threads serving client requests (routes).
        client_request_thread_pool_nums: i32 = 8 => "clientRequestThreadPoolNums",
        /// Threads serving broker and admin requests.
        default_thread_pool_nums: i32 = 16 => "defaultThreadPoolNums",
        /// Queue capacity of the client request pool.
        client_request_thread_pool_queue_capacity: i32 = 50_000 => "clientRequestThreadPoolQueueCapacity",
        /// Queue capacity of the default pool.
        default_thread_pool_queue_capacity: i32 = 10_000 => "defaultThreadPoolQueueCapacity",
        /// Interval of scanning for expired brokers, ms. FerroMQ scans every 10 s (Java 4.x
        /// did too; Java 5.x defaults to 5000).
        scan_not_active_broker_interval: i64 = 10_000 => "scanNotActiveBrokerInterval",
        /// A broker silent this long is removed from routes, ms. FerroMQ key: Java hard-codes
        /// 120 s unless the broker's registration says otherwise.
        broker_expired_millis: i64 = 120_000 => "brokerExpiredMillis",
        /// Queue capacity of pending broker unregistrations.
        un_register_broker_queue_capacity: i32 = 3_000 => "unRegisterBrokerQueueCapacity",
        /// Let a slave act as master while the master is down (5.x).
        support_acting_master: bool = false => "supportActingMaster",
        /// Serve GET_ALL_TOPIC_LIST_FROM_NAMESERVER.
        enable_all_topic_list: bool = true => "enableAllTopicList",
        /// Serve the per-cluster/system topic lists.
        enable_topic_list: bool = true => "enableTopicList",
        /// Tell brokers when the minimum broker id of their group changes.
        notify_min_broker_id_changed: bool = false => "notifyMinBrokerIdChanged",
        /// Run the controller (automatic failover) inside the name server.
        enable_controller_in_namesrv: bool = false => "enableControllerInNamesrv",
        /// Answer route requests only after waitSecondsForService has passed since start.
        need_wait_for_service: bool = false => "needWaitForService",
        /// Seconds to wait after start when needWaitForService.
        wait_seconds_for_service: i32 = 45 => "waitSecondsForService",
        /// Remove topics a broker no longer lists in its registration.
        delete_topic_with_broker_registration: bool = false => "deleteTopicWithBrokerRegistration",
        /// Keys that UPDATE_NAMESRV_CONFIG may not change, `;`-separated.
        config_black_list: String = "configBlackList;configStorePath;kvConfigPath".to_owned() => "configBlackList",
    }
}
