//! RocketMQ's well-known topic, group and namespace names, and the helpers built on them.

/// Template topic for auto-created topics (`AUTO_CREATE_TOPIC_KEY_TOPIC`); exists with perm 7
/// when `autoCreateTopicEnable` is on.
pub const AUTO_CREATE_TOPIC_KEY_TOPIC: &str = "TBW102";
/// Delay-level messages wait here, one queue per level.
pub const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";
/// Created by the broker for the benchmark tool.
pub const BENCHMARK_TOPIC: &str = "BenchmarkTest";
/// Transactional half messages.
pub const TRANS_HALF_TOPIC: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
/// Commit/rollback markers for half messages.
pub const TRANS_OP_HALF_TOPIC: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
/// Half messages that exhausted their state checks.
pub const TRANS_CHECK_MAX_TIME_TOPIC: &str = "TRANS_CHECK_MAX_TIME_TOPIC";
/// Default message-trace topic.
pub const TRACE_TOPIC: &str = "RMQ_SYS_TRACE_TOPIC";
/// Broker self-test topic.
pub const SELF_TEST_TOPIC: &str = "SELF_TEST_TOPIC";
/// Offset-moved events.
pub const OFFSET_MOVED_EVENT: &str = "OFFSET_MOVED_EVENT";
/// RocksDB offset checkpoint topic (5.x).
pub const ROCKSDB_OFFSET_TOPIC: &str = "CHECKPOINT_TOPIC";
/// 5.x timer (arbitrary delay) messages wait here.
pub const TIMER_TOPIC: &str = "rmq_sys_wheel_timer";
/// Prefix of every 5.x system topic.
pub const SYSTEM_TOPIC_PREFIX: &str = "rmq_sys_";
/// Pop check-point/ack log: `rmq_sys_REVIVE_LOG_{cluster}`.
pub const REVIVE_TOPIC_PREFIX: &str = "rmq_sys_REVIVE_LOG_";
/// Broker member sync topic: `rmq_sys_SYNC_BROKER_MEMBER_{brokerName}`.
pub const SYNC_BROKER_MEMBER_TOPIC_PREFIX: &str = "rmq_sys_SYNC_BROKER_MEMBER_";
/// Suffix of the request-reply topic: `{cluster}_REPLY_TOPIC`.
pub const REPLY_TOPIC_POSTFIX: &str = "REPLY_TOPIC";

/// Retry topic prefix: `%RETRY%{group}`.
pub const RETRY_GROUP_TOPIC_PREFIX: &str = "%RETRY%";
/// Dead-letter topic prefix: `%DLQ%{group}`.
pub const DLQ_GROUP_TOPIC_PREFIX: &str = "%DLQ%";
/// Light message queue prefix.
pub const LMQ_PREFIX: &str = "%LMQ%";

/// Producer group used when none is given.
pub const DEFAULT_PRODUCER_GROUP: &str = "DEFAULT_PRODUCER";
/// Consumer group used when none is given.
pub const DEFAULT_CONSUMER_GROUP: &str = "DEFAULT_CONSUMER";
/// Group of the admin tools' consumer.
pub const TOOLS_CONSUMER_GROUP: &str = "TOOLS_CONSUMER";
/// Group of the delay-level scheduler.
pub const SCHEDULE_CONSUMER_GROUP: &str = "SCHEDULE_CONSUMER";
/// Group of the (removed) filter server.
pub const FILTERSRV_CONSUMER_GROUP: &str = "FILTERSRV_CONSUMER";
/// Group of the monitor consumer.
pub const MONITOR_CONSUMER_GROUP: &str = "__MONITOR_CONSUMER";
/// Producer group every Java client registers for send-back and replies.
pub const CLIENT_INNER_PRODUCER_GROUP: &str = "CLIENT_INNER_PRODUCER";
/// Self-test producer group.
pub const SELF_TEST_PRODUCER_GROUP: &str = "SELF_TEST_P_GROUP";
/// Self-test consumer group.
pub const SELF_TEST_CONSUMER_GROUP: &str = "SELF_TEST_C_GROUP";
/// ONS HTTP proxy group.
pub const ONS_HTTP_PROXY_GROUP: &str = "CID_ONS-HTTP-PROXY";
/// ONS API permission group.
pub const CID_ONSAPI_PERMISSION_GROUP: &str = "CID_ONSAPI_PERMISSION";
/// ONS API owner group.
pub const CID_ONSAPI_OWNER_GROUP: &str = "CID_ONSAPI_OWNER";
/// ONS API pull group.
pub const CID_ONSAPI_PULL_GROUP: &str = "CID_ONSAPI_PULL";
/// Prefix of system consumer groups.
pub const CID_RMQ_SYS_PREFIX: &str = "CID_RMQ_SYS_";
/// Group the transaction checker reads op messages with.
pub const CID_SYS_RMQ_TRANS: &str = "CID_RMQ_SYS_TRANS";

/// KV-config namespace holding `orderTopicConf` per topic (`brokerA:4;brokerB:4`).
pub const NAMESPACE_ORDER_TOPIC_CONFIG: &str = "ORDER_TOPIC_CONFIG";
/// Scope of a static topic's queue mapping when none is set.
pub const METADATA_SCOPE_GLOBAL: &str = "__global__";
/// Broker id of a master.
pub const MASTER_ID: i64 = 0;

/// Topics the broker treats as its own (`TopicValidator.SYSTEM_TOPIC_SET`).
pub const SYSTEM_TOPICS: &[&str] = &[
    AUTO_CREATE_TOPIC_KEY_TOPIC,
    SCHEDULE_TOPIC,
    BENCHMARK_TOPIC,
    TRANS_HALF_TOPIC,
    TRACE_TOPIC,
    TRANS_OP_HALF_TOPIC,
    TRANS_CHECK_MAX_TIME_TOPIC,
    SELF_TEST_TOPIC,
    OFFSET_MOVED_EVENT,
    ROCKSDB_OFFSET_TOPIC,
];

/// Topics a client may not send to; the broker answers `NO_PERMISSION`.
pub const NOT_ALLOWED_SEND_TOPICS: &[&str] = &[
    SCHEDULE_TOPIC,
    TRANS_HALF_TOPIC,
    TRANS_OP_HALF_TOPIC,
    TRANS_CHECK_MAX_TIME_TOPIC,
    SELF_TEST_TOPIC,
    OFFSET_MOVED_EVENT,
];

/// Groups RocketMQ itself defines (`MixAll.PREDEFINE_GROUP_SET`).
pub const PREDEFINED_GROUPS: &[&str] = &[
    DEFAULT_CONSUMER_GROUP,
    DEFAULT_PRODUCER_GROUP,
    TOOLS_CONSUMER_GROUP,
    SCHEDULE_CONSUMER_GROUP,
    FILTERSRV_CONSUMER_GROUP,
    MONITOR_CONSUMER_GROUP,
    CLIENT_INNER_PRODUCER_GROUP,
    SELF_TEST_PRODUCER_GROUP,
    SELF_TEST_CONSUMER_GROUP,
    ONS_HTTP_PROXY_GROUP,
    CID_ONSAPI_PERMISSION_GROUP,
    CID_ONSAPI_OWNER_GROUP,
    CID_ONSAPI_PULL_GROUP,
    CID_SYS_RMQ_TRANS,
];

/// `%RETRY%{group}`.
pub fn retry_topic(group: &str) -> String {
    format!("{RETRY_GROUP_TOPIC_PREFIX}{group}")
}

/// `%DLQ%{group}`.
pub fn dlq_topic(group: &str) -> String {
    format!("{DLQ_GROUP_TOPIC_PREFIX}{group}")
}

/// `{cluster}_REPLY_TOPIC`.
pub fn reply_topic(cluster: &str) -> String {
    format!("{cluster}_{REPLY_TOPIC_POSTFIX}")
}

/// `rmq_sys_REVIVE_LOG_{cluster}`.
pub fn revive_topic(cluster: &str) -> String {
    format!("{REVIVE_TOPIC_PREFIX}{cluster}")
}

/// Whether `topic` is a retry topic.
pub fn is_retry_topic(topic: &str) -> bool {
    topic.starts_with(RETRY_GROUP_TOPIC_PREFIX)
}

/// Whether `topic` is a dead-letter topic.
pub fn is_dlq_topic(topic: &str) -> bool {
    topic.starts_with(DLQ_GROUP_TOPIC_PREFIX)
}

/// Whether `topic` is one of the broker's own topics (listed, or `rmq_sys_` prefixed).
pub fn is_sys_topic(topic: &str) -> bool {
    SYSTEM_TOPICS.contains(&topic) || topic.starts_with(SYSTEM_TOPIC_PREFIX)
}

/// Whether clients are forbidden to send to `topic` (Java's `NOT_ALLOWED_SEND_TOPIC_SET`).
pub fn is_not_allowed_send_topic(topic: &str) -> bool {
    NOT_ALLOWED_SEND_TOPICS.contains(&topic)
}

/// Whether a client's SEND may target `topic`. Stricter than Java's set: every `rmq_sys_`
/// topic (the timer wheel, POP revive logs, member sync) and the RocksDB offset checkpoint
/// topic are the broker's own too. A message stored in `rmq_sys_wheel_timer` with
/// `REAL_TOPIC`/`REAL_QID` would otherwise be re-put by the timer into any topic and queue.
/// The trace topic, `BenchmarkTest` and `TBW102` stay writable as in Java.
pub fn is_client_writable(topic: &str) -> bool {
    !is_not_allowed_send_topic(topic)
        && topic != ROCKSDB_OFFSET_TOPIC
        && !topic.starts_with(SYSTEM_TOPIC_PREFIX)
}

/// Whether `group` is a system consumer group (`CID_RMQ_SYS_` prefixed).
pub fn is_sys_consumer_group(group: &str) -> bool {
    group.starts_with(CID_RMQ_SYS_PREFIX)
}

/// Whether `group` is one of RocketMQ's predefined groups.
pub fn is_predefined_group(group: &str) -> bool {
    PREDEFINED_GROUPS.contains(&group)
}

/// Whether `topic` is a light message queue.
pub fn is_lmq(topic: &str) -> bool {
    topic.starts_with(LMQ_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_and_dlq_names() {
        assert_eq!(retry_topic("cg"), "%RETRY%cg");
        assert_eq!(dlq_topic("cg"), "%DLQ%cg");
        assert!(is_retry_topic(&retry_topic("cg")));
        assert!(is_dlq_topic(&dlq_topic("cg")));
        assert!(!is_retry_topic("cg"));
        assert_eq!(reply_topic("DefaultCluster"), "DefaultCluster_REPLY_TOPIC");
        assert_eq!(revive_topic("c1"), "rmq_sys_REVIVE_LOG_c1");
    }

    #[test]
    fn system_topics_and_groups() {
        assert!(is_sys_topic("TBW102"));
        assert!(is_sys_topic(TIMER_TOPIC));
        assert!(is_sys_topic("rmq_sys_anything"));
        assert!(!is_sys_topic("TopicTest"));
        assert!(is_not_allowed_send_topic("SCHEDULE_TOPIC_XXXX"));
        assert!(!is_not_allowed_send_topic("TBW102"));
        assert!(is_sys_consumer_group("CID_RMQ_SYS_TRANS"));
        assert!(is_predefined_group("CLIENT_INNER_PRODUCER"));
        assert!(!is_client_writable(TIMER_TOPIC));
        assert!(!is_client_writable("rmq_sys_REVIVE_LOG_c"));
        assert!(!is_client_writable(SCHEDULE_TOPIC));
        assert!(!is_client_writable(ROCKSDB_OFFSET_TOPIC));
        assert!(is_client_writable(TRACE_TOPIC));
        assert!(is_client_writable("%RETRY%cg"));
        assert!(is_client_writable("TopicTest"));
        assert!(!is_predefined_group("my_group"));
    }
}
