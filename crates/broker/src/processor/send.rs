//! SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320).

use std::sync::Arc;

use ferromq_model::perm::{is_writeable, PERM_READ, PERM_WRITE};
use ferromq_model::{names, TopicConfig};
use ferromq_protocol::headers::*;
use ferromq_protocol::message::id::encode_offset_msg_id;
use ferromq_protocol::message::properties::{check_properties_len, find_property, keys};
use ferromq_protocol::message::recall::RecallHandle;
use ferromq_protocol::message::sysflag;
use ferromq_protocol::{request_code as rc, response_code, version, RemotingCommand};
use ferromq_remoting::{Channel, RequestError, RequestResult};
use ferromq_store::{BatchToStore, MessageToStore, PutMessageStatus, PutResult};
use rand::Rng;

use super::Later;
use crate::context::BrokerContext;
use crate::delayed::rewrite;
use crate::ha;
use crate::names as check;
use crate::put_status::put_error;

/// Queues of a DLQ topic.
pub(crate) const DLQ_NUMS_PER_GROUP: i32 = 1;

/// The route of the three send codes.
pub(crate) fn route(ctx: Arc<BrokerContext>, channel: Channel, req: RemotingCommand) -> Later {
    Box::pin(async move { send(&ctx, &channel, req).await })
}

/// Where a send goes, once the topic is checked and a DLQ reroute applied.
struct Target {
    topic: String,
    queue_id: i32,
}

/// Stores a message or a batch and answers with its ids and offsets.
pub(crate) async fn send(
    ctx: &BrokerContext,
    channel: &Channel,
    req: RemotingCommand,
) -> RequestResult {
    let h = if req.code == rc::SEND_MESSAGE {
        req.decode_header::<SendMessageRequestHeader>()?
    } else {
        req.decode_header::<SendMessageRequestHeaderV2>()?.into_v1()
    };
    if ctx.replication().is_slave() {
        // Java's HookUtils: a slave's store takes no client writes.
        return Err(put_error(PutMessageStatus::ServiceNotAvailable, &h.topic));
    }
    let batch = req.code == rc::SEND_BATCH_MESSAGE || h.batch.unwrap_or(false);
    // Java's msgContentCheck: the properties string is bounded before anything parses it.
    if let Some(p) = &h.properties {
        check_properties_len(p)
            .map_err(|e| RequestError::new(response_code::MESSAGE_ILLEGAL, e.to_string()))?;
    }
    let (topic_cfg, created) = check_topic(ctx, channel, &h)?;
    if created {
        // The producer's next route lookup must find it (Java registers at once too).
        ctx.register_now().await;
    }
    let mut target = Target {
        topic: h.topic.clone(),
        queue_id: if h.queue_id < 0 {
            rand::thread_rng().gen_range(0..topic_cfg.write_queue_nums.max(1))
        } else {
            h.queue_id
        },
    };
    if names::is_retry_topic(&target.topic) {
        if batch {
            return Err(RequestError::new(
                response_code::MESSAGE_ILLEGAL,
                "Batch message does not support retry group",
            ));
        }
        reroute_exhausted_retry(ctx, &req, &h, &mut target)?;
    }
    let mut props = h.properties.clone().unwrap_or_default();
    let put = if batch {
        put_batch(ctx, channel, &req, &h, &target, &props)?
    } else {
        put_one(ctx, channel, &req, &h, &target, &mut props)?
    };
    Ok(finish_put(ctx, put, &props, &target, batch).await)
}

/// A message to `%RETRY%group` reconsumed more than the group allows goes to its DLQ.
fn reroute_exhausted_retry(
    ctx: &BrokerContext,
    req: &RemotingCommand,
    h: &SendMessageRequestHeader,
    target: &mut Target,
) -> Result<(), RequestError> {
    let group = target.topic[names::RETRY_GROUP_TOPIC_PREFIX.len()..].to_string();
    let Some((gcfg, _)) = ctx.tables().groups().find_or_create(&group) else {
        return Err(RequestError::new(
            response_code::SUBSCRIPTION_NOT_EXIST,
            format!("subscription group not exist, {group}"),
        ));
    };
    let mut max = gcfg.retry_max_times;
    if req.version >= version::V3_4_9 {
        if let Some(m) = h.max_reconsume_times {
            max = m;
        }
    }
    let reconsume_times = h.reconsume_times.unwrap_or(0);
    if reconsume_times > max {
        target.topic = names::dlq_topic(&group);
        target.queue_id = 0;
        create_dlq(ctx, &target.topic)?;
        tracing::info!(group, dlq = %target.topic, reconsume_times, "message sent to the DLQ");
    }
    Ok(())
}

fn put_batch(
    ctx: &BrokerContext,
    channel: &Channel,
    req: &RemotingCommand,
    h: &SendMessageRequestHeader,
    target: &Target,
    props: &str,
) -> Result<PutResult, RequestError> {
    if find_property(props, keys::DELAY_TIME_LEVEL)
        .is_some_and(|l| l.trim().parse::<i32>().unwrap_or(0) > 0)
    {
        return Err(RequestError::new(
            response_code::MESSAGE_ILLEGAL,
            "Batch message does not support delay message",
        ));
    }
    let messages = match BatchToStore::messages_from_body(&req.body.to_bytes()) {
        Ok(m) if !m.is_empty() => m,
        Ok(_) => {
            return Err(RequestError::new(
                response_code::MESSAGE_ILLEGAL,
                "the batch message is empty",
            ))
        }
        Err(e) => {
            return Err(RequestError::new(
                response_code::MESSAGE_ILLEGAL,
                format!("bad batch body: {e}"),
            ))
        }
    };
    Ok(ctx.store().put_batch(&BatchToStore {
        topic: target.topic.clone(),
        queue_id: target.queue_id,
        sys_flag: h.sys_flag,
        born_timestamp: h.born_timestamp,
        born_host: channel.remote_addr(),
        store_host: ctx.identity().store_host(),
        reconsume_times: h.reconsume_times.unwrap_or(0),
        messages,
    }))
}

fn put_one(
    ctx: &BrokerContext,
    channel: &Channel,
    req: &RemotingCommand,
    h: &SendMessageRequestHeader,
    target: &Target,
    props: &mut String,
) -> Result<PutResult, RequestError> {
    let body = req.body.to_bytes();
    let cfg = ctx.settings().get();
    let max = cfg.store.max_message_size as usize;
    if body.len() > max {
        return Err(RequestError::new(
            response_code::MESSAGE_ILLEGAL,
            format!("the message body size over max value, MAX: {max}"),
        ));
    }
    let host = ctx.identity().store_host();
    let mut msg = MessageToStore {
        topic: target.topic.clone(),
        queue_id: target.queue_id,
        flag: h.flag,
        body,
        properties: String::new(),
        sys_flag: h.sys_flag,
        born_timestamp: h.born_timestamp,
        born_host: channel.remote_addr(),
        store_host: host,
        reconsume_times: h.reconsume_times.unwrap_or(0),
        prepared_transaction_offset: 0,
    };
    // Unique id, cluster, and the rewrites for transactions and delays.
    rewrite::prepare(&cfg, host.ip(), &mut msg, props)?;
    msg.properties = props.clone();
    Ok(ctx.store().put_message(&msg))
}

/// Creates a group's DLQ topic if absent (SYSTEM_ERROR if its name is not a topic name).
pub(crate) fn create_dlq(ctx: &BrokerContext, dlq: &str) -> Result<(), RequestError> {
    let rw = PERM_WRITE | PERM_READ;
    match ctx
        .tables()
        .topics()
        .create_if_absent(dlq, DLQ_NUMS_PER_GROUP, rw, 0)
    {
        Some((_, created)) => {
            if created {
                ctx.topics_changed();
            }
            Ok(())
        }
        None => Err(RequestError::system(format!("topic[{dlq}] not exist"))),
    }
}

/// Validates the topic and creates it when allowed (Java's `msgCheck`), then checks that the
/// topic may be written.
fn check_topic(
    ctx: &BrokerContext,
    channel: &Channel,
    h: &SendMessageRequestHeader,
) -> Result<(TopicConfig, bool), RequestError> {
    if !ctx.settings().writable() {
        return Err(RequestError::no_permission(format!(
            "the broker[{}] sending message is forbidden",
            ctx.identity().store_host().ip()
        )));
    }
    check::topic_name(&h.topic)?;
    if !names::is_client_writable(&h.topic) {
        return Err(RequestError::no_permission(format!(
            "Sending message to topic[{}] is forbidden.",
            h.topic
        )));
    }
    let mut created_now = false;
    let cfg = match ctx.tables().topics().get(&h.topic) {
        Some(c) => c,
        None => {
            tracing::warn!(topic = %h.topic, producer = %channel.remote_addr(), "the topic does not exist");
            let (cfg, new) = auto_create(ctx, h).ok_or_else(|| {
                RequestError::new(
                    response_code::TOPIC_NOT_EXIST,
                    format!(
                        "topic[{}] not exist, apply first please!\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.",
                        h.topic
                    ),
                )
            })?;
            created_now = new;
            cfg
        }
    };
    if !is_writeable(cfg.perm) {
        return Err(RequestError::no_permission(format!(
            "the topic[{}] sending message is forbidden",
            h.topic
        )));
    }
    let valid = cfg.write_queue_nums.max(cfg.read_queue_nums);
    if h.queue_id >= valid {
        return Err(RequestError::invalid(format!(
            "request queueId[{}] is illegal, {:?} Producer: {}",
            h.queue_id,
            cfg,
            channel.remote_addr()
        )));
    }
    Ok((cfg, created_now))
}

/// Auto-creates a topic on send: from the request's default topic (normally `TBW102`), or, for
/// a retry topic, with one queue.
fn auto_create(ctx: &BrokerContext, h: &SendMessageRequestHeader) -> Option<(TopicConfig, bool)> {
    let mut sys_flag = 0;
    if h.unit_mode.unwrap_or(false) {
        sys_flag = if h.topic.starts_with(names::RETRY_GROUP_TOPIC_PREFIX) {
            sysflag::topic::UNIT_SUB
        } else {
            sysflag::topic::UNIT
        };
    }
    let topics = ctx.tables().topics();
    topics
        .create_in_send(
            &h.topic,
            &h.default_topic,
            h.default_topic_queue_nums,
            sys_flag,
        )
        .or_else(|| {
            if h.topic.starts_with(names::RETRY_GROUP_TOPIC_PREFIX) {
                topics.create_if_absent(&h.topic, 1, PERM_WRITE | PERM_READ, sys_flag)
            } else {
                None
            }
        })
}

/// Waits for durability, then maps the put status onto the Java response.
async fn finish_put(
    ctx: &BrokerContext,
    put: PutResult,
    props: &str,
    target: &Target,
    batch: bool,
) -> RemotingCommand {
    let cfg = ctx.settings().get();
    let status = ctx.replication().stored(&cfg, &put, ha::waits(props)).await;
    let code = match status {
        PutMessageStatus::PutOk => response_code::SUCCESS,
        PutMessageStatus::FlushDiskTimeout => response_code::FLUSH_DISK_TIMEOUT,
        PutMessageStatus::FlushSlaveTimeout => response_code::FLUSH_SLAVE_TIMEOUT,
        PutMessageStatus::SlaveNotAvailable => response_code::SLAVE_NOT_AVAILABLE,
        other => return put_error(other, &target.topic).into_response(),
    };
    let Some(info) = put.append else {
        return put_error(PutMessageStatus::UnknownError, &target.topic).into_response();
    };
    ctx.stats().record_put(
        &target.topic,
        info.msg_count as u64,
        info.wrote_bytes as u64,
    );
    let host = ctx.identity().store_host();
    let msg_id = if batch && info.phys_offsets.len() > 1 {
        info.phys_offsets
            .iter()
            .map(|p| encode_offset_msg_id(host, *p))
            .collect::<Vec<_>>()
            .join(",")
    } else {
        encode_offset_msg_id(host, info.phys_offset)
    };
    let header = SendMessageResponseHeader {
        msg_id,
        queue_id: target.queue_id,
        queue_offset: info.queue_offset,
        transaction_id: find_property(props, keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
            .map(str::to_string),
        batch_uniq_id: None,
        recall_handle: (!batch)
            .then(|| recall_handle(props, ctx.identity().name()))
            .flatten(),
    };
    let cfg = ctx.settings().get();
    RemotingCommand::response(code)
        .with_header(&header)
        .with_ext(keys::MSG_REGION, cfg.broker.region_id.clone())
        .with_ext(keys::TRACE_SWITCH, cfg.broker.trace_on.to_string())
}

/// The handle a producer can recall a parked timer message with (Java's
/// `attachRecallHandle`): only for a message the timer holds (`TIMER_OUT_MS`), not for one
/// bound for a retry topic.
fn recall_handle(props: &str, broker_name: &str) -> Option<String> {
    let timer_out_ms = find_property(props, keys::TIMER_OUT_MS)?
        .trim()
        .parse()
        .ok()?;
    let real_topic = find_property(props, keys::REAL_TOPIC)?;
    if real_topic.starts_with(names::RETRY_GROUP_TOPIC_PREFIX) {
        return None;
    }
    let uniq = find_property(props, keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX).unwrap_or("null");
    Some(RecallHandle::for_parked(real_topic, broker_name, timer_out_ms, uniq).encode())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::testing::{self, channel, send_request, topic};
    use ferromq_model::perm::PERM_READ;
    use ferromq_protocol::message::properties::Properties;

    async fn call(ctx: &BrokerContext, req: RemotingCommand) -> RemotingCommand {
        ferromq_remoting::respond(send(ctx, &channel(), req).await)
    }

    #[tokio::test]
    async fn stores_and_answers_with_ids_and_offsets() {
        let t = testing::context();
        topic(&t, "T", 2, PERM_READ | PERM_WRITE);
        for i in 0..3 {
            let r = call(&t, send_request("T", 1, "hello", &Properties::new())).await;
            assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
            let h: SendMessageResponseHeader = r.decode_header().unwrap();
            assert_eq!((h.queue_id, h.queue_offset), (1, i));
            assert!(
                h.transaction_id.is_some(),
                "a unique key generated by the broker"
            );
        }
        assert_eq!(t.stats().total_puts(), 3);
    }

    #[tokio::test]
    async fn refuses_what_java_refuses() {
        let t = testing::context();
        topic(&t, "RO", 1, PERM_READ);
        let p = Properties::new();
        let code = |r: RemotingCommand| r.code;
        assert_eq!(
            code(call(&t, send_request("RO", 0, "x", &p)).await),
            response_code::NO_PERMISSION
        );
        assert_eq!(
            code(call(&t, send_request(names::TIMER_TOPIC, 0, "x", &p)).await),
            response_code::NO_PERMISSION
        );
        assert_eq!(
            code(call(&t, send_request("a/b", 0, "x", &p)).await),
            response_code::INVALID_PARAMETER
        );
        let mut big = Properties::new();
        big.insert("k", "v".repeat(40_000));
        assert_eq!(
            code(call(&t, send_request("T", 0, "x", &big)).await),
            response_code::MESSAGE_ILLEGAL
        );
        assert_eq!(
            code(call(&t, send_request("Fresh", 9, "x", &p)).await),
            response_code::INVALID_PARAMETER,
            "auto-created with 4 queues: queue 9 is not one"
        );
        assert!(
            t.tables().topics().get("Fresh").is_some(),
            "auto-created from TBW102"
        );
    }

    #[tokio::test]
    async fn a_parked_timer_message_answers_with_a_recall_handle() {
        let t = testing::context();
        topic(&t, "T", 1, PERM_READ | PERM_WRITE);
        let mut p = Properties::new();
        p.insert(keys::TIMER_DELAY_SEC, "30");
        p.insert(keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX, "U1");
        let r = call(&t, send_request("T", 0, "x", &p)).await;
        assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
        let h: SendMessageResponseHeader = r.decode_header().unwrap();
        let handle = RecallHandle::decode(&h.recall_handle.unwrap()).unwrap();
        assert_eq!(
            (handle.topic.as_str(), handle.broker_name.as_str()),
            ("T", "broker-test")
        );
        assert_eq!(handle.message_id, "U1");
        let due = handle.timestamp_ms().unwrap() - ferromq_protocol::time::now_ms();
        assert!((28_000..=30_001).contains(&due), "{due}");
        let plain = call(&t, send_request("T", 0, "x", &Properties::new())).await;
        let h: SendMessageResponseHeader = plain.decode_header().unwrap();
        assert_eq!(h.recall_handle, None);
        assert_eq!(
            recall_handle("TIMER_OUT_MS\u{1}9\u{2}REAL_TOPIC\u{1}%RETRY%g\u{2}", "b"),
            None,
            "not for retries"
        );
    }

    #[tokio::test]
    async fn exhausted_retries_go_to_the_dlq() {
        let t = testing::context();
        let mut req = send_request("%RETRY%cg", 0, "x", &Properties::new());
        req.ext_fields.insert("j", "17"); // reconsumeTimes, past the default 16
        let r = call(&t, req).await;
        assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
        let h: SendMessageResponseHeader = r.decode_header().unwrap();
        assert_eq!(h.queue_id, 0);
        assert!(t.store().wait_dispatched(std::time::Duration::from_secs(5)));
        assert_eq!(t.store().max_offset_in_queue("%DLQ%cg", 0), 1);
        let mut batch = send_request("%RETRY%cg", 0, "x", &Properties::new());
        batch.code = rc::SEND_BATCH_MESSAGE;
        assert_eq!(call(&t, batch).await.code, response_code::MESSAGE_ILLEGAL);
    }
}
