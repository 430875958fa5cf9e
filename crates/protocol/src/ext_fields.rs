//! `extFields`: the string map that carries every custom header field.
//!
//! Headers hold about a dozen fields, so lookups scan a short vector; a header from a hostile
//! peer may hold thousands, so the map switches to hashing past a few dozen and decoding
//! stays linear (see `string_map`). Insertion order is kept for stable output.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::string_map::StringMap;

/// The custom-header fields of a command, as strings.
///
/// A key set twice keeps its first position and its last value: decoders put fields in
/// arrival order, so a repeated field in a frame resolves as Java's `HashMap.put` does.
/// Equality compares fields in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtFields {
    map: StringMap,
}

impl ExtFields {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty map with room for `n` fields.
    pub fn with_capacity(n: usize) -> Self {
        ExtFields {
            map: StringMap::with_capacity(n),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key)
    }

    /// Sets `key`, replacing an existing value (which keeps its position).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.map.insert(key.into(), value.into());
    }

    /// Removes `key`, returning its value. The last field takes its place.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.map.swap_remove(key)
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Iterates over the fields in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map.iter()
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.map.len() == 0
    }

    /// Copies every field of `other` into `self`.
    pub fn extend_from(&mut self, other: &ExtFields) {
        for (k, v) in other.iter() {
            self.insert(k, v);
        }
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for ExtFields {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        let mut f = ExtFields::new();
        for (k, v) in iter {
            f.insert(k, v);
        }
        f
    }
}

impl Serialize for ExtFields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_replaces() {
        let mut f = ExtFields::new();
        f.insert("a", "1");
        f.insert("b", "2");
        f.insert("a", "3");
        assert_eq!(f.get("a"), Some("3"));
        assert_eq!(f.len(), 2);
        assert_eq!(f.remove("a"), Some("3".into()));
        assert!(!f.contains("a"));
    }

    #[test]
    fn many_distinct_fields_insert_in_linear_time() {
        // 200,000 fields: a linear scan per insert (the old map) needs 2·10^10 comparisons.
        let n = 200_000;
        let f = crate::string_map::assert_finishes_within(
            std::time::Duration::from_secs(10),
            "inserting 200,000 distinct fields",
            move || {
                (0..n)
                    .map(|i| (format!("k{i}"), "v"))
                    .collect::<ExtFields>()
            },
        );
        assert_eq!(f.len(), n);
        assert_eq!(f.get("k199999"), Some("v"));
        assert_eq!(f.iter().next(), Some(("k0", "v")), "insertion order kept");
    }
}
