//! Where `ferromq admin` and `ferromq bench` find the ACL credentials they sign requests with:
//! `--access-key`/`--secret-key`, else `ROCKETMQ_ACCESS_KEY`/`ROCKETMQ_SECRET_KEY`, else — as
//! mqadmin does — `accessKey`/`secretKey` in `$ROCKETMQ_HOME/conf/tools.yml`. Without any,
//! requests go unsigned, which brokers without ACL accept.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Args;
use ferromq_client::Credentials;

/// Environment variable holding the access key (ACL 2.0 username).
pub const ACCESS_KEY_ENV: &str = "ROCKETMQ_ACCESS_KEY";
/// Environment variable holding the secret key (ACL 2.0 password).
pub const SECRET_KEY_ENV: &str = "ROCKETMQ_SECRET_KEY";
/// mqadmin's credentials file, relative to `ROCKETMQ_HOME` (`MixAll.ACL_CONF_TOOLS_FILE`).
const TOOLS_FILE: &str = "conf/tools.yml";

/// The credential options (values may also come from the environment).
#[derive(Debug, Clone, Default, Args)]
pub struct CredentialArgs {
    /// ACL access key (ACL 2.0 username) to sign every request with
    #[arg(
        long = "access-key",
        value_name = "AK",
        env = ACCESS_KEY_ENV,
        hide_env_values = true
    )]
    pub access_key: Option<String>,
    /// Secret key of the access key
    #[arg(
        long = "secret-key",
        value_name = "SK",
        env = SECRET_KEY_ENV,
        hide_env_values = true
    )]
    pub secret_key: Option<String>,
}

impl CredentialArgs {
    /// The credentials to sign with: the options (or their environment variables), else
    /// `$ROCKETMQ_HOME/conf/tools.yml`, else none. Half a pair given explicitly is an error
    /// rather than a silent fallback to unsigned requests.
    pub fn resolve(&self) -> Result<Option<Credentials>> {
        let home = std::env::var_os("ROCKETMQ_HOME").map(PathBuf::from);
        self.resolve_with_home(home.as_deref())
    }

    fn resolve_with_home(&self, home: Option<&Path>) -> Result<Option<Credentials>> {
        match (given(&self.access_key), given(&self.secret_key)) {
            (Some(ak), Some(sk)) => Ok(Some(Credentials::new(ak, sk))),
            (None, None) => Ok(home.and_then(tools_file_credentials)),
            (Some(_), None) => {
                bail!("--access-key ({ACCESS_KEY_ENV}) needs --secret-key ({SECRET_KEY_ENV})")
            }
            (None, Some(_)) => {
                bail!("--secret-key ({SECRET_KEY_ENV}) needs --access-key ({ACCESS_KEY_ENV})")
            }
        }
    }
}

/// A value that is present and not blank, trimmed (mqadmin trims its values too).
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The credentials in `<home>/conf/tools.yml`; none when the file is missing or either key is
/// blank (mqadmin then sends unsigned requests too).
fn tools_file_credentials(home: &Path) -> Option<Credentials> {
    let text = std::fs::read_to_string(home.join(TOOLS_FILE)).ok()?;
    parse_tools_yml(&text)
}

/// `accessKey` and `secretKey` from the top level of a `tools.yml`: one `key: value` per line,
/// values optionally quoted, `#` comments ignored. Nested or flow-style YAML is not read.
pub fn parse_tools_yml(text: &str) -> Option<Credentials> {
    let mut ak = None;
    let mut sk = None;
    for line in text.lines() {
        // Indented lines belong to nested mappings; only top-level keys count.
        if line.starts_with(char::is_whitespace) || line.trim_start().starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = yaml_scalar(value);
        match key.trim() {
            "accessKey" => ak = value,
            "secretKey" => sk = value,
            _ => {}
        }
    }
    Some(Credentials::new(ak?, sk?))
}

/// A plain or quoted YAML scalar, `None` when blank.
fn yaml_scalar(raw: &str) -> Option<String> {
    let v = raw.trim();
    let unquoted = match v.chars().next() {
        Some(q @ ('"' | '\'')) => v[1..].split(q).next().unwrap_or_default(),
        // An unquoted value ends where ` #` starts a comment.
        _ => v.split(" #").next().unwrap_or_default().trim(),
    };
    let s = unquoted.trim();
    (!s.is_empty()).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(ak: Option<&str>, sk: Option<&str>) -> CredentialArgs {
        CredentialArgs {
            access_key: ak.map(str::to_string),
            secret_key: sk.map(str::to_string),
        }
    }

    #[test]
    fn reads_the_distributions_tools_yml() {
        let text = "# Licensed to the Apache Software Foundation (ASF)\n\n\naccessKey: rocketmq2\nsecretKey: 12345678\n";
        let c = parse_tools_yml(text).unwrap();
        assert_eq!(
            (c.access_key.as_str(), c.secret_key.as_str()),
            ("rocketmq2", "12345678")
        );
        let c = parse_tools_yml(
            "accessKey: \"a b\"  \nsecretKey: 'x#y' # note\nother:\n  accessKey: no\n",
        )
        .unwrap();
        assert_eq!(
            (c.access_key.as_str(), c.secret_key.as_str()),
            ("a b", "x#y")
        );
        assert_eq!(parse_tools_yml("accessKey: rocketmq2\nsecretKey:\n"), None);
        assert_eq!(parse_tools_yml("  accessKey: a\n  secretKey: b\n"), None);
    }

    #[test]
    fn options_then_tools_yml_then_nothing() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join("conf")).unwrap();
        std::fs::write(
            home.path().join(TOOLS_FILE),
            "accessKey: fileAk\nsecretKey: fileSk\n",
        )
        .unwrap();

        let c = args(Some(" ak "), Some("sk"))
            .resolve_with_home(Some(home.path()))
            .unwrap()
            .unwrap();
        assert_eq!((c.access_key.as_str(), c.secret_key.as_str()), ("ak", "sk"));
        let c = args(None, None)
            .resolve_with_home(Some(home.path()))
            .unwrap()
            .unwrap();
        assert_eq!(c.access_key, "fileAk");
        assert_eq!(args(None, Some(" ")).resolve_with_home(None).unwrap(), None);
        assert_eq!(args(None, None).resolve_with_home(None).unwrap(), None);
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(
            args(None, None)
                .resolve_with_home(Some(empty.path()))
                .unwrap(),
            None
        );
        let e = args(Some("ak"), None).resolve_with_home(None).unwrap_err();
        assert!(e.to_string().contains("needs --secret-key"), "{e}");
        assert!(args(None, Some("sk")).resolve_with_home(None).is_err());
    }
}
