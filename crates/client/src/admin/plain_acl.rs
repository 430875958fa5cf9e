//! ACL 1.0 admin calls (codes 50–53, RocketMQ 4.4–5.3.2): accounts and global whitelists in a
//! broker's `plain_acl.yml`, and the versions of those files. RocketMQ 5.3.3 removed ACL 1.0;
//! its brokers answer REQUEST_CODE_NOT_SUPPORTED (3).

use std::collections::BTreeMap;

use ferromq_model::{from_fastjson, DataVersion};
use ferromq_protocol::headers::{
    CreateAccessConfigRequestHeader, DeleteAccessConfigRequestHeader,
    GetBrokerAclConfigResponseHeader, UpdateGlobalWhiteAddrsConfigRequestHeader,
};
use ferromq_protocol::{request_code, RemotingCommand};

use super::Admin;
use crate::error::Result;

/// One ACL 1.0 account (Java's `PlainAccessConfig`). Permissions are `PUB`, `SUB`,
/// `PUB|SUB`, `SUB|PUB` or `DENY`; `topic_perms`/`group_perms` entries read `name=PERM`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlainAccessConfig {
    /// The account's access key (more than 6 characters).
    pub access_key: String,
    /// Its secret key (more than 6 characters).
    pub secret_key: Option<String>,
    /// An address pattern whose requests skip the signature and permission checks.
    pub white_remote_address: Option<String>,
    /// Admin accounts may use the admin request codes.
    pub admin: bool,
    /// Permission on topics not in `topic_perms`.
    pub default_topic_perm: Option<String>,
    /// Permission on groups not in `group_perms`.
    pub default_group_perm: Option<String>,
    /// `topic=PERM` entries.
    pub topic_perms: Option<Vec<String>>,
    /// `group=PERM` entries.
    pub group_perms: Option<Vec<String>>,
}

/// A broker's ACL 1.0 file versions (GET_BROKER_CLUSTER_ACL_INFO).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AclVersionInfo {
    /// The broker's cluster.
    pub cluster_name: Option<String>,
    /// The broker's name.
    pub broker_name: Option<String>,
    /// The address the broker reports.
    pub broker_addr: Option<String>,
    /// The default ACL file's version.
    pub version: Option<DataVersion>,
    /// Every ACL file's version by path. Java 5.x brokers never send it (their own mqadmin
    /// then fails); it reads as empty here.
    pub all_file_versions: BTreeMap<String, DataVersion>,
}

impl Admin {
    /// UPDATE_AND_CREATE_ACL_CONFIG (50) on the broker at `addr`: creates the account or
    /// overwrites the fields `config` has.
    pub async fn update_plain_access_config(
        &self,
        addr: &str,
        config: &PlainAccessConfig,
    ) -> Result<()> {
        let header = CreateAccessConfigRequestHeader {
            access_key: Some(config.access_key.clone()),
            secret_key: config.secret_key.clone(),
            white_remote_address: config.white_remote_address.clone(),
            // Java always sends it (a primitive boolean).
            admin: Some(config.admin),
            default_topic_perm: config.default_topic_perm.clone(),
            default_group_perm: config.default_group_perm.clone(),
            topic_perms: config.topic_perms.as_ref().map(|p| p.join(",")),
            group_perms: config.group_perms.as_ref().map(|p| p.join(",")),
        };
        let req =
            RemotingCommand::request_with(request_code::UPDATE_AND_CREATE_ACL_CONFIG, &header);
        self.call(addr, req).await.map(|_| ())
    }

    /// DELETE_ACL_CONFIG (51): removes the account `access_key`.
    pub async fn delete_plain_access_config(&self, addr: &str, access_key: &str) -> Result<()> {
        let header = DeleteAccessConfigRequestHeader {
            access_key: Some(access_key.to_string()),
        };
        let req = RemotingCommand::request_with(request_code::DELETE_ACL_CONFIG, &header);
        self.call(addr, req).await.map(|_| ())
    }

    /// UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53): `addrs` (comma-separated patterns) become the
    /// global whitelist of `acl_file` (the default file when `None`).
    pub async fn update_global_white_addrs(
        &self,
        addr: &str,
        addrs: &str,
        acl_file: Option<&str>,
    ) -> Result<()> {
        let header = UpdateGlobalWhiteAddrsConfigRequestHeader {
            global_white_addrs: Some(addrs.to_string()),
            acl_file_full_path: acl_file.map(str::to_string),
        };
        let req =
            RemotingCommand::request_with(request_code::UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, &header);
        self.call(addr, req).await.map(|_| ())
    }

    /// GET_BROKER_CLUSTER_ACL_INFO (52): the versions of the broker's ACL files.
    pub async fn acl_version_info(&self, addr: &str) -> Result<AclVersionInfo> {
        let req = RemotingCommand::request(request_code::GET_BROKER_CLUSTER_ACL_INFO);
        let resp = self.call(addr, req).await?;
        let h: GetBrokerAclConfigResponseHeader = resp.decode_header()?;
        let version = match h.version.as_deref() {
            Some(v) if !v.trim().is_empty() => Some(from_fastjson(v)?),
            _ => None,
        };
        let all_file_versions = match h.all_acl_file_version.as_deref() {
            Some(v) if !v.trim().is_empty() => from_fastjson(v)?,
            _ => BTreeMap::new(),
        };
        Ok(AclVersionInfo {
            cluster_name: h.cluster_name,
            broker_name: h.broker_name,
            broker_addr: h.broker_addr,
            version,
            all_file_versions,
        })
    }
}
