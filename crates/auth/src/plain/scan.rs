//! Which files make up the ACL 1.0 configuration, and the modification times the reload
//! scan compares (Java's `getAllAclFiles` and `AclFileWatchService`). Directory entries are
//! taken in name order, so when two files define one access key the same one always wins.

use std::fs;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use super::PlainAclError;

/// More ACL files than this is refused (a runaway directory, not a configuration).
pub(crate) const MAX_FILES: usize = 4096;
/// Directories nested deeper than this under `conf/acl` are not searched (symlink loops).
const MAX_DEPTH: usize = 16;

/// One watched file and its modification time when last scanned (`None`: unreadable).
pub(crate) type Watched = Vec<(PathBuf, Option<SystemTime>)>;

/// `Path.normalize()` as Java's `MixAll.dealFilePath` does it: `.` and `name/..` removed
/// without touching the disk.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                let popped =
                    matches!(out.components().next_back(), Some(Component::Normal(_))) && out.pop();
                if !popped && !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The files to load, in load order: every `*.yml` / `*.yaml` under `acl_dir` (depth
/// first, names sorted, `acl_dir/tools.yml` left out — it holds mqadmin's own
/// credentials), then `default_file` if it exists and was not among them.
pub(crate) fn acl_files(
    acl_dir: &Path,
    default_file: &Path,
) -> Result<Vec<PathBuf>, PlainAclError> {
    let mut out = Vec::new();
    walk(acl_dir, acl_dir, 0, &mut out)?;
    if default_file.exists() && !out.iter().any(|p| p == default_file) {
        out.push(default_file.to_path_buf());
    }
    Ok(out)
}

fn walk(
    dir: &Path,
    root: &Path,
    depth: usize,
    out: &mut Vec<PathBuf>,
) -> Result<(), PlainAclError> {
    if depth > MAX_DEPTH || !dir.is_dir() {
        return Ok(());
    }
    let io = |source| PlainAclError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        let name = path.to_string_lossy();
        if depth == 0 && path == root.join("tools.yml") {
            continue;
        }
        if name.ends_with(".yml") || name.ends_with(".yaml") {
            if out.len() >= MAX_FILES {
                return Err(PlainAclError::TooMany {
                    what: "files",
                    limit: MAX_FILES,
                });
            }
            out.push(path);
        } else if path.is_dir() {
            walk(&path, root, depth + 1, out)?;
        }
    }
    Ok(())
}

/// The files with their current modification times.
pub(crate) fn stamp(files: Vec<PathBuf>) -> Watched {
    files
        .into_iter()
        .map(|p| {
            let modified = fs::metadata(&p).and_then(|m| m.modified()).ok();
            (p, modified)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_java() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalize(Path::new("/../a")), PathBuf::from("/a"));
        assert_eq!(normalize(Path::new("a/../../b")), PathBuf::from("../b"));
    }

    #[test]
    fn finds_yaml_files_depth_first_in_name_order() {
        let home = tempfile::tempdir().unwrap();
        let acl = home.path().join("conf/acl");
        fs::create_dir_all(acl.join("sub")).unwrap();
        for f in [
            "b.yml",
            "a.yaml",
            "tools.yml",
            "notes.txt",
            "sub/c.yml",
            "sub/tools.yml",
        ] {
            fs::write(acl.join(f), "").unwrap();
        }
        let default = home.path().join("conf/plain_acl.yml");
        fs::write(&default, "").unwrap();
        let got = acl_files(&acl, &default).unwrap();
        let rel: Vec<String> = got
            .iter()
            .map(|p| p.strip_prefix(home.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(
            rel,
            [
                "conf/acl/a.yaml",
                "conf/acl/b.yml",
                "conf/acl/sub/c.yml",
                "conf/acl/sub/tools.yml",
                "conf/plain_acl.yml"
            ]
        );
    }

    #[test]
    fn missing_directory_is_no_files() {
        let home = tempfile::tempdir().unwrap();
        let got = acl_files(&home.path().join("nope"), &home.path().join("none.yml")).unwrap();
        assert!(got.is_empty());
    }
}
