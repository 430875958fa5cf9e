//! What a request touches, for ACL 2.0 authorization: a list of (resource, actions). Java
//! builds it in `DefaultAuthorizationContextBuilder`: a few codes by hand (sends, pulls,
//! heartbeats, offsets, locks), every other code from the `@RocketMQAction` and
//! `@RocketMQResource` annotations of its request header. Both are tables here.

use ferromq_model::{
    from_fastjson_slice, HeartbeatData, LockBatchRequestBody, UnlockBatchRequestBody,
};
use ferromq_protocol::{request_code as rc, RemotingCommand};

use super::model::{Action, Resource, ResourceType};

/// One thing a request needs: `resource` with any of `actions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// The topic, group or cluster.
    pub resource: Resource,
    /// Any one of these, granted, lets the request through.
    pub actions: Vec<Action>,
}

fn need(resource: Resource, actions: &[Action]) -> Need {
    Need {
        resource,
        actions: actions.to_vec(),
    }
}

fn is_retry(topic: Option<&str>) -> bool {
    topic.is_some_and(|t| t.starts_with("%RETRY%"))
}

fn blank(v: Option<&str>) -> bool {
    v.is_none_or(|v| v.trim().is_empty())
}

use Action::{Create, Delete, Get, List, Pub, Sub, Update};

/// How an annotated header names its resources.
struct Annotated {
    code: i32,
    actions: &'static [Action],
    /// `resource = CLUSTER`: the broker's cluster when no field names a resource.
    cluster: bool,
    /// `(field, type, splitter)`.
    fields: &'static [(&'static str, ResourceType, Option<char>)],
}

const T: ResourceType = ResourceType::Topic;
const G: ResourceType = ResourceType::Group;
const C: ResourceType = ResourceType::Cluster;

macro_rules! ann {
    ($code:expr, [$($a:expr),*], $cluster:expr, [$(($f:literal, $t:expr $(, $s:literal)?)),*]) => {
        Annotated { code: $code, actions: &[$($a),*], cluster: $cluster,
            fields: &[$(($f, $t, ann!(@s $($s)?))),*] }
    };
    (@s) => { None };
    (@s $s:literal) => { Some($s) };
}

/// The annotated request headers of RocketMQ 5.3.3 (codes without one need no permission).
const ANNOTATED: &[Annotated] = &[
    ann!(rc::UPDATE_AND_CREATE_TOPIC, [Create], false, [("topic", T)]),
    ann!(rc::UPDATE_AND_CREATE_TOPIC_LIST, [Create], false, []),
    ann!(rc::GET_ALL_TOPIC_CONFIG, [List], false, []),
    ann!(rc::SEARCH_OFFSET_BY_TIMESTAMP, [Get], false, [("topic", T)]),
    ann!(rc::GET_MAX_OFFSET, [Get], false, [("topic", T)]),
    ann!(rc::GET_MIN_OFFSET, [Get], false, [("topic", T)]),
    ann!(rc::GET_EARLIEST_MSG_STORETIME, [Get], false, [("topic", T)]),
    ann!(rc::VIEW_MESSAGE_BY_ID, [Get], false, [("topic", T)]),
    ann!(rc::CHECK_TRANSACTION_STATE, [Pub], false, [("topic", T)]),
    ann!(
        rc::NOTIFY_CONSUMER_IDS_CHANGED,
        [Sub],
        false,
        [("consumerGroup", G)]
    ),
    ann!(100, [Update], true, []),
    ann!(101, [Get], true, []),
    ann!(102, [Update], true, []),
    ann!(103, [Update], true, [("clusterName", C)]),
    ann!(104, [Update], true, [("clusterName", C)]),
    ann!(105, [Get], true, []),
    ann!(rc::GET_TOPIC_STATS_INFO, [Get], false, [("topic", T)]),
    ann!(
        rc::GET_CONSUMER_CONNECTION_LIST,
        [Get],
        false,
        [("consumerGroup", G)]
    ),
    ann!(rc::GET_PRODUCER_CONNECTION_LIST, [Get], true, []),
    ann!(205, [Update], true, []),
    ann!(
        rc::DELETE_SUBSCRIPTIONGROUP,
        [Delete],
        false,
        [("groupName", G)]
    ),
    ann!(
        rc::GET_CONSUME_STATS,
        [Get],
        false,
        [("consumerGroup", G), ("topic", T), ("topicList", T, ';')]
    ),
    ann!(rc::DELETE_TOPIC_IN_BROKER, [Delete], false, [("topic", T)]),
    ann!(216, [Update], true, [("clusterName", C)]),
    ann!(217, [Update], true, []),
    ann!(219, [Get], true, []),
    ann!(
        rc::INVOKE_BROKER_TO_RESET_OFFSET,
        [Update],
        false,
        [("group", G), ("topic", T)]
    ),
    ann!(223, [Get], false, [("topic", T), ("group", G)]),
    ann!(224, [List], false, []),
    ann!(rc::QUERY_TOPIC_CONSUME_BY_WHO, [Get], false, [("topic", T)]),
    ann!(
        rc::QUERY_CONSUME_TIME_SPAN,
        [Get],
        false,
        [("topic", T), ("group", G)]
    ),
    ann!(
        rc::GET_CONSUMER_RUNNING_INFO,
        [Get],
        false,
        [("consumerGroup", G)]
    ),
    ann!(
        308,
        [Get],
        false,
        [("filterGroups", G, ','), ("compareGroup", G), ("topic", T)]
    ),
    ann!(
        rc::CONSUME_MESSAGE_DIRECTLY,
        [Sub],
        false,
        [("consumerGroup", G), ("topic", T)]
    ),
    ann!(
        rc::CLONE_GROUP_OFFSET,
        [Update],
        false,
        [("destGroup", G), ("topic", T)]
    ),
    ann!(315, [Get], true, []),
    ann!(317, [Get], true, []),
    ann!(321, [Get], false, [("topic", T), ("consumerGroup", G)]),
    ann!(322, [Get], true, [("clusterName", C)]),
    ann!(323, [Update], false, [("topic", T)]),
    ann!(326, [Sub], false, [("producerGroup", G), ("topic", T)]),
    ann!(327, [Update], true, []),
    ann!(rc::GET_ALL_PRODUCER_INFO, [Get], true, []),
    ann!(rc::QUERY_TOPICS_BY_CONSUMER, [Get], false, [("group", G)]),
    ann!(
        rc::QUERY_SUBSCRIPTION_BY_CONSUMER,
        [Get],
        false,
        [("group", G), ("topic", T)]
    ),
    ann!(rc::GET_TOPIC_CONFIG, [Get], false, [("topic", T)]),
    ann!(
        rc::GET_SUBSCRIPTIONGROUP_CONFIG,
        [Get],
        false,
        [("group", G)]
    ),
    ann!(353, [Update], false, [("group", G), ("topic", T)]),
    ann!(354, [Get], false, [("topic", T)]),
    ann!(355, [Get], true, []),
    ann!(901, [Get], false, [("clusterName", C)]),
    ann!(902, [Update], true, []),
    ann!(903, [Update], true, [("brokerClusterName", C)]),
    ann!(904, [Update], true, [("clusterName", C)]),
    ann!(905, [Update], true, []),
    ann!(906, [Update], true, []),
    ann!(908, [Update], true, []),
    ann!(1001, [Update], true, []),
    ann!(1002, [Update], true, [("clusterName", C)]),
    ann!(1003, [Update], true, [("clusterName", C)]),
    ann!(1004, [Get], true, []),
    ann!(rc::NOTIFY_BROKER_ROLE_CHANGED, [Update], true, []),
    ann!(1011, [Update], true, [("clusterName", C)]),
    ann!(1012, [Get], true, [("clusterName", C)]),
    ann!(1013, [Update], true, [("clusterName", C)]),
    ann!(rc::AUTH_CREATE_USER, [Update], true, []),
    ann!(rc::AUTH_UPDATE_USER, [Update], true, []),
    ann!(rc::AUTH_DELETE_USER, [Update], true, []),
    ann!(rc::AUTH_GET_USER, [Get], true, []),
    ann!(rc::AUTH_LIST_USER, [Get], true, []),
    ann!(rc::AUTH_CREATE_ACL, [Update], true, []),
    ann!(rc::AUTH_UPDATE_ACL, [Update], true, []),
    ann!(rc::AUTH_DELETE_ACL, [Update], true, []),
    ann!(rc::AUTH_GET_ACL, [Get], true, []),
    ann!(rc::AUTH_LIST_ACL, [Get], true, []),
    ann!(200050, [Sub], false, [("consumerGroup", G), ("topic", T)]),
    ann!(200051, [Sub], false, [("consumerGroup", G), ("topic", T)]),
    ann!(200052, [Sub], false, [("topic", T), ("consumerGroup", G)]),
    ann!(200053, [Sub], false, [("consumerGroup", G), ("topic", T)]),
    ann!(200054, [Sub], false, [("consumerGroup", G), ("topic", T)]),
    ann!(200055, [Get], false, [("consumerGroup", G), ("topic", T)]),
];

/// The resources `request` needs, given the broker's cluster. `Err` carries Java's
/// message when a body the decision needs does not parse.
pub fn needs(request: &RemotingCommand, cluster: &str) -> Result<Vec<Need>, String> {
    let f = |k: &str| request.ext_fields.get(k);
    if request.ext_fields.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    match request.code {
        rc::SEND_MESSAGE | rc::SEND_MESSAGE_V2 | rc::SEND_BATCH_MESSAGE => {
            let (topic, group) = if request.code == rc::SEND_MESSAGE {
                (f("topic"), f("group"))
            } else {
                (f("b"), f("a"))
            };
            if is_retry(topic) {
                let g = if blank(group) { topic } else { group };
                out.push(need(Resource::group(g.unwrap_or("")), &[Sub]));
            } else {
                out.push(need(Resource::topic(topic.unwrap_or("")), &[Pub]));
            }
        }
        rc::RECALL_MESSAGE => out.push(need(Resource::topic(f("topic").unwrap_or("")), &[Pub])),
        rc::END_TRANSACTION => {
            if !blank(f("topic")) {
                out.push(need(Resource::topic(f("topic").unwrap_or("")), &[Pub]));
            }
        }
        rc::CONSUMER_SEND_MSG_BACK => {
            out.push(need(Resource::group(f("group").unwrap_or("")), &[Sub]))
        }
        rc::PULL_MESSAGE | rc::LITE_PULL_MESSAGE => {
            topic_and_group(&mut out, f("topic"), f("consumerGroup"), &[Sub])
        }
        rc::QUERY_MESSAGE => out.push(need(Resource::topic(f("topic").unwrap_or("")), &[Sub, Get])),
        rc::HEART_BEAT => heartbeat(&mut out, request)?,
        rc::UNREGISTER_CLIENT => {
            if !blank(f("consumerGroup")) {
                out.push(need(
                    Resource::group(f("consumerGroup").unwrap_or("")),
                    &[Sub],
                ));
            }
        }
        rc::GET_CONSUMER_LIST_BY_GROUP => out.push(need(
            Resource::group(f("consumerGroup").unwrap_or("")),
            &[Sub, Get],
        )),
        rc::QUERY_CONSUMER_OFFSET => {
            topic_and_group(&mut out, f("topic"), f("consumerGroup"), &[Sub, Get])
        }
        rc::UPDATE_CONSUMER_OFFSET => {
            topic_and_group(&mut out, f("topic"), f("consumerGroup"), &[Sub, Update])
        }
        rc::LOCK_BATCH_MQ | rc::UNLOCK_BATCH_MQ => locks(&mut out, request)?,
        code => annotated(&mut out, code, request, cluster),
    }
    Ok(out)
}

/// A topic (unless it is a retry topic) and a group, both with `actions`.
fn topic_and_group(out: &mut Vec<Need>, topic: Option<&str>, group: Option<&str>, a: &[Action]) {
    if !is_retry(topic) {
        out.push(need(Resource::topic(topic.unwrap_or("")), a));
    }
    out.push(need(Resource::group(group.unwrap_or("")), a));
}

fn heartbeat(out: &mut Vec<Need>, request: &RemotingCommand) -> Result<(), String> {
    let data: HeartbeatData =
        from_fastjson_slice(&request.body.to_bytes()).map_err(|e| e.to_string())?;
    for consumer in &data.consumer_data_set {
        out.push(need(Resource::group(&consumer.group_name), &[Sub]));
        for sub in &consumer.subscription_data_set {
            if !is_retry(Some(&sub.topic)) {
                out.push(need(Resource::topic(&sub.topic), &[Sub]));
            }
        }
    }
    Ok(())
}

fn locks(out: &mut Vec<Need>, request: &RemotingCommand) -> Result<(), String> {
    let body = request.body.to_bytes();
    let (group, queues) = if request.code == rc::LOCK_BATCH_MQ {
        let b: LockBatchRequestBody = from_fastjson_slice(&body).map_err(|e| e.to_string())?;
        (b.consumer_group, b.mq_set)
    } else {
        let b: UnlockBatchRequestBody = from_fastjson_slice(&body).map_err(|e| e.to_string())?;
        (b.consumer_group, b.mq_set)
    };
    out.push(need(Resource::group(&group), &[Sub]));
    for mq in &queues {
        if !is_retry(Some(&mq.topic)) {
            out.push(need(Resource::topic(&mq.topic), &[Sub]));
        }
    }
    Ok(())
}

fn annotated(out: &mut Vec<Need>, code: i32, request: &RemotingCommand, cluster: &str) {
    let Some(a) = ANNOTATED.iter().find(|a| a.code == code) else {
        return;
    };
    for (field, kind, splitter) in a.fields {
        let Some(value) = request.ext_fields.get(field) else {
            continue;
        };
        let values: Vec<&str> = match splitter {
            // Java's StringUtils.split drops empty parts.
            Some(s) => value.split(*s).filter(|v| !v.is_empty()).collect(),
            None => vec![value],
        };
        for v in values {
            let resource = match kind {
                ResourceType::Topic => Resource::topic(v),
                ResourceType::Group => Resource::literal(ResourceType::Group, v),
                other => Resource::literal(*other, v),
            };
            out.push(need(resource, a.actions));
        }
    }
    if out.is_empty() && a.cluster {
        out.push(need(
            Resource::literal(ResourceType::Cluster, cluster),
            a.actions,
        ));
    }
}

/// Every request code with an annotated header (for tests that walk the code table).
pub fn annotated_codes() -> impl Iterator<Item = i32> {
    ANNOTATED.iter().map(|a| a.code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(code: i32, fields: &[(&str, &str)]) -> RemotingCommand {
        let mut r = RemotingCommand::request(code);
        for (k, v) in fields {
            r.ext_fields.insert(*k, *v);
        }
        r
    }

    fn keys(needs: &[Need]) -> Vec<String> {
        needs
            .iter()
            .map(|n| {
                let a: Vec<&str> = n.actions.iter().map(|a| a.name()).collect();
                format!("{} {}", n.resource, a.join("|"))
            })
            .collect()
    }

    #[test]
    fn sends() {
        let n = needs(&req(rc::SEND_MESSAGE_V2, &[("a", "P"), ("b", "T")]), "c").unwrap();
        assert_eq!(keys(&n), ["Topic:T Pub"]);
        // A send to a retry topic is the producer group's Sub (Java's inner producer).
        let r = req(rc::SEND_MESSAGE_V2, &[("a", "P"), ("b", "%RETRY%G")]);
        assert_eq!(keys(&needs(&r, "c").unwrap()), ["Group:P Sub"]);
        let r = req(rc::SEND_MESSAGE, &[("topic", "%RETRY%G")]);
        assert_eq!(keys(&needs(&r, "c").unwrap()), ["Group:G Sub"]);
    }

    #[test]
    fn pulls_offsets_and_queries() {
        let r = req(rc::PULL_MESSAGE, &[("topic", "T"), ("consumerGroup", "G")]);
        assert_eq!(
            keys(&needs(&r, "c").unwrap()),
            ["Topic:T Sub", "Group:G Sub"]
        );
        let r = req(
            rc::PULL_MESSAGE,
            &[("topic", "%RETRY%G"), ("consumerGroup", "G")],
        );
        assert_eq!(keys(&needs(&r, "c").unwrap()), ["Group:G Sub"]);
        let r = req(
            rc::UPDATE_CONSUMER_OFFSET,
            &[("topic", "T"), ("consumerGroup", "G")],
        );
        assert_eq!(
            keys(&needs(&r, "c").unwrap()),
            ["Topic:T Sub|Update", "Group:G Sub|Update"]
        );
        let r = req(
            rc::GET_CONSUME_STATS,
            &[("consumerGroup", "G"), ("topicList", "A;B")],
        );
        assert_eq!(
            keys(&needs(&r, "c").unwrap()),
            ["Group:G Get", "Topic:A Get", "Topic:B Get"]
        );
    }

    #[test]
    fn admin_codes_fall_back_to_the_cluster() {
        let r = req(rc::AUTH_CREATE_USER, &[("username", "u")]);
        assert_eq!(
            keys(&needs(&r, "DefaultCluster").unwrap()),
            ["Cluster:DefaultCluster Update"]
        );
        let r = req(rc::UPDATE_AND_CREATE_TOPIC, &[("topic", "T")]);
        assert_eq!(keys(&needs(&r, "c").unwrap()), ["Topic:T Create"]);
        // No annotated header: authentication only.
        let r = req(rc::UPDATE_BROKER_CONFIG, &[("x", "y")]);
        assert!(needs(&r, "c").unwrap().is_empty());
        // No fields at all: Java builds no context.
        assert!(needs(&RemotingCommand::request(rc::PULL_MESSAGE), "c")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn heartbeats_and_locks_read_their_bodies() {
        let mut r = req(rc::HEART_BEAT, &[("AccessKey", "u")]);
        r.body = br#"{"clientID":"c","consumerDataSet":[{"groupName":"G","subscriptionDataSet":[{"topic":"T","subString":"*"},{"topic":"%RETRY%G","subString":"*"}]}],"producerDataSet":[{"groupName":"P"}]}"#.to_vec().into();
        assert_eq!(
            keys(&needs(&r, "c").unwrap()),
            ["Group:G Sub", "Topic:T Sub"]
        );
        r.body = b"{not json".to_vec().into();
        assert!(needs(&r, "c").is_err());
        let mut l = req(rc::LOCK_BATCH_MQ, &[("AccessKey", "u")]);
        l.body = br#"{"consumerGroup":"G","clientId":"c","mqSet":[{"topic":"T","brokerName":"b","queueId":0}]}"#.to_vec().into();
        assert_eq!(
            keys(&needs(&l, "c").unwrap()),
            ["Group:G Sub", "Topic:T Sub"]
        );
    }

    #[test]
    fn one_annotation_per_code() {
        let mut codes: Vec<i32> = annotated_codes().collect();
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n);
    }
}
