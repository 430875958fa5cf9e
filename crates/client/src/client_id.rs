//! Who this client is: the client id (`ip@instance[@unit]`) and the local IP it reports.

use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::ClientConfig;

/// Builds the client id Java builds: `clientIP@instanceName[@unitName]`, where the default
/// instance name `DEFAULT` becomes `pid#nanos` (unless `keep_default`, which Java's
/// broadcasting consumers do so their local offset file keeps its path across restarts).
pub(crate) fn build_client_id(
    ip: &str,
    instance_name: &str,
    unit_name: Option<&str>,
    pid: u32,
    nanos: u128,
    keep_default: bool,
) -> String {
    let instance = if instance_name == "DEFAULT" && !keep_default {
        format!("{pid}#{nanos}")
    } else {
        instance_name.to_string()
    };
    match unit_name {
        Some(u) if !u.is_empty() => format!("{ip}@{instance}@{u}"),
        _ => format!("{ip}@{instance}"),
    }
}

/// The client id for `config`, using this process's pid and a fresh timestamp.
pub(crate) fn client_id_for(config: &ClientConfig, ip: IpAddr, keep_default: bool) -> String {
    // Strictly increasing per process, like `System.nanoTime()` is in practice.
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = ferromq_protocol::time::now_nanos() as u64;
    let prev = LAST.fetch_max(now, Ordering::Relaxed);
    let nanos = if prev >= now {
        LAST.fetch_add(1, Ordering::Relaxed) + 1
    } else {
        now
    };
    build_client_id(
        &ip.to_string(),
        &config.instance_name,
        config.unit_name.as_deref(),
        std::process::id(),
        u128::from(nanos),
        keep_default,
    )
}

/// The local address this host uses to reach `peer` (no packet is sent: a UDP `connect` only
/// selects a route). Falls back to loopback.
pub(crate) fn local_ip_towards(peer: Option<&str>) -> IpAddr {
    let probe = |target: &str| -> Option<IpAddr> {
        let sock = UdpSocket::bind("0.0.0.0:0").ok()?;
        sock.connect(target).ok()?;
        Some(sock.local_addr().ok()?.ip())
    };
    peer.and_then(probe)
        .filter(|ip| !ip.is_unspecified())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// The client IP for `config`: the configured one, else the route towards the first NameServer.
pub(crate) fn client_ip(config: &ClientConfig) -> IpAddr {
    if let Some(ip) = config.client_ip.as_deref().and_then(|s| s.parse().ok()) {
        return ip;
    }
    local_ip_towards(config.namesrv_addrs.first().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_instance_gets_pid_and_nanos() {
        assert_eq!(
            build_client_id("10.0.0.9", "DEFAULT", None, 123, 456, false),
            "10.0.0.9@123#456"
        );
        assert_eq!(
            build_client_id("10.0.0.9", "DEFAULT", None, 123, 456, true),
            "10.0.0.9@DEFAULT"
        );
        assert_eq!(
            build_client_id("10.0.0.9", "app", Some("u1"), 1, 2, false),
            "10.0.0.9@app@u1"
        );
        assert_eq!(
            build_client_id("10.0.0.9", "app", Some(""), 1, 2, false),
            "10.0.0.9@app"
        );
    }

    #[test]
    fn loopback_peer_gives_loopback() {
        assert_eq!(
            local_ip_towards(Some("127.0.0.1:9876")),
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
        assert_eq!(
            local_ip_towards(Some("not an address")),
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
        let mut c = ClientConfig::new("127.0.0.1:1");
        c.client_ip = Some("10.1.2.3".into());
        assert_eq!(client_ip(&c).to_string(), "10.1.2.3");
        let a = client_id_for(&c, client_ip(&c), false);
        let b = client_id_for(&c, client_ip(&c), false);
        assert!(a.starts_with("10.1.2.3@"));
        assert_ne!(a, b, "two clients of one process must differ");
    }
}
