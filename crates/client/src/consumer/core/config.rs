//! The settings the core needs, taken from either public consumer config: the public configs
//! keep their flat, Java-named fields; the core reads one shape.

use std::time::Duration;

use ferromq_model::{ConsumeFromWhere, ConsumeType, MessageModel};

use crate::config::ClientConfig;
use crate::consumer::allocate::AllocateStrategy;
use crate::consumer::config::{LitePullConsumerConfig, PushConsumerConfig};
use ferromq_protocol::time::now_ms as now_millis;

/// How far back `ConsumeFromTimestamp` starts by default (Java: half an hour).
const DEFAULT_CONSUME_BACK: i64 = 30 * 60 * 1000;

/// Settings common to push and lite pull consumers.
#[derive(Debug, Clone)]
pub(crate) struct CoreConfig {
    pub(crate) group: String,
    pub(crate) client: ClientConfig,
    pub(crate) message_model: MessageModel,
    pub(crate) consume_from_where: ConsumeFromWhere,
    /// Start time (epoch ms) for `ConsumeFromTimestamp`, resolved at construction.
    pub(crate) consume_timestamp: i64,
    pub(crate) allocate: AllocateStrategy,
    pub(crate) rebalance_interval: Duration,
    /// Push (`ConsumePassively`) or lite pull (`ConsumeActively`): announced in heartbeats,
    /// and where Java's rebalance and pull handling differ between the two.
    pub(crate) consume_type: ConsumeType,
    pub(crate) pull: PullSettings,
}

/// How each pull request is made.
#[derive(Debug, Clone)]
pub(crate) struct PullSettings {
    /// Messages per pull.
    pub(crate) batch_size: i32,
    /// Bytes per pull, when the request carries a limit (push).
    pub(crate) batch_bytes: Option<i32>,
    /// Send the subscription expression with every pull.
    pub(crate) post_subscription: bool,
    /// Broker-side long-poll hold.
    pub(crate) broker_suspend: Duration,
    /// Client timeout of a pull.
    pub(crate) timeout: Duration,
    /// LITE_PULL_MESSAGE instead of PULL_MESSAGE.
    pub(crate) lite: bool,
    /// Pause between pulls of one queue that found messages.
    pub(crate) interval: Duration,
}

fn consume_timestamp(configured: Option<i64>) -> i64 {
    configured.unwrap_or_else(|| now_millis() - DEFAULT_CONSUME_BACK)
}

impl From<&PushConsumerConfig> for CoreConfig {
    fn from(c: &PushConsumerConfig) -> Self {
        CoreConfig {
            group: c.group.clone(),
            client: c.client.clone(),
            message_model: c.message_model,
            consume_from_where: c.consume_from_where,
            consume_timestamp: consume_timestamp(c.consume_timestamp),
            allocate: c.allocate.clone(),
            rebalance_interval: c.rebalance_interval,
            consume_type: ConsumeType::ConsumePassively,
            pull: PullSettings {
                batch_size: c.pull_batch_size,
                batch_bytes: Some(c.pull_batch_size_bytes),
                post_subscription: c.post_subscription_when_pull,
                broker_suspend: c.broker_suspend_max,
                timeout: c.pull_timeout,
                lite: false,
                interval: c.pull_interval,
            },
        }
    }
}

impl From<&LitePullConsumerConfig> for CoreConfig {
    fn from(c: &LitePullConsumerConfig) -> Self {
        CoreConfig {
            group: c.group.clone(),
            client: c.client.clone(),
            message_model: c.message_model,
            consume_from_where: c.consume_from_where,
            consume_timestamp: consume_timestamp(c.consume_timestamp),
            allocate: c.allocate.clone(),
            rebalance_interval: c.rebalance_interval,
            consume_type: ConsumeType::ConsumeActively,
            pull: PullSettings {
                batch_size: c.pull_batch_size,
                batch_bytes: None,
                post_subscription: true,
                broker_suspend: c.broker_suspend_max,
                timeout: c.pull_timeout,
                lite: true,
                interval: Duration::ZERO,
            },
        }
    }
}
