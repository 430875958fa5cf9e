//! SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) and
//! CONSUMER_SEND_MSG_BACK (36).

use std::sync::Arc;

use ferromq_model::names;
use ferromq_model::perm::{PERM_READ, PERM_WRITE};
use ferromq_protocol::headers::*;
use ferromq_protocol::message::id::encode_offset_msg_id;
use ferromq_protocol::message::properties::{find_property, keys, Properties};
use ferromq_protocol::message::sysflag;
use ferromq_protocol::{request_code as rc, response_code, version, RemotingCommand};
use ferromq_remoting::Channel;
use ferromq_store::{BatchToStore, MessageToStore, PutMessageStatus, PutResult};
use rand::Rng;

use super::header;
use crate::context::BrokerContext;
use crate::message_rewrite;

/// Queues of a DLQ topic.
const DLQ_NUMS_PER_GROUP: i32 = 1;

/// Handles the three send codes.
pub async fn send_message(
    ctx: &Arc<BrokerContext>,
    channel: &Channel,
    req: RemotingCommand,
) -> RemotingCommand {
    let h = if req.code == rc::SEND_MESSAGE {
        header!(req, SendMessageRequestHeader)
    } else {
        header!(req, SendMessageRequestHeaderV2).into_v1()
    };
    let batch = req.code == rc::SEND_BATCH_MESSAGE || h.batch.unwrap_or(false);
    let topic_cfg = match check_topic(ctx, channel, &h) {
        Ok((c, created)) => {
            if created {
                // The producer's next route lookup must find it (Java registers at once too).
                ctx.register_now().await;
            }
            c
        }
        Err(resp) => return resp,
    };
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
            return RemotingCommand::error(
                response_code::SUBSCRIPTION_NOT_EXIST,
                format!("subscription group not exist, {group}"),
            );
        };
        let mut max = gcfg.retry_max_times;
        if req.version >= version::V3_4_9 {
            if let Some(m) = h.max_reconsume_times {
                max = m;
            }
        }
        if batch {
            return RemotingCommand::error(
                response_code::MESSAGE_ILLEGAL,
                "Batch message does not support retry group",
            );
        }
        if reconsume_times > max {
            topic = names::dlq_topic(&group);
            queue_id = 0;
            let (_, created) =
                ctx.topics
                    .create_if_absent(&topic, DLQ_NUMS_PER_GROUP, PERM_WRITE | PERM_READ, 0);
            if created {
                ctx.topics_changed();
            }
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
            return RemotingCommand::error(
                response_code::MESSAGE_ILLEGAL,
                "Batch message does not support delay message",
            );
        }
        let messages = match BatchToStore::messages_from_body(&req.body.to_bytes()) {
            Ok(m) if !m.is_empty() => m,
            Ok(_) => {
                return RemotingCommand::error(
                    response_code::MESSAGE_ILLEGAL,
                    "the batch message is empty",
                )
            }
            Err(e) => {
                return RemotingCommand::error(
                    response_code::MESSAGE_ILLEGAL,
                    format!("bad batch body: {e}"),
                )
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
            return RemotingCommand::error(
                response_code::MESSAGE_ILLEGAL,
                format!("the message body size over max value, MAX: {max}"),
            );
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
        if let Err(resp) =
            message_rewrite::prepare(ctx, &mut msg, &mut props, &cluster, delay_levels)
        {
            return resp;
        }
        msg.properties = props.clone();
        ctx.store.put_message(&msg)
    };
    finish_put(ctx, put, &props, queue_id, &topic, batch).await
}

/// Validates the topic and creates it when allowed (Java's `msgCheck`).
fn check_topic(
    ctx: &BrokerContext,
    channel: &Channel,
    h: &SendMessageRequestHeader,
) -> Result<(ferromq_model::TopicConfig, bool), RemotingCommand> {
    if ctx.broker_permission() & PERM_WRITE == 0 {
        return Err(RemotingCommand::error(
            response_code::NO_PERMISSION,
            format!(
                "the broker[{}] sending message is forbidden",
                ctx.store_host.ip()
            ),
        ));
    }
    if let Err(e) = ferromq_model::validate::validate_topic(&h.topic) {
        return Err(RemotingCommand::error(
            response_code::INVALID_PARAMETER,
            e.to_string(),
        ));
    }
    if names::is_not_allowed_send_topic(&h.topic) {
        return Err(RemotingCommand::error(
            response_code::NO_PERMISSION,
            format!("Sending message to topic[{}] is forbidden.", h.topic),
        ));
    }
    let mut created_now = false;
    let cfg = match ctx.topics.get(&h.topic) {
        Some(c) => c,
        None => {
            tracing::warn!(topic = %h.topic, producer = %channel.remote_addr(), "the topic does not exist");
            let mut sys_flag = 0;
            if h.unit_mode.unwrap_or(false) {
                sys_flag = if h.topic.starts_with(names::RETRY_GROUP_TOPIC_PREFIX) {
                    sysflag::topic::UNIT_SUB
                } else {
                    sysflag::topic::UNIT
                };
            }
            let created = ctx
                .topics
                .create_in_send(
                    &h.topic,
                    &h.default_topic,
                    h.default_topic_queue_nums,
                    sys_flag,
                )
                .or_else(|| {
                    h.topic
                        .starts_with(names::RETRY_GROUP_TOPIC_PREFIX)
                        .then(|| {
                            ctx.topics.create_if_absent(
                                &h.topic,
                                1,
                                PERM_WRITE | PERM_READ,
                                sys_flag,
                            )
                        })
                });
            match created {
                Some((cfg, new)) => {
                    created_now = new;
                    cfg
                }
                None => {
                    return Err(RemotingCommand::error(
                        response_code::TOPIC_NOT_EXIST,
                        format!(
                            "topic[{}] not exist, apply first please!\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.",
                            h.topic
                        ),
                    ))
                }
            }
        }
    };
    let valid = cfg.write_queue_nums.max(cfg.read_queue_nums);
    if h.queue_id >= valid {
        return Err(RemotingCommand::error(
            response_code::INVALID_PARAMETER,
            format!(
                "request queueId[{}] is illegal, {:?} Producer: {}",
                h.queue_id,
                cfg,
                channel.remote_addr()
            ),
        ));
    }
    Ok((cfg, created_now))
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
    let h = header!(req, ConsumerSendMsgBackRequestHeader);
    let Some((gcfg, _)) = ctx.groups.find_or_create(&h.group) else {
        return RemotingCommand::error(
            response_code::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("subscription group not exist, {}", h.group),
        );
    };
    if ctx.broker_permission() & PERM_WRITE == 0 {
        return RemotingCommand::error(
            response_code::NO_PERMISSION,
            format!(
                "the broker[{}] sending message is forbidden",
                ctx.store_host.ip()
            ),
        );
    }
    if gcfg.retry_queue_nums <= 0 {
        // Java: success without doing anything when the group has no retry queues.
        return RemotingCommand::success();
    }
    let retry_topic = names::retry_topic(&h.group);
    let (retry_cfg, created) = ctx.topics.create_if_absent(
        &retry_topic,
        gcfg.retry_queue_nums,
        PERM_WRITE | PERM_READ,
        0,
    );
    if created {
        ctx.topics_changed();
    }
    let Some((_, ext)) = ctx.store.message_by_phys_offset(h.offset) else {
        return RemotingCommand::error(
            response_code::SYSTEM_ERROR,
            format!("look message by offset failed, {}", h.offset),
        );
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
        let (_, created) =
            ctx.topics
                .create_if_absent(&dlq, DLQ_NUMS_PER_GROUP, PERM_WRITE | PERM_READ, 0);
        if created {
            ctx.topics_changed();
        }
        delay_level = 0;
        tracing::info!(group = %h.group, msg_offset = h.offset, reconsume_times, "message moved to the DLQ");
        (dlq, 0)
    } else {
        if delay_level == 0 {
            delay_level = 3 + reconsume_times;
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
        reconsume_times: reconsume_times + 1,
        prepared_transaction_offset: 0,
    };
    let mut text = props.encode();
    let cluster = ctx.cluster_name.clone();
    let levels = ctx.config.read().delay_levels().len() as i32;
    if let Err(resp) = message_rewrite::prepare(ctx, &mut msg, &mut text, &cluster, levels) {
        return resp;
    }
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
        RemotingCommand::success()
    } else {
        RemotingCommand::error(response_code::SYSTEM_ERROR, status.name())
    }
}
