//! Building the SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE request of one attempt (Java
//! `sendKernelImpl`): V2 header with one-letter keys, retry bookkeeping moved from properties
//! to header fields for `%RETRY%` topics.

use bytes::Bytes;
use ferromq_model::names::RETRY_GROUP_TOPIC_PREFIX;
use ferromq_protocol::headers::SendMessageRequestHeaderV2;
use ferromq_protocol::message::{keys, Properties};
use ferromq_protocol::{request_code, RemotingCommand};

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
    let mut props = req.properties.clone();
    let mut reconsume_times = 0;
    let mut max_reconsume_times = None;
    if req.topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
        if let Some(v) = props.remove(keys::RECONSUME_TIME) {
            reconsume_times = v.trim().parse().unwrap_or(0);
        }
        if let Some(v) = props.remove(keys::MAX_RECONSUME_TIMES) {
            max_reconsume_times = v.trim().parse().ok();
        }
    }
    let header = SendMessageRequestHeaderV2 {
        a: req.group.to_string(),
        b: req.topic.to_string(),
        c: req.default_topic.to_string(),
        d: req.default_topic_queue_nums,
        e: req.queue_id,
        f: req.sys_flag,
        g: req.born_timestamp,
        h: req.flag,
        i: Some(props.encode()),
        j: Some(reconsume_times),
        k: Some(false),
        l: max_reconsume_times,
        m: Some(req.batch),
        n: Some(req.broker_name.to_string()),
    };
    let code = if req.batch {
        request_code::SEND_BATCH_MESSAGE
    } else {
        request_code::SEND_MESSAGE_V2
    };
    RemotingCommand::request_with(code, &header).with_body(req.body.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(h.j, Some(0));
        assert_eq!(h.l, None);
        assert!(h.i.unwrap().contains("RECONSUME_TIME"));
        assert_eq!(&cmd.body.to_bytes()[..], b"x");
    }
}
