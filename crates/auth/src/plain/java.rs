//! The few Java and commons-lang string behaviours ACL 1.0 decisions depend on. Patterns,
//! permission strings and admin parameters are split and trimmed the way RocketMQ does, so
//! a file Java accepts reads the same here and one it rejects is rejected here too.

/// commons-lang `StringUtils.split(s, ch)`: the pieces between separators, empty ones
/// dropped (so leading, trailing and doubled separators vanish).
pub(crate) fn split_tokens(s: &str, sep: char) -> Vec<&str> {
    s.split(sep).filter(|t| !t.is_empty()).collect()
}

/// Java `String.split(",")` as `UtilAll.split` uses it for admin parameters: empty pieces
/// are kept except trailing ones; a blank value is an empty list.
pub fn split_comma_list(s: &str) -> Vec<String> {
    if is_blank(s) {
        return Vec::new();
    }
    let mut parts: Vec<String> = s.split(',').map(str::to_owned).collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// Java `String.trim`: strips every char up to U+0020 (controls and space) at both ends.
pub(crate) fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// commons-lang `StringUtils.isBlank` (Java `Character.isWhitespace`, which leaves out the
/// no-break spaces).
pub(crate) fn is_blank(s: &str) -> bool {
    s.chars().all(|c| {
        (c.is_whitespace() && !matches!(c, '\u{00A0}' | '\u{2007}' | '\u{202F}'))
            || ('\u{1C}'..='\u{1F}').contains(&c)
    })
}

/// Java `String.length()`: UTF-16 code units; the key-length rules count these.
pub(crate) fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Java `Integer.parseInt(s, radix)`, with `NumberFormatException`'s message on failure.
pub(crate) fn parse_int(s: &str, radix: u32) -> Result<i32, String> {
    i32::from_str_radix(s, radix).map_err(|_| {
        if radix == 10 {
            format!("For input string: \"{s}\"")
        } else {
            format!("For input string: \"{s}\" under radix {radix}")
        }
    })
}

/// The message of Java's `ArrayIndexOutOfBoundsException` for `array[index]`.
pub(crate) fn index_out_of_bounds(index: usize, len: usize) -> String {
    format!("Index {index} out of bounds for length {len}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_tokens_drops_empty_pieces() {
        assert_eq!(split_tokens("..1..2.", '.'), ["1", "2"]);
        assert!(split_tokens("", ',').is_empty());
        assert_eq!(split_tokens("a=PUB", '='), ["a", "PUB"]);
        assert_eq!(split_tokens("a==PUB", '='), ["a", "PUB"]);
    }

    #[test]
    fn comma_lists_split_as_java_string_split() {
        assert_eq!(split_comma_list("a,,b,,"), ["a", "", "b"]);
        assert_eq!(split_comma_list(",a"), ["", "a"]);
        assert!(split_comma_list("  ").is_empty());
        assert!(split_comma_list(",,,").is_empty());
        assert_eq!(split_comma_list("1.2.3.4"), ["1.2.3.4"]);
    }

    #[test]
    fn trim_blank_and_lengths() {
        assert_eq!(java_trim("\t PUB \n"), "PUB");
        assert_eq!(java_trim("\u{00A0}PUB"), "\u{00A0}PUB");
        assert!(is_blank(" \t\r\n"));
        assert!(is_blank(""));
        assert!(!is_blank("\u{00A0}"));
        assert_eq!(utf16_len("abc"), 3);
        assert_eq!(utf16_len("\u{1F600}"), 2);
    }

    #[test]
    fn parse_int_messages() {
        assert_eq!(parse_int("+12", 10), Ok(12));
        assert_eq!(parse_int("ff", 16), Ok(255));
        assert_eq!(parse_int("x", 10), Err("For input string: \"x\"".into()));
        assert_eq!(
            parse_int("", 16),
            Err("For input string: \"\" under radix 16".into())
        );
        assert!(parse_int("99999999999", 10).is_err());
    }
}
