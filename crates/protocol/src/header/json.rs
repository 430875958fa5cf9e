//! JSON headers (serialize type 0), as fastjson writes them on the Java side.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde::Serialize;

use super::{DecodedHeader, HeaderDecodeError, MAX_EXT_FIELDS};
use crate::command::RemotingCommand;
use crate::ext_fields::ExtFields;
use crate::language::LanguageCode;

/// Appends the JSON header of `cmd` to `out`.
pub(crate) fn encode(cmd: &RemotingCommand, out: &mut Vec<u8>) {
    #[derive(Serialize)]
    struct Out<'a> {
        code: i32,
        #[serde(rename = "extFields", skip_serializing_if = "ExtFields::is_empty")]
        ext_fields: &'a ExtFields,
        flag: i32,
        language: &'a str,
        opaque: i32,
        #[serde(skip_serializing_if = "Option::is_none")]
        remark: Option<&'a str>,
        #[serde(rename = "serializeTypeCurrentRPC")]
        serialize_type: &'static str,
        version: i32,
    }
    let header = Out {
        code: cmd.code,
        ext_fields: &cmd.ext_fields,
        flag: cmd.flag,
        language: cmd.language.name(),
        opaque: cmd.opaque,
        remark: cmd.remark.as_deref(),
        serialize_type: "JSON",
        version: cmd.version,
    };
    // Serializing plain strings and integers into a Vec cannot fail.
    let _ = serde_json::to_writer(out, &header);
}

/// Decodes a JSON header.
pub(crate) fn decode(bytes: &[u8]) -> Result<DecodedHeader, HeaderDecodeError> {
    // serde would also read a JSON array positionally into the struct; only objects are headers.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(HeaderDecodeError::NotAnObject(
            "a JSON header must be an object",
        ));
    }
    let raw: RawHeader = serde_json::from_slice(bytes).map_err(HeaderDecodeError::Json)?;
    Ok(DecodedHeader {
        code: raw.code.0 as i32,
        language: raw.language.0,
        version: raw.version.0 as i32,
        opaque: raw.opaque.0 as i32,
        flag: raw.flag.0 as i32,
        remark: raw.remark.0,
        ext_fields: raw.ext_fields.0,
    })
}

#[derive(Deserialize)]
struct RawHeader {
    #[serde(default)]
    code: LenientInt,
    #[serde(default)]
    language: LenientLanguage,
    #[serde(default)]
    version: LenientInt,
    #[serde(default)]
    opaque: LenientInt,
    #[serde(default)]
    flag: LenientInt,
    #[serde(default)]
    remark: LenientString,
    #[serde(default, rename = "extFields")]
    ext_fields: LenientExtFields,
}

/// An integer given as a number, a numeric string, or null (→ 0).
#[derive(Default)]
struct LenientInt(i64);

impl<'de> Deserialize<'de> for LenientInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientInt;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientInt, E> {
                Ok(LenientInt(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientInt, E> {
                Ok(LenientInt(v as i64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LenientInt, E> {
                Ok(LenientInt(v as i64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientInt, E> {
                v.trim()
                    .parse()
                    .map(LenientInt)
                    .map_err(|_| E::custom(format!("`{v}` is not an integer")))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LenientInt, E> {
                Ok(LenientInt(0))
            }
        }
        d.deserialize_any(V)
    }
}

/// A language given by name or ordinal.
#[derive(Default)]
struct LenientLanguage(LanguageCode);

impl<'de> Deserialize<'de> for LenientLanguage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientLanguage;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a language name or ordinal")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientLanguage, E> {
                Ok(LenientLanguage(LanguageCode(v.clamp(0, 255) as u8)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientLanguage, E> {
                Ok(LenientLanguage(LanguageCode(v.min(255) as u8)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientLanguage, E> {
                match v.trim().parse::<u8>() {
                    Ok(n) => Ok(LenientLanguage(LanguageCode(n))),
                    Err(_) => Ok(LenientLanguage(LanguageCode::from_name(v))),
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<LenientLanguage, E> {
                Ok(LenientLanguage(LanguageCode::OTHER))
            }
        }
        d.deserialize_any(V)
    }
}

/// A string, or any scalar rendered as a string; null → `None`.
#[derive(Default)]
struct LenientString(Option<String>);

impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor).map(LenientString)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let mut out = String::new();
        Compact(&mut out).visit_map(map)?;
        Ok(Some(out))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let mut out = String::new();
        Compact(&mut out).visit_seq(seq)?;
        Ok(Some(out))
    }
}

/// Writes the JSON value being deserialized, compactly, into a string: how an object or array
/// given as a header value becomes text. Streaming it costs no more memory than its text,
/// where building a `serde_json::Value` first costs up to 16 times that (32 bytes per `0,`).
/// Nesting is bounded by serde_json's recursion limit (128), which also bounds our stack.
struct Compact<'s>(&'s mut String);

impl Compact<'_> {
    fn push_json(&mut self, v: &impl Serialize) {
        // Writing a string, number or bool as JSON cannot fail; a non-finite float (which
        // JSON input cannot produce) would be written as null.
        if let Ok(text) = serde_json::to_string(v) {
            self.0.push_str(&text);
        }
    }
}

impl<'de> de::DeserializeSeed<'de> for Compact<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Compact<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(mut self, v: bool) -> Result<(), E> {
        self.push_json(&v);
        Ok(())
    }
    fn visit_i64<E: de::Error>(mut self, v: i64) -> Result<(), E> {
        self.push_json(&v);
        Ok(())
    }
    fn visit_u64<E: de::Error>(mut self, v: u64) -> Result<(), E> {
        self.push_json(&v);
        Ok(())
    }
    fn visit_f64<E: de::Error>(mut self, v: f64) -> Result<(), E> {
        self.push_json(&v);
        Ok(())
    }
    fn visit_str<E: de::Error>(mut self, v: &str) -> Result<(), E> {
        self.push_json(&v);
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.push_str("null");
        Ok(())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.0.push('[');
        let mut first = true;
        loop {
            let at = self.0.len();
            if !first {
                self.0.push(',');
            }
            if seq.next_element_seed(Compact(self.0))?.is_none() {
                self.0.truncate(at);
                break;
            }
            first = false;
        }
        self.0.push(']');
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.0.push('{');
        let mut first = true;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if !first {
                self.0.push(',');
            }
            first = false;
            Compact(self.0).push_json(&key);
            self.0.push(':');
            map.next_value_seed(Compact(self.0))?;
        }
        self.0.push('}');
        Ok(())
    }
}

/// The `extFields` object: values of any scalar type become strings, nulls are dropped.
#[derive(Default)]
struct LenientExtFields(ExtFields);

impl<'de> Deserialize<'de> for LenientExtFields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientExtFields;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of header fields")
            }
            fn visit_unit<E: de::Error>(self) -> Result<LenientExtFields, E> {
                Ok(LenientExtFields::default())
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<LenientExtFields, A::Error> {
                let mut fields = ExtFields::new();
                while let Some(key) = map.next_key::<String>()? {
                    if fields.len() >= MAX_EXT_FIELDS {
                        return Err(de::Error::custom(HeaderDecodeError::TooManyFields));
                    }
                    let value: LenientString = map.next_value()?;
                    // A repeated key takes the last value, as fastjson's HashMap does.
                    if let Some(v) = value.0 {
                        fields.insert(key, v);
                    }
                }
                Ok(LenientExtFields(fields))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_java_example() {
        let text = br#"{"code":310,"extFields":{"a":"PG","b":"T"},"flag":0,"language":"JAVA","opaque":17,"serializeTypeCurrentRPC":"JSON","version":479}"#;
        let h = decode(text).unwrap();
        assert_eq!(h.code, 310);
        assert_eq!(h.language, LanguageCode::JAVA);
        assert_eq!(h.version, 479);
        assert_eq!(h.opaque, 17);
        assert_eq!(h.ext_fields.get("b"), Some("T"));
    }

    #[test]
    fn lenient_values() {
        let text = br#"{"code":"11","language":9,"opaque":0,"flag":0,"remark":null,
            "extFields":{"queueId":3,"commitOffset":12345678901,"unitMode":false,"n":null,"o":{"x":1}},
            "unknown":[1,2]}"#;
        let h = decode(text).unwrap();
        assert_eq!(h.code, 11);
        assert_eq!(h.language, LanguageCode::GO);
        assert_eq!(h.remark, None);
        assert_eq!(h.ext_fields.get("queueId"), Some("3"));
        assert_eq!(h.ext_fields.get("commitOffset"), Some("12345678901"));
        assert_eq!(h.ext_fields.get("unitMode"), Some("false"));
        assert_eq!(h.ext_fields.get("n"), None);
        assert_eq!(h.ext_fields.get("o"), Some(r#"{"x":1}"#));
    }

    #[test]
    fn nested_values_become_their_compact_json_text() {
        let value = r#"[1, -2, 2.5, 1e3, "a\"b\u00e9", null, true, {"k": [], "n": {"m": {}}}]"#;
        let text = format!(r#"{{"code":1,"extFields":{{"v":{value}}},"remark":{{"r": [0]}}}}"#);
        let h = decode(text.as_bytes()).unwrap();
        // The same text serde_json gives for the value (what this decoder produced before).
        let expected = serde_json::from_str::<serde_json::Value>(value)
            .unwrap()
            .to_string();
        assert_eq!(h.ext_fields.get("v"), Some(expected.as_str()));
        assert_eq!(h.remark.as_deref(), Some(r#"{"r":[0]}"#));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        for depth in [129, 100_000] {
            let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            for text in [
                format!(r#"{{"extFields":{{"v":{deep}}}}}"#),
                format!(r#"{{"remark":{deep}}}"#),
            ] {
                assert!(decode(text.as_bytes()).is_err(), "depth {depth}");
            }
            // serde_json skips an unknown key's value with a loop, not recursion.
            let unknown = format!(r#"{{"code":5,"unknown":{deep}}}"#);
            assert_eq!(decode(unknown.as_bytes()).unwrap().code, 5);
        }
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let text = format!(r#"{{"extFields":{{"v":{ok}}}}}"#);
        assert_eq!(
            decode(text.as_bytes()).unwrap().ext_fields.get("v"),
            Some(ok.as_str())
        );
    }

    #[test]
    fn repeated_key_takes_the_last_value_in_the_first_position() {
        let h = decode(br#"{"extFields":{"a":"1","b":"2","a":"3"}}"#).unwrap();
        let fields: Vec<_> = h.ext_fields.iter().collect();
        assert_eq!(fields, [("a", "3"), ("b", "2")]);
    }

    #[test]
    fn field_count_is_bounded() {
        let fields = |n: usize| {
            let body: Vec<String> = (0..n).map(|i| format!(r#""k{i}":"""#)).collect();
            format!(r#"{{"code":1,"extFields":{{{}}}}}"#, body.join(","))
        };
        let h = decode(fields(MAX_EXT_FIELDS).as_bytes()).unwrap();
        assert_eq!(h.ext_fields.len(), MAX_EXT_FIELDS);
        let err = decode(fields(MAX_EXT_FIELDS + 1).as_bytes()).unwrap_err();
        assert!(
            err.to_string().contains("more than 4096 extFields"),
            "{err}"
        );
    }

    #[test]
    fn rejects_non_object() {
        assert!(decode(b"[1,2]").is_err());
        assert!(decode(b"{\"code\":").is_err());
        assert!(decode(b"{\"code\":\"x\"}").is_err());
    }

    #[test]
    fn encodes_every_ext_value_as_string() {
        let cmd = RemotingCommand::request(105)
            .with_ext("topic", "T")
            .with_opaque(3);
        let mut out = Vec::new();
        encode(&cmd, &mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["extFields"]["topic"], "T");
        assert_eq!(v["code"], 105);
        assert_eq!(v["language"], "JAVA");
        assert!(v.get("remark").is_none());
    }
}
