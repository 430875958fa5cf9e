//! CONSUMER_SEND_MSG_BACK (36): a consumer failed a message; it is stored again in the group's
//! retry topic with a delay, or in the DLQ once it has been retried too often.

use std::sync::Arc;

use ferromq_model::perm::{is_writeable, PERM_READ, PERM_WRITE};
use ferromq_model::{names, SubscriptionGroupConfig, TopicConfig};
use ferromq_protocol::headers::ConsumerSendMsgBackRequestHeader;
use ferromq_protocol::message::id::encode_offset_msg_id;
use ferromq_protocol::message::properties::{keys, Properties};
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::{response_code, version, RemotingCommand};
use ferromq_remoting::{Channel, RequestError, RequestResult};
use ferromq_store::{MessageToStore, PutMessageStatus};
use rand::Rng;

use super::send::create_dlq;
use super::Later;
use crate::context::BrokerContext;
use crate::delayed::rewrite;
use crate::ha;
use crate::put_status::put_error;

/// The route of CONSUMER_SEND_MSG_BACK.
pub(crate) fn route(ctx: Arc<BrokerContext>, channel: Channel, req: RemotingCommand) -> Later {
    Box::pin(async move { send_back(&ctx, &channel, req).await })
}

/// Stores the failed message again (retry topic or DLQ).
pub(crate) async fn send_back(
    ctx: &BrokerContext,
    channel: &Channel,
    req: RemotingCommand,
) -> RequestResult {
    let h: ConsumerSendMsgBackRequestHeader = req.decode_header()?;
    if ctx.replication().is_slave() {
        return Err(put_error(PutMessageStatus::ServiceNotAvailable, &h.group));
    }
    // An invalid group is never found nor created: its retry and DLQ topics would not be
    // topic names (Java answers the same).
    let Some((gcfg, _)) = ctx.tables().groups().find_or_create(&h.group) else {
        return Err(RequestError::new(
            response_code::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("subscription group not exist, {}", h.group),
        ));
    };
    if !ctx.settings().writable() {
        return Err(RequestError::no_permission(format!(
            "the broker[{}] sending message is forbidden",
            ctx.identity().store_host().ip()
        )));
    }
    if gcfg.retry_queue_nums <= 0 {
        // Java: success without doing anything when the group has no retry queues.
        return Ok(RemotingCommand::success());
    }
    let retry_cfg = retry_topic(ctx, &h.group, &gcfg)?;
    // Only a real record (its ConsumeQueue says one starts there) is a message.
    let Some((_, ext)) = ctx.store().message_by_phys_offset(h.offset) else {
        return Err(RequestError::system(format!(
            "look message by offset failed, {}",
            h.offset
        )));
    };
    let msg = retry_message(ctx, channel, &req, &h, &gcfg, &retry_cfg, &ext)?;
    let put = ctx.store().put_message(&msg);
    let cfg = ctx.settings().get();
    let status = ctx
        .replication()
        .stored(&cfg, &put, ha::waits(&msg.properties))
        .await;
    if !status.is_stored() {
        return Err(put_error(status, &msg.topic));
    }
    let bytes = put.append.map(|a| a.wrote_bytes as u64).unwrap_or(0);
    ctx.stats().record_put(&msg.topic, 1, bytes);
    Ok(RemotingCommand::success())
}

/// The group's retry topic, created if absent; it must be writable.
fn retry_topic(
    ctx: &BrokerContext,
    group: &str,
    gcfg: &SubscriptionGroupConfig,
) -> Result<TopicConfig, RequestError> {
    let name = names::retry_topic(group);
    let rw = PERM_WRITE | PERM_READ;
    let Some((cfg, created)) =
        ctx.tables()
            .topics()
            .create_if_absent(&name, gcfg.retry_queue_nums, rw, 0)
    else {
        return Err(RequestError::system(format!("topic[{name}] not exist")));
    };
    if created {
        ctx.topics_changed();
    }
    if !is_writeable(cfg.perm) {
        return Err(RequestError::no_permission(format!(
            "the topic[{name}] sending message is forbidden"
        )));
    }
    Ok(cfg)
}

/// The message to store: to `%RETRY%group` with delay level `3 + reconsumeTimes` (or the one
/// asked), or to `%DLQ%group` past the group's retries or when the consumer asks for it.
fn retry_message(
    ctx: &BrokerContext,
    channel: &Channel,
    req: &RemotingCommand,
    h: &ConsumerSendMsgBackRequestHeader,
    gcfg: &SubscriptionGroupConfig,
    retry_cfg: &TopicConfig,
    ext: &MessageExt,
) -> Result<MessageToStore, RequestError> {
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
        (retry_cfg.topic_name.clone(), q)
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
    let host = ctx.identity().store_host();
    let mut msg = MessageToStore::from_stored(ext, host);
    msg.topic = topic;
    msg.queue_id = queue_id;
    msg.born_host = channel.remote_addr();
    msg.reconsume_times = reconsume_times.saturating_add(1);
    msg.prepared_transaction_offset = 0;
    let mut text = props.encode();
    rewrite::prepare(&ctx.settings().get(), host.ip(), &mut msg, &mut text)?;
    msg.properties = text;
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::testing::{self, channel, send_request, topic};
    use ferromq_protocol::headers::SendMessageResponseHeader;
    use ferromq_protocol::request_code as rc;

    fn back(group: &str, offset: i64, delay_level: i32) -> RemotingCommand {
        RemotingCommand::request_with(
            rc::CONSUMER_SEND_MSG_BACK,
            &ConsumerSendMsgBackRequestHeader {
                offset,
                group: group.into(),
                delay_level,
                origin_msg_id: None,
                origin_topic: None,
                unit_mode: None,
                max_reconsume_times: None,
            },
        )
    }

    async fn stored(t: &BrokerContext) -> i64 {
        topic(t, "T", 1, PERM_READ | PERM_WRITE);
        let r =
            super::super::send::send(t, &channel(), send_request("T", 0, "b", &Properties::new()))
                .await
                .unwrap();
        let h: SendMessageResponseHeader = r.decode_header().unwrap();
        assert!(t.store().wait_dispatched(std::time::Duration::from_secs(5)));
        ferromq_protocol::message::id::decode_offset_msg_id(&h.msg_id)
            .unwrap()
            .commit_log_offset
    }

    #[tokio::test]
    async fn failed_messages_wait_in_the_retry_topic_or_go_to_the_dlq() {
        let t = testing::context();
        let phys = stored(&t).await;
        let r = send_back(&t, &channel(), back("cg", phys, 0))
            .await
            .unwrap();
        assert_eq!(r.code, response_code::SUCCESS);
        assert!(t.tables().topics().get("%RETRY%cg").is_some());
        assert!(t.store().wait_dispatched(std::time::Duration::from_secs(5)));
        // Delay level 3 + reconsumeTimes parks it in SCHEDULE_TOPIC_XXXX queue 2.
        assert_eq!(t.store().max_offset_in_queue(names::SCHEDULE_TOPIC, 2), 1);
        send_back(&t, &channel(), back("cg", phys, -1))
            .await
            .unwrap();
        assert!(t.store().wait_dispatched(std::time::Duration::from_secs(5)));
        assert_eq!(t.store().max_offset_in_queue("%DLQ%cg", 0), 1);
    }

    #[tokio::test]
    async fn refusals() {
        let t = testing::context();
        let phys = stored(&t).await;
        let code = |r: RequestResult| r.map(|_| 0).unwrap_or_else(|e| e.code());
        assert_eq!(
            code(send_back(&t, &channel(), back("/../..", phys, -1)).await),
            response_code::SUBSCRIPTION_GROUP_NOT_EXIST
        );
        assert_eq!(
            code(send_back(&t, &channel(), back("cg", phys + 1, 0)).await),
            response_code::SYSTEM_ERROR,
            "not where a record starts"
        );
        topic(&t, "%RETRY%ro", 1, PERM_READ);
        assert_eq!(
            code(send_back(&t, &channel(), back("ro", phys, 0)).await),
            response_code::NO_PERMISSION
        );
    }
}
