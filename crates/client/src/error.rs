//! The client's error type.
//!
//! A broker or NameServer that answers with a non-success code becomes
//! [`ClientError::Broker`], carrying the response code (see `ferromq_protocol::response_code`)
//! and the remark; transport failures keep their [`RemotingError`] as the source.

use ferromq_protocol::{response_code, HeaderError};
use ferromq_remoting::RemotingError;

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error code.
    #[error("{addr} answered {code} ({}): {remark}", response_code::name(*.code).unwrap_or("UNKNOWN"))]
    Broker {
        /// Response code (`ResponseCode`).
        code: i32,
        /// The server's remark, empty if none.
        remark: String,
        /// Address of the server that answered.
        addr: String,
    },
    /// The request could not be delivered or was not answered in time.
    #[error("remote call failed")]
    Remoting(#[from] RemotingError),
    /// No NameServer address is configured.
    #[error("no NameServer address configured")]
    NoNameServer,
    /// The NameServer knows no route for the topic.
    #[error("no route info of topic `{0}`")]
    NoRoute(String),
    /// A broker group has no usable address in the route table.
    #[error("broker `{0}` not found in the route table")]
    BrokerNotFound(String),
    /// Every attempt of a send failed.
    #[error(
        "send to topic `{topic}` failed after {attempts} attempt(s) (brokers tried: {brokers:?})"
    )]
    SendFailed {
        /// The topic.
        topic: String,
        /// Attempts made.
        attempts: usize,
        /// Broker groups tried, in order.
        brokers: Vec<String>,
        /// The last failure.
        #[source]
        last: Box<ClientError>,
    },
    /// The whole send took longer than its timeout before an attempt could start.
    #[error("send timed out before attempt {attempt}")]
    SendTimeout {
        /// The attempt that could not start.
        attempt: usize,
    },
    /// The message breaks a client-side rule (empty body, too large, bad topic…).
    #[error("illegal message: {0}")]
    IllegalMessage(String),
    /// A configuration value or argument is invalid.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The producer/consumer is not started (or already shut down).
    #[error("the client is not running")]
    NotRunning,
    /// A response header could not be read.
    #[error("bad response header")]
    Header(#[from] HeaderError),
    /// A response body could not be decoded.
    #[error("bad response body")]
    Body(#[from] ferromq_model::ModelError),
    /// A message record could not be decoded.
    #[error("bad message record")]
    Record(#[from] ferromq_protocol::message::record::RecordError),
    /// A message id could not be decoded.
    #[error("bad message id")]
    MessageId(#[from] ferromq_protocol::message::id::MessageIdError),
    /// Local file I/O (broadcasting offset store).
    #[error("offset file {path}")]
    Io {
        /// The file.
        path: String,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// A background task (async send, listener) panicked or was cancelled.
    #[error("background task aborted: {0}")]
    Aborted(String),
    /// A push consumer could not start its consume threads.
    #[error("cannot start the consume threads")]
    ConsumeThreads(#[source] std::io::Error),
    /// Compressing or decompressing a body failed.
    #[error("message body (de)compression failed")]
    Compression(#[source] std::io::Error),
}

impl ClientError {
    /// The RocketMQ response code behind this error: the broker's code, or the Java client's
    /// local code for transport failures (−1002 … −1006), or `None`.
    pub fn response_code(&self) -> Option<i32> {
        match self {
            ClientError::Broker { code, .. } => Some(*code),
            ClientError::Remoting(e) => Some(e.java_code()),
            ClientError::SendFailed { last, .. } => last.response_code(),
            _ => None,
        }
    }

    /// Builds a broker error from a response.
    pub(crate) fn from_response(addr: &str, response: &ferromq_protocol::RemotingCommand) -> Self {
        ClientError::Broker {
            code: response.code,
            remark: response.remark.clone().unwrap_or_default(),
            addr: addr.to_string(),
        }
    }
}

/// Result alias for client calls.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_error_names_the_code() {
        let e = ClientError::Broker {
            code: response_code::TOPIC_NOT_EXIST,
            remark: "topic[x] not exist".into(),
            addr: "127.0.0.1:10911".into(),
        };
        assert_eq!(
            e.to_string(),
            "127.0.0.1:10911 answered 17 (TOPIC_NOT_EXIST): topic[x] not exist"
        );
        let wrapped = ClientError::SendFailed {
            topic: "T".into(),
            attempts: 3,
            brokers: vec!["a".into()],
            last: Box::new(e),
        };
        assert_eq!(wrapped.response_code(), Some(17));
        assert_eq!(ClientError::NotRunning.response_code(), None);
    }
}
