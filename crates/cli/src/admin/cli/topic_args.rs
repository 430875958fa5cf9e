//! Options of the topic commands.

use clap::{ArgGroup, Args};

use super::{java_bool, trimmed, Common};

/// `updateTopic`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct UpdateTopicArgs {
    #[command(flatten)]
    pub common: Common,
    /// create topic to which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// create topic to which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// attribute(+a=b,+c=d,-e)
    #[arg(verbatim_doc_comment, short = 'a', long = "attributes", value_name = "arg", value_parser = trimmed)]
    pub attributes: Option<String>,
    /// topic name
    #[arg(verbatim_doc_comment, short = 't', long = "topic", value_name = "arg", value_parser = trimmed)]
    pub topic: String,
    /// set read queue nums
    #[arg(
        verbatim_doc_comment,
        short = 'r',
        long = "readQueueNums",
        value_name = "arg"
    )]
    pub read_queue_nums: Option<i32>,
    /// set write queue nums
    #[arg(
        verbatim_doc_comment,
        short = 'w',
        long = "writeQueueNums",
        value_name = "arg"
    )]
    pub write_queue_nums: Option<i32>,
    /// set topic's permission(2|4|6), intro[2:W 4:R; 6:RW]
    #[arg(verbatim_doc_comment, short = 'p', long = "perm", value_name = "arg")]
    pub perm: Option<i32>,
    /// set topic's order(true|false)
    #[arg(verbatim_doc_comment, short = 'o', long = "order", value_name = "arg", value_parser = java_bool)]
    pub order: Option<bool>,
    /// is unit topic (true|false)
    #[arg(verbatim_doc_comment, short = 'u', long = "unit", value_name = "arg", value_parser = java_bool)]
    pub unit: Option<bool>,
    /// has unit sub (true|false)
    #[arg(verbatim_doc_comment, short = 's', long = "hasUnitSub", value_name = "arg", value_parser = java_bool)]
    pub has_unit_sub: Option<bool>,
}

/// `deleteTopic`.
#[derive(Debug, Args)]
pub struct DeleteTopicArgs {
    #[command(flatten)]
    pub common: Common,
    /// topic name
    #[arg(verbatim_doc_comment, short = 't', long = "topic", value_name = "arg", value_parser = trimmed)]
    pub topic: String,
    /// delete topic from which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: String,
}

/// `topicRoute`.
#[derive(Debug, Args)]
pub struct TopicRouteArgs {
    #[command(flatten)]
    pub common: Common,
    /// topic name
    #[arg(verbatim_doc_comment, short = 't', long = "topic", value_name = "arg", value_parser = trimmed)]
    pub topic: String,
    /// Use list format to print data
    #[arg(verbatim_doc_comment, short = 'l', long = "list")]
    pub list: bool,
}

/// `topicStatus`.
#[derive(Debug, Args)]
pub struct TopicStatusArgs {
    #[command(flatten)]
    pub common: Common,
    /// topic name
    #[arg(verbatim_doc_comment, short = 't', long = "topic", value_name = "arg", value_parser = trimmed)]
    pub topic: String,
    /// cluster name or lmq parent topic, lmq is used to find the route.
    #[arg(verbatim_doc_comment, short = 'c', long = "cluster", value_name = "arg", value_parser = trimmed)]
    pub cluster: Option<String>,
}

/// `topicList`.
#[derive(Debug, Args)]
pub struct TopicListArgs {
    #[command(flatten)]
    pub common: Common,
    /// clusterModel
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterModel")]
    pub cluster_model: bool,
}
