//! QueryAssignment: server-side load balancing for push consumers, as Java's
//! `RouteActivity.queryAssignment` — every readable broker of the route is assigned whole
//! (queue id -1: the broker picks the queue on each POP), or, for a group consuming in order,
//! queue by queue. Brokers are reached through this proxy, so each carries the endpoints the
//! client used.

use ferromq_model::names::MASTER_ID;
use ferromq_model::{perm, TopicRouteData};

use crate::consumer::error::{self, ConsumerError, Result};
use crate::context::RequestContext;
use crate::pb;
use crate::proxy::Proxy;

/// Java's `convertToPermission`.
pub fn permission(p: i32) -> pb::Permission {
    match (perm::is_readable(p), perm::is_writeable(p)) {
        (true, true) => pb::Permission::ReadWrite,
        (true, false) => pb::Permission::Read,
        (false, true) => pb::Permission::Write,
        (false, false) => pb::Permission::None,
    }
}

/// The assignments of `topic` for a (FIFO or not) group; brokers without a master are left
/// out (Java assigns the master's broker entry).
pub fn build_assignments(
    topic: &pb::Resource,
    route: &TopicRouteData,
    fifo: bool,
    endpoints: &Option<pb::Endpoints>,
) -> Vec<pb::Assignment> {
    let mut out = Vec::new();
    for qd in &route.queue_datas {
        if !perm::is_readable(qd.perm) || qd.read_queue_nums <= 0 {
            continue;
        }
        let has_master = route
            .broker_datas
            .iter()
            .any(|b| b.broker_name == qd.broker_name && b.broker_addrs.contains_key(&MASTER_ID));
        if !has_master {
            continue;
        }
        let broker = pb::Broker {
            name: qd.broker_name.clone(),
            id: MASTER_ID as i32,
            endpoints: endpoints.clone(),
        };
        let queue = |id: i32| pb::Assignment {
            message_queue: Some(pb::MessageQueue {
                topic: Some(topic.clone()),
                id,
                permission: permission(qd.perm) as i32,
                broker: Some(broker.clone()),
                accept_message_types: vec![],
            }),
        };
        if fifo {
            out.extend((0..qd.read_queue_nums).map(queue));
        } else {
            out.push(queue(-1));
        }
    }
    out
}

/// The endpoints to put on brokers: the ones the client reached the proxy by, else the
/// proxy's listen address.
fn endpoints(proxy: &Proxy, req: &pb::QueryAssignmentRequest) -> Option<pb::Endpoints> {
    if let Some(e) = req.endpoints.as_ref().filter(|e| !e.addresses.is_empty()) {
        return Some(e.clone());
    }
    let addr = proxy.config().grpc_listen;
    let scheme = if addr.is_ipv6() {
        pb::AddressScheme::IPv6
    } else {
        pb::AddressScheme::IPv4
    };
    Some(pb::Endpoints {
        scheme: scheme as i32,
        addresses: vec![pb::Address {
            host: addr.ip().to_string(),
            port: i32::from(addr.port()),
        }],
    })
}

async fn assign(proxy: &Proxy, req: &pb::QueryAssignmentRequest) -> Result<Vec<pb::Assignment>> {
    let topic = error::validate_topic(req.topic.as_ref())?;
    let group = error::validate_group(req.group.as_ref())?;
    let route = proxy.backend().instance().route(&topic).await?;
    // Java reads the group's config here, not the client's settings.
    let fifo = proxy
        .backend()
        .subscription_group(&group)
        .await
        .is_some_and(|c| c.consume_message_orderly);
    let resource = req.topic.clone().unwrap_or_default();
    let out = build_assignments(&resource, &route.data, fifo, &endpoints(proxy, req));
    if out.is_empty() {
        return Err(ConsumerError::refused(
            pb::Code::Forbidden,
            "no readable queue",
        ));
    }
    Ok(out)
}

/// Answers QueryAssignment.
pub async fn query_assignment(
    proxy: &Proxy,
    _ctx: &RequestContext,
    req: pb::QueryAssignmentRequest,
) -> pb::QueryAssignmentResponse {
    match assign(proxy, &req).await {
        Ok(assignments) => pb::QueryAssignmentResponse {
            status: Some(error::ok()),
            assignments,
        },
        Err(e) => pb::QueryAssignmentResponse {
            status: Some(e.status()),
            assignments: vec![],
        },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use ferromq_model::{BrokerData, QueueData};

    use super::*;

    fn route() -> TopicRouteData {
        let qd = |name: &str, perm: i32, n: i32| QueueData {
            broker_name: name.into(),
            perm,
            read_queue_nums: n,
            write_queue_nums: n,
            ..Default::default()
        };
        let bd = |name: &str, ids: &[i64]| BrokerData {
            broker_name: name.into(),
            broker_addrs: ids
                .iter()
                .map(|i| (*i, format!("{name}:{i}")))
                .collect::<BTreeMap<_, _>>(),
            ..Default::default()
        };
        TopicRouteData {
            queue_datas: vec![
                qd("a", 6, 4),
                qd("b", 2, 4), // write only
                qd("c", 4, 2), // read only
                qd("d", 6, 4), // no master
                qd("e", 6, 0), // no read queues
            ],
            broker_datas: vec![
                bd("a", &[0, 1]),
                bd("b", &[0]),
                bd("c", &[0]),
                bd("d", &[1]),
            ],
            ..Default::default()
        }
    }

    fn topic() -> pb::Resource {
        pb::Resource {
            name: "T".into(),
            ..Default::default()
        }
    }

    #[test]
    fn whole_brokers_for_ordinary_groups() {
        let a = build_assignments(&topic(), &route(), false, &None);
        let got: Vec<_> = a
            .iter()
            .map(|x| {
                let q = x.message_queue.as_ref().unwrap();
                (q.broker.as_ref().unwrap().name.clone(), q.id, q.permission)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("a".into(), -1, pb::Permission::ReadWrite as i32),
                ("c".into(), -1, pb::Permission::Read as i32),
            ]
        );
    }

    #[test]
    fn queue_by_queue_for_fifo_groups() {
        let a = build_assignments(&topic(), &route(), true, &None);
        let ids: Vec<_> = a
            .iter()
            .map(|x| x.message_queue.as_ref().unwrap().id)
            .collect();
        assert_eq!(ids, vec![0, 1, 2, 3, 0, 1]);
    }

    #[test]
    fn permissions() {
        assert_eq!(permission(6), pb::Permission::ReadWrite);
        assert_eq!(permission(4), pb::Permission::Read);
        assert_eq!(permission(2), pb::Permission::Write);
        assert_eq!(permission(0), pb::Permission::None);
    }
}
