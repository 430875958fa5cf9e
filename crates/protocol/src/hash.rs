//! Java `String.hashCode`, which RocketMQ stores on disk (ConsumeQueue tag codes,
//! IndexFile slots) and sends on the wire (subscription `codeSet`).

/// Java's `String.hashCode()`: `h = 31*h + c` over UTF-16 code units, wrapping `i32`.
pub fn java_string_hash(s: &str) -> i32 {
    let mut h: i32 = 0;
    for unit in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(unit as i32);
    }
    h
}

/// The tag code stored in a ConsumeQueue entry: the tag's Java hash sign-extended to 64 bits,
/// `0` when the message has no tag.
pub fn tag_code(tag: Option<&str>) -> i64 {
    match tag {
        Some(t) if !t.is_empty() => java_string_hash(t) as i64,
        _ => 0,
    }
}

/// The IndexFile key hash: `abs(hashCode(key))`, with Java's `Math.abs(Integer.MIN_VALUE)`
/// overflow mapped to 0 as the Java broker does.
pub fn index_key_hash(key: &str) -> i32 {
    let h = java_string_hash(key);
    if h == i32::MIN {
        0
    } else {
        h.abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_java_values() {
        // Values computed by the JVM: "".hashCode()==0, "TagA".hashCode()==2598919,
        // "hello".hashCode()==99162322, "polygenelubricants".hashCode()==Integer.MIN_VALUE.
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("TagA"), 2598919);
        assert_eq!(java_string_hash("hello"), 99162322);
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
        assert_eq!(index_key_hash("polygenelubricants"), 0);
        // Non-BMP characters hash as two UTF-16 surrogates.
        assert_eq!(java_string_hash("\u{1F600}"), 0xD83D * 31 + 0xDE00);
    }

    #[test]
    fn tag_code_sign_extends() {
        let negative = "abcdefghij"; // hashes to a negative i32
        assert!(java_string_hash(negative) < 0);
        assert_eq!(tag_code(Some(negative)), java_string_hash(negative) as i64);
        assert_eq!(tag_code(None), 0);
        assert_eq!(tag_code(Some("")), 0);
    }
}
