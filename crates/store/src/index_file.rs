//! [`IndexFile`]: one hash index file (`index/yyyyMMddHHmmssSSS`) mapping message keys to
//! CommitLog offsets, in Java's layout:
//!
//! ```text
//! header (40 B): beginTimestamp i64, endTimestamp i64, beginPhyOffset i64, endPhyOffset i64,
//!                hashSlotCount i32, indexCount i32 (starts at 1; entry 0 unused)
//! slots:  hashSlotNum × i32 — latest entry number for `keyHash % hashSlotNum` (0 = empty)
//! entries: indexNum × (keyHash i32, phyOffset i64, timeDiffSeconds i32, prevIndex i32)
//! ```
//! One writer (the dispatcher). Readers follow slots published with release stores, so they
//! only reach entries that are completely written.
//!
//! The file is sparse, as Java's: header and slot table (written anywhere, by hash) are
//! allocated when the file is created, entries in windows of [`INDEX_ALLOC_WINDOW`] ahead of
//! the writer, so a 420 MB file holds 20 MB + what is indexed, and a full disk makes
//! [`IndexFile::put`] fail instead of faulting.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::StoreError;
use crate::io::{allocate_ahead, DataFile, FileSystem};

/// Header size.
pub(crate) const INDEX_HEADER_SIZE: u64 = 40;
const SLOT_SIZE: u64 = 4;
const ENTRY_SIZE: u64 = 20;

/// Entry bytes allocated ahead of the writer at once (52,428 entries).
pub(crate) const INDEX_ALLOC_WINDOW: u64 = 1 << 20;

/// Size of an index file with the given geometry.
pub(crate) fn index_file_size(slots: u32, entries: u32) -> u64 {
    INDEX_HEADER_SIZE + slots as u64 * SLOT_SIZE + entries as u64 * ENTRY_SIZE
}

/// One index file.
#[derive(Debug)]
pub(crate) struct IndexFile {
    path: PathBuf,
    data: Arc<dyn DataFile>,
    slots: u32,
    entries: u32,
    begin_timestamp: AtomicI64,
    end_timestamp: AtomicI64,
    begin_phys: AtomicI64,
    end_phys: AtomicI64,
    hash_slot_count: AtomicI32,
    index_count: AtomicI32,
    /// Blocks are allocated for `[0, allocated)` (0 for a loaded file until its first put).
    allocated: AtomicU64,
}

impl IndexFile {
    /// Opens or creates the file; a new file continues from the previous file's end.
    pub(crate) fn open(
        fs: &dyn FileSystem,
        path: &Path,
        slots: u32,
        entries: u32,
        create: bool,
        prev_end: Option<(i64, i64)>,
    ) -> Result<Arc<Self>, StoreError> {
        let size = index_file_size(slots, entries);
        let existed = fs.exists(path);
        let data = fs
            .open_data_file(path, size, create)
            .map_err(|e| StoreError::io(path, e))?;
        if !existed {
            let table = INDEX_HEADER_SIZE + slots as u64 * SLOT_SIZE;
            if let Err(e) = data.allocate(0, table) {
                drop(data);
                // Never leave a file that looks like an index but has no room for its slots.
                let _ = fs.remove_file(path);
                return Err(StoreError::io(path, e));
            }
        }
        let f = IndexFile {
            path: path.to_path_buf(),
            data,
            slots,
            entries,
            begin_timestamp: AtomicI64::new(0),
            end_timestamp: AtomicI64::new(0),
            begin_phys: AtomicI64::new(0),
            end_phys: AtomicI64::new(0),
            hash_slot_count: AtomicI32::new(0),
            index_count: AtomicI32::new(1),
            allocated: AtomicU64::new(if existed {
                0
            } else {
                INDEX_HEADER_SIZE + slots as u64 * SLOT_SIZE
            }),
        };
        if existed {
            let h = f.header_bytes();
            let i64_at = |o: usize| i64::from_be_bytes(h[o..o + 8].try_into().unwrap_or([0; 8]));
            let i32_at = |o: usize| i32::from_be_bytes(h[o..o + 4].try_into().unwrap_or([0; 4]));
            f.begin_timestamp.store(i64_at(0), Ordering::Relaxed);
            f.end_timestamp.store(i64_at(8), Ordering::Relaxed);
            f.begin_phys.store(i64_at(16), Ordering::Relaxed);
            f.end_phys.store(i64_at(24), Ordering::Relaxed);
            f.hash_slot_count.store(i32_at(32), Ordering::Relaxed);
            let count = i32_at(36);
            f.index_count
                .store(count.clamp(1, entries as i32), Ordering::Relaxed);
        } else if let Some((end_phys, end_ts)) = prev_end {
            if end_phys > 0 {
                f.begin_phys.store(end_phys, Ordering::Relaxed);
                f.end_phys.store(end_phys, Ordering::Relaxed);
            }
            if end_ts > 0 {
                f.begin_timestamp.store(end_ts, Ordering::Relaxed);
                f.end_timestamp.store(end_ts, Ordering::Relaxed);
            }
            f.write_header();
        }
        Ok(Arc::new(f))
    }

    fn header_bytes(&self) -> &[u8] {
        // SAFETY: the mapping is at least 40 bytes long and lives with `self`.
        unsafe { std::slice::from_raw_parts(self.data.as_ptr(), INDEX_HEADER_SIZE as usize) }
    }

    fn write_header(&self) {
        let mut h = [0u8; 40];
        h[0..8].copy_from_slice(&self.begin_timestamp.load(Ordering::Relaxed).to_be_bytes());
        h[8..16].copy_from_slice(&self.end_timestamp.load(Ordering::Relaxed).to_be_bytes());
        h[16..24].copy_from_slice(&self.begin_phys.load(Ordering::Relaxed).to_be_bytes());
        h[24..32].copy_from_slice(&self.end_phys.load(Ordering::Relaxed).to_be_bytes());
        h[32..36].copy_from_slice(&self.hash_slot_count.load(Ordering::Relaxed).to_be_bytes());
        h[36..40].copy_from_slice(&self.index_count.load(Ordering::Relaxed).to_be_bytes());
        // SAFETY: single writer; readers use the in-memory atomics, not these bytes.
        unsafe { std::ptr::copy_nonoverlapping(h.as_ptr(), self.data.as_ptr(), 40) };
    }

    fn slot(&self, slot: u32) -> &AtomicU32 {
        let off = INDEX_HEADER_SIZE + slot as u64 * SLOT_SIZE;
        // SAFETY: in bounds; 4-byte aligned (page-aligned mapping + 40 + 4k); the slot is only
        // accessed atomically.
        unsafe { &*(self.data.as_ptr().add(off as usize) as *const AtomicU32) }
    }

    fn entry_pos(&self, n: i32) -> usize {
        (INDEX_HEADER_SIZE + self.slots as u64 * SLOT_SIZE + n as u64 * ENTRY_SIZE) as usize
    }

    /// Path of the file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Whether no entry fits any more.
    pub(crate) fn is_full(&self) -> bool {
        self.index_count.load(Ordering::Acquire) >= self.entries as i32
    }

    /// Store time of the first entry.
    pub(crate) fn begin_timestamp(&self) -> i64 {
        self.begin_timestamp.load(Ordering::Acquire)
    }

    /// Store time of the last entry.
    pub(crate) fn end_timestamp(&self) -> i64 {
        self.end_timestamp.load(Ordering::Acquire)
    }

    /// Physical offset of the last entry.
    pub(crate) fn end_phys_offset(&self) -> i64 {
        self.end_phys.load(Ordering::Acquire)
    }

    /// Lowers the recorded end offset to `phys` if it is above (the CommitLog was cut).
    /// Single writer.
    pub(crate) fn lower_end_phys_offset(&self, phys: i64) {
        if self.end_phys.load(Ordering::Acquire) > phys {
            self.end_phys.store(phys, Ordering::Release);
            self.write_header();
        }
    }

    /// Number of entries (+1, as Java counts).
    pub(crate) fn index_count(&self) -> i32 {
        self.index_count.load(Ordering::Acquire)
    }

    /// Allocated entry bytes not written yet: space held in reserve, not data.
    pub(crate) fn reserved_bytes(&self) -> u64 {
        let used = self.entry_pos(self.index_count()) as u64;
        self.allocated.load(Ordering::Acquire).saturating_sub(used)
    }

    /// Allocates the blocks of `[0, upto)`, and up to [`INDEX_ALLOC_WINDOW`] more.
    fn allocate_to(&self, upto: u64) -> Result<(), StoreError> {
        let done = self.allocated.load(Ordering::Acquire);
        if upto <= done {
            return Ok(());
        }
        let got = allocate_ahead(self.data.as_ref(), done, upto, INDEX_ALLOC_WINDOW)
            .map_err(|e| StoreError::io(&self.path, e))?;
        self.allocated.fetch_max(got, Ordering::AcqRel);
        Ok(())
    }

    /// Adds `key_hash → phys`. Returns `Ok(false)` when the file is full, an error when the
    /// entry's blocks cannot be allocated (disk full). Single writer.
    pub(crate) fn put(
        &self,
        key_hash: i32,
        phys: i64,
        store_timestamp: i64,
    ) -> Result<bool, StoreError> {
        let count = self.index_count.load(Ordering::Acquire);
        if count >= self.entries as i32 {
            return Ok(false);
        }
        // Also covers header and slot table of a file opened from disk.
        self.allocate_to(self.entry_pos(count) as u64 + ENTRY_SIZE)?;
        let slot_no = (key_hash.max(0) as u32) % self.slots;
        let slot = self.slot(slot_no);
        let mut prev = u32::from_be(slot.load(Ordering::Acquire)) as i32;
        if prev <= 0 || prev > count {
            prev = 0;
        }
        let begin = self.begin_timestamp.load(Ordering::Relaxed);
        let diff = if begin <= 0 {
            0
        } else {
            (store_timestamp.saturating_sub(begin) / 1000).clamp(0, i32::MAX as i64)
        };
        let mut e = [0u8; 20];
        e[0..4].copy_from_slice(&key_hash.to_be_bytes());
        e[4..12].copy_from_slice(&phys.to_be_bytes());
        e[12..16].copy_from_slice(&(diff as i32).to_be_bytes());
        e[16..20].copy_from_slice(&prev.to_be_bytes());
        let pos = self.entry_pos(count);
        // SAFETY: single writer; entry `count` is not yet reachable by readers.
        unsafe { std::ptr::copy_nonoverlapping(e.as_ptr(), self.data.as_ptr().add(pos), 20) };
        slot.store((count as u32).to_be(), Ordering::Release);
        if count <= 1 {
            self.begin_phys.store(phys, Ordering::Release);
            self.begin_timestamp
                .store(store_timestamp, Ordering::Release);
        }
        if prev == 0 {
            self.hash_slot_count.fetch_add(1, Ordering::AcqRel);
        }
        self.end_phys.store(phys, Ordering::Release);
        self.end_timestamp.store(store_timestamp, Ordering::Release);
        self.index_count.store(count + 1, Ordering::Release);
        self.write_header();
        Ok(true)
    }

    /// Whether `[begin, end]` overlaps this file's time range (Java `isTimeMatched`).
    pub(crate) fn time_matched(&self, begin: i64, end: i64) -> bool {
        let (b, e) = (self.begin_timestamp(), self.end_timestamp());
        (begin < b && end > e) || (begin >= b && begin <= e) || (end >= b && end <= e)
    }

    /// Appends to `out` the offsets stored for `key_hash` within `[begin, end]` (newest first),
    /// until `out` holds `max`.
    pub(crate) fn select(
        &self,
        key_hash: i32,
        max: usize,
        begin: i64,
        end: i64,
        out: &mut Vec<i64>,
    ) {
        let count = self.index_count();
        if count <= 1 {
            return;
        }
        let slot_no = (key_hash.max(0) as u32) % self.slots;
        let mut next = u32::from_be(self.slot(slot_no).load(Ordering::Acquire)) as i32;
        let begin_ts = self.begin_timestamp();
        let mut steps = 0;
        while next > 0 && next < count && out.len() < max && steps < self.entries {
            steps += 1;
            let pos = self.entry_pos(next);
            let mut e = [0u8; 20];
            // SAFETY: entries reachable from a published slot are completely written.
            unsafe {
                std::ptr::copy_nonoverlapping(self.data.as_ptr().add(pos), e.as_mut_ptr(), 20)
            };
            let h = i32::from_be_bytes(e[0..4].try_into().unwrap_or([0; 4]));
            let phys = i64::from_be_bytes(e[4..12].try_into().unwrap_or([0; 8]));
            let diff = i32::from_be_bytes(e[12..16].try_into().unwrap_or([0; 4]));
            let prev = i32::from_be_bytes(e[16..20].try_into().unwrap_or([0; 4]));
            if diff < 0 {
                break;
            }
            let t = begin_ts.saturating_add(diff as i64 * 1000);
            if h == key_hash && t >= begin && t <= end {
                out.push(phys);
            }
            if prev <= 0 || prev >= next || t < begin {
                break;
            }
            next = prev;
        }
    }

    /// Makes the file durable (its allocated part: nothing was written past it).
    pub(crate) fn flush(&self) -> Result<(), StoreError> {
        self.write_header();
        let written = self
            .allocated
            .load(Ordering::Acquire)
            .max(INDEX_HEADER_SIZE);
        self.data
            .sync_range(0, written.min(self.data.len()))
            .map_err(|e| StoreError::io(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::OsFs;

    #[test]
    fn put_select_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("20240101000000000");
        let f = IndexFile::open(&OsFs, &p, 7, 10, true, None).unwrap();
        let h = ferromq_protocol::hash::index_key_hash("T#k1");
        let h2 = ferromq_protocol::hash::index_key_hash("T#k2");
        assert!(f.put(h, 100, 1_000_000).unwrap());
        assert!(f.put(h2, 200, 1_001_000).unwrap());
        assert!(f.put(h, 300, 1_005_000).unwrap());
        let mut out = Vec::new();
        f.select(h, 10, 0, i64::MAX, &mut out);
        assert_eq!(out, vec![300, 100]);
        out.clear();
        f.select(h, 10, 1_002_000, i64::MAX, &mut out);
        assert_eq!(out, vec![300]);
        f.flush().unwrap();
        drop(f);
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(bytes.len() as u64, index_file_size(7, 10));
        assert_eq!(
            &bytes[36..40],
            &4i32.to_be_bytes(),
            "indexCount starts at 1"
        );
        assert_eq!(&bytes[24..32], &300i64.to_be_bytes());
        let f = IndexFile::open(&OsFs, &p, 7, 10, false, None).unwrap();
        assert_eq!(f.index_count(), 4);
        let mut out = Vec::new();
        f.select(h2, 10, 0, i64::MAX, &mut out);
        assert_eq!(out, vec![200]);
        for i in 0..6 {
            assert!(f.put(h, 400 + i, 1_006_000).unwrap());
        }
        assert!(f.is_full());
        assert!(!f.put(h, 1, 1).unwrap());
    }
}
