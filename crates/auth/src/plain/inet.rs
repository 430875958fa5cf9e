//! Address text as ACL 1.0 sees it: commons-validator 1.7's `InetAddressValidator` (which
//! decides which patterns load and which client addresses a range can match) and
//! `AclUtils.expandIP` (the textual IPv6 expansion patterns and clients are compared in).
//! These are text rules, not `std::net` parsing: Java accepts `::1/64` and `fe80::1%eth0` as
//! IPv6 and compares `::ffff:1.2.3.4` as written, and a compatible server must agree.

/// `isValidInet4Address`: four dot-separated decimal parts of 1–3 ASCII digits, each ≤ 255,
/// no leading zero.
pub(crate) fn is_valid_ipv4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            (1..=3).contains(&p.len())
                && p.bytes().all(|b| b.is_ascii_digit())
                && !(p.len() > 1 && p.starts_with('0'))
                && p.parse::<u16>().is_ok_and(|v| v <= 255)
        })
}

/// `isValidInet6Address`: hex groups with at most one `::`, an optional dotted IPv4 tail,
/// an optional `%zone` and an optional `/prefix` (≤ 128).
pub(crate) fn is_valid_ipv6(s: &str) -> bool {
    let Some(addr) = strip_prefix_and_zone(s) else {
        return false;
    };
    let compressed = addr.contains("::");
    if compressed && addr.find("::") != addr.rfind("::") {
        return false;
    }
    if (addr.starts_with(':') && !addr.starts_with("::"))
        || (addr.ends_with(':') && !addr.ends_with("::"))
    {
        return false;
    }
    let mut groups = java_split(addr, ':');
    if compressed {
        if addr.ends_with("::") {
            groups.push("");
        } else if addr.starts_with("::") && !groups.is_empty() {
            groups.remove(0);
        }
    }
    if groups.len() > 8 {
        return false;
    }
    let Some(valid) = count_groups(&groups) else {
        return false;
    };
    !(valid > 8 || (valid < 8 && !compressed))
}

/// The address part of `addr[%zone][/bits]`, if the zone and the prefix are well formed.
fn strip_prefix_and_zone(s: &str) -> Option<&str> {
    let parts: Vec<&str> = s.split('/').collect();
    if parts.len() > 2 {
        return None;
    }
    if let Some(bits) = parts.get(1) {
        let digits = (1..=3).contains(&bits.len()) && bits.bytes().all(|b| b.is_ascii_digit());
        if !digits || bits.parse::<u16>().ok()? > 128 {
            return None;
        }
    }
    let parts: Vec<&str> = parts[0].split('%').collect();
    if parts.len() > 2 {
        return None;
    }
    if let Some(zone) = parts.get(1) {
        let bad = |c: char| {
            matches!(
                c,
                ' ' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | '/' | '%'
            )
        };
        if zone.is_empty() || zone.contains(bad) {
            return None;
        }
    }
    Some(parts[0])
}

/// How many 16-bit groups `groups` stand for (a dotted IPv4 tail counts two), or `None` if
/// a group is malformed or two empty groups follow each other.
fn count_groups(groups: &[&str]) -> Option<usize> {
    let mut valid = 0;
    let mut empty_run = 0;
    for (i, g) in groups.iter().enumerate() {
        if g.is_empty() {
            empty_run += 1;
            if empty_run > 1 {
                return None;
            }
        } else {
            empty_run = 0;
            if i == groups.len() - 1 && g.contains('.') {
                if !is_valid_ipv4(g) {
                    return None;
                }
                valid += 2;
                continue;
            }
            // Java's parseInt takes a sign, so "+f" passes and "-1" fails the range check.
            if g.len() > 4 || !i32::from_str_radix(g, 16).is_ok_and(|v| (0..=0xffff).contains(&v)) {
                return None;
            }
        }
        valid += 1;
    }
    Some(valid)
}

/// Java `String.split(String)` for a one-character separator: trailing empty pieces are
/// dropped (all of them when nothing else is left).
fn java_split(s: &str, sep: char) -> Vec<&str> {
    let mut parts: Vec<&str> = s.split(sep).collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// `AclUtils.expandIP(addr, part)`: upper-cases, widens `::` so the text has `part` groups
/// (counting the colons, not validating), and left-pads every group to four characters.
/// IPv4 text passes through unchanged (upper-cased).
pub(crate) fn expand_ip(addr: &str, part: usize) -> String {
    let mut s = addr.to_uppercase();
    let colons = s.matches(':').count();
    if part > colons {
        let pad = ":".repeat(part - colons + 1);
        s = s.replace("::", &pad);
    }
    if s.is_empty() {
        return s;
    }
    let groups: Vec<String> = s
        .split(':')
        .map(|g| {
            let len = g.encode_utf16().count();
            if len < 4 {
                format!("{}{g}", "0".repeat(4 - len))
            } else {
                g.to_owned()
            }
        })
        .collect();
    groups.join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_validity() {
        for ok in ["0.0.0.0", "1.2.3.4", "255.255.255.255", "192.168.0.10"] {
            assert!(is_valid_ipv4(ok), "{ok}");
        }
        for bad in [
            "",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3.04",
            "1.2.3.-4",
            "1.2.3.+4",
            "1.2.3.4 ",
            " 1.2.3.4",
            "1.2.3.4\n",
            "a.b.c.d",
            "1..2.3",
            "10.0.0.0/8",
            "1.2.3.4:80",
        ] {
            assert!(!is_valid_ipv4(bad), "{bad:?}");
        }
    }

    #[test]
    fn ipv6_validity() {
        for ok in [
            "::",
            "::1",
            "1::",
            "0:0:0:0:0:0:0:1",
            "2001:db8::ff00:42:8329",
            "FE80::1",
            "::ffff:192.168.1.1",
            "fe80::1%eth0",
            "::1/128",
            "1:2:3:4:5:6:7::",
            "1:2:3:4:5:6::8",
            "::2:3:4:5:6:7:8",
            "+f::1",
        ] {
            assert!(is_valid_ipv6(ok), "{ok}");
        }
        for bad in [
            "",
            ":",
            ":::",
            "1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7:8:9",
            "1::2::3",
            ":1::2",
            "1::2:",
            "12345::1",
            "g::1",
            "::1/129",
            "::1/",
            "::1/a",
            "::1/1/2",
            "fe80::1%",
            "fe80::1%a%b",
            "fe80::1%a b",
            "::ffff:256.1.1.1",
            "1.2.3.4",
            "1:2:3:4:5:6:7:8::",
            "-1::1",
        ] {
            assert!(!is_valid_ipv6(bad), "{bad:?}");
        }
    }

    #[test]
    fn expansion_matches_acl_utils() {
        assert_eq!(
            expand_ip("::1", 8),
            "0000:0000:0000:0000:0000:0000:0000:0001"
        );
        assert_eq!(
            expand_ip("1::", 8),
            "0001:0000:0000:0000:0000:0000:0000:0000"
        );
        assert_eq!(
            expand_ip("2001:db8::ff00:42:8329", 8),
            "2001:0DB8:0000:0000:0000:FF00:0042:8329"
        );
        assert_eq!(
            expand_ip("2::ac5:78", 7),
            "0002:0000:0000:0000:0000:0AC5:0078"
        );
        assert_eq!(expand_ip("1.2.3.4", 8), "1.2.3.4");
        assert_eq!(expand_ip("", 8), "");
        assert_eq!(
            expand_ip("::ffff:1.2.3.4", 8),
            "0000:0000:0000:0000:0000:0000:FFFF:1.2.3.4"
        );
        // Over-long text is left as it is, however many colons it has.
        assert_eq!(
            expand_ip("1:2:3:4:5:6:7:8:9", 8),
            "0001:0002:0003:0004:0005:0006:0007:0008:0009"
        );
    }
}
