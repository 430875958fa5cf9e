//! The admin changes and the gate over a real store directory.

use ferromq_model::{from_fastjson_slice, AclInfo, UserInfo};
use ferromq_protocol::{request_code as rc, signature, RemotingCommand};

use super::*;

fn user(name: &str, password: &str, kind: Option<&str>) -> UserInfo {
    UserInfo {
        username: Some(name.into()),
        password: Some(password.into()),
        user_type: kind.map(str::to_string),
        user_status: None,
    }
}

fn acl(json: &str) -> Option<AclInfo> {
    Some(from_fastjson_slice(json.as_bytes()).unwrap())
}

fn gate() -> GateConfig {
    GateConfig {
        authentication: true,
        authorization: true,
        authentication_provider: true,
        authorization_provider: true,
        cluster: "DefaultCluster".into(),
        ..GateConfig::default()
    }
}

fn send(topic: &str, who: &str, secret: &str) -> RemotingCommand {
    let mut r = RemotingCommand::request(rc::SEND_MESSAGE_V2);
    r.ext_fields.insert("a", "PG");
    r.ext_fields.insert("b", topic);
    signature::sign(&mut r, who, secret, None);
    r
}

#[test]
fn users_acls_and_the_gate_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = AuthStore::open(dir.path()).unwrap();
    assert!(store.ensure_super_user("rocketmq", "12345678").unwrap());
    assert!(!store.ensure_super_user("rocketmq", "other").unwrap());
    store
        .create_user(Some("alice"), user("alice", "secret123", None), true)
        .unwrap();
    assert_eq!(
        store.create_user(Some("alice"), user("alice", "x", None), true),
        Err(AdminError::Denied("The user is existed".into()))
    );
    store
        .upsert_acl(
            Some("User:alice"),
            acl(r#"{"policies":[{"entries":[{"actions":["Pub"],"decision":"Allow","resource":"Topic:test"}]}],"subject":"User:alice"}"#),
        )
        .unwrap();

    let reopened = AuthStore::open(dir.path()).unwrap();
    let snap = reopened.snapshot();
    let g = gate();
    assert!(g
        .check(&snap, &send("test", "alice", "secret123"), "1.2.3.4")
        .is_ok());
    assert_eq!(
        g.check(&snap, &send("other", "alice", "secret123"), "1.2.3.4")
            .unwrap_err(),
        "User:alice has no permission to access Topic:other from 1.2.3.4, no matched policies."
    );
    assert_eq!(
        g.check(&snap, &send("test", "alice", "wrong"), "1.2.3.4")
            .unwrap_err(),
        "check signature failed."
    );
    assert!(g
        .check(&snap, &send("other", "rocketmq", "12345678"), "1.2.3.4")
        .is_ok());
    let got = reopened.get_user(Some("alice")).unwrap().unwrap();
    assert_eq!(got.user_type.as_deref(), Some("Normal"));
    assert_eq!(got.user_status.as_deref(), Some("enable"));
}

#[test]
fn acl_updates_merge_and_deletes_narrow() {
    let dir = tempfile::tempdir().unwrap();
    let store = AuthStore::open(dir.path()).unwrap();
    store
        .create_user(Some("alice"), user("alice", "secret123", None), true)
        .unwrap();
    let put = |r: &str, a: &str, d: &str| {
        let body = format!(
            r#"{{"policies":[{{"entries":[{{"actions":["{a}"],"decision":"{d}","resource":"{r}"}}]}}]}}"#
        );
        store.upsert_acl(Some("User:alice"), acl(&body))
    };
    put("Topic:a", "Pub", "Allow").unwrap();
    put("Topic:b", "Sub", "Allow").unwrap();
    put("Topic:a", "Sub", "Deny").unwrap();
    let got = store.get_acl(Some("User:alice")).unwrap().unwrap();
    let entries = got.policies.unwrap().remove(0).entries.unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].resource.as_deref(), Some("Topic:a"));
    assert_eq!(entries[0].decision.as_deref(), Some("Deny"));

    assert_eq!(store.list_acls(None, Some("Topic:b")).len(), 1);
    let all = store.list_acls(None, Some("alice"));
    let entries = all[0].policies.as_ref().unwrap()[0]
        .entries
        .as_ref()
        .unwrap();
    assert_eq!(
        entries.len(),
        2,
        "a filter the subject contains keeps every entry"
    );
    assert!(store.list_acls(Some("bob"), None).is_empty());
    store
        .delete_acl(Some("User:alice"), None, Some("Topic:a"))
        .unwrap();
    assert_eq!(store.list_acls(None, Some("Topic:a")).len(), 0);
    store
        .delete_acl(Some("User:alice"), None, Some("Topic:b"))
        .unwrap();
    assert_eq!(
        store.get_acl(Some("User:alice")).unwrap(),
        None,
        "no policy left"
    );
    assert_eq!(
        store.delete_acl(Some("User:alice"), None, None),
        Err(AdminError::Denied("The acl is not exist.".into()))
    );
    assert_eq!(
        store.get_acl(Some("User:bob")),
        Err(AdminError::Denied("The subject is not exist.".into()))
    );
}

#[test]
fn validation_messages_are_javas() {
    let dir = tempfile::tempdir().unwrap();
    let store = AuthStore::open(dir.path()).unwrap();
    store
        .create_user(Some("alice"), user("alice", "secret123", None), true)
        .unwrap();
    let cases = [
        (
            r#"{"entries":[{"actions":["Pub"],"decision":"Allow","resource":"Queue:x"}]}"#,
            "The resource is null.",
        ),
        (
            r#"{"entries":[{"actions":["Fly"],"decision":"Allow","resource":"Topic:x"}]}"#,
            "The actions is empty.",
        ),
        (
            r#"{"entries":[{"actions":["Any"],"decision":"Allow","resource":"Topic:x"}]}"#,
            "The actions can not be Any.",
        ),
        (
            r#"{"entries":[{"actions":["Pub"],"decision":"Allow","resource":"Topic:x","sourceIps":["10.0.0.*"]}]}"#,
            "The source ip is invalid.",
        ),
        (
            r#"{"entries":[{"actions":["Pub"],"decision":"Maybe","resource":"Topic:x"}]}"#,
            "The decision is null or illegal.",
        ),
        (r#"{"entries":[]}"#, "The policy entries is empty."),
    ];
    for (policy, message) in cases {
        let body = format!(r#"{{"policies":[{policy}],"subject":"User:alice"}}"#);
        assert_eq!(
            store.upsert_acl(None, acl(&body)),
            Err(AdminError::Denied(message.into())),
            "{policy}"
        );
    }
    let body = r#"{"policies":[{"entries":[{"actions":["Pub"],"decision":"Allow","resource":"Topic:x"}]}],"subject":"User:bob"}"#;
    assert_eq!(
        store.upsert_acl(None, acl(body)),
        Err(AdminError::Denied(
            "The subject of User:bob is not exist.".into()
        ))
    );
    assert_eq!(
        store.upsert_acl(Some("User:alice"), None),
        Err(AdminError::System("The body of acl is null".into()))
    );
}

#[test]
fn only_super_users_make_or_change_super_users() {
    let dir = tempfile::tempdir().unwrap();
    let store = AuthStore::open(dir.path()).unwrap();
    assert_eq!(
        store.create_user(Some("boss"), user("boss", "12345678", Some("Super")), false),
        Err(AdminError::System(
            "The super user can only be create by super user".into()
        ))
    );
    store
        .create_user(Some("boss"), user("boss", "12345678", Some("Super")), true)
        .unwrap();
    assert_eq!(
        store.update_user(Some("boss"), user("boss", "newpass1", None), false),
        Err(AdminError::Denied(
            "The super user can only be update by super user".into()
        ))
    );
    assert_eq!(
        store.delete_user(Some("boss"), false),
        Err(AdminError::Denied(
            "The super user can only be update by super user".into()
        ))
    );
    assert!(store.snapshot().is_super_caller(Some("boss")));
    assert!(!store.snapshot().is_super_caller(Some("nobody")));
    assert!(store.snapshot().is_super_caller(None));
    store.delete_user(Some("boss"), true).unwrap();
    store.delete_user(Some("boss"), true).unwrap();
    assert_eq!(store.get_user(Some("boss")).unwrap(), None);
    assert_eq!(
        store.get_user(Some(" ")),
        Err(AdminError::Invalid("The username is blank".into()))
    );
}

#[test]
fn without_providers_everything_is_refused_and_whitelists_pass() {
    let dir = tempfile::tempdir().unwrap();
    let store = AuthStore::open(dir.path()).unwrap();
    store.ensure_super_user("rocketmq", "12345678").unwrap();
    let snap = store.snapshot();
    let mut g = gate();
    g.authentication_provider = false;
    assert_eq!(
        g.check(&snap, &send("t", "rocketmq", "12345678"), "1.1.1.1")
            .unwrap_err(),
        "The authenticationMetadataProvider is not configured"
    );
    let mut g = gate();
    let unsigned = RemotingCommand::request(rc::HEART_BEAT);
    assert_eq!(
        g.check(&snap, &unsigned, "1.1.1.1").unwrap_err(),
        "username cannot be null."
    );
    g.authentication_whitelist = GateConfig::parse_whitelist("34, 11,apache.rocketmq.v2.X");
    assert!(g.check(&snap, &unsigned, "1.1.1.1").is_ok());
}

#[test]
fn oversized_names_and_acls_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = AuthStore::open(dir.path()).unwrap();
    let long = "u".repeat(257);
    assert_eq!(
        store.create_user(Some(&long), user(&long, "secret123", None), true),
        Err(AdminError::Invalid(
            "The username is longer than 256 bytes".into()
        ))
    );
    let long_pw = "p".repeat(257);
    assert_eq!(
        store.create_user(Some("bob"), user("bob", &long_pw, None), true),
        Err(AdminError::Invalid(
            "The password is longer than 256 bytes".into()
        ))
    );
    store
        .create_user(Some("alice"), user("alice", "secret123", None), true)
        .unwrap();
    let entry =
        |i: usize| format!(r#"{{"actions":["Pub"],"decision":"Allow","resource":"Topic:t{i}"}}"#);
    let many: Vec<String> = (0..1025).map(entry).collect();
    let body = format!(
        r#"{{"policies":[{{"entries":[{}]}}],"subject":"User:alice"}}"#,
        many.join(",")
    );
    assert_eq!(
        store.upsert_acl(None, acl(&body)),
        Err(AdminError::Invalid(
            "An ACL holds at most 1024 entries".into()
        ))
    );
    // Two requests that each fit but together do not.
    for range in [0..600, 600..1025] {
        let part: Vec<String> = range.map(entry).collect();
        let body = format!(
            r#"{{"policies":[{{"entries":[{}]}}],"subject":"User:alice"}}"#,
            part.join(",")
        );
        let r = store.upsert_acl(None, acl(&body));
        if r.is_err() {
            assert_eq!(
                r,
                Err(AdminError::Invalid(
                    "An ACL holds at most 1024 entries".into()
                ))
            );
        }
    }
    let kept = store.get_acl(Some("User:alice")).unwrap().unwrap();
    assert_eq!(
        kept.policies.unwrap()[0].entries.as_ref().unwrap().len(),
        600
    );
    let ips: Vec<String> = (0..33).map(|i| format!(r#""10.0.0.{i}""#)).collect();
    let body = format!(
        r#"{{"policies":[{{"entries":[{{"actions":["Pub"],"decision":"Allow","resource":"Topic:x","sourceIps":[{}]}}]}}],"subject":"User:alice"}}"#,
        ips.join(",")
    );
    assert_eq!(
        store.upsert_acl(None, acl(&body)),
        Err(AdminError::Invalid(
            "An entry holds at most 32 source ips".into()
        ))
    );
    // Nothing refused reached the files.
    let reopened = AuthStore::open(dir.path()).unwrap();
    assert!(reopened.get_user(Some("bob")).unwrap().is_none());
    assert_eq!(reopened.list_users(None).len(), 1);
}
