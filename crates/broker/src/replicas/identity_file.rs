//! The broker's persistent controller id (Java 5.1.1+ `BrokerMetadata` and
//! `TempBrokerMetadata`): `storePathBrokerIdentity` holds `cluster#brokerName#id` once the
//! controller accepted the id; `<that path>-temp` holds `cluster#brokerName#id#checkCode`
//! while an application is in flight, so a retry after a crash re-applies the same id with
//! the same check code (which the controller accepts again).

use std::path::{Path, PathBuf};

/// What one of the files says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdentityRecord {
    pub(crate) cluster: String,
    pub(crate) name: String,
    pub(crate) id: i64,
    /// Only in the temp file.
    pub(crate) check_code: Option<String>,
}

impl IdentityRecord {
    fn encode(&self) -> String {
        match &self.check_code {
            Some(c) => format!("{}#{}#{}#{c}", self.cluster, self.name, self.id),
            None => format!("{}#{}#{}", self.cluster, self.name, self.id),
        }
    }

    fn decode(text: &str, temp: bool) -> Option<Self> {
        let mut parts = text.trim().splitn(4, '#');
        let cluster = parts.next()?.to_string();
        let name = parts.next()?.to_string();
        let id = parts.next()?.parse().ok()?;
        let check_code = parts.next().map(str::to_string);
        if cluster.is_empty() || name.is_empty() || temp != check_code.is_some() {
            return None;
        }
        Some(IdentityRecord {
            cluster,
            name,
            id,
            check_code,
        })
    }
}

/// The two files.
#[derive(Debug, Clone)]
pub(crate) struct IdentityFiles {
    path: PathBuf,
}

impl IdentityFiles {
    /// Files at `path` (and `path-temp`).
    pub(crate) fn new(path: impl Into<PathBuf>) -> Self {
        IdentityFiles { path: path.into() }
    }

    fn temp_path(&self) -> PathBuf {
        let mut p = self.path.as_os_str().to_owned();
        p.push("-temp");
        PathBuf::from(p)
    }

    /// The accepted identity, if recorded.
    pub(crate) fn load(&self) -> Option<IdentityRecord> {
        read(&self.path, false)
    }

    /// The identity being applied for, if any.
    pub(crate) fn load_temp(&self) -> Option<IdentityRecord> {
        read(&self.temp_path(), true)
    }

    /// Records an identity the controller accepted and drops the temp file.
    pub(crate) fn save(&self, r: &IdentityRecord) -> std::io::Result<()> {
        let r = IdentityRecord {
            check_code: None,
            ..r.clone()
        };
        write(&self.path, &r.encode())?;
        self.remove_temp();
        Ok(())
    }

    /// Records an identity about to be applied for.
    pub(crate) fn save_temp(&self, r: &IdentityRecord) -> std::io::Result<()> {
        write(&self.temp_path(), &r.encode())
    }

    /// Drops the temp file (the application was refused).
    pub(crate) fn remove_temp(&self) {
        let _ = std::fs::remove_file(self.temp_path());
    }
}

fn read(path: &Path, temp: bool) -> Option<IdentityRecord> {
    let text = std::fs::read_to_string(path).ok()?;
    let r = IdentityRecord::decode(&text, temp);
    if r.is_none() {
        tracing::warn!(path = %path.display(), "unreadable broker identity file ignored");
    }
    r
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("writing");
    std::fs::write(&tmp, text)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_have_javas_text_and_the_temp_file_goes_on_save() {
        let dir = tempfile::tempdir().unwrap();
        let files = IdentityFiles::new(dir.path().join("brokerIdentity"));
        assert_eq!(files.load(), None);
        let temp = IdentityRecord {
            cluster: "c".into(),
            name: "broker-a".into(),
            id: 2,
            check_code: Some("10.0.0.1:10911;1700000000000".into()),
        };
        files.save_temp(&temp).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("brokerIdentity-temp")).unwrap(),
            "c#broker-a#2#10.0.0.1:10911;1700000000000"
        );
        assert_eq!(files.load_temp(), Some(temp.clone()));
        files.save(&temp).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("brokerIdentity")).unwrap(),
            "c#broker-a#2"
        );
        assert_eq!(files.load_temp(), None);
        assert_eq!(files.load().map(|r| r.id), Some(2));
        std::fs::write(dir.path().join("brokerIdentity"), "c##x").unwrap();
        assert_eq!(files.load(), None, "damaged");
    }
}
