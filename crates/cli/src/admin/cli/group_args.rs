//! Options of the consumer/producer group commands.

use clap::Args;

use super::{java_bool, trimmed, Common};

/// `updateSubGroup`.
#[derive(Debug, Args)]
pub struct UpdateSubGroupArgs {
    #[command(flatten)]
    pub common: Common,
    /// create subscription group to which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// create subscription group to which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// consumer group name
    #[arg(verbatim_doc_comment, short = 'g', long = "groupName", value_name = "arg", value_parser = trimmed)]
    pub group_name: String,
    /// consume enable
    #[arg(verbatim_doc_comment, short = 's', long = "consumeEnable", value_name = "arg", value_parser = java_bool)]
    pub consume_enable: Option<bool>,
    /// from min offset
    #[arg(verbatim_doc_comment, short = 'm', long = "consumeFromMinEnable", value_name = "arg", value_parser = java_bool)]
    pub consume_from_min_enable: Option<bool>,
    /// broadcast
    #[arg(verbatim_doc_comment, short = 'd', long = "consumeBroadcastEnable", value_name = "arg", value_parser = java_bool)]
    pub consume_broadcast_enable: Option<bool>,
    /// consume message orderly
    #[arg(verbatim_doc_comment, short = 'o', long = "consumeMessageOrderly", value_name = "arg", value_parser = java_bool)]
    pub consume_message_orderly: Option<bool>,
    /// retry queue nums
    #[arg(
        verbatim_doc_comment,
        short = 'q',
        long = "retryQueueNums",
        value_name = "arg"
    )]
    pub retry_queue_nums: Option<i32>,
    /// retry max times
    #[arg(
        verbatim_doc_comment,
        short = 'r',
        long = "retryMaxTimes",
        value_name = "arg"
    )]
    pub retry_max_times: Option<i32>,
    /// the json string of retry policy ( exp: {"type":"EXPONENTIAL","exponentialRetryPolicy":{"initial":5000,"max":7200000,"multiplier":2}} {"type":"CUSTOMIZED","customizedRetryPolicy":{"next":[1000,5000,10000]}} )
    #[arg(verbatim_doc_comment, short = 'p', long = "groupRetryPolicy", value_name = "arg", value_parser = trimmed)]
    pub group_retry_policy: Option<String>,
    /// consumer from which broker id
    #[arg(
        verbatim_doc_comment,
        short = 'i',
        long = "brokerId",
        value_name = "arg"
    )]
    pub broker_id: Option<i64>,
    /// which broker id when consume slowly
    #[arg(
        verbatim_doc_comment,
        short = 'w',
        long = "whichBrokerWhenConsumeSlowly",
        value_name = "arg"
    )]
    pub which_broker_when_consume_slowly: Option<i64>,
    /// notify consumerId changed
    #[arg(verbatim_doc_comment, short = 'a', long = "notifyConsumerIdsChanged", value_name = "arg", value_parser = java_bool)]
    pub notify_consumer_ids_changed: Option<bool>,
    /// attribute(+a=b,+c=d,-e)
    #[arg(verbatim_doc_comment, long = "attributes", value_name = "arg", value_parser = trimmed)]
    pub attributes: Option<String>,
}

/// `deleteSubGroup`.
#[derive(Debug, Args)]
pub struct DeleteSubGroupArgs {
    #[command(flatten)]
    pub common: Common,
    /// delete subscription group from which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// delete subscription group from which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// subscription group name
    #[arg(verbatim_doc_comment, short = 'g', long = "groupName", value_name = "arg", value_parser = trimmed)]
    pub group_name: String,
    /// remove offset
    #[arg(verbatim_doc_comment, short = 'r', long = "removeOffset", value_name = "arg", value_parser = java_bool)]
    pub remove_offset: Option<bool>,
}

/// `setConsumeMode`.
#[derive(Debug, Args)]
pub struct SetConsumeModeArgs {
    #[command(flatten)]
    pub common: Common,
    /// create subscription group to which broker
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
    /// create subscription group to which cluster
    #[arg(verbatim_doc_comment, short = 'c', long = "clusterName", value_name = "arg", value_parser = trimmed)]
    pub cluster_name: Option<String>,
    /// topic name
    #[arg(verbatim_doc_comment, short = 't', long = "topicName", value_name = "arg", value_parser = trimmed)]
    pub topic_name: String,
    /// consumer group name
    #[arg(verbatim_doc_comment, short = 'g', long = "groupName", value_name = "arg", value_parser = trimmed)]
    pub group_name: String,
    /// consume mode. PULL/POP
    #[arg(verbatim_doc_comment, short = 'm', long = "mode", value_name = "arg", value_parser = trimmed)]
    pub mode: String,
    /// num of queue which share in pop mode
    #[arg(verbatim_doc_comment, short = 'q', long = "popShareQueueNum", value_name = "arg", value_parser = trimmed)]
    pub pop_share_queue_num: Option<String>,
}

/// `producerConnection`.
#[derive(Debug, Args)]
pub struct ProducerConnectionArgs {
    #[command(flatten)]
    pub common: Common,
    /// producer group name
    #[arg(verbatim_doc_comment, short = 'g', long = "producerGroup", value_name = "arg", value_parser = trimmed)]
    pub producer_group: String,
    /// topic name
    #[arg(verbatim_doc_comment, short = 't', long = "topic", value_name = "arg", value_parser = trimmed)]
    pub topic: String,
}

/// `consumerConnection`.
#[derive(Debug, Args)]
pub struct ConsumerConnectionArgs {
    #[command(flatten)]
    pub common: Common,
    /// consumer group name
    #[arg(verbatim_doc_comment, short = 'g', long = "consumerGroup", value_name = "arg", value_parser = trimmed)]
    pub consumer_group: String,
    /// broker address
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerAddr", value_name = "arg", value_parser = trimmed)]
    pub broker_addr: Option<String>,
}

/// `consumerProgress`.
#[derive(Debug, Args)]
pub struct ConsumerProgressArgs {
    #[command(flatten)]
    pub common: Common,
    /// consumer group name
    #[arg(verbatim_doc_comment, short = 'g', long = "groupName", value_name = "arg", value_parser = trimmed)]
    pub group_name: Option<String>,
    /// topic name
    #[arg(verbatim_doc_comment, short = 't', long = "topicName", value_name = "arg", value_parser = trimmed)]
    pub topic_name: Option<String>,
    /// Show Client IP per Queue
    #[arg(verbatim_doc_comment, short = 's', long = "showClientIP", value_name = "arg", value_parser = java_bool)]
    pub show_client_ip: Option<bool>,
    /// Cluster name or lmq parent topic, lmq is used to find the route.
    #[arg(verbatim_doc_comment, short = 'c', long = "cluster", value_name = "arg", value_parser = trimmed)]
    pub cluster: Option<String>,
}

/// `resetOffsetByTime`.
#[derive(Debug, Args)]
pub struct ResetOffsetByTimeArgs {
    #[command(flatten)]
    pub common: Common,
    /// set the consumer group
    #[arg(verbatim_doc_comment, short = 'g', long = "group", value_name = "arg", value_parser = trimmed)]
    pub group: String,
    /// set the topic
    #[arg(verbatim_doc_comment, short = 't', long = "topic", value_name = "arg", value_parser = trimmed)]
    pub topic: String,
    /// set the timestamp[now|currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]
    #[arg(verbatim_doc_comment, short = 's', long = "timestamp", value_name = "arg", value_parser = trimmed)]
    pub timestamp: String,
    /// set the force rollback by timestamp switch[true|false]. Deprecated.
    #[arg(verbatim_doc_comment, short = 'f', long = "force", value_name = "arg", value_parser = java_bool)]
    pub force: Option<bool>,
    /// broker addr
    #[arg(verbatim_doc_comment, short = 'b', long = "broker", value_name = "arg", value_parser = trimmed)]
    pub broker: Option<String>,
    /// queue id
    #[arg(verbatim_doc_comment, short = 'q', long = "queue", value_name = "arg")]
    pub queue: Option<i32>,
    /// Expect queue offset, not support old version broker
    #[arg(verbatim_doc_comment, short = 'o', long = "offset", value_name = "arg")]
    pub offset: Option<i64>,
    /// Cluster name or lmq parent topic, lmq is used to find the route.
    #[arg(verbatim_doc_comment, short = 'c', long = "cluster", value_name = "arg", value_parser = trimmed)]
    pub cluster: Option<String>,
}

/// `skipAccumulatedMessage`.
#[derive(Debug, Args)]
pub struct SkipAccumulatedArgs {
    #[command(flatten)]
    pub common: Common,
    /// set the consumer group
    #[arg(verbatim_doc_comment, short = 'g', long = "group", value_name = "arg", value_parser = trimmed)]
    pub group: String,
    /// set the topic
    #[arg(verbatim_doc_comment, short = 't', long = "topic", value_name = "arg", value_parser = trimmed)]
    pub topic: String,
    /// set the force rollback by timestamp switch[true|false]
    #[arg(verbatim_doc_comment, short = 'f', long = "force", value_name = "arg", value_parser = java_bool)]
    pub force: Option<bool>,
    /// Cluster name or lmq parent topic, lmq is used to find the route.
    #[arg(verbatim_doc_comment, short = 'c', long = "cluster", value_name = "arg", value_parser = trimmed)]
    pub cluster: Option<String>,
}
