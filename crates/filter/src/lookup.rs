//! [`PropertyLookup`]: where a selector reads message properties from — a decoded
//! [`Properties`], a map, or [`EncodedProperties`] straight over a stored record's property
//! string (decoded the way the Java broker's `MessageDecoder.string2messageProperties` does).

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use ferromq_protocol::message::properties::{NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR};
use ferromq_protocol::message::Properties;

/// Read access to a message's properties by exact (case-sensitive) name.
pub trait PropertyLookup {
    /// The value of property `name`, if the message has it.
    fn property(&self, name: &str) -> Option<&str>;
}

impl<T: PropertyLookup + ?Sized> PropertyLookup for &T {
    fn property(&self, name: &str) -> Option<&str> {
        (**self).property(name)
    }
}

impl PropertyLookup for Properties {
    fn property(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

impl<S: BuildHasher> PropertyLookup for HashMap<String, String, S> {
    fn property(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl PropertyLookup for BTreeMap<String, String> {
    fn property(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl PropertyLookup for [(&str, &str)] {
    fn property(&self, name: &str) -> Option<&str> {
        self.iter().rev().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }
}

/// An encoded property string (`k\u{1}v\u{2}…`) read without building a map, with the Java
/// broker's decoding rules: a pair needs a non-empty key and a non-empty value (so
/// `k\u{1}\u{2}` is absent, not empty), and when a key repeats the last value wins.
#[derive(Debug, Clone, Copy)]
pub struct EncodedProperties<'a>(pub &'a str);

impl PropertyLookup for EncodedProperties<'_> {
    fn property(&self, name: &str) -> Option<&str> {
        let mut found = None;
        for pair in self.0.split(PROPERTY_SEPARATOR) {
            if let Some((k, v)) = pair.split_once(NAME_VALUE_SEPARATOR) {
                if k == name && !k.is_empty() && !v.is_empty() {
                    found = Some(v);
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_properties_follow_java_decoding() {
        let p =
            EncodedProperties("a\u{1}1\u{2}b\u{1}\u{2}c\u{1}x\u{1}y\u{2}a\u{1}2\u{2}\u{1}z\u{2}");
        assert_eq!(p.property("a"), Some("2"));
        assert_eq!(p.property("b"), None);
        assert_eq!(p.property("c"), Some("x\u{1}y"));
        assert_eq!(p.property(""), None);
        assert_eq!(p.property("d"), None);
        let pairs: &[(&str, &str)] = &[("a", "1"), ("a", "2")];
        assert_eq!(pairs.property("a"), Some("2"));
        let mut props = Properties::new();
        props.insert("TAGS", "t");
        assert_eq!(props.property("TAGS"), Some("t"));
        assert_eq!(props.property("tags"), None);
    }
}
