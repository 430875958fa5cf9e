use super::*;

const SAMPLE: &str = r#"
globalWhiteRemoteAddresses:
  - 10.10.103.*
  - 192.168.0.*
accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - topicA=DENY
      - topicB=PUB|SUB
      - topicC=SUB
    groupPerms:
      - groupA=DENY
      - groupB=PUB|SUB
  - accessKey: rocketmq2
    secretKey: 0012345678
    whiteRemoteAddress: 192.168.1.*
    admin: yes
dataVersion:
  - counter: 1
    timestamp: 1700000000000
"#;

#[test]
fn reads_the_distribution_sample() {
    let f = AclFile::parse(SAMPLE).unwrap().unwrap();
    let accounts = f.accounts.as_ref().unwrap();
    assert_eq!(accounts.len(), 2);
    let a = &accounts[0];
    assert_eq!(a.access_key.as_deref(), Some("RocketMQ"));
    // Number-looking scalars are strings, as Java reads them into a String property.
    assert_eq!(a.secret_key.as_deref(), Some("12345678"));
    assert_eq!(a.white_remote_address, None);
    assert_eq!(a.topic_perms.as_ref().unwrap()[1], "topicB=PUB|SUB");
    assert_eq!(accounts[1].secret_key.as_deref(), Some("0012345678"));
    assert!(accounts[1].admin, "YAML 1.1 `yes`");
    assert_eq!(
        f.global_white_remote_addresses.as_ref().unwrap()[0].as_deref(),
        Some("10.10.103.*")
    );
    assert_eq!(
        f.version(),
        Some(VersionEntry {
            counter: 1,
            timestamp: 1_700_000_000_000
        })
    );
}

#[test]
fn unknown_keys_fail_the_whole_file() {
    for text in [
        "accounts:\n  - accessKey: RocketMQ\n    secretKey: 12345678\n    whiteRemoteAdress: 1.2.3.4\n",
        "globalWhiteRemoteAddress:\n  - 1.2.3.4\n",
        "dataVersion:\n  - counter: 1\n    stateVersion: 0\n",
    ] {
        let e = AclFile::parse(text).unwrap_err().to_string();
        assert!(e.contains("unknown field"), "{e}");
    }
}

#[test]
fn wrong_types_fail() {
    assert!(AclFile::parse("accounts: 5\n").is_err());
    assert!(AclFile::parse("accounts:\n  - admin: maybe\n").is_err());
    assert!(AclFile::parse("- a\n- b\n").is_err());
    assert!(AclFile::parse("a: 1\n---\nb: 2\n").is_err());
}

#[test]
fn empty_documents_are_none() {
    for text in ["", "\n", "# only a comment\n", "~\n", "null\n"] {
        assert_eq!(AclFile::parse(text).unwrap(), None, "{text:?}");
    }
}

#[test]
fn absent_keys_read_as_empty_lists_and_nulls_as_none() {
    let f = AclFile::parse("accounts:\nglobalWhiteRemoteAddresses: [~]\n")
        .unwrap()
        .unwrap();
    assert_eq!(f.accounts, None);
    assert_eq!(f.data_version, Some(Vec::new()));
    assert_eq!(f.global_white_remote_addresses, Some(vec![None]));
    assert_eq!(f.version(), None);
}

#[test]
fn writes_block_style_alphabetically_and_reads_back() {
    let f = AclFile::parse(SAMPLE).unwrap().unwrap();
    let text = f.to_yaml().unwrap();
    assert!(
        text.starts_with("accounts:\n- accessKey: RocketMQ\n  admin: false\n  defaultGroupPerm: SUB\n  defaultTopicPerm: DENY\n  groupPerms:\n  - groupA=DENY\n"),
        "{text}"
    );
    assert!(text.contains("  secretKey: '12345678'\n"), "{text}");
    assert!(text.contains("  whiteRemoteAddress: null\n"), "{text}");
    assert!(
        text.contains("dataVersion:\n- counter: 1\n  timestamp: 1700000000000\nglobalWhiteRemoteAddresses:\n- 10.10.103.*\n"),
        "{text}"
    );
    assert_eq!(AclFile::parse(&text).unwrap().unwrap(), f);
}

#[test]
fn default_document_writes_empty_lists() {
    let text = AclFile::default().to_yaml().unwrap();
    assert_eq!(
        text,
        "accounts: []\ndataVersion: []\nglobalWhiteRemoteAddresses: []\n"
    );
}

#[test]
fn read_and_write_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain_acl.yml");
    assert_eq!(AclFile::read(&path).unwrap(), None, "missing file");
    std::fs::write(&path, SAMPLE).unwrap();
    let f = AclFile::read(&path).unwrap().unwrap();
    let mut g = f.clone();
    g.global_white_remote_addresses = Some(vec![Some("1.2.3.4".into())]);
    g.write(&path).unwrap();
    assert_eq!(AclFile::read(&path).unwrap().unwrap(), g);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    assert_eq!(AclFile::read(dir.path()).unwrap(), None, "a directory");
}

#[test]
fn oversized_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yml");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(MAX_FILE_BYTES + 1).unwrap();
    assert!(matches!(
        AclFile::read(&path),
        Err(PlainAclError::TooLarge { .. })
    ));
}

/// The expected text is what Java's own reader and writer (rocketmq-acl's
/// `AclUtils.getYamlDataObject` into `PlainAccessData`, then SnakeYAML 2.0 `dumpAsMap`) made of
/// this writer's output: byte for byte the same, odd strings included.
#[test]
fn writes_what_snakeyaml_writes() {
    let mut f = AclFile::parse(SAMPLE).unwrap().unwrap();
    f.accounts.as_mut().unwrap().push(AccountEntry {
        access_key: Some("we:ird #key".into()),
        secret_key: Some("true".into()),
        white_remote_address: Some("*".into()),
        default_topic_perm: Some("PUB|SUB".into()),
        topic_perms: Some(vec![
            "%RETRY%x=SUB".into(),
            "a: b=PUB".into(),
            "- t=DENY".into(),
        ]),
        group_perms: Some(vec![]),
        ..AccountEntry::default()
    });
    f.global_white_remote_addresses = Some(vec![
        Some("192.168.0.{1,2}".into()),
        Some("*".into()),
        None,
        Some("::1".into()),
    ]);
    assert_eq!(f.to_yaml().unwrap(), JAVA_DUMP);
}

const JAVA_DUMP: &str = r#"accounts:
- accessKey: RocketMQ
  admin: false
  defaultGroupPerm: SUB
  defaultTopicPerm: DENY
  groupPerms:
  - groupA=DENY
  - groupB=PUB|SUB
  secretKey: '12345678'
  topicPerms:
  - topicA=DENY
  - topicB=PUB|SUB
  - topicC=SUB
  whiteRemoteAddress: null
- accessKey: rocketmq2
  admin: true
  defaultGroupPerm: null
  defaultTopicPerm: null
  groupPerms: null
  secretKey: '0012345678'
  topicPerms: null
  whiteRemoteAddress: 192.168.1.*
- accessKey: 'we:ird #key'
  admin: false
  defaultGroupPerm: null
  defaultTopicPerm: PUB|SUB
  groupPerms: []
  secretKey: 'true'
  topicPerms:
  - '%RETRY%x=SUB'
  - 'a: b=PUB'
  - '- t=DENY'
  whiteRemoteAddress: '*'
dataVersion:
- counter: 1
  timestamp: 1700000000000
globalWhiteRemoteAddresses:
- 192.168.0.{1,2}
- '*'
- null
- ::1
"#;
