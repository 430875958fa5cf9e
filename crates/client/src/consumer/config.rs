//! Consumer settings (Java's `DefaultMQPushConsumer` / `DefaultLitePullConsumer` fields), with
//! Java's defaults.

use std::path::PathBuf;
use std::time::Duration;

use ferromq_model::{ConsumeFromWhere, MessageModel};

use crate::config::ClientConfig;
use crate::consumer::allocate::AllocateStrategy;
use crate::consumer::offset_store::default_local_offset_dir;
use crate::consumer::process_queue::FlowLimits;

/// How a push consumer consumes.
#[derive(Debug, Clone)]
pub struct PushConsumerConfig {
    /// Consumer group.
    pub group: String,
    /// Connection settings.
    pub client: ClientConfig,
    /// Clustering (each message to one client of the group) or broadcasting (to all).
    pub message_model: MessageModel,
    /// Where a group without a stored offset starts.
    pub consume_from_where: ConsumeFromWhere,
    /// Start time (epoch ms) for `ConsumeFromTimestamp`; default: half an hour ago.
    pub consume_timestamp: Option<i64>,
    /// Queue allocation among the group's clients.
    pub allocate: AllocateStrategy,
    /// Consume threads, hence listener calls running at once (`consumeThreadMin` /
    /// `consumeThreadMax`, 20). The threads live as long as the consumer.
    pub consume_concurrency: usize,
    /// Messages per listener call (`consumeMessageBatchMaxSize`, 1).
    pub consume_batch_max_size: usize,
    /// Messages per pull (`pullBatchSize`, 32).
    pub pull_batch_size: i32,
    /// Bytes per pull (`pullBatchSizeInBytes`, 256 KiB).
    pub pull_batch_size_bytes: i32,
    /// Pause between pulls of one queue (`pullInterval`, 0).
    pub pull_interval: Duration,
    /// Cache limits per queue.
    pub flow: FlowLimits,
    /// Redeliveries before the dead-letter queue; `None` = 16 for concurrent listeners,
    /// unlimited local retries for orderly ones.
    pub max_reconsume_times: Option<i32>,
    /// Pause of an orderly queue after `SuspendCurrentQueueAMoment` (1 s).
    pub suspend_current_queue_time: Duration,
    /// Send the subscription expression with every pull (`postSubscriptionWhenPull`, false).
    pub post_subscription_when_pull: bool,
    /// Broker-side long-poll hold (15 s).
    pub broker_suspend_max: Duration,
    /// Client timeout of a long-polling pull (30 s).
    pub pull_timeout: Duration,
    /// Rebalance period (`rocketmq.client.rebalance.waitInterval`, 20 s).
    pub rebalance_interval: Duration,
    /// Orderly lock renewal period (`rocketmq.client.rebalance.lockInterval`, 20 s).
    pub lock_interval: Duration,
    /// Directory of broadcasting offset files (`~/.rocketmq_offsets`).
    pub offset_store_dir: PathBuf,
}

impl PushConsumerConfig {
    /// Settings for `group` against the NameServers `namesrv`.
    pub fn new(group: impl Into<String>, namesrv: &str) -> Self {
        PushConsumerConfig {
            group: group.into(),
            client: ClientConfig::new(namesrv),
            message_model: MessageModel::Clustering,
            consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
            consume_timestamp: None,
            allocate: AllocateStrategy::Averagely,
            consume_concurrency: 20,
            consume_batch_max_size: 1,
            pull_batch_size: 32,
            pull_batch_size_bytes: 256 * 1024,
            pull_interval: Duration::ZERO,
            flow: FlowLimits::default(),
            max_reconsume_times: None,
            suspend_current_queue_time: Duration::from_secs(1),
            post_subscription_when_pull: false,
            broker_suspend_max: Duration::from_secs(15),
            pull_timeout: Duration::from_secs(30),
            rebalance_interval: Duration::from_secs(20),
            lock_interval: Duration::from_secs(20),
            offset_store_dir: default_local_offset_dir(),
        }
    }
}

/// How a lite pull consumer pulls.
#[derive(Debug, Clone)]
pub struct LitePullConsumerConfig {
    /// Consumer group.
    pub group: String,
    /// Connection settings.
    pub client: ClientConfig,
    /// Clustering or broadcasting (subscribe mode).
    pub message_model: MessageModel,
    /// Where a group without a stored offset starts.
    pub consume_from_where: ConsumeFromWhere,
    /// Start time (epoch ms) for `ConsumeFromTimestamp`; default: half an hour ago.
    pub consume_timestamp: Option<i64>,
    /// Queue allocation (subscribe mode).
    pub allocate: AllocateStrategy,
    /// Commit polled offsets automatically (true).
    pub auto_commit: bool,
    /// Auto-commit period (5 s, at least 1 s).
    pub auto_commit_interval: Duration,
    /// Messages per pull (`pullBatchSize`, 10).
    pub pull_batch_size: i32,
    /// Messages buffered for `poll` over all queues (`pullThresholdForAll`, 10000).
    pub pull_threshold_for_all: u64,
    /// Cache limits per queue.
    pub flow: FlowLimits,
    /// Default `poll` timeout (5 s).
    pub poll_timeout: Duration,
    /// Broker-side long-poll hold (20 s).
    pub broker_suspend_max: Duration,
    /// Client timeout of a long-polling pull (30 s).
    pub pull_timeout: Duration,
    /// Rebalance period (20 s).
    pub rebalance_interval: Duration,
    /// Directory of broadcasting offset files.
    pub offset_store_dir: PathBuf,
}

impl LitePullConsumerConfig {
    /// Settings for `group` against the NameServers `namesrv`.
    pub fn new(group: impl Into<String>, namesrv: &str) -> Self {
        LitePullConsumerConfig {
            group: group.into(),
            client: ClientConfig::new(namesrv),
            message_model: MessageModel::Clustering,
            consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
            consume_timestamp: None,
            allocate: AllocateStrategy::Averagely,
            auto_commit: true,
            auto_commit_interval: Duration::from_secs(5),
            pull_batch_size: 10,
            pull_threshold_for_all: 10_000,
            flow: FlowLimits::default(),
            poll_timeout: Duration::from_secs(5),
            broker_suspend_max: Duration::from_secs(20),
            pull_timeout: Duration::from_secs(30),
            rebalance_interval: Duration::from_secs(20),
            offset_store_dir: default_local_offset_dir(),
        }
    }
}
