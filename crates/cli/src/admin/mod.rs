//! `ferromq admin`: mqadmin's commands — same names, option letters, long names and table
//! layouts — on top of `ferromq_client::Admin`, plus `--json` for scripts.
//!
//! - [`cli`]: the options of every command; [`help`]: mqadmin's command list and
//!   commons-cli-style help.
//! - [`cluster`], [`topic`], [`group`], [`reset`], [`query`], [`dump`], [`namesrv`]: the
//!   commands; [`raw`]: requests the client's admin API does not offer.
//! - [`auth`] (ACL 2.0 users and ACLs) and [`plain_acl`] (ACL 1.0 accounts), rendered by
//!   [`acl_format`]. Every client a command makes signs its requests with the credentials of
//!   `--access-key`/`--secret-key`, `ROCKETMQ_ACCESS_KEY`/`ROCKETMQ_SECRET_KEY` or
//!   `$ROCKETMQ_HOME/conf/tools.yml` (see [`Ctx::client_config`]).
//! - [`format`], [`pretty`]: Java's renderings (`toString()`, fastjson pretty JSON, dates);
//!   [`out`]: text vs JSON output and one-line errors.

mod acl_format;
mod auth;
mod cli;
mod cluster;
mod controller;
mod dump;
mod format;
mod group;
mod ha;
mod help;
mod namesrv;
mod out;
mod plain_acl;
mod pretty;
mod query;
mod raw;
mod reset;
mod topic;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::Args;
use ferromq_client::{Admin, ClientConfig, ClientError, Credentials};

use crate::credentials::CredentialArgs;
use cli::AdminCommand;
use out::Out;

/// What mqadmin says when a cluster name is unknown.
pub(crate) const NO_CLUSTER: &str =
    "Make sure the specified clusterName exists or the name server connected to is correct.";

/// Options of `ferromq admin`: an mqadmin command and its options. `-h` is left to the
/// commands (mqadmin's own `-h`); alone it lists them.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct AdminArgs {
    /// ACL credentials to sign requests with (before the command; mqadmin has no such
    /// options, it reads `$ROCKETMQ_HOME/conf/tools.yml`, which is the fallback here).
    #[command(flatten)]
    pub credentials: CredentialArgs,
    /// The mqadmin command and its options (`ferromq admin` alone lists the commands,
    /// `ferromq admin help <command>` shows one command's options).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// What a command runs against.
pub(crate) struct Ctx {
    pub admin: Admin,
    /// `-n` as given (`a:9876;b:9876`).
    pub namesrv: String,
    /// `-n` split into addresses.
    pub namesrv_addrs: Vec<String>,
    /// What every client of the command signs its requests with.
    credentials: Option<Credentials>,
}

impl Ctx {
    fn new(namesrv: &str, credentials: Option<Credentials>) -> Self {
        Ctx {
            namesrv_addrs: ClientConfig::new(namesrv).namesrv_addrs,
            namesrv: namesrv.to_string(),
            admin: Admin::new(ClientConfig {
                credentials: credentials.clone(),
                ..ClientConfig::new(namesrv)
            }),
            credentials,
        }
    }

    /// Settings for another client of this command (a producer, one NameServer's admin):
    /// the NameServers `namesrv` and the command's credentials. Every client a command makes
    /// is built from here, so none goes out unsigned.
    pub fn client_config(&self, namesrv: &str) -> ClientConfig {
        ClientConfig {
            credentials: self.credentials.clone(),
            ..ClientConfig::new(namesrv)
        }
    }

    /// An admin client for one NameServer of the list.
    pub fn one_namesrv(&self, addr: &str) -> Admin {
        Admin::new(self.client_config(addr))
    }

    /// A client error on one line.
    pub fn describe(&self, e: &ClientError) -> String {
        out::describe(e, &self.namesrv_addrs)
    }

    /// Master addresses of `cluster`, sorted; an unknown cluster is an error.
    pub async fn masters(&self, cluster: &str) -> anyhow::Result<Vec<String>> {
        let info = self.admin.cluster_info().await?;
        if !info.cluster_addr_table.contains_key(cluster) {
            anyhow::bail!(NO_CLUSTER);
        }
        let mut m: Vec<String> = info
            .master_addrs_of_cluster(cluster)
            .into_iter()
            .map(str::to_string)
            .collect();
        m.sort();
        Ok(m)
    }

    /// Every broker address (masters and slaves) of `cluster`, sorted.
    pub async fn all_addrs(&self, cluster: &str) -> anyhow::Result<Vec<String>> {
        let info = self.admin.cluster_info().await?;
        if !info.cluster_addr_table.contains_key(cluster) {
            anyhow::bail!(NO_CLUSTER);
        }
        let mut a: Vec<String> = info
            .all_addrs_of_cluster(cluster)
            .into_iter()
            .map(str::to_string)
            .collect();
        a.sort();
        a.dedup();
        Ok(a)
    }
}

/// The command name as mqadmin matches it (case-insensitively, aliases too), or `None`.
fn canonical_name(root: &clap::Command, name: &str) -> Option<String> {
    root.get_subcommands()
        .find(|s| {
            std::iter::once(s.get_name())
                .chain(s.get_all_aliases())
                .any(|n| n.eq_ignore_ascii_case(name))
        })
        .map(|s| s.get_name().to_string())
}

/// A clap parse error of command `cmd` as one line, in commons-cli's words where it has
/// them (`Missing required option: t`).
fn usage_error(cmd: Option<&clap::Command>, e: &clap::Error) -> String {
    let names = |kind| match e.get(kind) {
        Some(ContextValue::Strings(v)) => v.join(", "),
        Some(ContextValue::String(s)) => s.clone(),
        _ => String::new(),
    };
    match e.kind() {
        ErrorKind::MissingRequiredArgument => {
            let mut missing = names(ContextKind::InvalidArg);
            for arg in cmd.into_iter().flat_map(|c| c.get_arguments()) {
                if let (Some(long), Some(short)) = (arg.get_long(), arg.get_short()) {
                    for form in [format!("--{long} <arg>"), format!("--{long}")] {
                        missing = missing.replace(&form, &short.to_string());
                    }
                }
            }
            // A required group reads `<b|c>`.
            if missing.starts_with('<') && missing.contains('|') {
                missing = format!(
                    "one of {}",
                    missing
                        .trim_matches(|c| c == '<' || c == '>')
                        .replace('|', ", ")
                );
            }
            format!("Missing required option: {missing}")
        }
        ErrorKind::UnknownArgument => {
            format!("Unrecognized option: {}", names(ContextKind::InvalidArg))
        }
        _ => e
            .render()
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_string(),
    }
}

/// Runs an admin command.
pub async fn run(args: AdminArgs) -> anyhow::Result<()> {
    let root = cli::command();
    let mut rest = args.rest;
    let json = rest.iter().any(|a| a == "--json");
    let positional: Vec<&String> = rest.iter().filter(|a| *a != "--json").collect();
    let Some(first) = positional.first() else {
        print!("{}", help::command_list(&root));
        return Ok(());
    };
    if ["-h", "--help"].contains(&first.as_str()) {
        print!("{}", help::command_list(&root));
        return Ok(());
    }
    if first.as_str() == "help" {
        let Some(name) = positional.get(1) else {
            print!("{}", help::command_list(&root));
            return Ok(());
        };
        return match canonical_name(&root, name) {
            Some(n) => {
                print!("{}", help::command_help(&root, &n).unwrap_or_default());
                Ok(())
            }
            None => {
                eprintln!("Error: The sub command {name} not exist.");
                std::process::exit(1);
            }
        };
    }
    let Some(name) = canonical_name(&root, first) else {
        eprintln!("Error: The sub command {first} not exist.");
        std::process::exit(1);
    };
    if let Some(pos) = rest.iter().position(|a| a == first.as_str()) {
        rest[pos] = name.clone();
    }
    if rest.iter().any(|a| a == "-h" || a == "--help") {
        print!("{}", help::command_help(&root, &name).unwrap_or_default());
        return Ok(());
    }
    let parsed = match cli::parse(&rest) {
        Ok(p) => p,
        Err(e) => {
            eprint!("{}", help::command_help(&root, &name).unwrap_or_default());
            eprintln!("Error: {}", usage_error(root.find_subcommand(&name), &e));
            std::process::exit(1);
        }
    };
    let credentials = match args.credentials.resolve() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Error: {e}");
            std::process::exit(1);
        }
    };
    let ctx = Ctx::new(&parsed.command.common().namesrv, credentials);
    let result = dispatch(&ctx, parsed.command, json).await;
    ctx.admin.shutdown().await;
    if let Err(e) = result {
        let detail = match e.downcast_ref::<ClientError>() {
            Some(c) => ctx.describe(c),
            None => out::chain(e.as_ref()),
        };
        // One line and a non-zero exit, whatever RUST_BACKTRACE says (an `anyhow::Error`
        // returned to `main` would print its backtrace).
        eprintln!("Error: {name} command failed: {detail}");
        std::process::exit(1);
    }
    Ok(())
}

async fn dispatch(ctx: &Ctx, command: AdminCommand, json: bool) -> anyhow::Result<()> {
    use AdminCommand::*;
    if let ClusterList(a) = command {
        return cluster::cluster_list(ctx, a, json).await;
    }
    let mut out = Out::new(json);
    match command {
        UpdateTopic(a) => topic::update_topic(ctx, a, &mut out).await?,
        DeleteTopic(a) => topic::delete_topic(ctx, a, &mut out).await?,
        UpdateSubGroup(a) => group::update_sub_group(ctx, a, &mut out).await?,
        DeleteSubGroup(a) => group::delete_sub_group(ctx, a, &mut out).await?,
        SetConsumeMode(a) => group::set_consume_mode(ctx, a, &mut out).await?,
        UpdateBrokerConfig(a) => cluster::update_broker_config(ctx, a, &mut out).await?,
        TopicRoute(a) => topic::topic_route(ctx, a, &mut out).await?,
        TopicStatus(a) => topic::topic_status(ctx, a, &mut out).await?,
        BrokerStatus(a) => cluster::broker_status(ctx, a, &mut out).await?,
        HaStatus(a) => ha::ha_status(ctx, a, &mut out).await?,
        GetSyncStateSet(a) => controller::get_sync_state_set(ctx, a, &mut out).await?,
        GetBrokerEpoch(a) => controller::get_broker_epoch(ctx, a, &mut out).await?,
        GetControllerMetaData(a) => controller::get_controller_metadata(ctx, a, &mut out).await?,
        ElectMaster(a) => controller::elect_master(ctx, a, &mut out).await?,
        CleanBrokerMetadata(a) => controller::clean_broker_metadata(ctx, a, &mut out).await?,
        QueryMsgById(a) => query::query_msg_by_id(ctx, a, &mut out).await?,
        QueryMsgByKey(a) => query::query_msg_by_key(ctx, a, &mut out).await?,
        QueryMsgByOffset(a) => query::query_msg_by_offset(ctx, a, &mut out).await?,
        PrintMsg(a) => dump::print_msg(ctx, a, &mut out).await?,
        ProducerConnection(a) => group::producer_connection(ctx, a, &mut out).await?,
        ConsumerConnection(a) => group::consumer_connection(ctx, a, &mut out).await?,
        ConsumerProgress(a) => group::consumer_progress(ctx, a, &mut out).await?,
        ClusterList(_) => {}
        TopicList(a) => topic::topic_list(ctx, a, &mut out).await?,
        UpdateKvConfig(a) => namesrv::update_kv_config(ctx, a, &mut out).await?,
        DeleteKvConfig(a) => namesrv::delete_kv_config(ctx, a, &mut out).await?,
        WipeWritePerm(a) => namesrv::write_perm(ctx, a, false, &mut out).await?,
        AddWritePerm(a) => namesrv::write_perm(ctx, a, true, &mut out).await?,
        ResetOffsetByTime(a) => reset::reset_offset_by_time(ctx, a, &mut out).await?,
        SkipAccumulatedMessage(a) => reset::skip_accumulated(ctx, a, &mut out).await?,
        GetNamesrvConfig(a) => namesrv::get_namesrv_config(ctx, a, &mut out).await?,
        GetBrokerConfig(a) => cluster::get_broker_config(ctx, a, &mut out).await?,
        SendMessage(a) => namesrv::send_message(ctx, a, &mut out).await?,
        ConsumeMessage(a) => dump::consume_message(ctx, a, &mut out).await?,
        UpdateAclConfig(a) => plain_acl::update_acl_config(ctx, a, &mut out).await?,
        DeleteAclConfig(a) => plain_acl::delete_acl_config(ctx, a, &mut out).await?,
        ClusterAclConfigVersion(a) => {
            plain_acl::cluster_acl_config_version(ctx, a, &mut out).await?
        }
        UpdateGlobalWhiteAddr(a) => plain_acl::update_global_white_addr(ctx, a, &mut out).await?,
        CreateUser(a) => auth::create_user(ctx, a, &mut out).await?,
        UpdateUser(a) => auth::update_user(ctx, a, &mut out).await?,
        DeleteUser(a) => auth::delete_user(ctx, a, &mut out).await?,
        GetUser(a) => auth::get_user(ctx, a, &mut out).await?,
        ListUser(a) => auth::list_user(ctx, a, &mut out).await?,
        CopyUser(a) => auth::copy_user(ctx, a, &mut out).await?,
        CreateAcl(a) => auth::create_acl(ctx, a, &mut out).await?,
        UpdateAcl(a) => auth::update_acl(ctx, a, &mut out).await?,
        DeleteAcl(a) => auth::delete_acl(ctx, a, &mut out).await?,
        GetAcl(a) => auth::get_acl(ctx, a, &mut out).await?,
        ListAcl(a) => auth::list_acl(ctx, a, &mut out).await?,
        CopyAcl(a) => auth::copy_acl(ctx, a, &mut out).await?,
    }
    out.finish();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_case_insensitively() {
        let root = cli::command();
        assert_eq!(
            canonical_name(&root, "CLUSTERLIST").as_deref(),
            Some("clusterList")
        );
        assert_eq!(canonical_name(&root, "nope"), None);
        assert_eq!(
            canonical_name(&root, "deleteaccessconfig").as_deref(),
            Some("deleteAclConfig")
        );
    }

    #[test]
    fn usage_errors_read_like_commons_cli() {
        let args: Vec<String> = ["topicRoute"].iter().map(|s| s.to_string()).collect();
        let root = cli::command();
        let sub = root.find_subcommand("topicRoute");
        let e = cli::parse(&args).unwrap_err();
        assert_eq!(usage_error(sub, &e), "Missing required option: t");
        let args: Vec<String> = ["topicRoute", "-t", "T", "-z"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let e = cli::parse(&args).unwrap_err();
        assert_eq!(usage_error(sub, &e), "Unrecognized option: -z");
    }
}
