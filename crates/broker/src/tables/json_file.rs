//! Broker JSON files under `{storePathRootDir}/config/` (topics.json, consumerOffset.json,
//! subscriptionGroup.json, delayOffset.json): read leniently (fastjson output, `.bak`
//! fallback), written atomically with a `.bak` copy.

use std::path::{Path, PathBuf};

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

/// Writes `value` to `path` as pretty JSON, atomically, keeping the old file as `.bak`.
pub(crate) fn store<T: Serialize>(path: &Path, value: &T) -> Result<(), BrokerError> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| BrokerError::ConfigFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    write_atomic(&OsFs, path, &bytes).map_err(BrokerError::from)
}
