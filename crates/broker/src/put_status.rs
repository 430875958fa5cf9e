//! Put statuses as request refusals: the one map from the store's `PutMessageStatus` to
//! Java's response codes and remarks, used by every handler that stores a message (send,
//! send-back, END_TRANSACTION). The delayed-delivery services decide differently (retry or
//! drop, see `delayed::repost`).

use ferromq_protocol::response_code;
use ferromq_remoting::RequestError;
use ferromq_store::PutMessageStatus;

/// The refusal for a put that did not store (Java's codes and remarks).
pub(crate) fn put_error(status: PutMessageStatus, topic: &str) -> RequestError {
    let (code, remark) = match status {
        PutMessageStatus::CreateMappedFileFailed => (
            response_code::SYSTEM_ERROR,
            "create mapped file failed, server is busy or broken.",
        ),
        PutMessageStatus::MessageIllegal | PutMessageStatus::PropertiesSizeExceeded => (
            response_code::MESSAGE_ILLEGAL,
            "the message is illegal, maybe msg body or properties length not matched. msg body length limit 4M, msg properties length limit 32k.",
        ),
        PutMessageStatus::ServiceNotAvailable => (
            response_code::SERVICE_NOT_AVAILABLE,
            "service not available now. It may be caused by one of the following reasons: the broker's disk is full, messages are put to the slave, message store has been shut down, etc.",
        ),
        PutMessageStatus::DiskFull => (
            response_code::SERVICE_NOT_AVAILABLE,
            "service not available now: the broker's disk is full",
        ),
        PutMessageStatus::OsPageCacheBusy => (
            response_code::SYSTEM_BUSY,
            "[PC_SYNCHRONIZED]broker busy, start flow control for a while",
        ),
        PutMessageStatus::InSyncReplicasNotEnough => {
            (response_code::SYSTEM_ERROR, "in-sync replicas not enough")
        }
        other => (response_code::SYSTEM_ERROR, other.name()),
    };
    tracing::warn!(topic, status = status.name(), "put failed");
    RequestError::new(code, remark)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_failures_map_to_java_codes() {
        assert_eq!(
            put_error(PutMessageStatus::DiskFull, "T").code(),
            response_code::SERVICE_NOT_AVAILABLE
        );
        assert_eq!(
            put_error(PutMessageStatus::PropertiesSizeExceeded, "T").code(),
            response_code::MESSAGE_ILLEGAL
        );
        assert_eq!(
            put_error(PutMessageStatus::OsPageCacheBusy, "T").code(),
            response_code::SYSTEM_BUSY
        );
    }
}
