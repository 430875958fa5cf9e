//! The on-disk form of users and ACLs: the JSON values Java's local providers keep in
//! RocksDB (numeric enum codes), one array per file, so a file reads the same way Java's
//! values do.

use serde::{Deserialize, Serialize};

use super::model::{
    subject_user, user_subject, Acl, Action, Decision, Policy, PolicyEntry, PolicyType, Resource,
    ResourcePattern, ResourceType, User, UserStatus, UserType,
};

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredUser {
    password: String,
    #[serde(default = "one")]
    subject_type: u8,
    user_status: u8,
    user_type: u8,
    username: String,
}

fn one() -> u8 {
    1
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredAcl {
    policies: Vec<StoredPolicy>,
    subject: StoredSubject,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredSubject {
    subject_type: u8,
    username: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredPolicy {
    entries: Vec<StoredEntry>,
    policy_type: u8,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredEntry {
    actions: Vec<u8>,
    decision: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    environment: Option<StoredEnvironment>,
    resource: StoredResource,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredEnvironment {
    #[serde(default)]
    source_ips: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredResource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resource_name: Option<String>,
    resource_pattern: u8,
    resource_type: u8,
}

impl From<&User> for StoredUser {
    fn from(u: &User) -> Self {
        StoredUser {
            password: u.password.clone(),
            subject_type: 1,
            user_status: u.status.code(),
            user_type: u.user_type.code(),
            username: u.username.clone(),
        }
    }
}

impl StoredUser {
    pub(crate) fn into_user(self) -> Option<User> {
        Some(User {
            username: self.username,
            password: self.password,
            user_type: UserType::by_code(self.user_type)?,
            status: UserStatus::by_code(self.user_status)?,
        })
    }
}

impl From<&Acl> for StoredAcl {
    fn from(a: &Acl) -> Self {
        let policies = a
            .policies
            .iter()
            .map(|p| StoredPolicy {
                policy_type: p.policy_type.code(),
                entries: p.entries.iter().map(stored_entry).collect(),
            })
            .collect();
        StoredAcl {
            policies,
            subject: StoredSubject {
                subject_type: 1,
                username: subject_user(&a.subject).unwrap_or("").to_string(),
            },
        }
    }
}

fn stored_entry(e: &PolicyEntry) -> StoredEntry {
    StoredEntry {
        actions: e.actions.iter().map(|a| a.code()).collect(),
        decision: e.decision.code(),
        environment: (!e.source_ips.is_empty()).then(|| StoredEnvironment {
            source_ips: e.source_ips.clone(),
        }),
        resource: StoredResource {
            resource_name: e.resource.name().map(str::to_string),
            resource_pattern: e.resource.pattern().code(),
            resource_type: e.resource.kind().code(),
        },
    }
}

impl StoredAcl {
    /// The ACL, or `None` when a code is unknown (a damaged or newer file).
    pub(crate) fn into_acl(self) -> Option<Acl> {
        let mut policies = Vec::new();
        for p in self.policies {
            let mut entries = Vec::new();
            for e in p.entries {
                let r = e.resource;
                entries.push(PolicyEntry {
                    resource: Resource::from_parts(
                        ResourceType::by_code(r.resource_type)?,
                        r.resource_name,
                        ResourcePattern::by_code(r.resource_pattern)?,
                    ),
                    actions: e
                        .actions
                        .into_iter()
                        .map(Action::by_code)
                        .collect::<Option<_>>()?,
                    source_ips: e.environment.map(|v| v.source_ips).unwrap_or_default(),
                    decision: Decision::by_code(e.decision)?,
                });
            }
            policies.push(Policy {
                policy_type: PolicyType::by_code(p.policy_type)?,
                entries,
            });
        }
        Some(Acl {
            subject: user_subject(&self.subject.username),
            policies,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_javas_values() {
        // Values Java 5.3.3's local providers wrote (docs/reference/acl-tls.md §3.6).
        let u: StoredUser = serde_json::from_str(
            r#"{"password":"secret123","subjectType":1,"userStatus":1,"userType":2,"username":"alice"}"#,
        )
        .unwrap();
        let u = u.into_user().unwrap();
        assert_eq!(
            (u.user_type, u.status),
            (UserType::Normal, UserStatus::Enable)
        );
        let a: StoredAcl = serde_json::from_str(r#"{"policies":[{"entries":[{"actions":[3,4],"decision":1,"environment":{"sourceIps":["10.0.0.0/8"]},"resource":{"resourceName":"test","resourcePattern":3,"resourceType":4}}],"policyType":1}],"subject":{"subjectType":1,"username":"alice"}}"#).unwrap();
        let acl = a.into_acl().unwrap();
        assert_eq!(acl.subject, "User:alice");
        let e = &acl.policies[0].entries[0];
        assert_eq!(e.resource.to_string(), "Topic:test*");
        assert_eq!(e.actions, [Action::Pub, Action::Sub]);
        assert_eq!(e.source_ips, ["10.0.0.0/8"]);
        // And writes them back the same way.
        let again = serde_json::to_string(&StoredAcl::from(&acl)).unwrap();
        assert!(again.contains(
            r#""resource":{"resourceName":"test","resourcePattern":3,"resourceType":4}"#
        ));
    }
}
