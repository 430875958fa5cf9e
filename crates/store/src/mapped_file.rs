//! [`MappedFile`]: one fixed-size, memory-mapped file named by its 20-digit start offset.
//!
//! One writer appends beyond the published write position; readers only see bytes below it
//! (published with release/acquire ordering), so reads never take the writer's lock. Reads
//! hand out [`Bytes`] that keep the mapping alive, even after the file is deleted.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;

use crate::error::StoreError;
use crate::io::{allocate_ahead, DataFile, FileSystem, PAGE_SIZE};

/// Formats a start offset as Java names files: 20 digits, zero-padded.
pub(crate) fn file_name(offset: u64) -> String {
    format!("{offset:020}")
}

/// Parses a 20-digit file name back to its start offset.
pub(crate) fn parse_file_name(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    if name.len() != 20 || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse().ok()
}

/// A memory-mapped file covering `[start_offset, start_offset + size)` of a log.
#[derive(Debug)]
pub(crate) struct MappedFile {
    path: PathBuf,
    start_offset: u64,
    size: u64,
    data: Arc<dyn DataFile>,
    wrote: AtomicU64,
    flushed: AtomicU64,
    populated: AtomicU64,
    /// Blocks are allocated for `[0, allocated)`; the writer never writes past it.
    allocated: AtomicU64,
    /// How far past what it needs the writer allocates at once.
    alloc_window: u64,
}

impl MappedFile {
    /// Creates (sparse) or opens the file for `start_offset` in `dir`. Writes allocate blocks
    /// `alloc_window` bytes ahead of what they need (see [`MappedFile::allocate_to`]).
    pub(crate) fn open(
        fs: &dyn FileSystem,
        dir: &Path,
        start_offset: u64,
        size: u64,
        create: bool,
        alloc_window: u64,
    ) -> Result<Arc<Self>, StoreError> {
        let path = dir.join(file_name(start_offset));
        let data = fs
            .open_data_file(&path, size, create)
            .map_err(|e| StoreError::io(&path, e))?;
        Ok(Arc::new(MappedFile {
            path,
            start_offset,
            size,
            data,
            wrote: AtomicU64::new(0),
            flushed: AtomicU64::new(0),
            populated: AtomicU64::new(0),
            // Unknown for an existing file: the first allocation starts at 0, which costs
            // nothing where blocks already exist.
            allocated: AtomicU64::new(0),
            alloc_window,
        }))
    }

    /// Path on disk.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Logical offset of the first byte (the file name).
    pub(crate) fn start_offset(&self) -> u64 {
        self.start_offset
    }

    /// File size.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Bytes written and visible to readers.
    pub(crate) fn wrote_position(&self) -> u64 {
        self.wrote.load(Ordering::Acquire)
    }

    /// Bytes known durable.
    pub(crate) fn flushed_position(&self) -> u64 {
        self.flushed.load(Ordering::Acquire)
    }

    /// Whether no more bytes fit.
    pub(crate) fn is_full(&self) -> bool {
        self.wrote_position() >= self.size
    }

    /// Logical offset just past the written bytes.
    pub(crate) fn end_offset(&self) -> u64 {
        self.start_offset + self.wrote_position()
    }

    /// Sets positions after recovery (or after a raw truncate). Writer only.
    pub(crate) fn set_positions(&self, wrote: u64) {
        let w = wrote.min(self.size);
        self.wrote.store(w, Ordering::Release);
        self.flushed.store(w, Ordering::Release);
    }

    /// Mutable access to `[pos, pos + len)` for the single writer.
    ///
    /// # Safety
    /// The caller must be the only writer of this file, and the range must lie at or beyond
    /// the published write position (readers never look there) and inside the file.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn region_mut(&self, pos: u64, len: usize) -> &mut [u8] {
        debug_assert!(pos + len as u64 <= self.size);
        // SAFETY: guaranteed by the caller, see above.
        unsafe { std::slice::from_raw_parts_mut(self.data.as_ptr().add(pos as usize), len) }
    }

    /// Publishes bytes up to `pos` to readers. Writer only, monotonic.
    pub(crate) fn publish(&self, pos: u64) {
        self.wrote.store(pos.min(self.size), Ordering::Release);
    }

    /// Copies `src` at the current write position and publishes it. Writer only.
    /// Returns false if it does not fit; fails if its blocks cannot be allocated.
    pub(crate) fn append(&self, src: &[u8]) -> Result<bool, StoreError> {
        let pos = self.wrote_position();
        let end = pos + src.len() as u64;
        if end > self.size {
            return Ok(false);
        }
        self.allocate_to(end)?;
        // SAFETY: single writer (callers hold the log's writer role); range beyond `wrote`,
        // allocated above.
        unsafe { self.region_mut(pos, src.len()) }.copy_from_slice(src);
        self.publish(end);
        Ok(true)
    }

    /// Makes sure the blocks of `[0, upto)` are allocated before anyone writes there, so a
    /// full disk is an ENOSPC ([`StoreError::DiskFull`]) here and never a SIGBUS in a copy.
    /// Allocates up to `alloc_window` further at once (one syscall per window); if the disk
    /// cannot hold the window, only what is needed.
    pub(crate) fn allocate_to(&self, upto: u64) -> Result<(), StoreError> {
        self.allocate_with_window(upto, self.alloc_window)
    }

    /// [`MappedFile::allocate_to`] with at most `window` bytes beyond `upto`.
    pub(crate) fn allocate_with_window(&self, upto: u64, window: u64) -> Result<(), StoreError> {
        let done = self.allocated.load(Ordering::Acquire);
        if upto.min(self.size) <= done {
            return Ok(());
        }
        let got = allocate_ahead(self.data.as_ref(), done, upto, window)
            .map_err(|e| StoreError::io(&self.path, e))?;
        self.allocated.fetch_max(got, Ordering::AcqRel);
        Ok(())
    }

    /// How far blocks are allocated.
    pub(crate) fn allocated_position(&self) -> u64 {
        self.allocated.load(Ordering::Acquire)
    }

    /// Allocated bytes not written yet: space held in reserve, not data.
    pub(crate) fn reserved_bytes(&self) -> u64 {
        self.allocated_position()
            .saturating_sub(self.wrote_position())
    }

    /// End of the leading data of the file on disk (see [`DataFile::data_end`]): scans of
    /// a file's content at start-up stop there.
    pub(crate) fn data_end(&self) -> u64 {
        self.data.data_end().min(self.size)
    }

    /// Borrowed view of `[pos, pos + len)`, if fully written.
    pub(crate) fn slice(&self, pos: u64, len: usize) -> Option<&[u8]> {
        if pos.checked_add(len as u64)? > self.wrote_position() {
            return None;
        }
        // SAFETY: below the published write position, so initialised and not mutated
        // (recovery's zeroing happens before readers exist; a truncation lowers the write
        // position before it zeroes).
        Some(unsafe { std::slice::from_raw_parts(self.data.as_ptr().add(pos as usize), len) })
    }

    /// Borrowed view of the whole mapping, written or not (for recovery scans only, which
    /// must not read past [`MappedFile::data_end`]).
    pub(crate) fn whole(&self) -> &[u8] {
        // SAFETY: the mapping is `size` bytes; used before readers/writers start.
        unsafe { std::slice::from_raw_parts(self.data.as_ptr(), self.size as usize) }
    }

    /// Zero-copy [`Bytes`] over `[pos, pos + len)`, if fully written.
    pub(crate) fn read(self: &Arc<Self>, pos: u64, len: usize) -> Option<Bytes> {
        self.slice(pos, len)?;
        Some(Bytes::from_owner(Region {
            file: self.clone(),
            pos: pos as usize,
            len,
        }))
    }

    /// Makes written bytes durable if at least `least_pages` pages are pending (0 = always).
    /// Returns the new flushed position.
    pub(crate) fn flush(&self, least_pages: u32) -> Result<u64, StoreError> {
        let wrote = self.wrote_position();
        let flushed = self.flushed_position();
        if wrote <= flushed {
            return Ok(flushed);
        }
        if least_pages > 0
            && (wrote / PAGE_SIZE).saturating_sub(flushed / PAGE_SIZE) < least_pages as u64
        {
            return Ok(flushed);
        }
        self.data
            .sync_range(flushed, wrote - flushed)
            .map_err(|e| StoreError::io(&self.path, e))?;
        self.flushed.fetch_max(wrote, Ordering::AcqRel);
        Ok(wrote)
    }

    /// Allocates and pre-faults up to `upto` bytes (capped at the file size); idempotent.
    /// With `sync`, the pre-faulted (zero) pages are also written out, so later fsyncs of real
    /// data find the blocks already initialised and need no extent-conversion journal commit.
    pub(crate) fn populate_to(&self, upto: u64, sync: bool) -> Result<(), StoreError> {
        let upto = upto.min(self.size);
        let done = self.populated.load(Ordering::Acquire);
        if upto <= done {
            return Ok(());
        }
        self.allocate_to(upto)?;
        self.data
            .populate(done, upto - done)
            .map_err(|e| StoreError::io(&self.path, e))?;
        if sync {
            self.data
                .sync_range(done, upto - done)
                .map_err(|e| StoreError::io(&self.path, e))?;
        }
        self.populated.fetch_max(upto, Ordering::AcqRel);
        Ok(())
    }

    /// How far the file is pre-faulted.
    pub(crate) fn populated_position(&self) -> u64 {
        self.populated.load(Ordering::Acquire)
    }

    /// Whether the pages of a range are in memory, if the OS can tell.
    pub(crate) fn is_resident(&self, pos: u64, len: u64) -> Option<bool> {
        self.data.is_resident(pos, len)
    }

    /// Zeroes `[from, to)` and syncs it: recovery, before readers and writers exist, or a
    /// truncation, after the write position was lowered to `from` or below (new readers no
    /// longer reach the range; `Bytes` handed out earlier over it see zeros).
    pub(crate) fn zero_range(&self, from: u64, to: u64) -> Result<(), StoreError> {
        let to = to.min(self.size);
        if from >= to {
            return Ok(());
        }
        // SAFETY: in bounds; the range is past the published write position, so no writer
        // and no new reader touches it. Written through the raw pointer, without forming a
        // `&mut` over bytes an old reader may still look at.
        unsafe {
            std::ptr::write_bytes(
                self.data.as_ptr().add(from as usize),
                0,
                (to - from) as usize,
            )
        };
        self.data
            .sync_range(from, to - from)
            .map_err(|e| StoreError::io(&self.path, e))
    }
}

struct Region {
    file: Arc<MappedFile>,
    pos: usize,
    len: usize,
}

impl AsRef<[u8]> for Region {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: checked against the published write position when created; the mapping
        // lives as long as `file`.
        unsafe { std::slice::from_raw_parts(self.file.data.as_ptr().add(self.pos), self.len) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::OsFs;

    #[test]
    fn names_round_trip() {
        assert_eq!(file_name(1073741824), "00000000001073741824");
        assert_eq!(
            parse_file_name(Path::new("/x/00000000001073741824")),
            Some(1073741824)
        );
        assert_eq!(parse_file_name(Path::new("/x/123")), None);
        assert_eq!(parse_file_name(Path::new("/x/0000000000107374182a")), None);
    }

    #[test]
    fn append_read_flush() {
        let dir = tempfile::tempdir().unwrap();
        let f = MappedFile::open(&OsFs, dir.path(), 4096, 8192, true, 0).unwrap();
        assert!(f.read(0, 1).is_none());
        assert!(f.append(b"hello").unwrap());
        assert_eq!(f.allocated_position(), 4096, "one page for five bytes");
        assert_eq!(f.reserved_bytes(), 4091);
        let b = f.read(0, 5).unwrap();
        assert_eq!(&b[..], b"hello");
        assert!(f.read(1, 5).is_none());
        assert_eq!(f.flush(4).unwrap(), 0, "fewer than 4 pages pending");
        assert_eq!(f.flush(0).unwrap(), 5);
        assert!(!f.append(&vec![0u8; 8192]).unwrap());
        f.populate_to(8192, true).unwrap();
        assert_eq!(f.populated_position(), 8192);
        drop(f);
        // The Bytes outlives the file handle and deletion.
        std::fs::remove_file(dir.path().join(file_name(4096))).unwrap();
        assert_eq!(&b[..], b"hello");
    }
}
