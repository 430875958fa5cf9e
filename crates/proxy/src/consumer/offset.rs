//! UpdateOffset, GetOffset and QueryOffset (the 5.x pull consumer): the remoting requests
//! Java's `ConsumerProcessor` sends for them — UPDATE_CONSUMER_OFFSET, QUERY_CONSUMER_OFFSET,
//! GET_MIN_OFFSET / GET_MAX_OFFSET / SEARCH_OFFSET_BY_TIMESTAMP — to the broker the message
//! queue names.

use ferromq_protocol::headers::{
    GetMaxOffsetRequestHeader, OffsetResponseHeader, QueryConsumerOffsetRequestHeader,
    SearchOffsetRequestHeader, TopicQueueRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use ferromq_protocol::{request_code, response_code, RemotingCommand};

use crate::consumer::error::{self, ConsumerError, Result};
use crate::context::RequestContext;
use crate::pb;
use crate::proxy::Proxy;

/// A message queue of a request, resolved to a broker address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub topic: String,
    pub queue_id: i32,
    pub broker: String,
    pub addr: String,
}

/// The topic, queue id and broker name a request's message queue names (pure checks).
pub fn queue_of(mq: Option<&pb::MessageQueue>) -> Result<(String, i32, String)> {
    let mq = mq
        .ok_or_else(|| ConsumerError::refused(pb::Code::BadRequest, "message queue is required"))?;
    let topic = error::validate_topic(mq.topic.as_ref())?;
    if mq.id < 0 {
        return Err(ConsumerError::refused(
            pb::Code::BadRequest,
            format!("queue id {} is invalid", mq.id),
        ));
    }
    let broker = mq
        .broker
        .as_ref()
        .map(|b| b.name.clone())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ConsumerError::refused(pb::Code::BadRequest, "broker name is required"))?;
    Ok((topic, mq.id, broker))
}

/// Resolves a message queue: the broker must serve the topic (master preferred, as Java's
/// `buildAddressableMessageQueue`).
pub async fn target(proxy: &Proxy, mq: Option<&pb::MessageQueue>) -> Result<Target> {
    let (topic, queue_id, broker) = queue_of(mq)?;
    let route = proxy.backend().instance().route(&topic).await?;
    let addr = route
        .data
        .broker_datas
        .iter()
        .find(|b| b.broker_name == broker)
        .and_then(|b| b.select_broker_addr())
        .map(str::to_owned)
        .ok_or_else(|| {
            ConsumerError::refused(
                pb::Code::NotFound,
                format!("broker {broker} does not serve topic {topic}"),
            )
        })?;
    Ok(Target {
        topic,
        queue_id,
        broker,
        addr,
    })
}

/// Sends `req` and reads the `offset` of a SUCCESS answer.
async fn offset_call(proxy: &Proxy, addr: &str, req: RemotingCommand) -> Result<i64> {
    let resp = proxy.backend().invoke(addr, req).await?;
    match resp.code {
        response_code::SUCCESS => {
            let h: OffsetResponseHeader =
                resp.decode_header().map_err(|e| ConsumerError::Broker {
                    code: resp.code,
                    remark: e.to_string(),
                })?;
            Ok(h.offset)
        }
        response_code::QUERY_NOT_FOUND => Err(ConsumerError::refused(
            pb::Code::OffsetNotFound,
            resp.remark.unwrap_or_else(|| "offset not found".into()),
        )),
        code => Err(ConsumerError::Broker {
            code,
            remark: resp.remark.unwrap_or_default(),
        }),
    }
}

async fn update(proxy: &Proxy, req: &pb::UpdateOffsetRequest) -> Result<()> {
    let group = error::validate_group(req.group.as_ref())?;
    if req.offset < 0 {
        return Err(ConsumerError::refused(
            pb::Code::IllegalOffset,
            format!("offset {} is invalid", req.offset),
        ));
    }
    let t = target(proxy, req.message_queue.as_ref()).await?;
    let header = UpdateConsumerOffsetRequestHeader {
        consumer_group: group,
        topic: t.topic,
        queue_id: t.queue_id,
        commit_offset: req.offset,
    };
    let cmd = RemotingCommand::request_with(request_code::UPDATE_CONSUMER_OFFSET, &header);
    let resp = proxy.backend().invoke(&t.addr, cmd).await?;
    if resp.code != response_code::SUCCESS {
        return Err(ConsumerError::Broker {
            code: resp.code,
            remark: resp.remark.unwrap_or_default(),
        });
    }
    Ok(())
}

/// Answers UpdateOffset.
pub async fn update_offset(
    proxy: &Proxy,
    _ctx: &RequestContext,
    req: pb::UpdateOffsetRequest,
) -> pb::UpdateOffsetResponse {
    let st = match update(proxy, &req).await {
        Ok(()) => error::ok(),
        Err(e) => e.status(),
    };
    pb::UpdateOffsetResponse { status: Some(st) }
}

async fn get(proxy: &Proxy, req: &pb::GetOffsetRequest) -> Result<i64> {
    let group = error::validate_group(req.group.as_ref())?;
    let t = target(proxy, req.message_queue.as_ref()).await?;
    let header = QueryConsumerOffsetRequestHeader {
        consumer_group: group,
        topic: t.topic,
        queue_id: t.queue_id,
        set_zero_if_not_found: Some(false),
    };
    let cmd = RemotingCommand::request_with(request_code::QUERY_CONSUMER_OFFSET, &header);
    offset_call(proxy, &t.addr, cmd).await
}

/// Answers GetOffset: the group's committed offset of the queue.
pub async fn get_offset(
    proxy: &Proxy,
    _ctx: &RequestContext,
    req: pb::GetOffsetRequest,
) -> pb::GetOffsetResponse {
    match get(proxy, &req).await {
        Ok(offset) => pb::GetOffsetResponse {
            status: Some(error::ok()),
            offset,
        },
        Err(e) => pb::GetOffsetResponse {
            status: Some(e.status()),
            offset: 0,
        },
    }
}

/// The request QueryOffset sends for `policy` (pure).
pub fn query_command(
    t: &Target,
    policy: i32,
    timestamp: Option<&prost_types::Timestamp>,
) -> Result<RemotingCommand> {
    let (topic, queue_id) = (t.topic.clone(), t.queue_id);
    match pb::QueryOffsetPolicy::try_from(policy) {
        Ok(pb::QueryOffsetPolicy::Beginning) => Ok(RemotingCommand::request_with(
            request_code::GET_MIN_OFFSET,
            &TopicQueueRequestHeader { topic, queue_id },
        )),
        Ok(pb::QueryOffsetPolicy::End) => Ok(RemotingCommand::request_with(
            request_code::GET_MAX_OFFSET,
            &GetMaxOffsetRequestHeader {
                topic,
                queue_id,
                committed: Some(true),
            },
        )),
        Ok(pb::QueryOffsetPolicy::Timestamp) => {
            let ts = timestamp.ok_or_else(|| {
                ConsumerError::refused(pb::Code::BadRequest, "timestamp is required")
            })?;
            let ms = ts
                .seconds
                .saturating_mul(1000)
                .saturating_add(i64::from(ts.nanos) / 1_000_000);
            Ok(RemotingCommand::request_with(
                request_code::SEARCH_OFFSET_BY_TIMESTAMP,
                &SearchOffsetRequestHeader {
                    topic,
                    queue_id,
                    timestamp: ms,
                    boundary_type: None,
                },
            ))
        }
        Err(_) => Err(ConsumerError::refused(
            pb::Code::BadRequest,
            format!("unknown query offset policy {policy}"),
        )),
    }
}

async fn query(proxy: &Proxy, req: &pb::QueryOffsetRequest) -> Result<i64> {
    let t = target(proxy, req.message_queue.as_ref()).await?;
    let cmd = query_command(&t, req.query_offset_policy, req.timestamp.as_ref())?;
    offset_call(proxy, &t.addr, cmd).await
}

/// Answers QueryOffset: the queue's first offset, end offset, or the offset at a time.
pub async fn query_offset(
    proxy: &Proxy,
    _ctx: &RequestContext,
    req: pb::QueryOffsetRequest,
) -> pb::QueryOffsetResponse {
    match query(proxy, &req).await {
        Ok(offset) => pb::QueryOffsetResponse {
            status: Some(error::ok()),
            offset,
        },
        Err(e) => pb::QueryOffsetResponse {
            status: Some(e.status()),
            offset: 0,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mq(topic: &str, id: i32, broker: &str) -> pb::MessageQueue {
        pb::MessageQueue {
            topic: Some(pb::Resource {
                name: topic.into(),
                ..Default::default()
            }),
            id,
            broker: Some(pb::Broker {
                name: broker.into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn message_queues_are_checked() {
        assert_eq!(
            queue_of(Some(&mq("T", 2, "b"))).unwrap(),
            ("T".into(), 2, "b".into())
        );
        let code = |m: Option<&pb::MessageQueue>| queue_of(m).unwrap_err().status().code;
        assert_eq!(code(None), pb::Code::BadRequest as i32);
        assert_eq!(code(Some(&mq("T", -1, "b"))), pb::Code::BadRequest as i32);
        assert_eq!(code(Some(&mq("T", 0, ""))), pb::Code::BadRequest as i32);
        assert_eq!(
            code(Some(&mq("a b", 0, "b"))),
            pb::Code::IllegalTopic as i32
        );
    }

    #[test]
    fn policies_pick_the_request() {
        let t = Target {
            topic: "T".into(),
            queue_id: 1,
            broker: "b".into(),
            addr: "a".into(),
        };
        let c = |p: pb::QueryOffsetPolicy, ts| query_command(&t, p as i32, ts).map(|c| c.code);
        assert_eq!(
            c(pb::QueryOffsetPolicy::Beginning, None).unwrap(),
            request_code::GET_MIN_OFFSET
        );
        assert_eq!(
            c(pb::QueryOffsetPolicy::End, None).unwrap(),
            request_code::GET_MAX_OFFSET
        );
        assert!(c(pb::QueryOffsetPolicy::Timestamp, None).is_err());
        let ts = prost_types::Timestamp {
            seconds: 5,
            nanos: 7_000_000,
        };
        let cmd = query_command(&t, pb::QueryOffsetPolicy::Timestamp as i32, Some(&ts)).unwrap();
        assert_eq!(cmd.code, request_code::SEARCH_OFFSET_BY_TIMESTAMP);
        assert_eq!(cmd.ext_fields.get("timestamp"), Some("5007"));
        assert!(query_command(&t, 99, None).is_err());
    }
}
