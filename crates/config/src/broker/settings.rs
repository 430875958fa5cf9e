//! Keys of Java's `BrokerConfig` (and its `BrokerIdentity` base): identity, registration,
//! topics, request thread pools, pull, filter, POP, transactions, controller mode.

use crate::host;
use crate::table::config_table;

fn cpus() -> i32 {
    host::processors()
}

fn local_address() -> String {
    host::local_ipv4().to_string()
}

fn default_broker_name() -> String {
    host::hostname().unwrap_or_else(|| "DEFAULT_BROKER".to_owned())
}

config_table! {
    /// Broker behaviour (Java `BrokerConfig` + `BrokerIdentity`).
    pub struct BrokerSettings {
        // ---- identity ----
        /// Cluster the broker registers under.
        broker_cluster_name: String = "DefaultCluster".to_owned() => "brokerClusterName",
        /// Broker (master/slave group) name; defaults to the host name.
        broker_name: String = default_broker_name() => "brokerName",
        /// 0 for a master, > 0 for a slave, -1 when assigned by the controller.
        broker_id: i64 = 0 => "brokerId",
        /// Address advertised to clients; defaults to the machine's address.
        broker_ip1: String = local_address() => "brokerIP1",
        /// Address advertised to slaves for HA; defaults to the machine's address.
        broker_ip2: String = local_address() => "brokerIP2",
        /// Name servers, `host:port;host:port` (else env NAMESRV_ADDR, see `apply_env`).
        namesrv_addr: Option<String> = None => "namesrvAddr",
        /// RocketMQ installation directory (else env ROCKETMQ_HOME).
        rocketmq_home: Option<String> = None => "rocketmqHome",
        /// The config file the broker was started with; runtime updates are persisted there.
        broker_config_path: Option<String> = None => "brokerConfigPath",
        /// Region reported in message traces.
        region_id: String = "DefaultRegion".to_owned() => "regionId",
        /// Keys that UPDATE_BROKER_CONFIG may not change, `;`-separated.
        config_black_list: String = "configBlackList;brokerConfigPath".to_owned() => "configBlackList",

        // ---- name server registration ----
        /// Interval of REGISTER_BROKER to every name server, ms (10000..=60000).
        register_name_server_period: i32 = 30_000 => "registerNameServerPeriod",
        /// Timeout of one REGISTER_BROKER call, ms.
        register_broker_timeout_mills: i32 = 24_000 => "registerBrokerTimeoutMills",
        /// Timeout of one light BROKER_HEARTBEAT, ms.
        send_heartbeat_timeout_millis: i32 = 1_000 => "sendHeartbeatTimeoutMillis",
        /// Interval of BROKER_HEARTBEAT (acting-master / controller mode), ms.
        broker_heartbeat_interval: i32 = 1_000 => "brokerHeartbeatInterval",
        /// After this long without heartbeat the name server deems the broker inactive, ms.
        broker_not_active_timeout_millis: i64 = 10_000 => "brokerNotActiveTimeoutMillis",
        /// Re-register even when nothing changed.
        force_register: bool = true => "forceRegister",
        /// Compress the REGISTER_BROKER body.
        compressed_register: bool = false => "compressedRegister",
        /// Split large topic registrations into several requests.
        enable_split_registration: bool = false => "enableSplitRegistration",
        /// Topics per registration request when splitting.
        split_registration_size: i32 = 800 => "splitRegistrationSize",
        /// Register a single topic on create/update instead of all.
        enable_single_topic_register: bool = false => "enableSingleTopicRegister",
        /// Fetch name server addresses from the address server (`rmqAddressServerDomain`).
        fetch_namesrv_addr_by_address_server: bool = false => "fetchNamesrvAddrByAddressServer",
        /// Interval of fetching name server addresses, ms.
        fetch_namesrv_addr_interval: i64 = 10_000 => "fetchNamesrvAddrInterval",
        /// Interval of refreshing name server addresses, ms.
        update_name_server_addr_period: i32 = 120_000 => "updateNameServerAddrPeriod",
        /// Keep registration compatible with 4.x name servers.
        compatible_with_old_name_srv: bool = true => "compatibleWithOldNameSrv",
        /// A slave serves lock/offset/timer duties while its master is down (5.x).
        enable_slave_acting_master: bool = false => "enableSlaveActingMaster",
        /// Interval of syncing the broker member group from the name server, ms.
        sync_broker_member_group_period: i32 = 1_000 => "syncBrokerMemberGroupPeriod",
        /// Start serving without the pre-online phase.
        skip_pre_online: bool = false => "skipPreOnline",

        // ---- topics and groups ----
        /// Broker permission bits: 2 write, 4 read (6 = read+write).
        broker_permission: i32 = 6 => "brokerPermission",
        /// Queues of topics auto-created from TBW102.
        default_topic_queue_nums: i32 = 8 => "defaultTopicQueueNums",
        /// Create unknown topics on first send (and create TBW102).
        auto_create_topic_enable: bool = true => "autoCreateTopicEnable",
        /// Create the `{clusterName}` topic.
        cluster_topic_enable: bool = true => "clusterTopicEnable",
        /// Create the `{brokerName}` topic.
        broker_topic_enable: bool = true => "brokerTopicEnable",
        /// Create unknown consumer groups on first use.
        auto_create_subscription_group: bool = true => "autoCreateSubscriptionGroup",
        /// Create the message trace topic on this broker.
        trace_topic_enable: bool = false => "traceTopicEnable",
        /// Name of the message trace topic.
        msg_trace_topic_name: String = "RMQ_SYS_TRACE_TOPIC".to_owned() => "msgTraceTopicName",
        /// Record broker-side traces.
        trace_on: bool = true => "traceOn",
        /// Refuse creating/updating topics with system names.
        validate_system_topic_when_update_topic: bool = true => "validateSystemTopicWhenUpdateTopic",
        /// Delete `%RETRY%` topics along with their group's topic.
        clear_retry_topic_when_delete_topic: bool = true => "clearRetryTopicWhenDeleteTopic",
        /// Allow messages of a type other than the topic's `message.type`.
        enable_mixed_message_type: bool = false => "enableMixedMessageType",
        /// Store request-reply messages.
        store_reply_message_enable: bool = true => "storeReplyMessageEnable",

        // ---- request thread pools ----
        /// Threads handling SEND_MESSAGE.
        send_message_thread_pool_nums: i32 = cpus().min(4) => "sendMessageThreadPoolNums",
        /// Threads completing asynchronous puts.
        put_message_future_thread_pool_nums: i32 = cpus().min(4) => "putMessageFutureThreadPoolNums",
        /// Threads handling PULL_MESSAGE.
        pull_message_thread_pool_nums: i32 = 16 + cpus() * 2 => "pullMessageThreadPoolNums",
        /// Threads handling lite-pull requests.
        lite_pull_message_thread_pool_nums: i32 = 16 + cpus() * 2 => "litePullMessageThreadPoolNums",
        /// Threads handling POP acks.
        ack_message_thread_pool_nums: i32 = 16 => "ackMessageThreadPoolNums",
        /// Threads handling request-reply messages.
        process_reply_message_thread_pool_nums: i32 = 16 + cpus() * 2 => "processReplyMessageThreadPoolNums",
        /// Threads handling QUERY_MESSAGE / VIEW_MESSAGE.
        query_message_thread_pool_nums: i32 = 8 + cpus() => "queryMessageThreadPoolNums",
        /// Threads handling admin requests.
        admin_broker_thread_pool_nums: i32 = 16 => "adminBrokerThreadPoolNums",
        /// Threads handling client heartbeats and unregistration.
        client_manage_thread_pool_nums: i32 = 32 => "clientManageThreadPoolNums",
        /// Threads handling consumer offset and group requests.
        consumer_manage_thread_pool_nums: i32 = 32 => "consumerManageThreadPoolNums",
        /// Threads handling queue assignment (5.x server-side rebalance).
        load_balance_processor_thread_pool_nums: i32 = 32 => "loadBalanceProcessorThreadPoolNums",
        /// Threads handling HEART_BEAT.
        heartbeat_thread_pool_nums: i32 = cpus().min(32) => "heartbeatThreadPoolNums",
        /// Threads handling END_TRANSACTION.
        end_transaction_thread_pool_nums: i32 = (8 + cpus() * 2).max(cpus().min(4) * 4) => "endTransactionThreadPoolNums",
        /// Queue capacity of the send pool.
        send_thread_pool_queue_capacity: i32 = 10_000 => "sendThreadPoolQueueCapacity",
        /// Queue capacity of the put-future pool.
        put_thread_pool_queue_capacity: i32 = 10_000 => "putThreadPoolQueueCapacity",
        /// Queue capacity of the pull pool.
        pull_thread_pool_queue_capacity: i32 = 100_000 => "pullThreadPoolQueueCapacity",
        /// Queue capacity of the lite-pull pool.
        lite_pull_thread_pool_queue_capacity: i32 = 100_000 => "litePullThreadPoolQueueCapacity",
        /// Queue capacity of the ack pool.
        ack_thread_pool_queue_capacity: i32 = 100_000 => "ackThreadPoolQueueCapacity",
        /// Queue capacity of the reply pool.
        reply_thread_pool_queue_capacity: i32 = 10_000 => "replyThreadPoolQueueCapacity",
        /// Queue capacity of the query pool.
        query_thread_pool_queue_capacity: i32 = 20_000 => "queryThreadPoolQueueCapacity",
        /// Queue capacity of the client-manage pool.
        client_manager_thread_pool_queue_capacity: i32 = 1_000_000 => "clientManagerThreadPoolQueueCapacity",
        /// Queue capacity of the consumer-manage pool.
        consumer_manager_thread_pool_queue_capacity: i32 = 1_000_000 => "consumerManagerThreadPoolQueueCapacity",
        /// Queue capacity of the heartbeat pool.
        heartbeat_thread_pool_queue_capacity: i32 = 50_000 => "heartbeatThreadPoolQueueCapacity",
        /// Queue capacity of the end-transaction pool.
        end_transaction_pool_queue_capacity: i32 = 100_000 => "endTransactionPoolQueueCapacity",
        /// Queue capacity of the admin pool.
        admin_broker_thread_pool_queue_capacity: i32 = 10_000 => "adminBrokerThreadPoolQueueCapacity",
        /// Queue capacity of the load-balance pool.
        load_balance_thread_pool_queue_capacity: i32 = 100_000 => "loadBalanceThreadPoolQueueCapacity",

        // ---- fast failure (SYSTEM_BUSY when requests wait too long) ----
        /// Reject requests that waited too long in a pool queue.
        broker_fast_failure_enable: bool = true => "brokerFastFailureEnable",
        /// Max queueing time of a send request, ms.
        wait_time_mills_in_send_queue: i64 = 200 => "waitTimeMillsInSendQueue",
        /// Max queueing time of a pull request, ms.
        wait_time_mills_in_pull_queue: i64 = 5_000 => "waitTimeMillsInPullQueue",
        /// Max queueing time of a lite-pull request, ms.
        wait_time_mills_in_lite_pull_queue: i64 = 5_000 => "waitTimeMillsInLitePullQueue",
        /// Max queueing time of a heartbeat, ms.
        wait_time_mills_in_heartbeat_queue: i64 = 31_000 => "waitTimeMillsInHeartbeatQueue",
        /// Max queueing time of an end-transaction request, ms.
        wait_time_mills_in_transaction_queue: i64 = 3_000 => "waitTimeMillsInTransactionQueue",
        /// Max queueing time of an ack request, ms.
        wait_time_mills_in_ack_queue: i64 = 3_000 => "waitTimeMillsInAckQueue",
        /// Max queueing time of an admin request, ms.
        wait_time_mills_in_admin_broker_queue: i64 = 5_000 => "waitTimeMillsInAdminBrokerQueue",
        /// Refuse sends before this epoch-ms timestamp.
        start_accept_send_request_time_stamp: i64 = 0 => "startAcceptSendRequestTimeStamp",

        // ---- consumer offsets and clients ----
        /// Interval of persisting consumerOffset.json, ms.
        flush_consumer_offset_interval: i32 = 5_000 => "flushConsumerOffsetInterval",
        /// Interval of logging consumer offset history, ms.
        flush_consumer_offset_history_interval: i32 = 60_000 => "flushConsumerOffsetHistoryInterval",
        /// Reset offsets on the broker for RESET_OFFSET requests.
        use_server_side_reset_offset: bool = true => "useServerSideResetOffset",
        /// Track broadcast consumers' offsets on the broker (5.x proxy).
        enable_broadcast_offset_store: bool = true => "enableBroadcastOffsetStore",
        /// Broadcast offsets idle this long are dropped, s.
        broadcast_offset_expire_second: i64 = 120 => "broadcastOffsetExpireSecond",
        /// Broadcast offsets are dropped after at most this long, s.
        broadcast_offset_expire_max_second: i64 = 300 => "broadcastOffsetExpireMaxSecond",
        /// A client connection without heartbeat for this long is dropped, ms.
        channel_expired_timeout: i64 = 120_000 => "channelExpiredTimeout",
        /// A subscription without heartbeat for this long is dropped, ms.
        subscription_expired_timeout: i64 = 600_000 => "subscriptionExpiredTimeout",
        /// Send NOTIFY_CONSUMER_IDS_CHANGED to group members on join/leave.
        notify_consumer_ids_changed_enable: bool = true => "notifyConsumerIdsChangedEnable",

        // ---- pull ----
        /// Hold pulls that find no message (long polling) instead of answering at once.
        long_polling_enable: bool = true => "longPollingEnable",
        /// Hold time of a pull when long polling is off, ms.
        short_polling_time_mills: i64 = 1_000 => "shortPollingTimeMills",
        /// Copy pulled messages through the heap instead of zero-copy.
        transfer_msg_by_heap: bool = true => "transferMsgByHeap",
        /// Let consumers read from a slave when the master's data is cold.
        slave_read_enable: bool = false => "slaveReadEnable",
        /// Stop a group that falls behind more than consumerFallbehindThreshold.
        disable_consume_if_consumer_read_slowly: bool = false => "disableConsumeIfConsumerReadSlowly",
        /// Lag in bytes past which a group counts as reading slowly.
        consumer_fallbehind_threshold: i64 = 16 * 1024 * 1024 * 1024 => "consumerFallbehindThreshold",
        /// Refuse PULL_MESSAGE from pull consumers.
        reject_pull_consumer_enable: bool = false => "rejectPullConsumerEnable",
        /// Serve lite-pull consumers.
        lite_pull_message_enable: bool = true => "litePullMessageEnable",

        // ---- filtering ----
        /// Allow SQL92 subscriptions (expressionType=SQL92).
        enable_property_filter: bool = false => "enablePropertyFilter",
        /// Compute the bloom bit map of SQL92 filters when building the consume queue.
        enable_calc_filter_bit_map: bool = false => "enableCalcFilterBitMap",
        /// Expected number of consumers using filters (bloom sizing).
        expect_consumer_num_use_filter: i32 = 32 => "expectConsumerNumUseFilter",
        /// Bloom filter error rate, percent 1..100.
        max_error_rate_of_bloom_filter: i32 = 20 => "maxErrorRateOfBloomFilter",
        /// Filter data of a dead consumer is kept this long, ms.
        filter_data_clean_time_span: i64 = 24 * 3600 * 1000 => "filterDataCleanTimeSpan",
        /// Apply SQL92 filters to retry messages too.
        filter_support_retry: bool = false => "filterSupportRetry",

        // ---- POP consumption (5.x) ----
        /// Pending POP requests held per queue.
        pop_polling_size: i32 = 1024 => "popPollingSize",
        /// Queues with pending POP requests.
        pop_polling_map_size: i32 = 100_000 => "popPollingMapSize",
        /// Pending POP requests held in total.
        max_pop_polling_size: i64 = 100_000 => "maxPopPollingSize",
        /// Queues of the revive topic `rmq_sys_REVIVE_LOG_{cluster}`.
        revive_queue_num: i32 = 8 => "reviveQueueNum",
        /// Interval of the revive scan, ms.
        revive_interval: i64 = 1_000 => "reviveInterval",
        /// How far (in revive intervals) revive may lag.
        revive_max_slow: i64 = 3 => "reviveMaxSlow",
        /// Time budget of one revive scan, ms.
        revive_scan_time: i64 = 10_000 => "reviveScanTime",
        /// Log POP checkpoints and acks.
        enable_pop_log: bool = false => "enablePopLog",
        /// Merge checkpoints and acks in memory before storing.
        enable_pop_buffer_merge: bool = false => "enablePopBufferMerge",
        /// How long a checkpoint stays in the merge buffer, ms.
        pop_ck_stay_buffer_time: i32 = 10_000 => "popCkStayBufferTime",
        /// Max checkpoints in the merge buffer.
        pop_ck_max_buffer_size: i32 = 200_000 => "popCkMaxBufferSize",
        /// Accept BATCH_ACK_MESSAGE.
        enable_pop_batch_ack: bool = false => "enablePopBatchAck",
        /// Name retry topics `%RETRY%{group}+{topic}` (v2) for POP.
        enable_retry_topic_v2: bool = false => "enableRetryTopicV2",
        /// Also read the v1 POP retry topic.
        retrieve_message_from_pop_retry_topic_v1: bool = true => "retrieveMessageFromPopRetryTopicV1",
        /// Percent of POPs served from the retry topic first.
        pop_from_retry_probability: i32 = 20 => "popFromRetryProbability",
        /// POP responses name the real retry topic.
        pop_response_return_actual_retry_topic: bool = false => "popResponseReturnActualRetryTopic",
        /// Clients sharing a queue in POP mode by default (-1 = all).
        default_pop_share_queue_num: i32 = -1 => "defaultPopShareQueueNum",
        /// Serve QUERY_ASSIGNMENT (server-side rebalance).
        server_load_balancer_enable: bool = true => "serverLoadBalancerEnable",
        /// Interval of refreshing routes for server-side rebalance, ms.
        load_balance_poll_name_server_interval: i64 = 30_000 => "loadBalancePollNameServerInterval",
        /// Interval of forgetting offline brokers, ms.
        clean_offline_broker_interval: i32 = 30_000 => "cleanOfflineBrokerInterval",

        // ---- transactions ----
        /// Refuse half (prepared) messages.
        reject_transaction_message: bool = false => "rejectTransactionMessage",
        /// Age after which a half message is checked, ms.
        transaction_time_out: i64 = 6_000 => "transactionTimeOut",
        /// Checks before a half message is given up (moved to TRANS_CHECK_MAX_TIME_TOPIC).
        transaction_check_max: i32 = 15 => "transactionCheckMax",
        /// Interval of the half-message check scan, ms.
        transaction_check_interval: i64 = 30_000 => "transactionCheckInterval",
        /// Max body bytes of one batched op message.
        transaction_op_msg_max_size: i32 = 4096 => "transactionOpMsgMaxSize",
        /// Interval of flushing batched op messages, ms.
        transaction_op_batch_interval: i32 = 3_000 => "transactionOpBatchInterval",

        // ---- access control ----
        /// Plain ACL 1.0 (plain_acl.yml).
        acl_enable: bool = false => "aclEnable",

        // ---- controller mode (5.x, RIP-44) ----
        /// Let a controller elect the master and assign broker ids.
        enable_controller_mode: bool = false => "enableControllerMode",
        /// Controller addresses, `host:port;host:port`.
        controller_addr: String = String::new() => "controllerAddr",
        /// Resolve controllerAddr through DNS.
        fetch_controller_addr_by_dns_lookup: bool = false => "fetchControllerAddrByDnsLookup",
        /// Interval of syncing broker metadata from the controller, ms.
        sync_broker_metadata_period: i64 = 5_000 => "syncBrokerMetadataPeriod",
        /// Interval of checking the SyncStateSet, ms.
        check_sync_state_set_period: i64 = 5_000 => "checkSyncStateSetPeriod",
        /// Interval of syncing controller metadata, ms.
        sync_controller_metadata_period: i64 = 10_000 => "syncControllerMetadataPeriod",
        /// The controller deems the broker dead after this long without heartbeat, ms.
        controller_heart_beat_timeout_mills: i64 = 10_000 => "controllerHeartBeatTimeoutMills",
        /// Election priority; lower is preferred as master.
        broker_election_priority: i32 = i32::MAX => "brokerElectionPriority",
        /// Lock queues on a quorum of replicas instead of one.
        lock_in_strict_mode: bool = false => "lockInStrictMode",

        // ---- misc ----
        /// Log to a per-broker directory when several brokers share a machine.
        isolate_log_enable: bool = false => "isolateLogEnable",
        /// Timeout of requests forwarded to other brokers, ms.
        forward_timeout: i64 = 3_000 => "forwardTimeout",
        /// Handle sends asynchronously.
        async_send_enable: bool = true => "asyncSendEnable",
        /// Keep per-topic/group statistics.
        enable_detail_stat: bool = true => "enableDetailStat",
        /// Drop statistics of deleted topics and groups.
        auto_delete_unused_stats: bool = true => "autoDeleteUnusedStats",
        /// Estimate tag-filtered lag instead of counting.
        estimate_accumulation: bool = true => "estimateAccumulation",
        /// Accept RECALL_MESSAGE (5.3+).
        recall_message_enable: bool = false => "recallMessageEnable",
        /// Accept RECALL_MESSAGE while the broker takes no writes (`brokerPermission`).
        allow_recall_when_broker_not_writeable: bool = true => "allowRecallWhenBrokerNotWriteable",
        /// Metrics exporter: DISABLE, OTLP_GRPC, PROM or LOG.
        metrics_exporter_type: String = "DISABLE".to_owned() => "metricsExporterType",
        /// Port of the Prometheus endpoint.
        metrics_prom_exporter_port: u16 = 5557 => "metricsPromExporterPort",
        /// Host of the Prometheus endpoint (empty = all).
        metrics_prom_exporter_host: String = String::new() => "metricsPromExporterHost",
        /// Extra metric labels, `k:v,k:v`.
        metrics_label: String = String::new() => "metricsLabel",

        // ---- the gRPC proxy inside the broker (FerroMQ: Java runs it as `mqproxy -pm local`) ----
        /// Serve the 5.x gRPC MessagingService in this process (LOCAL mode).
        enable_grpc_server: bool = true => "enableGrpcServer",
        /// The gRPC port (Java proxy's `grpcServerPort`); 0 disables the server too.
        grpc_server_port: u16 = 8081 => "grpcServerPort",
    }
}
