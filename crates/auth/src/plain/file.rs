//! One ACL 1.0 YAML file as Java's SnakeYAML reads it into `PlainAccessData` and writes it
//! back with `dumpAsMap`. The schema is closed: an unknown key anywhere fails the whole file,
//! as in Java, so a misspelt `whiteRemoteAdress` is an error and not a silently open door.
//! Fields are declared in alphabetical order because that is the order Java writes them.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};

use super::PlainAclError;

/// Files larger than this are refused rather than read.
pub(crate) const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The whole document. A key that is absent reads as an empty list and a key written as
/// `null` as `None`, which is how Java tells them apart when it writes the file back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct AclFile {
    #[serde(default = "empty_list")]
    pub(crate) accounts: Option<Vec<AccountEntry>>,
    #[serde(default = "empty_list")]
    pub(crate) data_version: Option<Vec<VersionEntry>>,
    /// Items may be `null` (Java then loads a pattern that matches nobody).
    #[serde(default = "empty_list")]
    pub(crate) global_white_remote_addresses: Option<Vec<Option<String>>>,
}

impl Default for AclFile {
    fn default() -> Self {
        AclFile {
            accounts: Some(Vec::new()),
            data_version: Some(Vec::new()),
            global_white_remote_addresses: Some(Vec::new()),
        }
    }
}

fn empty_list<T>() -> Option<Vec<T>> {
    Some(Vec::new())
}

/// One account as written (Java's `PlainAccessConfig`); validated by `PlainAccount::build`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub(crate) struct AccountEntry {
    pub(crate) access_key: Option<String>,
    #[serde(deserialize_with = "yaml_bool")]
    pub(crate) admin: bool,
    pub(crate) default_group_perm: Option<String>,
    pub(crate) default_topic_perm: Option<String>,
    pub(crate) group_perms: Option<Vec<String>>,
    pub(crate) secret_key: Option<String>,
    pub(crate) topic_perms: Option<Vec<String>>,
    pub(crate) white_remote_address: Option<String>,
}

/// One `dataVersion` element; only the first one is ever read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct VersionEntry {
    pub(crate) counter: i64,
    pub(crate) timestamp: i64,
}

/// SnakeYAML fills a `boolean` property from YAML 1.1 booleans, quoted or not
/// (`true`/`false`/`yes`/`no`/`on`/`off`, any case); a YAML 1.2 reader alone would refuse
/// `admin: yes`. `null` stays false.
fn yaml_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bool(bool),
        Text(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(false),
        Some(Raw::Bool(b)) => Ok(b),
        Some(Raw::Text(t)) => match t.to_lowercase().as_str() {
            "true" | "yes" | "on" => Ok(true),
            "false" | "no" | "off" => Ok(false),
            _ => Err(serde::de::Error::custom(format!(
                "cannot read {t:?} as a boolean"
            ))),
        },
    }
}

impl AclFile {
    /// Reads `path`: `Ok(None)` when the file is missing or holds no document (Java skips
    /// such files), an error when it is unreadable, too large or does not fit the schema.
    pub(crate) fn read(path: &Path) -> Result<Option<AclFile>, PlainAclError> {
        let io = |source| PlainAclError::Io {
            path: path.display().to_string(),
            source,
        };
        let file = match fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        if file.metadata().map_err(io)?.is_dir() {
            return Ok(None);
        }
        let mut text = String::new();
        let read = file
            .take(MAX_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(io)?;
        if read as u64 > MAX_FILE_BYTES {
            return Err(PlainAclError::TooLarge {
                path: path.display().to_string(),
                limit: MAX_FILE_BYTES,
            });
        }
        Self::parse(&text).map_err(|e| PlainAclError::Yaml {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// Parses YAML text; `None` for a document that is empty or only comments / `null`.
    pub(crate) fn parse(text: &str) -> Result<Option<AclFile>, serde_yaml::Error> {
        serde_yaml::from_str::<Option<AclFile>>(text)
    }

    /// The YAML Java's `dumpAsMap` would write for this document (block style, keys in
    /// alphabetical order, `null` for absent values, number-like strings quoted).
    pub(crate) fn to_yaml(&self) -> Result<String, serde_yaml::Error> {
        serde_yaml::to_string(self)
    }

    /// Writes the document to `path` through a sibling temporary file and a rename, so the
    /// reload scan never reads half a file.
    pub(crate) fn write(&self, path: &Path) -> Result<(), PlainAclError> {
        let io = |source| PlainAclError::Io {
            path: path.display().to_string(),
            source,
        };
        let text = self.to_yaml().map_err(|e| PlainAclError::Yaml {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.tmp"));
        let mut f = fs::File::create(&tmp).map_err(io)?;
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        drop(f);
        fs::rename(&tmp, path).map_err(io)
    }

    /// The first `dataVersion` element, as Java reads it.
    pub(crate) fn version(&self) -> Option<VersionEntry> {
        self.data_version.as_ref()?.first().copied()
    }
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
