//! Request handling: one match over the NameServer's request codes.

use std::sync::Arc;

use ferromq_model::fastjson::from_fastjson_slice;
use ferromq_model::DecodeLimits;
use ferromq_model::{
    DataVersion, RegisterBrokerBody, TopicConfigAndMappingSerializeWrapper, TopicRouteData,
};
use ferromq_protocol::headers::*;
use ferromq_protocol::{request_code as rc, response_code, version, RemotingCommand};
use ferromq_remoting::{
    clipped, not_supported, ok_json, Channel, RequestError, RequestHandler, ResponseFuture,
};
use serde_json::json;

use crate::checks::Clip;
use crate::state::NameServerState;

/// The NameServer's [`RequestHandler`].
#[derive(Clone)]
pub struct NameServerHandler {
    state: Arc<NameServerState>,
}

impl NameServerHandler {
    /// A handler over `state`.
    pub fn new(state: Arc<NameServerState>) -> Self {
        NameServerHandler { state }
    }
}

impl RequestHandler for NameServerHandler {
    fn handle(&self, channel: Channel, request: RemotingCommand) -> ResponseFuture {
        let state = self.state.clone();
        Box::pin(async move { Some(process(&state, &channel, request).await) })
    }

    fn on_channel_close(&self, channel: &Channel) {
        let removed = self.state.routes.write().remove_by_channel(channel.id());
        for b in removed {
            tracing::info!(broker = %b.broker_name, addr = %b.broker_addr, id = b.broker_id,
                "broker channel closed; removed from routes");
        }
    }
}

fn bad_header(e: HeaderError) -> RemotingCommand {
    RequestError::from(e).into_response()
}

macro_rules! header {
    ($req:expr, $t:ty) => {
        match $req.decode_header::<$t>() {
            Ok(h) => h,
            Err(e) => return bad_header(e),
        }
    };
}

async fn process(
    state: &NameServerState,
    channel: &Channel,
    req: RemotingCommand,
) -> RemotingCommand {
    match req.code {
        rc::REGISTER_BROKER => register_broker(state, channel, &req),
        rc::UNREGISTER_BROKER => {
            let h = header!(req, UnregisterBrokerRequestHeader);
            let removed = state.routes.write().unregister_broker(
                &h.cluster_name,
                &h.broker_addr,
                &h.broker_name,
                h.broker_id,
            );
            // Only a lookup: names that were never admitted miss.
            tracing::info!(broker = ?Clip(&h.broker_name), addr = ?Clip(&h.broker_addr), id = h.broker_id, removed,
                "broker unregistered");
            RemotingCommand::success()
        }
        rc::GET_ROUTEINFO_BY_TOPIC => {
            let h = header!(req, GetRouteInfoRequestHeader);
            route_of(state, &h.topic)
        }
        rc::GET_BROKER_CLUSTER_INFO => ok_json(&state.routes.read().cluster_info()),
        rc::PUT_KV_CONFIG => {
            let h = header!(req, PutKvConfigRequestHeader);
            let put = state.kv.lock().put(&h.namespace, &h.key, &h.value);
            match put {
                Ok(generation) => {
                    state.persist_kv(generation).await;
                    RemotingCommand::success()
                }
                Err(e) => {
                    tracing::warn!(namespace = ?Clip(&h.namespace), key = ?Clip(&h.key), client = %channel.remote_addr(),
                        error = %e, "KV put refused");
                    RemotingCommand::error(e.response_code(), e.to_string())
                }
            }
        }
        rc::GET_KV_CONFIG => {
            let h = header!(req, KvConfigKeyRequestHeader);
            match state.kv.lock().get(&h.namespace, &h.key) {
                Some(v) => RemotingCommand::success().with_header(&GetKvConfigResponseHeader {
                    value: Some(v.to_string()),
                }),
                None => RemotingCommand::error(
                    response_code::QUERY_NOT_FOUND,
                    format!("No config item, Namespace: {} Key: {}", h.namespace, h.key),
                ),
            }
        }
        rc::DELETE_KV_CONFIG => {
            let h = header!(req, KvConfigKeyRequestHeader);
            let deleted = state.kv.lock().delete(&h.namespace, &h.key);
            if let Some(generation) = deleted {
                state.persist_kv(generation).await;
            }
            RemotingCommand::success()
        }
        rc::GET_KVLIST_BY_NAMESPACE => {
            let h = header!(req, GetKvListByNamespaceRequestHeader);
            match state.kv.lock().namespace(&h.namespace) {
                Some(t) => ok_json(&json!({ "table": t })),
                None => RemotingCommand::error(
                    response_code::QUERY_NOT_FOUND,
                    format!("No config item, Namespace: {}", h.namespace),
                ),
            }
        }
        rc::WIPE_WRITE_PERM_OF_BROKER => {
            let h = header!(req, BrokerNameRequestHeader);
            let n = state.routes.write().set_write_perm(&h.broker_name, false);
            tracing::info!(broker = ?Clip(&h.broker_name), topics = n, client = %channel.remote_addr(),
                "wiped write permission");
            RemotingCommand::success().with_header(&WipeWritePermOfBrokerResponseHeader {
                wipe_topic_count: n,
            })
        }
        rc::ADD_WRITE_PERM_OF_BROKER => {
            let h = header!(req, BrokerNameRequestHeader);
            let n = state.routes.write().set_write_perm(&h.broker_name, true);
            tracing::info!(broker = ?Clip(&h.broker_name), topics = n, client = %channel.remote_addr(),
                "restored write permission");
            RemotingCommand::success()
                .with_header(&AddWritePermOfBrokerResponseHeader { add_topic_count: n })
        }
        rc::GET_ALL_TOPIC_LIST_FROM_NAMESERVER => {
            ok_json(&json!({ "topicList": state.routes.read().all_topics() }))
        }
        rc::DELETE_TOPIC_IN_NAMESRV => {
            let h = header!(req, DeleteTopicFromNamesrvRequestHeader);
            state
                .routes
                .write()
                .delete_topic(&h.topic, h.cluster_name.as_deref());
            RemotingCommand::success()
        }
        rc::REGISTER_TOPIC_IN_NAMESRV => {
            let h = header!(req, TopicRequestHeader);
            let body = req.body.to_bytes();
            if !body.is_empty() {
                let route = match from_fastjson_slice::<TopicRouteData>(&body) {
                    Ok(route) => route,
                    Err(e) => {
                        return RemotingCommand::error(
                            response_code::SYSTEM_ERROR,
                            format!("bad route body: {}", clipped(e)),
                        )
                    }
                };
                let registered = state
                    .routes
                    .write()
                    .register_topic(&h.topic, route.queue_datas);
                if let Err(e) = registered {
                    tracing::warn!(topic = ?Clip(&h.topic), client = %channel.remote_addr(), error = %e,
                        "topic registration refused");
                    return RemotingCommand::error(e.response_code(), clipped(e));
                }
            }
            RemotingCommand::success()
        }
        rc::GET_TOPICS_BY_CLUSTER => {
            let h = header!(req, GetTopicsByClusterRequestHeader);
            ok_json(&json!({ "topicList": state.routes.read().topics_of_cluster(&h.cluster) }))
        }
        rc::GET_SYSTEM_TOPIC_LIST_FROM_NS => {
            let (topics, addr) = state.routes.read().system_topics();
            match addr {
                Some(a) => ok_json(&json!({ "brokerAddr": a, "topicList": topics })),
                None => ok_json(&json!({ "topicList": topics })),
            }
        }
        rc::GET_UNIT_TOPIC_LIST => {
            ok_json(&json!({ "topicList": state.routes.read().unit_topics(true, false) }))
        }
        rc::GET_HAS_UNIT_SUB_TOPIC_LIST => {
            ok_json(&json!({ "topicList": state.routes.read().unit_topics(false, true) }))
        }
        rc::GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST => {
            ok_json(&json!({ "topicList": state.routes.read().unit_topics(false, false) }))
        }
        rc::UPDATE_NAMESRV_CONFIG => {
            let text = String::from_utf8_lossy(&req.body.to_bytes()).into_owned();
            match state.config.update(&text) {
                Ok(()) => RemotingCommand::success(),
                Err(e) => RemotingCommand::error(response_code::SYSTEM_ERROR, e),
            }
        }
        rc::GET_NAMESRV_CONFIG => RemotingCommand::success().with_body(state.config.properties()),
        rc::QUERY_DATA_VERSION => {
            let h = header!(req, QueryDataVersionRequestHeader);
            let asked: DataVersion = from_fastjson_slice(&req.body.to_bytes()).unwrap_or_default();
            let now = state.now_ms();
            let mut routes = state.routes.write();
            let (changed, stored) =
                routes.query_data_version(&h.cluster_name, &h.broker_addr, &asked);
            routes.touch(&h.cluster_name, &h.broker_addr, now);
            drop(routes);
            let resp =
                RemotingCommand::success().with_header(&QueryDataVersionResponseHeader { changed });
            match stored {
                Some(v) => resp.with_body(serde_json::to_vec(&v).unwrap_or_default()),
                None => resp,
            }
        }
        rc::GET_BROKER_MEMBER_GROUP => {
            let h = header!(req, GetBrokerMemberGroupRequestHeader);
            let group = state
                .routes
                .read()
                .broker_member_group(&h.cluster_name, &h.broker_name);
            ok_json(&json!({ "brokerMemberGroup": group }))
        }
        rc::BROKER_HEARTBEAT => {
            let h = header!(req, BrokerHeartbeatRequestHeader);
            let now = state.now_ms();
            state
                .routes
                .write()
                .touch(&h.cluster_name, &h.broker_addr, now);
            RemotingCommand::success()
        }
        other => not_supported(other),
    }
}

fn route_of(state: &NameServerState, topic: &str) -> RemotingCommand {
    let route = state.routes.read().topic_route(topic);
    match route {
        Some(mut route) => {
            if state.options.order_message_enable {
                route.order_topic_conf = state
                    .kv
                    .lock()
                    .get(ferromq_model::names::NAMESPACE_ORDER_TOPIC_CONFIG, topic)
                    .map(str::to_string);
            }
            ok_json(&route)
        }
        None => RemotingCommand::error(
            response_code::TOPIC_NOT_EXIST,
            format!(
                "No topic route info in name server for the topic: {topic}\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details."
            ),
        ),
    }
}

fn register_broker(
    state: &NameServerState,
    channel: &Channel,
    req: &RemotingCommand,
) -> RemotingCommand {
    let h = header!(req, RegisterBrokerRequestHeader);
    let body = req.body.to_bytes();
    if let Some(expected) = h.body_crc32.filter(|c| *c != 0) {
        let actual = (crc32fast::hash(&body) & 0x7FFF_FFFF) as i32;
        if actual != expected {
            tracing::warn!(broker = %h.broker_name, addr = %h.broker_addr, "register body crc32 mismatch");
            return RemotingCommand::error(response_code::SYSTEM_ERROR, "crc32 not match");
        }
    }
    let topics: TopicConfigAndMappingSerializeWrapper = if body.is_empty() {
        TopicConfigAndMappingSerializeWrapper::default()
    } else if req.version >= version::V3_0_11 {
        let limits = DecodeLimits {
            max_topics: state.options.route_limits.max_topics_per_broker,
            ..DecodeLimits::default()
        };
        match RegisterBrokerBody::decode_with_limits(&body, h.compressed.unwrap_or(false), limits) {
            Ok(b) => b.topic_config_serialize_wrapper,
            Err(e) => {
                tracing::warn!(broker = ?Clip(&h.broker_name), client = %channel.remote_addr(),
                    error = %clipped(&e), "undecodable register body");
                return RemotingCommand::error(
                    response_code::SYSTEM_ERROR,
                    format!("bad register body: {}", clipped(e)),
                );
            }
        }
    } else {
        // Before 3.0.11 the body was the topic wrapper itself.
        match from_fastjson_slice(&body) {
            Ok(w) => w,
            Err(e) => {
                return RemotingCommand::error(
                    response_code::SYSTEM_ERROR,
                    format!("bad register body: {}", clipped(e)),
                )
            }
        }
    };
    let registration = crate::route_table::Registration {
        cluster: h.cluster_name.clone(),
        broker_addr: h.broker_addr.clone(),
        broker_name: h.broker_name.clone(),
        broker_id: h.broker_id,
        ha_server_addr: h.ha_server_addr.clone(),
        zone_name: h.zone_name.clone(),
        timeout_ms: h.heartbeat_timeout_millis,
        enable_acting_master: h.enable_acting_master.unwrap_or(false),
        topics,
        channel_id: Some(channel.id()),
    };
    let now = state.now_ms();
    let result = state.routes.write().register_broker(registration, now);
    let result = match result {
        Ok(Some(result)) => result,
        Ok(None) => return RemotingCommand::success(),
        Err(e) => {
            tracing::warn!(broker = ?Clip(&h.broker_name), addr = ?Clip(&h.broker_addr), id = h.broker_id,
                client = %channel.remote_addr(), error = %e, "broker registration refused");
            return RemotingCommand::error(
                e.response_code(),
                format!("register broker failed: {}", clipped(e)),
            );
        }
    };
    if result.skipped != Default::default() {
        tracing::warn!(broker = %h.broker_name, addr = %h.broker_addr, skipped = %result.skipped,
            "broker registered without some of its topics");
    }
    tracing::debug!(broker = %h.broker_name, addr = %h.broker_addr, id = h.broker_id, "broker registered");
    let order_conf = state
        .kv
        .lock()
        .namespace(ferromq_model::names::NAMESPACE_ORDER_TOPIC_CONFIG)
        .cloned()
        .unwrap_or_default();
    RemotingCommand::success()
        .with_header(&RegisterBrokerResponseHeader {
            ha_server_addr: result.ha_server_addr,
            master_addr: result.master_addr,
        })
        .with_body(serde_json::to_vec(&json!({ "table": order_conf })).unwrap_or_default())
}
