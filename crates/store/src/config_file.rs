//! Atomic config-file writes with a `.bak` copy, as the Java 5.x broker keeps
//! `config/*.json`: move the old file to `x.bak`, write `x.tmp`, fsync it, rename it to `x`,
//! fsync the directory. Loading falls back to `x.bak` when `x` is missing or empty.

use std::path::{Path, PathBuf};

use crate::error::StoreError;
use crate::io::FileSystem;

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// Writes `data` to `path` durably, keeping the previous content in `path.bak`.
pub fn write_atomic(fs: &dyn FileSystem, path: &Path, data: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs.create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
    let tmp = with_suffix(path, ".tmp");
    fs.write(&tmp, data, true)
        .map_err(|e| StoreError::io(&tmp, e))?;
    if fs.exists(path) {
        let bak = with_suffix(path, ".bak");
        fs.rename(path, &bak).map_err(|e| StoreError::io(&bak, e))?;
    }
    fs.rename(&tmp, path).map_err(|e| StoreError::io(path, e))?;
    fs.sync_dir(dir).map_err(|e| StoreError::io(dir, e))
}

/// Reads `path`, or `path.bak` when `path` is missing or empty. `Ok(None)` if neither exists.
pub fn load_with_backup(fs: &dyn FileSystem, path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    for p in [path.to_path_buf(), with_suffix(path, ".bak")] {
        if !fs.exists(&p) {
            continue;
        }
        let data = fs.read(&p).map_err(|e| StoreError::io(&p, e))?;
        if !data.is_empty() {
            if p != path {
                tracing::warn!(file = %path.display(), "loaded config from .bak");
            }
            return Ok(Some(data));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::OsFs;

    #[test]
    fn write_keeps_backup_and_load_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config").join("topics.json");
        assert_eq!(load_with_backup(&OsFs, &p).unwrap(), None);
        write_atomic(&OsFs, &p, b"v1").unwrap();
        write_atomic(&OsFs, &p, b"v2").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"v2");
        assert_eq!(std::fs::read(with_suffix(&p, ".bak")).unwrap(), b"v1");
        std::fs::write(&p, b"").unwrap();
        assert_eq!(load_with_backup(&OsFs, &p).unwrap().unwrap(), b"v1");
        std::fs::remove_file(&p).unwrap();
        assert_eq!(load_with_backup(&OsFs, &p).unwrap().unwrap(), b"v1");
    }
}
