//! Names of POP's topics, groups and marks (Java's `KeyBuilder` and `PopAckConstants`).

use ferromq_model::names::RETRY_GROUP_TOPIC_PREFIX;

/// The revive queue id an orderly pop reports: orderly pops write no checkpoint.
pub(crate) const ORDER_REVIVE_QUEUE: i32 = 999;
/// The group whose offsets are the revive service's progress on each revive queue.
pub(crate) const REVIVE_GROUP: &str = "CID_RMQ_SYS_REVIVE_GROUP";
/// Tag of a checkpoint in the revive log.
pub(crate) const CK_TAG: &str = "ck";
/// Tag of an ack in the revive log.
pub(crate) const ACK_TAG: &str = "ack";
/// Tag of a batch ack in the revive log.
pub(crate) const BATCH_ACK_TAG: &str = "bAck";
/// Java caps a pop at 32 messages.
pub(crate) const MAX_POP_MSG_NUMS: i32 = 32;
/// Queues of a pop retry topic (Java's `PopAckConstants.retryQueueNum`).
pub(crate) const RETRY_QUEUE_NUM: i32 = 1;

/// `%RETRY%{group}_{topic}`: the pop retry topic before `enableRetryTopicV2`.
pub(crate) fn retry_topic_v1(topic: &str, group: &str) -> String {
    format!("{RETRY_GROUP_TOPIC_PREFIX}{group}_{topic}")
}

/// `%RETRY%{group}+{topic}`: the pop retry topic with `enableRetryTopicV2`.
pub(crate) fn retry_topic_v2(topic: &str, group: &str) -> String {
    format!("{RETRY_GROUP_TOPIC_PREFIX}{group}+{topic}")
}

/// The pop retry topic the broker writes to.
pub(crate) fn retry_topic(topic: &str, group: &str, v2: bool) -> String {
    if v2 {
        retry_topic_v2(topic, group)
    } else {
        retry_topic_v1(topic, group)
    }
}

/// Whether `topic` is a v2 pop retry topic (`%RETRY%…+…`).
pub(crate) fn is_retry_v2(topic: &str) -> bool {
    topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) && topic.contains('+')
}

/// The mark receipts carry for a topic: `0` normal, `1` retry (v1), `2` retry v2.
pub(crate) fn retry_mark(topic: &str) -> &'static str {
    if is_retry_v2(topic) {
        "2"
    } else if topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
        "1"
    } else {
        "0"
    }
}

/// The topic a receipt's mark designates for `topic` popped by `group`; `None` for an
/// unknown mark.
pub(crate) fn real_topic(topic: &str, group: &str, mark: &str) -> Option<String> {
    match mark {
        "0" => Some(topic.to_string()),
        "1" => Some(retry_topic_v1(topic, group)),
        "2" => Some(retry_topic_v2(topic, group)),
        _ => None,
    }
}

/// The normal topic and group of a pop retry topic, if `topic` is one (`%RETRY%g+t` or
/// `%RETRY%g_t`; the v1 form is ambiguous when the group holds `_`, so it is resolved
/// against the groups `known` says exist).
pub(crate) fn parse_retry(topic: &str, known: impl Fn(&str) -> bool) -> Option<(String, String)> {
    let rest = topic.strip_prefix(RETRY_GROUP_TOPIC_PREFIX)?;
    if let Some((g, t)) = rest.split_once('+') {
        return Some((t.to_string(), g.to_string()));
    }
    rest.match_indices('_')
        .map(|(i, _)| (&rest[..i], &rest[i + 1..]))
        .find(|(g, t)| !t.is_empty() && known(g))
        .map(|(g, t)| (t.to_string(), g.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_topics_and_marks() {
        assert_eq!(retry_topic("T", "g", false), "%RETRY%g_T");
        assert_eq!(retry_topic("T", "g", true), "%RETRY%g+T");
        assert_eq!(retry_mark("T"), "0");
        assert_eq!(retry_mark("%RETRY%g_T"), "1");
        assert_eq!(retry_mark("%RETRY%g+T"), "2");
        assert_eq!(real_topic("T", "g", "2").unwrap(), "%RETRY%g+T");
        assert_eq!(real_topic("T", "g", "1").unwrap(), "%RETRY%g_T");
        assert_eq!(real_topic("T", "g", "0").unwrap(), "T");
        assert!(real_topic("T", "g", "7").is_none());
    }

    #[test]
    fn retry_topics_parse_back() {
        let all = |_: &str| true;
        assert_eq!(
            parse_retry("%RETRY%g+T", all),
            Some(("T".into(), "g".into()))
        );
        let known = |g: &str| g == "my_group";
        assert_eq!(
            parse_retry("%RETRY%my_group_T_x", known),
            Some(("T_x".into(), "my_group".into()))
        );
        assert_eq!(parse_retry("%RETRY%nogroup", all), None);
        assert_eq!(parse_retry("T", all), None);
    }
}
