//! `migrateAuthFromV1Enabled`: ACL 1.0 accounts become ACL 2.0 users and policies at start,
//! as Java's `AuthMigrator` does — each account whose name is not yet a user becomes one
//! (admin ⇒ Super, the secret as password), its topic and group permissions Custom entries,
//! its default permissions Default entries on `Topic:*` / `Group:*`. Whitelists are not
//! carried over (Java drops them too).

use crate::plain::{Perm, PlainAcl};
use crate::policy::{
    Acl, Action, AdminError, AuthStore, Decision, Policy, PolicyEntry, PolicyType, Resource,
    ResourcePattern, ResourceType, User, UserStatus, UserType,
};

/// Migrates every account of `v1` that is not a user yet; how many were.
pub fn migrate_v1(v1: &PlainAcl, store: &AuthStore) -> Result<usize, AdminError> {
    store.update(|s| {
        let mut migrated = 0;
        for a in v1.accounts() {
            if s.users.contains_key(&a.access_key) {
                continue;
            }
            let user_type = if a.admin {
                UserType::Super
            } else {
                UserType::Normal
            };
            s.users.insert(
                a.access_key.clone(),
                User {
                    username: a.access_key.clone(),
                    password: a.secret_key.clone(),
                    user_type,
                    status: UserStatus::Enable,
                },
            );
            let custom: Vec<PolicyEntry> = a
                .topic_perms
                .iter()
                .map(|(t, p)| entry(Resource::literal(ResourceType::Topic, t), *p))
                .chain(
                    a.group_perms
                        .iter()
                        .map(|(g, p)| entry(Resource::literal(ResourceType::Group, g), *p)),
                )
                .collect();
            let any = |kind| Resource::from_parts(kind, None, ResourcePattern::Any);
            let default = vec![
                entry(any(ResourceType::Topic), a.default_topic_perm),
                entry(any(ResourceType::Group), a.default_group_perm),
            ];
            let mut policies = Vec::new();
            if !custom.is_empty() {
                policies.push(Policy {
                    policy_type: PolicyType::Custom,
                    entries: custom,
                });
            }
            policies.push(Policy {
                policy_type: PolicyType::Default,
                entries: default,
            });
            let subject = format!("User:{}", a.access_key);
            s.acls.insert(subject.clone(), Acl { subject, policies });
            migrated += 1;
        }
        Ok(migrated)
    })
}

/// Java's mapping: PUB ⇒ Pub, SUB ⇒ Sub, PUB|SUB ⇒ both, allowed; anything else ⇒ All, denied.
fn entry(resource: Resource, perm: Perm) -> PolicyEntry {
    let (actions, decision) = match perm {
        Perm::PUB => (vec![Action::Pub], Decision::Allow),
        Perm::SUB => (vec![Action::Sub], Decision::Allow),
        Perm::PUB_SUB => (vec![Action::Pub, Action::Sub], Decision::Allow),
        _ => (vec![Action::All], Decision::Deny),
    };
    PolicyEntry {
        resource,
        actions,
        source_ips: Vec::new(),
        decision,
    }
}

#[cfg(test)]
mod tests {
    use ferromq_protocol::{request_code as rc, signature, RemotingCommand};

    use super::*;
    use crate::policy::GateConfig;

    #[test]
    fn accounts_become_users_and_policies() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join("conf")).unwrap();
        std::fs::write(
            home.path().join("conf/plain_acl.yml"),
            "accounts:\n- accessKey: RocketMQ\n  secretKey: '12345678'\n  admin: false\n  defaultTopicPerm: DENY\n  defaultGroupPerm: SUB\n  topicPerms:\n  - topicA=PUB\n- accessKey: AdminUser\n  secretKey: '87654321'\n  admin: true\n",
        )
        .unwrap();
        let v1 = PlainAcl::load(home.path()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = AuthStore::open(dir.path()).unwrap();
        assert_eq!(migrate_v1(&v1, &store).unwrap(), 2);
        assert_eq!(
            migrate_v1(&v1, &store).unwrap(),
            0,
            "existing users are left alone"
        );

        let gate = GateConfig {
            authentication: true,
            authorization: true,
            authentication_provider: true,
            authorization_provider: true,
            cluster: "c".into(),
            ..GateConfig::default()
        };
        let send = |topic: &str, who: (&str, &str)| {
            let mut r = RemotingCommand::request(rc::SEND_MESSAGE_V2);
            r.ext_fields.insert("a", "PG");
            r.ext_fields.insert("b", topic);
            signature::sign(&mut r, who.0, who.1, None);
            r
        };
        let snap = store.snapshot();
        let user = ("RocketMQ", "12345678");
        assert!(gate.check(&snap, &send("topicA", user), "1.1.1.1").is_ok());
        let e = gate
            .check(&snap, &send("topicB", user), "1.1.1.1")
            .unwrap_err();
        assert!(e.ends_with("the decision is deny."), "{e}");
        assert!(gate
            .check(&snap, &send("topicB", ("AdminUser", "87654321")), "1.1.1.1")
            .is_ok());
    }
}
