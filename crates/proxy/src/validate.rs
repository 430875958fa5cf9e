//! Checks of what a gRPC client names and sends, with Java's `GrpcValidator` codes and
//! messages. Every topic and group from a request passes here before any remoting call.

use ferromq_model::{names, validate};

use crate::pb;
use crate::status::Refusal;

/// The name a resource stands for on the brokers: `namespace%name` when the client works in a
/// namespace (Java's `NamespaceUtil.wrapNamespace`), else the name.
pub fn resource_name(r: &pb::Resource) -> String {
    let ns = r.resource_namespace.trim();
    if ns.is_empty() || r.name.starts_with(&format!("{ns}%")) {
        r.name.clone()
    } else {
        format!("{ns}%{}", r.name)
    }
}

/// A topic a client may use: a valid name and not one of the broker's own.
pub fn topic(r: Option<&pb::Resource>) -> Result<String, Refusal> {
    let name = r.map(resource_name).unwrap_or_default();
    validate::validate_topic(&name)
        .map_err(|e| Refusal::new(pb::Code::IllegalTopic, e.to_string()))?;
    if names::is_sys_topic(&name) {
        return Err(Refusal::new(
            pb::Code::IllegalTopic,
            "cannot access system topic",
        ));
    }
    Ok(name)
}

/// A consumer group a client may use: a valid name and not a system group.
pub fn consumer_group(r: Option<&pb::Resource>) -> Result<String, Refusal> {
    let name = r.map(resource_name).unwrap_or_default();
    validate::validate_group(&name)
        .map_err(|e| Refusal::new(pb::Code::IllegalConsumerGroup, e.to_string()))?;
    if names::is_sys_consumer_group(&name) {
        return Err(Refusal::new(
            pb::Code::IllegalConsumerGroup,
            "cannot use system consumer group",
        ));
    }
    Ok(name)
}

/// Java's `CharMatcher.javaIsoControl()`: U+0000–U+001F and U+007F–U+009F.
pub fn has_control_char(s: &str) -> bool {
    s.chars()
        .any(|c| (c as u32) <= 0x1f || (0x7f..=0x9f).contains(&(c as u32)))
}

fn is_blank(s: &str) -> bool {
    s.chars().all(char::is_whitespace)
}

/// A tag: empty, or not blank, without `|` and control characters.
pub fn tag(tag: &str) -> Result<(), Refusal> {
    let refuse = |m: &str| Err(Refusal::new(pb::Code::IllegalMessageTag, m));
    if tag.is_empty() {
        Ok(())
    } else if is_blank(tag) {
        refuse("tag cannot be the char sequence of whitespace")
    } else if tag.contains('|') {
        refuse("tag cannot contain '|'")
    } else if has_control_char(tag) {
        refuse("tag cannot contain control character")
    } else {
        Ok(())
    }
}

/// A message key: empty, or not blank and without control characters.
pub fn key(key: &str) -> Result<(), Refusal> {
    let refuse = |m: &str| Err(Refusal::new(pb::Code::IllegalMessageKey, m));
    if key.is_empty() {
        Ok(())
    } else if is_blank(key) {
        refuse("key cannot be the char sequence of whitespace")
    } else if has_control_char(key) {
        refuse("key cannot contain control character")
    } else {
        Ok(())
    }
}

/// A message group: empty, or not blank, shorter than `max` UTF-8 bytes, no control chars.
pub fn message_group(group: &str, max: usize) -> Result<(), Refusal> {
    let refuse = |m: String| Err(Refusal::new(pb::Code::IllegalMessageGroup, m));
    if group.is_empty() {
        Ok(())
    } else if is_blank(group) {
        refuse("message group cannot be the char sequence of whitespace".into())
    } else if max > 0 && group.len() >= max {
        refuse(format!("message group exceed the max size {max}"))
    } else if has_control_char(group) {
        refuse("message group cannot contain control character".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(ns: &str, name: &str) -> pb::Resource {
        pb::Resource {
            resource_namespace: ns.into(),
            name: name.into(),
        }
    }

    #[test]
    fn topics_and_groups() {
        assert_eq!(topic(Some(&res("", "T"))).unwrap(), "T");
        assert_eq!(topic(Some(&res("ns", "T"))).unwrap(), "ns%T");
        assert_eq!(topic(Some(&res("ns", "ns%T"))).unwrap(), "ns%T");
        assert_eq!(topic(None).unwrap_err().code, pb::Code::IllegalTopic);
        assert_eq!(
            topic(Some(&res("", "a/b"))).unwrap_err().code,
            pb::Code::IllegalTopic
        );
        let sys = topic(Some(&res("", "RMQ_SYS_TRANS_HALF_TOPIC"))).unwrap_err();
        assert_eq!(sys.message, "cannot access system topic");
        assert_eq!(consumer_group(Some(&res("", "g"))).unwrap(), "g");
        assert_eq!(
            consumer_group(Some(&res("", "CID_RMQ_SYS_X")))
                .unwrap_err()
                .code,
            pb::Code::IllegalConsumerGroup
        );
    }

    #[test]
    fn tags_keys_groups() {
        assert!(tag("").is_ok() && tag("TagA").is_ok());
        assert_eq!(tag("a|b").unwrap_err().message, "tag cannot contain '|'");
        assert_eq!(tag(" ").unwrap_err().code, pb::Code::IllegalMessageTag);
        assert_eq!(key("k\u{1}").unwrap_err().code, pb::Code::IllegalMessageKey);
        assert!(message_group("g", 64).is_ok());
        assert_eq!(
            message_group(&"x".repeat(64), 64).unwrap_err().message,
            "message group exceed the max size 64"
        );
        assert!(has_control_char("\u{85}") && !has_control_char("é"));
    }
}
