//! Delivered offsets per delay level (`config/delayOffset.json`), so delivery resumes where
//! it stopped after a restart.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ferromq_model::{DataVersion, DelayOffsetSerializeWrapper};
use parking_lot::Mutex;

use crate::error::BrokerError;
use crate::tables::{load_json, store_json};

/// Delivered offsets per delay level.
pub struct DelayOffsets {
    table: Mutex<BTreeMap<i32, i64>>,
    path: PathBuf,
}

impl DelayOffsets {
    /// Loads `config/delayOffset.json`.
    pub fn load(root: &str) -> Result<Self, BrokerError> {
        let path = PathBuf::from(root).join("config").join("delayOffset.json");
        let w: Option<DelayOffsetSerializeWrapper> = load_json(&path)?;
        Ok(DelayOffsets {
            table: Mutex::new(w.map(|w| w.offset_table).unwrap_or_default()),
            path,
        })
    }

    /// The next offset to deliver of `level`.
    pub fn get(&self, level: i32) -> i64 {
        self.table.lock().get(&level).copied().unwrap_or(0)
    }

    /// Records that `level` continues at `offset`.
    pub fn set(&self, level: i32, offset: i64) {
        self.table.lock().insert(level, offset);
    }

    /// The file form.
    pub fn wrapper(&self) -> DelayOffsetSerializeWrapper {
        DelayOffsetSerializeWrapper {
            data_version: Some(DataVersion::new()),
            offset_table: self.table.lock().clone(),
        }
    }

    /// Persists `delayOffset.json`.
    pub fn persist(&self) -> Result<(), BrokerError> {
        store_json(&self.path, || self.wrapper())
    }
}
