//! Settings shared by every producer, consumer and admin client (Java's `ClientConfig`).

use std::time::Duration;

pub use ferromq_protocol::SerializeType;

/// Environment variable choosing the header encoding of requests, as the Java client reads it
/// (as the fallback of the `rocketmq.serialize.type` system property): `JSON` or `ROCKETMQ`.
pub const SERIALIZE_TYPE_ENV: &str = "ROCKETMQ_SERIALIZE_TYPE";

/// Environment variable turning TLS on (`true`) for clients that do not set
/// [`ClientConfig::use_tls`] themselves — `ferromq admin` and `ferromq bench` among them (the
/// Java client's `-Dtls.enable=true`).
pub const TLS_ENABLE_ENV: &str = "ROCKETMQ_TLS_ENABLE";

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
    /// Header encoding of every request this client sends (`rocketmq.serialize.type`): JSON
    /// by default, or RocketMQ's binary headers, which both ends encode and decode far more
    /// cheaply (RocketMQ's own benchmark uses them). Read from [`SERIALIZE_TYPE_ENV`] when
    /// set. Requests whose code does not fit the binary header (≥ 32768) still go as JSON.
    pub serialize_type: SerializeType,
    /// Speak TLS to NameServers and brokers (Java's `useTLS`); the server's certificate is
    /// trusted without checks, as Java's client does by default. Read from
    /// [`TLS_ENABLE_ENV`] when set.
    pub use_tls: bool,
    /// Sign every request with these (Java's `AclClientRPCHook(new SessionCredentials(ak,
    /// sk))`), for brokers that enforce ACL 1.0 or 2.0. None by default: a library should not
    /// pick a secret up from its environment behind the caller's back.
    pub credentials: Option<Credentials>,
}

/// An ACL account: the access key (ACL 2.0 username) and its secret, plus an optional session
/// token that is signed and sent (Java's `SessionCredentials`).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Sent in every request as `AccessKey`.
    pub access_key: String,
    /// The HMAC key of the signature; never sent.
    pub secret_key: String,
    /// Sent as `SecurityToken` when set.
    pub security_token: Option<String>,
}

impl Credentials {
    /// Credentials without a session token.
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Credentials {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            security_token: None,
        }
    }
}

// Hand-written so the secret never reaches a log line through `{:?}`.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"***")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "***"),
            )
            .finish()
    }
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
            serialize_type: serialize_type_from(std::env::var(SERIALIZE_TYPE_ENV).ok().as_deref()),
            use_tls: std::env::var(TLS_ENABLE_ENV)
                .is_ok_and(|v| v.trim().eq_ignore_ascii_case("true")),
            credentials: None,
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

/// The header encoding named by `value` (`JSON` / `ROCKETMQ`, any case), JSON when unset;
/// an unknown name is logged and ignored.
pub fn serialize_type_from(value: Option<&str>) -> SerializeType {
    match value.map(str::trim) {
        None | Some("") => SerializeType::Json,
        Some(v) if v.eq_ignore_ascii_case("ROCKETMQ") => SerializeType::RocketMq,
        Some(v) if v.eq_ignore_ascii_case("JSON") => SerializeType::Json,
        Some(v) => {
            tracing::warn!(
                value = v,
                "unknown {SERIALIZE_TYPE_ENV}; using JSON headers"
            );
            SerializeType::Json
        }
    }
}

/// Splits `a:9876;b:9876` (Java's separator; `,` is accepted too) into addresses.
pub(crate) fn parse_namesrv_addrs(s: &str) -> Vec<String> {
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

    #[test]
    fn credentials_debug_hides_the_secret() {
        let mut c = Credentials::new("rocketmq2", "12345678");
        c.security_token = Some("tok".into());
        let text = format!("{c:?}");
        assert!(text.contains("rocketmq2"), "{text}");
        assert!(
            !text.contains("12345678") && !text.contains("\"tok\""),
            "{text}"
        );
    }

    #[test]
    fn serialize_type_names() {
        assert_eq!(serialize_type_from(None), SerializeType::Json);
        assert_eq!(serialize_type_from(Some("")), SerializeType::Json);
        assert_eq!(
            serialize_type_from(Some("ROCKETMQ")),
            SerializeType::RocketMq
        );
        assert_eq!(
            serialize_type_from(Some(" rocketmq ")),
            SerializeType::RocketMq
        );
        assert_eq!(serialize_type_from(Some("JSON")), SerializeType::Json);
        assert_eq!(serialize_type_from(Some("protobuf")), SerializeType::Json);
    }
}
