//! Source-address conditions of ACL 2.0 entries: an IP literal (compared as text, as Java
//! does) or a CIDR block (compared numerically).

use std::net::IpAddr;

/// Whether `ip` (the client's address as text) falls under `condition`.
pub(crate) fn matches(ip: &str, condition: &str) -> bool {
    let Some((base, len)) = condition.split_once('/') else {
        return ip == condition;
    };
    let (Ok(base), Ok(len), Ok(ip)) = (
        base.parse::<IpAddr>(),
        len.parse::<u32>(),
        ip.parse::<IpAddr>(),
    ) else {
        return false;
    };
    match (base, ip) {
        (IpAddr::V4(b), IpAddr::V4(i)) if len <= 32 => {
            let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
            u32::from(b) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(b), IpAddr::V6(i)) if len <= 128 => {
            let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
            u128::from(b) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

/// Whether `condition` is an IP literal or a CIDR block (`The source ip is invalid.`
/// otherwise).
pub(crate) fn is_valid(condition: &str) -> bool {
    match condition.split_once('/') {
        None => condition.parse::<IpAddr>().is_ok(),
        Some((base, len)) => match (base.parse::<IpAddr>(), len.parse::<u32>()) {
            (Ok(IpAddr::V4(_)), Ok(l)) => l <= 32,
            (Ok(IpAddr::V6(_)), Ok(l)) => l <= 128,
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_blocks() {
        assert!(matches("10.1.2.3", "10.1.2.3"));
        assert!(!matches("10.1.2.4", "10.1.2.3"));
        assert!(matches("10.1.2.3", "10.0.0.0/8"));
        assert!(!matches("11.1.2.3", "10.0.0.0/8"));
        assert!(matches("192.168.0.77", "192.168.0.0/24"));
        assert!(matches("1.2.3.4", "0.0.0.0/0"));
        assert!(matches("::1", "::1/128"));
        assert!(matches("fe80::1", "fe80::/10"));
        assert!(!matches("10.1.2.3", "fe80::/10"));
        assert!(!matches("10.1.2.3", "10.0.0.0/33"));
        assert!(!matches("garbage", "10.0.0.0/8"));
    }

    #[test]
    fn validity() {
        assert!(is_valid("10.0.0.1") && is_valid("10.0.0.0/8") && is_valid("::1/128"));
        assert!(!is_valid("10.0.0.*") && !is_valid("10.0.0.0/40") && !is_valid("x/8"));
    }
}
