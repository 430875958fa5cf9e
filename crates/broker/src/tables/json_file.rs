//! Broker JSON files under `{storePathRootDir}/config/` (topics.json, consumerOffset.json,
//! subscriptionGroup.json, delayOffset.json): read leniently (fastjson output, `.bak`
//! fallback), written atomically with a `.bak` copy.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

use ferromq_store::config_file::{load_with_backup, write_atomic};
use ferromq_store::io::OsFs;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::BrokerError;

fn bak(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(".bak");
    PathBuf::from(s)
}

/// Loads `path` (or its `.bak` if the main copy is missing, empty or unreadable).
/// `Ok(None)` when neither exists.
pub(crate) fn load<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, BrokerError> {
    let parse = |bytes: &[u8]| ferromq_model::fastjson::from_fastjson_slice::<T>(bytes);
    match load_with_backup(&OsFs, path) {
        Ok(None) => Ok(None),
        Ok(Some(bytes)) => match parse(&bytes) {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "unreadable config file; trying .bak");
                let b = bak(path);
                match std::fs::read(&b) {
                    Ok(bytes) if !bytes.is_empty() => {
                        parse(&bytes)
                            .map(Some)
                            .map_err(|e2| BrokerError::ConfigFile {
                                path: path.to_path_buf(),
                                reason: format!("{e}; .bak: {e2}"),
                            })
                    }
                    _ => Err(BrokerError::ConfigFile {
                        path: path.to_path_buf(),
                        reason: e.to_string(),
                    }),
                }
            }
        },
        Err(e) => Err(BrokerError::ConfigFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }),
    }
}

/// One lock per file: a write renames `{file}.tmp` into place, so two writers of one file at
/// once (the periodic flusher, a revive pass, an admin call) lose one rename ("No such file or
/// directory") or, worse, put the older snapshot last.
fn file_lock(path: &Path) -> Arc<Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> = OnceLock::new();
    let mut locks = LOCKS.get_or_init(Default::default).lock();
    locks.entry(path.to_path_buf()).or_default().clone()
}

/// Writes what `snapshot` returns to `path` as pretty JSON, atomically, keeping the old file
/// as `.bak`. The snapshot is taken under the file's lock, so the newest state is written
/// last.
pub(crate) fn store<T: Serialize>(
    path: &Path,
    snapshot: impl FnOnce() -> T,
) -> Result<(), BrokerError> {
    let lock = file_lock(path);
    let _held = lock.lock();
    let value = snapshot();
    let bytes = serde_json::to_vec_pretty(&value).map_err(|e| BrokerError::ConfigFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    write_atomic(&OsFs, path, &bytes).map_err(BrokerError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writers of one file at once all succeed and the file ends holding a whole snapshot:
    /// without the file lock, one writer's rename of `{file}.tmp` found it already moved.
    #[test]
    fn concurrent_writers_of_one_file_all_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config").join("consumerOffset.json");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for i in 0..40 {
                        store(&path, || vec![t * 1000 + i; 64]).expect("every write succeeds");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let back: Vec<i32> = load(&path).unwrap().unwrap();
        assert_eq!(back.len(), 64);
        assert!(back.iter().all(|v| *v == back[0]));
    }
}
