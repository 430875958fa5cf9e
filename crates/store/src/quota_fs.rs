//! [`QuotaFs`]: a [`FileSystem`] wrapper that behaves like a small disk, for deterministic
//! tests of a store that fills its disk.
//!
//! It counts the bytes each file holds — blocks allocated with [`DataFile::allocate`]
//! (contiguously from 0, as the store's writers allocate), whole small files written with
//! [`FileSystem::write`] — against a limit, answers ENOSPC past it, and reports that limit and
//! that usage as the disk's size and usage. Deletions and renames give space back. Creating
//! a data file costs nothing: it is sparse until allocated.
//!
//! On a real full disk, a write through a mapping into a page without blocks kills the
//! process with SIGBUS. Here the write lands in the real file underneath, so the wrapper
//! checks instead, when a range is synced, that it lies within what was allocated, and counts
//! every range that does not ([`Quota::writes_past_allocation`]): tests require zero.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::io::{DataFile, DiskUsage, FileSystem, PAGE_SIZE};

/// The disk's size and what is charged against it.
#[derive(Debug)]
pub struct Quota {
    limit: AtomicU64,
    /// Bytes held per file.
    charged: Mutex<HashMap<PathBuf, u64>>,
    /// Synced ranges that reached past the file's allocated blocks.
    pub writes_past_allocation: AtomicU64,
    /// ENOSPC answers given.
    pub enospc: AtomicU64,
}

impl Quota {
    /// Changes the disk size (space freed or taken by others).
    pub fn set_limit(&self, bytes: u64) {
        self.limit.store(bytes, Ordering::SeqCst);
    }

    /// The disk size.
    pub fn limit(&self) -> u64 {
        self.limit.load(Ordering::SeqCst)
    }

    /// Bytes held by all files.
    pub fn used(&self) -> u64 {
        self.charged.lock().values().sum()
    }

    /// Bytes held by `path`.
    pub fn held_by(&self, path: &Path) -> u64 {
        self.charged.lock().get(path).copied().unwrap_or(0)
    }

    /// Sets what `path` holds to `bytes`, if the disk has room for the difference.
    fn charge(&self, path: &Path, bytes: u64) -> io::Result<()> {
        let mut c = self.charged.lock();
        let cur = c.get(path).copied().unwrap_or(0);
        let used: u64 = c.values().sum();
        if bytes > cur && used - cur + bytes > self.limit() {
            self.enospc.fetch_add(1, Ordering::Relaxed);
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        c.insert(path.to_path_buf(), bytes);
        Ok(())
    }

    fn release(&self, path: &Path) {
        self.charged.lock().remove(path);
    }

    fn release_under(&self, dir: &Path) {
        self.charged.lock().retain(|p, _| !p.starts_with(dir));
    }

    fn rename(&self, from: &Path, to: &Path) {
        let mut c = self.charged.lock();
        let held = c.remove(from).unwrap_or(0);
        c.insert(to.to_path_buf(), held);
    }
}

/// A file system of `limit` bytes over `inner`.
#[derive(Debug, Clone)]
pub struct QuotaFs {
    inner: Arc<dyn FileSystem>,
    quota: Arc<Quota>,
}

impl QuotaFs {
    /// Wraps `inner` as a disk of `limit` bytes; returns the wrapper and its accounting.
    pub fn new(inner: Arc<dyn FileSystem>, limit: u64) -> (Self, Arc<Quota>) {
        let quota = Arc::new(Quota {
            limit: AtomicU64::new(limit),
            charged: Mutex::new(HashMap::new()),
            writes_past_allocation: AtomicU64::new(0),
            enospc: AtomicU64::new(0),
        });
        (
            QuotaFs {
                inner,
                quota: quota.clone(),
            },
            quota,
        )
    }
}

fn round_up(n: u64) -> u64 {
    n.div_ceil(PAGE_SIZE) * PAGE_SIZE
}

impl FileSystem for QuotaFs {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        self.inner.create_dir_all(path)
    }
    fn list_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        self.inner.list_dir(path)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_file(path)?;
        self.quota.release(path);
        Ok(())
    }
    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_dir_all(path)?;
        self.quota.release_under(path);
        Ok(())
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.inner.rename(from, to)?;
        self.quota.rename(from, to);
        Ok(())
    }
    fn exists(&self, path: &Path) -> bool {
        self.inner.exists(path)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.inner.sync_dir(path)
    }
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.inner.read(path)
    }
    fn write(&self, path: &Path, data: &[u8], sync: bool) -> io::Result<()> {
        self.quota.charge(path, round_up(data.len() as u64))?;
        self.inner.write(path, data, sync)
    }
    fn open_data_file(&self, path: &Path, len: u64, create: bool) -> io::Result<Arc<dyn DataFile>> {
        let inner = self.inner.open_data_file(path, len, create)?;
        Ok(Arc::new(QuotaFile {
            path: path.to_path_buf(),
            inner,
            quota: self.quota.clone(),
        }))
    }
    fn file_len(&self, path: &Path) -> io::Result<u64> {
        self.inner.file_len(path)
    }
    fn disk_usage(&self, _path: &Path) -> io::Result<DiskUsage> {
        let total = self.quota.limit();
        Ok(DiskUsage {
            total_bytes: total,
            free_bytes: total.saturating_sub(self.quota.used()),
        })
    }
    fn modified_ms(&self, path: &Path) -> io::Result<i64> {
        self.inner.modified_ms(path)
    }
}

#[derive(Debug)]
struct QuotaFile {
    path: PathBuf,
    inner: Arc<dyn DataFile>,
    quota: Arc<Quota>,
}

impl DataFile for QuotaFile {
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn as_ptr(&self) -> *mut u8 {
        self.inner.as_ptr()
    }
    fn sync_range(&self, offset: u64, len: u64) -> io::Result<()> {
        if len > 0 && offset + len > self.quota.held_by(&self.path) {
            self.quota
                .writes_past_allocation
                .fetch_add(1, Ordering::SeqCst);
            tracing::error!(file = %self.path.display(), offset, len, "sync of a range that was never allocated");
        }
        self.inner.sync_range(offset, len)
    }
    fn populate(&self, offset: u64, len: u64) -> io::Result<()> {
        self.inner.populate(offset, len)
    }
    fn allocate(&self, offset: u64, len: u64) -> io::Result<()> {
        let end = round_up(offset.saturating_add(len)).min(round_up(self.len()));
        let held = self.quota.held_by(&self.path);
        if end > held {
            self.quota.charge(&self.path, end)?;
        }
        self.inner.allocate(offset, len)
    }
    fn data_end(&self) -> u64 {
        self.inner.data_end()
    }
    fn is_resident(&self, offset: u64, len: u64) -> Option<bool> {
        self.inner.is_resident(offset, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::OsFs;

    #[test]
    fn charges_allocations_and_small_files_against_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let (fs, quota) = QuotaFs::new(Arc::new(OsFs), 64 * 1024);
        let p = dir.path().join("data");
        let f = fs.open_data_file(&p, 1 << 20, true).unwrap();
        assert_eq!(quota.used(), 0, "sparse until allocated");
        f.allocate(0, 40 * 1024).unwrap();
        assert_eq!(quota.used(), 40 * 1024);
        let e = f.allocate(0, 80 * 1024).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOSPC));
        assert_eq!(quota.used(), 40 * 1024, "a failed allocation holds nothing");
        fs.write(&dir.path().join("small"), &[1; 100], false)
            .unwrap();
        assert_eq!(quota.used(), 44 * 1024);
        let u = fs.disk_usage(dir.path()).unwrap();
        assert_eq!((u.total_bytes, u.free_bytes), (64 * 1024, 20 * 1024));
        f.sync_range(0, 4096).unwrap();
        assert_eq!(quota.writes_past_allocation.load(Ordering::SeqCst), 0);
        f.sync_range(40 * 1024, 4096).unwrap();
        assert_eq!(quota.writes_past_allocation.load(Ordering::SeqCst), 1);
        drop(f);
        fs.remove_file(&p).unwrap();
        assert_eq!(quota.used(), 4096);
        quota.set_limit(1 << 20);
        assert_eq!(fs.disk_usage(dir.path()).unwrap().total_bytes, 1 << 20);
    }
}
