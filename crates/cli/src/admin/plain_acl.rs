//! ACL 1.0 commands (mqadmin 4.4–5.3.2): `updateAclConfig`, `deleteAclConfig`,
//! `updateGlobalWhiteAddr`, `clusterAclConfigVersion`. Writes with `-c` go to every master and
//! slave (each broker has its own `plain_acl.yml`); the version listing asks the masters.
//! Brokers of RocketMQ 5.3.3 and later no longer serve these (code 3).

use anyhow::Result;
use ferromq_client::PlainAccessConfig;
use serde_json::json;

use super::acl_format::{acl_version_header, acl_version_rows, java_split, plain_access_config};
use super::auth::write_targets;
use super::cli::{
    ClusterAclConfigVersionArgs, DeleteAclConfigArgs, UpdateAclConfigArgs,
    UpdateGlobalWhiteAddrArgs,
};
use super::out::Out;
use super::Ctx;

/// The account `updateAclConfig` sends.
fn access_config(args: &UpdateAclConfigArgs) -> PlainAccessConfig {
    PlainAccessConfig {
        access_key: args.access_key.clone(),
        secret_key: Some(args.secret_key.clone()),
        white_remote_address: args.white_remote_address.clone(),
        admin: args.admin.unwrap_or(false),
        default_topic_perm: args.default_topic_perm.clone(),
        default_group_perm: args.default_group_perm.clone(),
        topic_perms: args.topic_perms.as_deref().map(java_split),
        group_perms: args.group_perms.as_deref().map(java_split),
    }
}

/// `updateAclConfig`: one line per broker, then the account as Java's `toString` (no
/// newline, as mqadmin prints it).
pub async fn update_acl_config(ctx: &Ctx, args: UpdateAclConfigArgs, out: &mut Out) -> Result<()> {
    let config = access_config(&args);
    let targets = write_targets(ctx, args.broker_addr.as_ref(), args.cluster_name.as_ref()).await?;
    for addr in &targets {
        ctx.admin.update_plain_access_config(addr, &config).await?;
        out.line(format!(
            "create or update plain access config to {addr} success."
        ));
    }
    out.text(plain_access_config(&config));
    out.set_json(json!({
        "accessKey": config.access_key,
        "whiteRemoteAddress": config.white_remote_address,
        "admin": config.admin,
        "defaultTopicPerm": config.default_topic_perm,
        "defaultGroupPerm": config.default_group_perm,
        "topicPerms": config.topic_perms,
        "groupPerms": config.group_perms,
        "brokers": targets,
    }));
    Ok(())
}

/// `deleteAclConfig`.
pub async fn delete_acl_config(ctx: &Ctx, args: DeleteAclConfigArgs, out: &mut Out) -> Result<()> {
    let targets = write_targets(ctx, args.broker_addr.as_ref(), args.cluster_name.as_ref()).await?;
    for addr in &targets {
        ctx.admin
            .delete_plain_access_config(addr, &args.access_key)
            .await?;
        out.line(format!(
            "delete plain access config account from {addr} success."
        ));
    }
    out.text(format!("account's accessKey is:{}", args.access_key));
    out.set_json(json!({ "accessKey": args.access_key, "brokers": targets }));
    Ok(())
}

/// `updateGlobalWhiteAddr`.
pub async fn update_global_white_addr(
    ctx: &Ctx,
    args: UpdateGlobalWhiteAddrArgs,
    out: &mut Out,
) -> Result<()> {
    let addrs = &args.global_white_remote_addresses;
    let file = args.acl_file_full_path.as_deref();
    let targets = write_targets(ctx, args.broker_addr.as_ref(), args.cluster_name.as_ref()).await?;
    for addr in &targets {
        ctx.admin
            .update_global_white_addrs(addr, addrs, file)
            .await?;
        out.line(format!(
            "update global white remote addresses to {addr} success."
        ));
    }
    out.set_json(json!({ "globalWhiteAddrs": addrs, "aclFileFullPath": file, "brokers": targets }));
    Ok(())
}

/// `clusterAclConfigVersion`: `-b` prints one broker's files without a header; `-c` the
/// files of every master under a header.
pub async fn cluster_acl_config_version(
    ctx: &Ctx,
    args: ClusterAclConfigVersionArgs,
    out: &mut Out,
) -> Result<()> {
    let mut docs = Vec::new();
    if let Some(addr) = &args.broker_addr {
        let info = ctx.admin.acl_version_info(addr).await?;
        out.text(acl_version_rows(&info));
        out.text(format!(
            "get broker's plain access config version success. Address:{addr} \n"
        ));
        docs.push(version_json(&info));
    } else if let Some(cluster) = &args.cluster_name {
        let masters = ctx.masters(cluster).await?;
        out.text(acl_version_header());
        for addr in &masters {
            let info = ctx.admin.acl_version_info(addr).await?;
            out.text(acl_version_rows(&info));
            docs.push(version_json(&info));
        }
        out.line("get cluster's plain access config version success.");
    }
    out.set_json(json!(docs));
    Ok(())
}

fn version_json(info: &ferromq_client::AclVersionInfo) -> serde_json::Value {
    json!({
        "clusterName": info.cluster_name,
        "brokerName": info.broker_name,
        "brokerAddr": info.broker_addr,
        "version": info.version,
        "allAclFileVersion": info.all_file_versions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::cli::{parse, AdminCommand};

    #[test]
    fn update_acl_config_sends_what_mqadmin_sends() {
        let args: Vec<String> = [
            "updateAclConfig",
            "-b",
            "127.0.0.1:10911",
            "-a",
            " RocketMQ ",
            "-s",
            "12345678",
            "-t",
            "topicA=DENY,topicB=PUB|SUB",
            "-m",
            "TRUE",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let AdminCommand::UpdateAclConfig(a) = parse(&args).unwrap().command else {
            panic!("wrong command")
        };
        let c = access_config(&a);
        assert_eq!(c.access_key, "RocketMQ");
        assert!(c.admin);
        assert_eq!(
            c.topic_perms.as_deref(),
            Some(&["topicA=DENY".to_string(), "topicB=PUB|SUB".to_string()][..])
        );
        assert_eq!(c.group_perms, None);
    }
}
