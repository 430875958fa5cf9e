//! Building the SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE request of one attempt (Java
//! `sendKernelImpl`): V2 header with one-letter keys, retry bookkeeping moved from properties
//! to header fields for `%RETRY%` topics.
//!
//! This runs once per message sent, so the ext fields are written directly (the fields of
//! `SendMessageRequestHeaderV2`, which the tests read back) rather than through the typed
//! header, which would copy every string twice; the properties are only copied for retry
//! topics, where two of them move into the header.

use bytes::Bytes;
use ferromq_model::names::RETRY_GROUP_TOPIC_PREFIX;
use ferromq_protocol::message::{keys, Properties};
use ferromq_protocol::{request_code, ExtFields, RemotingCommand};

/// Everything an attempt puts on the wire.
#[derive(Debug, Clone)]
pub(crate) struct SendRequest<'a> {
    pub group: &'a str,
    pub topic: &'a str,
    pub default_topic: &'a str,
    pub default_topic_queue_nums: i32,
    pub queue_id: i32,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub flag: i32,
    pub properties: &'a Properties,
    pub batch: bool,
    pub broker_name: &'a str,
    pub body: Bytes,
}

/// The request command for `req`.
pub(crate) fn build_send_command(req: &SendRequest<'_>) -> RemotingCommand {
    let (properties, reconsume_times, max_reconsume_times) =
        if req.topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
            let mut props = req.properties.clone();
            let reconsume_times = props
                .remove(keys::RECONSUME_TIME)
                .and_then(|v| v.trim().parse::<i32>().ok())
                .unwrap_or(0);
            let max_reconsume_times = props
                .remove(keys::MAX_RECONSUME_TIMES)
                .and_then(|v| v.trim().parse::<i32>().ok());
            (props.encode(), reconsume_times, max_reconsume_times)
        } else {
            (req.properties.encode(), 0, None)
        };
    let mut fields = ExtFields::with_capacity(14);
    fields.insert("a", req.group);
    fields.insert("b", req.topic);
    fields.insert("c", req.default_topic);
    fields.insert("d", req.default_topic_queue_nums.to_string());
    fields.insert("e", req.queue_id.to_string());
    fields.insert("f", req.sys_flag.to_string());
    fields.insert("g", req.born_timestamp.to_string());
    fields.insert("h", req.flag.to_string());
    fields.insert("i", properties);
    fields.insert("j", reconsume_times.to_string());
    fields.insert("k", "false");
    if let Some(max) = max_reconsume_times {
        fields.insert("l", max.to_string());
    }
    fields.insert("m", if req.batch { "true" } else { "false" });
    fields.insert("n", req.broker_name);
    let code = if req.batch {
        request_code::SEND_BATCH_MESSAGE
    } else {
        request_code::SEND_MESSAGE_V2
    };
    let mut cmd = RemotingCommand::request(code).with_body(req.body.clone());
    cmd.ext_fields = fields;
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq_protocol::headers::SendMessageRequestHeaderV2;

    #[test]
    fn retry_topic_moves_properties_to_header() {
        let mut p = Properties::new();
        p.insert("RECONSUME_TIME", "3");
        p.insert("MAX_RECONSUME_TIMES", "16");
        p.insert("TAGS", "t");
        let req = SendRequest {
            group: "pg",
            topic: "%RETRY%cg",
            default_topic: "TBW102",
            default_topic_queue_nums: 4,
            queue_id: 0,
            sys_flag: 0,
            born_timestamp: 5,
            flag: 1,
            properties: &p,
            batch: false,
            broker_name: "b",
            body: Bytes::from_static(b"x"),
        };
        let cmd = build_send_command(&req);
        assert_eq!(cmd.code, 310);
        let h: SendMessageRequestHeaderV2 = cmd.decode_header().unwrap();
        assert_eq!(h.j, Some(3));
        assert_eq!(h.l, Some(16));
        assert_eq!(h.i.as_deref(), Some("TAGS\u{1}t\u{2}"));
        assert_eq!(h.n.as_deref(), Some("b"));
        let normal = SendRequest {
            topic: "T",
            batch: true,
            ..req
        };
        let cmd = build_send_command(&normal);
        assert_eq!(cmd.code, 320);
        let h: SendMessageRequestHeaderV2 = cmd.decode_header().unwrap();
        assert_eq!(
            h,
            SendMessageRequestHeaderV2 {
                a: "pg".into(),
                b: "T".into(),
                c: "TBW102".into(),
                d: 4,
                e: 0,
                f: 0,
                g: 5,
                h: 1,
                i: Some(p.encode()),
                j: Some(0),
                k: Some(false),
                l: None,
                m: Some(true),
                n: Some("b".into()),
            }
        );
        assert_eq!(cmd.ext_fields.len(), 13, "no `l` outside retry topics");
        assert_eq!(&cmd.body.to_bytes()[..], b"x");
    }
}
