//! [`MappedFileQueue`]: the ordered files of one log (the CommitLog, or one ConsumeQueue),
//! contiguous in offset space. The list is swapped atomically so readers never lock.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use parking_lot::Mutex;

use crate::error::StoreError;
use crate::io::FileSystem;
use crate::mapped_file::{parse_file_name, MappedFile};

/// The files of one log, oldest first.
#[derive(Debug)]
pub(crate) struct MappedFileQueue {
    dir: PathBuf,
    file_size: u64,
    fs: Arc<dyn FileSystem>,
    /// Blocks a writer allocates ahead of what it needs (see [`MappedFile::allocate_to`]).
    alloc_window: u64,
    files: ArcSwap<Vec<Arc<MappedFile>>>,
    modify: Mutex<()>,
    /// Held by a flush and by [`MappedFileQueue::cut`]: a flush that read the old write
    /// positions must not raise the flushed positions back above a cut.
    flush_lock: Mutex<()>,
    flushed_where: AtomicU64,
}

impl MappedFileQueue {
    /// Opens every 20-digit file in `dir` (created if missing). Loaded files count as fully
    /// written until recovery sets the real end. Writers allocate blocks `alloc_window`
    /// bytes ahead.
    pub(crate) fn load(
        fs: Arc<dyn FileSystem>,
        dir: &Path,
        file_size: u64,
        alloc_window: u64,
    ) -> Result<Self, StoreError> {
        fs.create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        let mut offsets: Vec<u64> = fs
            .list_dir(dir)
            .map_err(|e| StoreError::io(dir, e))?
            .iter()
            .filter_map(|p| parse_file_name(p))
            .collect();
        offsets.sort_unstable();
        let mut files = Vec::with_capacity(offsets.len());
        let last = offsets.last().copied();
        for off in offsets {
            let path = dir.join(crate::mapped_file::file_name(off));
            let len = fs.file_len(&path).map_err(|e| StoreError::io(&path, e))?;
            if len != file_size {
                if Some(off) == last && len < file_size {
                    // Creation was interrupted before the file got its full size: it never
                    // held data (the writer only uses fully allocated files).
                    tracing::warn!(file = %path.display(), len, "removing half-created file");
                    fs.remove_file(&path)
                        .map_err(|e| StoreError::io(&path, e))?;
                    continue;
                }
                return Err(StoreError::Corrupt {
                    path,
                    reason: format!("size {len} differs from the configured {file_size}"),
                });
            }
            let f = MappedFile::open(fs.as_ref(), dir, off, file_size, false, alloc_window)?;
            f.set_positions(file_size);
            files.push(f);
        }
        for w in files.windows(2) {
            if w[1].start_offset() != w[0].start_offset() + file_size {
                tracing::warn!(
                    dir = %dir.display(),
                    "gap between {} and {}",
                    w[0].path().display(),
                    w[1].path().display()
                );
            }
        }
        Ok(MappedFileQueue {
            dir: dir.to_path_buf(),
            file_size,
            fs,
            alloc_window,
            files: ArcSwap::from_pointee(files),
            modify: Mutex::new(()),
            flush_lock: Mutex::new(()),
            flushed_where: AtomicU64::new(0),
        })
    }

    /// Directory holding the files.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Size of each file.
    pub(crate) fn file_size(&self) -> u64 {
        self.file_size
    }

    /// The file system used.
    pub(crate) fn fs(&self) -> &Arc<dyn FileSystem> {
        &self.fs
    }

    /// A snapshot of the file list.
    pub(crate) fn files(&self) -> Arc<Vec<Arc<MappedFile>>> {
        self.files.load_full()
    }

    /// Whether there are no files.
    pub(crate) fn is_empty(&self) -> bool {
        self.files.load().is_empty()
    }

    /// Oldest file.
    pub(crate) fn first(&self) -> Option<Arc<MappedFile>> {
        self.files.load().first().cloned()
    }

    /// Newest file.
    pub(crate) fn last(&self) -> Option<Arc<MappedFile>> {
        self.files.load().last().cloned()
    }

    /// Offset of the first byte still stored (0 when empty).
    pub(crate) fn min_offset(&self) -> u64 {
        self.files
            .load()
            .first()
            .map(|f| f.start_offset())
            .unwrap_or(0)
    }

    /// Offset just past the last written byte (0 when empty).
    pub(crate) fn max_offset(&self) -> u64 {
        self.files
            .load()
            .last()
            .map(|f| f.end_offset())
            .unwrap_or(0)
    }

    /// Offset up to which everything is durable.
    pub(crate) fn flushed_where(&self) -> u64 {
        self.flushed_where.load(Ordering::Acquire)
    }

    /// Sets the durable offset (after recovery).
    pub(crate) fn set_flushed_where(&self, v: u64) {
        self.flushed_where.store(v, Ordering::Release);
    }

    /// The file containing `offset`.
    pub(crate) fn find(&self, offset: u64) -> Option<Arc<MappedFile>> {
        let files = self.files.load();
        let first = files.first()?;
        if offset < first.start_offset() {
            return None;
        }
        let idx = ((offset - first.start_offset()) / self.file_size) as usize;
        if let Some(f) = files.get(idx) {
            if f.start_offset() <= offset && offset < f.start_offset() + self.file_size {
                return Some(f.clone());
            }
        }
        // Gaps (deleted middle files of a corrupt dir): fall back to a search.
        let i = files.partition_point(|f| f.start_offset() <= offset);
        let f = files.get(i.checked_sub(1)?)?;
        (offset < f.start_offset() + self.file_size).then(|| f.clone())
    }

    /// Creates the file starting at `start` and appends it to the list.
    pub(crate) fn create(&self, start: u64) -> Result<Arc<MappedFile>, StoreError> {
        let f = self.prepare(start)?;
        self.push(f.clone());
        Ok(f)
    }

    /// Opens (creating it sparse) the file starting at `start` without adding it.
    pub(crate) fn prepare(&self, start: u64) -> Result<Arc<MappedFile>, StoreError> {
        MappedFile::open(
            self.fs.as_ref(),
            &self.dir,
            start,
            self.file_size,
            true,
            self.alloc_window,
        )
    }

    /// Allocated but unwritten bytes of the newest file (older files are full).
    pub(crate) fn reserved_bytes(&self) -> u64 {
        self.files
            .load()
            .last()
            .map(|f| f.reserved_bytes())
            .unwrap_or(0)
    }

    /// Appends a file made by [`MappedFileQueue::prepare`].
    pub(crate) fn push(&self, f: Arc<MappedFile>) {
        let _g = self.modify.lock();
        let mut v = Vec::clone(&self.files.load());
        v.push(f);
        self.files.store(Arc::new(v));
    }

    /// Drops everything past `offset`: the containing file is cut there, later files are
    /// deleted.
    pub(crate) fn truncate(&self, offset: u64) -> Result<(), StoreError> {
        let _g = self.modify.lock();
        let cur = self.files.load_full();
        let mut keep = Vec::with_capacity(cur.len());
        for f in cur.iter() {
            let end = f.start_offset() + self.file_size;
            if end <= offset {
                keep.push(f.clone());
            } else if f.start_offset() <= offset {
                f.set_positions(offset - f.start_offset());
                keep.push(f.clone());
            } else {
                self.fs
                    .remove_file(f.path())
                    .map_err(|e| StoreError::io(f.path(), e))?;
                tracing::info!(file = %f.path().display(), "deleted dirty file past {offset}");
            }
        }
        self.files.store(Arc::new(keep));
        if self.flushed_where() > offset {
            self.set_flushed_where(offset);
        }
        Ok(())
    }

    /// Cuts the log at `offset` while it is in use (readers, flusher): the file holding
    /// `offset` ends there, later files leave the list. Then, on disk, the later files are
    /// deleted, newest first, and the cut file's bytes from `offset` to its old write position
    /// are zeroed and synced, so a crash at any point leaves a prefix of the old log that a
    /// restart recovers. Returns the bytes zeroed.
    ///
    /// The in-memory cut always happens; an I/O error of the disk steps is returned after
    /// all of them were tried.
    pub(crate) fn cut(&self, offset: u64) -> Result<u64, StoreError> {
        let _g = self.modify.lock();
        let _f = self.flush_lock.lock();
        let cur = self.files.load_full();
        let mut keep = Vec::with_capacity(cur.len());
        let mut gone = Vec::new();
        let mut zero = None;
        for f in cur.iter() {
            let end = f.start_offset() + self.file_size;
            if end <= offset {
                keep.push(f.clone());
            } else if f.start_offset() <= offset {
                let rel = offset - f.start_offset();
                let old = f.wrote_position();
                f.set_positions(rel);
                if old > rel {
                    zero = Some((f.clone(), rel, old));
                }
                keep.push(f.clone());
            } else {
                gone.push(f.clone());
            }
        }
        self.files.store(Arc::new(keep));
        if self.flushed_where() > offset {
            self.set_flushed_where(offset);
        }
        let mut result = Ok(0);
        let mut fail = |e: StoreError| {
            tracing::error!(dir = %self.dir.display(), error = %e, "truncating files failed");
            if result.is_ok() {
                result = Err(e);
            }
        };
        for f in gone.iter().rev() {
            match self.fs.remove_file(f.path()) {
                Ok(()) => tracing::info!(file = %f.path().display(), "deleted file past {offset}"),
                Err(e) => fail(StoreError::io(f.path(), e)),
            }
        }
        if !gone.is_empty() {
            if let Err(e) = self.fs.sync_dir(&self.dir) {
                fail(StoreError::io(&self.dir, e));
            }
        }
        let mut zeroed = 0;
        if let Some((f, from, to)) = zero {
            match f.zero_range(from, to) {
                Ok(()) => zeroed = to - from,
                Err(e) => fail(e),
            }
        }
        result.map(|_| zeroed)
    }

    /// Removes the given oldest files from the list and deletes them.
    pub(crate) fn remove_first(&self, n: usize) -> Vec<Arc<MappedFile>> {
        let _g = self.modify.lock();
        let cur = self.files.load_full();
        let n = n.min(cur.len());
        let (gone, rest) = cur.split_at(n);
        self.files.store(Arc::new(rest.to_vec()));
        for f in gone {
            if let Err(e) = self.fs.remove_file(f.path()) {
                tracing::warn!(file = %f.path().display(), error = %e, "delete failed");
            }
        }
        gone.to_vec()
    }

    /// Deletes all files and the directory.
    pub(crate) fn destroy(&self) -> Result<(), StoreError> {
        let _g = self.modify.lock();
        self.files.store(Arc::new(Vec::new()));
        self.set_flushed_where(0);
        self.fs
            .remove_dir_all(&self.dir)
            .map_err(|e| StoreError::io(&self.dir, e))
    }

    /// Flushes files from the durable offset up to what is written, if at least
    /// `least_pages` are pending (0 = everything). Returns the new durable offset.
    pub(crate) fn flush(&self, least_pages: u32) -> Result<u64, StoreError> {
        let _f = self.flush_lock.lock();
        let files = self.files.load_full();
        let from = self.flushed_where();
        let mut result = from;
        let mut contiguous = true;
        for f in files.iter() {
            let wrote = f.wrote_position();
            if f.start_offset() + wrote <= from && f.flushed_position() >= wrote {
                continue;
            }
            let flushed = f.flush(least_pages)?;
            if contiguous {
                result = result.max(f.start_offset() + flushed);
                contiguous = flushed >= wrote;
            }
        }
        self.flushed_where.fetch_max(result, Ordering::AcqRel);
        Ok(self.flushed_where())
    }
}
