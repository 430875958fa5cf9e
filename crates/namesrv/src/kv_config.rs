//! Namespaced key/value configuration (PUT/GET/DELETE_KV_CONFIG), persisted as Java does:
//! `{"configTable":{"ORDER_TOPIC_CONFIG":{"TopicA":"broker-a:4"}}}` in `kvConfig.json`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Namespace → key → value.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KvTables {
    pub config_table: BTreeMap<String, BTreeMap<String, String>>,
}

/// Why the KV file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum KvConfigError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The KV store: in memory, written through to a file when a path is set.
#[derive(Debug)]
pub struct KvConfig {
    path: Option<PathBuf>,
    tables: KvTables,
}

impl KvConfig {
    /// Loads `path` (or its `.bak`); a missing or unreadable file starts empty, with a warning
    /// for the unreadable case.
    pub fn load(path: Option<PathBuf>) -> Self {
        let tables = path
            .as_deref()
            .and_then(|p| read_tables(p).or_else(|| read_tables(&bak(p))))
            .unwrap_or_default();
        KvConfig { path, tables }
    }

    /// The value of `namespace`/`key`.
    pub fn get(&self, namespace: &str, key: &str) -> Option<&str> {
        self.tables
            .config_table
            .get(namespace)
            .and_then(|t| t.get(key))
            .map(String::as_str)
    }

    /// Every key/value of `namespace`.
    pub fn namespace(&self, namespace: &str) -> Option<&BTreeMap<String, String>> {
        self.tables.config_table.get(namespace)
    }

    /// Sets a value; returns the tables to persist.
    pub fn put(&mut self, namespace: &str, key: &str, value: &str) -> KvTables {
        self.tables
            .config_table
            .entry(namespace.to_string())
            .or_default()
            .insert(key.to_string(), value.to_string());
        self.tables.clone()
    }

    /// Removes a value; returns the tables to persist when something changed.
    pub fn delete(&mut self, namespace: &str, key: &str) -> Option<KvTables> {
        let table = self.tables.config_table.get_mut(namespace)?;
        table.remove(key)?;
        if table.is_empty() {
            self.tables.config_table.remove(namespace);
        }
        Some(self.tables.clone())
    }

    /// Where the tables are persisted.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
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

/// Writes `tables` to `path` atomically: the old file becomes `.bak`, the new one is written
/// to a temporary name, synced, and renamed into place.
pub fn persist(path: &Path, tables: &KvTables) -> Result<(), KvConfigError> {
    let err = |source| KvConfigError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let json = serde_json::to_vec_pretty(tables).unwrap_or_default();
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut f = std::fs::File::create(&tmp).map_err(err)?;
        f.write_all(&json).map_err(err)?;
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

    #[test]
    fn put_get_delete_persist_reload() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("namesrv/kvConfig.json");
        let mut kv = KvConfig::load(Some(path.clone()));
        let snap = kv.put("ORDER_TOPIC_CONFIG", "T", "broker-a:4");
        persist(&path, &snap).unwrap();
        assert_eq!(kv.get("ORDER_TOPIC_CONFIG", "T"), Some("broker-a:4"));
        let again = KvConfig::load(Some(path.clone()));
        assert_eq!(again.get("ORDER_TOPIC_CONFIG", "T"), Some("broker-a:4"));
        let snap = kv.delete("ORDER_TOPIC_CONFIG", "T").unwrap();
        persist(&path, &snap).unwrap();
        assert!(kv.delete("ORDER_TOPIC_CONFIG", "T").is_none());
        assert_eq!(
            KvConfig::load(Some(path)).get("ORDER_TOPIC_CONFIG", "T"),
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
            KvConfig::load(Some(path)).get("ORDER_TOPIC_CONFIG", "T"),
            Some("b:4")
        );
    }
}
