//! QueryRoute: the topic's queues from the NameServers, each broker reached through this
//! proxy's own endpoints (Java's `RouteActivity.queryRoute`): the client never sees a
//! broker's remoting address.

use std::collections::BTreeMap;

use ferromq_model::{perm, TopicRouteData};

use crate::context::RequestContext;
use crate::pb;
use crate::producer::message_type::TopicMessageType;
use crate::proxy::Proxy;
use crate::status::{ok, Refusal};
use crate::validate;

/// Answers QueryRoute.
pub async fn query_route(
    proxy: &Proxy,
    ctx: &RequestContext,
    req: pb::QueryRouteRequest,
) -> pb::QueryRouteResponse {
    match route(proxy, ctx, req).await {
        Ok(message_queues) => pb::QueryRouteResponse {
            status: Some(ok()),
            message_queues,
        },
        Err(r) => pb::QueryRouteResponse {
            status: Some(r.status()),
            message_queues: vec![],
        },
    }
}

async fn route(
    proxy: &Proxy,
    ctx: &RequestContext,
    req: pb::QueryRouteRequest,
) -> Result<Vec<pb::MessageQueue>, Refusal> {
    let topic = validate::topic(req.topic.as_ref())?;
    let endpoints = proxy_endpoints(req.endpoints.as_ref(), ctx, proxy.grpc_port());
    let route = proxy.backend().route(&topic).await?;
    let kind = proxy.backend().topic_message_type(&topic).await;
    let resource = req.topic.unwrap_or_default();
    Ok(message_queues(&route.data, &resource, kind, &endpoints))
}

/// Where clients reach the brokers: the hosts the client used to reach this proxy, with the
/// proxy's gRPC port (Java's `convertToAddressList` without `useEndpointPortFromRequest`).
/// A request without endpoints gets the address it actually connected to.
pub fn proxy_endpoints(
    requested: Option<&pb::Endpoints>,
    ctx: &RequestContext,
    port: u16,
) -> pb::Endpoints {
    match requested.filter(|e| !e.addresses.is_empty()) {
        Some(e) => pb::Endpoints {
            scheme: e.scheme,
            addresses: e
                .addresses
                .iter()
                .map(|a| pb::Address {
                    host: a.host.clone(),
                    port: i32::from(port),
                })
                .collect(),
        },
        None => {
            let (scheme, host) = match ctx.local_addr() {
                Some(a) if a.is_ipv6() => (pb::AddressScheme::IPv6, a.ip().to_string()),
                Some(a) => (pb::AddressScheme::IPv4, a.ip().to_string()),
                None => (pb::AddressScheme::IPv4, "127.0.0.1".to_owned()),
            };
            pb::Endpoints {
                scheme: scheme as i32,
                addresses: vec![pb::Address {
                    host,
                    port: i32::from(port),
                }],
            }
        }
    }
}

/// Queues of one broker a route may describe: a route is the NameServer's word, but a
/// broken or hostile one must not make the proxy allocate without bound.
const MAX_QUEUES_PER_BROKER: i32 = 4096;

/// The gRPC permission of a queue permission (Java's `convertToPermission`).
#[allow(dead_code)] // QueryAssignment's too
pub fn permission(p: i32) -> pb::Permission {
    match (perm::is_readable(p), perm::is_writeable(p)) {
        (true, true) => pb::Permission::ReadWrite,
        (true, false) => pb::Permission::Read,
        (false, true) => pb::Permission::Write,
        (false, false) => pb::Permission::None,
    }
}

/// Java's `genMessageQueueFromQueueData` for every broker (master and slaves) of every queue
/// data: read-only queues first, then write-only, then read-write, then inaccessible ones.
pub fn message_queues(
    route: &TopicRouteData,
    topic: &pb::Resource,
    kind: TopicMessageType,
    endpoints: &pb::Endpoints,
) -> Vec<pb::MessageQueue> {
    let brokers: BTreeMap<&str, &BTreeMap<i64, String>> = route
        .broker_datas
        .iter()
        .map(|b| (b.broker_name.as_str(), &b.broker_addrs))
        .collect();
    let accept: Vec<i32> = kind.accepted().into_iter().map(|t| t as i32).collect();
    let mut out = Vec::new();
    for qd in &route.queue_datas {
        // Java stops at the first queue data whose broker the route does not describe.
        let Some(ids) = brokers.get(qd.broker_name.as_str()) else {
            break;
        };
        let (r, w) = (perm::is_readable(qd.perm), perm::is_writeable(qd.perm));
        let (read_nums, write_nums) = (
            qd.read_queue_nums.clamp(0, MAX_QUEUES_PER_BROKER),
            qd.write_queue_nums.clamp(0, MAX_QUEUES_PER_BROKER),
        );
        let (read_only, write_only, rw, none) = match (r, w) {
            (true, true) => {
                let rw = write_nums.min(read_nums);
                (read_nums - rw, write_nums - rw, rw, 0)
            }
            (false, true) => (0, write_nums, 0, 0),
            (true, false) => (read_nums, 0, 0, 0),
            (false, false) => (0, 0, 0, write_nums.max(read_nums).max(1)),
        };
        for id in ids.keys() {
            let broker = pb::Broker {
                name: qd.broker_name.clone(),
                id: i32::try_from(*id).unwrap_or(i32::MAX),
                endpoints: Some(endpoints.clone()),
            };
            let kinds = [
                (read_only, pb::Permission::Read),
                (write_only, pb::Permission::Write),
                (rw, pb::Permission::ReadWrite),
                (none, pb::Permission::None),
            ];
            let mut qid = 0;
            for (n, permission) in kinds {
                for _ in 0..n.max(0) {
                    out.push(pb::MessageQueue {
                        topic: Some(topic.clone()),
                        id: qid,
                        permission: permission as i32,
                        broker: Some(broker.clone()),
                        accept_message_types: accept.clone(),
                    });
                    qid += 1;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq_model::{BrokerData, QueueData};

    fn route(perm: i32, r: i32, w: i32) -> TopicRouteData {
        TopicRouteData {
            broker_datas: vec![BrokerData {
                broker_name: "b".into(),
                broker_addrs: [(0, "10.0.0.1:10911".to_string())].into(),
                cluster: "C".into(),
                ..Default::default()
            }],
            queue_datas: vec![QueueData {
                broker_name: "b".into(),
                perm,
                read_queue_nums: r,
                write_queue_nums: w,
                topic_sys_flag: 0,
            }],
            ..Default::default()
        }
    }

    fn endpoints() -> pb::Endpoints {
        pb::Endpoints {
            scheme: pb::AddressScheme::IPv4 as i32,
            addresses: vec![pb::Address {
                host: "proxy".into(),
                port: 8081,
            }],
        }
    }

    #[test]
    fn queues_follow_java_order_and_permissions() {
        let t = pb::Resource {
            resource_namespace: String::new(),
            name: "T".into(),
        };
        let qs = message_queues(&route(6, 4, 2), &t, TopicMessageType::Fifo, &endpoints());
        let perms: Vec<_> = qs.iter().map(|q| (q.id, q.permission)).collect();
        let (rd, rw) = (
            pb::Permission::Read as i32,
            pb::Permission::ReadWrite as i32,
        );
        assert_eq!(perms, [(0, rd), (1, rd), (2, rw), (3, rw)]);
        assert_eq!(qs[0].accept_message_types, [pb::MessageType::Fifo as i32]);
        let b = qs[0].broker.as_ref().unwrap();
        assert_eq!(b.endpoints.as_ref().unwrap().addresses[0].host, "proxy");
        let huge = message_queues(
            &route(6, i32::MAX, -5),
            &t,
            TopicMessageType::Normal,
            &endpoints(),
        );
        assert_eq!(huge.len(), 4096, "bounded, negative counts are none");
        let none = message_queues(&route(0, 0, 0), &t, TopicMessageType::Normal, &endpoints());
        assert_eq!(none.len(), 1);
        assert_eq!(none[0].permission, pb::Permission::None as i32);
    }

    #[test]
    fn endpoints_take_the_proxy_port() {
        let ctx = RequestContext::for_client("c");
        let mut e = endpoints();
        e.addresses[0].port = 1;
        let got = proxy_endpoints(Some(&e), &ctx, 9000);
        assert_eq!(got.addresses[0].port, 9000);
        assert_eq!(got.addresses[0].host, "proxy");
        let fallback = proxy_endpoints(None, &ctx, 9000);
        assert_eq!(fallback.addresses[0].host, "127.0.0.1");
        assert_eq!(permission(4), pb::Permission::Read);
    }
}
