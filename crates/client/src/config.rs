//! Settings shared by every producer, consumer and admin client (Java's `ClientConfig`).

use std::time::Duration;

/// Connection and timing settings of a client instance. Defaults are the Java client's.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// NameServer addresses, `host:port`. Parsed from `a:9876;b:9876` by [`ClientConfig::new`].
    pub namesrv_addrs: Vec<String>,
    /// Instance name; `DEFAULT` is replaced by `pid#nanos` so several clients in one process
    /// get distinct client ids (Java 4.9+/5.x behaviour).
    pub instance_name: String,
    /// Optional unit name appended to the client id.
    pub unit_name: Option<String>,
    /// Overrides the detected client IP (the address used in the client id and message ids).
    pub client_ip: Option<String>,
    /// Timeout of NameServer and admin calls (`mqClientApiTimeout`, 3 s).
    pub api_timeout: Duration,
    /// Route refresh period (`pollNameServerInterval`, 30 s).
    pub poll_namesrv_interval: Duration,
    /// Heartbeat period (`heartbeatBrokerInterval`, 30 s).
    pub heartbeat_interval: Duration,
    /// Consumer offset commit period (`persistConsumerOffsetInterval`, 5 s).
    pub persist_offset_interval: Duration,
    /// Delay before retrying a pull that failed (`pullTimeDelayMillsWhenException`, 1 s).
    pub pull_delay_on_exception: Duration,
    /// Decompress compressed bodies of received messages (`decodeDecompressBody`, true).
    pub decompress_body: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            namesrv_addrs: Vec::new(),
            instance_name: "DEFAULT".to_string(),
            unit_name: None,
            client_ip: None,
            api_timeout: Duration::from_secs(3),
            poll_namesrv_interval: Duration::from_secs(30),
            heartbeat_interval: Duration::from_secs(30),
            persist_offset_interval: Duration::from_secs(5),
            pull_delay_on_exception: Duration::from_secs(1),
            decompress_body: true,
        }
    }
}

impl ClientConfig {
    /// Settings for the NameServer list `namesrv` (`host:port`, several separated by `;`).
    pub fn new(namesrv: &str) -> Self {
        ClientConfig {
            namesrv_addrs: parse_namesrv_addrs(namesrv),
            ..ClientConfig::default()
        }
    }
}

/// Splits `a:9876;b:9876` (Java's separator; `,` is accepted too) into addresses.
pub fn parse_namesrv_addrs(s: &str) -> Vec<String> {
    s.split([';', ','])
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namesrv_list() {
        assert_eq!(
            parse_namesrv_addrs(" 127.0.0.1:9876;127.0.0.2:9876 ,,"),
            vec!["127.0.0.1:9876", "127.0.0.2:9876"]
        );
        assert!(parse_namesrv_addrs("").is_empty());
        let c = ClientConfig::new("h:1");
        assert_eq!(c.namesrv_addrs, vec!["h:1"]);
        assert_eq!(c.heartbeat_interval, Duration::from_secs(30));
    }
}
