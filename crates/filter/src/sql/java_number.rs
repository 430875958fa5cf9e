//! Java's string→number conversions and orderings, which decide how a property value compares
//! with a literal: `Integer.valueOf` / `Long.valueOf` (sign, any Unicode decimal digit of the
//! BMP, no spaces), `Double.valueOf` (trimmed, `NaN`/`Infinity`, `f`/`d` suffix, hex floats),
//! `Boolean.valueOf` (`"true"` ignoring case, anything else false), `Double.compareTo`
//! (NaN greatest, -0.0 < 0.0) and `String.compareTo` (UTF-16 code units).

use std::cmp::Ordering;

/// The zero of every run of ten BMP characters for which Java 17's `Character.digit(c, 10)`
/// is defined (generated from the JVM: 37 runs, 370 digits).
const BMP_DIGIT_ZEROS: [u16; 37] = [
    0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10,
];

/// `Character.digit(c, 10)`. Characters outside the BMP are surrogate pairs in Java and never
/// digits.
fn decimal_digit(c: char) -> Option<u8> {
    let cp = u32::from(c);
    if cp > 0xFFFF {
        return None;
    }
    let idx = BMP_DIGIT_ZEROS.partition_point(|&z| u32::from(z) <= cp);
    let zero = u32::from(*BMP_DIGIT_ZEROS.get(idx.checked_sub(1)?)?);
    let d = cp - zero;
    (d < 10).then_some(d as u8)
}

/// Accumulates decimal digits negatively (so the minimum value parses), as `parseLong` does.
fn parse_signed(s: &str, min: i64, max: i64) -> Option<i64> {
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut acc: i64 = 0;
    for c in digits.chars() {
        let d = i64::from(decimal_digit(c)?);
        acc = acc.checked_mul(10)?.checked_sub(d)?;
        if acc < min {
            return None;
        }
    }
    let value = if negative { acc } else { acc.checked_neg()? };
    (value <= max).then_some(value)
}

/// `Integer.valueOf(s)`; `None` where Java throws `NumberFormatException`.
pub(crate) fn parse_int(s: &str) -> Option<i32> {
    parse_signed(s, i64::from(i32::MIN), i64::from(i32::MAX)).map(|v| v as i32)
}

/// `Long.valueOf(s)`; `None` where Java throws `NumberFormatException`.
pub(crate) fn parse_long(s: &str) -> Option<i64> {
    parse_signed(s, i64::MIN, i64::MAX)
}

/// `Boolean.valueOf(s)`: true only for "true" in any case.
pub(crate) fn parse_boolean(s: &str) -> bool {
    s.eq_ignore_ascii_case("true")
}

/// `Double.valueOf(s)`; `None` where Java throws `NumberFormatException`.
pub(crate) fn parse_double(s: &str) -> Option<f64> {
    // String.trim(): every char <= U+0020 at either end.
    let s = s.trim_matches(|c: char| c <= ' ');
    let bytes = s.as_bytes();
    let (negative, body) = match bytes.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let sign = if negative { -1.0 } else { 1.0 };
    match body.as_bytes().first()? {
        b'N' => return (body == "NaN").then_some(f64::NAN),
        b'I' => return (body == "Infinity").then_some(sign * f64::INFINITY),
        _ => {}
    }
    if body.len() > 1 && body.starts_with('0') && matches!(body.as_bytes()[1], b'x' | b'X') {
        return parse_hex_double(&body[2..]).map(|v| sign * v);
    }
    let b = body.as_bytes();
    let mut i = 0;
    let mut digits = 0;
    let mut seen_point = false;
    while i < b.len() {
        match b[i] {
            b'0'..=b'9' => digits += 1,
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        i += 1;
        if i < b.len() && matches!(b[i], b'+' | b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let numeric_end = i;
    if i < b.len() {
        // Only one trailing type suffix is allowed, as the very last character.
        if i != b.len() - 1 || !matches!(b[i], b'f' | b'F' | b'd' | b'D') {
            return None;
        }
    }
    // The validated text is also valid for Rust's correctly rounded parser.
    let magnitude: f64 = body[..numeric_end].parse().ok()?;
    Some(sign * magnitude)
}

/// The part of a Java hex float after `0x`: `h+[.]` or `h*.h+`, then `p[+-]d+`, then an
/// optional `f`/`d` suffix. Rounds to nearest-even like the JVM.
fn parse_hex_double(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut mantissa: u64 = 0;
    let mut kept = 0u32; // significant hex digits kept in `mantissa`
    let mut dropped: i64 = 0; // significant hex digits that did not fit
    let mut sticky = false;
    let mut fraction_digits: i64 = 0;
    let mut any_digit = false;
    let mut seen_point = false;
    while i < b.len() {
        let c = b[i];
        if c == b'.' && !seen_point {
            seen_point = true;
            i += 1;
            continue;
        }
        let Some(d) = (c as char).to_digit(16) else {
            break;
        };
        any_digit = true;
        if seen_point {
            fraction_digits += 1;
        }
        if kept == 0 && d == 0 {
            // Leading zeros carry no bits.
        } else if kept < 16 {
            mantissa = (mantissa << 4) | u64::from(d);
            kept += 1;
        } else {
            dropped += 1;
            sticky |= d != 0;
        }
        i += 1;
    }
    if !any_digit || i >= b.len() || !matches!(b[i], b'p' | b'P') {
        return None;
    }
    i += 1;
    let mut exp_negative = false;
    if i < b.len() && matches!(b[i], b'+' | b'-') {
        exp_negative = b[i] == b'-';
        i += 1;
    }
    let start = i;
    let mut exponent: i64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        exponent = (exponent * 10 + i64::from(b[i] - b'0')).min(1 << 40);
        i += 1;
    }
    if i == start {
        return None;
    }
    if i < b.len() && (i != b.len() - 1 || !matches!(b[i], b'f' | b'F' | b'd' | b'D')) {
        return None;
    }
    if mantissa == 0 {
        return Some(0.0);
    }
    let exponent = if exp_negative { -exponent } else { exponent };
    // value = mantissa * 2^e2 (+ a sticky fraction below the last kept bit)
    let shift = mantissa.leading_zeros();
    let mantissa = mantissa << shift;
    let e2 = exponent + 4 * (dropped - fraction_digits) - i64::from(shift);
    let e = e2 + 63; // value = 1.f * 2^e
    if e > 1023 {
        return Some(f64::INFINITY);
    }
    let drop_bits = if e >= -1022 { 11 } else { 11 + (-1022 - e) };
    if drop_bits >= 128 {
        return Some(0.0);
    }
    let wide = u128::from(mantissa);
    let mut kept_bits = wide >> drop_bits;
    let rest = wide & ((1u128 << drop_bits) - 1);
    let half = 1u128 << (drop_bits - 1);
    if rest > half || (rest == half && (sticky || kept_bits & 1 == 1)) {
        kept_bits += 1;
    }
    let bits = if e >= -1022 {
        let (mut kept_bits, mut e) = (kept_bits as u64, e);
        if kept_bits == 1 << 53 {
            kept_bits >>= 1;
            e += 1;
        }
        if e > 1023 {
            return Some(f64::INFINITY);
        }
        (((e + 1023) as u64) << 52) | (kept_bits & ((1 << 52) - 1))
    } else {
        // Subnormal: the raw bits are the kept mantissa (rounding up into 2^52 yields the
        // smallest normal number, which is also right).
        kept_bits as u64
    };
    Some(f64::from_bits(bits))
}

/// `Double.compareTo`: NaN equals itself and is above everything, -0.0 sorts below 0.0.
pub(crate) fn compare_doubles(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.total_cmp(&b),
    }
}

/// `String.compareTo`: lexicographic over UTF-16 code units.
pub(crate) fn compare_strings(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_java() {
        assert_eq!(parse_int("+5"), Some(5));
        assert_eq!(parse_int("-0"), Some(0));
        assert_eq!(parse_int("05"), Some(5));
        assert_eq!(parse_int("٣٤"), Some(34)); // Arabic-Indic digits
        assert_eq!(parse_int("１２"), Some(12)); // fullwidth
        assert_eq!(parse_int("2147483647"), Some(i32::MAX));
        assert_eq!(parse_int("-2147483648"), Some(i32::MIN));
        for bad in [
            "2147483648",
            "-2147483649",
            "+",
            "-",
            "",
            " 5",
            "5 ",
            "1.0",
            "0x1",
            "𝟏",
        ] {
            assert_eq!(parse_int(bad), None, "{bad:?}");
        }
        assert_eq!(parse_long("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_long("9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_long("9223372036854775808"), None);
        assert_eq!(parse_long("3000000000"), Some(3_000_000_000));
    }

    #[test]
    fn doubles_follow_java() {
        let ok = [
            ("1.", 1.0),
            (".5", 0.5),
            ("1.e5", 1e5),
            (" 5 ", 5.0),
            ("\t-2.5\n", -2.5),
            ("5d", 5.0),
            ("5F", 5.0),
            ("1e-3D", 1e-3),
            ("0x1p3", 8.0),
            ("0x1.8p1", 3.0),
            ("-0X.8P1f", -1.0),
            ("0x1p-1074", 5e-324),
            ("0x1p-1075", 0.0),
            ("0x1.8p-1074", 1e-323),
            ("0x1p1024", f64::INFINITY),
            ("0x1.fffffffffffff8p0", 2.0),
            ("0x1.fffffffffffff7ffp0", 1.9999999999999998),
            ("+Infinity", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("1e400", f64::INFINITY),
        ];
        for (s, want) in ok {
            assert_eq!(parse_double(s), Some(want), "{s:?}");
        }
        assert!(parse_double("-NaN").unwrap().is_nan());
        for bad in [
            "", " ", "1e", "1_0", "٣", "nan", "inf", "1.5.3", ".", "e5", "5dd", "0x1", "0xp1",
            "NaNd", "1e+", "1,5", "5 d",
        ] {
            assert_eq!(parse_double(bad), None, "{bad:?}");
        }
        // " 5d " is trimmed first, so the suffix is last.
        assert_eq!(parse_double(" 5d "), Some(5.0));
    }

    #[test]
    fn orderings_follow_java() {
        assert_eq!(compare_doubles(f64::NAN, f64::INFINITY), Ordering::Greater);
        assert_eq!(compare_doubles(f64::NAN, f64::NAN), Ordering::Equal);
        assert_eq!(compare_doubles(-0.0, 0.0), Ordering::Less);
        assert_eq!(compare_doubles(1.0, 2.0), Ordering::Less);
        // U+FFFF sorts after U+10000 in UTF-16 (a surrogate pair starts with 0xD800).
        assert_eq!(compare_strings("\u{FFFF}", "\u{10000}"), Ordering::Greater);
        assert_eq!(compare_strings("a", "b"), Ordering::Less);
        assert!(parse_boolean("TrUe") && !parse_boolean("yes") && !parse_boolean(" true"));
    }
}
