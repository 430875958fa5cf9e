//! SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) and
//! CONSUMER_SEND_MSG_BACK (36).

use std::sync::Arc;

use ferromq_model::names;
use ferromq_model::perm::{is_writeable, PERM_READ, PERM_WRITE};
use ferromq_protocol::headers::*;
use ferromq_protocol::message::id::encode_offset_msg_id;
use ferromq_protocol::message::properties::{
    check_properties_len, find_property, keys, Properties,
};
use ferromq_protocol::message::sysflag;
use ferromq_protocol::{request_code as rc, response_code, version, RemotingCommand};
use ferromq_remoting::Channel;
use ferromq_store::{BatchToStore, MessageToStore, PutMessageStatus, PutResult};
use rand::Rng;

use crate::context::BrokerContext;
use crate::message_rewrite;
use crate::request_error::{self, respond, RequestError, RequestResult};

/// Queues of a DLQ topic.
const DLQ_NUMS_PER_GROUP: i32 = 1;

/// Handles the three send codes.
pub async fn send_message(
    ctx: &Arc<BrokerContext>,
    channel: &Channel,
    req: RemotingCommand,
) -> RemotingCommand {
    respond(send(ctx, channel, req).await)
}

async fn send(ctx: &Arc<BrokerContext>, channel: &Channel, req: RemotingCommand) -> RequestResult {
    let h = if req.code == rc::SEND_MESSAGE {
        req.decode_header::<SendMessageRequestHeader>()?
    } else {
        req.decode_header::<SendMessageRequestHeaderV2>()?.into_v1()
    };
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
    let mut topic = h.topic.clone();
    let mut queue_id = h.queue_id;
    if queue_id < 0 {
        queue_id = rand::thread_rng().gen_range(0..topic_cfg.write_queue_nums.max(1));
    }
    let mut props = h.properties.clone().unwrap_or_default();
    let reconsume_times = h.reconsume_times.unwrap_or(0);

    // Retry topics: too many reconsumes reroute to the group's DLQ.
    if let Some(group) = topic.strip_prefix(names::RETRY_GROUP_TOPIC_PREFIX) {
        let group = group.to_string();
        let Some((gcfg, _)) = ctx.groups.find_or_create(&group) else {
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
        if batch {
            return Err(RequestError::new(
                response_code::MESSAGE_ILLEGAL,
                "Batch message does not support retry group",
            ));
        }
        if reconsume_times > max {
            topic = names::dlq_topic(&group);
            queue_id = 0;
            create_dlq(ctx, &topic)?;
            tracing::info!(group, dlq = %topic, reconsume_times, "message sent to the DLQ");
        }
    }

    let born_host = channel.remote_addr();
    let store_host = ctx.store_host;
    let sys_flag = h.sys_flag;

    let put = if batch {
        if find_property(&props, keys::DELAY_TIME_LEVEL)
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
        let batch = BatchToStore {
            topic: topic.clone(),
            queue_id,
            sys_flag,
            born_timestamp: h.born_timestamp,
            born_host,
            store_host,
            reconsume_times,
            messages,
        };
        ctx.store.put_batch(&batch)
    } else {
        let body = req.body.to_bytes();
        let max = ctx.config.read().store.max_message_size as usize;
        if body.len() > max {
            return Err(RequestError::new(
                response_code::MESSAGE_ILLEGAL,
                format!("the message body size over max value, MAX: {max}"),
            ));
        }
        // Unique id, cluster, and the rewrites for transactions and delays.
        let cluster = ctx.cluster_name.clone();
        let mut msg = MessageToStore {
            topic: topic.clone(),
            queue_id,
            flag: h.flag,
            body,
            properties: String::new(),
            sys_flag,
            born_timestamp: h.born_timestamp,
            born_host,
            store_host,
            reconsume_times,
            prepared_transaction_offset: 0,
        };
        let delay_levels = ctx.config.read().delay_levels().len() as i32;
        message_rewrite::prepare(ctx, &mut msg, &mut props, &cluster, delay_levels)
            .map_err(refusal)?;
        msg.properties = props.clone();
        ctx.store.put_message(&msg)
    };
    Ok(finish_put(ctx, put, &props, queue_id, &topic, batch).await)
}

/// A rewrite's error response, as a refusal.
fn refusal(resp: RemotingCommand) -> RequestError {
    RequestError::new(resp.code, resp.remark.unwrap_or_default())
}

/// Creates a group's DLQ topic if absent (SYSTEM_ERROR if its name is not a topic name).
fn create_dlq(ctx: &BrokerContext, dlq: &str) -> Result<(), RequestError> {
    match ctx
        .topics
        .create_if_absent(dlq, DLQ_NUMS_PER_GROUP, PERM_WRITE | PERM_READ, 0)
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
) -> Result<(ferromq_model::TopicConfig, bool), RequestError> {
    if ctx.broker_permission() & PERM_WRITE == 0 {
        return Err(RequestError::no_permission(format!(
            "the broker[{}] sending message is forbidden",
            ctx.store_host.ip()
        )));
    }
    request_error::topic_name(&h.topic)?;
    if !names::is_client_writable(&h.topic) {
        return Err(RequestError::no_permission(format!(
            "Sending message to topic[{}] is forbidden.",
            h.topic
        )));
    }
    let mut created_now = false;
    let cfg = match ctx.topics.get(&h.topic) {
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
fn auto_create(
    ctx: &BrokerContext,
    h: &SendMessageRequestHeader,
) -> Option<(ferromq_model::TopicConfig, bool)> {
    let mut sys_flag = 0;
    if h.unit_mode.unwrap_or(false) {
        sys_flag = if h.topic.starts_with(names::RETRY_GROUP_TOPIC_PREFIX) {
            sysflag::topic::UNIT_SUB
        } else {
            sysflag::topic::UNIT
        };
    }
    ctx.topics
        .create_in_send(
            &h.topic,
            &h.default_topic,
            h.default_topic_queue_nums,
            sys_flag,
        )
        .or_else(|| {
            if h.topic.starts_with(names::RETRY_GROUP_TOPIC_PREFIX) {
                ctx.topics
                    .create_if_absent(&h.topic, 1, PERM_WRITE | PERM_READ, sys_flag)
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
    queue_id: i32,
    topic: &str,
    batch: bool,
) -> RemotingCommand {
    let mut status = put.status;
    if status == PutMessageStatus::PutOk {
        status = put.durable.clone().await;
    }
    let code = match status {
        PutMessageStatus::PutOk => response_code::SUCCESS,
        PutMessageStatus::FlushDiskTimeout => response_code::FLUSH_DISK_TIMEOUT,
        PutMessageStatus::FlushSlaveTimeout => response_code::FLUSH_SLAVE_TIMEOUT,
        PutMessageStatus::SlaveNotAvailable => response_code::SLAVE_NOT_AVAILABLE,
        other => return put_error(other, topic),
    };
    let Some(info) = put.append else {
        return put_error(PutMessageStatus::UnknownError, topic);
    };
    ctx.stats
        .record_put(topic, info.msg_count as u64, info.wrote_bytes as u64);
    let msg_id = if batch && info.phys_offsets.len() > 1 {
        info.phys_offsets
            .iter()
            .map(|p| encode_offset_msg_id(ctx.store_host, *p))
            .collect::<Vec<_>>()
            .join(",")
    } else {
        encode_offset_msg_id(ctx.store_host, info.phys_offset)
    };
    let header = SendMessageResponseHeader {
        msg_id,
        queue_id,
        queue_offset: info.queue_offset,
        transaction_id: find_property(props, keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
            .map(str::to_string),
        batch_uniq_id: None,
        recall_handle: None,
    };
    let (region, trace) = {
        let c = ctx.config.read();
        (c.broker.region_id.clone(), c.broker.trace_on)
    };
    RemotingCommand::response(code)
        .with_header(&header)
        .with_ext(keys::MSG_REGION, region)
        .with_ext(keys::TRACE_SWITCH, trace.to_string())
}

fn put_error(status: PutMessageStatus, topic: &str) -> RemotingCommand {
    let (code, remark) = match status {
        PutMessageStatus::CreateMappedFileFailed => (
            response_code::SYSTEM_ERROR,
            "create mapped file failed, server is busy or broken.".to_string(),
        ),
        PutMessageStatus::MessageIllegal | PutMessageStatus::PropertiesSizeExceeded => (
            response_code::MESSAGE_ILLEGAL,
            "the message is illegal, maybe msg body or properties length not matched. msg body length limit 4M, msg properties length limit 32k."
                .to_string(),
        ),
        PutMessageStatus::ServiceNotAvailable => (
            response_code::SERVICE_NOT_AVAILABLE,
            "service not available now. It may be caused by one of the following reasons: the broker's disk is full, messages are put to the slave, message store has been shut down, etc.".to_string(),
        ),
        PutMessageStatus::DiskFull => (
            response_code::SERVICE_NOT_AVAILABLE,
            "service not available now: the broker's disk is full".to_string(),
        ),
        PutMessageStatus::OsPageCacheBusy => (
            response_code::SYSTEM_BUSY,
            "[PC_SYNCHRONIZED]broker busy, start flow control for a while".to_string(),
        ),
        other => (response_code::SYSTEM_ERROR, other.name().to_string()),
    };
    tracing::warn!(topic, status = status.name(), "put failed");
    RemotingCommand::error(code, remark)
}

/// CONSUMER_SEND_MSG_BACK: a consumer failed a message; store it again in the group's retry
/// topic with a delay, or in the DLQ once it has been retried too often.
pub async fn consumer_send_msg_back(
    ctx: &Arc<BrokerContext>,
    channel: &Channel,
    req: RemotingCommand,
) -> RemotingCommand {
    respond(send_back(ctx, channel, req).await)
}

async fn send_back(
    ctx: &Arc<BrokerContext>,
    channel: &Channel,
    req: RemotingCommand,
) -> RequestResult {
    let h: ConsumerSendMsgBackRequestHeader = req.decode_header()?;
    // An invalid group is never found nor created: its retry and DLQ topics would not be
    // topic names (Java answers the same).
    let Some((gcfg, _)) = ctx.groups.find_or_create(&h.group) else {
        return Err(RequestError::new(
            response_code::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("subscription group not exist, {}", h.group),
        ));
    };
    if ctx.broker_permission() & PERM_WRITE == 0 {
        return Err(RequestError::no_permission(format!(
            "the broker[{}] sending message is forbidden",
            ctx.store_host.ip()
        )));
    }
    if gcfg.retry_queue_nums <= 0 {
        // Java: success without doing anything when the group has no retry queues.
        return Ok(RemotingCommand::success());
    }
    let retry_topic = names::retry_topic(&h.group);
    let Some((retry_cfg, created)) = ctx.topics.create_if_absent(
        &retry_topic,
        gcfg.retry_queue_nums,
        PERM_WRITE | PERM_READ,
        0,
    ) else {
        return Err(RequestError::system(format!(
            "topic[{retry_topic}] not exist"
        )));
    };
    if created {
        ctx.topics_changed();
    }
    if !is_writeable(retry_cfg.perm) {
        return Err(RequestError::no_permission(format!(
            "the topic[{retry_topic}] sending message is forbidden"
        )));
    }
    let Some((_, ext)) = ctx.store.message_by_phys_offset(h.offset) else {
        return Err(RequestError::system(format!(
            "look message by offset failed, {}",
            h.offset
        )));
    };
    let mut props = Properties::parse_bytes(&ext.properties);
    if !props.contains(keys::RETRY_TOPIC) {
        props.insert(keys::RETRY_TOPIC, ext.topic.clone());
    }
    props.remove(keys::WAIT_STORE_MSG_OK);
    let reconsume_times = ext.reconsume_times;
    let mut max = gcfg.retry_max_times;
    if req.version >= version::V3_4_9 {
        if let Some(m) = h.max_reconsume_times {
            max = m;
        }
    }
    let mut delay_level = h.delay_level;
    let (topic, queue_id) = if reconsume_times >= max || delay_level < 0 {
        let dlq = names::dlq_topic(&h.group);
        create_dlq(ctx, &dlq)?;
        delay_level = 0;
        tracing::info!(group = %h.group, msg_offset = h.offset, reconsume_times, "message moved to the DLQ");
        (dlq, 0)
    } else {
        if delay_level == 0 {
            delay_level = reconsume_times.saturating_add(3);
        }
        let q = rand::thread_rng().gen_range(0..retry_cfg.write_queue_nums.max(1));
        (retry_topic, q)
    };
    if delay_level > 0 {
        props.insert(keys::DELAY_TIME_LEVEL, delay_level.to_string());
    }
    // Java keeps the first ORIGIN_MESSAGE_ID; else the failed record's offset msgId.
    let origin_id = props
        .get(keys::ORIGIN_MESSAGE_ID)
        .map(str::to_string)
        .unwrap_or_else(|| encode_offset_msg_id(ext.store_host, ext.commit_log_offset));
    props.insert(keys::ORIGIN_MESSAGE_ID, origin_id);
    let mut msg = MessageToStore {
        topic: topic.clone(),
        queue_id,
        flag: ext.flag,
        body: ext.body.clone(),
        properties: String::new(),
        sys_flag: ext.sys_flag,
        born_timestamp: ext.born_timestamp,
        born_host: channel.remote_addr(),
        store_host: ctx.store_host,
        reconsume_times: reconsume_times.saturating_add(1),
        prepared_transaction_offset: 0,
    };
    let mut text = props.encode();
    let cluster = ctx.cluster_name.clone();
    let levels = ctx.config.read().delay_levels().len() as i32;
    message_rewrite::prepare(ctx, &mut msg, &mut text, &cluster, levels).map_err(refusal)?;
    msg.properties = text;
    let put = ctx.store.put_message(&msg);
    let mut status = put.status;
    if status == PutMessageStatus::PutOk {
        status = put.durable.clone().await;
    }
    if status.is_stored() {
        ctx.stats.record_put(
            &topic,
            1,
            put.append.map(|a| a.wrote_bytes as u64).unwrap_or(0),
        );
        Ok(RemotingCommand::success())
    } else {
        Err(RequestError::system(status.name()))
    }
}
