//! [`FaultyFs`]: a [`FileSystem`] wrapper that injects I/O faults, for tests of the store's
//! error paths (ENOSPC on file creation or block allocation, EIO on sync and small-file
//! writes, a faked disk usage for retention). [`crate::quota_fs::QuotaFs`] models a small
//! disk that fills up.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::io::{DataFile, DiskUsage, FileSystem};

/// Switches read by [`FaultyFs`]; flip them at any time from a test.
#[derive(Debug, Default)]
pub struct Faults {
    /// Creating (and preallocating) a new data file fails with ENOSPC.
    pub enospc_on_create: AtomicBool,
    /// Creating a new data file under this directory fails with ENOSPC (e.g. only `index/`).
    pub enospc_on_create_in: Mutex<Option<PathBuf>>,
    /// Allocating blocks of a data file fails with ENOSPC.
    pub enospc_on_allocate: AtomicBool,
    /// Syncing a data file range fails with EIO.
    pub eio_on_sync: AtomicBool,
    /// Whole-file writes (checkpoint, config files) fail with EIO.
    pub eio_on_write: AtomicBool,
    /// Number of sync calls seen.
    pub syncs: AtomicU64,
    /// Number of data files created.
    pub creates: AtomicU64,
    /// Reported disk usage instead of the real one.
    pub disk_usage: Mutex<Option<DiskUsage>>,
}

/// A file system that delegates to an inner one unless a fault is switched on.
#[derive(Debug, Clone)]
pub struct FaultyFs {
    inner: Arc<dyn FileSystem>,
    faults: Arc<Faults>,
}

impl FaultyFs {
    /// Wraps `inner`; returns the wrapper and its switches.
    pub fn new(inner: Arc<dyn FileSystem>) -> (Self, Arc<Faults>) {
        let faults = Arc::new(Faults::default());
        (
            FaultyFs {
                inner,
                faults: faults.clone(),
            },
            faults,
        )
    }
}

fn err(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

impl FileSystem for FaultyFs {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        self.inner.create_dir_all(path)
    }
    fn list_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        self.inner.list_dir(path)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_file(path)
    }
    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_dir_all(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.inner.rename(from, to)
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
        if self.faults.eio_on_write.load(Ordering::SeqCst) {
            return Err(err(libc::EIO));
        }
        self.inner.write(path, data, sync)
    }
    fn open_data_file(&self, path: &Path, len: u64, create: bool) -> io::Result<Arc<dyn DataFile>> {
        if create && !self.inner.exists(path) {
            let in_dir = self
                .faults
                .enospc_on_create_in
                .lock()
                .as_ref()
                .is_some_and(|d| path.starts_with(d));
            if in_dir || self.faults.enospc_on_create.load(Ordering::SeqCst) {
                return Err(err(libc::ENOSPC));
            }
            self.faults.creates.fetch_add(1, Ordering::SeqCst);
        }
        let f = self.inner.open_data_file(path, len, create)?;
        Ok(Arc::new(FaultyFile {
            inner: f,
            faults: self.faults.clone(),
        }))
    }
    fn file_len(&self, path: &Path) -> io::Result<u64> {
        self.inner.file_len(path)
    }
    fn modified_ms(&self, path: &Path) -> io::Result<i64> {
        self.inner.modified_ms(path)
    }
    fn disk_usage(&self, path: &Path) -> io::Result<DiskUsage> {
        if let Some(u) = *self.faults.disk_usage.lock() {
            return Ok(u);
        }
        self.inner.disk_usage(path)
    }
}

#[derive(Debug)]
struct FaultyFile {
    inner: Arc<dyn DataFile>,
    faults: Arc<Faults>,
}

impl DataFile for FaultyFile {
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn as_ptr(&self) -> *mut u8 {
        self.inner.as_ptr()
    }
    fn sync_range(&self, offset: u64, len: u64) -> io::Result<()> {
        self.faults.syncs.fetch_add(1, Ordering::SeqCst);
        if self.faults.eio_on_sync.load(Ordering::SeqCst) {
            return Err(err(libc::EIO));
        }
        self.inner.sync_range(offset, len)
    }
    fn populate(&self, offset: u64, len: u64) -> io::Result<()> {
        self.inner.populate(offset, len)
    }
    fn allocate(&self, offset: u64, len: u64) -> io::Result<()> {
        if self.faults.enospc_on_allocate.load(Ordering::SeqCst) {
            return Err(err(libc::ENOSPC));
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
