//! The file-system seam: every disk operation of the store goes through [`FileSystem`] and
//! [`DataFile`], so tests can inject faults (see `testing::FaultyFs`, feature `testing`).
//!
//! Data files are memory-mapped: appends are copies into the mapping, so write errors surface
//! when the range is synced ([`DataFile::sync_range`]) — that is where EIO is reported.
//!
//! Data files are created sparse, at their full (Java) size, and their blocks are allocated
//! in windows ahead of the writer ([`DataFile::allocate`]). A write through a mapping into a
//! page without blocks on a full file system kills the process with SIGBUS; an allocation
//! fails cleanly with ENOSPC instead. So the writers of every data file allocate before they
//! touch a page, and only unwritten windows (not whole 1 GiB / 6 MB / 420 MB files) are held
//! in reserve: disk usage reflects data (see `space`).

use std::fmt::Debug;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::MmapRaw;

/// Disk space of the file system holding a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskUsage {
    /// Space in use plus space available to the broker (not the raw partition size: blocks
    /// reserved for root are left out, as Java and `df` leave them out).
    pub total_bytes: u64,
    /// Space available to the broker.
    pub free_bytes: u64,
}

impl DiskUsage {
    /// Used space in percent (0..=100).
    pub fn used_ratio_percent(&self) -> f64 {
        if self.total_bytes == 0 {
            return 0.0;
        }
        (self.total_bytes - self.free_bytes.min(self.total_bytes)) as f64 * 100.0
            / self.total_bytes as f64
    }
}

/// File-system operations used by the store.
pub trait FileSystem: Send + Sync + Debug {
    /// `mkdir -p`.
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Entries (files and directories) directly inside `path`; empty if it does not exist.
    fn list_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>>;
    /// Deletes a file.
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Deletes a directory tree.
    fn remove_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Atomically renames.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Whether a path exists.
    fn exists(&self, path: &Path) -> bool;
    /// fsyncs a directory so creations, renames and deletions in it are durable.
    fn sync_dir(&self, path: &Path) -> io::Result<()>;
    /// Reads a whole (small) file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Writes a whole (small) file, replacing it in place, fsyncing it when `sync`.
    fn write(&self, path: &Path, data: &[u8], sync: bool) -> io::Result<()>;
    /// Opens a data file of exactly `len` bytes, mapped read-write. When `create`, a missing
    /// file is created sparse (no blocks allocated): the writer allocates with
    /// [`DataFile::allocate`] before it writes.
    fn open_data_file(&self, path: &Path, len: u64, create: bool) -> io::Result<Arc<dyn DataFile>>;
    /// Size of an existing file.
    fn file_len(&self, path: &Path) -> io::Result<u64>;
    /// Space on the file system holding `path`.
    fn disk_usage(&self, path: &Path) -> io::Result<DiskUsage>;
    /// Last modification time in milliseconds since the epoch (retention ages files by it).
    fn modified_ms(&self, path: &Path) -> io::Result<i64>;
}

/// A memory-mapped data file.
pub trait DataFile: Send + Sync + Debug {
    /// Mapped length in bytes.
    fn len(&self) -> u64;
    /// Whether the file is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Start of the mapping. Valid for `len()` bytes as long as `self` lives.
    fn as_ptr(&self) -> *mut u8;
    /// Makes `[offset, offset + len)` durable (msync / fdatasync of the range).
    fn sync_range(&self, offset: u64, len: u64) -> io::Result<()>;
    /// Pre-faults `[offset, offset + len)` writable so later copies do not page-fault. The
    /// range must be allocated.
    fn populate(&self, offset: u64, len: u64) -> io::Result<()>;
    /// Allocates the blocks of `[offset, offset + len)` (`fallocate`, size unchanged), so
    /// writes there through the mapping cannot run out of space. Fails with ENOSPC when the
    /// disk is full. A no-op where the file system cannot allocate ahead.
    fn allocate(&self, offset: u64, len: u64) -> io::Result<()>;
    /// End of the file's leading data: the first hole (`SEEK_HOLE`), or the length. Bytes
    /// past it were never written, and reading them through the mapping could allocate
    /// (tmpfs) or fault on a full disk, so scans of a file's content stop there.
    fn data_end(&self) -> u64 {
        self.len()
    }
    /// Hints that the range will not be read soon (drop from page cache is up to the OS).
    fn advise_cold(&self, _offset: u64, _len: u64) {}
    /// Whether the pages of the range are resident (mincore).
    fn is_resident(&self, _offset: u64, _len: u64) -> Option<bool> {
        None
    }
}

/// The real file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsFs;

impl FileSystem for OsFs {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir_all(path)
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        match std::fs::read_dir(path) {
            Ok(rd) => rd.map(|e| e.map(|e| e.path())).collect(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        match std::fs::remove_dir_all(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            r => r,
        }
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        File::open(path)?.sync_all()
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let mut f = File::open(path)?;
        let mut v = Vec::new();
        f.read_to_end(&mut v)?;
        Ok(v)
    }

    fn write(&self, path: &Path, data: &[u8], sync: bool) -> io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        f.write_all(data)?;
        if sync {
            f.sync_all()?;
        }
        Ok(())
    }

    fn open_data_file(&self, path: &Path, len: u64, create: bool) -> io::Result<Arc<dyn DataFile>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .mode(0o644)
            .open(path)?;
        let cur = file.metadata()?.len();
        if cur < len {
            file.set_len(len).inspect_err(|_| {
                // A half-made file must not be mistaken for a data file later.
                if cur == 0 {
                    let _ = std::fs::remove_file(path);
                }
            })?;
        }
        let map = memmap2::MmapOptions::new()
            .len(len as usize)
            .map_raw(&file)?;
        Ok(Arc::new(OsDataFile { file, map }))
    }

    fn file_len(&self, path: &Path) -> io::Result<u64> {
        Ok(std::fs::metadata(path)?.len())
    }

    fn modified_ms(&self, path: &Path) -> io::Result<i64> {
        let m = std::fs::metadata(path)?.modified()?;
        Ok(m.duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0))
    }

    fn disk_usage(&self, path: &Path) -> io::Result<DiskUsage> {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let c = CString::new(path.as_os_str().as_bytes())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        // SAFETY: `c` is a valid NUL-terminated path and `st` a valid out-pointer.
        let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        // As Java's UtilAll.getDiskPartitionSpaceUsedPercent and df: used / (used + available
        // to unprivileged writers). Blocks reserved for root (or held back by the file system)
        // count as neither, so a partition with large reservations is not seen as full.
        let frsize = st.f_frsize as u64;
        let used = (st.f_blocks as u64).saturating_sub(st.f_bfree as u64) * frsize;
        let available = st.f_bavail as u64 * frsize;
        Ok(DiskUsage {
            total_bytes: used + available,
            free_bytes: available,
        })
    }
}

/// Allocates the blocks of `[offset, offset + len)` without changing the size.
fn allocate(file: &File, offset: u64, len: u64) -> io::Result<()> {
    if len == 0 {
        return Ok(());
    }
    // SAFETY: plain syscall on an owned, open descriptor.
    let rc = unsafe {
        libc::fallocate(
            file.as_raw_fd(),
            libc::FALLOC_FL_KEEP_SIZE,
            offset as libc::off_t,
            len as libc::off_t,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        // File systems that cannot allocate ahead: the file stays sparse, as Java's are.
        Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS) => Ok(()),
        _ => Err(err),
    }
}

/// Offset of the first hole of `file` (its length where there is none or the file system
/// cannot tell).
fn first_hole(file: &File, len: u64) -> u64 {
    // SAFETY: plain syscall on an owned, open descriptor; it only moves the file offset,
    // which nothing else uses (all I/O goes through the mapping).
    let at = unsafe { libc::lseek(file.as_raw_fd(), 0, libc::SEEK_HOLE) };
    if at < 0 {
        len
    } else {
        (at as u64).min(len)
    }
}

#[derive(Debug)]
struct OsDataFile {
    file: File,
    map: MmapRaw,
}

impl DataFile for OsDataFile {
    fn len(&self) -> u64 {
        self.map.len() as u64
    }

    fn as_ptr(&self) -> *mut u8 {
        self.map.as_mut_ptr()
    }

    fn sync_range(&self, offset: u64, len: u64) -> io::Result<()> {
        if len == 0 {
            return Ok(());
        }
        self.map.flush_range(offset as usize, len as usize)
    }

    fn allocate(&self, offset: u64, len: u64) -> io::Result<()> {
        let end = offset.saturating_add(len).min(self.map.len() as u64);
        allocate(&self.file, offset, end.saturating_sub(offset))
    }

    fn data_end(&self) -> u64 {
        first_hole(&self.file, self.map.len() as u64)
    }

    fn populate(&self, offset: u64, len: u64) -> io::Result<()> {
        let (start, end) = page_range(offset, len, self.map.len() as u64);
        if end <= start {
            return Ok(());
        }
        // SAFETY: the range lies inside our mapping; MADV_POPULATE_WRITE only faults pages in.
        let rc = unsafe {
            libc::madvise(
                self.map.as_mut_ptr().add(start as usize) as *mut libc::c_void,
                (end - start) as usize,
                libc::MADV_POPULATE_WRITE,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINVAL) {
            return Err(err);
        }
        // Older kernels: touch one byte per page with an atomic no-op write, which faults the
        // page writable without changing bytes a concurrent writer may be copying.
        let mut p = start;
        while p < end {
            // SAFETY: in bounds of the mapping; atomic access tolerates the concurrent writer.
            unsafe {
                let b =
                    &*(self.map.as_mut_ptr().add(p as usize) as *const std::sync::atomic::AtomicU8);
                b.fetch_add(0, std::sync::atomic::Ordering::Relaxed);
            }
            p += PAGE_SIZE;
        }
        Ok(())
    }

    fn advise_cold(&self, offset: u64, len: u64) {
        let (start, end) = page_range(offset, len, self.map.len() as u64);
        if end > start {
            // SAFETY: advisory call on a range inside our mapping.
            unsafe {
                libc::madvise(
                    self.map.as_mut_ptr().add(start as usize) as *mut libc::c_void,
                    (end - start) as usize,
                    libc::MADV_COLD,
                );
            }
        }
    }

    fn is_resident(&self, offset: u64, len: u64) -> Option<bool> {
        let (start, end) = page_range(offset, len, self.map.len() as u64);
        if end <= start {
            return Some(true);
        }
        let pages = ((end - start) / PAGE_SIZE) as usize;
        let mut vec = vec![0u8; pages];
        // SAFETY: range inside our mapping; `vec` holds one byte per page.
        let rc = unsafe {
            libc::mincore(
                self.map.as_mut_ptr().add(start as usize) as *mut libc::c_void,
                (end - start) as usize,
                vec.as_mut_ptr(),
            )
        };
        if rc != 0 {
            return None;
        }
        Some(vec.iter().all(|b| b & 1 == 1))
    }
}

/// Allocates `data` from `done` (the allocated end so far) to cover `[0, upto)`, taking up
/// to `window` bytes more in the same call; if the disk cannot hold the window, only what is
/// needed. Returns the new allocated end (page-aligned, at most the file length).
pub(crate) fn allocate_ahead(
    data: &dyn DataFile,
    done: u64,
    upto: u64,
    window: u64,
) -> io::Result<u64> {
    let len = data.len();
    let page_end = |at: u64| at.div_ceil(PAGE_SIZE).saturating_mul(PAGE_SIZE).min(len);
    let from = done / PAGE_SIZE * PAGE_SIZE;
    let need = page_end(upto);
    if need <= done {
        return Ok(done);
    }
    let want = page_end(upto.saturating_add(window));
    match data.allocate(from, want - from) {
        Ok(()) => Ok(want),
        Err(e)
            if want > need
                && matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT)) =>
        {
            data.allocate(from, need - from).map(|()| need)
        }
        Err(e) => Err(e),
    }
}

/// OS page size assumed by the store (Java's `OS_PAGE_SIZE`).
pub const PAGE_SIZE: u64 = 4096;

fn page_range(offset: u64, len: u64, max: u64) -> (u64, u64) {
    let start = offset / PAGE_SIZE * PAGE_SIZE;
    let end = (offset.saturating_add(len)).min(max);
    let end = end.div_ceil(PAGE_SIZE) * PAGE_SIZE;
    (start, end.min(max.div_ceil(PAGE_SIZE) * PAGE_SIZE))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allocated_bytes(p: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).unwrap().blocks() * 512
    }

    #[test]
    fn data_file_is_sparse_until_allocated() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let f = OsFs.open_data_file(&p, 1 << 20, true).unwrap();
        assert_eq!(f.len(), 1 << 20);
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 1 << 20, "Java's size");
        assert_eq!(allocated_bytes(&p), 0, "no blocks reserved");
        assert_eq!(f.data_end(), 0);
        f.allocate(0, 64 * 1024).unwrap();
        assert!(allocated_bytes(&p) >= 64 * 1024);
        assert!(allocated_bytes(&p) < 1 << 20);
        f.allocate(1 << 20, 4096).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 1 << 20, "size kept");
    }

    #[test]
    fn data_file_is_allocated_and_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let f = OsFs.open_data_file(&p, 64 * 1024, true).unwrap();
        assert_eq!(f.len(), 64 * 1024);
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 64 * 1024);
        f.allocate(0, 64 * 1024).unwrap();
        f.populate(0, 64 * 1024).unwrap();
        // SAFETY: within the mapping, no concurrent users.
        unsafe { *f.as_ptr().add(100) = 7 };
        f.sync_range(0, 4096).unwrap();
        drop(f);
        let data = std::fs::read(&p).unwrap();
        assert_eq!(data[100], 7);
        assert!(OsFs
            .open_data_file(&dir.path().join("missing"), 10, false)
            .is_err());
        let u = OsFs.disk_usage(dir.path()).unwrap();
        assert!(u.total_bytes >= u.free_bytes && u.total_bytes > 0);
    }

    #[test]
    fn disk_usage_percent_is_what_df_reports() {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("df")
            .arg("-P")
            .arg(dir.path())
            .output()
            .expect("df");
        let text = String::from_utf8(out.stdout).unwrap();
        let line = text.lines().nth(1).expect("df output line");
        let pcent: f64 = line
            .split_whitespace()
            .nth(4)
            .and_then(|p| p.trim_end_matches('%').parse().ok())
            .expect("Use% column");
        let ours = OsFs.disk_usage(dir.path()).unwrap().used_ratio_percent();
        // df rounds up; other processes may write in between.
        assert!(
            (ours - pcent).abs() <= 2.0,
            "ours {ours:.2} %, df {pcent} %"
        );
    }
}
