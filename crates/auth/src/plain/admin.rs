//! The ACL 1.0 admin requests that change the files (UPDATE_AND_CREATE_ACL_CONFIG 50,
//! DELETE_ACL_CONFIG 51, UPDATE_GLOBAL_WHITE_ADDRS_CONFIG 53): each re-reads the file it
//! changes, rewrites it whole as Java does (dataVersion counter + 1, timestamp now) and
//! updates the loaded state at once. Everything is validated before the file is touched.
//!
//! Deliberate differences from Java 5.3.2, each where Java leaves a broken or stale state:
//! the in-memory account after an update is the merged account (Java holds the request's
//! fields alone until its watcher re-reads the file); 53 refuses an invalid pattern (Java
//! writes it, and the broker then fails at its next start) and a file that is not one of the
//! loaded ACL files (Java checks only a path prefix), and takes effect at once.

use std::path::{Path, PathBuf};

use ferromq_model::DataVersion;
use ferromq_protocol::headers::CreateAccessConfigRequestHeader;

use super::account::{check_keys, PlainAccount};
use super::acl::{ensure_exists, to_data_version, LoadedFile};
use super::address::AddressPattern;
use super::file::{AccountEntry, AclFile, VersionEntry};
use super::java::split_comma_list;
use super::perm::check_resource_perm;
use super::scan::normalize;
use super::{PlainAcl, PlainAclError};

impl PlainAcl {
    /// UPDATE_AND_CREATE_ACL_CONFIG (50): creates the account in the default file, or
    /// updates it in the file that holds it (fields present in the request replace the
    /// stored ones; `admin` always does). The error's text is the response remark.
    pub fn update_account(
        &mut self,
        h: &CreateAccessConfigRequestHeader,
        now_ms: i64,
    ) -> Result<(), PlainAclError> {
        check_keys(h.access_key.as_deref(), h.secret_key.as_deref())
            .map_err(PlainAclError::invalid)?;
        let topic_perms = h.topic_perms.as_deref().map(split_comma_list);
        let group_perms = h.group_perms.as_deref().map(split_comma_list);
        for entry in topic_perms.iter().chain(group_perms.iter()).flatten() {
            check_resource_perm(entry).map_err(PlainAclError::invalid)?;
        }
        let ak = h.access_key.clone().unwrap_or_default();
        let path = match self.key_table.get(&ak) {
            Some(p) => p.clone(),
            None => {
                ensure_exists(&self.default_file)?;
                self.default_file.clone()
            }
        };
        let mut data = AclFile::read(&path)?.unwrap_or_default();
        let accounts = data.accounts.get_or_insert_with(Vec::new);
        let existing = accounts
            .iter()
            .position(|a| a.access_key.as_deref() == Some(ak.as_str()))
            .map(|i| accounts.remove(i));
        // Java moves an updated account to the end of the list.
        let merged = merge(existing.unwrap_or_default(), h, topic_perms, group_perms);
        let account = PlainAccount::build(&merged).map_err(PlainAclError::invalid)?;
        accounts.push(merged);
        let version = write_next_version(&path, &mut data, now_ms)?;
        let file = self.file_mut(&path, version);
        file.accounts.insert(ak.clone(), account);
        self.key_table.insert(ak, path);
        Ok(())
    }

    /// DELETE_ACL_CONFIG (51): removes the account from its file and from the loaded state
    /// (requests with its key then fail with `No acl config for <ak>`).
    pub fn delete_account(&mut self, access_key: &str, now_ms: i64) -> Result<(), PlainAclError> {
        let failed = || PlainAclError::DeleteFailed(access_key.to_owned());
        if access_key.is_empty() {
            return Err(failed());
        }
        let path = self.key_table.get(access_key).cloned().ok_or_else(failed)?;
        let Some(mut data) = AclFile::read(&path)? else {
            // Java answers success here: the file holds nothing, so neither does the table.
            self.forget(access_key, &path);
            return Ok(());
        };
        let accounts = data.accounts.get_or_insert_with(Vec::new);
        let index = accounts
            .iter()
            .position(|a| a.access_key.as_deref() == Some(access_key))
            .ok_or_else(failed)?;
        accounts.remove(index);
        let version = write_next_version(&path, &mut data, now_ms)?;
        self.file_mut(&path, version);
        self.forget(access_key, &path);
        Ok(())
    }

    /// UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53): replaces `globalWhiteRemoteAddresses` of
    /// `file` (the default file when absent or empty; a relative path is taken under the
    /// home directory). `addrs` is the request's comma list, split as Java does
    /// ([`split_comma_list`]).
    pub fn update_global_white_addrs(
        &mut self,
        addrs: &[String],
        file: Option<&str>,
        now_ms: i64,
    ) -> Result<(), PlainAclError> {
        let path = self.target_file(addrs, file)?;
        let patterns = addrs
            .iter()
            .map(|a| AddressPattern::parse(Some(a)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| PlainAclError::invalid(e.0))?;
        let mut data = AclFile::read(&path)?.unwrap_or_default();
        data.global_white_remote_addresses = Some(addrs.iter().cloned().map(Some).collect());
        let version = write_next_version(&path, &mut data, now_ms)?;
        self.file_mut(&path, version).global_white = patterns;
        Ok(())
    }

    /// The file a 53 request names, if it is one of the loaded ACL files and exists.
    fn target_file(&self, addrs: &[String], file: Option<&str>) -> Result<PathBuf, PlainAclError> {
        let path = match file.filter(|f| !f.is_empty()) {
            None => self.default_file.clone(),
            Some(f) => normalize(&self.home.join(f)),
        };
        let known = path == self.default_file || self.watched.iter().any(|(p, _)| *p == path);
        let reason = if !known {
            Some("is not one of the ACL files")
        } else if !path.is_file() {
            Some("does not exist or is a directory")
        } else {
            None
        };
        match reason {
            None => Ok(path),
            Some(r) => Err(PlainAclError::GlobalWhiteAddrsFailed {
                addrs: addrs.join(","),
                reason: format!("{} {r}", path.display()),
            }),
        }
    }

    /// The loaded state of `path` with its new version, created if the file gave nothing.
    fn file_mut(&mut self, path: &Path, version: DataVersion) -> &mut LoadedFile {
        let file = self
            .files
            .entry(path.to_path_buf())
            .or_insert_with(|| LoadedFile {
                global_white: Vec::new(),
                accounts: Default::default(),
                version,
            });
        file.version = version;
        file
    }

    fn forget(&mut self, access_key: &str, path: &Path) {
        self.key_table.remove(access_key);
        if let Some(f) = self.files.get_mut(path) {
            f.accounts.remove(access_key);
        }
    }
}

/// Java's `createAclAccessConfigMap`: the request's present fields over the stored ones.
fn merge(
    mut account: AccountEntry,
    h: &CreateAccessConfigRequestHeader,
    topic_perms: Option<Vec<String>>,
    group_perms: Option<Vec<String>>,
) -> AccountEntry {
    let present = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    account.access_key = h.access_key.clone();
    if let Some(sk) = present(&h.secret_key) {
        account.secret_key = Some(sk);
    }
    if h.white_remote_address.is_some() {
        account.white_remote_address = h.white_remote_address.clone();
    }
    account.admin = h.admin.unwrap_or(false);
    if let Some(p) = present(&h.default_topic_perm) {
        account.default_topic_perm = Some(p);
    }
    if let Some(p) = present(&h.default_group_perm) {
        account.default_group_perm = Some(p);
    }
    if topic_perms.is_some() {
        account.topic_perms = topic_perms;
    }
    if group_perms.is_some() {
        account.group_perms = group_perms;
    }
    account
}

/// Bumps the file's version (counter + 1, timestamp `now_ms`), writes the file and returns
/// the new version.
fn write_next_version(
    path: &Path,
    data: &mut AclFile,
    now_ms: i64,
) -> Result<DataVersion, PlainAclError> {
    let counter = data.version().map_or(0, |v| v.counter).wrapping_add(1);
    let entry = VersionEntry {
        counter,
        timestamp: now_ms,
    };
    data.data_version = Some(vec![entry]);
    data.write(path)?;
    Ok(to_data_version(entry))
}

#[cfg(test)]
#[path = "admin_tests.rs"]
mod tests;
