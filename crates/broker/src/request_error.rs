//! Why a request is refused: the response code and remark the client gets. Handlers return
//! `Result<RemotingCommand, RequestError>` and use `?`; the conversions from header and name
//! errors live here, once.

use ferromq_model::validate::{validate_group, validate_topic, NameError};
use ferromq_protocol::headers::HeaderError;
use ferromq_protocol::{response_code, RemotingCommand};

/// A refusal: Java's response code and a remark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    code: i32,
    remark: String,
}

/// What a request handler returns.
pub type RequestResult = Result<RemotingCommand, RequestError>;

impl RequestError {
    /// A refusal with `code` and `remark`.
    pub fn new(code: i32, remark: impl Into<String>) -> Self {
        RequestError {
            code,
            remark: remark.into(),
        }
    }

    /// INVALID_PARAMETER with `remark`.
    pub fn invalid(remark: impl Into<String>) -> Self {
        Self::new(response_code::INVALID_PARAMETER, remark)
    }

    /// NO_PERMISSION with `remark`.
    pub fn no_permission(remark: impl Into<String>) -> Self {
        Self::new(response_code::NO_PERMISSION, remark)
    }

    /// SYSTEM_ERROR with `remark`.
    pub fn system(remark: impl Into<String>) -> Self {
        Self::new(response_code::SYSTEM_ERROR, remark)
    }

    /// The response code.
    pub fn code(&self) -> i32 {
        self.code
    }

    /// The remark.
    pub fn remark(&self) -> &str {
        &self.remark
    }

    /// The response the client gets.
    pub fn into_response(self) -> RemotingCommand {
        RemotingCommand::error(self.code, self.remark)
    }
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = response_code::name(self.code).unwrap_or("UNKNOWN");
        write!(f, "{name}: {}", self.remark)
    }
}

impl std::error::Error for RequestError {}

/// A header that does not decode: Java answers SYSTEM_ERROR with the decoder's message.
impl From<HeaderError> for RequestError {
    fn from(e: HeaderError) -> Self {
        Self::system(e.to_string())
    }
}

/// A topic or group that is not a name: INVALID_PARAMETER, as Java's `TopicValidator`.
impl From<NameError> for RequestError {
    fn from(e: NameError) -> Self {
        Self::invalid(e.to_string())
    }
}

/// Checks a topic name from the wire.
pub fn topic_name(topic: &str) -> Result<(), RequestError> {
    Ok(validate_topic(topic)?)
}

/// Checks a group name from the wire.
pub fn group_name(group: &str) -> Result<(), RequestError> {
    Ok(validate_group(group)?)
}

/// Collapses a handler result into the response.
pub fn respond(result: RequestResult) -> RemotingCommand {
    result.unwrap_or_else(RequestError::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_headers_map_to_java_codes() {
        assert_eq!(
            topic_name("a/b").unwrap_err().code(),
            response_code::INVALID_PARAMETER
        );
        assert_eq!(
            group_name(&"g".repeat(121)).unwrap_err().code(),
            response_code::INVALID_PARAMETER
        );
        assert!(topic_name("%RETRY%cg").is_ok());
        let e: RequestError = HeaderError::Missing("topic").into();
        assert_eq!(e.code(), response_code::SYSTEM_ERROR);
        let r = respond(Err(RequestError::no_permission("nope")));
        assert_eq!(
            (r.code, r.remark.as_deref()),
            (response_code::NO_PERMISSION, Some("nope"))
        );
    }
}
