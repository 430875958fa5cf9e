//! Options of the message commands.

use clap::Args;

use super::{java_bool, trimmed, Common};

/// `queryMsgById`.
#[derive(Debug, Args)]
pub struct QueryMsgByIdArgs {
    #[command(flatten)]
    pub common: Common,
    /// topic name
    #[arg(verbatim_doc_comment, short = 't', long = "topic", value_name = "arg", value_parser = trimmed)]
    pub topic: String,
    /// Message Id
    #[arg(verbatim_doc_comment, short = 'i', long = "msgId", value_name = "arg", value_parser = trimmed)]
    pub msg_id: String,
    /// consumer group name
    #[arg(verbatim_doc_comment, short = 'g', long = "consumerGroup", value_name = "arg", value_parser = trimmed)]
    pub consumer_group: Option<String>,
    /// The consumer's client id
    #[arg(verbatim_doc_comment, short = 'd', long = "clientId", value_name = "arg", value_parser = trimmed)]
    pub client_id: Option<String>,
    /// resend message
    #[arg(verbatim_doc_comment, short = 's', long = "sendMessage", value_name = "arg", value_parser = java_bool)]
    pub send_message: Option<bool>,
    /// unit name
    #[arg(verbatim_doc_comment, short = 'u', long = "unitName", value_name = "arg", value_parser = trimmed)]
    pub unit_name: Option<String>,
    /// print message body by the specified format
    #[arg(verbatim_doc_comment, short = 'f', long = "bodyFormat", value_name = "arg", value_parser = trimmed)]
    pub body_format: Option<String>,
    /// Cluster name or lmq parent topic, lmq is used to find the route.
    #[arg(verbatim_doc_comment, short = 'c', long = "cluster", value_name = "arg", value_parser = trimmed)]
    pub cluster: Option<String>,
}

/// `queryMsgByKey`.
#[derive(Debug, Args)]
pub struct QueryMsgByKeyArgs {
    #[command(flatten)]
    pub common: Common,
    /// Topic name
    #[arg(verbatim_doc_comment, short = 't', long = "topic", value_name = "arg", value_parser = trimmed)]
    pub topic: String,
    /// Message Key
    #[arg(verbatim_doc_comment, short = 'k', long = "msgKey", value_name = "arg", value_parser = trimmed)]
    pub msg_key: String,
    /// Begin timestamp(ms). default:0, eg:1676730526212
    #[arg(
        verbatim_doc_comment,
        short = 'b',
        long = "beginTimestamp",
        value_name = "arg"
    )]
    pub begin_timestamp: Option<i64>,
    /// End timestamp(ms). default:Long.MAX_VALUE, eg:1676730526212
    #[arg(
        verbatim_doc_comment,
        short = 'e',
        long = "endTimestamp",
        value_name = "arg"
    )]
    pub end_timestamp: Option<i64>,
    /// The maximum number of messages returned by the query, default:64
    #[arg(verbatim_doc_comment, short = 'm', long = "maxNum", value_name = "arg")]
    pub max_num: Option<i32>,
    /// Cluster name or lmq parent topic, lmq is used to find the route.
    #[arg(verbatim_doc_comment, short = 'c', long = "cluster", value_name = "arg", value_parser = trimmed)]
    pub cluster: Option<String>,
}

/// `queryMsgByOffset`.
#[derive(Debug, Args)]
pub struct QueryMsgByOffsetArgs {
    #[command(flatten)]
    pub common: Common,
    /// topic name
    #[arg(verbatim_doc_comment, short = 't', long = "topic", value_name = "arg", value_parser = trimmed)]
    pub topic: String,
    /// Broker Name
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerName", value_name = "arg", value_parser = trimmed)]
    pub broker_name: String,
    /// Queue Id
    #[arg(
        verbatim_doc_comment,
        short = 'i',
        long = "queueId",
        value_name = "arg"
    )]
    pub queue_id: i32,
    /// Queue Offset
    #[arg(verbatim_doc_comment, short = 'o', long = "offset", value_name = "arg")]
    pub offset: i64,
    /// print message body by the specified format
    #[arg(verbatim_doc_comment, short = 'f', long = "bodyFormat", value_name = "arg", value_parser = trimmed)]
    pub body_format: Option<String>,
}

/// `printMsg`.
#[derive(Debug, Args)]
pub struct PrintMsgArgs {
    #[command(flatten)]
    pub common: Common,
    /// topic name
    #[arg(verbatim_doc_comment, short = 't', long = "topic", value_name = "arg", value_parser = trimmed)]
    pub topic: String,
    /// CharsetName(eg: UTF-8,GBK)
    #[arg(verbatim_doc_comment, short = 'c', long = "charsetName", value_name = "arg", value_parser = trimmed)]
    pub charset_name: Option<String>,
    /// Subscribe Expression(eg: TagA || TagB)
    #[arg(verbatim_doc_comment, short = 's', long = "subExpression", value_name = "arg", value_parser = trimmed)]
    pub sub_expression: Option<String>,
    /// Begin timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]
    #[arg(verbatim_doc_comment, short = 'b', long = "beginTimestamp", value_name = "arg", value_parser = trimmed)]
    pub begin_timestamp: Option<String>,
    /// End timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]
    #[arg(verbatim_doc_comment, short = 'e', long = "endTimestamp", value_name = "arg", value_parser = trimmed)]
    pub end_timestamp: Option<String>,
    /// print body
    #[arg(verbatim_doc_comment, short = 'd', long = "printBody", value_name = "arg", value_parser = java_bool)]
    pub print_body: Option<bool>,
    /// Lmq parent topic, lmq is used to find the route.
    #[arg(verbatim_doc_comment, short = 'l', long = "lmqParentTopic", value_name = "arg", value_parser = trimmed)]
    pub lmq_parent_topic: Option<String>,
}

/// `sendMessage`.
#[derive(Debug, Args)]
pub struct SendMessageArgs {
    #[command(flatten)]
    pub common: Common,
    /// Topic name
    #[arg(verbatim_doc_comment, short = 't', long = "topic", value_name = "arg", value_parser = trimmed)]
    pub topic: String,
    /// UTF-8 string format of the message body
    #[arg(verbatim_doc_comment, short = 'p', long = "body", value_name = "arg", value_parser = trimmed)]
    pub body: String,
    /// Message keys
    #[arg(verbatim_doc_comment, short = 'k', long = "key", value_name = "arg", value_parser = trimmed)]
    pub key: Option<String>,
    /// Message tags
    #[arg(verbatim_doc_comment, short = 'c', long = "tags", value_name = "arg", value_parser = trimmed)]
    pub tags: Option<String>,
    /// Send message to target broker
    #[arg(verbatim_doc_comment, short = 'b', long = "broker", value_name = "arg", value_parser = trimmed)]
    pub broker: Option<String>,
    /// Send message to target queue
    #[arg(verbatim_doc_comment, short = 'i', long = "qid", value_name = "arg")]
    pub qid: Option<i32>,
    /// Message Trace Enable, Default: false
    #[arg(verbatim_doc_comment, short = 'm', long = "msgTraceEnable", value_name = "arg", value_parser = java_bool)]
    pub msg_trace_enable: Option<bool>,
}

/// `consumeMessage`.
#[derive(Debug, Args)]
pub struct ConsumeMessageArgs {
    #[command(flatten)]
    pub common: Common,
    /// Topic name
    #[arg(verbatim_doc_comment, short = 't', long = "topic", value_name = "arg", value_parser = trimmed)]
    pub topic: String,
    /// Broker name
    #[arg(verbatim_doc_comment, short = 'b', long = "brokerName", value_name = "arg", value_parser = trimmed)]
    pub broker_name: Option<String>,
    /// Queue Id
    #[arg(
        verbatim_doc_comment,
        short = 'i',
        long = "queueId",
        value_name = "arg"
    )]
    pub queue_id: Option<i32>,
    /// Queue offset
    #[arg(verbatim_doc_comment, short = 'o', long = "offset", value_name = "arg")]
    pub offset: Option<i64>,
    /// Consumer group name
    #[arg(verbatim_doc_comment, short = 'g', long = "consumerGroup", value_name = "arg", value_parser = trimmed)]
    pub consumer_group: Option<String>,
    /// Begin timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]
    #[arg(verbatim_doc_comment, short = 's', long = "beginTimestamp", value_name = "arg", value_parser = trimmed)]
    pub begin_timestamp: Option<String>,
    /// End timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]
    #[arg(verbatim_doc_comment, short = 'e', long = "endTimestamp", value_name = "arg", value_parser = trimmed)]
    pub end_timestamp: Option<String>,
    /// Number of message to be consumed
    #[arg(
        verbatim_doc_comment,
        short = 'c',
        long = "MessageNumber",
        value_name = "arg"
    )]
    pub message_number: Option<i64>,
}
