//! ACL 2.0 admin bodies (3001–3010) as Java's `UserInfo`, `AclInfo`, `PolicyInfo` and
//! `PolicyEntryInfo` carry them: enums by name (`Super`, `enable`, `Pub`, `Allow`), keys in
//! fastjson's alphabetical order, absent values omitted.

use serde::{Deserialize, Serialize};

use crate::lenient;

/// A user: what `createUser`/`updateUser` send and `getUser`/`listUser` answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserInfo {
    /// The HMAC key of the user's signatures (Java keeps and returns it in clear).
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub password: Option<String>,
    /// `enable` or `disable`.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_status: Option<String>,
    /// `Super` or `Normal`.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_type: Option<String>,
    /// The user's name: the `AccessKey` its requests carry.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub username: Option<String>,
}

/// One subject's policies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AclInfo {
    /// At most one policy per type.
    #[serde(
        deserialize_with = "lenient::null_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub policies: Option<Vec<PolicyInfo>>,
    /// `User:<name>`.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub subject: Option<String>,
}

/// A policy: its entries and its type (`Custom`, the default, or `Default`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PolicyInfo {
    /// One entry per resource.
    #[serde(
        deserialize_with = "lenient::null_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub entries: Option<Vec<PolicyEntryInfo>>,
    /// `Custom` or `Default`.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub policy_type: Option<String>,
}

/// One resource's actions, source addresses and decision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PolicyEntryInfo {
    /// Action names: `All`, `Pub`, `Sub`, `Create`, `Update`, `Delete`, `Get`, `List`.
    #[serde(
        deserialize_with = "lenient::null_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub actions: Option<Vec<String>>,
    /// `Allow` or `Deny`.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub decision: Option<String>,
    /// `*`, `Topic:*`, `Topic:name`, `Group:prefix*`, `Cluster:name`, …
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub resource: Option<String>,
    /// IP literals or CIDRs the entry applies to; none = from anywhere.
    #[serde(
        deserialize_with = "lenient::null_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub source_ips: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::from_fastjson_slice;

    #[test]
    fn reads_and_writes_what_mqadmin_sends() {
        // mqadmin createAcl (5.3.3), captured.
        let body = br#"{"policies":[{"entries":[{"actions":["Pub","Sub"],"decision":"Allow","resource":"Topic:test","sourceIps":["192.168.0.0/24"]}]}],"subject":"User:alice"}"#;
        let acl: AclInfo = from_fastjson_slice(body).unwrap();
        assert_eq!(acl.subject.as_deref(), Some("User:alice"));
        let e = &acl.policies.as_ref().unwrap()[0].entries.as_ref().unwrap()[0];
        assert_eq!(e.actions.as_ref().unwrap(), &["Pub", "Sub"]);
        assert_eq!(serde_json::to_vec(&acl).unwrap(), body.to_vec());

        let user = br#"{"password":"secret123","userStatus":"enable","userType":"Normal","username":"alice"}"#;
        let u: UserInfo = from_fastjson_slice(user).unwrap();
        assert_eq!(u.username.as_deref(), Some("alice"));
        assert_eq!(serde_json::to_vec(&u).unwrap(), user.to_vec());
        let sparse: UserInfo = from_fastjson_slice(br#"{"username":"bob","x":1}"#).unwrap();
        assert_eq!(sparse.password, None);
    }
}
