//! The command line of `ferromq admin`: mqadmin's command names, option letters, long names and
//! descriptions (commons-cli `Option("t", "topic", true, "topic name")` becomes
//! `-t/--topic <arg>`). Values are trimmed and booleans read like Java's `Boolean.parseBoolean`
//! where the commands use them.

use clap::{Args, Parser, Subcommand};

mod auth_args;
mod group_args;
mod message_args;
mod plain_acl_args;
mod server_args;
mod topic_args;

pub use auth_args::*;
pub use group_args::*;
pub use message_args::*;
pub use plain_acl_args::*;
pub use server_args::*;
pub use topic_args::*;

/// Options every command has (mqadmin's `ServerUtil.buildCommandlineOptions`).
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Print help
    #[arg(verbatim_doc_comment, short = 'h', long = "help")]
    pub help: bool,
    /// Name server address list, eg: '192.168.0.1:9876;192.168.0.2:9876'
    #[arg(
        verbatim_doc_comment,
        short = 'n',
        long = "namesrvAddr",
        value_name = "arg",
        env = "NAMESRV_ADDR",
        default_value = "127.0.0.1:9876",
        hide_env = true,
        hide_default_value = true
    )]
    pub namesrv: String,
}

/// `ferromq admin [--json] <command> [options]`.
#[derive(Debug, Parser)]
#[command(
    name = "mqadmin",
    no_binary_name = true,
    disable_help_flag = true,
    disable_help_subcommand = true,
    disable_version_flag = true
)]
pub struct AdminCli {
    /// Print machine-readable JSON instead of mqadmin's tables
    #[arg(verbatim_doc_comment, long, global = true)]
    pub json: bool,
    /// The command.
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// The clap command: [`AdminCli`] with clap's own `-h`/`--help` switched off everywhere, since
/// `-h` is an mqadmin option rendered by [`super::help`].
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    AdminCli::command().mut_subcommands(|s| s.disable_help_flag(true))
}

/// mqadmin's options whose short name has several letters (commons-cli allows them, clap
/// does not): rewritten to their long names before parsing.
const MULTI_LETTER_SHORTS: &[(&str, &str)] = &[("-bn", "--brokerName")];

/// Parses `args` (the command name first).
pub fn parse(args: &[String]) -> Result<AdminCli, clap::Error> {
    use clap::FromArgMatches;
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            MULTI_LETTER_SHORTS
                .iter()
                .find(|(short, _)| a == short)
                .map_or_else(|| a.clone(), |(_, long)| long.to_string())
        })
        .collect();
    let matches = command().try_get_matches_from(&args)?;
    AdminCli::from_arg_matches(&matches)
}

/// Java's `Boolean.parseBoolean`: `true` in any case is true, anything else false.
pub fn java_bool(s: &str) -> Result<bool, String> {
    Ok(s.trim().eq_ignore_ascii_case("true"))
}

/// A trimmed string value (mqadmin trims every option value it reads).
pub fn trimmed(s: &str) -> Result<String, String> {
    Ok(s.trim().to_string())
}

/// The commands, in the order `mqadmin` lists them.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Update or create topic.
    #[command(verbatim_doc_comment, name = "updateTopic")]
    UpdateTopic(UpdateTopicArgs),
    /// Delete topic from broker and NameServer.
    #[command(verbatim_doc_comment, name = "deleteTopic")]
    DeleteTopic(DeleteTopicArgs),
    /// Update or create subscription group.
    #[command(verbatim_doc_comment, name = "updateSubGroup")]
    UpdateSubGroup(UpdateSubGroupArgs),
    /// Delete subscription group from broker.
    #[command(verbatim_doc_comment, name = "deleteSubGroup")]
    DeleteSubGroup(DeleteSubGroupArgs),
    /// Set consume message mode. pull/pop etc.
    #[command(verbatim_doc_comment, name = "setConsumeMode")]
    SetConsumeMode(SetConsumeModeArgs),
    /// Update broker's config.
    #[command(verbatim_doc_comment, name = "updateBrokerConfig")]
    UpdateBrokerConfig(UpdateBrokerConfigArgs),
    /// Examine topic route info.
    #[command(verbatim_doc_comment, name = "topicRoute")]
    TopicRoute(TopicRouteArgs),
    /// Examine topic Status info.
    #[command(verbatim_doc_comment, name = "topicStatus")]
    TopicStatus(TopicStatusArgs),
    /// Fetch broker runtime status data.
    #[command(verbatim_doc_comment, name = "brokerStatus")]
    BrokerStatus(BrokerStatusArgs),
    /// Fetch ha runtime status data.
    #[command(verbatim_doc_comment, name = "haStatus")]
    HaStatus(HaStatusArgs),
    /// Fetch syncStateSet for target brokers.
    #[command(verbatim_doc_comment, name = "getSyncStateSet")]
    GetSyncStateSet(GetSyncStateSetArgs),
    /// Fetch broker epoch entries.
    #[command(verbatim_doc_comment, name = "getBrokerEpoch")]
    GetBrokerEpoch(GetBrokerEpochArgs),
    /// Get controller cluster's metadata.
    #[command(verbatim_doc_comment, name = "getControllerMetaData")]
    GetControllerMetaData(ControllerAddrArgs),
    /// Re-elect the specified broker as master.
    #[command(verbatim_doc_comment, name = "electMaster")]
    ElectMaster(ElectMasterArgs),
    /// Clean metadata of broker on controller.
    #[command(verbatim_doc_comment, name = "cleanBrokerMetadata")]
    CleanBrokerMetadata(CleanBrokerMetadataArgs),
    /// Query Message by Id.
    #[command(verbatim_doc_comment, name = "queryMsgById")]
    QueryMsgById(QueryMsgByIdArgs),
    /// Query Message by Key.
    #[command(verbatim_doc_comment, name = "queryMsgByKey")]
    QueryMsgByKey(QueryMsgByKeyArgs),
    /// Query Message by offset.
    #[command(verbatim_doc_comment, name = "queryMsgByOffset")]
    QueryMsgByOffset(QueryMsgByOffsetArgs),
    /// Print Message Detail.
    #[command(verbatim_doc_comment, name = "printMsg")]
    PrintMsg(PrintMsgArgs),
    /// Query producer's socket connection and client version.
    #[command(verbatim_doc_comment, name = "producerConnection")]
    ProducerConnection(ProducerConnectionArgs),
    /// Query consumer's socket connection, client version and subscription.
    #[command(verbatim_doc_comment, name = "consumerConnection")]
    ConsumerConnection(ConsumerConnectionArgs),
    /// Query consumer's progress, speed.
    #[command(verbatim_doc_comment, name = "consumerProgress")]
    ConsumerProgress(ConsumerProgressArgs),
    /// List cluster infos.
    #[command(verbatim_doc_comment, name = "clusterList")]
    ClusterList(ClusterListArgs),
    /// Fetch all topic list from name server.
    #[command(verbatim_doc_comment, name = "topicList")]
    TopicList(TopicListArgs),
    /// Create or update KV config.
    #[command(verbatim_doc_comment, name = "updateKvConfig")]
    UpdateKvConfig(UpdateKvConfigArgs),
    /// Delete KV config.
    #[command(verbatim_doc_comment, name = "deleteKvConfig")]
    DeleteKvConfig(DeleteKvConfigArgs),
    /// Wipe write perm of broker in all name server you defined in the -n param.
    #[command(verbatim_doc_comment, name = "wipeWritePerm")]
    WipeWritePerm(BrokerNameArgs),
    /// Add write perm of broker in all name server you defined in the -n param.
    #[command(verbatim_doc_comment, name = "addWritePerm")]
    AddWritePerm(BrokerNameArgs),
    /// Reset consumer offset by timestamp(without client restart).
    #[command(verbatim_doc_comment, name = "resetOffsetByTime")]
    ResetOffsetByTime(ResetOffsetByTimeArgs),
    /// Skip all messages that are accumulated (not consumed) currently.
    #[command(verbatim_doc_comment, name = "skipAccumulatedMessage")]
    SkipAccumulatedMessage(SkipAccumulatedArgs),
    /// Get configs of name server.
    #[command(verbatim_doc_comment, name = "getNamesrvConfig")]
    GetNamesrvConfig(GetNamesrvConfigArgs),
    /// Get broker config by cluster or special broker.
    #[command(verbatim_doc_comment, name = "getBrokerConfig")]
    GetBrokerConfig(GetBrokerConfigArgs),
    /// Send a message.
    #[command(verbatim_doc_comment, name = "sendMessage")]
    SendMessage(SendMessageArgs),
    /// Consume message.
    #[command(verbatim_doc_comment, name = "consumeMessage")]
    ConsumeMessage(ConsumeMessageArgs),
    /// Update acl config yaml file in broker.
    #[command(verbatim_doc_comment, name = "updateAclConfig")]
    UpdateAclConfig(UpdateAclConfigArgs),
    /// Delete Acl Config Account in broker.
    #[command(
        verbatim_doc_comment,
        name = "deleteAclConfig",
        alias = "deleteAccessConfig"
    )]
    DeleteAclConfig(DeleteAclConfigArgs),
    /// List all of acl config version information in cluster.
    #[command(verbatim_doc_comment, name = "clusterAclConfigVersion")]
    ClusterAclConfigVersion(ClusterAclConfigVersionArgs),
    /// Update global white address for acl Config File in broker.
    #[command(verbatim_doc_comment, name = "updateGlobalWhiteAddr")]
    UpdateGlobalWhiteAddr(UpdateGlobalWhiteAddrArgs),
    /// Create user to cluster.
    #[command(verbatim_doc_comment, name = "createUser")]
    CreateUser(CreateUserArgs),
    /// Update user to cluster.
    #[command(verbatim_doc_comment, name = "updateUser")]
    UpdateUser(UpdateUserArgs),
    /// Delete user from cluster.
    #[command(verbatim_doc_comment, name = "deleteUser")]
    DeleteUser(DeleteUserArgs),
    /// Get user from cluster.
    #[command(verbatim_doc_comment, name = "getUser")]
    GetUser(GetUserArgs),
    /// List user from cluster.
    #[command(verbatim_doc_comment, name = "listUser")]
    ListUser(ListUserArgs),
    /// Copy user to cluster.
    #[command(verbatim_doc_comment, name = "copyUser")]
    CopyUser(CopyUserArgs),
    /// Create acl to cluster.
    #[command(verbatim_doc_comment, name = "createAcl")]
    CreateAcl(CreateAclArgs),
    /// Update acl to cluster.
    #[command(verbatim_doc_comment, name = "updateAcl")]
    UpdateAcl(UpdateAclArgs),
    /// Delete acl from cluster.
    #[command(verbatim_doc_comment, name = "deleteAcl")]
    DeleteAcl(DeleteAclArgs),
    /// Get acl from cluster.
    #[command(verbatim_doc_comment, name = "getAcl")]
    GetAcl(GetAclArgs),
    /// List acl from cluster.
    #[command(verbatim_doc_comment, name = "listAcl")]
    ListAcl(ListAclArgs),
    /// Copy acl to cluster.
    #[command(verbatim_doc_comment, name = "copyAcl")]
    CopyAcl(CopyAclArgs),
}

impl AdminCommand {
    /// The options every command shares.
    pub fn common(&self) -> &Common {
        use AdminCommand::*;
        match self {
            UpdateTopic(a) => &a.common,
            DeleteTopic(a) => &a.common,
            UpdateSubGroup(a) => &a.common,
            DeleteSubGroup(a) => &a.common,
            SetConsumeMode(a) => &a.common,
            UpdateBrokerConfig(a) => &a.common,
            TopicRoute(a) => &a.common,
            TopicStatus(a) => &a.common,
            BrokerStatus(a) => &a.common,
            HaStatus(a) => &a.common,
            GetSyncStateSet(a) => &a.common,
            GetBrokerEpoch(a) => &a.common,
            GetControllerMetaData(a) => &a.common,
            ElectMaster(a) => &a.common,
            CleanBrokerMetadata(a) => &a.common,
            QueryMsgById(a) => &a.common,
            QueryMsgByKey(a) => &a.common,
            QueryMsgByOffset(a) => &a.common,
            PrintMsg(a) => &a.common,
            ProducerConnection(a) => &a.common,
            ConsumerConnection(a) => &a.common,
            ConsumerProgress(a) => &a.common,
            ClusterList(a) => &a.common,
            TopicList(a) => &a.common,
            UpdateKvConfig(a) => &a.common,
            DeleteKvConfig(a) => &a.common,
            WipeWritePerm(a) => &a.common,
            AddWritePerm(a) => &a.common,
            ResetOffsetByTime(a) => &a.common,
            SkipAccumulatedMessage(a) => &a.common,
            GetNamesrvConfig(a) => &a.common,
            GetBrokerConfig(a) => &a.common,
            SendMessage(a) => &a.common,
            ConsumeMessage(a) => &a.common,
            UpdateAclConfig(a) => &a.common,
            DeleteAclConfig(a) => &a.common,
            ClusterAclConfigVersion(a) => &a.common,
            UpdateGlobalWhiteAddr(a) => &a.common,
            CreateUser(a) => &a.common,
            UpdateUser(a) => &a.common,
            DeleteUser(a) => &a.common,
            GetUser(a) => &a.common,
            ListUser(a) => &a.common,
            CopyUser(a) => &a.common,
            CreateAcl(a) => &a.common,
            UpdateAcl(a) => &a.common,
            DeleteAcl(a) => &a.common,
            GetAcl(a) => &a.common,
            ListAcl(a) => &a.common,
            CopyAcl(a) => &a.common,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<AdminCli, clap::Error> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        super::parse(&args)
    }

    #[test]
    fn definitions_are_consistent() {
        command().debug_assert();
    }

    #[test]
    fn mqadmin_letters_and_long_names() {
        let cli = parse(&[
            "updateTopic",
            "-n",
            "1.2.3.4:9876",
            "-c",
            "DefaultCluster",
            "--topic",
            " T ",
            "-r",
            "4",
            "-w4",
            "-o",
            "TRUE",
            "--json",
        ])
        .unwrap();
        assert!(cli.json);
        let AdminCommand::UpdateTopic(a) = cli.command else {
            panic!("wrong command")
        };
        assert_eq!(a.common.namesrv, "1.2.3.4:9876");
        assert_eq!(a.topic, "T");
        assert_eq!(a.cluster_name.as_deref(), Some("DefaultCluster"));
        assert_eq!((a.read_queue_nums, a.write_queue_nums), (Some(4), Some(4)));
        assert_eq!(a.order, Some(true));
    }

    #[test]
    fn required_options_and_groups() {
        assert!(
            parse(&["updateTopic", "-t", "T"]).is_err(),
            "-b or -c needed"
        );
        assert!(parse(&["updateTopic", "-b", "x", "-c", "y", "-t", "T"]).is_err());
        assert!(parse(&["deleteTopic", "-t", "T"]).is_err());
        assert!(parse(&["topicRoute", "-t", "T", "-l"]).is_ok());
    }

    #[test]
    fn acl_commands_take_mqadmins_options() {
        let cli = parse(&[
            "createAcl",
            "-c",
            "C",
            "--subject",
            " User:a ",
            "-r",
            "Topic:a, Group:g",
            "-a",
            "Pub",
            "-d",
            "Allow",
        ])
        .unwrap();
        let AdminCommand::CreateAcl(a) = cli.command else {
            panic!("wrong command")
        };
        assert_eq!(a.subject, "User:a");
        assert_eq!(a.resources, "Topic:a, Group:g", "split later, as mqadmin");
        assert_eq!(a.source_ip, None);
        assert!(parse(&[
            "createAcl",
            "-b",
            "x",
            "-s",
            "User:a",
            "-r",
            "T",
            "-a",
            "Pub"
        ])
        .is_err());
        // updateUser: exactly one of -p, -t, -s, as commons-cli's option group
        assert!(parse(&["updateUser", "-b", "x", "-u", "a"]).is_err());
        assert!(parse(&["updateUser", "-b", "x", "-u", "a", "-p", "1", "-t", "Super"]).is_err());
        assert!(parse(&["updateUser", "-b", "x", "-u", "a", "-s", "disable"]).is_ok());
        assert!(parse(&["getUser", "-b", "x"]).is_ok(), "-u is optional");
        assert!(parse(&["copyUser", "-f", "a"]).is_err());
        assert!(parse(&["copyAcl", "-f", "a", "-t", "b", "-s", "User:a,User:b"]).is_ok());
        assert!(parse(&["clusterAclConfigVersion"]).is_err());
        let cli = parse(&["deleteAccessConfig", "-b", "x", "-a", "ak"]).unwrap();
        assert!(matches!(cli.command, AdminCommand::DeleteAclConfig(_)));
        let cli = parse(&[
            "updateGlobalWhiteAddr",
            "-c",
            "C",
            "-g",
            "10.10.103.*,192.168.0.*",
        ])
        .unwrap();
        let AdminCommand::UpdateGlobalWhiteAddr(a) = cli.command else {
            panic!("wrong command")
        };
        assert_eq!(a.global_white_remote_addresses, "10.10.103.*,192.168.0.*");
        assert_eq!(a.acl_file_full_path, None);
    }

    #[test]
    fn java_booleans() {
        assert_eq!(java_bool("True"), Ok(true));
        assert_eq!(java_bool("yes"), Ok(false));
        assert_eq!(java_bool(" true "), Ok(true));
    }
}
