//! Options of the cluster, broker and NameServer commands.

use clap::{ArgGroup, Args};

use super::{trimmed, Common};

/// `updateBrokerConfig`.
#[derive(Debug, Args)]
pub struct UpdateBrokerConfigArgs {
    #[command(flatten)]
    pub common: Common,
    /// update which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// update which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// update all brokers include slave
    #[arg(
        verbatim_doc_comment,
        short = 'a',
        long = "updateAllBroker",
        value_name = "arg"
    )]
    pub update_all_broker: Option<String>,
    /// config key
    #[arg(verbatim_doc_comment, short = 'k', long = "key", value_name = "arg", value_parser = trimmed)]
    pub key: String,
    /// config value
    #[arg(verbatim_doc_comment, short = 'v', long = "value", value_name = "arg", value_parser = trimmed)]
    pub value: String,
}

/// `brokerStatus`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct BrokerStatusArgs {
    #[command(flatten)]
    pub common: Common,
    /// Broker address
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
}

/// `clusterList`.
#[derive(Debug, Args)]
pub struct ClusterListArgs {
    #[command(flatten)]
    pub common: Common,
    /// Print more stats
    #[arg(verbatim_doc_comment, short = 'm', long = "moreStats")]
    pub more_stats: bool,
    /// specify intervals numbers, it is in seconds
    #[arg(
        verbatim_doc_comment,
        short = 'i',
        long = "interval",
        value_name = "arg"
    )]
    pub interval: Option<u64>,
    /// which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
}

/// `getBrokerConfig`.
#[derive(Debug, Args)]
pub struct GetBrokerConfigArgs {
    #[command(flatten)]
    pub common: Common,
    /// get which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// get which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
}

/// `updateKvConfig`.
#[derive(Debug, Args)]
pub struct UpdateKvConfigArgs {
    #[command(flatten)]
    pub common: Common,
    /// set the namespace
    #[arg(verbatim_doc_comment, short = 's', long = "namespace", value_name = "arg", value_parser = trimmed)]
    pub namespace: String,
    /// set the key name
    #[arg(verbatim_doc_comment, short = 'k', long = "key", value_name = "arg", value_parser = trimmed)]
    pub key: String,
    /// set the key value
    #[arg(verbatim_doc_comment, short = 'v', long = "value", value_name = "arg", value_parser = trimmed)]
    pub value: String,
}

/// `deleteKvConfig`.
#[derive(Debug, Args)]
pub struct DeleteKvConfigArgs {
    #[command(flatten)]
    pub common: Common,
    /// set the namespace
    #[arg(verbatim_doc_comment, short = 's', long = "namespace", value_name = "arg", value_parser = trimmed)]
    pub namespace: String,
    /// set the key name
    #[arg(verbatim_doc_comment, short = 'k', long = "key", value_name = "arg", value_parser = trimmed)]
    pub key: String,
}

/// `wipeWritePerm` / `addWritePerm`.
#[derive(Debug, Args)]
pub struct BrokerNameArgs {
    #[command(flatten)]
    pub common: Common,
    /// broker name
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerName", value_name = "arg", value_parser = trimmed)]
    pub broker_name: String,
}

/// `getNamesrvConfig`.
#[derive(Debug, Args)]
pub struct GetNamesrvConfigArgs {
    #[command(flatten)]
    pub common: Common,
}

/// `haStatus`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_addr", "cluster_name"])))]
pub struct HaStatusArgs {
    #[command(flatten)]
    pub common: Common,
    /// which broker to fetch
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// the interval(second) of get info
    #[arg(verbatim_doc_comment, short = 'i', long = "interval", value_name = "arg", num_args = 0..=1, default_missing_value = "3")]
    pub interval: Option<u64>,
}
