//! The consumer RPCs' error type. Its statuses come from the crate's one remoting → gRPC
//! map (`crate::status`, Java's `ResponseBuilder`) and its name checks from `crate::validate`
//! (Java's `GrpcValidator`); what is the consumer side's own is here: receipt handles and
//! invisible times.

use ferromq_client::ClientError;

use crate::consumer::receipt::ReceiptError;
use crate::pb;
use crate::status::{self, Refusal};

/// Why a consumer RPC (or one entry of it) failed.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    /// The proxy refuses the request itself (validation, limits).
    #[error(transparent)]
    Refused(#[from] Refusal),
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
        ConsumerError::Refused(Refusal::new(code, message))
    }

    /// The gRPC status of this error.
    pub fn status(&self) -> pb::Status {
        match self {
            ConsumerError::Refused(r) => r.status(),
            ConsumerError::Broker { code, remark } => broker_status(*code, remark),
            ConsumerError::Receipt(e) => {
                status::status(pb::Code::InvalidReceiptHandle, e.to_string())
            }
            ConsumerError::Client(e) => status::from_client_error(e).status(),
        }
    }
}

/// A broker's answer as a status: its code mapped, its remark (or the code) as the message.
pub fn broker_status(code: i32, remark: &str) -> pb::Status {
    status::from_response(code, Some(remark).filter(|r| !r.is_empty()))
}

/// The status every OK answer carries (`Code.OK.name()` as the message, as Java).
pub fn ok() -> pb::Status {
    status::ok()
}

/// Validates a topic (Java's `GrpcValidator.validateTopic`); the name on the brokers, with
/// the client's namespace.
pub fn validate_topic(topic: Option<&pb::Resource>) -> Result<String> {
    Ok(crate::validate::topic(topic)?)
}

/// Validates a consumer group (Java's `GrpcValidator.validateConsumerGroup`).
pub fn validate_group(group: Option<&pb::Resource>) -> Result<String> {
    Ok(crate::validate::consumer_group(group)?)
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
