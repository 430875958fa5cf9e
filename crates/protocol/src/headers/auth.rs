//! Access-control admin headers: ACL 2.0 users and policies (3001–3010, RocketMQ 5.3) and
//! ACL 1.0 accounts and whitelists (50–53, RocketMQ 4.4–5.3.2). extField names are Java's.

use crate::command_header;

command_header! {
    /// AUTH_CREATE_USER (3001), AUTH_UPDATE_USER (3002), AUTH_DELETE_USER (3003),
    /// AUTH_GET_USER (3004); the create and update bodies are a `UserInfo`.
    pub struct UserRequestHeader {
        username: Option<String> = "username",
    }

    /// AUTH_LIST_USER (3005): users whose name contains `filter`.
    pub struct ListUsersRequestHeader {
        filter: Option<String> = "filter",
    }

    /// AUTH_CREATE_ACL (3006), AUTH_UPDATE_ACL (3007), AUTH_GET_ACL (3009): `subject` is
    /// `User:<name>`; create and update carry an `AclInfo` body.
    pub struct AclRequestHeader {
        subject: Option<String> = "subject",
    }

    /// AUTH_DELETE_ACL (3008): the whole ACL, or one resource's entry of one policy type.
    pub struct DeleteAclRequestHeader {
        subject: Option<String> = "subject",
        policy_type: Option<String> = "policyType",
        resource: Option<String> = "resource",
    }

    /// AUTH_LIST_ACL (3010): ACLs whose subject / a resource contains the filters.
    pub struct ListAclsRequestHeader {
        subject_filter: Option<String> = "subjectFilter",
        resource_filter: Option<String> = "resourceFilter",
    }

    /// UPDATE_AND_CREATE_ACL_CONFIG (50): one ACL 1.0 account. `topicPerms`/`groupPerms`
    /// are comma-joined `name=PERM`.
    pub struct CreateAccessConfigRequestHeader {
        access_key: Option<String> = "accessKey",
        secret_key: Option<String> = "secretKey",
        white_remote_address: Option<String> = "whiteRemoteAddress",
        admin: Option<bool> = "admin",
        default_topic_perm: Option<String> = "defaultTopicPerm",
        default_group_perm: Option<String> = "defaultGroupPerm",
        topic_perms: Option<String> = "topicPerms",
        group_perms: Option<String> = "groupPerms",
    }

    /// DELETE_ACL_CONFIG (51).
    pub struct DeleteAccessConfigRequestHeader {
        access_key: Option<String> = "accessKey",
    }

    /// UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53): comma-separated patterns for one ACL file
    /// (the default file when `aclFileFullPath` is blank).
    pub struct UpdateGlobalWhiteAddrsConfigRequestHeader {
        global_white_addrs: Option<String> = "globalWhiteAddrs",
        acl_file_full_path: Option<String> = "aclFileFullPath",
    }

    /// The answer to GET_BROKER_CLUSTER_ACL_INFO (52): `version` is the default file's
    /// DataVersion JSON, `allAclFileVersion` a JSON map of file path → DataVersion.
    pub struct GetBrokerAclConfigResponseHeader {
        version: Option<String> = "version",
        all_acl_file_version: Option<String> = "allAclFileVersion",
        broker_name: Option<String> = "brokerName",
        broker_addr: Option<String> = "brokerAddr",
        cluster_name: Option<String> = "clusterName",
    }
}
