//! ACL 2.0 admin calls (AUTH_* 3001–3010, RocketMQ 5.3): users and their policies, on one
//! broker at a time. Users and ACLs live per broker and are not replicated, so a caller that
//! wants a whole cluster changed sends the same write to every master and slave (mqadmin's
//! `-c`).
//!
//! A broker answers a get for an unknown user or subject with SUCCESS and no body; that reads
//! as `None` here (Java's admin returns `null`), and an empty list answer as an empty `Vec`.

use ferromq_model::{from_fastjson_slice, AclInfo, UserInfo};
use ferromq_protocol::headers::{
    AclRequestHeader, DeleteAclRequestHeader, ListAclsRequestHeader, ListUsersRequestHeader,
    UserRequestHeader,
};
use ferromq_protocol::{request_code, RemotingCommand};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::Admin;
use crate::error::Result;

fn user_header(username: Option<&str>) -> UserRequestHeader {
    UserRequestHeader {
        username: username.map(str::to_string),
    }
}

fn acl_header(subject: Option<&str>) -> AclRequestHeader {
    AclRequestHeader {
        subject: subject.map(str::to_string),
    }
}

/// `value` as the fastjson body Java sends (keys alphabetical, absent values omitted: the
/// model types are declared that way).
fn json_body(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).expect("auth bodies are plain data")
}

/// The body of a SUCCESS answer, `None` when there is none.
fn optional_body<T: DeserializeOwned>(resp: &RemotingCommand) -> Result<Option<T>> {
    if resp.body.is_empty() {
        return Ok(None);
    }
    Ok(Some(from_fastjson_slice(&resp.body.to_bytes())?))
}

impl Admin {
    /// AUTH_CREATE_USER (3001) on the broker at `addr`.
    pub async fn create_user(&self, addr: &str, user: &UserInfo) -> Result<()> {
        let req = RemotingCommand::request_with(
            request_code::AUTH_CREATE_USER,
            &user_header(user.username.as_deref()),
        )
        .with_body(json_body(user));
        self.call(addr, req).await.map(|_| ())
    }

    /// AUTH_UPDATE_USER (3002): absent password, type or status stay as they are.
    pub async fn update_user(&self, addr: &str, user: &UserInfo) -> Result<()> {
        let req = RemotingCommand::request_with(
            request_code::AUTH_UPDATE_USER,
            &user_header(user.username.as_deref()),
        )
        .with_body(json_body(user));
        self.call(addr, req).await.map(|_| ())
    }

    /// AUTH_DELETE_USER (3003); the broker deletes the user's ACL with it.
    pub async fn delete_user(&self, addr: &str, username: &str) -> Result<()> {
        let req = RemotingCommand::request_with(
            request_code::AUTH_DELETE_USER,
            &user_header(Some(username)),
        );
        self.call(addr, req).await.map(|_| ())
    }

    /// AUTH_GET_USER (3004); `None` when the broker has no such user.
    pub async fn get_user(&self, addr: &str, username: Option<&str>) -> Result<Option<UserInfo>> {
        let req =
            RemotingCommand::request_with(request_code::AUTH_GET_USER, &user_header(username));
        optional_body(&self.call(addr, req).await?)
    }

    /// AUTH_LIST_USER (3005): users whose name contains `filter` (all without one).
    pub async fn list_users(&self, addr: &str, filter: Option<&str>) -> Result<Vec<UserInfo>> {
        let header = ListUsersRequestHeader {
            filter: filter.map(str::to_string),
        };
        let req = RemotingCommand::request_with(request_code::AUTH_LIST_USER, &header);
        Ok(optional_body(&self.call(addr, req).await?)?.unwrap_or_default())
    }

    /// AUTH_CREATE_ACL (3006): adds `acl`'s policies to its subject (merged with any the
    /// subject has, as the broker merges create and update alike).
    pub async fn create_acl(&self, addr: &str, acl: &AclInfo) -> Result<()> {
        let req = RemotingCommand::request_with(
            request_code::AUTH_CREATE_ACL,
            &acl_header(acl.subject.as_deref()),
        )
        .with_body(json_body(acl));
        self.call(addr, req).await.map(|_| ())
    }

    /// AUTH_UPDATE_ACL (3007).
    pub async fn update_acl(&self, addr: &str, acl: &AclInfo) -> Result<()> {
        let req = RemotingCommand::request_with(
            request_code::AUTH_UPDATE_ACL,
            &acl_header(acl.subject.as_deref()),
        )
        .with_body(json_body(acl));
        self.call(addr, req).await.map(|_| ())
    }

    /// AUTH_DELETE_ACL (3008): the whole ACL of `subject`, or only the entry for `resource`
    /// of its Custom policy (mqadmin never names a policy type, and neither does this).
    pub async fn delete_acl(
        &self,
        addr: &str,
        subject: &str,
        resource: Option<&str>,
    ) -> Result<()> {
        let header = DeleteAclRequestHeader {
            subject: Some(subject.to_string()),
            policy_type: None,
            resource: resource.map(str::to_string),
        };
        let req = RemotingCommand::request_with(request_code::AUTH_DELETE_ACL, &header);
        self.call(addr, req).await.map(|_| ())
    }

    /// AUTH_GET_ACL (3009); `None` when the subject has no ACL.
    pub async fn get_acl(&self, addr: &str, subject: Option<&str>) -> Result<Option<AclInfo>> {
        let req = RemotingCommand::request_with(request_code::AUTH_GET_ACL, &acl_header(subject));
        optional_body(&self.call(addr, req).await?)
    }

    /// AUTH_LIST_ACL (3010): ACLs whose subject contains `subject_filter` and that have a
    /// resource containing `resource_filter`.
    pub async fn list_acls(
        &self,
        addr: &str,
        subject_filter: Option<&str>,
        resource_filter: Option<&str>,
    ) -> Result<Vec<AclInfo>> {
        let header = ListAclsRequestHeader {
            subject_filter: subject_filter.map(str::to_string),
            resource_filter: resource_filter.map(str::to_string),
        };
        let req = RemotingCommand::request_with(request_code::AUTH_LIST_ACL, &header);
        Ok(optional_body(&self.call(addr, req).await?)?.unwrap_or_default())
    }
}
