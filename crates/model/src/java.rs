//! Java `String` semantics that leak into RocketMQ's data: `hashCode` (tag codes stored in the
//! ConsumeQueue and sent in `codeSet`) and `compareTo` (queue ordering that every client's
//! rebalance depends on). Both work on UTF-16 code units, not bytes.

use std::cmp::Ordering;

/// Java's `String.hashCode()`: `h = 31 * h + unit` over UTF-16 code units, wrapping at 32 bits.
pub fn string_hash_code(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// Java's `String.compareTo()`: lexicographic over UTF-16 code units. Differs from Rust's byte
/// order only when comparing characters above U+FFFF with those in U+E000..=U+FFFF.
pub fn compare_strings(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_code_matches_java() {
        // Values printed by Java's "…".hashCode().
        assert_eq!(string_hash_code(""), 0);
        assert_eq!(string_hash_code("a"), 97);
        assert_eq!(string_hash_code("TagA"), 2598919);
        assert_eq!(string_hash_code("hello world"), 1794106052);
        assert_eq!(string_hash_code("polygenelubricants"), i32::MIN);
        // "😀" is the surrogate pair D83D DE00: 31 * 0xD83D + 0xDE00.
        assert_eq!(string_hash_code("😀"), 31 * 0xD83D + 0xDE00);
    }

    #[test]
    fn compare_follows_utf16_units() {
        assert_eq!(compare_strings("a", "b"), Ordering::Less);
        assert_eq!(compare_strings("TopicB", "TopicA"), Ordering::Greater);
        // U+FF21 (one unit 0xFF21) sorts after U+1F600 (units 0xD83D 0xDE00) in Java,
        // though its UTF-8 bytes sort first.
        assert_eq!(compare_strings("\u{FF21}", "😀"), Ordering::Greater);
        assert_eq!("\u{FF21}".cmp("😀"), Ordering::Less);
    }
}
