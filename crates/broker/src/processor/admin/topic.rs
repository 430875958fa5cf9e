//! Topic administration.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferromq_model::fastjson::from_fastjson_slice;
use ferromq_model::{
    names, CreateTopicListRequestBody, TopicConfig, TopicConfigAndQueueMapping, TopicFilterType,
    TopicList,
};
use ferromq_protocol::headers::*;
use ferromq_protocol::{response_code, RemotingCommand};
use ferromq_remoting::{ok_json, Channel, RequestError, RequestResult};

use crate::context::BrokerContext;
use crate::names as request_error;
use crate::processor::Later;

/// Parses Java's topic attribute syntax `+key=value,-key` onto `attrs`.
fn apply_attributes(attrs: &mut BTreeMap<String, String>, spec: &str) -> Result<(), String> {
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(rest) = item.strip_prefix('+') {
            let (k, v) = rest
                .split_once('=')
                .ok_or_else(|| format!("attribute `{item}` must be +key=value"))?;
            attrs.insert(k.trim().to_string(), v.trim().to_string());
        } else if let Some(k) = item.strip_prefix('-') {
            attrs.remove(k.trim());
        } else {
            return Err(format!("attribute `{item}` must start with + or -"));
        }
    }
    Ok(())
}

/// 5.x typed topics: `message.type` must be one of Java's `TopicMessageType` values (its
/// `EnumAttribute.verify`, a SYSTEM_ERROR there), and MIXED needs `enableMixedMessageType`.
fn check_message_type(attrs: &BTreeMap<String, String>, mixed: bool) -> Result<(), RequestError> {
    const TYPES: [&str; 6] = [
        "UNSPECIFIED",
        "MIXED",
        "TRANSACTION",
        "FIFO",
        "DELAY",
        "NORMAL",
    ];
    let Some(v) = attrs.get("message.type") else {
        return Ok(());
    };
    if !TYPES.contains(&v.as_str()) {
        // Java prints its HashSet, in this order.
        return Err(RequestError::system(format!(
            "value is not in set: [{}]",
            TYPES.join(", ")
        )));
    }
    if v == "MIXED" && !mixed {
        return Err(RequestError::invalid(
            "MIXED message type is not supported.",
        ));
    }
    Ok(())
}

/// Refuses names that are not topics, and the broker's own topics (Java's
/// `validateSystemTopicWhenUpdateTopic`, on by default).
fn check_user_topic(topic: &str) -> Result<(), RequestError> {
    request_error::topic_name(topic)?;
    if names::is_sys_topic(topic) && !names::is_retry_topic(topic) && !names::is_dlq_topic(topic) {
        return Err(RequestError::invalid(format!(
            "The topic[{topic}] is conflict with system topic."
        )));
    }
    Ok(())
}

/// Stores a topic config, mapping refusals to INVALID_PARAMETER.
fn put(ctx: &BrokerContext, cfg: TopicConfig) -> Result<bool, RequestError> {
    ctx.tables()
        .topics()
        .put(cfg)
        .map_err(|e| RequestError::invalid(e.to_string()))
}

/// UPDATE_AND_CREATE_TOPIC (17).
pub(crate) fn create_topic(ctx: Arc<BrokerContext>, _: Channel, req: RemotingCommand) -> Later {
    Box::pin(async move { create(&ctx, &req).await })
}

async fn create(ctx: &BrokerContext, req: &RemotingCommand) -> RequestResult {
    let h: CreateTopicRequestHeader = req.decode_header()?;
    check_user_topic(&h.topic)?;
    let mut cfg = ctx
        .tables()
        .topics()
        .get(&h.topic)
        .unwrap_or_else(|| TopicConfig::new(h.topic.clone()));
    cfg.read_queue_nums = h.read_queue_nums;
    cfg.write_queue_nums = h.write_queue_nums;
    cfg.perm = h.perm;
    cfg.topic_filter_type = match h.topic_filter_type.as_str() {
        "MULTI_TAG" => TopicFilterType::MultiTag,
        _ => TopicFilterType::SingleTag,
    };
    cfg.topic_sys_flag = h.topic_sys_flag.unwrap_or(0);
    cfg.order = h.order;
    if let Some(spec) = h.attributes.as_deref() {
        apply_attributes(&mut cfg.attributes, spec).map_err(RequestError::invalid)?;
        let mixed = ctx.settings().get().broker.enable_mixed_message_type;
        check_message_type(&cfg.attributes, mixed)?;
    }
    if put(ctx, cfg)? {
        ctx.register_now().await;
    }
    Ok(RemotingCommand::success())
}

/// UPDATE_AND_CREATE_TOPIC_LIST (18): all or nothing — every config is checked first.
pub(crate) fn create_topic_list(
    ctx: Arc<BrokerContext>,
    _: Channel,
    req: RemotingCommand,
) -> Later {
    Box::pin(async move { create_list(&ctx, &req).await })
}

async fn create_list(ctx: &BrokerContext, req: &RemotingCommand) -> RequestResult {
    let body: CreateTopicListRequestBody = from_fastjson_slice(&req.body.to_bytes())
        .map_err(|e| RequestError::system(format!("bad body: {e}")))?;
    for cfg in &body.topic_config_list {
        check_user_topic(&cfg.topic_name)?;
        crate::tables::check_config(cfg).map_err(|e| RequestError::invalid(e.to_string()))?;
    }
    let mut changed = false;
    for cfg in body.topic_config_list {
        changed |= put(ctx, cfg)?;
    }
    if changed {
        ctx.register_now().await;
    }
    Ok(RemotingCommand::success())
}

/// DELETE_TOPIC_IN_BROKER (215): the topic, its queues and its offsets.
pub(crate) fn delete_topic(ctx: Arc<BrokerContext>, _: Channel, req: RemotingCommand) -> Later {
    Box::pin(async move { delete(&ctx, &req).await })
}

async fn delete(ctx: &BrokerContext, req: &RemotingCommand) -> RequestResult {
    let h: TopicRequestHeader = req.decode_header()?;
    check_user_topic(&h.topic)?;
    ctx.tables().topics().delete(&h.topic);
    ctx.tables().offsets().remove_topic(&h.topic);
    if let Err(e) = ctx.store().delete_topic(&h.topic) {
        tracing::warn!(topic = %h.topic, error = %e, "deleting the topic's queues failed");
    }
    ctx.register_now().await;
    Ok(RemotingCommand::success())
}

/// GET_ALL_TOPIC_CONFIG (21).
pub(crate) fn get_all_topic_config(
    ctx: &BrokerContext,
    _: &Channel,
    _: &RemotingCommand,
) -> RequestResult {
    let w = ctx.tables().topics().wrapper();
    let total = w.topic_config_table.len() as i32;
    Ok(ok_json(&w).with_header(&GetAllTopicConfigResponseHeader {
        total_topic_num: Some(total),
    }))
}

/// GET_TOPIC_CONFIG (351).
pub(crate) fn get_topic_config(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let h: TopicRequestHeader = req.decode_header()?;
    match ctx.tables().topics().get(&h.topic) {
        Some(topic_config) => Ok(ok_json(&TopicConfigAndQueueMapping {
            topic_config,
            mapping_detail: None,
        })),
        None => Err(RequestError::new(
            response_code::TOPIC_NOT_EXIST,
            format!("No topic in this broker. topic: {}", h.topic),
        )),
    }
}

/// GET_TOPIC_NAME_LIST (23).
pub(crate) fn get_topic_name_list(
    ctx: &BrokerContext,
    _: &Channel,
    _: &RemotingCommand,
) -> RequestResult {
    Ok(ok_json(&TopicList {
        broker_addr: None,
        topic_list: ctx.tables().topics().names().into_iter().collect(),
    }))
}

/// GET_SYSTEM_TOPIC_LIST_FROM_BROKER (305).
pub(crate) fn get_system_topic_list(
    ctx: &BrokerContext,
    _: &Channel,
    _: &RemotingCommand,
) -> RequestResult {
    let sys = ctx
        .tables()
        .topics()
        .names()
        .into_iter()
        .filter(|t| {
            names::is_sys_topic(t) || *t == ctx.identity().cluster() || *t == ctx.identity().name()
        })
        .collect();
    Ok(ok_json(&TopicList {
        broker_addr: None,
        topic_list: sys,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_type_values() {
        let attrs = |v: &str| BTreeMap::from([("message.type".to_string(), v.to_string())]);
        assert!(check_message_type(&attrs("FIFO"), false).is_ok());
        assert!(check_message_type(&BTreeMap::new(), false).is_ok());
        let e = check_message_type(&attrs("fifo"), false).unwrap_err();
        assert_eq!(e.code(), response_code::SYSTEM_ERROR);
        let e = check_message_type(&attrs("MIXED"), false).unwrap_err();
        assert_eq!(e.code(), response_code::INVALID_PARAMETER);
        assert!(check_message_type(&attrs("MIXED"), true).is_ok());
    }

    #[test]
    fn attribute_syntax() {
        let mut a = BTreeMap::new();
        apply_attributes(&mut a, "+message.type=FIFO, +x=1").unwrap();
        assert_eq!(a.get("message.type").map(String::as_str), Some("FIFO"));
        apply_attributes(&mut a, "-x").unwrap();
        assert!(!a.contains_key("x"));
        assert!(apply_attributes(&mut a, "y=1").is_err());
    }
}

#[cfg(test)]
mod handler_tests {
    use super::*;
    use crate::context::testing::{self, channel};
    use ferromq_protocol::request_code as rc;

    fn create_req(topic: &str, queues: i32, perm: i32) -> RemotingCommand {
        RemotingCommand::request_with(
            rc::UPDATE_AND_CREATE_TOPIC,
            &CreateTopicRequestHeader {
                topic: topic.into(),
                default_topic: "TBW102".into(),
                read_queue_nums: queues,
                write_queue_nums: queues,
                perm,
                topic_filter_type: "SINGLE_TAG".into(),
                topic_sys_flag: None,
                order: false,
                attributes: Some("+message.type=NORMAL".into()),
                force: None,
            },
        )
    }

    fn topic_req(code: i32, topic: &str) -> RemotingCommand {
        RemotingCommand::request_with(
            code,
            &TopicRequestHeader {
                topic: topic.into(),
            },
        )
    }

    #[tokio::test]
    async fn create_read_delete() {
        let t = testing::context();
        let ctx = t.ctx.clone();
        let ch = channel();
        let r = create_topic(ctx.clone(), ch.clone(), create_req("A", 3, 6))
            .await
            .unwrap();
        assert_eq!(r.code, response_code::SUCCESS);
        let cfg = t.tables().topics().get("A").unwrap();
        assert_eq!((cfg.read_queue_nums, cfg.perm), (3, 6));
        assert_eq!(
            cfg.attributes.get("message.type").map(String::as_str),
            Some("NORMAL")
        );
        assert!(get_topic_config(&t, &ch, &topic_req(rc::GET_TOPIC_CONFIG, "A")).is_ok());
        let names = get_topic_name_list(&t, &ch, &topic_req(rc::GET_TOPIC_NAME_LIST, "")).unwrap();
        assert!(String::from_utf8_lossy(&names.body.to_bytes()).contains("\"A\""));
        delete_topic(
            ctx.clone(),
            ch.clone(),
            topic_req(rc::DELETE_TOPIC_IN_BROKER, "A"),
        )
        .await
        .unwrap();
        assert!(t.tables().topics().get("A").is_none());
        let e = get_topic_config(&t, &ch, &topic_req(rc::GET_TOPIC_CONFIG, "A")).unwrap_err();
        assert_eq!(e.code(), response_code::TOPIC_NOT_EXIST);
    }

    #[tokio::test]
    async fn refusals() {
        let t = testing::context();
        let ch = channel();
        let code = |r: RequestResult| r.map(|r| r.code).unwrap_or_else(|e| e.code());
        for (topic, queues) in [
            ("SCHEDULE_TOPIC_XXXX", 1),
            ("a/b", 1),
            ("Wide", 1 << 20),
            ("Neg", -1),
        ] {
            let r = create_topic(t.ctx.clone(), ch.clone(), create_req(topic, queues, 6)).await;
            assert_eq!(code(r), response_code::INVALID_PARAMETER, "{topic}");
        }
        for topic in ["rmq_sys_wheel_timer", "%DLQ%/../..", ""] {
            let r = delete_topic(
                t.ctx.clone(),
                ch.clone(),
                topic_req(rc::DELETE_TOPIC_IN_BROKER, topic),
            )
            .await;
            assert_eq!(code(r), response_code::INVALID_PARAMETER, "{topic}");
        }
        assert!(t.tables().topics().get("rmq_sys_wheel_timer").is_some());
    }
}
