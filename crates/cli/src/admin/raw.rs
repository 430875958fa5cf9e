//! Requests mqadmin makes that `ferromq_client::Admin` does not offer, sent through the
//! admin's `ClientInstance`: calls aimed at one given broker address (offsets, connections,
//! a one-queue offset reset) and a pull as any consumer group.

use ferromq_client::consumer::pull::{PullResult, PullStatus};
use ferromq_client::{Admin, ClientError, ReceivedMessage};
use ferromq_model::{from_fastjson_slice, ConsumerConnection, MessageQueue, SubscriptionData};
use ferromq_protocol::headers::{
    ConsumerGroupRequestHeader, GetMaxOffsetRequestHeader, OffsetResponseHeader,
    PullMessageRequestHeader, PullMessageResponseHeader, ResetOffsetRequestHeader,
    SearchOffsetRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use ferromq_protocol::message::keys;
use ferromq_protocol::message::record::MessageExt;
use ferromq_protocol::message::sysflag::pull as pull_flag;
use ferromq_protocol::{request_code, response_code, RemotingCommand};

type Result<T> = std::result::Result<T, ClientError>;

async fn call(admin: &Admin, addr: &str, req: RemotingCommand) -> Result<RemotingCommand> {
    admin.instance().invoke_ok(addr, req, admin.timeout()).await
}

/// SEARCH_OFFSET_BY_TIMESTAMP (29) on the broker at `addr`.
pub async fn search_offset_at(
    admin: &Admin,
    addr: &str,
    topic: &str,
    queue_id: i32,
    timestamp: i64,
) -> Result<i64> {
    let h = SearchOffsetRequestHeader {
        topic: topic.into(),
        queue_id,
        timestamp,
        boundary_type: None,
    };
    let resp = call(
        admin,
        addr,
        RemotingCommand::request_with(request_code::SEARCH_OFFSET_BY_TIMESTAMP, &h),
    )
    .await?;
    Ok(resp.decode_header::<OffsetResponseHeader>()?.offset)
}

/// GET_MAX_OFFSET (30) on the broker at `addr`.
pub async fn max_offset_at(admin: &Admin, addr: &str, topic: &str, queue_id: i32) -> Result<i64> {
    let h = GetMaxOffsetRequestHeader {
        topic: topic.into(),
        queue_id,
        committed: Some(true),
    };
    let resp = call(
        admin,
        addr,
        RemotingCommand::request_with(request_code::GET_MAX_OFFSET, &h),
    )
    .await?;
    Ok(resp.decode_header::<OffsetResponseHeader>()?.offset)
}

/// UPDATE_CONSUMER_OFFSET (15) on the broker at `addr`.
pub async fn update_consumer_offset(
    admin: &Admin,
    addr: &str,
    group: &str,
    mq: &MessageQueue,
    offset: i64,
) -> Result<()> {
    let h = UpdateConsumerOffsetRequestHeader {
        consumer_group: group.into(),
        topic: mq.topic.clone(),
        queue_id: mq.queue_id,
        commit_offset: offset,
    };
    let req = RemotingCommand::request_with(request_code::UPDATE_CONSUMER_OFFSET, &h)
        .with_ext("bname", mq.broker_name.clone());
    call(admin, addr, req).await.map(|_| ())
}

/// INVOKE_BROKER_TO_RESET_OFFSET (222) for one queue on the broker at `addr` (mqadmin's
/// `resetOffsetByQueueId`).
pub async fn reset_queue_offset(
    admin: &Admin,
    addr: &str,
    group: &str,
    topic: &str,
    queue_id: i32,
    offset: i64,
) -> Result<()> {
    let h = ResetOffsetRequestHeader {
        topic: topic.into(),
        group: group.into(),
        queue_id: Some(queue_id),
        offset: Some(offset),
        timestamp: 0,
        is_force: true,
    };
    call(
        admin,
        addr,
        RemotingCommand::request_with(request_code::INVOKE_BROKER_TO_RESET_OFFSET, &h),
    )
    .await
    .map(|_| ())
}

/// GET_CONSUMER_CONNECTION_LIST (203) from the broker at `addr` only.
pub async fn consumer_connection_at(
    admin: &Admin,
    addr: &str,
    group: &str,
) -> Result<ConsumerConnection> {
    let h = ConsumerGroupRequestHeader {
        consumer_group: group.into(),
    };
    let resp = call(
        admin,
        addr,
        RemotingCommand::request_with(request_code::GET_CONSUMER_CONNECTION_LIST, &h),
    )
    .await?;
    Ok(from_fastjson_slice(&resp.body.to_bytes())?)
}

/// A non-blocking PULL_MESSAGE of up to `max` messages of `mq` from `offset` as `group`,
/// without committing anything (Java's `DefaultMQPullConsumer.pull`).
pub async fn pull_as(
    admin: &Admin,
    group: &str,
    mq: &MessageQueue,
    expression: &str,
    offset: i64,
    max: i32,
) -> Result<PullResult> {
    let addr = admin
        .instance()
        .master_addr(&mq.broker_name, &mq.topic)
        .await?;
    let sub = SubscriptionData::from_expression(mq.topic.clone(), expression);
    let h = PullMessageRequestHeader {
        consumer_group: group.into(),
        topic: mq.topic.clone(),
        queue_id: mq.queue_id,
        queue_offset: offset,
        max_msg_nums: max,
        sys_flag: pull_flag::build(false, false, true, false),
        commit_offset: 0,
        suspend_timeout_millis: 0,
        subscription: Some(sub.sub_string.clone()),
        sub_version: 0,
        expression_type: Some(sub.expression_type.name().to_string()),
        max_msg_bytes: None,
        request_source: None,
        proxy_forward_client_id: None,
    };
    let req = RemotingCommand::request_with(request_code::PULL_MESSAGE, &h)
        .with_ext("bname", mq.broker_name.clone());
    let resp = admin.instance().invoke(&addr, req, admin.timeout()).await?;
    let status = match resp.code {
        response_code::SUCCESS => PullStatus::Found,
        response_code::PULL_NOT_FOUND => PullStatus::NoNewMsg,
        response_code::PULL_RETRY_IMMEDIATELY => PullStatus::NoMatchedMsg,
        response_code::PULL_OFFSET_MOVED => PullStatus::OffsetIllegal,
        code => {
            return Err(ClientError::Broker {
                code,
                remark: resp.remark.clone().unwrap_or_default(),
                addr,
            })
        }
    };
    let header: PullMessageResponseHeader = resp.decode_header()?;
    let mut messages = Vec::new();
    if status == PullStatus::Found {
        let body = resp.body.to_bytes();
        for record in MessageExt::decode_all(&body)? {
            let mut m = ReceivedMessage::from_record(record, &mq.broker_name, true);
            if !sub.matches_tag(m.tags()) {
                continue;
            }
            m.properties
                .insert(keys::MIN_OFFSET, header.min_offset.to_string());
            m.properties
                .insert(keys::MAX_OFFSET, header.max_offset.to_string());
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
