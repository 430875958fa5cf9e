//! Lenient field readers for `#[serde(deserialize_with = ...)]`.
//!
//! Java (fastjson), Go, C++ and Python clients disagree on small things: numbers sent as strings
//! (Go's `codeSet`), booleans as `0`/`1`, `null` where Java would omit the field. Each reader here
//! accepts every such spelling of one logical type; `null` means "the default".

use std::collections::BTreeSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, Error, Visitor};
use serde::{Deserialize, Deserializer};

/// Reads an integer of type `T` from a JSON number, an integral float or a numeric string.
pub(crate) fn int<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i128> + Default,
{
    Ok(d.deserialize_any(IntVisitor::<T>(PhantomData))?
        .unwrap_or_default())
}

/// Like [`int`], but `null` is `None`.
pub(crate) fn opt_int<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i128> + Default,
{
    d.deserialize_any(IntVisitor::<T>(PhantomData))
}

struct IntVisitor<T>(PhantomData<T>);

impl<T: TryFrom<i128>> IntVisitor<T> {
    fn fit<E: Error>(v: i128) -> Result<Option<T>, E> {
        T::try_from(v)
            .map(Some)
            .map_err(|_| E::custom(format!("integer {v} out of range")))
    }
}

impl<'de, T: TryFrom<i128> + Default> Visitor<'de> for IntVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer, or a string holding one")
    }
    fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
        Self::fit(i128::from(v))
    }
    fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
        Self::fit(i128::from(v))
    }
    fn visit_f64<E: Error>(self, v: f64) -> Result<Self::Value, E> {
        integral_float(v)
            .map(Self::fit)
            .unwrap_or_else(|| Err(E::custom(format!("{v} is not an integer"))))
    }
    fn visit_bool<E: Error>(self, v: bool) -> Result<Self::Value, E> {
        Self::fit(i128::from(v))
    }
    fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(None);
        }
        if let Ok(n) = t.parse::<i128>() {
            return Self::fit(n);
        }
        match t.parse::<f64>().ok().and_then(integral_float) {
            Some(n) => Self::fit(n),
            None => Err(E::custom(format!("{v:?} is not an integer"))),
        }
    }
    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

fn integral_float(v: f64) -> Option<i128> {
    // i128 covers every finite integral f64 below 2^127; the cast saturates beyond that.
    (v.is_finite() && v.fract() == 0.0).then_some(v as i128)
}

/// Reads an `f64` from a number or a numeric string; `null` is `0.0`.
pub(crate) fn float<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    struct FloatVisitor;
    impl<'de> Visitor<'de> for FloatVisitor {
        type Value = f64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a number, or a string holding one")
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_f64<E: Error>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }
        fn visit_str<E: Error>(self, v: &str) -> Result<f64, E> {
            let t = v.trim();
            if t.is_empty() {
                return Ok(0.0);
            }
            t.parse()
                .map_err(|_| E::custom(format!("{v:?} is not a number")))
        }
        fn visit_unit<E: Error>(self) -> Result<f64, E> {
            Ok(0.0)
        }
        fn visit_none<E: Error>(self) -> Result<f64, E> {
            Ok(0.0)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<f64, D::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_any(FloatVisitor)
}

/// Reads a boolean from `true`/`false`, `0`/`1` (any non-zero is true) or those as strings.
pub(crate) fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct BoolVisitor;
    impl<'de> Visitor<'de> for BoolVisitor {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a boolean, 0/1, or a string holding one")
        }
        fn visit_bool<E: Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<bool, E> {
            Ok(v != 0)
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<bool, E> {
            Ok(v != 0)
        }
        fn visit_f64<E: Error>(self, v: f64) -> Result<bool, E> {
            Ok(v != 0.0)
        }
        fn visit_str<E: Error>(self, v: &str) -> Result<bool, E> {
            let t = v.trim();
            if t.eq_ignore_ascii_case("true") || t == "1" {
                Ok(true)
            } else if t.eq_ignore_ascii_case("false") || t == "0" || t.is_empty() {
                Ok(false)
            } else {
                Err(E::custom(format!("{v:?} is not a boolean")))
            }
        }
        fn visit_unit<E: Error>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_none<E: Error>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_any(BoolVisitor)
}

/// Reads a string; numbers and booleans are turned into their JSON text, `null` is `""`.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_string(d)?.unwrap_or_default())
}

/// Like [`string`], but `null` is `None`.
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct StringVisitor;
    impl<'de> Visitor<'de> for StringVisitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_string<E: Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_bool<E: Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_any(StringVisitor)
}

/// Reads any `T`, turning `null` into `T::default()` (Java collections that were never set).
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Reads any `T`, falling back to `T::default()` when the value does not fit (e.g. an enum
/// name this version does not know). Used for fields where rejecting the whole body (a
/// heartbeat, say) would be worse than losing one value.
pub(crate) fn or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let value = serde_json::Value::deserialize(d)?;
    Ok(T::deserialize(&value).unwrap_or_else(|e| {
        tracing::debug!(%value, error = %e, "unrecognised value replaced by its default");
        T::default()
    }))
}

/// A `T` read with [`int`], for use inside collections.
struct LenientInt<T>(T);

impl<'de, T: TryFrom<i128> + Default> Deserialize<'de> for LenientInt<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        int(d).map(LenientInt)
    }
}

/// Reads a set of integers whose elements may be numbers or numeric strings (the Go client
/// writes `codeSet` as `["123","456"]`); `null` is the empty set.
pub(crate) fn int_set<'de, D, T>(d: D) -> Result<BTreeSet<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i128> + Default + Ord,
{
    let items = Option::<Vec<LenientInt<T>>>::deserialize(d)?.unwrap_or_default();
    Ok(items.into_iter().map(|LenientInt(v)| v).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug, Default, PartialEq)]
    #[serde(default)]
    struct Probe {
        #[serde(deserialize_with = "int")]
        n: i32,
        #[serde(deserialize_with = "opt_int")]
        o: Option<i64>,
        #[serde(deserialize_with = "boolean")]
        b: bool,
        #[serde(deserialize_with = "string")]
        s: String,
        #[serde(deserialize_with = "float")]
        f: f64,
        #[serde(deserialize_with = "int_set")]
        set: BTreeSet<i32>,
        #[serde(deserialize_with = "null_default")]
        list: Vec<String>,
    }

    fn probe(json: &str) -> Probe {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn integers_from_numbers_strings_and_integral_floats() {
        assert_eq!(probe(r#"{"n":7}"#).n, 7);
        assert_eq!(probe(r#"{"n":"-12"}"#).n, -12);
        assert_eq!(probe(r#"{"n":" 5 "}"#).n, 5);
        assert_eq!(probe(r#"{"n":3.0}"#).n, 3);
        assert_eq!(probe(r#"{"n":null}"#).n, 0);
        assert_eq!(probe(r#"{"o":"9000000000"}"#).o, Some(9_000_000_000));
        assert_eq!(probe(r#"{"o":null}"#).o, None);
    }

    #[test]
    fn integers_reject_garbage_and_overflow() {
        assert!(serde_json::from_str::<Probe>(r#"{"n":"abc"}"#).is_err());
        assert!(serde_json::from_str::<Probe>(r#"{"n":3.5}"#).is_err());
        assert!(serde_json::from_str::<Probe>(r#"{"n":4294967296}"#).is_err());
    }

    #[test]
    fn booleans_from_numbers_and_strings() {
        assert!(probe(r#"{"b":1}"#).b);
        assert!(!probe(r#"{"b":0}"#).b);
        assert!(probe(r#"{"b":"true"}"#).b);
        assert!(probe(r#"{"b":"TRUE"}"#).b);
        assert!(!probe(r#"{"b":"0"}"#).b);
        assert!(!probe(r#"{"b":null}"#).b);
        assert!(serde_json::from_str::<Probe>(r#"{"b":"maybe"}"#).is_err());
    }

    #[test]
    fn strings_numbers_sets_and_nulls() {
        assert_eq!(probe(r#"{"s":42}"#).s, "42");
        assert_eq!(probe(r#"{"s":null}"#).s, "");
        assert_eq!(probe(r#"{"f":"1.5"}"#).f, 1.5);
        assert_eq!(
            probe(r#"{"set":["-3", 4, "4"]}"#).set,
            BTreeSet::from([-3, 4])
        );
        assert!(probe(r#"{"set":null,"list":null}"#).list.is_empty());
    }
}
