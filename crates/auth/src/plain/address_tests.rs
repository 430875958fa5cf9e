//! Expected results, messages included, agree with Java's own `RemoteAddressStrategyFactory`
//! and commons-validator 1.7 (checked on ~8,000 generated patterns against the 5.3.1 jar,
//! whose ACL 1.0 address code is 5.3.2's).

use proptest::prelude::*;

use super::*;

fn pat(p: &str) -> AddressPattern {
    AddressPattern::parse(Some(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn err(p: &str) -> String {
    match AddressPattern::parse(Some(p)) {
        Ok(a) => panic!("{p} loaded as {a:?}"),
        Err(e) => e.0,
    }
}

#[track_caller]
fn check(p: &str, yes: &[&str], no: &[&str]) {
    let a = pat(p);
    for ip in yes {
        assert!(a.matches(ip), "{p} should match {ip}");
    }
    for ip in no {
        assert!(!a.matches(ip), "{p} should not match {ip}");
    }
}

#[test]
fn blank_matches_nobody() {
    for p in [None, Some(""), Some("  \t")] {
        let a = AddressPattern::parse(p).unwrap();
        assert_eq!(a, AddressPattern::Blank);
        assert!(!a.matches("127.0.0.1"));
        assert!(!a.matches(""));
    }
}

#[test]
fn null_patterns_match_everybody() {
    for p in ["*", "*.*.*.*", "*:*:*:*:*:*:*:*"] {
        check(p, &["1.2.3.4", "::1", "not an address", ""], &[]);
    }
}

#[test]
fn one_address_compares_expanded_text() {
    check(
        "192.168.0.1",
        &["192.168.0.1"],
        &["192.168.0.10", "192.168.0.2", "::1", ""],
    );
    check(
        "::1",
        &[
            "::1",
            "0:0:0:0:0:0:0:1",
            "0000:0000:0000:0000:0000:0000:0000:0001",
        ],
        &["::2", "127.0.0.1"],
    );
    check(
        "2001:DB8::1",
        &["2001:db8::1", "2001:0db8:0:0:0:0:0:1"],
        &["2001:db8::2"],
    );
    // Compared as written: the dotted and the hex form of one address differ.
    check("::ffff:1.2.3.4", &["::ffff:1.2.3.4"], &["::ffff:102:304"]);
}

#[test]
fn braces_list_last_parts() {
    check(
        "192.168.0.{1,2}",
        &["192.168.0.1", "192.168.0.2"],
        &["192.168.0.3", "192.168.0.12"],
    );
    check("192.168.0.{1,,2}", &["192.168.0.2"], &["192.168.0."]);
    check("192.168.0.{}", &[], &["192.168.0.1"]);
    check(
        "2001:db8::{1,a}",
        &["2001:db8::1", "2001:DB8:0:0:0:0:0:A"],
        &["2001:db8::2"],
    );
}

#[test]
fn brace_errors() {
    assert_eq!(
        err("192.168.{1,2}"),
        "MultipleRemoteAddressStrategy has got a/some wrong format IP(s): 192.168.{1,2} "
    );
    assert_eq!(
        err("192.168.0.1}"),
        "MultipleRemoteAddressStrategy netAddress examine scope Exception netAddress: 192.168.0.1}"
    );
    assert_eq!(
        err("2001:db8::1}"),
        "MultipleRemoteAddressStrategy netAddress examine scope Exception netAddress: 2001:db8::1}"
    );
    assert_eq!(
        err("192.168.0.{1,300}"),
        "NetAddress examine Exception netAddress is 192.168.0.300"
    );
}

#[test]
fn comma_lists_are_exact_sets() {
    check(
        "1.2.3.4,5.6.7.8,::1",
        &["1.2.3.4", "5.6.7.8", "0:0:0:0:0:0:0:1"],
        &["1.2.3.5", "::2"],
    );
    // Pieces are not trimmed.
    assert_eq!(
        err("1.2.3.4, 5.6.7.8"),
        "NetAddress examine Exception netAddress is  5.6.7.8"
    );
}

#[test]
fn ipv4_ranges() {
    check(
        "192.168.*.*",
        &["192.168.0.0", "192.168.255.255"],
        &["192.169.0.1", "10.168.0.1", "::1", "192.168.01.1"],
    );
    check(
        "192.168.1-10.*",
        &["192.168.1.0", "192.168.10.255"],
        &["192.168.0.1", "192.168.11.1"],
    );
    check(
        "192.168.0.1-100",
        &["192.168.0.1", "192.168.0.100"],
        &["192.168.0.0", "192.168.0.101", "192.168.1.50"],
    );
}

#[test]
fn ipv4_range_ignores_everything_after_the_range() {
    check(
        "192.168.1-10.5",
        &["192.168.3.99", "192.168.10.0"],
        &["192.168.11.5"],
    );
    check("192.*.1.1", &["192.200.0.0"], &["193.0.1.1"]);
    // `0-0` has a zero end, so Java keeps scanning and the last part decides.
    check("10.1.0-0.*", &[], &["10.1.0.0", "10.1.0-0.1"]);
}

#[test]
fn ipv4_range_errors() {
    let scope = |p: &str| format!("NetAddress examine scope Exception netAddress is {p}");
    assert_eq!(err("*.168.0.1"), scope("*.168.0.1"));
    assert_eq!(err("192.168.0.0-0"), scope("192.168.0.0-0"));
    assert_eq!(err("192.168.*"), scope("192.168.*"));
    assert_eq!(err("192.168.*.*.*"), scope("192.168.*.*.*"));
    assert_eq!(err("300.168.1.*"), scope("300.168.1.*"));
    assert_eq!(err("192.300.1.*"), scope("192.300.1.*"));
    assert_eq!(err("1-2"), "Index 1 out of bounds for length 1");
    assert_eq!(
        err("192.168.10-1.*"),
        "RangeRemoteAddressStrategy netAddress examine scope Exception start is 10 , end is 1"
    );
    assert_eq!(
        err("192.168.1-300.*"),
        "RangeRemoteAddressStrategy netAddress examine scope Exception start is 1 , end is 300"
    );
    assert_eq!(
        err("192.168.-1.*"),
        "RangeRemoteAddressStrategy netAddress examine scope Exception value -1 "
    );
    assert_eq!(err("192.168.5-.*"), "Index 1 out of bounds for length 1");
    assert_eq!(err("192.168.a-b.*"), "For input string: \"a\"");
    assert_eq!(err("abc.168.1.*"), "For input string: \"abc\"");
}

#[test]
fn ipv4_range_checks_one_part_fewer_than_its_head() {
    // Java verifies the parts before the one before the range: 300 here slips through and
    // the pattern loads, matching no valid address.
    check("192.168.300.*", &[], &["192.168.300.1", "192.168.30.1"]);
}

#[test]
fn no_cidr() {
    assert_eq!(
        err("10.0.0.0/8"),
        "NetAddress examine Exception netAddress is 10.0.0.0/8"
    );
    assert_eq!(
        err("localhost"),
        "NetAddress examine Exception netAddress is localhost"
    );
}

#[test]
fn ipv6_ranges() {
    check(
        "1:2:3:4:5:6:7:*",
        &["1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:ffff"],
        &["1:2:3:4:5:6:8:1", "1.2.3.4"],
    );
    check(
        "1:2:3:4:5:6:7:10-20",
        &["1:2:3:4:5:6:7:10", "1:2:3:4:5:6:7:15", "1:2:3:4:5:6:7:20"],
        &["1:2:3:4:5:6:7:f", "1:2:3:4:5:6:7:21"],
    );
    check(
        "1:2:3:4:5:6:10-20:*",
        &["1:2:3:4:5:6:15:ffff"],
        &["1:2:3:4:5:6:21:0"],
    );
    // The head is the text before the last group, expanded to seven groups.
    check(
        "2001:db8::*",
        &["2001:db8::1", "2001:db8:0:1::"],
        &["2001:db8:1::1"],
    );
    // An unreadable ranged group (dotted tail) is no match, not a failure.
    check("::ffff:*", &[], &["::ffff:1.2.3.4"]);
}

#[test]
fn ipv6_range_errors() {
    let scope = |p: &str| format!("NetAddress examine scope Exception netAddress is {p}");
    assert_eq!(err("1:*:3::"), scope("1:*:3::"));
    assert_eq!(err("1:2-3:4::5"), scope("1:2-3:4::5"));
    assert_eq!(err("1:2-3:4::*"), scope("1:2-3:4::*"));
    assert_eq!(err("::ffff:1.2.3.*"), scope("::ffff:1.2.3.*"));
    assert_eq!(err("x:2:3:4:5:6:7:*"), scope("x:2:3:4:5:6:7:*"));
    assert_eq!(
        err("1:2:3:4:5:6:7:20-10"),
        "RangeRemoteAddressStrategy netAddress examine scope Exception start is 32 , end is 16"
    );
    assert_eq!(err("a-1:*"), "begin 0, end -1, length 5");
    assert_eq!(
        err("1:2:3:4:5:6:7:1-g"),
        "For input string: \"g\" under radix 16"
    );
}

fn arb_ipv4() -> impl Strategy<Value = String> {
    (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>())
        .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}"))
}

proptest! {
    #[test]
    fn never_panics(p in "[0-9a-fA-F.:*,{}% /+-]{0,24}", ip in "[0-9a-fA-F.:%/]{0,24}") {
        if let Ok(a) = AddressPattern::parse(Some(&p)) {
            let _ = a.matches(&ip);
        }
    }

    #[test]
    fn literal_matches_only_itself(ip in arb_ipv4(), other in arb_ipv4()) {
        let a = pat(&ip);
        prop_assert!(a.matches(&ip));
        prop_assert_eq!(a.matches(&other), ip == other);
    }

    #[test]
    fn two_octet_prefix(a in any::<u8>(), b in any::<u8>(), ip in arb_ipv4()) {
        let p = pat(&format!("{a}.{b}.*.*"));
        let prefix = format!("{a}.{b}.");
        prop_assert_eq!(p.matches(&ip), ip.starts_with(&prefix));
    }

    #[test]
    fn last_octet_range(lo in 1u8..=255, len in 0u8..=255, ip in arb_ipv4()) {
        let hi = lo.saturating_add(len);
        let p = pat(&format!("10.0.0.{lo}-{hi}"));
        let last: u8 = ip.rsplit('.').next().unwrap().parse().unwrap();
        let expected = ip.starts_with("10.0.0.") && (lo..=hi).contains(&last);
        prop_assert_eq!(p.matches(&ip), expected);
    }
}
