//! PULL_MESSAGE / LITE_PULL_MESSAGE (Java `PullAPIWrapper`): build the request, pick the
//! broker (the one the last answer suggested), and turn the answer into messages — decoded,
//! decompressed, re-filtered by tag string, stamped with `MIN_OFFSET`/`MAX_OFFSET`.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use ferromq_model::names::MASTER_ID;
use ferromq_model::{ExpressionType, MessageQueue, SubscriptionData};
use ferromq_protocol::headers::{PullMessageRequestHeader, PullMessageResponseHeader};
use ferromq_protocol::message::keys;
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::message::sysflag::pull as pull_flag;
use ferromq_protocol::{request_code, response_code, RemotingCommand};
use parking_lot::Mutex;

use crate::error::{ClientError, Result};
use crate::instance::ClientInstance;
use crate::message::ReceivedMessage;

/// What a pull found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PullStatus {
    /// Messages (possibly all filtered out client-side).
    Found,
    /// Nothing new (long poll timed out).
    NoNewMsg,
    /// Messages exist but none matched the subscription.
    NoMatchedMsg,
    /// The requested offset is outside the queue; restart at `next_begin_offset`.
    OffsetIllegal,
}

/// A pull's answer.
#[derive(Debug, Clone)]
pub struct PullResult {
    /// Outcome.
    pub status: PullStatus,
    /// Offset to pull next.
    pub next_begin_offset: i64,
    /// Queue min offset.
    pub min_offset: i64,
    /// Queue max offset.
    pub max_offset: i64,
    /// Broker id to pull from next (0 = master).
    pub suggest_which_broker_id: i64,
    /// Messages that match the subscription.
    pub messages: Vec<ReceivedMessage>,
}

/// One pull's parameters.
#[derive(Debug, Clone)]
pub(crate) struct PullArgs<'a> {
    pub group: &'a str,
    pub mq: &'a MessageQueue,
    pub subscription: &'a SubscriptionData,
    /// Send the expression in the header (lite pull always; push only if configured).
    pub post_subscription: bool,
    pub offset: i64,
    pub max_nums: i32,
    pub max_bytes: Option<i32>,
    pub commit_offset: Option<i64>,
    pub suspend: bool,
    pub broker_suspend: Duration,
    pub lite: bool,
}

/// The request for `args`, sent to a master (`slave` clears the commit-offset flag).
pub(crate) fn build_pull_command(args: &PullArgs<'_>, slave: bool) -> RemotingCommand {
    let commit = args.commit_offset.is_some() && !slave;
    let mut sys_flag = pull_flag::build(commit, args.suspend, args.post_subscription, false);
    if args.lite {
        sys_flag |= pull_flag::LITE_PULL;
    }
    let tag_type = args.subscription.expression_type == ExpressionType::Tag;
    let header = PullMessageRequestHeader {
        consumer_group: args.group.to_string(),
        topic: args.mq.topic.clone(),
        queue_id: args.mq.queue_id,
        queue_offset: args.offset,
        max_msg_nums: args.max_nums,
        sys_flag,
        commit_offset: args.commit_offset.unwrap_or(0),
        suspend_timeout_millis: args.broker_suspend.as_millis() as i64,
        subscription: args
            .post_subscription
            .then(|| args.subscription.sub_string.clone()),
        // Lite pull sends TAG expressions with version 0, as Java does.
        sub_version: if args.lite && tag_type {
            0
        } else {
            args.subscription.sub_version
        },
        expression_type: Some(args.subscription.expression_type.name().to_string()),
        max_msg_bytes: args.max_bytes,
        request_source: None,
        proxy_forward_client_id: None,
    };
    let code = if args.lite {
        request_code::LITE_PULL_MESSAGE
    } else {
        request_code::PULL_MESSAGE
    };
    RemotingCommand::request_with(code, &header).with_ext("bname", args.mq.broker_name.clone())
}

/// Reads a pull answer from `addr` (Java `processPullResponse` + `processPullResult`).
pub(crate) fn read_pull_response(
    addr: &str,
    response: &RemotingCommand,
    mq: &MessageQueue,
    subscription: &SubscriptionData,
    decompress: bool,
) -> Result<PullResult> {
    let status = match response.code {
        response_code::SUCCESS => PullStatus::Found,
        response_code::PULL_NOT_FOUND => PullStatus::NoNewMsg,
        response_code::PULL_RETRY_IMMEDIATELY => PullStatus::NoMatchedMsg,
        response_code::PULL_OFFSET_MOVED => PullStatus::OffsetIllegal,
        _ => return Err(ClientError::from_response(addr, response)),
    };
    let header: PullMessageResponseHeader = response.decode_header()?;
    let mut messages = Vec::new();
    if status == PullStatus::Found {
        let body: Bytes = response.body.to_bytes();
        let records = MessageExt::decode_all(&body)?;
        let filter_tags = subscription.expression_type == ExpressionType::Tag
            && !subscription.tags_set.is_empty()
            && !subscription.class_filter_mode;
        for record in records {
            let mut m = ReceivedMessage::from_record(record, &mq.broker_name, decompress);
            if filter_tags && !m.tags().is_some_and(|t| subscription.tags_set.contains(t)) {
                continue;
            }
            m.properties
                .insert(keys::MIN_OFFSET, header.min_offset.to_string());
            m.properties
                .insert(keys::MAX_OFFSET, header.max_offset.to_string());
            m.queue_id = mq.queue_id;
            if let Some(delta) = header.offset_delta {
                m.queue_offset += delta;
            }
            messages.push(m);
        }
    }
    Ok(PullResult {
        status,
        next_begin_offset: header.next_begin_offset,
        min_offset: header.min_offset,
        max_offset: header.max_offset,
        suggest_which_broker_id: header.suggest_which_broker_id,
        messages,
    })
}

/// Which replica each queue should be pulled from next (`pullFromWhichNodeTable`).
#[derive(Debug, Default)]
pub(crate) struct SuggestedBrokers {
    table: Mutex<HashMap<MessageQueue, i64>>,
}

impl SuggestedBrokers {
    fn get(&self, mq: &MessageQueue) -> i64 {
        self.table.lock().get(mq).copied().unwrap_or(MASTER_ID)
    }

    fn set(&self, mq: &MessageQueue, id: i64) {
        self.table.lock().insert(mq.clone(), id);
    }
}

/// Pulls once.
pub(crate) async fn pull(
    instance: &ClientInstance,
    suggested: &SuggestedBrokers,
    args: &PullArgs<'_>,
    timeout: Duration,
) -> Result<PullResult> {
    let id = suggested.get(args.mq);
    let found = match instance
        .routes()
        .subscribe_addr(&args.mq.broker_name, id, false)
    {
        Some(x) => Some(x),
        None => {
            let _ = instance.update_route(&args.mq.topic).await;
            instance
                .routes()
                .subscribe_addr(&args.mq.broker_name, id, false)
        }
    };
    let (addr, slave) =
        found.ok_or_else(|| ClientError::BrokerNotFound(args.mq.broker_name.clone()))?;
    let request = build_pull_command(args, slave);
    let response = instance.invoke(&addr, request, timeout).await?;
    let result = read_pull_response(
        &addr,
        &response,
        args.mq,
        args.subscription,
        instance.config().decompress_body,
    )?;
    suggested.set(args.mq, result.suggest_which_broker_id);
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::received::tests::record_bytes;
    use bytes::BytesMut;

    fn response(code: i32, body: Bytes) -> RemotingCommand {
        RemotingCommand::response(code)
            .with_ext("suggestWhichBrokerId", "0")
            .with_ext("nextBeginOffset", "12")
            .with_ext("minOffset", "0")
            .with_ext("maxOffset", "20")
            .with_body(body)
    }

    #[test]
    fn status_mapping_and_tag_refilter() {
        let mq = MessageQueue::new("T", "b", 1);
        let mut body = BytesMut::new();
        body.extend_from_slice(&record_bytes("T", 10, b"a", "TAGS\u{1}TagA\u{2}", 0));
        body.extend_from_slice(&record_bytes("T", 11, b"b", "TAGS\u{1}TagB\u{2}", 0));
        body.extend_from_slice(&record_bytes("T", 12, b"c", "", 0));
        let body = body.freeze();
        let sub = SubscriptionData::from_expression("T", "TagA || TagC");
        let r = read_pull_response("x", &response(0, body.clone()), &mq, &sub, true).unwrap();
        assert_eq!(r.status, PullStatus::Found);
        assert_eq!(r.next_begin_offset, 12);
        assert_eq!(
            r.messages.len(),
            1,
            "hash collisions and untagged messages are dropped"
        );
        let m = &r.messages[0];
        assert_eq!(m.queue_offset, 10);
        assert_eq!(m.property("MAX_OFFSET"), Some("20"));
        assert_eq!(m.broker_name, "b");
        let all = SubscriptionData::from_expression("T", "*");
        assert_eq!(
            read_pull_response("x", &response(0, body), &mq, &all, true)
                .unwrap()
                .messages
                .len(),
            3
        );
        for (code, st) in [
            (19, PullStatus::NoNewMsg),
            (20, PullStatus::NoMatchedMsg),
            (21, PullStatus::OffsetIllegal),
        ] {
            let r =
                read_pull_response("x", &response(code, Bytes::new()), &mq, &all, true).unwrap();
            assert_eq!(r.status, st);
            assert!(r.messages.is_empty());
        }
        let err =
            read_pull_response("x", &response(24, Bytes::new()), &mq, &all, true).unwrap_err();
        assert_eq!(err.response_code(), Some(24));
        let corrupt = read_pull_response(
            "x",
            &response(0, Bytes::from_static(b"\0\0\0\x10junkjunkjunk")),
            &mq,
            &all,
            true,
        );
        assert!(matches!(corrupt, Err(ClientError::Record(_))));
    }

    proptest::proptest! {
        #[test]
        fn garbage_bodies_are_errors_not_panics(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let mq = MessageQueue::new("T", "b", 0);
            let sub = SubscriptionData::from_expression("T", "*");
            let _ = read_pull_response("x", &response(0, Bytes::from(body)), &mq, &sub, true);
        }
    }

    #[test]
    fn request_flags() {
        let mq = MessageQueue::new("T", "b", 1);
        let sub = SubscriptionData::from_expression("T", "TagA");
        let args = PullArgs {
            group: "g",
            mq: &mq,
            subscription: &sub,
            post_subscription: false,
            offset: 5,
            max_nums: 32,
            max_bytes: None,
            commit_offset: Some(4),
            suspend: true,
            broker_suspend: Duration::from_secs(15),
            lite: false,
        };
        let cmd = build_pull_command(&args, false);
        assert_eq!(cmd.code, 11);
        let h: PullMessageRequestHeader = cmd.decode_header().unwrap();
        assert_eq!(h.sys_flag, pull_flag::COMMIT_OFFSET | pull_flag::SUSPEND);
        assert_eq!(h.commit_offset, 4);
        assert_eq!(h.suspend_timeout_millis, 15000);
        assert_eq!(h.subscription, None);
        let slave: PullMessageRequestHeader =
            build_pull_command(&args, true).decode_header().unwrap();
        assert_eq!(slave.sys_flag, pull_flag::SUSPEND);
        let lite = PullArgs {
            lite: true,
            post_subscription: true,
            commit_offset: None,
            ..args
        };
        let cmd = build_pull_command(&lite, false);
        assert_eq!(cmd.code, 361);
        let h: PullMessageRequestHeader = cmd.decode_header().unwrap();
        assert_eq!(
            h.sys_flag,
            pull_flag::SUSPEND | pull_flag::SUBSCRIPTION | pull_flag::LITE_PULL
        );
        assert_eq!(h.subscription.as_deref(), Some("TagA"));
        assert_eq!(h.sub_version, 0);
    }
}
