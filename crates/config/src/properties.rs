//! `java.util.Properties` text: a reader faithful to `Properties.load` and writers that
//! `load` reads back unchanged.
//!
//! Reading follows the JDK rules RocketMQ users rely on (and sometimes trip over):
//! - natural lines end with `\n`, `\r` or `\r\n`; leading spaces, tabs and form feeds are ignored;
//! - a line whose first non-blank character is `#` or `!` is a comment, unless it continues a
//!   logical line that already has content (then it is data); as in JDK 9+;
//! - a line ending in an odd number of backslashes continues on the next line, whose leading
//!   blanks are dropped;
//! - the key ends at the first unescaped `=`, `:` or blank; blanks around the separator are
//!   skipped; a key alone on its line has the empty value; trailing blanks of a value are kept;
//! - escapes `\t \n \r \f \uXXXX`; any other escaped character stands for itself (`\x` → `x`);
//!   a malformed `\u` is an error, as in Java;
//! - duplicate keys: the last value wins, at the position of the first occurrence.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::ConfigError;

/// One `key=value` entry with the line it was read from.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The unescaped key.
    pub key: String,
    /// The unescaped value.
    pub value: String,
    /// 1-based line where the (last) definition starts; 0 for entries not read from text.
    pub line: usize,
}

/// An ordered set of properties: file order, one entry per key.
///
/// Equality compares keys and values in order and ignores line numbers.
#[derive(Debug, Clone, Default)]
pub struct Properties {
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
}

impl PartialEq for Properties {
    fn eq(&self, other: &Self) -> bool {
        self.entries.len() == other.entries.len()
            && self
                .entries
                .iter()
                .zip(&other.entries)
                .all(|(a, b)| a.key == b.key && a.value == b.value)
    }
}

impl Eq for Properties {}

/// How a writer escapes text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteStyle {
    /// Exactly as `Properties.store`: `= : # !` always escaped, a key's blanks escaped, and
    /// (with `escape_unicode`, as `store(OutputStream)` does) every char outside
    /// `0x20..=0x7e` written as `\uXXXX`.
    JavaStore {
        /// Write non-printable-ASCII chars as `\uXXXX` (true for `store(OutputStream)`).
        escape_unicode: bool,
    },
    /// Java's `MixAll.properties2String` shape, `key=value` with nothing escaped, except the
    /// few characters `load` would otherwise misread (backslashes, line breaks, leading blanks
    /// of a value, separators in a key). Typical broker configs come out byte-identical to
    /// Java's `GET_BROKER_CONFIG` body.
    Plain,
}

impl Properties {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `.properties` text as `Properties.load` does.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let mut props = Properties::new();
        for (line, logical) in logical_lines(text) {
            let (key, value) = split_key_value(&logical);
            let key = unescape(key, line)?;
            let value = unescape(value, line)?;
            props.insert_at(key, value, line);
        }
        Ok(props)
    }

    /// Sets `key` to `value` (replacing in place if present); returns the previous value.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> Option<String> {
        self.insert_at(key.into(), value.into(), 0)
    }

    fn insert_at(&mut self, key: String, value: String, line: usize) -> Option<String> {
        match self.index.get(&key) {
            Some(&i) => {
                let entry = &mut self.entries[i];
                entry.line = line;
                Some(std::mem::replace(&mut entry.value, value))
            }
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push(Entry { key, value, line });
                None
            }
        }
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.index.get(key).map(|&i| self.entries[i].value.as_str())
    }

    /// The full entry of `key`, if present.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.index.get(key).map(|&i| &self.entries[i])
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    /// Entries in file (insertion) order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// `(key, value)` pairs in file (insertion) order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str()))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Writes every entry, in order, one `key=value` line each (no header comments).
    pub fn write(&self, style: WriteStyle) -> String {
        let mut out = String::new();
        for e in &self.entries {
            write_entry(&mut out, &e.key, &e.value, style);
        }
        out
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Properties {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut props = Properties::new();
        for (k, v) in iter {
            props.insert(k, v);
        }
        props
    }
}

/// Appends one `key=value\n` line escaped in `style`.
pub(crate) fn write_entry(out: &mut String, key: &str, value: &str, style: WriteStyle) {
    match style {
        WriteStyle::JavaStore { escape_unicode } => {
            store_escape(out, key, true, escape_unicode);
            out.push('=');
            store_escape(out, value, false, escape_unicode);
        }
        WriteStyle::Plain => {
            plain_escape(out, key, true);
            out.push('=');
            plain_escape(out, value, false);
        }
    }
    out.push('\n');
}

const fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

/// Splits text into logical lines (continuations joined, comments and blank lines dropped),
/// each with the 1-based line number where it starts. Escapes are left in place.
fn logical_lines(text: &str) -> Vec<(usize, Vec<char>)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1usize;
    loop {
        // Skip blanks and empty lines before the logical line.
        loop {
            match chars.peek() {
                None => return out,
                Some(&c) if is_blank(c) => {
                    chars.next();
                }
                Some('\n') => {
                    chars.next();
                    line += 1;
                }
                Some('\r') => {
                    chars.next();
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    line += 1;
                }
                Some(_) => break,
            }
        }
        let start = line;
        let mut buf = Vec::new();
        let mut preceding_backslash = false;
        // Java quirk: a continuation backslash right at the end of input still yields a line,
        // even an empty one (the empty key with the empty value).
        let mut keep_empty = false;
        // At the first non-blank char of a natural line (start, or after a continuation).
        let mut at_line_start = true;
        loop {
            if at_line_start && buf.is_empty() && matches!(chars.peek(), Some('#' | '!')) {
                // A comment (JDK 9+: whenever nothing of the logical line is buffered yet).
                // It never continues, whatever it ends with.
                while chars.peek().is_some_and(|&c| c != '\n' && c != '\r') {
                    chars.next();
                }
                break;
            }
            at_line_start = false;
            match chars.next() {
                None => {
                    if preceding_backslash {
                        buf.pop();
                        keep_empty = true;
                    }
                    break;
                }
                Some(c @ ('\n' | '\r')) => {
                    // Java looks for the end of input right after the terminator char (for
                    // `\r\n`, before the `\n`).
                    let input_ended = chars.peek().is_none();
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    line += 1;
                    if !preceding_backslash {
                        break;
                    }
                    buf.pop();
                    preceding_backslash = false;
                    if input_ended {
                        keep_empty = true;
                        break;
                    }
                    while chars.peek().is_some_and(|&c| is_blank(c)) {
                        chars.next();
                    }
                    at_line_start = true;
                }
                Some(c) => {
                    preceding_backslash = c == '\\' && !preceding_backslash;
                    buf.push(c);
                }
            }
        }
        if !buf.is_empty() || keep_empty {
            out.push((start, buf));
        }
    }
}

/// Splits a logical line into raw (still escaped) key and value, as `Properties.load0` does.
fn split_key_value(line: &[char]) -> (&[char], &[char]) {
    let mut key_len = 0;
    let mut value_start = line.len();
    let mut has_sep = false;
    let mut preceding_backslash = false;
    while key_len < line.len() {
        let c = line[key_len];
        if !preceding_backslash && (c == '=' || c == ':') {
            value_start = key_len + 1;
            has_sep = true;
            break;
        }
        if !preceding_backslash && is_blank(c) {
            value_start = key_len + 1;
            break;
        }
        preceding_backslash = c == '\\' && !preceding_backslash;
        key_len += 1;
    }
    while value_start < line.len() {
        let c = line[value_start];
        if !is_blank(c) {
            if !has_sep && (c == '=' || c == ':') {
                has_sep = true;
            } else {
                break;
            }
        }
        value_start += 1;
    }
    (&line[..key_len], &line[value_start..])
}

/// Resolves escapes. Works in UTF-16 units, as Java does, so `\uD83D\uDE00` pairs combine;
/// a lone surrogate becomes U+FFFD.
fn unescape(raw: &[char], line: usize) -> Result<String, ConfigError> {
    let mut units: Vec<u16> = Vec::with_capacity(raw.len());
    let mut i = 0;
    let mut tmp = [0u16; 2];
    while i < raw.len() {
        let c = raw[i];
        i += 1;
        if c != '\\' {
            units.extend_from_slice(c.encode_utf16(&mut tmp));
            continue;
        }
        // A dangling backslash cannot reach here (continuation removed it); ignore it if so.
        let Some(&next) = raw.get(i) else { break };
        i += 1;
        let resolved = match next {
            'u' => {
                let digits = raw.get(i..i + 4).ok_or_else(|| malformed_unicode(line))?;
                let mut value: u16 = 0;
                for d in digits {
                    let v = d.to_digit(16).ok_or_else(|| malformed_unicode(line))?;
                    value = (value << 4) | v as u16;
                }
                i += 4;
                units.push(value);
                continue;
            }
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            'f' => '\x0c',
            other => other,
        };
        units.extend_from_slice(resolved.encode_utf16(&mut tmp));
    }
    Ok(String::from_utf16_lossy(&units))
}

fn malformed_unicode(line: usize) -> ConfigError {
    ConfigError::Syntax {
        line,
        message: "malformed \\uxxxx encoding".to_owned(),
    }
}

/// `Properties.saveConvert`.
fn store_escape(out: &mut String, s: &str, is_key: bool, escape_unicode: bool) {
    for (i, c) in s.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            ' ' if i == 0 || is_key => out.push_str("\\ "),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\x0c' => out.push_str("\\f"),
            '=' | ':' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if escape_unicode && !(' '..='~').contains(&c) => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04X}");
                }
            }
            c => out.push(c),
        }
    }
}

/// The least escaping that `load` reads back unchanged.
fn plain_escape(out: &mut String, s: &str, is_key: bool) {
    for (i, c) in s.chars().enumerate() {
        // Only the first blank of a value needs escaping: once load sees a non-blank it stops
        // skipping.
        let leading = i == 0;
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' if is_key || leading => out.push_str("\\t"),
            '\x0c' if is_key || leading => out.push_str("\\f"),
            ' ' if is_key || leading => out.push_str("\\ "),
            '=' | ':' if is_key => {
                out.push('\\');
                out.push(c);
            }
            '#' | '!' if is_key && i == 0 => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        Properties::parse(text)
            .unwrap()
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn kv(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn separators_and_blanks() {
        let text = "a=1\nb = 2\nc:3\nd 4\ne\t\t5\n  f  =  6  \ng\nh=\ni  :  =x\nj==k\n";
        assert_eq!(
            pairs(text),
            kv(&[
                ("a", "1"),
                ("b", "2"),
                ("c", "3"),
                ("d", "4"),
                ("e", "5"),
                ("f", "6  "),
                ("g", ""),
                ("h", ""),
                ("i", "=x"),
                ("j", "=k"),
            ])
        );
    }

    #[test]
    fn comments_only_at_logical_line_start() {
        let text = "# comment\n  ! bang comment\na=1 # not a comment\n#x=1\\\nb=2\nc=\\\n#d\n\\\n  #e\nf=1\n";
        assert_eq!(
            pairs(text),
            kv(&[
                ("a", "1 # not a comment"),
                ("b", "2"),
                ("c", "#d"),
                ("f", "1")
            ])
        );
    }

    #[test]
    fn continuation_lines() {
        let text = "list = a,\\\n        b,\\\r\n   c\nnext=x\\\\\nother=y\\\n\nlast=z\\";
        assert_eq!(
            pairs(text),
            kv(&[
                ("list", "a,b,c"),
                ("next", "x\\"),
                ("other", "y"),
                ("last", "z"),
            ])
        );
    }

    #[test]
    fn lone_trailing_backslash_at_eof_is_an_empty_entry_as_in_java() {
        assert_eq!(pairs("a=1\n  \\"), kv(&[("a", "1"), ("", "")]));
        assert_eq!(pairs("a=1\n\\\n"), kv(&[("a", "1"), ("", "")]));
        assert_eq!(pairs("a=1\n\\\r"), kv(&[("a", "1"), ("", "")]));
        assert_eq!(pairs("a=1\n\\\n  "), kv(&[("a", "1")]));
        assert_eq!(pairs("a=1\n\\\n\n"), kv(&[("a", "1")]));
        assert_eq!(pairs("a=1\n\\\r\n"), kv(&[("a", "1")]));
    }

    #[test]
    fn line_terminators_cr_lf_crlf() {
        assert_eq!(
            pairs("a=1\rb=2\r\nc=3\n"),
            kv(&[("a", "1"), ("b", "2"), ("c", "3")])
        );
    }

    #[test]
    fn escapes() {
        let text =
            "k\\ ey\\=1 = v\\t\\n\\r\\f\\\\\\x\\u0041\\u00e9\nsmile=\\uD83D\\uDE00\nlone=\\uD83D\n";
        assert_eq!(
            pairs(text),
            kv(&[
                ("k ey=1", "v\t\n\r\x0c\\xAé"),
                ("smile", "😀"),
                ("lone", "\u{FFFD}"),
            ])
        );
    }

    #[test]
    fn malformed_unicode_is_an_error_with_line() {
        for text in ["a=1\nb=\\u12\n", "a=1\nb=\\u12G4\n"] {
            match Properties::parse(text) {
                Err(ConfigError::Syntax { line, .. }) => assert_eq!(line, 2),
                other => panic!("expected syntax error, got {other:?}"),
            }
        }
    }

    #[test]
    fn duplicates_last_wins_first_position_and_lines() {
        let p = Properties::parse("a=1\nb=2\n\na=3\n").unwrap();
        assert_eq!(p.get("a"), Some("3"));
        assert_eq!(p.iter().map(|(k, _)| k).collect::<Vec<_>>(), vec!["a", "b"]);
        assert_eq!(p.entry("a").unwrap().line, 4);
        assert_eq!(p.entry("b").unwrap().line, 2);
    }

    #[test]
    fn line_numbers_count_continuations_and_blank_lines() {
        let p = Properties::parse("\n# c\nx=1\\\n 2\r\n\r\ny=3").unwrap();
        assert_eq!(p.get("x"), Some("12"));
        assert_eq!(p.entry("x").unwrap().line, 3);
        assert_eq!(p.entry("y").unwrap().line, 6);
    }

    #[test]
    fn java_store_escaping() {
        let p: Properties = [(" k=:#!", " v=:#! é\t"), ("#a", "\\")]
            .into_iter()
            .collect();
        assert_eq!(
            p.write(WriteStyle::JavaStore {
                escape_unicode: true
            }),
            "\\ k\\=\\:\\#\\!=\\ v\\=\\:\\#\\! \\u00E9\\t\n\\#a=\\\\\n"
        );
    }

    #[test]
    fn plain_style_matches_java_properties2string_for_ordinary_values() {
        let p: Properties = [
            ("namesrvAddr", "127.0.0.1:9876;127.0.0.2:9876"),
            ("messageDelayLevel", "1s 5s 2h"),
            ("configBlackList", "configBlackList;brokerConfigPath"),
            ("empty", ""),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            p.write(WriteStyle::Plain),
            "namesrvAddr=127.0.0.1:9876;127.0.0.2:9876\nmessageDelayLevel=1s 5s 2h\n\
             configBlackList=configBlackList;brokerConfigPath\nempty=\n"
        );
    }

    #[test]
    fn plain_style_escapes_what_load_would_misread() {
        let p: Properties = [("k", "  lead\\path\nx"), ("#k:", "#v")]
            .into_iter()
            .collect();
        let text = p.write(WriteStyle::Plain);
        assert_eq!(text, "k=\\  lead\\\\path\\nx\n\\#k\\:=#v\n");
        assert_eq!(Properties::parse(&text).unwrap(), p);
    }

    fn arb_props() -> impl Strategy<Value = Properties> {
        let text = prop_oneof![".*", "[ \\t\\x0c=:#!\\\\a-z\\r\\n]*", "\\PC*",];
        proptest::collection::vec((text.clone(), text), 0..8).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn java_store_round_trip(p in arb_props(), escape_unicode: bool) {
            let text = p.write(WriteStyle::JavaStore { escape_unicode });
            prop_assert_eq!(Properties::parse(&text).unwrap(), p);
        }

        #[test]
        fn plain_round_trip(p in arb_props()) {
            let text = p.write(WriteStyle::Plain);
            prop_assert_eq!(Properties::parse(&text).unwrap(), p);
        }

        #[test]
        fn escaped_unicode_output_is_ascii(p in arb_props()) {
            let text = p.write(WriteStyle::JavaStore { escape_unicode: true });
            prop_assert!(text.bytes().all(|b| b == b'\n' || (0x20..0x7f).contains(&b)));
        }

        #[test]
        fn parse_never_panics(text in "\\PC*|[\\\\u0-9a-fA-F=: \\r\\n#!]*") {
            let _ = Properties::parse(&text);
        }
    }
}
