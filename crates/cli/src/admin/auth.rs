//! ACL 2.0 commands (mqadmin 5.3): `createUser`, `updateUser`, `deleteUser`, `getUser`,
//! `listUser`, `copyUser`, `createAcl`, `updateAcl`, `deleteAcl`, `getAcl`, `listAcl`,
//! `copyAcl`.
//!
//! Users and ACLs are kept per broker and never replicated, so with `-c` a write goes to every
//! master *and slave* of the cluster (or a slave taking over would not know the user), while a
//! read asks the masters. A write stops at the first broker that refuses it, as mqadmin does.

use anyhow::{bail, Result};
use ferromq_model::{AclInfo, PolicyEntryInfo, PolicyInfo, UserInfo};
use serde_json::json;

use super::acl_format::{acls_table, split_list, users_table};
use super::cli::{
    CopyAclArgs, CopyUserArgs, CreateAclArgs, CreateUserArgs, DeleteAclArgs, DeleteUserArgs,
    GetAclArgs, GetUserArgs, ListAclArgs, ListUserArgs, UpdateAclArgs, UpdateUserArgs,
};
use super::out::Out;
use super::Ctx;

/// Where a write goes: the broker `-b`, or every master and slave of the cluster `-c`.
pub(crate) async fn write_targets(
    ctx: &Ctx,
    broker: Option<&String>,
    cluster: Option<&String>,
) -> Result<Vec<String>> {
    match (broker, cluster) {
        (Some(b), _) => Ok(vec![b.clone()]),
        (None, Some(c)) => ctx.all_addrs(c).await,
        (None, None) => bail!("-b or -c is required"),
    }
}

/// Where a read goes: the broker `-b`, or the masters of the cluster `-c` (none is an error,
/// as in mqadmin).
async fn read_targets(
    ctx: &Ctx,
    broker: Option<&String>,
    cluster: Option<&String>,
) -> Result<Vec<String>> {
    match (broker, cluster) {
        (Some(b), _) => Ok(vec![b.clone()]),
        (None, Some(c)) => {
            let masters = ctx.masters(c).await?;
            if masters.is_empty() {
                bail!("there is no broker in cluster.");
            }
            Ok(masters)
        }
        (None, None) => bail!("-b or -c is required"),
    }
}

/// `createUser`.
pub async fn create_user(ctx: &Ctx, args: CreateUserArgs, out: &mut Out) -> Result<()> {
    let user = UserInfo {
        username: Some(args.username),
        password: Some(args.password),
        user_type: args.user_type,
        user_status: None,
    };
    let targets = write_targets(ctx, args.broker_addr.as_ref(), args.cluster_name.as_ref()).await?;
    for addr in &targets {
        ctx.admin.create_user(addr, &user).await?;
        out.line(format!("create user to {addr} success."));
    }
    out.set_json(json!({ "username": user.username, "brokers": targets }));
    Ok(())
}

/// `updateUser`: only the given one of password, type and status changes.
pub async fn update_user(ctx: &Ctx, args: UpdateUserArgs, out: &mut Out) -> Result<()> {
    let user = UserInfo {
        username: Some(args.username),
        password: args.password,
        user_type: args.user_type,
        user_status: args.user_status,
    };
    let targets = write_targets(ctx, args.broker_addr.as_ref(), args.cluster_name.as_ref()).await?;
    for addr in &targets {
        ctx.admin.update_user(addr, &user).await?;
        out.line(format!("update user to {addr} success."));
    }
    out.set_json(json!({ "username": user.username, "brokers": targets }));
    Ok(())
}

/// `deleteUser` (the broker drops the user's ACL with it).
pub async fn delete_user(ctx: &Ctx, args: DeleteUserArgs, out: &mut Out) -> Result<()> {
    let targets = write_targets(ctx, args.broker_addr.as_ref(), args.cluster_name.as_ref()).await?;
    for addr in &targets {
        ctx.admin.delete_user(addr, &args.username).await?;
        out.line(format!("delete user to {addr} success."));
    }
    out.set_json(json!({ "username": args.username, "brokers": targets }));
    Ok(())
}

/// `getUser`: from `-b`, or from the first master of `-c` that has the user; nothing when
/// none has it.
pub async fn get_user(ctx: &Ctx, args: GetUserArgs, out: &mut Out) -> Result<()> {
    let targets = read_targets(ctx, args.broker_addr.as_ref(), args.cluster_name.as_ref()).await?;
    for addr in &targets {
        if let Some(user) = ctx.admin.get_user(addr, args.username.as_deref()).await? {
            out.text(users_table(std::slice::from_ref(&user)));
            out.set_json(json!(user));
            break;
        }
    }
    Ok(())
}

/// `listUser`: from `-b`, or from the first master of `-c` with any match (then naming it).
pub async fn list_user(ctx: &Ctx, args: ListUserArgs, out: &mut Out) -> Result<()> {
    let by_cluster = args.broker_addr.is_none();
    let targets = read_targets(ctx, args.broker_addr.as_ref(), args.cluster_name.as_ref()).await?;
    out.set_json(json!([]));
    for addr in &targets {
        let users = ctx.admin.list_users(addr, args.filter.as_deref()).await?;
        if users.is_empty() {
            continue;
        }
        out.text(users_table(&users));
        out.set_json(json!(users));
        if by_cluster {
            out.line(format!("get user from {addr} success."));
        }
        break;
    }
    Ok(())
}

/// `copyUser`: the users named in `-u` (all without it) of broker `-f`, created on broker
/// `-t` or — where they exist — updated there.
pub async fn copy_user(ctx: &Ctx, args: CopyUserArgs, out: &mut Out) -> Result<()> {
    let (from, to) = (&args.from_broker, &args.to_broker);
    let users = match args.usernames.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(names) => {
            let mut found = Vec::new();
            for name in split_list(names) {
                found.extend(ctx.admin.get_user(from, Some(&name)).await?);
            }
            found
        }
        None => ctx.admin.list_users(from, None).await?,
    };
    let mut copied = Vec::new();
    for user in users {
        let name = user.username.clone().unwrap_or_default();
        if ctx.admin.get_user(to, Some(&name)).await?.is_none() {
            ctx.admin.create_user(to, &user).await?;
        } else {
            ctx.admin.update_user(to, &user).await?;
        }
        out.line(format!("copy user of {name} from {from} to {to} success."));
        copied.push(name);
    }
    out.set_json(json!({ "from": from, "to": to, "usernames": copied }));
    Ok(())
}

/// mqadmin's `AclInfo.of`: one policy (of no named type, i.e. Custom) with an entry per
/// resource, each with the same actions, source IPs and decision.
fn acl_of(
    subject: String,
    resources: &str,
    actions: &str,
    source_ips: Option<&str>,
    decision: String,
) -> AclInfo {
    let actions = split_list(actions);
    let source_ips = source_ips.map(split_list);
    let entries = split_list(resources)
        .into_iter()
        .map(|resource| PolicyEntryInfo {
            resource: Some(resource),
            actions: Some(actions.clone()),
            source_ips: source_ips.clone(),
            decision: Some(decision.clone()),
        })
        .collect();
    AclInfo {
        subject: Some(subject),
        policies: Some(vec![PolicyInfo {
            policy_type: None,
            entries: Some(entries),
        }]),
    }
}

/// `createAcl`.
pub async fn create_acl(ctx: &Ctx, args: CreateAclArgs, out: &mut Out) -> Result<()> {
    let acl = acl_of(
        args.subject,
        &args.resources,
        &args.actions,
        args.source_ip.as_deref(),
        args.decision,
    );
    let (broker, cluster) = (args.broker_addr.as_ref(), args.cluster_name.as_ref());
    write_acl(ctx, acl, broker, cluster, false, out).await
}

/// `updateAcl` (the broker merges it into the subject's ACL exactly as a create).
pub async fn update_acl(ctx: &Ctx, args: UpdateAclArgs, out: &mut Out) -> Result<()> {
    let acl = acl_of(
        args.subject,
        &args.resources,
        &args.actions,
        args.source_ip.as_deref(),
        args.decision,
    );
    let (broker, cluster) = (args.broker_addr.as_ref(), args.cluster_name.as_ref());
    write_acl(ctx, acl, broker, cluster, true, out).await
}

/// Sends `acl` to every write target with AUTH_CREATE_ACL, or AUTH_UPDATE_ACL when `update`.
async fn write_acl(
    ctx: &Ctx,
    acl: AclInfo,
    broker: Option<&String>,
    cluster: Option<&String>,
    update: bool,
    out: &mut Out,
) -> Result<()> {
    let targets = write_targets(ctx, broker, cluster).await?;
    let verb = if update { "update" } else { "create" };
    for addr in &targets {
        if update {
            ctx.admin.update_acl(addr, &acl).await?;
        } else {
            ctx.admin.create_acl(addr, &acl).await?;
        }
        out.line(format!("{verb} acl to {addr} success."));
    }
    out.set_json(json!({ "acl": acl, "brokers": targets }));
    Ok(())
}

/// `deleteAcl`: the subject's whole ACL, or its entry for the resource `-r`.
pub async fn delete_acl(ctx: &Ctx, args: DeleteAclArgs, out: &mut Out) -> Result<()> {
    let targets = write_targets(ctx, args.broker_addr.as_ref(), args.cluster_name.as_ref()).await?;
    for addr in &targets {
        ctx.admin
            .delete_acl(addr, &args.subject, args.resource.as_deref())
            .await?;
        out.line(format!("delete acl to {addr} success."));
    }
    out.set_json(json!({ "subject": args.subject, "resource": args.resource, "brokers": targets }));
    Ok(())
}

/// `getAcl`: from `-b`, or from every master of `-c` that has it (one table each).
pub async fn get_acl(ctx: &Ctx, args: GetAclArgs, out: &mut Out) -> Result<()> {
    let targets = read_targets(ctx, args.broker_addr.as_ref(), args.cluster_name.as_ref()).await?;
    let mut found = Vec::new();
    for addr in &targets {
        if let Some(acl) = ctx.admin.get_acl(addr, args.subject.as_deref()).await? {
            out.text(acls_table(std::slice::from_ref(&acl)));
            found.push(json!({ "broker": addr, "acl": acl }));
        }
    }
    out.set_json(json!(found));
    Ok(())
}

/// `listAcl`: from `-b`, or from every master of `-c` with any match (one table each; the
/// fact sheet says the first only, mqadmin 5.3.3's loop does not stop).
pub async fn list_acl(ctx: &Ctx, args: ListAclArgs, out: &mut Out) -> Result<()> {
    let targets = read_targets(ctx, args.broker_addr.as_ref(), args.cluster_name.as_ref()).await?;
    let mut found = Vec::new();
    for addr in &targets {
        let acls = ctx
            .admin
            .list_acls(addr, args.subject.as_deref(), args.resource.as_deref())
            .await?;
        if !acls.is_empty() {
            out.text(acls_table(&acls));
            found.push(json!({ "broker": addr, "acls": acls }));
        }
    }
    out.set_json(json!(found));
    Ok(())
}

/// `copyAcl`: the ACLs of the subjects in `-s` (all without it) of broker `-f`, created on
/// broker `-t` or — where the subject has one — merged into it.
pub async fn copy_acl(ctx: &Ctx, args: CopyAclArgs, out: &mut Out) -> Result<()> {
    let (from, to) = (&args.from_broker, &args.to_broker);
    let acls = match args.subjects.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(subjects) => {
            let mut found = Vec::new();
            for subject in split_list(subjects) {
                found.extend(ctx.admin.get_acl(from, Some(&subject)).await?);
            }
            found
        }
        None => ctx.admin.list_acls(from, None, None).await?,
    };
    let mut copied = Vec::new();
    for acl in acls {
        let subject = acl.subject.clone().unwrap_or_default();
        if ctx.admin.get_acl(to, Some(&subject)).await?.is_none() {
            ctx.admin.create_acl(to, &acl).await?;
        } else {
            ctx.admin.update_acl(to, &acl).await?;
        }
        out.line(format!(
            "copy acl of {subject} from {from} to {to} success."
        ));
        copied.push(subject);
    }
    out.set_json(json!({ "from": from, "to": to, "subjects": copied }));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_of_builds_what_mqadmin_sends() {
        let acl = acl_of(
            "User:alice".into(),
            "Topic:test",
            "Pub,Sub",
            Some("192.168.0.0/24"),
            "Allow".into(),
        );
        assert_eq!(
            serde_json::to_string(&acl).unwrap(),
            r#"{"policies":[{"entries":[{"actions":["Pub","Sub"],"decision":"Allow","resource":"Topic:test","sourceIps":["192.168.0.0/24"]}]}],"subject":"User:alice"}"#
        );
        let two = acl_of(
            "User:bob".into(),
            "Topic:a, Group:g",
            "Sub",
            None,
            "Deny".into(),
        );
        let entries = two.policies.unwrap()[0].entries.clone().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].resource.as_deref(), Some("Group:g"));
        assert_eq!(entries[1].source_ips, None);
    }
}
