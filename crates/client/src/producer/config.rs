//! Producer settings (Java's `DefaultMQProducer` fields), with Java's defaults.

use std::time::Duration;

use ferromq_model::names::AUTO_CREATE_TOPIC_KEY_TOPIC;
use ferromq_protocol::response_code;

use crate::config::ClientConfig;
use crate::message::CompressionConfig;

/// How a producer sends.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// Producer group.
    pub group: String,
    /// Connection settings.
    pub client: ClientConfig,
    /// Timeout of a whole send, retries included (`sendMsgTimeout`, 3 s).
    pub send_timeout: Duration,
    /// Extra attempts of a sync send on another broker (`retryTimesWhenSendFailed`, 2).
    pub retry_times_when_send_failed: usize,
    /// Extra attempts of an async send (`retryTimesWhenSendAsyncFailed`, 2).
    pub retry_times_when_send_async_failed: usize,
    /// Also retry when the broker stored the message but reported a flush/slave problem.
    pub retry_another_broker_when_not_store_ok: bool,
    /// Broker codes that make a send try another broker (`retryResponseCodes`).
    pub retry_response_codes: Vec<i32>,
    /// Body compression.
    pub compression: CompressionConfig,
    /// Largest body accepted (`maxMessageSize`, 4 MiB).
    pub max_message_size: usize,
    /// Template topic for auto-creation (`createTopicKey`, `TBW102`).
    pub create_topic_key: String,
    /// Queues per broker of an auto-created topic (`defaultTopicQueueNums`, 4).
    pub default_topic_queue_nums: i32,
    /// Avoid brokers that were slow or failed recently (Java `sendLatencyFaultEnable`; on by
    /// default here, off by default in Java 5.x).
    pub send_latency_fault_enable: bool,
}

impl ProducerConfig {
    /// Settings for `group` against the NameServers `namesrv` (`a:9876;b:9876`).
    pub fn new(group: impl Into<String>, namesrv: &str) -> Self {
        ProducerConfig {
            group: group.into(),
            client: ClientConfig::new(namesrv),
            send_timeout: Duration::from_secs(3),
            retry_times_when_send_failed: 2,
            retry_times_when_send_async_failed: 2,
            retry_another_broker_when_not_store_ok: false,
            retry_response_codes: vec![
                response_code::TOPIC_NOT_EXIST,
                response_code::SERVICE_NOT_AVAILABLE,
                response_code::SYSTEM_ERROR,
                response_code::SYSTEM_BUSY,
                response_code::NO_PERMISSION,
                response_code::NO_BUYER_ID,
                response_code::NOT_IN_CURRENT_UNIT,
                response_code::GO_AWAY,
            ],
            compression: CompressionConfig::default(),
            max_message_size: 4 * 1024 * 1024,
            create_topic_key: AUTO_CREATE_TOPIC_KEY_TOPIC.to_string(),
            default_topic_queue_nums: 4,
            send_latency_fault_enable: true,
        }
    }
}
