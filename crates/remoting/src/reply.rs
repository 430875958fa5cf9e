//! What a request handler answers: a [`RequestError`] when it refuses (the response code and
//! remark the client gets), or a response built with [`ok_json`]. Broker and NameServer
//! handlers return [`RequestResult`] and use `?`; the conversions from decoding errors are
//! here, once.

use ferromq_protocol::headers::HeaderError;
use ferromq_protocol::{response_code, RemotingCommand};

/// Longest remark sent back: errors may quote what the client sent, and a remark the client
/// cannot take helps nobody.
pub const MAX_REMARK: usize = 512;

/// A refusal: Java's response code and a remark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    code: i32,
    remark: String,
}

/// What a request handler returns.
pub type RequestResult = Result<RemotingCommand, RequestError>;

impl RequestError {
    /// A refusal with `code` and `remark` (cut to [`MAX_REMARK`] bytes).
    pub fn new(code: i32, remark: impl Into<String>) -> Self {
        RequestError {
            code,
            remark: clip(remark.into()),
        }
    }

    /// INVALID_PARAMETER.
    pub fn invalid(remark: impl Into<String>) -> Self {
        Self::new(response_code::INVALID_PARAMETER, remark)
    }

    /// NO_PERMISSION.
    pub fn no_permission(remark: impl Into<String>) -> Self {
        Self::new(response_code::NO_PERMISSION, remark)
    }

    /// SYSTEM_ERROR.
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

/// An error response handed back by older code, as a refusal.
impl From<RemotingCommand> for RequestError {
    fn from(resp: RemotingCommand) -> Self {
        Self::new(resp.code, resp.remark.unwrap_or_default())
    }
}

/// Collapses a handler result into the response.
pub fn respond(result: RequestResult) -> RemotingCommand {
    result.unwrap_or_else(RequestError::into_response)
}

/// A SUCCESS response with a JSON body.
pub fn ok_json(value: &impl serde::Serialize) -> RemotingCommand {
    RemotingCommand::success().with_body(serde_json::to_vec(value).unwrap_or_default())
}

/// `e` as text of at most [`MAX_REMARK`] bytes (for remarks and log lines that quote input).
pub fn clipped(e: impl std::fmt::Display) -> String {
    clip(e.to_string())
}

fn clip(mut text: String) -> String {
    if text.len() > MAX_REMARK {
        let mut cut = MAX_REMARK;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_become_java_responses() {
        let e: RequestError = HeaderError::Missing("topic").into();
        assert_eq!(e.code(), response_code::SYSTEM_ERROR);
        let r = respond(Err(RequestError::no_permission("nope")));
        assert_eq!(
            (r.code, r.remark.as_deref()),
            (response_code::NO_PERMISSION, Some("nope"))
        );
        let long = RequestError::invalid("é".repeat(1000));
        assert!(long.remark().len() <= MAX_REMARK + '…'.len_utf8());
        assert!(long.remark().ends_with('…'));
        let ok = ok_json(&serde_json::json!({"a": 1}));
        assert_eq!(&ok.body.to_bytes()[..], br#"{"a":1}"#);
        assert_eq!(respond(Ok(ok)).code, response_code::SUCCESS);
    }
}
