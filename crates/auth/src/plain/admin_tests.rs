use std::fs;

use ferromq_protocol::request_code as rc;
use ferromq_protocol::signature::sign;
use ferromq_protocol::RemotingCommand;

use super::*;
use crate::plain::{DenialSite, Perm};

const NOW: i64 = 1_700_000_000_123;

fn header(ak: &str, sk: &str) -> CreateAccessConfigRequestHeader {
    CreateAccessConfigRequestHeader {
        access_key: Some(ak.into()),
        secret_key: Some(sk.into()),
        admin: Some(false),
        ..Default::default()
    }
}

fn send(topic: &str, ak: &str, sk: &str) -> RemotingCommand {
    let mut r = RemotingCommand::request(rc::SEND_MESSAGE_V2).with_ext("b", topic);
    sign(&mut r, ak, sk, None);
    r
}

fn reread(acl: &PlainAcl) -> PlainAcl {
    PlainAcl::load(&acl.home).unwrap()
}

#[test]
fn new_accounts_go_to_the_default_file() {
    let home = tempfile::tempdir().unwrap();
    let mut acl = PlainAcl::load(home.path()).unwrap();
    let mut h = header("newuser1", "12345678");
    h.default_topic_perm = Some("PUB".into());
    h.topic_perms = Some("topicA=SUB,topicB=DENY".into());
    h.group_perms = Some("g1=SUB".into());
    acl.update_account(&h, NOW).unwrap();

    assert_eq!(
        acl.check(&send("anyTopic", "newuser1", "12345678"), "1.1.1.1"),
        Ok(())
    );
    assert_eq!(
        acl.check(&send("topicA", "newuser1", "12345678"), "1.1.1.1")
            .unwrap_err()
            .message,
        "No permission for topic:topicA"
    );
    let (v, _) = acl.versions();
    assert_eq!((v.counter, v.timestamp), (1, NOW));

    let text = fs::read_to_string(acl.default_file()).unwrap();
    assert!(text.contains("- accessKey: newuser1\n  admin: false\n  defaultGroupPerm: null\n  defaultTopicPerm: PUB\n  groupPerms:\n  - g1=SUB\n  secretKey: '12345678'\n  topicPerms:\n  - topicA=SUB\n  - topicB=DENY\n  whiteRemoteAddress: null\n"), "{text}");
    assert!(
        text.contains(&format!("dataVersion:\n- counter: 1\n  timestamp: {NOW}\n")),
        "{text}"
    );

    let again = reread(&acl);
    let a = again.accounts().next().unwrap();
    assert_eq!(
        a.topic_perms,
        [("topicA".into(), Perm::SUB), ("topicB".into(), Perm::DENY)]
    );
    assert_eq!(again.versions().0.counter, 1);
}

#[test]
fn updates_rewrite_the_owning_file_and_keep_absent_fields() {
    let home = tempfile::tempdir().unwrap();
    let other = home.path().join("conf/acl/team.yml");
    fs::create_dir_all(other.parent().unwrap()).unwrap();
    fs::write(
        &other,
        "accounts:\n  - accessKey: teamuser\n    secretKey: 12345678\n    admin: true\n    topicPerms: [t=PUB]\n    defaultGroupPerm: SUB\n  - accessKey: another1\n    secretKey: 12345678\ndataVersion:\n  - counter: 4\n    timestamp: 1\n",
    )
    .unwrap();
    let mut acl = PlainAcl::load(home.path()).unwrap();
    let mut h = header("teamuser", "abcdefgh");
    h.default_topic_perm = Some("SUB".into());
    h.white_remote_address = Some("192.168.0.*".into());
    acl.update_account(&h, NOW).unwrap();

    let data = AclFile::read(&other).unwrap().unwrap();
    let accounts = data.accounts.as_ref().unwrap();
    let keys: Vec<_> = accounts
        .iter()
        .map(|a| a.access_key.clone().unwrap())
        .collect();
    assert_eq!(
        keys,
        ["another1", "teamuser"],
        "the updated account moves last"
    );
    let updated = &accounts[1];
    assert_eq!(updated.secret_key.as_deref(), Some("abcdefgh"));
    assert!(!updated.admin, "admin is always taken from the request");
    assert_eq!(updated.topic_perms, Some(vec!["t=PUB".into()]), "kept");
    assert_eq!(updated.default_group_perm.as_deref(), Some("SUB"), "kept");
    assert_eq!(updated.default_topic_perm.as_deref(), Some("SUB"));
    assert_eq!(data.version().unwrap().counter, 5);
    let default_text = fs::read_to_string(acl.default_file()).unwrap();
    assert!(default_text.is_empty(), "the default file is untouched");

    // Effective at once: new secret, new whitelist.
    assert_eq!(
        acl.check(&send("t", "teamuser", "abcdefgh"), "10.0.0.1"),
        Ok(())
    );
    let r = RemotingCommand::request(rc::UPDATE_AND_CREATE_TOPIC).with_ext("AccessKey", "teamuser");
    assert_eq!(acl.check(&r, "192.168.0.5"), Ok(()));
    assert_eq!(
        acl.check(&send("x", "teamuser", "12345678"), "10.0.0.1")
            .unwrap_err()
            .site,
        DenialSite::Signature
    );
    let key = other.display().to_string();
    assert_eq!(acl.versions().1[&key].counter, 5);
}

#[test]
fn invalid_updates_change_nothing() {
    let home = tempfile::tempdir().unwrap();
    let mut acl = PlainAcl::load(home.path()).unwrap();
    let cases: Vec<(CreateAccessConfigRequestHeader, &str)> = vec![
        (header("short", "12345678"),
         "The accessKey=short and secretKey=12345678 cannot be null and length should longer than 6"),
        (CreateAccessConfigRequestHeader { access_key: Some("longuser".into()), ..Default::default() },
         "The accessKey=longuser and secretKey=null cannot be null and length should longer than 6"),
        (CreateAccessConfigRequestHeader { topic_perms: Some("a=PUB,b".into()), ..header("longuser", "12345678") },
         "Parse Resource format error for b.\nThe expected resource format is 'Res=Perm'. For example: topicA=SUB"),
        (CreateAccessConfigRequestHeader { group_perms: Some("g=ALL".into()), ..header("longuser", "12345678") },
         "Parse resource permission error for g=ALL.\nThe expected permissions are 'SUB' or 'PUB' or 'SUB|PUB' or 'PUB|SUB'."),
        (CreateAccessConfigRequestHeader { white_remote_address: Some("10.0.0.0/8".into()), ..header("longuser", "12345678") },
         "NetAddress examine Exception netAddress is 10.0.0.0/8"),
    ];
    for (h, message) in cases {
        let e = acl.update_account(&h, NOW).unwrap_err();
        assert_eq!(e.to_string(), message);
    }
    assert_eq!(fs::read_to_string(acl.default_file()).unwrap(), "");
    assert_eq!(acl.accounts().count(), 0);
}

#[test]
fn unknown_default_permissions_are_stored_and_read_as_deny() {
    let home = tempfile::tempdir().unwrap();
    let mut acl = PlainAcl::load(home.path()).unwrap();
    let mut h = header("newuser1", "12345678");
    h.default_topic_perm = Some("ALL".into());
    acl.update_account(&h, NOW).unwrap();
    assert_eq!(
        acl.accounts().next().unwrap().default_topic_perm,
        Perm::DENY
    );
}

#[test]
fn delete_removes_the_account() {
    let home = tempfile::tempdir().unwrap();
    let mut acl = PlainAcl::load(home.path()).unwrap();
    acl.update_account(&header("user0001", "12345678"), NOW)
        .unwrap();
    acl.update_account(&header("user0002", "12345678"), NOW + 1)
        .unwrap();
    acl.delete_account("user0001", NOW + 2).unwrap();
    assert_eq!(
        acl.check(&send("t", "user0001", "12345678"), "1.1.1.1")
            .unwrap_err()
            .message,
        "No acl config for user0001"
    );
    let (v, _) = acl.versions();
    assert_eq!((v.counter, v.timestamp), (3, NOW + 2));
    let again = reread(&acl);
    let keys: Vec<_> = again.accounts().map(|a| a.access_key.clone()).collect();
    assert_eq!(keys, ["user0002"]);

    for missing in ["user0001", "", "nobody99"] {
        let e = acl.delete_account(missing, NOW).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "The accessKey[{missing}] corresponding to accessConfig has been deleted failed."
            )
        );
    }
}

#[test]
fn global_whitelist_updates() {
    let home = tempfile::tempdir().unwrap();
    let team = home.path().join("conf/acl/team.yml");
    fs::create_dir_all(team.parent().unwrap()).unwrap();
    fs::write(&team, "dataVersion: [{counter: 9, timestamp: 1}]\n").unwrap();
    let mut acl = PlainAcl::load(home.path()).unwrap();
    let unsigned = RemotingCommand::request(rc::UPDATE_AND_CREATE_TOPIC);
    assert!(acl.check(&unsigned, "10.1.2.3").is_err());

    let addrs = split_comma_list("10.1.*.*,192.168.0.7");
    acl.update_global_white_addrs(&addrs, None, NOW).unwrap();
    assert_eq!(
        acl.check(&unsigned, "10.1.2.3"),
        Ok(()),
        "effective at once"
    );
    assert_eq!(acl.versions().0.counter, 1);
    let text = fs::read_to_string(acl.default_file()).unwrap();
    assert!(
        text.contains("globalWhiteRemoteAddresses:\n- 10.1.*.*\n- 192.168.0.7\n"),
        "{text}"
    );
    // Java splits a brace list at its commas too; the pieces are refused, not written.
    let braces = split_comma_list("192.168.0.{1,2}");
    let e = acl
        .update_global_white_addrs(&braces, None, NOW)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "NetAddress examine Exception netAddress is 192.168.0.{1"
    );

    acl.update_global_white_addrs(&["::1".into()], Some("conf/acl/team.yml"), NOW)
        .unwrap();
    assert_eq!(acl.versions().1[&team.display().to_string()].counter, 10);
    assert_eq!(acl.check(&unsigned, "0:0:0:0:0:0:0:1"), Ok(()));
    let abs = team.display().to_string();
    acl.update_global_white_addrs(&[], Some(&abs), NOW).unwrap();
    assert!(acl.check(&unsigned, "::1").is_err());

    for bad in ["conf/broker.conf", "../x.yml", "conf/acl/missing.yml"] {
        let e = acl
            .update_global_white_addrs(&addrs, Some(bad), NOW)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "The globalWhiteAddresses[10.1.*.*,192.168.0.7] has been updated failed."
        );
    }
    let e = acl
        .update_global_white_addrs(&["10.0.0.0/8".into()], None, NOW)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "NetAddress examine Exception netAddress is 10.0.0.0/8"
    );
}

#[test]
fn admin_writes_survive_the_next_reload_scan() {
    let home = tempfile::tempdir().unwrap();
    let mut acl = PlainAcl::load(home.path()).unwrap();
    acl.update_account(&header("user0001", "12345678"), NOW)
        .unwrap();
    acl.update_global_white_addrs(&["10.9.9.9".into()], None, NOW)
        .unwrap();
    let _ = acl.reload_if_changed().unwrap();
    assert_eq!(
        acl.check(&send("t", "user0001", "12345678"), "10.9.9.9"),
        Ok(())
    );
    assert_eq!(acl.accounts().count(), 1);
    assert_eq!(acl.versions().0.counter, 2);
}
