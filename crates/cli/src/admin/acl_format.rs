//! mqadmin's renderings of access-control data, byte for byte: the `String.format` tables of
//! `getUser`/`listUser` (`%-16s  %-22s  %-22s  %-22s%n`), `getAcl`/`listAcl`
//! (`%-16s  %-10s  %-22s  %-20s  %-24s  %-10s%n`) and `clusterAclConfigVersion`
//! (`%-16s  %-22s  %-22s  %-20s  %-22s  %-22s%n`), Java's `List.toString` and
//! `PlainAccessConfig.toString`, and how the commands split their list options. Java prints
//! an absent value as `null`, and so do these.

use ferromq_client::{AclVersionInfo, PlainAccessConfig};
use ferromq_model::{AclInfo, UserInfo};

use super::format::human_seconds;

/// Java's `String.valueOf` of a possibly null string.
fn or_null(v: Option<&str>) -> &str {
    v.unwrap_or("null")
}

/// Java's `List.toString`: `[a, b]`, `[]`, or `null`.
pub fn java_list(v: Option<&[String]>) -> String {
    match v {
        Some(items) => format!("[{}]", items.join(", ")),
        None => "null".into(),
    }
}

fn user_line(name: &str, password: &str, user_type: &str, status: &str) -> String {
    format!("{name:<16}  {password:<22}  {user_type:<22}  {status:<22}\n")
}

/// `getUser`/`listUser`: the header, then one row per user (the password in clear, as Java
/// prints it).
pub fn users_table(users: &[UserInfo]) -> String {
    let mut s = user_line("#UserName", "#Password", "#UserType", "#UserStatus");
    for u in users {
        s.push_str(&user_line(
            or_null(u.username.as_deref()),
            or_null(u.password.as_deref()),
            or_null(u.user_type.as_deref()),
            or_null(u.user_status.as_deref()),
        ));
    }
    s
}

fn acl_line(cols: [&str; 6]) -> String {
    let [subject, policy_type, resource, actions, ips, decision] = cols;
    format!(
        "{subject:<16}  {policy_type:<10}  {resource:<22}  {actions:<20}  {ips:<24}  {decision:<10}\n"
    )
}

/// One ACL's rows: one per policy entry; a subject without policies gets one row of blanks
/// (Java then fails on a null policy list; an empty table is printed here instead).
fn acl_rows(acl: &AclInfo) -> String {
    let subject = or_null(acl.subject.as_deref());
    let policies = acl.policies.as_deref().unwrap_or_default();
    if policies.is_empty() {
        return acl_line([subject, "", "", "", "", ""]);
    }
    let mut s = String::new();
    for policy in policies {
        for e in policy.entries.as_deref().unwrap_or_default() {
            s.push_str(&acl_line([
                subject,
                or_null(policy.policy_type.as_deref()),
                or_null(e.resource.as_deref()),
                &java_list(e.actions.as_deref()),
                &java_list(e.source_ips.as_deref()),
                or_null(e.decision.as_deref()),
            ]));
        }
    }
    s
}

/// `getAcl`/`listAcl`: the header, then every entry of every ACL.
pub fn acls_table(acls: &[AclInfo]) -> String {
    let mut s = acl_line([
        "#Subject",
        "#PolicyType",
        "#Resource",
        "#Actions",
        "#SourceIp",
        "#Decision",
    ]);
    for acl in acls {
        s.push_str(&acl_rows(acl));
    }
    s
}

/// `PlainAccessConfig.toString()` (the secret key is left out, as Java leaves it out).
pub fn plain_access_config(c: &PlainAccessConfig) -> String {
    format!(
        "PlainAccessConfig{{accessKey='{}', whiteRemoteAddress='{}', admin={}, defaultTopicPerm='{}', defaultGroupPerm='{}', topicPerms={}, groupPerms={}}}",
        c.access_key,
        or_null(c.white_remote_address.as_deref()),
        c.admin,
        or_null(c.default_topic_perm.as_deref()),
        or_null(c.default_group_perm.as_deref()),
        java_list(c.topic_perms.as_deref()),
        java_list(c.group_perms.as_deref()),
    )
}

fn version_line(cols: [&str; 6]) -> String {
    let [cluster, broker, addr, path, counter, time] = cols;
    format!("{cluster:<16}  {broker:<22}  {addr:<22}  {path:<20}  {counter:<22}  {time:<22}\n")
}

/// `clusterAclConfigVersion -c`'s header.
pub fn acl_version_header() -> String {
    version_line([
        "#Cluster Name",
        "#Broker Name",
        "#Broker Addr",
        "#AclFilePath",
        "#AclConfigVersionNum",
        "#AclLastUpdateTime",
    ])
}

/// One row per ACL file of a broker (update time `yyyy-MM-dd HH:mm:ss`, local time).
pub fn acl_version_rows(info: &AclVersionInfo) -> String {
    let mut s = String::new();
    for (path, v) in &info.all_file_versions {
        s.push_str(&version_line([
            or_null(info.cluster_name.as_deref()),
            or_null(info.broker_name.as_deref()),
            or_null(info.broker_addr.as_deref()),
            path,
            &v.counter.to_string(),
            &human_seconds(v.timestamp),
        ]));
    }
    s
}

/// How the ACL 2.0 commands split `-r`/`-a`/`-i`: commons-lang `StringUtils.split(v, ',')`
/// (no empty pieces), each piece trimmed.
pub fn split_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| p.trim().to_string())
        .collect()
}

/// How `updateAclConfig` splits `-t`/`-g`: Java's `String.split(",")`, which does not trim
/// and keeps empty pieces except trailing ones (a value without a comma stays whole, even
/// when empty).
pub fn java_split(raw: &str) -> Vec<String> {
    if !raw.contains(',') {
        return vec![raw.to_string()];
    }
    let mut parts: Vec<String> = raw.split(',').map(str::to_string).collect();
    while parts.last().is_some_and(String::is_empty) {
        parts.pop();
    }
    parts
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use ferromq_model::{DataVersion, PolicyEntryInfo, PolicyInfo};

    use super::*;

    fn java_fmt(cols: &[&str], widths: &[usize]) -> String {
        let cells: Vec<String> = cols
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("{}\n", cells.join("  "))
    }

    #[test]
    fn user_table_has_getusers_format() {
        let users = [UserInfo {
            username: Some("alice".into()),
            password: Some("secret123".into()),
            user_type: Some("Normal".into()),
            user_status: Some("enable".into()),
        }];
        let t = users_table(&users);
        let w = [16, 22, 22, 22];
        assert_eq!(
            t,
            java_fmt(&["#UserName", "#Password", "#UserType", "#UserStatus"], &w)
                + &java_fmt(&["alice", "secret123", "Normal", "enable"], &w)
        );
        assert_eq!(
            t.lines().next().unwrap(),
            "#UserName         #Password               #UserType               #UserStatus           "
        );
        let sparse = users_table(&[UserInfo {
            username: Some("bob".into()),
            ..UserInfo::default()
        }]);
        assert!(sparse.ends_with(&java_fmt(&["bob", "null", "null", "null"], &w)));
    }

    #[test]
    fn acl_table_matches_the_verified_mqadmin_output() {
        let acl = AclInfo {
            subject: Some("User:alice".into()),
            policies: Some(vec![PolicyInfo {
                policy_type: Some("Custom".into()),
                entries: Some(vec![PolicyEntryInfo {
                    resource: Some("Topic:test".into()),
                    actions: Some(vec!["Pub".into(), "Sub".into()]),
                    source_ips: Some(vec!["192.168.0.0/24".into()]),
                    decision: Some("Allow".into()),
                }]),
            }]),
        };
        // docs/reference/acl-tls.md §3.8, from the real mqadmin 5.3.3
        assert_eq!(
            acls_table(&[acl]),
            "#Subject          #PolicyType  #Resource               #Actions              #SourceIp                 #Decision \n\
             User:alice        Custom      Topic:test              [Pub, Sub]            [192.168.0.0/24]          Allow     \n"
        );
        let bare = AclInfo {
            subject: Some("User:bob".into()),
            policies: Some(vec![PolicyInfo {
                policy_type: Some("Default".into()),
                entries: Some(vec![PolicyEntryInfo {
                    resource: Some("Topic:*".into()),
                    actions: Some(vec!["All".into()]),
                    source_ips: None,
                    decision: Some("Deny".into()),
                }]),
            }]),
        };
        let w = [16, 10, 22, 20, 24, 10];
        assert!(acls_table(&[bare]).ends_with(&java_fmt(
            &["User:bob", "Default", "Topic:*", "[All]", "null", "Deny"],
            &w
        )));
        let empty = AclInfo {
            subject: Some("User:carol".into()),
            policies: Some(vec![]),
        };
        assert!(acls_table(&[empty]).ends_with(&java_fmt(&["User:carol", "", "", "", "", ""], &w)));
    }

    #[test]
    fn plain_access_config_reads_like_javas_to_string() {
        let c = PlainAccessConfig {
            access_key: "RocketMQ".into(),
            secret_key: Some("12345678".into()),
            topic_perms: Some(vec!["topicA=DENY".into(), "topicB=PUB|SUB".into()]),
            default_topic_perm: Some("DENY".into()),
            ..PlainAccessConfig::default()
        };
        assert_eq!(
            plain_access_config(&c),
            "PlainAccessConfig{accessKey='RocketMQ', whiteRemoteAddress='null', admin=false, \
             defaultTopicPerm='DENY', defaultGroupPerm='null', topicPerms=[topicA=DENY, topicB=PUB|SUB], groupPerms=null}"
        );
    }

    #[test]
    fn acl_versions_have_the_commands_columns() {
        let info = AclVersionInfo {
            cluster_name: Some("DefaultCluster".into()),
            broker_name: Some("broker-a".into()),
            broker_addr: Some("192.168.0.1:10911".into()),
            version: None,
            all_file_versions: BTreeMap::from([(
                "/home/rocketmq/conf/plain_acl.yml".to_string(),
                DataVersion {
                    counter: 3,
                    state_version: 0,
                    timestamp: 0,
                },
            )]),
        };
        let w = [16, 22, 22, 20, 22, 22];
        assert_eq!(
            acl_version_header(),
            java_fmt(
                &[
                    "#Cluster Name",
                    "#Broker Name",
                    "#Broker Addr",
                    "#AclFilePath",
                    "#AclConfigVersionNum",
                    "#AclLastUpdateTime"
                ],
                &w
            )
        );
        let row = acl_version_rows(&info);
        let time = human_seconds(0);
        assert_eq!(
            row,
            java_fmt(
                &[
                    "DefaultCluster",
                    "broker-a",
                    "192.168.0.1:10911",
                    "/home/rocketmq/conf/plain_acl.yml",
                    "3",
                    &time
                ],
                &w
            )
        );
    }

    #[test]
    fn lists_split_as_mqadmin_splits_them() {
        assert_eq!(split_list("Topic:a, Group:b,,"), ["Topic:a", "Group:b"]);
        assert_eq!(split_list("Pub"), ["Pub"]);
        assert_eq!(java_split("a=PUB,b=SUB,,"), ["a=PUB", "b=SUB"]);
        assert_eq!(java_split(",a=PUB"), ["", "a=PUB"]);
        assert_eq!(java_split(""), [""]);
        assert!(java_split(",,").is_empty());
        assert_eq!(java_list(Some(&[])), "[]");
    }
}
