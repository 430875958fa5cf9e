//! Users and ACLs, durable: two JSON files under the broker's config directory, read once at
//! start and rewritten (temporary file, fsync, rename) on every change.
//!
//! Requests read an immutable [`Snapshot`] (an `Arc` swap, never blocked by a writer).
//! Writers are serialized by one mutex held across the file write: admin changes are rare
//! and must reach the disk in order; the request path never takes it.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use super::decide::Directory;
use super::model::{Acl, User, UserType};
use super::stored::{StoredAcl, StoredUser};

/// At most this many users or ACLs are kept (each admin request adds at most one).
pub(crate) const MAX_ENTRIES: usize = 100_000;
/// A store file larger than this is refused at start.
const MAX_FILE_BYTES: u64 = 64 << 20;

/// Why the store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A change would make a file larger than the store reads back at start.
    #[error("{path}: the change would make it larger than {limit} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// [`MAX_FILE_BYTES`].
        limit: u64,
    },
    /// A file does not hold what it should.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Every user and ACL at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub(crate) users: HashMap<String, User>,
    pub(crate) acls: HashMap<String, Acl>,
}

impl Directory for Snapshot {
    fn user(&self, username: &str) -> Option<&User> {
        self.users.get(username)
    }

    fn acl(&self, subject: &str) -> Option<&Acl> {
        self.acls.get(subject)
    }
}

impl Snapshot {
    /// Whether `access_key` names a super user; no key at all counts as one, as in Java
    /// (authentication is then off, and admin requests are not restricted).
    pub fn is_super_caller(&self, access_key: Option<&str>) -> bool {
        match access_key.filter(|k| !k.is_empty()) {
            None => true,
            Some(k) => self
                .users
                .get(k)
                .is_some_and(|u| u.user_type == UserType::Super),
        }
    }
}

/// The durable users and ACLs of one broker.
#[derive(Debug)]
pub struct AuthStore {
    dir: PathBuf,
    current: RwLock<Arc<Snapshot>>,
    writer: Mutex<()>,
}

impl AuthStore {
    /// Opens (or starts empty) the store in `dir` (`{storePathRootDir}/config/auth`).
    pub fn open(dir: &Path) -> Result<AuthStore, StoreError> {
        let mut snap = Snapshot::default();
        for u in read_array::<StoredUser>(&dir.join("users.json"))? {
            let user = u.into_user().ok_or_else(|| corrupt(dir, "users.json"))?;
            snap.users.insert(user.username.clone(), user);
        }
        for a in read_array::<StoredAcl>(&dir.join("acls.json"))? {
            let acl = a.into_acl().ok_or_else(|| corrupt(dir, "acls.json"))?;
            snap.acls.insert(acl.subject.clone(), acl);
        }
        Ok(AuthStore {
            dir: dir.to_path_buf(),
            current: RwLock::new(Arc::new(snap)),
            writer: Mutex::new(()),
        })
    }

    /// What requests are checked against now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.read().clone()
    }

    /// Applies `change` to a copy of the current state, writes it, then publishes it. An
    /// error from `change` leaves everything as it was.
    pub(crate) fn update<T, E: From<StoreError>>(
        &self,
        change: impl FnOnce(&mut Snapshot) -> Result<T, E>,
    ) -> Result<T, E> {
        let _one_writer = self.writer.lock();
        let mut next = (*self.snapshot()).clone();
        let out = change(&mut next)?;
        self.persist(&next)?;
        *self.current.write() = Arc::new(next);
        Ok(out)
    }

    fn persist(&self, s: &Snapshot) -> Result<(), StoreError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Io { path, source }
        };
        fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let mut users: Vec<&User> = s.users.values().collect();
        users.sort_by(|a, b| a.username.cmp(&b.username));
        let users: Vec<StoredUser> = users.into_iter().map(StoredUser::from).collect();
        let mut acls: Vec<&Acl> = s.acls.values().collect();
        acls.sort_by(|a, b| a.subject.cmp(&b.subject));
        let acls: Vec<StoredAcl> = acls.into_iter().map(StoredAcl::from).collect();
        // Both files are made and measured before either is written: a change that cannot be
        // read back at start (or half written) changes nothing.
        let mut files = Vec::with_capacity(2);
        for (name, json) in [
            ("users.json", serde_json::to_vec_pretty(&users)),
            ("acls.json", serde_json::to_vec_pretty(&acls)),
        ] {
            let path = self.dir.join(name);
            let json = json.map_err(|e| StoreError::Corrupt {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            if json.len() as u64 > MAX_FILE_BYTES {
                return Err(StoreError::TooLarge {
                    path,
                    limit: MAX_FILE_BYTES,
                });
            }
            files.push((path, json));
        }
        for (path, json) in files {
            write_atomically(&path, &json).map_err(io(&path))?;
        }
        Ok(())
    }
}

fn corrupt(dir: &Path, file: &str) -> StoreError {
    StoreError::Corrupt {
        path: dir.join(file),
        reason: "an entry holds an unknown code".into(),
    }
}

fn read_array<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, StoreError> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(StoreError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let bad = |reason: String| StoreError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(bad(format!("larger than {MAX_FILE_BYTES} bytes")));
    }
    let bytes = fs::read(path).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let items: Vec<T> = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    if items.len() > MAX_ENTRIES {
        return Err(bad(format!("more than {MAX_ENTRIES} entries")));
    }
    Ok(items)
}

/// Writes `path` so that a crash leaves either the old or the new content.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let mut f = fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}
