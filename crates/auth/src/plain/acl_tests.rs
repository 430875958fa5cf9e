use std::path::Path;
use std::time::{Duration, SystemTime};

use ferromq_protocol::request_code as rc;
use ferromq_protocol::signature::sign;
use ferromq_protocol::RemotingCommand;

use super::*;
use crate::plain::DenialSite;

fn account(ak: &str) -> String {
    format!("  - accessKey: {ak}\n    secretKey: 12345678\n    admin: true\n")
}

/// Writes `text` and stamps the file `secs` after the epoch, so every write is seen as a
/// change whatever the file system's time resolution.
fn write_at(path: &Path, text: &str, secs: u64) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
    let f = fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

fn signed(ak: &str) -> RemotingCommand {
    let mut r = RemotingCommand::request(rc::QUERY_CONSUMER_OFFSET);
    sign(&mut r, ak, "12345678", None);
    r
}

fn allowed(acl: &PlainAcl, ak: &str) -> bool {
    acl.check(&signed(ak), "10.0.0.1").is_ok()
}

#[test]
fn creates_the_default_file_when_missing() {
    let home = tempfile::tempdir().unwrap();
    let acl = PlainAcl::load(home.path()).unwrap();
    let default = home.path().join("conf/plain_acl.yml");
    assert!(default.is_file());
    assert_eq!(acl.default_file(), default.as_path());
    assert_eq!(acl.accounts().count(), 0);
    let (v, all) = acl.versions();
    assert_eq!(v.counter, 0);
    assert!(all.is_empty(), "an empty file has no version");
    assert_eq!(
        acl.check(&signed("anybody1"), "1.2.3.4").unwrap_err().site,
        DenialSite::UnknownAccessKey
    );
}

#[test]
fn loads_every_acl_file_and_the_first_definition_wins() {
    let home = tempfile::tempdir().unwrap();
    let conf = home.path().join("conf");
    write_at(
        &conf.join("plain_acl.yml"),
        &format!(
            "accounts:\n{}{}dataVersion:\n  - counter: 7\n    timestamp: 99\n",
            account("shared01"),
            account("default1")
        ),
        1,
    );
    write_at(
        &conf.join("acl/b.yml"),
        &format!("accounts:\n{}", account("bfile001")),
        1,
    );
    write_at(
        &conf.join("acl/a.yaml"),
        "accounts:\n  - accessKey: shared01\n    secretKey: abcdefgh\n",
        1,
    );
    // mqadmin's credentials file is not an ACL file (its keys would not even parse).
    write_at(
        &conf.join("acl/tools.yml"),
        "accessKey: x\nsecretKey: y\n",
        1,
    );
    let acl = PlainAcl::load(home.path()).unwrap();
    let keys: Vec<&str> = acl.accounts().map(|a| a.access_key.as_str()).collect();
    assert_eq!(keys, ["shared01", "bfile001", "default1"]);
    let shared = acl.accounts().next().unwrap();
    assert_eq!(
        shared.secret_key, "abcdefgh",
        "conf/acl/a.yaml is loaded first"
    );
    assert!(!allowed(&acl, "shared01"), "signed with the losing secret");
    assert!(allowed(&acl, "default1"));
    let (v, all) = acl.versions();
    assert_eq!((v.counter, v.timestamp), (7, 99));
    assert_eq!(all.len(), 3);
    let default = conf.join("plain_acl.yml").display().to_string();
    assert_eq!(all[&default].counter, 7);
}

#[test]
fn invalid_files_fail_the_load() {
    let cases = [
        ("accounts:\n  - accessKey: short\n    secretKey: 12345678\n",
         "The accessKey=short and secretKey=12345678 cannot be null and length should longer than 6"),
        ("globalWhiteRemoteAddresses:\n  - 10.0.0.0/8\n",
         "NetAddress examine Exception netAddress is 10.0.0.0/8"),
        ("accounts:\n  - accessKey: RocketMQ\n    secretKey: 12345678\n    topicPerms: [topicA]\n",
         "Parse resource permission failed for topic:topicA"),
    ];
    for (text, message) in cases {
        let home = tempfile::tempdir().unwrap();
        write_at(&home.path().join("conf/acl/x.yml"), text, 1);
        match PlainAcl::load(home.path()) {
            Err(PlainAclError::Invalid { path, message: m }) => {
                assert_eq!(m, message);
                assert!(path.unwrap().ends_with("x.yml"));
            }
            other => panic!("{text}: {other:?}"),
        }
    }
    let home = tempfile::tempdir().unwrap();
    write_at(
        &home.path().join("conf/plain_acl.yml"),
        "accounts:\n  - acessKey: x\n",
        1,
    );
    assert!(matches!(
        PlainAcl::load(home.path()),
        Err(PlainAclError::Yaml { .. })
    ));
}

#[test]
fn reload_follows_changed_files() {
    let home = tempfile::tempdir().unwrap();
    let default = home.path().join("conf/plain_acl.yml");
    write_at(&default, &format!("accounts:\n{}", account("first001")), 1);
    let mut acl = PlainAcl::load(home.path()).unwrap();
    assert!(!acl.reload_if_changed().unwrap(), "nothing changed");

    write_at(&default, &format!("accounts:\n{}", account("second01")), 2);
    assert!(acl.reload_if_changed().unwrap());
    assert!(allowed(&acl, "second01"));
    // Java keeps a dropped key in its table until a full reload.
    let d = acl.check(&signed("first001"), "10.0.0.1").unwrap_err();
    assert_eq!(d.message, "No PlainAccessResource for accessKey=first001");
    assert!(d.remark().ends_with("(PlainPermissionManager.java:615)"));

    // A new file: full reload, the stale key is gone.
    write_at(
        &home.path().join("conf/acl/more.yml"),
        &format!("accounts:\n{}", account("third001")),
        3,
    );
    assert!(acl.reload_if_changed().unwrap());
    assert!(allowed(&acl, "third001"));
    assert_eq!(
        acl.check(&signed("first001"), "10.0.0.1").unwrap_err().site,
        DenialSite::UnknownAccessKey
    );
}

#[test]
fn a_broken_file_keeps_the_previous_state() {
    let home = tempfile::tempdir().unwrap();
    let default = home.path().join("conf/plain_acl.yml");
    write_at(&default, &format!("accounts:\n{}", account("first001")), 1);
    let mut acl = PlainAcl::load(home.path()).unwrap();
    write_at(
        &default,
        "accounts:\n  - accessKey: first001\n    bogus: 1\n",
        2,
    );
    assert!(acl.reload_if_changed().is_err());
    assert!(allowed(&acl, "first001"));
    assert!(
        !acl.reload_if_changed().unwrap(),
        "the same broken file is not retried"
    );

    write_at(&default, &format!("accounts:\n{}", account("first001")), 3);
    assert!(acl.reload_if_changed().unwrap());

    // A broken new file fails the full reload, which is retried until it is fixed.
    let extra = home.path().join("conf/acl/extra.yml");
    write_at(&extra, "globalWhiteRemoteAddresses: [1.2.3]\n", 4);
    assert!(acl.reload_if_changed().is_err());
    assert!(acl.reload_if_changed().is_err());
    assert!(allowed(&acl, "first001"));
    write_at(&extra, &format!("accounts:\n{}", account("extra001")), 5);
    assert!(acl.reload_if_changed().unwrap());
    assert!(allowed(&acl, "extra001"));
}

#[test]
fn emptying_a_file_removes_what_it_gave() {
    let home = tempfile::tempdir().unwrap();
    let default = home.path().join("conf/plain_acl.yml");
    write_at(
        &default,
        "globalWhiteRemoteAddresses: ['*']\ndataVersion: [{counter: 3, timestamp: 5}]\n",
        1,
    );
    let mut acl = PlainAcl::load(home.path()).unwrap();
    assert_eq!(acl.check(&RemotingCommand::request(10), "1.1.1.1"), Ok(()));
    assert_eq!(acl.versions().0.counter, 3);
    write_at(&default, "", 2);
    assert!(acl.reload_if_changed().unwrap());
    assert!(acl.check(&RemotingCommand::request(10), "1.1.1.1").is_err());
    assert!(acl.versions().1.is_empty());
}

#[test]
fn a_deleted_default_file_is_recreated() {
    let home = tempfile::tempdir().unwrap();
    let mut acl = PlainAcl::load(home.path()).unwrap();
    fs::remove_file(acl.default_file()).unwrap();
    assert!(acl.reload_if_changed().unwrap());
    assert!(acl.default_file().is_file());
}
