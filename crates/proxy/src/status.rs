//! The `apache.rocketmq.v2.Status` every response carries, and the mapping from remoting
//! response codes to its `Code` — in one place, as Java's proxy keeps it in one place
//! (`ResponseBuilder`).

use ferromq_client::ClientError;
use ferromq_protocol::response_code as rc;

use crate::pb;

/// A status with `code` and `message`.
pub fn status(code: pb::Code, message: impl Into<String>) -> pb::Status {
    pb::Status {
        code: code as i32,
        message: message.into(),
    }
}

/// The OK status (`Code.OK` with its name, as Java answers).
pub fn ok() -> pb::Status {
    status(pb::Code::Ok, "OK")
}

/// A refusal: the `Code` and message the client sees (Java's `GrpcProxyException`). RPCs
/// return `Result<_, Refusal>` and turn it into their response's status at the end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct Refusal {
    pub code: pb::Code,
    pub message: String,
}

impl Refusal {
    pub fn new(code: pb::Code, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
        }
    }

    /// The status carrying this refusal.
    pub fn status(&self) -> pb::Status {
        status(self.code, self.message.clone())
    }
}

impl From<ClientError> for Refusal {
    fn from(e: ClientError) -> Self {
        from_client_error(&e)
    }
}

/// Java's `ResponseBuilder.buildCode`: the few remoting codes with a gRPC counterpart; every
/// other code is INTERNAL_SERVER_ERROR.
pub fn code_of_response(code: i32) -> pb::Code {
    match code {
        rc::SUCCESS => pb::Code::Ok,
        rc::SYSTEM_BUSY => pb::Code::TooManyRequests,
        rc::REQUEST_CODE_NOT_SUPPORTED => pb::Code::NotImplemented,
        rc::SUBSCRIPTION_GROUP_NOT_EXIST => pb::Code::ConsumerGroupNotFound,
        // Java's proxy refuses by its own ACL check (UNAUTHORIZED); this one lets the
        // brokers decide, so their refusal is that code.
        rc::NO_PERMISSION => pb::Code::Unauthorized,
        // ClientErrorCode.ACCESS_BROKER_TIMEOUT
        10006 => pb::Code::ProxyTimeout,
        _ => pb::Code::InternalServerError,
    }
}

/// Java's `buildStatus(int, String)`: the remark is the message, the code is mapped.
#[allow(dead_code)] // for RPCs answering a broker's response as it is (consumer side)
pub fn from_response(code: i32, remark: Option<&str>) -> pb::Status {
    let message = remark.map_or_else(|| code.to_string(), str::to_owned);
    status(code_of_response(code), message)
}

/// A failed remoting call as Java's `buildStatus(Throwable)` reports it: an unknown topic is
/// TOPIC_NOT_FOUND, a timeout PROXY_TIMEOUT, a broker's refusal its mapped code.
pub fn from_client_error(e: &ClientError) -> Refusal {
    match e {
        ClientError::Broker { code, remark, .. } if *code == rc::TOPIC_NOT_EXIST => {
            Refusal::new(pb::Code::TopicNotFound, remark.clone())
        }
        ClientError::Broker { code, remark, .. } => Refusal::new(
            code_of_response(*code),
            if remark.is_empty() {
                code.to_string()
            } else {
                remark.clone()
            },
        ),
        ClientError::NoRoute(_) => Refusal::new(pb::Code::TopicNotFound, e.to_string()),
        ClientError::Remoting(ferromq_remoting::RemotingError::Timeout { .. }) => {
            Refusal::new(pb::Code::ProxyTimeout, e.to_string())
        }
        ClientError::SendFailed { last, .. } => from_client_error(last),
        _ => Refusal::new(pb::Code::InternalServerError, e.to_string()),
    }
}

/// The name Java prints for a code (`Code.name()`), used as the message of plain statuses.
pub fn code_name(code: pb::Code) -> &'static str {
    code.as_str_name()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remoting_codes_map_as_java_response_builder() {
        assert_eq!(code_of_response(rc::SUCCESS), pb::Code::Ok);
        assert_eq!(code_of_response(rc::SYSTEM_BUSY), pb::Code::TooManyRequests);
        assert_eq!(
            code_of_response(rc::SUBSCRIPTION_GROUP_NOT_EXIST),
            pb::Code::ConsumerGroupNotFound
        );
        assert_eq!(
            code_of_response(rc::SYSTEM_ERROR),
            pb::Code::InternalServerError
        );
        assert_eq!(code_of_response(rc::NO_PERMISSION), pb::Code::Unauthorized);
        let s = from_response(rc::SYSTEM_BUSY, Some("busy"));
        assert_eq!((s.code, s.message.as_str()), (42900, "busy"));
        assert_eq!(from_response(1, None).message, "1");
    }

    #[test]
    fn unknown_topic_is_topic_not_found() {
        let e = ClientError::Broker {
            code: rc::TOPIC_NOT_EXIST,
            remark: "No topic route info in name server for the topic: T".into(),
            addr: "ns".into(),
        };
        assert_eq!(from_client_error(&e).code, pb::Code::TopicNotFound);
        assert_eq!(code_name(pb::Code::Ok), "OK");
    }
}
