//! Options of the ACL 1.0 commands (mqadmin ≤ 5.3.2's `tools/command/acl`), all aimed at one
//! broker (`-b`) or every master and slave of a cluster (`-c`).

use clap::{ArgGroup, Args};

use super::{java_bool, trimmed, Common};

/// `updateAclConfig`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct UpdateAclConfigArgs {
    #[command(flatten)]
    pub common: Common,
    /// update acl config file to which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// update acl config file to which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// set accessKey in acl config file
    #[arg(verbatim_doc_comment, short = 'a', long = "accessKey", value_name = "arg", value_parser = trimmed)]
    pub access_key: String,
    /// set secretKey in acl config file
    #[arg(verbatim_doc_comment, short = 's', long = "secretKey", value_name = "arg", value_parser = trimmed)]
    pub secret_key: String,
    /// set white ip Address for account in acl config file
    #[arg(verbatim_doc_comment, short = 'w', long = "whiteRemoteAddress", value_name = "arg", value_parser = trimmed)]
    pub white_remote_address: Option<String>,
    /// set default topicPerm in acl config file
    #[arg(verbatim_doc_comment, short = 'i', long = "defaultTopicPerm", value_name = "arg", value_parser = trimmed)]
    pub default_topic_perm: Option<String>,
    /// set default GroupPerm in acl config file
    #[arg(verbatim_doc_comment, short = 'u', long = "defaultGroupPerm", value_name = "arg", value_parser = trimmed)]
    pub default_group_perm: Option<String>,
    /// set topicPerms list,eg: topicA=DENY,topicD=SUB
    #[arg(verbatim_doc_comment, short = 't', long = "topicPerms", value_name = "arg", value_parser = trimmed)]
    pub topic_perms: Option<String>,
    /// set groupPerms list,eg: groupD=DENY,groupD=SUB
    #[arg(verbatim_doc_comment, short = 'g', long = "groupPerms", value_name = "arg", value_parser = trimmed)]
    pub group_perms: Option<String>,
    /// set admin flag in acl config file
    #[arg(verbatim_doc_comment, short = 'm', long = "admin", value_name = "arg", value_parser = java_bool)]
    pub admin: Option<bool>,
}

/// `deleteAclConfig` (alias `deleteAccessConfig`).
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct DeleteAclConfigArgs {
    #[command(flatten)]
    pub common: Common,
    /// delete acl config account from which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// delete acl config account from which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// set accessKey in acl config file for deleting which account
    #[arg(verbatim_doc_comment, short = 'a', long = "accessKey", value_name = "arg", value_parser = trimmed)]
    pub access_key: String,
}

/// `updateGlobalWhiteAddr`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct UpdateGlobalWhiteAddrArgs {
    #[command(flatten)]
    pub common: Common,
    /// update global white address to which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// update global white address to which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// set globalWhiteRemoteAddress list,eg: 10.10.103.*,192.168.0.*
    #[arg(verbatim_doc_comment, short = 'g', long = "globalWhiteRemoteAddresses", value_name = "arg", value_parser = trimmed)]
    pub global_white_remote_addresses: String,
    /// update global white address of specified acl file,eg: /xxx/plain_test.yml
    #[arg(verbatim_doc_comment, short = 'p', long = "aclFileFullPath", value_name = "arg", value_parser = trimmed)]
    pub acl_file_full_path: Option<String>,
}

/// `clusterAclConfigVersion`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct ClusterAclConfigVersionArgs {
    #[command(flatten)]
    pub common: Common,
    /// query acl config version for which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// query acl config version for specified cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
}
