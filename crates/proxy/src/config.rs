//! How a proxy runs: where it listens, which NameServers it asks, and whether it sits inside a
//! broker (LOCAL) or in front of a cluster (CLUSTER).

use std::net::SocketAddr;
use std::time::Duration;

/// A proxy's settings (Java's `ProxyConfig`, the keys of `rmq-proxy.json` where they exist).
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// `grpcServerPort` (default 8081) with the address to bind.
    pub grpc_listen: SocketAddr,
    /// `namesrvAddr`: where routes come from.
    pub namesrv_addrs: Vec<String>,
    /// `rocketMQClusterName`.
    pub cluster_name: String,
    /// Timeout of a remoting call to a broker.
    pub broker_timeout: Duration,
    /// Java's proxy default invisible duration for a receive without one (60 s).
    pub default_invisible_time: Duration,
    /// The shortest invisible duration accepted (10 s).
    pub min_invisible_time: Duration,
    /// The longest invisible duration accepted (12 h).
    pub max_invisible_time: Duration,
    /// The largest message body accepted (4 MiB).
    pub max_message_size: usize,
    /// The largest gRPC frame accepted (130 MiB).
    pub max_inbound_message_size: usize,
    /// `enableTopicMessageTypeCheck`: a message's type must match its topic's `message.type`.
    pub enable_topic_message_type_check: bool,
    /// `enableMessageBodyEmptyCheck`: refuse empty bodies.
    pub enable_message_body_empty_check: bool,
    /// `maxUserPropertySize`: user properties, tag and keys together (16 KiB).
    pub max_user_property_size: usize,
    /// `userPropertyMaxNum` (128).
    pub user_property_max_num: usize,
    /// `maxMessageGroupSize`: a message group's UTF-8 bytes must stay below this (64).
    pub max_message_group_size: usize,
    /// `maxDelayTimeMills`: how far ahead a delivery timestamp may be (1 day).
    pub max_delay_time: Duration,
    /// `maxTransactionRecoverySecond` (1 h).
    pub max_transaction_recovery: Duration,
    /// `grpcClientProducerMaxAttempts`, `...BackoffInitialMillis`, `...BackoffMaxMillis`,
    /// `...BackoffMultiplier`: the retry policy producers are told (3, 10 ms, 1 s, 2).
    pub producer_max_attempts: i32,
    pub producer_backoff_initial: Duration,
    pub producer_backoff_max: Duration,
    pub producer_backoff_multiplier: f32,
    /// `grpcClientConsumerLongPollingBatchSize` (32).
    pub consumer_receive_batch_size: i32,
    /// `grpcClientConsumerMaxLongPollingTimeoutMillis` (20 s).
    pub consumer_long_polling_timeout: Duration,
    /// `grpcClientIdleTimeMills`: a session silent this long is dropped (120 s).
    pub client_idle_time: Duration,
    /// How many gRPC clients one proxy keeps sessions for.
    pub max_clients: usize,
    /// `transactionDataExpireMillis`: how long a half message's offsets are kept for its
    /// EndTransaction (30 s; a check-back records them again).
    pub transaction_data_expire: Duration,
    /// `authenticationEnabled`: check callers' signatures (CLUSTER mode reads the users from
    /// the brokers with the inner credentials).
    pub authentication_enabled: bool,
    /// `innerClientAuthenticationCredentials` (`{"accessKey":..,"secretKey":..}`): the
    /// proxy's own credentials towards the brokers.
    pub inner_credentials: Option<(String, String)>,
}

impl ProxyConfig {
    /// Java's defaults, listening on `grpc_listen` and asking `namesrv_addrs`.
    pub fn new(grpc_listen: SocketAddr, namesrv_addrs: Vec<String>) -> Self {
        ProxyConfig {
            grpc_listen,
            namesrv_addrs,
            cluster_name: "DefaultCluster".into(),
            broker_timeout: Duration::from_secs(3),
            default_invisible_time: Duration::from_secs(60),
            min_invisible_time: Duration::from_secs(10),
            max_invisible_time: Duration::from_secs(12 * 3600),
            max_message_size: 4 * 1024 * 1024,
            max_inbound_message_size: 130 * 1024 * 1024,
            enable_topic_message_type_check: true,
            enable_message_body_empty_check: true,
            max_user_property_size: 16 * 1024,
            user_property_max_num: 128,
            max_message_group_size: 64,
            max_delay_time: Duration::from_secs(24 * 3600),
            max_transaction_recovery: Duration::from_secs(3600),
            producer_max_attempts: 3,
            producer_backoff_initial: Duration::from_millis(10),
            producer_backoff_max: Duration::from_millis(1000),
            producer_backoff_multiplier: 2.0,
            consumer_receive_batch_size: 32,
            consumer_long_polling_timeout: Duration::from_secs(20),
            client_idle_time: Duration::from_secs(120),
            max_clients: 100_000,
            transaction_data_expire: Duration::from_secs(30),
            authentication_enabled: false,
            inner_credentials: None,
        }
    }
}

/// A bad proxy config file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the proxy config is not a JSON object")]
    NotAnObject(#[source] serde_json::Error),
    #[error("`{key}`: {value} is not a valid value")]
    BadValue { key: String, value: String },
}

impl ProxyConfig {
    /// Applies a Java `rmq-proxy.json` (its key names). Returns the keys it does not know,
    /// to warn about; unknown keys are not fatal, as in the broker's files.
    pub fn apply_json(&mut self, text: &str) -> Result<Vec<String>, ConfigError> {
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).map_err(ConfigError::NotAnObject)?;
        let mut unknown = Vec::new();
        for (key, value) in map {
            if !self.apply_key(&key, &value)? {
                unknown.push(key);
            }
        }
        Ok(unknown)
    }

    fn apply_key(&mut self, key: &str, v: &serde_json::Value) -> Result<bool, ConfigError> {
        let bad = || ConfigError::BadValue {
            key: key.to_owned(),
            value: v.to_string(),
        };
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let int = || text.trim().parse::<i64>().map_err(|_| bad());
        let boolean = || text.trim().parse::<bool>().map_err(|_| bad());
        let ms = |n: i64| Duration::from_millis(n.max(0) as u64);
        match key {
            "rocketMQClusterName" => self.cluster_name = text,
            "namesrvAddr" => {
                self.namesrv_addrs = text
                    .split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
            "grpcServerPort" => {
                let port = u16::try_from(int()?).map_err(|_| bad())?;
                self.grpc_listen.set_port(port);
            }
            "maxMessageSize" => {
                self.max_message_size = usize::try_from(int()?).map_err(|_| bad())?
            }
            "maxUserPropertySize" => {
                self.max_user_property_size = usize::try_from(int()?).map_err(|_| bad())?
            }
            "userPropertyMaxNum" => {
                self.user_property_max_num = usize::try_from(int()?).map_err(|_| bad())?
            }
            "maxMessageGroupSize" => {
                self.max_message_group_size = usize::try_from(int()?).map_err(|_| bad())?
            }
            "maxDelayTimeMills" => self.max_delay_time = ms(int()?),
            "maxTransactionRecoverySecond" => {
                self.max_transaction_recovery = Duration::from_secs(int()?.max(0) as u64)
            }
            "enableTopicMessageTypeCheck" => self.enable_topic_message_type_check = boolean()?,
            "enableMessageBodyEmptyCheck" => self.enable_message_body_empty_check = boolean()?,
            "grpcClientProducerMaxAttempts" => {
                self.producer_max_attempts = i32::try_from(int()?).map_err(|_| bad())?
            }
            "grpcClientProducerBackoffInitialMillis" => self.producer_backoff_initial = ms(int()?),
            "grpcClientProducerBackoffMaxMillis" => self.producer_backoff_max = ms(int()?),
            "grpcClientProducerBackoffMultiplier" => {
                self.producer_backoff_multiplier = int()? as f32
            }
            "grpcClientConsumerLongPollingBatchSize" => {
                self.consumer_receive_batch_size = i32::try_from(int()?).map_err(|_| bad())?
            }
            "grpcClientConsumerMaxLongPollingTimeoutMillis" => {
                self.consumer_long_polling_timeout = ms(int()?)
            }
            "grpcClientIdleTimeMills" => self.client_idle_time = ms(int()?),
            "transactionDataExpireMillis" => self.transaction_data_expire = ms(int()?),
            "maxInvisibleTimeMills" => self.max_invisible_time = ms(int()?),
            "authenticationEnabled" => self.authentication_enabled = boolean()?,
            "innerClientAuthenticationCredentials" => {
                let v: serde_json::Value = serde_json::from_str(&text).map_err(|_| bad())?;
                let key = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
                match (key("accessKey"), key("secretKey")) {
                    (Some(a), Some(s)) => self.inner_credentials = Some((a, s)),
                    _ => return Err(bad()),
                }
            }
            "grpcMaxInboundMessageSize" => {
                self.max_inbound_message_size = usize::try_from(int()?).map_err(|_| bad())?
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_proxy_json() {
        let mut c = ProxyConfig::new("0.0.0.0:8081".parse().unwrap(), vec![]);
        let unknown = c
            .apply_json(
                r#"{"rocketMQClusterName":"C1","namesrvAddr":"a:9876;b:9876","grpcServerPort":9081,
                    "enableTopicMessageTypeCheck":"false","maxMessageSize":1024,"remotingListenPort":8080}"#,
            )
            .unwrap();
        assert_eq!(unknown, ["remotingListenPort"]);
        assert_eq!(c.cluster_name, "C1");
        assert_eq!(c.namesrv_addrs, ["a:9876", "b:9876"]);
        assert_eq!(c.grpc_listen.port(), 9081);
        assert!(!c.enable_topic_message_type_check);
        assert_eq!(c.max_message_size, 1024);
        assert!(c.apply_json(r#"{"grpcServerPort":"x"}"#).is_err());
        c.apply_json(
            r#"{"authenticationEnabled":true,
                "innerClientAuthenticationCredentials":"{\"accessKey\":\"ak\",\"secretKey\":\"sk\"}"}"#,
        )
        .unwrap();
        assert!(c.authentication_enabled);
        assert_eq!(c.inner_credentials, Some(("ak".into(), "sk".into())));
        assert!(c.apply_json("[]").is_err());
    }
}
