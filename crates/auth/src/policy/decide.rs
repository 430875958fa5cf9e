//! ACL 2.0 decisions, as pure steps over a snapshot of users and ACLs: authentication
//! (`DefaultAuthenticationHandler`) and authorization (`UserAuthorizationHandler` then
//! `AclAuthorizationHandler`). Refusal texts are Java's, because clients and operators
//! read them.

use std::cmp::Ordering;

use ferromq_protocol::{signature, RemotingCommand};

use super::contexts::Need;
use super::ip;
use super::model::{
    user_subject, Acl, Decision, PolicyEntry, PolicyType, ResourcePattern, ResourceType, User,
    UserStatus, UserType,
};

/// Looks users and ACLs up (the store's snapshot implements it).
pub trait Directory {
    /// The user named `username`.
    fn user(&self, username: &str) -> Option<&User>;
    /// The ACL of `subject` (`User:<name>`).
    fn acl(&self, subject: &str) -> Option<&Acl>;
}

/// Checks the request's `AccessKey` and `Signature`; the authenticated user's name on
/// success.
pub fn authenticate(dir: &impl Directory, request: &RemotingCommand) -> Result<String, String> {
    let Some(username) = request.ext_fields.get(signature::ACCESS_KEY) else {
        return Err("username cannot be null.".into());
    };
    let Some(user) = dir.user(username) else {
        return Err(format!("User:{username} is not found."));
    };
    if user.status == UserStatus::Disable {
        return Err(format!("User:{username} is disabled."));
    }
    if !signature::verify(request, &user.password) {
        return Err("check signature failed.".into());
    }
    Ok(username.to_string())
}

/// Checks every need of a request from `source_ip` by the user the request names.
pub fn authorize(
    dir: &impl Directory,
    request: &RemotingCommand,
    needs: &[Need],
    source_ip: &str,
) -> Result<(), String> {
    if needs.is_empty() {
        return Ok(());
    }
    let Some(username) = request.ext_fields.get(signature::ACCESS_KEY) else {
        // Java dereferences a null subject here.
        return Err("Authorization failed. Please verify your access rights and try again.".into());
    };
    let Some(user) = dir.user(username) else {
        return Err(format!("User:{username} not found."));
    };
    if user.status == UserStatus::Disable {
        return Err(format!("User:{username} is disabled."));
    }
    if user.user_type == UserType::Super {
        return Ok(());
    }
    let subject = user_subject(username);
    let acl = dir.acl(&subject);
    for need in needs {
        let refuse = |why: &str| {
            format!(
                "{subject} has no permission to access {} from {source_ip}, {why}",
                need.resource
            )
        };
        let Some(acl) = acl else {
            return Err(refuse("no matched policies."));
        };
        match best_entry(acl, need, source_ip) {
            None => return Err(refuse("no matched policies.")),
            Some(e) if e.decision == Decision::Deny => return Err(refuse("the decision is deny.")),
            Some(_) => {}
        }
    }
    Ok(())
}

/// The entry that decides `need`: the most specific matching Custom entry, else the most
/// specific matching Default one.
fn best_entry<'a>(acl: &'a Acl, need: &Need, source_ip: &str) -> Option<&'a PolicyEntry> {
    for kind in [PolicyType::Custom, PolicyType::Default] {
        let best = acl
            .policies
            .iter()
            .filter(|p| p.policy_type == kind)
            .flat_map(|p| p.entries.iter())
            .filter(|e| entry_matches(e, need, source_ip))
            .min_by(|a, b| specificity(a, b));
        if best.is_some() {
            return best;
        }
    }
    None
}

fn entry_matches(e: &PolicyEntry, need: &Need, source_ip: &str) -> bool {
    use super::model::Action;
    let action = !e.actions.is_empty()
        && (need.actions.contains(&Action::Any)
            || need
                .actions
                .iter()
                .any(|a| e.actions.contains(a) || e.actions.contains(&Action::All)));
    let place = e.source_ips.is_empty() || e.source_ips.iter().any(|c| ip::matches(source_ip, c));
    action && place && e.resource.covers(&need.resource)
}

/// Most specific first, as RocketMQ after apache/rocketmq#9539 orders entries (5.3.3's
/// comparator is inconsistent; see docs/reference/acl-tls.md §3.5): a typed resource before
/// `*`; a literal name before a prefix before `Type:*`; a longer prefix before a shorter one;
/// and, where nothing else separates two entries, Deny first.
fn specificity(a: &PolicyEntry, b: &PolicyEntry) -> Ordering {
    let (ra, rb) = (&a.resource, &b.resource);
    let rank = |p: ResourcePattern| match p {
        ResourcePattern::Literal => 0,
        ResourcePattern::Prefixed => 1,
        ResourcePattern::Any => 2,
    };
    let by_resource = if ra.kind() != rb.kind() {
        let any = |k: ResourceType| k == ResourceType::Any;
        any(ra.kind()).cmp(&any(rb.kind()))
    } else if ra.pattern() == rb.pattern() {
        if ra.pattern() == ResourcePattern::Prefixed {
            let len = |r: &super::model::Resource| r.name().map_or(0, |n| n.chars().count());
            len(rb).cmp(&len(ra))
        } else {
            Ordering::Equal
        }
    } else {
        rank(ra.pattern()).cmp(&rank(rb.pattern()))
    };
    by_resource.then_with(|| (b.decision == Decision::Deny).cmp(&(a.decision == Decision::Deny)))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use ferromq_protocol::request_code as rc;

    use super::super::model::{Action, Policy, Resource};
    use super::*;

    #[derive(Default)]
    struct Dir {
        users: HashMap<String, User>,
        acls: HashMap<String, Acl>,
    }

    impl Directory for Dir {
        fn user(&self, u: &str) -> Option<&User> {
            self.users.get(u)
        }
        fn acl(&self, s: &str) -> Option<&Acl> {
            self.acls.get(s)
        }
    }

    fn dir() -> Dir {
        let mut d = Dir::default();
        for (name, kind) in [("alice", UserType::Normal), ("root", UserType::Super)] {
            d.users.insert(
                name.into(),
                User {
                    username: name.into(),
                    password: "secret123".into(),
                    user_type: kind,
                    status: UserStatus::Enable,
                },
            );
        }
        d
    }

    fn entry(resource: &str, actions: &[Action], decision: Decision) -> PolicyEntry {
        PolicyEntry {
            resource: Resource::parse(resource).unwrap(),
            actions: actions.to_vec(),
            source_ips: vec![],
            decision,
        }
    }

    fn grant(d: &mut Dir, kind: PolicyType, entries: Vec<PolicyEntry>) {
        let acl = d.acls.entry("User:alice".into()).or_insert(Acl {
            subject: "User:alice".into(),
            policies: vec![],
        });
        acl.policies.push(Policy {
            policy_type: kind,
            entries,
        });
    }

    fn signed(user: &str, secret: &str) -> RemotingCommand {
        let mut r = RemotingCommand::request(rc::SEND_MESSAGE_V2);
        r.ext_fields.insert("b", "test");
        signature::sign(&mut r, user, secret, None);
        r
    }

    fn pub_test() -> Vec<Need> {
        vec![Need {
            resource: Resource::topic("test"),
            actions: vec![Action::Pub],
        }]
    }

    #[test]
    fn authentication() {
        let mut d = dir();
        assert_eq!(
            authenticate(&d, &signed("alice", "secret123")).unwrap(),
            "alice"
        );
        let unsigned = RemotingCommand::request(rc::SEND_MESSAGE_V2);
        assert_eq!(
            authenticate(&d, &unsigned).unwrap_err(),
            "username cannot be null."
        );
        assert_eq!(
            authenticate(&d, &signed("bob", "x")).unwrap_err(),
            "User:bob is not found."
        );
        assert_eq!(
            authenticate(&d, &signed("alice", "wrong")).unwrap_err(),
            "check signature failed."
        );
        d.users.get_mut("alice").unwrap().status = UserStatus::Disable;
        assert_eq!(
            authenticate(&d, &signed("alice", "secret123")).unwrap_err(),
            "User:alice is disabled."
        );
    }

    #[test]
    fn super_users_pass_and_others_need_an_entry() {
        let mut d = dir();
        let r = signed("root", "secret123");
        assert!(authorize(&d, &r, &pub_test(), "10.0.0.1").is_ok());
        let r = signed("alice", "secret123");
        assert_eq!(
            authorize(&d, &r, &pub_test(), "10.0.0.1").unwrap_err(),
            "User:alice has no permission to access Topic:test from 10.0.0.1, no matched policies."
        );
        grant(
            &mut d,
            PolicyType::Custom,
            vec![entry("Topic:test", &[Action::Sub], Decision::Allow)],
        );
        assert!(
            authorize(&d, &r, &pub_test(), "10.0.0.1").is_err(),
            "Sub does not grant Pub"
        );
        grant(
            &mut d,
            PolicyType::Custom,
            vec![entry("Topic:te*", &[Action::All], Decision::Allow)],
        );
        assert!(authorize(&d, &r, &pub_test(), "10.0.0.1").is_ok());
    }

    #[test]
    fn the_most_specific_entry_decides() {
        let cases: &[(&[(&str, Decision)], bool)] = &[
            (
                &[("Topic:*", Decision::Allow), ("Topic:test", Decision::Deny)],
                false,
            ),
            (
                &[("Topic:test", Decision::Deny), ("Topic:*", Decision::Allow)],
                false,
            ),
            (
                &[
                    ("Topic:te*", Decision::Allow),
                    ("Topic:test*", Decision::Deny),
                ],
                false,
            ),
            (
                &[
                    ("Topic:test*", Decision::Deny),
                    ("Topic:test", Decision::Allow),
                ],
                true,
            ),
            (
                &[
                    ("Topic:test", Decision::Allow),
                    ("Topic:test*", Decision::Deny),
                ],
                true,
            ),
            (
                &[("*", Decision::Deny), ("Topic:test", Decision::Allow)],
                true,
            ),
            (
                &[("Topic:*", Decision::Deny), ("Topic:te*", Decision::Allow)],
                true,
            ),
        ];
        for (entries, allowed) in cases {
            let mut d = dir();
            let es = entries
                .iter()
                .map(|(r, dec)| entry(r, &[Action::Pub], *dec))
                .collect();
            grant(&mut d, PolicyType::Custom, es);
            let r = signed("alice", "secret123");
            assert_eq!(
                authorize(&d, &r, &pub_test(), "1.1.1.1").is_ok(),
                *allowed,
                "{entries:?}"
            );
        }
    }

    #[test]
    fn custom_entries_shadow_default_ones_and_addresses_restrict() {
        let mut d = dir();
        grant(
            &mut d,
            PolicyType::Default,
            vec![entry("Topic:*", &[Action::Pub], Decision::Allow)],
        );
        let r = signed("alice", "secret123");
        assert!(authorize(&d, &r, &pub_test(), "1.1.1.1").is_ok());
        let mut denied = entry("Topic:test", &[Action::Pub], Decision::Deny);
        denied.source_ips = vec!["10.0.0.0/8".into()];
        grant(&mut d, PolicyType::Custom, vec![denied]);
        let e = authorize(&d, &r, &pub_test(), "10.1.1.1").unwrap_err();
        assert!(e.ends_with("the decision is deny."), "{e}");
        // From elsewhere the custom entry does not match, so the default one decides.
        assert!(authorize(&d, &r, &pub_test(), "1.1.1.1").is_ok());
    }
}
