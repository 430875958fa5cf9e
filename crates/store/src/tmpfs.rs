//! A real small file system for tests: a tmpfs mounted on a temporary directory for the life
//! of the value (root can mount; where mounting is not permitted, [`Tmpfs::mount`] says why
//! and the test reports it skipped). Also what "another tenant of the disk" does: a plain
//! file grown until the disk is as full as asked.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::io::{FileSystem, OsFs};

/// A mounted tmpfs, unmounted when dropped.
#[derive(Debug)]
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`mount -o size=`, e.g. `300m`).
    pub fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Tmpfs { dir })
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Used space of the file system holding `p`, in percent (as `df` computes it).
pub fn used_percent(p: &Path) -> f64 {
    OsFs.disk_usage(p).map_or(0.0, |u| u.used_ratio_percent())
}

/// Another tenant of the disk: a plain file `filler` in `dir`, grown until `percent` of the
/// disk is used (or the disk is full). Returns its path.
pub fn fill_to(dir: &Path, percent: f64) -> PathBuf {
    use std::io::Write;
    let filler = dir.join("filler");
    let Ok(mut f) = std::fs::File::create(&filler) else {
        return filler;
    };
    let chunk = vec![7u8; 1 << 20];
    while used_percent(dir) < percent {
        if f.write_all(&chunk).is_err() {
            break;
        }
    }
    let _ = f.sync_all();
    filler
}
