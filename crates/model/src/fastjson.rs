//! Reading and writing the non-standard JSON that fastjson (Java RocketMQ) produces.
//!
//! fastjson's default output differs from standard JSON in three ways that matter here:
//! * integer map keys are unquoted: `{"brokerAddrs":{0:"10.0.0.1:10911"}}` (routes for old
//!   clients, `ClusterInfo`, `consumerOffset.json`, `delayOffset.json`);
//! * maps keyed by an object write the key as that object: `ConsumeStats` and
//!   `TopicStatsTable` emit `{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{…}}}`;
//! * with some features it writes identifiers unquoted or strings in single quotes.
//!
//! [`normalize`] rewrites all of these into standard JSON — an object-valued key becomes a JSON
//! string holding the key's compact JSON — without touching the contents of any string literal.
//! [`from_fastjson`] also resolves fastjson's `{"$ref":"$.path"}` objects, which it writes when
//! one Java object instance appears twice in a document.
//! [`write_object_keyed_map`] writes the object-key form, which Java tooling (`mqadmin`,
//! `DefaultMQAdminExt`) needs to parse `Map<MessageQueue, …>` fields.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::ModelError;

mod refs;

/// Nesting deeper than this is treated as garbage and left for the JSON parser to reject
/// (serde_json refuses anything past 127 levels). It also bounds the normalizer's recursion.
const MAX_DEPTH: usize = 128;

/// Rewrites fastjson output into standard JSON.
///
/// Standard JSON comes back borrowed and unchanged. Input that is not even fastjson-shaped
/// (unterminated strings, mismatched brackets, …) is also returned unchanged, so that the JSON
/// parser reports the error; this function never fails and never panics.
pub fn normalize(input: &str) -> Cow<'_, str> {
    let mut normalizer = Normalizer {
        src: input,
        pos: 0,
        out: String::with_capacity(input.len() + 16),
        compact: false,
        depth: 0,
    };
    match normalizer.document() {
        Some(()) if normalizer.out != input => Cow::Owned(normalizer.out),
        _ => Cow::Borrowed(input),
    }
}

/// Normalizes `input` with [`normalize`], resolves `$ref` objects, and deserializes it.
///
/// Safe on hostile input: nesting stays within serde_json's limit of 127 levels before and
/// after `$ref` expansion, and expansion copies at most 16 MiB (more references become `null`).
pub fn from_fastjson<T: DeserializeOwned>(input: &str) -> Result<T, ModelError> {
    let text = normalize(input);
    if !text.contains("\"$ref\"") {
        return Ok(serde_json::from_str(&text)?);
    }
    let mut value: serde_json::Value = serde_json::from_str(&text)?;
    refs::resolve(&mut value);
    Ok(serde_json::from_value(value)?)
}

/// Like [`from_fastjson`], for a body that has not been checked to be UTF-8 yet.
pub fn from_fastjson_slice<T: DeserializeOwned>(input: &[u8]) -> Result<T, ModelError> {
    from_fastjson(std::str::from_utf8(input).map_err(ModelError::Utf8)?)
}

/// Writes `entries` as a fastjson map whose keys are JSON values written unquoted:
/// `{{"brokerName":"b","queueId":0,"topic":"T"}:{"maxOffset":5}}`.
pub fn write_object_keyed_map<'a, K, V, I>(out: &mut String, entries: I) -> Result<(), ModelError>
where
    K: Serialize + 'a,
    V: Serialize + 'a,
    I: IntoIterator<Item = (&'a K, &'a V)>,
{
    out.push('{');
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(key)?);
        out.push(':');
        out.push_str(&serde_json::to_string(value)?);
    }
    out.push('}');
    Ok(())
}

/// Writes `value` as a JSON string literal.
fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    for ch in value.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A single forward pass over the input, copying it to `out` with the fastjson quirks fixed.
/// Every method returns `None` on input it cannot make sense of.
struct Normalizer<'a> {
    src: &'a str,
    pos: usize,
    out: String,
    /// Drop whitespace instead of copying it: set while rendering an object-valued key.
    compact: bool,
    depth: usize,
}

impl<'a> Normalizer<'a> {
    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    fn whitespace(&mut self) {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
        if !self.compact {
            self.out.push_str(&self.src[start..self.pos]);
        }
    }

    /// Copies one ASCII byte that is known to be at `pos`.
    fn copy_byte(&mut self) {
        self.out.push(char::from(self.src.as_bytes()[self.pos]));
        self.pos += 1;
    }

    fn document(&mut self) -> Option<()> {
        self.whitespace();
        self.value()?;
        self.whitespace();
        (self.pos == self.src.len()).then_some(())
    }

    fn value(&mut self) -> Option<()> {
        match self.peek()? {
            b'{' => self.nested(Self::object),
            b'[' => self.nested(Self::array),
            b'"' => self.double_quoted(),
            b'\'' => self.single_quoted(),
            _ => {
                let token = self.bare_token()?;
                self.out.push_str(token);
                Some(())
            }
        }
    }

    fn nested(&mut self, body: fn(&mut Self) -> Option<()>) -> Option<()> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let result = body(self);
        self.depth -= 1;
        result
    }

    fn object(&mut self) -> Option<()> {
        self.copy_byte(); // '{'
        self.whitespace();
        if self.peek()? == b'}' {
            self.copy_byte();
            return Some(());
        }
        loop {
            self.key()?;
            self.whitespace();
            if self.peek()? != b':' {
                return None;
            }
            self.copy_byte();
            self.whitespace();
            self.value()?;
            self.whitespace();
            match self.peek()? {
                b',' => {
                    self.copy_byte();
                    self.whitespace();
                }
                b'}' => {
                    self.copy_byte();
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self) -> Option<()> {
        self.copy_byte(); // '['
        self.whitespace();
        if self.peek()? == b']' {
            self.copy_byte();
            return Some(());
        }
        loop {
            self.value()?;
            self.whitespace();
            match self.peek()? {
                b',' => {
                    self.copy_byte();
                    self.whitespace();
                }
                b']' => {
                    self.copy_byte();
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn key(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.double_quoted(),
            b'\'' => self.single_quoted(),
            // An object-valued key inside another one: fastjson never writes it for RocketMQ
            // types, and each level would double the escaping (2^depth bytes of output).
            b'{' | b'[' if self.compact => None,
            b'{' | b'[' => {
                // Render the key value compactly on its own, then quote it as a string.
                let outer = std::mem::take(&mut self.out);
                let outer_compact = std::mem::replace(&mut self.compact, true);
                let rendered = self.value();
                self.compact = outer_compact;
                let key = std::mem::replace(&mut self.out, outer);
                rendered?;
                push_json_string(&mut self.out, &key);
                Some(())
            }
            _ => {
                let token = self.bare_token()?;
                push_json_string(&mut self.out, token);
                Some(())
            }
        }
    }

    /// A number, `true`/`false`/`null`, or an unquoted identifier.
    fn bare_token(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if matches!(
                b,
                b' ' | b'\t'
                    | b'\r'
                    | b'\n'
                    | b','
                    | b':'
                    | b'{'
                    | b'}'
                    | b'['
                    | b']'
                    | b'"'
                    | b'\''
            ) {
                break;
            }
            self.pos += 1;
        }
        // Every delimiter is ASCII, so `start..pos` lies on char boundaries.
        let src = self.src;
        (self.pos > start).then(|| &src[start..self.pos])
    }

    /// Copies a standard string literal verbatim.
    fn double_quoted(&mut self) -> Option<()> {
        let bytes = self.src.as_bytes();
        let start = self.pos;
        let mut i = start + 1;
        loop {
            match *bytes.get(i)? {
                b'\\' => i += 2,
                b'"' => break,
                _ => i += 1,
            }
        }
        self.pos = i + 1;
        self.out.push_str(&self.src[start..self.pos]);
        Some(())
    }

    /// Converts `'it\'s "x"'` into `"it's \"x\""`; other escapes are kept as they are.
    fn single_quoted(&mut self) -> Option<()> {
        let rest = self.src.get(self.pos + 1..)?;
        let mut chars = rest.char_indices();
        self.out.push('"');
        loop {
            let (i, ch) = chars.next()?;
            match ch {
                '\'' => {
                    self.pos += 1 + i + 1;
                    self.out.push('"');
                    return Some(());
                }
                '"' => self.out.push_str("\\\""),
                '\\' => {
                    let (_, escaped) = chars.next()?;
                    if escaped == '\'' {
                        self.out.push('\'');
                    } else {
                        self.out.push('\\');
                        self.out.push(escaped);
                    }
                }
                c => self.out.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};
    use std::collections::BTreeMap;

    fn norm(s: &str) -> String {
        normalize(s).into_owned()
    }

    #[test]
    fn standard_json_is_borrowed_unchanged() {
        let s = r#"{"a": [1, 2.5e3, true, null, "x"], "b": {"c": "\"{0:1}\""}}"#;
        assert!(matches!(normalize(s), Cow::Borrowed(_)));
    }

    #[test]
    fn unquoted_integer_keys_get_quoted() {
        let s = r#"{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911",-1:"x"}}"#;
        assert_eq!(
            norm(s),
            r#"{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911","-1":"x"}}"#
        );
    }

    #[test]
    fn unquoted_identifier_keys_and_single_quotes() {
        assert_eq!(
            norm(r#"{name:'it\'s "q"', 'k':1}"#),
            r#"{"name":"it's \"q\"", "k":1}"#
        );
    }

    #[test]
    fn pretty_printed_file_with_unquoted_keys() {
        let s = "{\n\t\"offsetTable\":{\n\t\t\"T@g\":{0:123,1:456\n\t\t}\n\t}\n}";
        let v: Value = serde_json::from_str(&norm(s)).unwrap();
        assert_eq!(v, json!({"offsetTable": {"T@g": {"0": 123, "1": 456}}}));
    }

    #[test]
    fn object_keys_become_string_keys_holding_compact_json() {
        let s = r#"{"offsetTable":{{"brokerName":"b", "queueId":0,"topic":"T"}:{"maxOffset":5}}}"#;
        let v: Value = serde_json::from_str(&norm(s)).unwrap();
        let table = v["offsetTable"].as_object().unwrap();
        let (key, value) = table.iter().next().unwrap();
        assert_eq!(key, r#"{"brokerName":"b","queueId":0,"topic":"T"}"#);
        assert_eq!(value, &json!({"maxOffset": 5}));
    }

    #[test]
    fn string_contents_are_never_touched() {
        let s = r#"{"s":"{0:1} 'a' {\"x\":1}:2 \\","t":"\u00e9 é"}"#;
        assert_eq!(norm(s), s);
    }

    #[test]
    fn garbage_is_returned_unchanged() {
        for s in [
            "",
            "{",
            "{0:}",
            "[1,,2]",
            "{\"a\" 1}",
            "'abc",
            "\"abc",
            "{}}",
            "{{:1}",
        ] {
            assert_eq!(normalize(s), s, "{s:?}");
        }
        let deep = "[".repeat(MAX_DEPTH + 10);
        assert_eq!(normalize(&deep), deep.as_str());
    }

    #[test]
    fn nested_object_keys_cannot_amplify_the_output() {
        // Each level of object-in-object keys would double the escaping.
        let mut doc = String::from("1");
        for _ in 0..20 {
            doc = format!("{{{doc}:1}}");
        }
        let out = normalize(&doc);
        assert!(
            out.len() <= 4 * doc.len(),
            "{} bytes from {}",
            out.len(),
            doc.len()
        );
        assert!(from_fastjson::<Value>(&doc).is_err());
        // One level, as ConsumeStats writes it, still works.
        let v: Value = from_fastjson(r#"{{"k":[1,{"a":2}]}:{"x":{0:1}}}"#).unwrap();
        assert_eq!(v, json!({r#"{"k":[1,{"a":2}]}"#: {"x": {"0": 1}}}));
    }

    #[test]
    fn deep_documents_fail_cleanly_on_a_small_stack() {
        let deep_refs = format!(
            r#"{{"a":{}{{"$ref":"$.a"}}{}}}"#,
            "[".repeat(120),
            "]".repeat(120)
        );
        let docs = [
            "[".repeat(100_000),
            format!("{}{}", "{0:".repeat(50_000), "}".repeat(50_000)),
            format!("{}1{}", "[".repeat(127), "]".repeat(127)),
            deep_refs,
        ];
        // Request handlers run on tokio workers (2 MiB stacks); a debug build on half of
        // that proves the margin.
        std::thread::Builder::new()
            .stack_size(1024 * 1024)
            .spawn(move || {
                for doc in &docs {
                    let _ = normalize(doc);
                    if let Ok(v) = from_fastjson::<Value>(doc) {
                        assert!(refs::tests::nesting(&v) <= refs::MAX_NESTING);
                    }
                }
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn writer_emits_the_object_key_form() {
        let mut entries = BTreeMap::new();
        entries.insert(vec![1, 2], 3);
        let mut out = String::new();
        write_object_keyed_map(&mut out, &entries).unwrap();
        assert_eq!(out, "{[1,2]:3}");
        let back: BTreeMap<String, i32> = from_fastjson(&out).unwrap();
        assert_eq!(back.get("[1,2]"), Some(&3));
    }

    #[test]
    fn from_fastjson_slice_rejects_invalid_utf8() {
        let err = from_fastjson_slice::<Value>(&[b'"', 0xff, b'"']).unwrap_err();
        assert!(matches!(err, ModelError::Utf8(_)));
    }

    /// Arbitrary JSON values, rendered with fastjson-style unquoted integer keys.
    fn fastjson_value() -> impl Strategy<Value = (String, Value)> {
        let leaf = prop_oneof![
            any::<i64>().prop_map(|n| (n.to_string(), json!(n))),
            any::<bool>().prop_map(|b| (b.to_string(), json!(b))),
            Just(("null".to_string(), Value::Null)),
            ".*".prop_map(|s| (serde_json::to_string(&s).unwrap(), json!(s))),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(|items| {
                    let text: Vec<_> = items.iter().map(|(t, _)| t.clone()).collect();
                    let vals: Vec<_> = items.into_iter().map(|(_, v)| v).collect();
                    (format!("[{}]", text.join(",")), Value::Array(vals))
                }),
                prop::collection::btree_map(any::<i32>(), inner, 0..5).prop_map(|entries| {
                    let text: Vec<_> = entries
                        .iter()
                        .map(|(k, (t, _))| format!("{k}:{t}"))
                        .collect();
                    let map = entries
                        .into_iter()
                        .map(|(k, (_, v))| (k.to_string(), v))
                        .collect();
                    (format!("{{{}}}", text.join(",")), Value::Object(map))
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn normalize_never_panics(s in any::<String>()) {
            let _ = normalize(&s);
        }

        #[test]
        fn normalize_never_panics_on_json_like_noise(s in r#"[{}\[\]:,"'\\a0-9 -]{0,64}"#) {
            let _ = normalize(&s);
        }

        #[test]
        fn string_literals_survive(s in any::<String>()) {
            let doc = format!("{{0:{},\"k\":[{}]}}", serde_json::to_string(&s).unwrap(), serde_json::to_string(&s).unwrap());
            let v: Value = from_fastjson(&doc).unwrap();
            prop_assert_eq!(&v["0"], &json!(s));
            prop_assert_eq!(&v["k"][0], &json!(s));
        }

        #[test]
        fn standard_json_passes_through(v in fastjson_value().prop_map(|(_, v)| v)) {
            let s = serde_json::to_string_pretty(&v).unwrap();
            prop_assert_eq!(normalize(&s), s.as_str());
        }

        #[test]
        fn fastjson_maps_parse_to_the_same_value((text, value) in fastjson_value()) {
            let parsed: Value = from_fastjson(&text).unwrap();
            prop_assert_eq!(parsed, value);
        }
    }
}
