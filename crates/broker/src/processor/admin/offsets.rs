//! Offset administration: INVOKE_BROKER_TO_RESET_OFFSET (222), CLONE_GROUP_OFFSET (314) and
//! the offset tables slaves and consoles read (43, 45).

use std::collections::{BTreeMap, HashMap};

use ferromq_model::{MessageQueue, ResetOffsetBody};
use ferromq_protocol::headers::*;
use ferromq_protocol::{response_code, RemotingCommand};
use ferromq_remoting::{ok_json, Channel, RequestError, RequestResult};
use ferromq_store::BoundaryType;

use crate::context::BrokerContext;
use crate::names;

/// INVOKE_BROKER_TO_RESET_OFFSET (222), server side as Java 5.x does by default: the table
/// changes now and each queue's next pull is told where to continue.
pub(crate) fn reset_offset(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: ResetOffsetRequestHeader = req.decode_header()?;
    if !ctx.identity().is_master() {
        return Err(RequestError::system("Can not reset offset in slave broker"));
    }
    let Some(cfg) = ctx.tables().topics().get(&h.topic) else {
        return Err(RequestError::new(
            response_code::TOPIC_NOT_EXIST,
            format!("Topic {} does not exist", h.topic),
        ));
    };
    if ctx.tables().groups().get(&h.group).is_none() {
        return Err(RequestError::new(
            response_code::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("Group {} does not exist", h.group),
        ));
    }
    let offsets = reset_targets(ctx, &h, cfg.read_queue_nums)?;
    let mut body = ResetOffsetBody {
        offset_table: HashMap::new(),
    };
    for (q, o) in offsets {
        ctx.tables()
            .offsets()
            .assign_reset(&h.group, &h.topic, q, o);
        let mq = MessageQueue::new(h.topic.clone(), ctx.identity().name().to_string(), q);
        body.offset_table.insert(mq, o);
    }
    tracing::info!(topic = %h.topic, group = %h.group, timestamp = h.timestamp, "consumer offsets reset");
    body.to_fastjson_string()
        .map(|s| RemotingCommand::success().with_body(s))
        .map_err(|e| RequestError::system(e.to_string()))
}

/// The offset each queue resets to: the one asked (checked against the queue's range), or
/// the first message at or after the timestamp (`-1`: the end).
fn reset_targets(
    ctx: &BrokerContext,
    h: &ResetOffsetRequestHeader,
    read_queues: i32,
) -> Result<BTreeMap<i32, i64>, RequestError> {
    let store = ctx.store();
    let search = |q: i32| -> i64 {
        if h.timestamp == -1 {
            store.max_offset_in_queue(&h.topic, q)
        } else {
            store.offset_by_time(&h.topic, q, h.timestamp, BoundaryType::Lower)
        }
    };
    let mut offsets = BTreeMap::new();
    match h.queue_id.filter(|q| *q >= 0) {
        Some(q) => {
            let offset = match h.offset.filter(|o| *o != -1) {
                Some(o) => {
                    let min = store.min_offset_in_queue(&h.topic, q);
                    let max = store.max_offset_in_queue(&h.topic, q);
                    if (min >= 0 && o < min) || o > max.saturating_add(1) {
                        return Err(RequestError::system(format!(
                            "Target offset {o} not in consume queue range [{min}-{max}]"
                        )));
                    }
                    o
                }
                None => search(q),
            };
            offsets.insert(q, offset);
        }
        None => {
            for q in 0..read_queues {
                offsets.insert(q, search(q));
            }
        }
    }
    if offsets.is_empty() {
        return Err(RequestError::system("No queues to reset."));
    }
    Ok(offsets)
}

/// GET_ALL_CONSUMER_OFFSET (43): consumerOffset.json as served to slaves.
pub(crate) fn all_consumer_offsets(
    ctx: &BrokerContext,
    _: &Channel,
    _: &RemotingCommand,
) -> RequestResult {
    Ok(ok_json(&ctx.tables().offsets().wrapper()))
}

/// GET_ALL_DELAY_OFFSET (45): delayOffset.json.
pub(crate) fn all_delay_offsets(
    ctx: &BrokerContext,
    _: &Channel,
    _: &RemotingCommand,
) -> RequestResult {
    Ok(ok_json(&ctx.delayed().delay_offsets().wrapper()))
}

/// CLONE_GROUP_OFFSET (314).
pub(crate) fn clone_group_offset(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: CloneGroupOffsetRequestHeader = req.decode_header()?;
    names::group_name(&h.dest_group)?;
    ctx.tables()
        .offsets()
        .clone_group(&h.src_group, &h.dest_group, h.topic.as_deref());
    Ok(RemotingCommand::success())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::testing::{self, channel, topic};
    use ferromq_protocol::request_code as rc;

    /// A Java slave syncing from this broker dereferences `dataVersion`: it must be there.
    #[tokio::test]
    async fn all_consumer_offsets_carry_a_data_version() {
        let t = testing::context();
        t.tables().offsets().commit("cg", "T", 0, 5);
        let r = all_consumer_offsets(
            &t,
            &channel(),
            &RemotingCommand::request(rc::GET_ALL_CONSUMER_OFFSET),
        )
        .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&r.body.to_bytes()).unwrap();
        assert!(body["dataVersion"]["timestamp"].is_number(), "{body}");
        assert_eq!(body["offsetTable"]["T@cg"]["0"], 5);
    }

    #[tokio::test]
    async fn reset_assigns_offsets_and_clone_copies_them() {
        let t = testing::context();
        topic(&t, "T", 2, 6);
        t.tables().groups().find_or_create("cg").unwrap();
        t.tables().offsets().commit("cg", "T", 0, 5);
        let ch = channel();
        let reset = RemotingCommand::request_with(
            rc::INVOKE_BROKER_TO_RESET_OFFSET,
            &ResetOffsetRequestHeader {
                topic: "T".into(),
                group: "cg".into(),
                timestamp: -1,
                is_force: true,
                offset: None,
                queue_id: None,
            },
        );
        let r = reset_offset(&t, &ch, &reset).unwrap();
        assert_eq!(r.code, response_code::SUCCESS);
        assert_eq!(
            t.tables().offsets().query("cg", "T", 0),
            Some(0),
            "the queue's end (empty)"
        );
        assert_eq!(t.tables().offsets().take_reset("cg", "T", 1), Some(0));
        let clone = |dest: &str| {
            RemotingCommand::request_with(
                rc::CLONE_GROUP_OFFSET,
                &CloneGroupOffsetRequestHeader {
                    src_group: "cg".into(),
                    dest_group: dest.into(),
                    topic: Some("T".into()),
                    offline: None,
                },
            )
        };
        clone_group_offset(&t, &ch, &clone("cg2")).unwrap();
        assert_eq!(t.tables().offsets().query("cg2", "T", 0), Some(0));
        assert_eq!(
            clone_group_offset(&t, &ch, &clone("../x"))
                .unwrap_err()
                .code(),
            response_code::INVALID_PARAMETER
        );
    }
}
