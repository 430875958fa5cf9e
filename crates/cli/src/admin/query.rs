//! Finding messages: `queryMsgById`, `queryMsgByKey`, `queryMsgByOffset`, and the message
//! detail block they print (with where each consumer group stands on the message).

use std::path::PathBuf;

use anyhow::Result;
use ferromq_client::{ClientError, Message, Producer, ProducerConfig, ReceivedMessage};
use ferromq_model::{ConsumeType, MessageQueue};
use ferromq_protocol::message::keys;
use ferromq_protocol::response_code;
use serde_json::json;

use super::cli::{QueryMsgByIdArgs, QueryMsgByKeyArgs, QueryMsgByOffsetArgs};
use super::format::{human_millis, message_json, properties};
use super::out::{chain, Out};
use super::Ctx;

/// Where mqadmin leaves the bodies of the messages it prints.
const BODY_DIR: &str = "/tmp/rocketmq/msgbodys";

/// Where one consumer group stands on a message (Java's `MessageTrack`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    pub group: String,
    pub track_type: &'static str,
    pub exception: Option<String>,
}

impl std::fmt::Display for Track {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "MessageTrack [consumerGroup={}, trackType={}, exceptionDesc={}]",
            self.group,
            self.track_type,
            self.exception.as_deref().unwrap_or("null")
        )
    }
}

fn code_desc(e: &ClientError) -> Option<(i32, String)> {
    match e {
        ClientError::Broker { code, remark, .. } => Some((
            *code,
            format!(
                "CODE:{code} DESC:{}",
                remark.lines().next().unwrap_or_default()
            ),
        )),
        _ => None,
    }
}

/// Java's `messageTrackDetail`: for every group consuming the topic, whether it is online,
/// pulls, or has consumed past the message.
async fn tracks(ctx: &Ctx, m: &ReceivedMessage) -> Result<Vec<Track>> {
    let route = ctx.admin.topic_route(&m.topic).await?;
    let Some(addr) = route
        .broker_datas
        .iter()
        .find_map(|b| b.select_broker_addr())
    else {
        return Ok(Vec::new());
    };
    let groups = ctx.admin.topic_consumer_groups(addr, &m.topic).await?;
    let info = ctx.admin.cluster_info().await?;
    let mut out = Vec::new();
    for group in groups.group_list {
        let mut t = Track {
            group: group.clone(),
            track_type: "UNKNOWN",
            exception: None,
        };
        let cc = match ctx.admin.consumer_connection(&group).await {
            Ok(cc) => cc,
            Err(e) => {
                match code_desc(&e) {
                    Some((code, desc)) => {
                        if code == response_code::CONSUMER_NOT_ONLINE {
                            t.track_type = "NOT_ONLINE";
                        }
                        t.exception = Some(desc);
                    }
                    None => t.exception = Some(chain(&e)),
                }
                out.push(t);
                continue;
            }
        };
        match cc.consume_type {
            Some(ConsumeType::ConsumeActively) => t.track_type = "PULL",
            Some(ConsumeType::ConsumePassively) => {
                match ctx.admin.consume_stats(&group, None).await {
                    Ok(stats) => {
                        let store = m.store_host.to_string();
                        let consumed = stats.offset_table.iter().any(|(mq, o)| {
                            mq.topic == m.topic
                                && mq.queue_id == m.queue_id
                                && info
                                    .broker_addr_table
                                    .get(&mq.broker_name)
                                    .and_then(|b| b.master_addr())
                                    == Some(store.as_str())
                                && o.consumer_offset > m.queue_offset
                        });
                        t.track_type = if !consumed {
                            "NOT_CONSUME_YET"
                        } else {
                            let filtered = cc.subscription_table.get(&m.topic).is_some_and(|sd| {
                                !sd.tags_set.is_empty()
                                    && !sd.tags_set.contains("*")
                                    && !m.tags().is_some_and(|tag| sd.tags_set.contains(tag))
                            });
                            if filtered {
                                "CONSUMED_BUT_FILTERED"
                            } else {
                                "CONSUMED"
                            }
                        };
                    }
                    Err(e) => match code_desc(&e) {
                        Some((code, desc)) if code == response_code::CONSUMER_NOT_ONLINE => {
                            t.track_type = "NOT_ONLINE";
                            t.exception = Some(desc);
                        }
                        Some((code, _)) if code == response_code::BROADCAST_CONSUMPTION => {
                            t.track_type = "CONSUME_BROADCASTING";
                        }
                        Some((_, desc)) => t.exception = Some(desc),
                        None => t.exception = Some(chain(&e)),
                    },
                }
            }
            _ => {}
        }
        out.push(t);
    }
    Ok(out)
}

/// Writes the body where mqadmin does; the path, or why it could not be written.
fn save_body(m: &ReceivedMessage) -> String {
    let dir = PathBuf::from(BODY_DIR);
    let path = dir.join(m.msg_id());
    match std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, &m.body)) {
        Ok(()) => path.to_string_lossy().into_owned(),
        Err(e) => format!("(not written: {e})"),
    }
}

/// mqadmin's message detail block.
pub fn detail_block(m: &ReceivedMessage, body_path: &str, print_body: bool) -> String {
    let mut lines = vec![
        ("OffsetID:", m.offset_msg_id()),
        ("Topic:", m.topic.clone()),
        ("Tags:", format!("[{}]", m.tags().unwrap_or("null"))),
        (
            "Keys:",
            format!("[{}]", m.property(keys::KEYS).unwrap_or("null")),
        ),
        ("Queue ID:", m.queue_id.to_string()),
        ("Queue Offset:", m.queue_offset.to_string()),
        ("CommitLog Offset:", m.commit_log_offset.to_string()),
        ("Reconsume Times:", m.reconsume_times.to_string()),
        ("Born Timestamp:", human_millis(m.born_timestamp)),
        ("Store Timestamp:", human_millis(m.store_timestamp)),
        ("Born Host:", m.born_host.to_string()),
        ("Store Host:", m.store_host.to_string()),
        ("System Flag:", m.sys_flag.to_string()),
        ("Properties:", properties(m)),
        ("Message Body Path:", body_path.to_string()),
    ];
    if print_body {
        lines.push(("Message Body:", m.body_str().into_owned()));
    }
    lines
        .into_iter()
        .map(|(k, v)| format!("{k:<20} {v}\n"))
        .collect()
}

/// Prints a message's detail block and its tracks; returns its JSON.
async fn print_detail(
    ctx: &Ctx,
    m: &ReceivedMessage,
    print_body: bool,
    out: &mut Out,
) -> serde_json::Value {
    let path = save_body(m);
    out.text(detail_block(m, &path, print_body));
    let mut doc = message_json(m);
    match tracks(ctx, m).await {
        Ok(ts) if ts.is_empty() => out.text("\n\nWARN: No Consumer\n"),
        Ok(ts) => {
            out.text("\n\n");
            for t in &ts {
                out.line(t.to_string());
            }
            doc["tracks"] = json!(ts
                .iter()
                .map(|t| json!({ "consumerGroup": t.group, "trackType": t.track_type, "exceptionDesc": t.exception }))
                .collect::<Vec<_>>());
        }
        Err(e) => {
            super::out::progress(format!("message tracks unavailable: {}", chain(e.as_ref())))
        }
    }
    doc["messageBodyPath"] = json!(path);
    doc
}

async fn find_by_id(ctx: &Ctx, topic: &str, id: &str) -> Result<ReceivedMessage> {
    match ctx.admin.query_message_by_id(topic, id).await {
        Err(ClientError::Broker { code, addr, .. }) if code == response_code::QUERY_NOT_FOUND => {
            Err(ClientError::Broker {
                code: response_code::NO_MESSAGE,
                remark: "query message by id finished, but no message.".into(),
                addr,
            }
            .into())
        }
        other => Ok(other?),
    }
}

/// `queryMsgById`: prints messages by offset msgId or unique key; `-g`/`-d` hands one to a
/// consumer, `-s true` sends it again.
pub async fn query_msg_by_id(ctx: &Ctx, args: QueryMsgByIdArgs, out: &mut Out) -> Result<()> {
    let ids: Vec<&str> = args
        .msg_id
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let mut docs = Vec::new();
    if let (Some(group), Some(client)) = (&args.consumer_group, &args.client_id) {
        for id in ids {
            let info = ctx.admin.consumer_running_info(group, client).await?;
            let push =
                info["properties"]["PROP_CONSUME_TYPE"].as_str() == Some("CONSUME_PASSIVELY");
            if !push {
                out.line(format!(
                    "this {client} client is not push consumer ,not support direct push "
                ));
                continue;
            }
            let r = ctx
                .admin
                .consume_message_directly(group, client, &args.topic, id)
                .await?;
            out.line(format!(
                "ConsumeMessageDirectlyResult [order={}, autoCommit={}, consumeResult={}, remark={}, spentTimeMills={}]",
                r["order"], r["autoCommit"],
                r["consumeResult"].as_str().unwrap_or("null"),
                r["remark"].as_str().unwrap_or("null"), r["spentTimeMills"]
            ));
            docs.push(r);
        }
    } else if args.send_message.is_some() {
        if args.send_message == Some(true) {
            let mut config = ProducerConfig::new("ReSendMsgById", &ctx.namesrv);
            config.client = ctx.client_config(&ctx.namesrv);
            config.client.unit_name = args.unit_name.clone();
            let producer = Producer::new(config);
            producer.start().await?;
            for id in ids {
                let m = find_by_id(ctx, &args.topic, id).await?;
                out.text(format!("prepare resend msg. originalMsgId={id}"));
                let mut msg = Message::new(m.topic.clone(), m.body.clone()).with_flag(m.flag);
                for (k, v) in m.properties.iter() {
                    if k != keys::MIN_OFFSET && k != keys::MAX_OFFSET {
                        msg = msg.with_property(k, v);
                    }
                }
                let r = producer.send(msg).await;
                let r = match r {
                    Ok(r) => r,
                    Err(e) => {
                        producer.shutdown().await;
                        return Err(e.into());
                    }
                };
                out.line(format!(
                    "SendResult [sendStatus={}, msgId={}, offsetMsgId={}, messageQueue={}, queueOffset={}, recallHandle=null]",
                    r.status.name(), r.msg_id, r.offset_msg_id, r.queue, r.queue_offset
                ));
                docs.push(json!({ "originalMsgId": id, "msgId": r.msg_id, "sendStatus": r.status.name() }));
            }
            producer.shutdown().await;
        }
    } else {
        let print_body = args.body_format.is_some();
        for id in ids {
            let m = find_by_id(ctx, &args.topic, id).await?;
            docs.push(print_detail(ctx, &m, print_body, out).await);
        }
    }
    out.set_json(json!(docs));
    Ok(())
}

/// `queryMsgByKey`: messages carrying a business key.
pub async fn query_msg_by_key(ctx: &Ctx, args: QueryMsgByKeyArgs, out: &mut Out) -> Result<()> {
    let r = ctx
        .admin
        .query_message(
            &args.topic,
            &args.msg_key,
            args.max_num.unwrap_or(64),
            args.begin_timestamp.unwrap_or(0),
            args.end_timestamp.unwrap_or(i64::MAX),
            false,
        )
        .await?;
    if r.messages.is_empty() {
        return Err(ClientError::Broker {
            code: response_code::NO_MESSAGE,
            remark: "query message by key finished, but no message.".into(),
            addr: String::new(),
        }
        .into());
    }
    out.line(format!(
        "{:<50} {:>4} {:>40}",
        "#Message ID", "#QID", "#Offset"
    ));
    for m in &r.messages {
        out.line(format!(
            "{:<50} {:>4} {:>40}",
            m.msg_id(),
            m.queue_id,
            m.queue_offset
        ));
    }
    out.set_json(json!(r
        .messages
        .iter()
        .map(message_json)
        .collect::<Vec<_>>()));
    Ok(())
}

/// `queryMsgByOffset`: the message at one queue offset.
pub async fn query_msg_by_offset(
    ctx: &Ctx,
    args: QueryMsgByOffsetArgs,
    out: &mut Out,
) -> Result<()> {
    let mq = MessageQueue::new(args.topic.clone(), args.broker_name.clone(), args.queue_id);
    match ctx.admin.query_message_by_offset(&mq, args.offset).await? {
        Some(m) => {
            let doc = print_detail(ctx, &m, args.body_format.is_some(), out).await;
            out.set_json(doc);
        }
        None => {
            // mqadmin prints nothing when the offset holds no message; say so on stderr.
            super::out::progress(format!("no message at offset {} of {mq}", args.offset));
            out.set_json(serde_json::Value::Null);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn track_renders_like_java() {
        let t = Track {
            group: "G".into(),
            track_type: "NOT_ONLINE",
            exception: Some("CODE:206 DESC:x".into()),
        };
        assert_eq!(
            t.to_string(),
            "MessageTrack [consumerGroup=G, trackType=NOT_ONLINE, exceptionDesc=CODE:206 DESC:x]"
        );
        let t = Track {
            group: "G".into(),
            track_type: "CONSUMED",
            exception: None,
        };
        assert!(t.to_string().ends_with("exceptionDesc=null]"));
    }
}
