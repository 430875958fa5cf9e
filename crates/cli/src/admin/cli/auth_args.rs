//! Options of the ACL 2.0 commands (mqadmin 5.3's `tools/command/auth`): users and ACLs on
//! one broker (`-b`) or a cluster (`-c`). List options (`-r`, `-a`, `-i`, `-u`, `-s` of the
//! copy commands) are kept raw and split as mqadmin splits them.

use clap::{ArgGroup, Args};

use super::{trimmed, Common};

/// `createUser`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct CreateUserArgs {
    #[command(flatten)]
    pub common: Common,
    /// create user to which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// create user to which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// the username of user to create.
    #[arg(verbatim_doc_comment, short = 'u', long = "username", value_name = "arg", value_parser = trimmed)]
    pub username: String,
    /// the password of user to create
    #[arg(verbatim_doc_comment, short = 'p', long = "password", value_name = "arg", value_parser = trimmed)]
    pub password: String,
    /// the userType of user to create
    #[arg(verbatim_doc_comment, short = 't', long = "userType", value_name = "arg", value_parser = trimmed)]
    pub user_type: Option<String>,
}

/// `updateUser`: exactly one of `-p`, `-t`, `-s` (a commons-cli option group).
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
#[command(group(ArgGroup::new("change").required(true).args(["password", "user_type", "user_status"])))]
pub struct UpdateUserArgs {
    #[command(flatten)]
    pub common: Common,
    /// update user to which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// update user to which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// the username of user to update.
    #[arg(verbatim_doc_comment, short = 'u', long = "username", value_name = "arg", value_parser = trimmed)]
    pub username: String,
    /// the password of user to update
    #[arg(verbatim_doc_comment, short = 'p', long = "password", value_name = "arg", value_parser = trimmed)]
    pub password: Option<String>,
    /// the userType of user to update
    #[arg(verbatim_doc_comment, short = 't', long = "userType", value_name = "arg", value_parser = trimmed)]
    pub user_type: Option<String>,
    /// the userStatus of user to update
    #[arg(verbatim_doc_comment, short = 's', long = "userStatus", value_name = "arg", value_parser = trimmed)]
    pub user_status: Option<String>,
}

/// `deleteUser`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct DeleteUserArgs {
    #[command(flatten)]
    pub common: Common,
    /// delete acl from which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// delete user from which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// the username of user to delete.
    #[arg(verbatim_doc_comment, short = 'u', long = "username", value_name = "arg", value_parser = trimmed)]
    pub username: String,
}

/// `getUser`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct GetUserArgs {
    #[command(flatten)]
    pub common: Common,
    /// get user for which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// get user for specified cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// the username of user to get
    #[arg(verbatim_doc_comment, short = 'u', long = "username", value_name = "arg", value_parser = trimmed)]
    pub username: Option<String>,
}

/// `listUser`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct ListUserArgs {
    #[command(flatten)]
    pub common: Common,
    /// list user for which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// list user for specified cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// the filter to list users
    #[arg(verbatim_doc_comment, short = 'f', long = "filter", value_name = "arg", value_parser = trimmed)]
    pub filter: Option<String>,
}

/// `createAcl`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct CreateAclArgs {
    #[command(flatten)]
    pub common: Common,
    /// create acl to which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// create acl to which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// the subject of acl to create.
    #[arg(verbatim_doc_comment, short = 's', long = "subject", value_name = "arg", value_parser = trimmed)]
    pub subject: String,
    /// the resources of acl to create
    #[arg(
        verbatim_doc_comment,
        short = 'r',
        long = "resources",
        value_name = "arg"
    )]
    pub resources: String,
    /// the actions of acl to create
    #[arg(
        verbatim_doc_comment,
        short = 'a',
        long = "actions",
        value_name = "arg"
    )]
    pub actions: String,
    /// the sourceIps of acl to create
    #[arg(
        verbatim_doc_comment,
        short = 'i',
        long = "sourceIp",
        value_name = "arg"
    )]
    pub source_ip: Option<String>,
    /// the decision of acl to create
    #[arg(verbatim_doc_comment, short = 'd', long = "decision", value_name = "arg", value_parser = trimmed)]
    pub decision: String,
}

/// `updateAcl`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct UpdateAclArgs {
    #[command(flatten)]
    pub common: Common,
    /// update acl to which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// update acl to which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// the subject of acl to update.
    #[arg(verbatim_doc_comment, short = 's', long = "subject", value_name = "arg", value_parser = trimmed)]
    pub subject: String,
    /// the resources of acl to update
    #[arg(
        verbatim_doc_comment,
        short = 'r',
        long = "resources",
        value_name = "arg"
    )]
    pub resources: String,
    /// the actions of acl to update
    #[arg(
        verbatim_doc_comment,
        short = 'a',
        long = "actions",
        value_name = "arg"
    )]
    pub actions: String,
    /// the decision of acl to update
    #[arg(verbatim_doc_comment, short = 'd', long = "decision", value_name = "arg", value_parser = trimmed)]
    pub decision: String,
    /// the sourceIps of acl to update
    #[arg(
        verbatim_doc_comment,
        short = 'i',
        long = "sourceIp",
        value_name = "arg"
    )]
    pub source_ip: Option<String>,
}

/// `deleteAcl`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct DeleteAclArgs {
    #[command(flatten)]
    pub common: Common,
    /// delete acl from which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// delete acl from which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// the subject of acl to delete.
    #[arg(verbatim_doc_comment, short = 's', long = "subject", value_name = "arg", value_parser = trimmed)]
    pub subject: String,
    /// the resources of acl to delete
    #[arg(verbatim_doc_comment, short = 'r', long = "resources", value_name = "arg", value_parser = trimmed)]
    pub resource: Option<String>,
}

/// `getAcl`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct GetAclArgs {
    #[command(flatten)]
    pub common: Common,
    /// get acl for which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// get acl for specified cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// the subject of acl to get
    #[arg(verbatim_doc_comment, short = 's', long = "subject", value_name = "arg", value_parser = trimmed)]
    pub subject: Option<String>,
}

/// `listAcl`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct ListAclArgs {
    #[command(flatten)]
    pub common: Common,
    /// list acl for which broker.
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// list acl for specified cluster.
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// the subject of acl to filter.
    #[arg(verbatim_doc_comment, short = 's', long = "subject", value_name = "arg", value_parser = trimmed)]
    pub subject: Option<String>,
    /// the resource of acl to filter.
    #[arg(verbatim_doc_comment, short = 'r', long = "resource", value_name = "arg", value_parser = trimmed)]
    pub resource: Option<String>,
}

/// `copyUser`.
#[derive(Debug, Args)]
pub struct CopyUserArgs {
    #[command(flatten)]
    pub common: Common,
    /// the source broker that the users copy from
    #[arg(verbatim_doc_comment, short = 'f', long = "fromBroker", value_name = "arg", value_parser = trimmed)]
    pub from_broker: String,
    /// the target broker that the users copy to
    #[arg(verbatim_doc_comment, short = 't', long = "toBroker", value_name = "arg", value_parser = trimmed)]
    pub to_broker: String,
    /// the username list of user to copy.
    #[arg(verbatim_doc_comment, short = 'u', long = "usernames", value_name = "arg", value_parser = trimmed)]
    pub usernames: Option<String>,
}

/// `copyAcl`.
#[derive(Debug, Args)]
pub struct CopyAclArgs {
    #[command(flatten)]
    pub common: Common,
    /// the source broker that the acls copy from
    #[arg(verbatim_doc_comment, short = 'f', long = "fromBroker", value_name = "arg", value_parser = trimmed)]
    pub from_broker: String,
    /// the target broker that the acls copy to
    #[arg(verbatim_doc_comment, short = 't', long = "toBroker", value_name = "arg", value_parser = trimmed)]
    pub to_broker: String,
    /// the subject list of acl to copy.
    #[arg(verbatim_doc_comment, short = 's', long = "subjects", value_name = "arg", value_parser = trimmed)]
    pub subjects: Option<String>,
}
