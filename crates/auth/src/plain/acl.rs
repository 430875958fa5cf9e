//! [`PlainAcl`]: everything loaded from the ACL 1.0 files, and keeping it in step with them
//! as Java's `PlainPermissionManager` and `AclFileWatchService` do. Loading validates a whole
//! file before any of it takes effect, so a broken file never leaves half its accounts in.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use ferromq_model::DataVersion;
use tracing::{info, warn};

use super::account::PlainAccount;
use super::address::AddressPattern;
use super::file::{AclFile, VersionEntry};
use super::scan::{acl_files, normalize, stamp, Watched};
use super::PlainAclError;

/// More accounts than this, over all files, is refused.
pub(crate) const MAX_ACCOUNTS: usize = 100_000;
/// More global whitelist patterns than this, over all files, is refused.
pub(crate) const MAX_GLOBAL_PATTERNS: usize = 100_000;

/// The ACL 1.0 configuration of one broker: accounts and whitelists from
/// `conf/plain_acl.yml` and `conf/acl/**/*.yml`.
/// Cloned by the broker to reload and update off the request path.
#[derive(Debug, Clone)]
pub struct PlainAcl {
    pub(super) home: PathBuf,
    pub(super) acl_dir: PathBuf,
    pub(super) default_file: PathBuf,
    /// The files and modification times of the last scan, in load order.
    pub(super) watched: Watched,
    /// What each file holding a document contributes.
    pub(super) files: BTreeMap<PathBuf, LoadedFile>,
    /// Which file owns each access key. Like Java's `accessKeyTable`, a key stays here when
    /// a single-file reload drops it, until the next full reload.
    pub(super) key_table: HashMap<String, PathBuf>,
    /// The default file's version when it holds nothing (Java's `new DataVersion()`).
    pub(super) initial_version: DataVersion,
}

/// One file's contribution.
#[derive(Debug, Clone)]
pub(super) struct LoadedFile {
    pub(super) global_white: Vec<AddressPattern>,
    pub(super) accounts: BTreeMap<String, PlainAccount>,
    pub(super) version: DataVersion,
}

/// Everything a full load produces, swapped in at once.
struct Tables {
    files: BTreeMap<PathBuf, LoadedFile>,
    key_table: HashMap<String, PathBuf>,
}

pub(super) fn to_data_version(v: VersionEntry) -> DataVersion {
    DataVersion {
        counter: v.counter,
        state_version: 0,
        timestamp: v.timestamp,
    }
}

impl PlainAcl {
    /// Loads the configuration under `home` (a `ROCKETMQ_HOME`-like directory): the default
    /// file `home/conf/plain_acl.yml` (created empty if missing) and every `*.yml` / `*.yaml`
    /// under `home/conf/acl/` except `conf/acl/tools.yml`. Any invalid file fails the load,
    /// as it fails a Java broker's start.
    pub fn load(home: &Path) -> Result<PlainAcl, PlainAclError> {
        let absolute = std::path::absolute(home).map_err(|source| PlainAclError::Io {
            path: home.display().to_string(),
            source,
        })?;
        let home = normalize(&absolute);
        let acl_dir = home.join("conf").join("acl");
        let default_file = home.join("conf").join("plain_acl.yml");
        ensure_exists(&default_file)?;
        let watched = stamp(acl_files(&acl_dir, &default_file)?);
        let tables = load_all(&watched)?;
        Ok(PlainAcl {
            home,
            acl_dir,
            default_file,
            watched,
            files: tables.files,
            key_table: tables.key_table,
            initial_version: DataVersion::new(),
        })
    }

    /// One scan of the files, as Java's watcher makes every 5 s: when the set of files
    /// changed, a full reload; otherwise each file whose modification time changed is
    /// reloaded alone. Returns whether anything was reloaded. A file that fails keeps the
    /// previous state and the error is returned (a failed full reload is retried on the next
    /// scan; a failed file waits for its next change).
    ///
    /// Java compares only the number of files; comparing the names also catches a rename,
    /// which Java would half-apply.
    pub fn reload_if_changed(&mut self) -> Result<bool, PlainAclError> {
        let scanned = stamp(acl_files(&self.acl_dir, &self.default_file)?);
        let same_files = scanned.len() == self.watched.len()
            && scanned.iter().zip(&self.watched).all(|(a, b)| a.0 == b.0);
        if !same_files {
            info!(
                files = scanned.len(),
                "ACL files added or removed: full reload"
            );
            ensure_exists(&self.default_file)?;
            let scanned = stamp(acl_files(&self.acl_dir, &self.default_file)?);
            let tables = load_all(&scanned)?;
            self.files = tables.files;
            self.key_table = tables.key_table;
            self.watched = scanned;
            return Ok(true);
        }
        let mut reloaded = false;
        let mut first_error = None;
        for (i, (path, modified)) in scanned.into_iter().enumerate() {
            if self.watched[i].1 == modified {
                continue;
            }
            self.watched[i].1 = modified;
            match self.reload_file(&path) {
                Ok(()) => reloaded = true,
                Err(e) => {
                    warn!(file = %path.display(), error = %e, "ACL file not reloaded");
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(reloaded), Err)
    }

    /// Re-reads one file: its accounts (except keys another file owns), whitelist and
    /// version replace what it gave before; a file now empty gives nothing.
    pub(super) fn reload_file(&mut self, path: &Path) -> Result<(), PlainAclError> {
        let Some(data) = AclFile::read(path)? else {
            self.files.remove(path);
            return Ok(());
        };
        let loaded = build_file(path, &data, &self.key_table)?;
        let others: usize = self
            .files
            .iter()
            .filter(|(p, _)| p.as_path() != path)
            .map(|(_, f)| f.accounts.len())
            .sum();
        if others + loaded.accounts.len() > MAX_ACCOUNTS {
            return Err(PlainAclError::TooMany {
                what: "accounts",
                limit: MAX_ACCOUNTS,
            });
        }
        for ak in loaded.accounts.keys() {
            self.key_table.insert(ak.clone(), path.to_path_buf());
        }
        self.files.insert(path.to_path_buf(), loaded);
        Ok(())
    }

    /// The default file's DataVersion and every file's (path → DataVersion), for
    /// GET_BROKER_CLUSTER_ACL_INFO (52). Files holding no document have none, as in Java.
    pub fn versions(&self) -> (DataVersion, BTreeMap<String, DataVersion>) {
        let default = self
            .files
            .get(&self.default_file)
            .map_or(self.initial_version, |f| f.version);
        let all = self
            .files
            .iter()
            .map(|(p, f)| (p.display().to_string(), f.version))
            .collect();
        (default, all)
    }

    /// Every account, file by file in load order (for migration to ACL 2.0).
    pub fn accounts(&self) -> impl Iterator<Item = &PlainAccount> {
        self.watched
            .iter()
            .filter_map(|(p, _)| self.files.get(p))
            .flat_map(|f| f.accounts.values())
    }

    /// The default file (`home/conf/plain_acl.yml`, absolute).
    pub fn default_file(&self) -> &Path {
        &self.default_file
    }

    /// Whether `ip` matches any file's `globalWhiteRemoteAddresses`.
    pub(super) fn global_white_listed(&self, ip: &str) -> bool {
        self.files
            .values()
            .flat_map(|f| &f.global_white)
            .any(|p| p.matches(ip))
    }
}

/// Creates `path` empty (and its directory) if missing, as Java does for the default file.
pub(super) fn ensure_exists(path: &Path) -> Result<(), PlainAclError> {
    if path.exists() {
        return Ok(());
    }
    let io = |source| PlainAclError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io)?;
    }
    match fs::File::create_new(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io(e)),
    }
}

/// Reads every file in order; the first file to define an access key keeps it.
fn load_all(watched: &Watched) -> Result<Tables, PlainAclError> {
    let mut files = BTreeMap::new();
    let mut key_table: HashMap<String, PathBuf> = HashMap::new();
    let mut patterns = 0;
    for (path, _) in watched {
        let Some(data) = AclFile::read(path)? else {
            continue;
        };
        let loaded = build_file(path, &data, &key_table)?;
        patterns += loaded.global_white.len();
        if patterns > MAX_GLOBAL_PATTERNS {
            return Err(PlainAclError::TooMany {
                what: "global whitelist patterns",
                limit: MAX_GLOBAL_PATTERNS,
            });
        }
        for ak in loaded.accounts.keys() {
            key_table.insert(ak.clone(), path.clone());
        }
        if key_table.len() > MAX_ACCOUNTS {
            return Err(PlainAclError::TooMany {
                what: "accounts",
                limit: MAX_ACCOUNTS,
            });
        }
        files.insert(path.clone(), loaded);
    }
    Ok(Tables { files, key_table })
}

/// Validates one file's document. An account whose key `owners` gives to another file,
/// or that the same file already defined, is skipped with a warning.
fn build_file(
    path: &Path,
    data: &AclFile,
    owners: &HashMap<String, PathBuf>,
) -> Result<LoadedFile, PlainAclError> {
    let invalid = |message: String| PlainAclError::Invalid {
        path: Some(path.display().to_string()),
        message,
    };
    let global_white = data
        .global_white_remote_addresses
        .iter()
        .flatten()
        .map(|a| AddressPattern::parse(a.as_deref()).map_err(|e| invalid(e.0)))
        .collect::<Result<Vec<_>, _>>()?;
    let entries = data.accounts.as_deref().unwrap_or_default();
    if entries.len() > MAX_ACCOUNTS {
        return Err(PlainAclError::TooMany {
            what: "accounts",
            limit: MAX_ACCOUNTS,
        });
    }
    let mut accounts = BTreeMap::new();
    for entry in entries {
        let account = PlainAccount::build(entry).map_err(invalid)?;
        let taken = owners.get(&account.access_key).is_some_and(|p| p != path);
        if taken || accounts.contains_key(&account.access_key) {
            warn!(access_key = %account.access_key, file = %path.display(),
                "The accessKey is repeated in multiple ACL files; the first one loaded wins");
            continue;
        }
        accounts.insert(account.access_key.clone(), account);
    }
    let version = data
        .version()
        .map_or_else(DataVersion::new, to_data_version);
    Ok(LoadedFile {
        global_white,
        accounts,
        version,
    })
}

#[cfg(test)]
#[path = "acl_tests.rs"]
mod tests;
