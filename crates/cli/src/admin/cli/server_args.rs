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

/// `getBrokerEpoch`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_name", "cluster_name"])))]
pub struct GetBrokerEpochArgs {
    #[command(flatten)]
    pub common: Common,
    /// which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// which broker to fetch
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerName", value_name = "arg", value_parser = trimmed)]
    pub broker_name: Option<String>,
    /// the interval(second) of get info
    #[arg(verbatim_doc_comment, short = 'i', long = "interval", value_name = "arg", num_args = 0..=1, default_missing_value = "3")]
    pub interval: Option<u64>,
}

/// `getControllerMetaData`.
#[derive(Debug, Args)]
pub struct ControllerAddrArgs {
    #[command(flatten)]
    pub common: Common,
    /// Address of the controller (any of the group)
    #[arg(verbatim_doc_comment, short = 'a', long = "controllerAddress", value_name = "arg", value_parser = trimmed)]
    pub controller_address: String,
}

/// `getSyncStateSet`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["broker_name", "cluster_name"])))]
pub struct GetSyncStateSetArgs {
    #[command(flatten)]
    pub common: Common,
    /// the address of controller
    #[arg(verbatim_doc_comment, short = 'a', long = "controllerAddress", value_name = "arg", value_parser = trimmed)]
    pub controller_address: String,
    /// which broker to fetch
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerName", value_name = "arg", value_parser = trimmed)]
    pub broker_name: Option<String>,
    /// which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// the interval(second) of get info
    #[arg(verbatim_doc_comment, short = 'i', long = "interval", value_name = "arg", num_args = 0..=1, default_missing_value = "3")]
    pub interval: Option<u64>,
}

/// `electMaster`.
#[derive(Debug, Args)]
pub struct ElectMasterArgs {
    #[command(flatten)]
    pub common: Common,
    /// The address of controller
    #[arg(verbatim_doc_comment, short = 'a', long = "controllerAddress", value_name = "arg", value_parser = trimmed)]
    pub controller_address: String,
    /// The id of the broker which requires to become master
    #[arg(
        verbatim_doc_comment,
        short = 'b',
        long = "brokerId",
        value_name = "arg"
    )]
    pub broker_id: i64,
    /// The broker name of the replicas that require to be manipulated (-bn)
    #[arg(verbatim_doc_comment, long = "brokerName", value_name = "arg", value_parser = trimmed)]
    pub broker_name: String,
    /// the clusterName of broker
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: String,
}

/// `cleanBrokerMetadata`.
#[derive(Debug, Args)]
pub struct CleanBrokerMetadataArgs {
    #[command(flatten)]
    pub common: Common,
    /// The address of controller
    #[arg(verbatim_doc_comment, short = 'a', long = "controllerAddress", value_name = "arg", value_parser = trimmed)]
    pub controller_address: String,
    /// The brokerName to clean metadata (-bn)
    #[arg(verbatim_doc_comment, long = "brokerName", value_name = "arg", value_parser = trimmed)]
    pub broker_name: String,
    /// The brokerController id list which requires to clean metadata. eg: 1;2;3, means that clean broker-1, broker-2 and broker-3
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerControllerIdsToClean", value_name = "arg", value_parser = trimmed)]
    pub broker_ids: Option<String>,
    /// the clusterName of broker
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// whether clean up living brokers,default value is false
    #[arg(verbatim_doc_comment, short = 'l', long = "cleanLivingBroker")]
    pub clean_living_broker: bool,
}
