//! ACL 1.0 IP patterns (`globalWhiteRemoteAddresses`, an account's `whiteRemoteAddress`),
//! as Java's `RemoteAddressStrategyFactory` reads and matches them. The syntax is RocketMQ's
//! own (no CIDR), and its quirks are kept because they decide who gets in without a
//! signature: a range stops at its first `*` / `a-b` part and ignores the rest, and
//! everything is compared as text after Java's IPv6 expansion.

use std::collections::BTreeSet;

use super::inet::{expand_ip, is_valid_ipv4, is_valid_ipv6};
use super::java::{index_out_of_bounds, is_blank, java_trim, parse_int, split_tokens, utf16_len};

/// A pattern that failed to load; the message is the text of Java's exception.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct AddressError(pub String);

/// One loaded IP pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AddressPattern {
    /// Blank or absent: matches nobody.
    Blank,
    /// `*`, `*.*.*.*` or `*:*:*:*:*:*:*:*`: matches everybody.
    Any,
    /// `a.b.c.{x,y}` or `ip1,ip2`: exactly these (IPv6 expanded) addresses.
    Set(BTreeSet<String>),
    /// One address literal, expanded and upper-cased.
    One(String),
    /// `a.b.*`, `a.b.1-10.*`, IPv6 `…:*` / `…:a-b`.
    Range(Range),
}

/// A range: a client whose text starts with `head` and whose group number `index` (0-based,
/// decimal for IPv4, hex for IPv6) lies in `start..=end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Range {
    ipv6: bool,
    head: String,
    index: usize,
    start: i32,
    end: i32,
}

impl AddressPattern {
    /// Reads a pattern, failing as Java's factory does (for a range with nothing to range
    /// over, such as `*.1.2.3`, Java loads a strategy that throws on every match; it is a
    /// load error here).
    pub(crate) fn parse(pattern: Option<&str>) -> Result<AddressPattern, AddressError> {
        let Some(p) = pattern.filter(|p| !is_blank(p)) else {
            return Ok(AddressPattern::Blank);
        };
        if matches!(p, "*" | "*.*.*.*" | "*:*:*:*:*:*:*:*") {
            return Ok(AddressPattern::Any);
        }
        if p.ends_with('}') {
            return parse_braces(p);
        }
        if p.contains(',') {
            return literal_set(split_tokens(p, ',').into_iter().map(str::to_owned));
        }
        if p.contains('*') || p.contains('-') {
            let range = if p.contains(':') {
                Range::parse_v6(p)?
            } else {
                Range::parse_v4(p)?
            };
            return Ok(AddressPattern::Range(range));
        }
        if is_valid_ipv4(p) || is_valid_ipv6(p) {
            return Ok(AddressPattern::One(expand_ip(p, 8)));
        }
        Err(examine(p))
    }

    /// Whether client address text `ip` (no port) matches.
    pub(crate) fn matches(&self, ip: &str) -> bool {
        match self {
            AddressPattern::Blank => false,
            AddressPattern::Any => true,
            AddressPattern::Set(set) => {
                if is_valid_ipv6(ip) {
                    set.contains(&expand_ip(ip, 8))
                } else {
                    set.contains(ip)
                }
            }
            AddressPattern::One(addr) => expand_ip(ip, 8) == *addr,
            AddressPattern::Range(r) => r.matches(ip),
        }
    }
}

fn examine(p: &str) -> AddressError {
    AddressError(format!("NetAddress examine Exception netAddress is {p}"))
}

fn scope(p: &str) -> AddressError {
    AddressError(format!(
        "NetAddress examine scope Exception netAddress is {p}"
    ))
}

/// `prefix{a,b,…}`: the prefix (text before the first `{`) joined to each listed ending.
fn parse_braces(p: &str) -> Result<AddressPattern, AddressError> {
    let multiple_scope = || {
        AddressError(format!(
            "MultipleRemoteAddressStrategy netAddress examine scope Exception netAddress: {p}"
        ))
    };
    let sep = if p.contains(':') { ':' } else { '.' };
    let parts = split_tokens(p, sep);
    if sep == '.' && parts.len() < 4 {
        return Err(AddressError(format!(
            "MultipleRemoteAddressStrategy has got a/some wrong format IP(s): {p} "
        )));
    }
    let last = parts.last().copied().unwrap_or_default();
    if !last.starts_with('{') {
        return Err(multiple_scope());
    }
    // `last` starts with `{` and, being the tail of `p`, ends with `}`.
    let inner = last
        .get(1..last.len().saturating_sub(1))
        .unwrap_or_default();
    let prefix = p.find('{').map(|i| &p[..i]).unwrap_or_default();
    let items = split_tokens(inner, ',')
        .into_iter()
        .map(|e| format!("{prefix}{e}"));
    literal_set(items)
}

/// A set of address literals; each must be a valid IPv4 or IPv6 address.
fn literal_set(items: impl Iterator<Item = String>) -> Result<AddressPattern, AddressError> {
    let mut set = BTreeSet::new();
    for item in items {
        if is_valid_ipv4(&item) {
            set.insert(item);
        } else if is_valid_ipv6(&item) {
            set.insert(expand_ip(&item, 8));
        } else {
            return Err(examine(&item));
        }
    }
    Ok(AddressPattern::Set(set))
}

/// The bounds one group of a range pattern gives, if it is `*` or `a-b`.
struct GroupRange {
    start: i32,
    end: i32,
}

/// Reads group `value` as Java's `analysis` / `ipv6Analysis` do: `*` is the whole range,
/// `a-b` a checked range, anything else leaves the previous bounds (`None`).
fn group_range(value: &str, radix: u32, max: i32) -> Result<Option<GroupRange>, AddressError> {
    if value == "*" {
        return Ok(Some(GroupRange { start: 0, end: max }));
    }
    if !value.contains('-') {
        return Ok(None);
    }
    if value.starts_with('-') {
        return Err(AddressError(format!(
            "RangeRemoteAddressStrategy netAddress examine scope Exception value {value} "
        )));
    }
    let bounds = split_tokens(value, '-');
    let start = parse_int(bounds[0], radix).map_err(AddressError)?;
    let end_text = bounds
        .get(1)
        .ok_or_else(|| AddressError(index_out_of_bounds(1, bounds.len())))?;
    let end = parse_int(end_text, radix).map_err(AddressError)?;
    if !((0..=max).contains(&start) && (0..=max).contains(&end) && start <= end) {
        return Err(AddressError(format!(
            "RangeRemoteAddressStrategy netAddress examine scope Exception start is {start} , end is {end}"
        )));
    }
    Ok(Some(GroupRange { start, end }))
}

impl Range {
    /// IPv4: the first of parts 2–4 that is `*` or `a-b` with a non-zero end is the range;
    /// the parts before it are the textual head.
    fn parse_v4(p: &str) -> Result<Range, AddressError> {
        let parts = split_tokens(p, '.');
        let (mut start, mut end) = (0, 0);
        for index in 1..=3 {
            let value = parts
                .get(index)
                .ok_or_else(|| AddressError(index_out_of_bounds(index, parts.len())))?;
            if let Some(g) = group_range(java_trim(value), 10, 255)? {
                (start, end) = (g.start, g.end);
            }
            // Java tests the end, so `0-0` does not count and the scan goes on.
            if end > 0 {
                verify_v4_head(p, index)?;
                let head: String = parts[..index]
                    .iter()
                    .map(|t| format!("{}.", java_trim(t)))
                    .collect();
                return Ok(Range {
                    ipv6: false,
                    head,
                    index,
                    start,
                    end,
                });
            }
        }
        Err(scope(p))
    }

    /// IPv6: the first group after the first that is `*` or `a-b`; the head is the text
    /// before it expanded to 7 groups (6 when a `*` follows an `a-b`).
    fn parse_v6(p: &str) -> Result<Range, AddressError> {
        check_v6_wildcards(p)?;
        let parts = split_tokens(p, ':');
        let (mut start, mut end) = (0, 0);
        for (index, value) in parts.iter().enumerate().skip(1) {
            if let Some(g) = group_range(java_trim(value), 16, 0xffff)? {
                (start, end) = (g.start, g.end);
            }
            if end > 0 {
                verify_v6_head(p, index)?;
                // Java's substring(0, -1) when no colon precedes the last one.
                let head = v6_head(p).ok_or_else(|| {
                    AddressError(format!("begin 0, end -1, length {}", utf16_len(p)))
                })?;
                let index = split_tokens(&head, ':').len();
                return Ok(Range {
                    ipv6: true,
                    head,
                    index,
                    start,
                    end,
                });
            }
        }
        Err(scope(p))
    }

    fn matches(&self, ip: &str) -> bool {
        let value = if self.ipv6 {
            if !is_valid_ipv6(ip) {
                return false;
            }
            let full = expand_ip(ip, 8);
            if !full.starts_with(&self.head) {
                return false;
            }
            // A dotted IPv4 tail or a zone makes this group unreadable: Java throws, no match here.
            let at = 5 * self.index;
            full.get(at..at + 4)
                .and_then(|g| i32::from_str_radix(g, 16).ok())
        } else {
            if !is_valid_ipv4(ip) || !ip.starts_with(&self.head) {
                return false;
            }
            ip.split('.')
                .nth(self.index)
                .and_then(|g| g.parse::<i32>().ok())
        };
        value.is_some_and(|v| (self.start..=self.end).contains(&v))
    }
}

/// Java's `AclUtils.verify` for IPv4: four parts, and the parts before the one *before*
/// the range are numbers 0–255 (Java checks one part fewer than the head has).
fn verify_v4_head(p: &str, index: usize) -> Result<(), AddressError> {
    let parts = split_tokens(p, '.');
    if parts.len() != 4 {
        return Err(scope(p));
    }
    for part in &parts[..index - 1] {
        let v = parse_int(java_trim(part), 10).map_err(AddressError)?;
        if !(0..=255).contains(&v) {
            return Err(scope(p));
        }
    }
    Ok(())
}

/// Java's `AclUtils.verify` for IPv6: the groups before the one before the range, read in
/// the expanded pattern, are hex numbers 0–ffff.
fn verify_v6_head(p: &str, index: usize) -> Result<(), AddressError> {
    let full = expand_ip(p, 8);
    let groups = split_tokens(&full, ':');
    for i in 0..index - 1 {
        let ok = groups
            .get(i)
            .and_then(|g| i32::from_str_radix(g, 16).ok())
            .is_some_and(|v| (0..=0xffff).contains(&v));
        if !ok {
            return Err(scope(p));
        }
    }
    Ok(())
}

/// Java's `IPv6AddressCheck`: a `*` only as the last character; a `-` only in the last
/// group (or the one before a final `*`).
fn check_v6_wildcards(p: &str) -> Result<(), AddressError> {
    let star = p.find('*');
    if star.is_some_and(|s| s != p.len() - 1) {
        return Err(scope(p));
    }
    if let Some(minus) = p.find('-') {
        let last = p.rfind(':').unwrap_or(0);
        // With a final `*`, the colon before the last one; Java's -1 when there is none
        // lets any position pass.
        let limit = if star.is_none() {
            Some(last)
        } else {
            p[..last].rfind(':')
        };
        if limit.is_some_and(|l| minus <= l) {
            return Err(scope(p));
        }
    }
    Ok(())
}

/// Java's `v6ipProcess`: the pattern text before the ranged group, expanded.
fn v6_head(p: &str) -> Option<String> {
    let last = p.rfind(':')?;
    if p.contains('*') && p.contains('-') {
        let second = p[..last].rfind(':')?;
        Some(expand_ip(&p[..second], 6))
    } else {
        Some(expand_ip(&p[..last], 7))
    }
}

#[cfg(test)]
#[path = "address_tests.rs"]
mod tests;
