//! [`Checkpoint`]: the 4 KiB `checkpoint` file, Java layout:
//! `physicMsgTimestamp i64 @0, logicsMsgTimestamp i64 @8, indexMsgTimestamp i64 @16,
//! masterFlushedOffset i64 @24, confirmPhyOffset i64 @32`, big-endian, rest zero.
//!
//! The timestamps are store times of the last record made durable in the CommitLog, the
//! ConsumeQueues and the index; crash recovery replays from the file whose first record is
//! older than their minimum (minus 3 s).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use crate::error::StoreError;
use crate::io::FileSystem;

/// Size of the checkpoint file.
pub(crate) const CHECKPOINT_FILE_SIZE: usize = 4096;

/// Checkpoint values, kept in memory and written by [`Checkpoint::flush`].
#[derive(Debug)]
pub(crate) struct Checkpoint {
    path: PathBuf,
    fs: Arc<dyn FileSystem>,
    pub physic_msg_timestamp: AtomicI64,
    pub logics_msg_timestamp: AtomicI64,
    pub index_msg_timestamp: AtomicI64,
    pub master_flushed_offset: AtomicI64,
    pub confirm_phy_offset: AtomicI64,
}

impl Checkpoint {
    /// Reads the file if present (a short or unreadable file counts as all zeros).
    pub(crate) fn open(fs: Arc<dyn FileSystem>, path: &Path) -> Result<Self, StoreError> {
        let existed = fs.exists(path);
        let data = if existed {
            fs.read(path).map_err(|e| StoreError::io(path, e))?
        } else {
            Vec::new()
        };
        let at = |o: usize| -> i64 {
            data.get(o..o + 8)
                .and_then(|b| b.try_into().ok())
                .map(i64::from_be_bytes)
                .unwrap_or(0)
        };
        Ok(Checkpoint {
            path: path.to_path_buf(),
            fs,
            physic_msg_timestamp: AtomicI64::new(at(0)),
            logics_msg_timestamp: AtomicI64::new(at(8)),
            index_msg_timestamp: AtomicI64::new(at(16)),
            master_flushed_offset: AtomicI64::new(at(24)),
            confirm_phy_offset: AtomicI64::new(at(32)),
        })
    }

    /// Java `getMinTimestamp`: `min(physic, logics) - 3000`, floored at 0.
    pub(crate) fn min_timestamp(&self) -> i64 {
        let m = self
            .physic_msg_timestamp
            .load(Ordering::Acquire)
            .min(self.logics_msg_timestamp.load(Ordering::Acquire));
        (m - 3000).max(0)
    }

    /// Java `getMinTimestampIndex`: also bounded by the index timestamp.
    pub(crate) fn min_timestamp_index(&self) -> i64 {
        self.min_timestamp()
            .min(self.index_msg_timestamp.load(Ordering::Acquire))
    }

    /// Serialises the current values.
    pub(crate) fn encode(&self) -> [u8; CHECKPOINT_FILE_SIZE] {
        let mut b = [0u8; CHECKPOINT_FILE_SIZE];
        let vals = [
            &self.physic_msg_timestamp,
            &self.logics_msg_timestamp,
            &self.index_msg_timestamp,
            &self.master_flushed_offset,
            &self.confirm_phy_offset,
        ];
        for (i, v) in vals.iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&v.load(Ordering::Acquire).to_be_bytes());
        }
        b
    }

    /// Writes and fsyncs the file.
    pub(crate) fn flush(&self) -> Result<(), StoreError> {
        self.fs
            .write(&self.path, &self.encode(), true)
            .map_err(|e| StoreError::io(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::OsFs;

    #[test]
    fn layout_and_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("checkpoint");
        let c = Checkpoint::open(Arc::new(OsFs), &p).unwrap();
        assert!(!p.exists(), "opening does not create the file");
        c.physic_msg_timestamp.store(10_000, Ordering::Release);
        c.logics_msg_timestamp.store(9_000, Ordering::Release);
        c.index_msg_timestamp.store(5_000, Ordering::Release);
        c.confirm_phy_offset.store(77, Ordering::Release);
        c.flush().unwrap();
        let raw = std::fs::read(&p).unwrap();
        assert_eq!(raw.len(), 4096);
        assert_eq!(&raw[0..8], &10_000i64.to_be_bytes());
        assert_eq!(&raw[32..40], &77i64.to_be_bytes());
        let c = Checkpoint::open(Arc::new(OsFs), &p).unwrap();
        assert_eq!(c.min_timestamp(), 6_000);
        assert_eq!(c.min_timestamp_index(), 5_000);
    }
}
