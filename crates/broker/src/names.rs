//! Names from the wire, checked where they enter: topics and groups as Java's
//! `TopicValidator` checks them, refused with INVALID_PARAMETER.

use ferromq_model::validate::{validate_group, validate_topic};
use ferromq_remoting::RequestError;

/// Checks a topic name from the wire.
pub(crate) fn topic_name(topic: &str) -> Result<(), RequestError> {
    validate_topic(topic).map_err(|e| RequestError::invalid(e.to_string()))
}

/// Checks a group name from the wire.
pub(crate) fn group_name(group: &str) -> Result<(), RequestError> {
    validate_group(group).map_err(|e| RequestError::invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq_protocol::response_code;

    #[test]
    fn names_map_to_invalid_parameter() {
        assert_eq!(
            topic_name("a/b").unwrap_err().code(),
            response_code::INVALID_PARAMETER
        );
        assert_eq!(
            group_name(&"g".repeat(121)).unwrap_err().code(),
            response_code::INVALID_PARAMETER
        );
        assert!(topic_name("%RETRY%cg").is_ok());
        assert!(group_name("cg").is_ok());
    }
}
