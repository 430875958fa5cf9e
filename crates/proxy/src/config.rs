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
        }
    }
}
