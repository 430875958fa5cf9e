//! [`ConsumeQueue`]: the per topic-queue index into the CommitLog, 20-byte entries
//! `commitLogOffset i64 | size i32 | tagsCode i64`, entry number = queue offset.
//!
//! Written only by the dispatcher (and by recovery before it starts); readers use the
//! published write position of the mapped files and never lock.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::StoreError;
use crate::io::FileSystem;
use crate::mapped_file_queue::MappedFileQueue;

/// Bytes per entry.
pub(crate) const CQ_STORE_UNIT_SIZE: u64 = 20;

/// Blocks a queue allocates ahead of its writer: one `fallocate` per 3,276 entries.
pub(crate) const CQ_ALLOC_WINDOW: u64 = 64 * 1024;

/// One ConsumeQueue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CqEntry {
    /// Physical offset of the record in the CommitLog.
    pub phys_offset: i64,
    /// Record size.
    pub size: i32,
    /// Tag hash code (or delivery time for `SCHEDULE_TOPIC_XXXX`).
    pub tag_code: i64,
}

impl CqEntry {
    /// Java's padding entry written before the first entry of a queue that starts late.
    pub(crate) const BLANK: CqEntry = CqEntry {
        phys_offset: 0,
        size: i32::MAX,
        tag_code: 0,
    };

    fn decode(b: &[u8]) -> Self {
        CqEntry {
            phys_offset: i64::from_be_bytes(b[0..8].try_into().unwrap_or([0; 8])),
            size: i32::from_be_bytes(b[8..12].try_into().unwrap_or([0; 4])),
            tag_code: i64::from_be_bytes(b[12..20].try_into().unwrap_or([0; 8])),
        }
    }

    fn encode(&self) -> [u8; 20] {
        let mut b = [0u8; 20];
        b[0..8].copy_from_slice(&self.phys_offset.to_be_bytes());
        b[8..12].copy_from_slice(&self.size.to_be_bytes());
        b[12..20].copy_from_slice(&self.tag_code.to_be_bytes());
        b
    }

    /// Whether recovery counts this entry as written (Java: `offset >= 0 && size > 0`).
    pub(crate) fn is_written(&self) -> bool {
        self.phys_offset >= 0 && self.size > 0
    }

    /// Whether this is a padding entry that points at no message.
    pub(crate) fn is_blank(&self) -> bool {
        self.size == i32::MAX
    }
}

/// Which end of a run of equal timestamps an offset-by-time search returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BoundaryType {
    /// The first message stored at or after the time.
    #[default]
    Lower,
    /// The last message stored at or before the time.
    Upper,
}

/// The ConsumeQueue of one topic-queue.
#[derive(Debug)]
pub(crate) struct ConsumeQueue {
    topic: String,
    queue_id: i32,
    files: MappedFileQueue,
    min_logical_offset: AtomicU64,
    max_phys_offset: AtomicI64,
    write: Mutex<()>,
}

/// `{root}/consumequeue/{topic}/{queueId}`, for a valid topic and queue id only (see
/// [`crate::queue_name`]): anything else could name a path outside `cq_root`.
pub(crate) fn queue_dir(cq_root: &Path, topic: &str, queue_id: i32) -> Result<PathBuf, StoreError> {
    crate::queue_name::check_queue(topic, queue_id)?;
    Ok(cq_root.join(topic).join(queue_id.to_string()))
}

/// Byte position of queue offset `index` in the queue's files, if it is one 20-byte entries
/// can have (non-negative, and the position fits an `i64` as in Java).
pub(crate) fn cq_position(index: i64) -> Option<u64> {
    let pos = u64::try_from(index).ok()?.checked_mul(CQ_STORE_UNIT_SIZE)?;
    (pos <= i64::MAX as u64).then_some(pos)
}

impl ConsumeQueue {
    /// Opens (or starts) the queue's files.
    pub(crate) fn load(
        fs: Arc<dyn FileSystem>,
        cq_root: &Path,
        topic: &str,
        queue_id: i32,
        file_size: u64,
    ) -> Result<Self, StoreError> {
        let dir = queue_dir(cq_root, topic, queue_id)?;
        let files = MappedFileQueue::load(fs, &dir, file_size, CQ_ALLOC_WINDOW)?;
        Ok(ConsumeQueue {
            topic: topic.to_string(),
            queue_id,
            files,
            min_logical_offset: AtomicU64::new(0),
            max_phys_offset: AtomicI64::new(-1),
            write: Mutex::new(()),
        })
    }

    /// Topic name.
    pub(crate) fn topic(&self) -> &str {
        &self.topic
    }

    /// Queue id.
    pub(crate) fn queue_id(&self) -> i32 {
        self.queue_id
    }

    /// The underlying files.
    pub(crate) fn files(&self) -> &MappedFileQueue {
        &self.files
    }

    /// Finds the end of the written entries (from the third-last file, as Java) and truncates
    /// the rest.
    pub(crate) fn recover(&self) -> Result<(), StoreError> {
        let files = self.files.files();
        if files.is_empty() {
            return Ok(());
        }
        let start_idx = files.len().saturating_sub(3);
        let mut end = files[start_idx].start_offset();
        let mut max_phys = -1i64;
        'files: for f in &files[start_idx..] {
            // Entries past the file's data (a hole of the sparse file) were never written;
            // reading them through the mapping could allocate or fault on a full disk.
            let data = &f.whole()[..f.data_end() as usize];
            let mut pos = 0usize;
            while pos + CQ_STORE_UNIT_SIZE as usize <= data.len() {
                let e = CqEntry::decode(&data[pos..pos + 20]);
                if !e.is_written() {
                    end = f.start_offset() + pos as u64;
                    break 'files;
                }
                if !e.is_blank() {
                    max_phys = max_phys.max(e.phys_offset.saturating_add(e.size as i64));
                }
                pos += 20;
            }
            if (data.len() as u64) < f.size() {
                end = f.start_offset() + pos as u64;
                break;
            }
            end = f.start_offset() + f.size();
        }
        self.files.truncate(end)?;
        self.files.set_flushed_where(end);
        self.max_phys_offset.store(max_phys, Ordering::Release);
        let first = self.files.min_offset();
        self.min_logical_offset.store(first, Ordering::Release);
        Ok(())
    }

    /// Offset just past the last entry's record in the CommitLog (-1 when empty).
    pub(crate) fn max_phys_offset(&self) -> i64 {
        self.max_phys_offset.load(Ordering::Acquire)
    }

    /// First valid queue offset.
    pub(crate) fn min_offset_in_queue(&self) -> i64 {
        (self.min_logical_offset.load(Ordering::Acquire) / CQ_STORE_UNIT_SIZE) as i64
    }

    /// Queue offset the next entry gets (= number of entries ever written).
    pub(crate) fn max_offset_in_queue(&self) -> i64 {
        (self.files.max_offset() / CQ_STORE_UNIT_SIZE) as i64
    }

    /// Adds the entry for queue offset `cq_offset`. Entries already present (replay during
    /// recovery) are skipped. An impossible queue offset (negative, past what 20-byte entries
    /// can address, or more than one file of entries beyond the queue's end) fails with
    /// [`StoreError::BadRecord`]: padding up to it would write unbounded blank entries.
    pub(crate) fn put(&self, entry: CqEntry, cq_offset: i64) -> Result<(), StoreError> {
        let _g = self.write.lock();
        if entry.phys_offset.saturating_add(entry.size as i64) <= self.max_phys_offset() {
            return Ok(());
        }
        let bad = |reason: String| StoreError::BadRecord {
            phys_offset: entry.phys_offset,
            reason,
        };
        let expected = cq_position(cq_offset)
            .ok_or_else(|| bad(format!("queue offset {cq_offset} is out of range")))?;
        let file_size = self.files.file_size();
        let cur_end = self.files.max_offset();
        if self.files.is_empty() {
            let start = expected - expected % file_size;
            self.files.create(start)?;
            self.min_logical_offset.store(expected, Ordering::Release);
            self.files.set_flushed_where(start);
        } else if expected < cur_end {
            tracing::warn!(topic = %self.topic, queue = self.queue_id, expected, cur_end, "consume queue entry built twice");
            return Ok(());
        } else if expected - cur_end > file_size {
            return Err(bad(format!(
                "queue offset {cq_offset} of {}/{} is {} entries past the queue's end",
                self.topic,
                self.queue_id,
                (expected - cur_end) / CQ_STORE_UNIT_SIZE
            )));
        }
        // Pad up to the expected position (first file starting late, or a small gap).
        loop {
            let end = self.files.max_offset();
            if end >= expected {
                break;
            }
            let f = self.writable_file()?;
            if end != f.start_offset() + f.wrote_position() {
                break;
            }
            if !f.append(&CqEntry::BLANK.encode())? {
                continue;
            }
        }
        let f = self.writable_file()?;
        f.append(&entry.encode())?;
        self.max_phys_offset.store(
            entry.phys_offset.saturating_add(entry.size as i64),
            Ordering::Release,
        );
        Ok(())
    }

    fn writable_file(&self) -> Result<Arc<crate::mapped_file::MappedFile>, StoreError> {
        match self.files.last() {
            Some(f) if !f.is_full() => Ok(f),
            Some(f) => self.files.create(f.start_offset() + f.size()),
            None => self.files.create(0),
        }
    }

    /// The entry at queue offset `index`, if written.
    pub(crate) fn entry(&self, index: i64) -> Option<CqEntry> {
        let off = cq_position(index)?;
        let f = self.files.find(off)?;
        let b = f.slice(off - f.start_offset(), CQ_STORE_UNIT_SIZE as usize)?;
        Some(CqEntry::decode(b))
    }

    /// Removes entries pointing at or beyond `phys` (the CommitLog was cut there). Their
    /// bytes are zeroed, so neither a later recovery nor a later, shorter write resurrects
    /// them.
    pub(crate) fn truncate_dirty(&self, phys: i64) -> Result<(), StoreError> {
        let _g = self.write.lock();
        let min = self.min_offset_in_queue();
        let mut idx = self.max_offset_in_queue();
        let mut max_phys = -1;
        while idx > min {
            let Some(e) = self.entry(idx - 1) else { break };
            if e.is_blank() || e.phys_offset.saturating_add(e.size as i64) <= phys {
                if !e.is_blank() {
                    max_phys = e.phys_offset.saturating_add(e.size as i64);
                }
                break;
            }
            idx -= 1;
        }
        let cut = idx as u64 * CQ_STORE_UNIT_SIZE;
        let mut result = Ok(());
        if cut < self.files.max_offset() {
            tracing::info!(topic = %self.topic, queue = self.queue_id, offset = idx, "truncated dirty consume queue");
            // The entries are gone from memory even if a disk step fails.
            result = self.files.cut(cut).map(|_| ());
            if self.files.is_empty() || cut <= self.min_logical_offset.load(Ordering::Acquire) {
                self.min_logical_offset.store(cut, Ordering::Release);
            }
        }
        self.max_phys_offset.store(max_phys, Ordering::Release);
        result
    }

    /// Moves the min offset to the first entry whose record is still in the CommitLog.
    pub(crate) fn correct_min_offset(&self, min_commit_log_offset: i64) {
        let mut lo = self.min_offset_in_queue();
        let hi = self.max_offset_in_queue();
        if let Some(first) = self.files.first() {
            lo = lo.max((first.start_offset() / CQ_STORE_UNIT_SIZE) as i64);
        }
        // Binary search for the first entry with phys >= min (entries ascend by phys; blank
        // padding at the start counts as below).
        let (mut l, mut h) = (lo, hi);
        while l < h {
            let mid = l + (h - l) / 2;
            match self.entry(mid) {
                Some(e) if !e.is_blank() && e.phys_offset >= min_commit_log_offset => h = mid,
                _ => l = mid + 1,
            }
        }
        self.min_logical_offset
            .store(l as u64 * CQ_STORE_UNIT_SIZE, Ordering::Release);
    }

    /// Deletes whole files whose entries all point below `min_commit_log_offset` (never the
    /// last file). Returns how many.
    pub(crate) fn delete_expired_files(&self, min_commit_log_offset: i64) -> usize {
        let files = self.files.files();
        let mut n = 0;
        for f in files.iter().take(files.len().saturating_sub(1)) {
            let wrote = f.wrote_position();
            if wrote < CQ_STORE_UNIT_SIZE {
                break;
            }
            let last = f
                .slice(wrote - CQ_STORE_UNIT_SIZE, CQ_STORE_UNIT_SIZE as usize)
                .map(CqEntry::decode);
            match last {
                Some(e)
                    if e.phys_offset.saturating_add(e.size as i64) <= min_commit_log_offset
                        || e.is_blank() =>
                {
                    n += 1
                }
                _ => break,
            }
        }
        if n > 0 {
            self.files.remove_first(n);
        }
        self.correct_min_offset(min_commit_log_offset);
        n
    }

    /// Queue offset of the first (Lower) or last (Upper) message stored at or after /
    /// at or before `timestamp`; `store_ts(phys, size)` reads store times from the CommitLog.
    pub(crate) fn offset_by_time(
        &self,
        timestamp: i64,
        boundary: BoundaryType,
        store_ts: impl Fn(i64, i32) -> i64,
    ) -> i64 {
        let min = self.min_offset_in_queue();
        let max = self.max_offset_in_queue();
        if max <= min {
            return min;
        }
        let ts_at = |i: i64| -> i64 {
            match self.entry(i) {
                Some(e) if !e.is_blank() => store_ts(e.phys_offset, e.size),
                _ => -1,
            }
        };
        match boundary {
            BoundaryType::Lower => {
                // First index with ts >= timestamp.
                let (mut l, mut h) = (min, max);
                while l < h {
                    let mid = l + (h - l) / 2;
                    if ts_at(mid) >= timestamp {
                        h = mid;
                    } else {
                        l = mid + 1;
                    }
                }
                l
            }
            BoundaryType::Upper => {
                // Last index with ts <= timestamp; 0 if none (as Java).
                let (mut l, mut h) = (min, max);
                while l < h {
                    let mid = l + (h - l) / 2;
                    if ts_at(mid) <= timestamp {
                        l = mid + 1;
                    } else {
                        h = mid;
                    }
                }
                if l == min {
                    0
                } else {
                    l - 1
                }
            }
        }
    }

    /// Flushes entries if `least_pages` are pending (0 = all).
    pub(crate) fn flush(&self, least_pages: u32) -> Result<u64, StoreError> {
        self.files.flush(least_pages)
    }

    /// Deletes all files of this queue.
    pub(crate) fn destroy(&self) -> Result<(), StoreError> {
        let _g = self.write.lock();
        self.files.destroy()?;
        self.max_phys_offset.store(-1, Ordering::Release);
        self.min_logical_offset.store(0, Ordering::Release);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::OsFs;

    fn open(dir: &Path) -> ConsumeQueue {
        ConsumeQueue::load(Arc::new(OsFs), dir, "T", 0, 100).unwrap()
    }

    #[test]
    fn put_read_recover() {
        let dir = tempfile::tempdir().unwrap();
        let cq = open(dir.path());
        for i in 0..12 {
            cq.put(
                CqEntry {
                    phys_offset: i * 100,
                    size: 100,
                    tag_code: i,
                },
                i,
            )
            .unwrap();
        }
        assert_eq!(cq.max_offset_in_queue(), 12);
        assert_eq!(cq.entry(7).unwrap().tag_code, 7);
        // Replayed entries are skipped.
        cq.put(
            CqEntry {
                phys_offset: 500,
                size: 100,
                tag_code: 5,
            },
            5,
        )
        .unwrap();
        assert_eq!(cq.max_offset_in_queue(), 12);
        assert_eq!(cq.files().files().len(), 3, "100-byte files hold 5 entries");
        drop(cq);
        let cq = open(dir.path());
        cq.recover().unwrap();
        assert_eq!(cq.max_offset_in_queue(), 12);
        assert_eq!(cq.max_phys_offset(), 1200);
        cq.truncate_dirty(650).unwrap();
        assert_eq!(cq.max_offset_in_queue(), 6);
        assert_eq!(cq.max_phys_offset(), 600);
        cq.correct_min_offset(300);
        assert_eq!(cq.min_offset_in_queue(), 3);
        let ts = |phys: i64, _| phys / 100 * 10;
        assert_eq!(cq.offset_by_time(40, BoundaryType::Lower, ts), 4);
        assert_eq!(cq.offset_by_time(45, BoundaryType::Lower, ts), 5);
        assert_eq!(cq.offset_by_time(45, BoundaryType::Upper, ts), 4);
        assert_eq!(cq.offset_by_time(1000, BoundaryType::Lower, ts), 6);
        assert_eq!(cq.offset_by_time(0, BoundaryType::Upper, ts), 0);
    }

    #[test]
    fn late_start_is_padded() {
        let dir = tempfile::tempdir().unwrap();
        let cq = open(dir.path());
        cq.put(
            CqEntry {
                phys_offset: 10,
                size: 5,
                tag_code: 0,
            },
            7,
        )
        .unwrap();
        assert_eq!(cq.min_offset_in_queue(), 7);
        assert_eq!(cq.max_offset_in_queue(), 8);
        assert_eq!(cq.entry(5).unwrap(), CqEntry::BLANK);
        assert_eq!(cq.files().first().unwrap().start_offset(), 100);
    }

    #[test]
    fn expired_files_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let cq = open(dir.path());
        for i in 0..12 {
            cq.put(
                CqEntry {
                    phys_offset: i * 100,
                    size: 100,
                    tag_code: 0,
                },
                i,
            )
            .unwrap();
        }
        assert_eq!(
            cq.delete_expired_files(1000),
            2,
            "only files entirely below go"
        );
        assert_eq!(cq.min_offset_in_queue(), 10);
        assert!(cq.entry(3).is_none());
    }
}
