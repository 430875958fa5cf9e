//! An insertion-ordered string map for header fields and message properties.
//!
//! Both usually hold about a dozen entries, looked up by short keys: a vector of pairs
//! scanned linearly is the fastest map for that. But both are decoded from bytes a client
//! chooses, and a vector that de-duplicates by scanning makes decoding quadratic (a 16 MiB
//! header of distinct keys took hours). So the map starts as a vector and turns into a hash
//! map (with std's randomly keyed SipHash, which a client cannot aim collisions at) once it
//! outgrows [`SMALL`] entries; insertion order is kept either way, so encoding stays stable.

use indexmap::IndexMap;

/// Entries kept in the plain vector; beyond this the map is hashed.
const SMALL: usize = 16;

/// The large map is boxed so the common small one keeps a command as small as it was (a
/// vector's 24 bytes; an `IndexMap` is 56).
#[derive(Clone, Debug)]
enum Repr {
    Small(Vec<(String, String)>),
    Large(Box<IndexMap<String, String>>),
}

/// Insertion-ordered map of strings; a repeated key keeps its first position and takes the
/// last value (as Java's `HashMap.put` would).
#[derive(Clone, Debug)]
pub(crate) struct StringMap(Repr);

impl Default for StringMap {
    fn default() -> Self {
        StringMap(Repr::Small(Vec::new()))
    }
}

impl StringMap {
    /// An empty map with room for `n` entries (capped at the small size: `n` may come from a
    /// peer).
    pub(crate) fn with_capacity(n: usize) -> Self {
        StringMap(Repr::Small(Vec::with_capacity(n.min(SMALL))))
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        match &self.0 {
            Repr::Small(v) => v.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()),
            Repr::Large(m) => m.get(key).map(String::as_str),
        }
    }

    /// Sets `key` to `value`; an existing key keeps its position.
    pub(crate) fn insert(&mut self, key: String, value: String) {
        match &mut self.0 {
            Repr::Small(v) => {
                if let Some(slot) = v.iter_mut().find(|(k, _)| *k == key) {
                    slot.1 = value;
                } else if v.len() < SMALL {
                    v.push((key, value));
                } else {
                    let mut m = IndexMap::with_capacity(2 * SMALL);
                    m.extend(v.drain(..));
                    m.insert(key, value);
                    self.0 = Repr::Large(Box::new(m));
                }
            }
            Repr::Large(m) => {
                m.insert(key, value);
            }
        }
    }

    /// Removes `key`, moving the last entry into its place (O(1) once hashed).
    pub(crate) fn swap_remove(&mut self, key: &str) -> Option<String> {
        match &mut self.0 {
            Repr::Small(v) => {
                let i = v.iter().position(|(k, _)| k == key)?;
                Some(v.swap_remove(i).1)
            }
            Repr::Large(m) => m.swap_remove(key),
        }
    }

    /// Removes `key`, keeping the order of the others.
    pub(crate) fn shift_remove(&mut self, key: &str) -> Option<String> {
        match &mut self.0 {
            Repr::Small(v) => {
                let i = v.iter().position(|(k, _)| k == key)?;
                Some(v.remove(i).1)
            }
            Repr::Large(m) => m.shift_remove(key),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match &self.0 {
            Repr::Small(v) => v.len(),
            Repr::Large(m) => m.len(),
        }
    }

    /// Iterates in insertion order.
    pub(crate) fn iter(&self) -> Iter<'_> {
        match &self.0 {
            Repr::Small(v) => Iter::Small(v.iter()),
            Repr::Large(m) => Iter::Large(m.iter()),
        }
    }
}

/// Two maps are equal when they hold the same entries in the same order (as the vectors they
/// replace compared).
impl PartialEq for StringMap {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for StringMap {}

/// Iterator over `(key, value)` in insertion order.
pub(crate) enum Iter<'a> {
    Small(std::slice::Iter<'a, (String, String)>),
    Large(indexmap::map::Iter<'a, String, String>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Small(i) => i.next().map(|(k, v)| (k.as_str(), v.as_str())),
            Iter::Large(i) => i.next().map(|(k, v)| (k.as_str(), v.as_str())),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Small(i) => i.size_hint(),
            Iter::Large(i) => i.size_hint(),
        }
    }
}

/// Runs `f` on its own thread and fails the test if it takes longer than `limit`: the
/// regression guard for decoders that used to be quadratic (they took minutes, not seconds).
#[cfg(test)]
pub(crate) fn assert_finishes_within<T: Send + 'static>(
    limit: std::time::Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(_) => panic!("{what} took longer than {limit:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(m: &StringMap) -> Vec<&str> {
        m.iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn the_small_form_costs_no_more_than_a_vector() {
        assert!(std::mem::size_of::<StringMap>() <= 32);
    }

    #[test]
    fn small_and_large_behave_alike() {
        for n in [3, SMALL, SMALL + 1, 5 * SMALL] {
            let mut m = StringMap::default();
            for i in 0..n {
                m.insert(format!("k{i}"), format!("v{i}"));
            }
            // A repeated key keeps its place and takes the last value.
            m.insert("k0".into(), "last".into());
            assert_eq!(m.len(), n);
            assert_eq!(m.get("k0"), Some("last"));
            assert_eq!(m.get(&format!("k{}", n - 1)), Some(&*format!("v{}", n - 1)));
            assert_eq!(m.get("nope"), None);
            let order: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
            assert_eq!(keys(&m), order);
            // shift_remove keeps the order; swap_remove moves the last entry into the gap.
            assert_eq!(m.shift_remove("k1").as_deref(), Some("v1"));
            assert_eq!(keys(&m)[1], "k2");
            assert_eq!(m.swap_remove("k0").as_deref(), Some("last"));
            assert_eq!(keys(&m)[0], format!("k{}", n - 1));
            assert_eq!(m.len(), n - 2);
            assert_eq!(m.swap_remove("k0"), None);
        }
    }

    #[test]
    fn equality_is_ordered_and_ignores_representation() {
        let mut big = StringMap::default();
        for i in 0..=SMALL {
            big.insert(format!("k{i}"), String::new());
        }
        for i in 2..=SMALL {
            big.swap_remove(&format!("k{i}"));
        }
        let mut small = StringMap::default();
        small.insert("k0".into(), String::new());
        small.insert("k1".into(), String::new());
        assert_eq!(big, small);
        let mut reversed = StringMap::default();
        reversed.insert("k1".into(), String::new());
        reversed.insert("k0".into(), String::new());
        assert_ne!(small, reversed);
    }
}
