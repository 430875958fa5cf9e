//! The outcome of a send (Java's `SendResult`), read from the broker's response.

use ferromq_model::MessageQueue;
use ferromq_protocol::headers::SendMessageResponseHeader;
use ferromq_protocol::message::keys;
use ferromq_protocol::{response_code, RemotingCommand};

use crate::error::{ClientError, Result};

/// How the broker stored the message. Every status means the message was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendStatus {
    /// Stored (and flushed/replicated as configured).
    SendOk,
    /// Stored, but the synchronous flush timed out.
    FlushDiskTimeout,
    /// Stored, but replication to the slave timed out.
    FlushSlaveTimeout,
    /// Stored, but no slave was available.
    SlaveNotAvailable,
}

impl SendStatus {
    /// The status of a send response code; `None` for failure codes.
    pub fn from_code(code: i32) -> Option<Self> {
        match code {
            response_code::SUCCESS => Some(SendStatus::SendOk),
            response_code::FLUSH_DISK_TIMEOUT => Some(SendStatus::FlushDiskTimeout),
            response_code::FLUSH_SLAVE_TIMEOUT => Some(SendStatus::FlushSlaveTimeout),
            response_code::SLAVE_NOT_AVAILABLE => Some(SendStatus::SlaveNotAvailable),
            _ => None,
        }
    }

    /// Java's enum name.
    pub fn name(self) -> &'static str {
        match self {
            SendStatus::SendOk => "SEND_OK",
            SendStatus::FlushDiskTimeout => "FLUSH_DISK_TIMEOUT",
            SendStatus::FlushSlaveTimeout => "FLUSH_SLAVE_TIMEOUT",
            SendStatus::SlaveNotAvailable => "SLAVE_NOT_AVAILABLE",
        }
    }
}

impl std::fmt::Display for SendStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A stored message's coordinates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResult {
    /// Store status.
    pub status: SendStatus,
    /// The client's unique id (`UNIQ_KEY`); comma-joined ids for a batch.
    pub msg_id: String,
    /// The broker's offset msgId (comma-joined for a batch).
    pub offset_msg_id: String,
    /// Queue the message went to.
    pub queue: MessageQueue,
    /// Queue offset of the (first) message.
    pub queue_offset: i64,
    /// Transaction id (the broker echoes `UNIQ_KEY`).
    pub transaction_id: Option<String>,
    /// `MSG_REGION` of the broker (`DefaultRegion`).
    pub region_id: String,
    /// Whether the broker has tracing on.
    pub trace_on: bool,
}

/// Reads a send response from `addr` for a message sent to `topic`/`broker_name`.
pub(crate) fn parse_send_response(
    addr: &str,
    topic: &str,
    broker_name: &str,
    msg_id: String,
    response: &RemotingCommand,
) -> Result<SendResult> {
    let status = SendStatus::from_code(response.code)
        .ok_or_else(|| ClientError::from_response(addr, response))?;
    let header: SendMessageResponseHeader = response.decode_header()?;
    let region_id = response
        .ext_fields
        .get(keys::MSG_REGION)
        .filter(|r| !r.is_empty())
        .unwrap_or("DefaultRegion")
        .to_string();
    let trace_on = response.ext_fields.get(keys::TRACE_SWITCH) != Some("false");
    Ok(SendResult {
        status,
        msg_id,
        offset_msg_id: header.msg_id,
        queue: MessageQueue::new(topic, broker_name, header.queue_id),
        queue_offset: header.queue_offset,
        transaction_id: header.transaction_id,
        region_id,
        trace_on,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(code: i32) -> RemotingCommand {
        RemotingCommand::response(code)
            .with_ext("msgId", "7F00000100002A9F0000000000000000")
            .with_ext("queueId", "3")
            .with_ext("queueOffset", "42")
            .with_ext("transactionId", "ABC")
            .with_ext("MSG_REGION", "")
            .with_ext("TRACE_ON", "false")
    }

    #[test]
    fn statuses_and_fields() {
        for (code, st) in [
            (0, SendStatus::SendOk),
            (10, SendStatus::FlushDiskTimeout),
            (12, SendStatus::FlushSlaveTimeout),
            (11, SendStatus::SlaveNotAvailable),
        ] {
            let r = parse_send_response("a:1", "T", "b", "U".into(), &response(code)).unwrap();
            assert_eq!(r.status, st);
            assert_eq!(r.queue, MessageQueue::new("T", "b", 3));
            assert_eq!(r.queue_offset, 42);
            assert_eq!(r.transaction_id.as_deref(), Some("ABC"));
            assert_eq!(r.region_id, "DefaultRegion");
            assert!(!r.trace_on);
        }
        let err = parse_send_response(
            "a:1",
            "T",
            "b",
            "U".into(),
            &response(17).with_remark("no topic"),
        )
        .unwrap_err();
        assert_eq!(err.response_code(), Some(17));
        let missing = RemotingCommand::success();
        assert!(matches!(
            parse_send_response("a:1", "T", "b", "U".into(), &missing),
            Err(ClientError::Header(_))
        ));
    }
}
