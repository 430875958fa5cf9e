//! The consumer RPCs' error type and its one mapping to `apache.rocketmq.v2.Code`, following
//! Java's `ResponseBuilder.buildStatus(Throwable)`: proxy-side refusals carry their code,
//! broker answers map through Java's small remoting → gRPC table, timeouts become
//! PROXY_TIMEOUT, everything else INTERNAL_SERVER_ERROR.

use ferromq_client::ClientError;
use ferromq_protocol::response_code as resp;
use ferromq_remoting::RemotingError;

use crate::consumer::receipt::ReceiptError;
use crate::pb;
use crate::status::status;

/// Why a consumer RPC (or one entry of it) failed.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    /// The proxy refuses the request itself (validation, limits).
    #[error("{message}")]
    Refused { code: pb::Code, message: String },
    /// A broker answered with a non-success remoting code.
    #[error("broker answered {code}: {remark}")]
    Broker { code: i32, remark: String },
    /// The request did not reach a broker or was not answered.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A receipt handle that does not decode.
    #[error("invalid receipt handle: {0}")]
    Receipt(#[from] ReceiptError),
}

/// A shorthand for RPC results.
pub type Result<T> = std::result::Result<T, ConsumerError>;

impl ConsumerError {
    /// A refusal with `code`.
    pub fn refused(code: pb::Code, message: impl Into<String>) -> Self {
        ConsumerError::Refused {
            code,
            message: message.into(),
        }
    }

    /// The gRPC status of this error.
    pub fn status(&self) -> pb::Status {
        match self {
            ConsumerError::Refused { code, message } => status(*code, message.clone()),
            ConsumerError::Broker { code, remark } => broker_status(*code, remark),
            ConsumerError::Receipt(e) => status(pb::Code::InvalidReceiptHandle, e.to_string()),
            ConsumerError::Client(e) => client_status(e),
        }
    }
}

/// Java's `ResponseBuilder.buildCode`: the remoting codes with a gRPC meaning, the rest
/// INTERNAL_SERVER_ERROR.
pub fn code_of(remoting_code: i32) -> pb::Code {
    match remoting_code {
        resp::SUCCESS => pb::Code::Ok,
        resp::SYSTEM_BUSY => pb::Code::TooManyRequests,
        resp::REQUEST_CODE_NOT_SUPPORTED => pb::Code::NotImplemented,
        resp::SUBSCRIPTION_GROUP_NOT_EXIST => pb::Code::ConsumerGroupNotFound,
        _ => pb::Code::InternalServerError,
    }
}

/// A broker's answer as a status: its code mapped, its remark (or the code) as the message.
pub fn broker_status(code: i32, remark: &str) -> pb::Status {
    let message = if remark.is_empty() {
        code.to_string()
    } else {
        remark.to_owned()
    };
    status(code_of(code), message)
}

fn client_status(e: &ClientError) -> pb::Status {
    match e {
        ClientError::Broker { code, remark, .. } if *code == resp::TOPIC_NOT_EXIST => {
            status(pb::Code::TopicNotFound, remark.clone())
        }
        ClientError::Broker { code, remark, .. } => broker_status(*code, remark),
        ClientError::NoRoute(t) => status(pb::Code::TopicNotFound, format!("topic {t} not found")),
        ClientError::Remoting(RemotingError::Timeout { .. }) => {
            status(pb::Code::ProxyTimeout, e.to_string())
        }
        other => status(pb::Code::InternalServerError, other.to_string()),
    }
}

/// The status every OK answer carries (`Code.OK.name()` as the message, as Java).
pub fn ok() -> pb::Status {
    status(pb::Code::Ok, "OK")
}

/// Validates a topic as Java's `GrpcValidator.validateTopic`: a legal name, not a system
/// topic.
pub fn validate_topic(topic: Option<&pb::Resource>) -> Result<String> {
    let name = topic.map(|t| t.name.as_str()).unwrap_or_default();
    ferromq_model::validate::validate_topic(name)
        .map_err(|e| ConsumerError::refused(pb::Code::IllegalTopic, e.to_string()))?;
    if ferromq_model::names::is_sys_topic(name) {
        return Err(ConsumerError::refused(
            pb::Code::IllegalTopic,
            "cannot access system topic",
        ));
    }
    Ok(name.to_owned())
}

/// Validates a consumer group as Java's `GrpcValidator.validateConsumerGroup`.
pub fn validate_group(group: Option<&pb::Resource>) -> Result<String> {
    let name = group.map(|g| g.name.as_str()).unwrap_or_default();
    ferromq_model::validate::validate_group(name)
        .map_err(|e| ConsumerError::refused(pb::Code::IllegalConsumerGroup, e.to_string()))?;
    if ferromq_model::names::is_sys_consumer_group(name) {
        return Err(ConsumerError::refused(
            pb::Code::IllegalConsumerGroup,
            "cannot use system consumer group",
        ));
    }
    Ok(name.to_owned())
}

/// Validates an invisible duration (ms) against `[min, max]` as Java's
/// `GrpcValidator.validateInvisibleTime`.
pub fn validate_invisible_time(invisible_ms: i64, min_ms: i64, max_ms: i64) -> Result<()> {
    if invisible_ms < min_ms {
        return Err(ConsumerError::refused(
            pb::Code::IllegalInvisibleTime,
            format!("the invisibleTime is too small. min is {min_ms}"),
        ));
    }
    if max_ms > 0 && invisible_ms > max_ms {
        return Err(ConsumerError::refused(
            pb::Code::IllegalInvisibleTime,
            format!("the invisibleTime is too large. max is {max_ms}"),
        ));
    }
    Ok(())
}

/// Milliseconds of a protobuf duration, saturating (negative stays negative).
pub fn duration_ms(d: &prost_types::Duration) -> i64 {
    d.seconds
        .saturating_mul(1000)
        .saturating_add(i64::from(d.nanos) / 1_000_000)
}

/// Now, in ms since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
