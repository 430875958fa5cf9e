//! Namespaced key/value configuration (PUT/GET/DELETE_KV_CONFIG), persisted as Java does:
//! `{"configTable":{"ORDER_TOPIC_CONFIG":{"TopicA":"broker-a:4"}}}` in `kvConfig.json`.
//!
//! Any client may write here, so sizes and counts are bounded ([`KvLimits`]); namespaces and
//! keys are only map keys, never file names.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use ferromq_protocol::response_code;
use serde::{Deserialize, Serialize};

/// Namespace → key → value.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct KvTables {
    pub config_table: BTreeMap<String, BTreeMap<String, String>>,
}

/// Bounds on what clients may store: PUT_KV_CONFIG needs no credentials, and every entry is
/// kept in memory, written to disk, and sent back in full by GET_KVLIST_BY_NAMESPACE (and the
/// `ORDER_TOPIC_CONFIG` namespace with every broker registration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvLimits {
    /// Longest namespace, in bytes (255; Java's are short constants like `ORDER_TOPIC_CONFIG`).
    pub max_namespace_len: usize,
    /// Longest key, in bytes (255: keys are topic names, at most 255 characters, or addresses).
    pub max_key_len: usize,
    /// Longest value, in bytes (64 KiB: an order-topic value is `broker-a:4;broker-b:4`,
    /// about 12 bytes per broker group).
    pub max_value_len: usize,
    /// Entries across all namespaces (50 000).
    pub max_entries: usize,
    /// Namespace, key and value bytes of all entries together (8 MiB: what one GET or one
    /// write of the file may cost, and how long the table is locked to serialize it).
    pub max_total_bytes: usize,
}

impl Default for KvLimits {
    fn default() -> Self {
        KvLimits {
            max_namespace_len: 255,
            max_key_len: 255,
            max_value_len: 64 * 1024,
            max_entries: 50_000,
            max_total_bytes: 8 * 1024 * 1024,
        }
    }
}

/// Why a PUT_KV_CONFIG was refused; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum KvRefused {
    /// A namespace, key or value over its length limit.
    #[error("the KV config {what} is {len} bytes long, longer than the limit of {max}")]
    FieldTooLong {
        /// `"namespace"`, `"key"` or `"value"`.
        what: &'static str,
        len: usize,
        max: usize,
    },
    /// The store holds the maximum number of entries.
    #[error("the KV config store is full: it holds {max} entries, the limit; delete some first")]
    TooManyEntries { max: usize },
    /// The store would exceed its byte budget.
    #[error("the KV config store would hold {bytes} bytes, more than the limit of {max}; delete some entries first")]
    TooManyBytes { bytes: usize, max: usize },
}

impl KvRefused {
    /// The response code: INVALID_PARAMETER for an oversized field (the request is wrong),
    /// SYSTEM_ERROR for a full store (as Java answers a request it cannot serve).
    pub(crate) fn response_code(&self) -> i32 {
        match self {
            KvRefused::FieldTooLong { .. } => response_code::INVALID_PARAMETER,
            KvRefused::TooManyEntries { .. } | KvRefused::TooManyBytes { .. } => {
                response_code::SYSTEM_ERROR
            }
        }
    }
}

/// Why the KV file could not be written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum KvConfigError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The KV store: in memory, with a generation that counts changes so that persistence can be
/// coalesced (see `NameServerState::persist_kv`).
#[derive(Debug)]
pub(crate) struct KvConfig {
    tables: KvTables,
    limits: KvLimits,
    entries: usize,
    bytes: usize,
    generation: u64,
}

/// What one entry costs against [`KvLimits::max_total_bytes`].
fn entry_bytes(namespace: &str, key: &str, value: &str) -> usize {
    namespace.len() + key.len() + value.len()
}

impl KvConfig {
    /// Loads `path` (or its `.bak`); a missing or unreadable file starts empty, with a warning
    /// for the unreadable case. The file is trusted: it is loaded whole even past `limits`,
    /// which then only stop it from growing.
    pub(crate) fn load(path: Option<PathBuf>, limits: KvLimits) -> Self {
        let tables: KvTables = path
            .as_deref()
            .and_then(|p| read_tables(p).or_else(|| read_tables(&bak(p))))
            .unwrap_or_default();
        let (mut entries, mut bytes) = (0, 0);
        for (namespace, table) in &tables.config_table {
            for (key, value) in table {
                entries += 1;
                bytes += entry_bytes(namespace, key, value);
            }
        }
        if entries > limits.max_entries || bytes > limits.max_total_bytes {
            tracing::warn!(
                entries,
                bytes,
                ?limits,
                "KV config file is over the limits; puts of new entries will be refused"
            );
        }
        KvConfig {
            tables,
            limits,
            entries,
            bytes,
            generation: 0,
        }
    }

    /// The value of `namespace`/`key`.
    pub(crate) fn get(&self, namespace: &str, key: &str) -> Option<&str> {
        self.tables
            .config_table
            .get(namespace)
            .and_then(|t| t.get(key))
            .map(String::as_str)
    }

    /// Every key/value of `namespace`.
    pub(crate) fn namespace(&self, namespace: &str) -> Option<&BTreeMap<String, String>> {
        self.tables.config_table.get(namespace)
    }

    /// Sets a value within the limits; returns the generation that must be persisted.
    pub(crate) fn put(
        &mut self,
        namespace: &str,
        key: &str,
        value: &str,
    ) -> Result<u64, KvRefused> {
        let l = self.limits;
        for (what, len, max) in [
            ("namespace", namespace.len(), l.max_namespace_len),
            ("key", key.len(), l.max_key_len),
            ("value", value.len(), l.max_value_len),
        ] {
            if len > max {
                return Err(KvRefused::FieldTooLong { what, len, max });
            }
        }
        let old = self.get(namespace, key);
        if old == Some(value) {
            return Ok(self.generation);
        }
        let new_bytes = entry_bytes(namespace, key, value);
        let (entries, bytes) = match old {
            Some(old) => (
                self.entries,
                self.bytes - entry_bytes(namespace, key, old) + new_bytes,
            ),
            None if self.entries >= l.max_entries => {
                return Err(KvRefused::TooManyEntries { max: l.max_entries })
            }
            None => (self.entries + 1, self.bytes + new_bytes),
        };
        // A replacement that shrinks is always allowed, even over a budget a loaded file broke.
        if bytes > l.max_total_bytes && bytes > self.bytes {
            return Err(KvRefused::TooManyBytes {
                bytes,
                max: l.max_total_bytes,
            });
        }
        self.tables
            .config_table
            .entry(namespace.to_string())
            .or_default()
            .insert(key.to_string(), value.to_string());
        self.entries = entries;
        self.bytes = bytes;
        self.generation += 1;
        Ok(self.generation)
    }

    /// Removes a value; returns the generation to persist when something changed.
    pub(crate) fn delete(&mut self, namespace: &str, key: &str) -> Option<u64> {
        let table = self.tables.config_table.get_mut(namespace)?;
        let old = table.remove(key)?;
        if table.is_empty() {
            self.tables.config_table.remove(namespace);
        }
        self.entries -= 1;
        self.bytes -= entry_bytes(namespace, key, &old);
        self.generation += 1;
        Some(self.generation)
    }

    /// The current generation and the file contents for it. Serializing costs a pass over the
    /// table (bounded by [`KvLimits::max_total_bytes`]) but no copy of it.
    pub(crate) fn to_json(&self) -> (u64, Vec<u8>) {
        // Maps of strings always serialize.
        let json = serde_json::to_vec_pretty(&self.tables).unwrap_or_default();
        (self.generation, json)
    }
}

fn bak(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".bak");
    PathBuf::from(s)
}

fn read_tables(p: &Path) -> Option<KvTables> {
    let text = std::fs::read_to_string(p).ok()?;
    match ferromq_model::fastjson::from_fastjson::<KvTables>(&text) {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::warn!(path = %p.display(), error = %e, "ignoring unreadable KV config file");
            None
        }
    }
}

/// Writes `json` (from [`KvConfig::to_json`]) to `path` atomically: the old file becomes
/// `.bak`, the new one is written to a temporary name, synced, and renamed into place.
pub(crate) fn persist(path: &Path, json: &[u8]) -> Result<(), KvConfigError> {
    let err = |source| KvConfigError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut f = std::fs::File::create(&tmp).map_err(err)?;
        f.write_all(json).map_err(err)?;
        f.sync_all().map_err(err)?;
    }
    if path.exists() {
        let _ = std::fs::copy(path, bak(path));
    }
    std::fs::rename(&tmp, path).map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> KvLimits {
        KvLimits {
            max_namespace_len: 8,
            max_key_len: 4,
            max_value_len: 6,
            max_entries: 3,
            max_total_bytes: 40,
        }
    }

    #[test]
    fn put_get_delete_persist_reload() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("namesrv/kvConfig.json");
        let mut kv = KvConfig::load(Some(path.clone()), KvLimits::default());
        let generation = kv.put("ORDER_TOPIC_CONFIG", "T", "broker-a:4").unwrap();
        let (snap_generation, json) = kv.to_json();
        assert_eq!(generation, snap_generation);
        persist(&path, &json).unwrap();
        assert_eq!(kv.get("ORDER_TOPIC_CONFIG", "T"), Some("broker-a:4"));
        assert_eq!(
            kv.put("ORDER_TOPIC_CONFIG", "T", "broker-a:4"),
            Ok(generation)
        );
        let again = KvConfig::load(Some(path.clone()), KvLimits::default());
        assert_eq!(again.get("ORDER_TOPIC_CONFIG", "T"), Some("broker-a:4"));
        assert_eq!(kv.delete("ORDER_TOPIC_CONFIG", "T"), Some(generation + 1));
        persist(&path, &kv.to_json().1).unwrap();
        assert!(kv.delete("ORDER_TOPIC_CONFIG", "T").is_none());
        assert_eq!(
            KvConfig::load(Some(path), KvLimits::default()).get("ORDER_TOPIC_CONFIG", "T"),
            None
        );
    }

    #[test]
    fn reads_java_file_with_bak_fallback() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kvConfig.json");
        std::fs::write(&path, "{ broken").unwrap();
        std::fs::write(
            bak(&path),
            "{\n\t\"configTable\":{\n\t\t\"ORDER_TOPIC_CONFIG\":{\n\t\t\t\"T\":\"b:4\"\n\t\t}\n\t}\n}",
        )
        .unwrap();
        assert_eq!(
            KvConfig::load(Some(path), KvLimits::default()).get("ORDER_TOPIC_CONFIG", "T"),
            Some("b:4")
        );
    }

    #[test]
    fn oversized_fields_are_refused_and_change_nothing() {
        let mut kv = KvConfig::load(None, small());
        let too_long = |what, len, max| Err(KvRefused::FieldTooLong { what, len, max });
        assert_eq!(kv.put("namespace", "k", "v"), too_long("namespace", 9, 8));
        assert_eq!(kv.put("ns", "key-1", "v"), too_long("key", 5, 4));
        assert_eq!(kv.put("ns", "k", "value-1"), too_long("value", 7, 6));
        assert_eq!(kv.to_json().0, 0);
        assert!(kv.namespace("ns").is_none());
        assert_eq!(
            kv.put("ns", "k", "value-1").unwrap_err().response_code(),
            response_code::INVALID_PARAMETER
        );
        // Exactly at the limits is fine.
        assert!(kv.put("namespac", "kkkk", "vvvvvv").is_ok());
    }

    #[test]
    fn entry_and_byte_budgets_hold() {
        let mut kv = KvConfig::load(None, small());
        for k in ["a", "b", "c"] {
            kv.put("ns", k, "v").unwrap();
        }
        let refused = kv.put("ns", "d", "v").unwrap_err();
        assert_eq!(refused, KvRefused::TooManyEntries { max: 3 });
        assert_eq!(refused.response_code(), response_code::SYSTEM_ERROR);
        assert_eq!(kv.get("ns", "d"), None);
        // Replacing an entry does not add one; 3 entries of 4 bytes each so far.
        kv.put("ns", "a", "vvvvvv").unwrap();
        kv.put("namespac", "b", "vvvvvv").unwrap_err();
        kv.delete("ns", "c").unwrap();
        // 9 + 4 bytes in 2 entries: a third of 15 bytes fits, a fourth entry does not.
        kv.put("namespac", "bbbb", "vvv").unwrap();
        assert_eq!(
            kv.put("namespac", "c", "vvvvvv").unwrap_err(),
            KvRefused::TooManyEntries { max: 3 }
        );
        kv.delete("ns", "b").unwrap();
        assert_eq!(
            kv.put("namespac", "cccc", "vvvvvv"),
            Err(KvRefused::TooManyBytes { bytes: 42, max: 40 })
        );
        // Shrinking or deleting always works.
        kv.put("namespac", "bbbb", "v").unwrap();
        assert_eq!(kv.get("namespac", "bbbb"), Some("v"));
    }

    #[test]
    fn defaults_fit_what_java_stores() {
        let mut kv = KvConfig::load(None, KvLimits::default());
        let order_conf: Vec<String> = (0..100).map(|i| format!("broker-{i}:16")).collect();
        kv.put(
            "ORDER_TOPIC_CONFIG",
            &format!("%RETRY%{}", "g".repeat(120)),
            &order_conf.join(";"),
        )
        .unwrap();
        kv.put("PROJECT_CONFIG", "10.0.0.1", "project-a").unwrap();
    }
}
