//! Requests mqadmin makes that `ferromq_client::Admin` does not offer, sent through the
//! admin's `ClientInstance`: calls aimed at one given broker address (offsets, connections,
//! and a one-queue offset reset).

use ferromq_client::{Admin, ClientError};
use ferromq_model::{from_fastjson_slice, ConsumerConnection, MessageQueue};
use ferromq_protocol::headers::{
    ConsumerGroupRequestHeader, GetMaxOffsetRequestHeader, OffsetResponseHeader,
    ResetOffsetRequestHeader, SearchOffsetRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use ferromq_protocol::{request_code, RemotingCommand};

type Result<T> = std::result::Result<T, ClientError>;

async fn call(admin: &Admin, addr: &str, req: RemotingCommand) -> Result<RemotingCommand> {
    admin.instance().invoke_ok(addr, req, admin.timeout()).await
}

/// SET_MESSAGE_REQUEST_MODE (401) on the broker at `addr` (mqadmin's `setMessageRequestMode`).
pub async fn set_message_request_mode(
    admin: &Admin,
    addr: &str,
    body: &ferromq_model::SetMessageRequestModeRequestBody,
) -> Result<()> {
    let json = serde_json::to_vec(body).unwrap_or_default();
    let req = RemotingCommand::request(request_code::SET_MESSAGE_REQUEST_MODE).with_body(json);
    call(admin, addr, req).await.map(|_| ())
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
