//! What a remoting request needs under ACL 1.0 (Java's `PlainAccessResource.parse`): the
//! topics and `%RETRY%<group>` resources it touches, each with PUB or SUB. Codes not in the
//! table need nothing beyond a valid signature. The result is in the order Java's `HashMap`
//! iterates, because the first failing resource names the refusal.

use std::collections::HashMap;

use ferromq_model::{from_fastjson_slice, HeartbeatData};
use ferromq_protocol::hash::java_string_hash;
use ferromq_protocol::{request_code as rc, RemotingCommand};

use super::account::RETRY_PREFIX;
use super::perm::Perm;

/// How one extField becomes a resource.
#[derive(Clone, Copy)]
enum Need {
    /// A topic to send to: PUB, or SUB when it is a `%RETRY%` topic (a consumer's retry).
    SendTopic(&'static str),
    /// A topic needed with this permission.
    Topic(&'static str, Perm),
    /// A consumer group: its `%RETRY%` resource, SUB.
    Group(&'static str),
}

/// The header fields each request code needs, in Java's insertion order.
const TABLE: &[(i32, &[Need])] = &[
    (rc::SEND_MESSAGE, &[Need::SendTopic("topic")]),
    (rc::SEND_MESSAGE_V2, &[Need::SendTopic("b")]),
    (rc::SEND_BATCH_MESSAGE, &[Need::SendTopic("b")]),
    (rc::RECALL_MESSAGE, &[Need::Topic("topic", Perm::PUB)]),
    (rc::CONSUMER_SEND_MSG_BACK, &[Need::Group("group")]),
    (
        rc::PULL_MESSAGE,
        &[
            Need::Topic("topic", Perm::SUB),
            Need::Group("consumerGroup"),
        ],
    ),
    (rc::QUERY_MESSAGE, &[Need::Topic("topic", Perm::SUB)]),
    (rc::UNREGISTER_CLIENT, &[Need::Group("consumerGroup")]),
    (
        rc::GET_CONSUMER_LIST_BY_GROUP,
        &[Need::Group("consumerGroup")],
    ),
    (
        rc::UPDATE_CONSUMER_OFFSET,
        &[
            Need::Group("consumerGroup"),
            Need::Topic("topic", Perm::SUB),
        ],
    ),
];

/// The message of the `NullPointerException` Java 17 throws for a HEART_BEAT without a body.
const NO_HEARTBEAT_BODY: &str = "Cannot invoke \"org.apache.rocketmq.remoting.protocol.heartbeat.HeartbeatData.getConsumerDataSet()\" because \"heartbeatData\" is null";

/// The resources `request` needs, in Java's iteration order, or the message of the
/// exception Java hits while working them out (only a HEART_BEAT body can fail).
pub(crate) fn needed(request: &RemotingCommand) -> Result<Vec<(String, Perm)>, String> {
    // Java reads nothing from a request without extFields (an empty map on our side).
    if request.ext_fields.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    if request.code == rc::HEART_BEAT {
        heartbeat(request, &mut out)?;
    } else if let Some((_, needs)) = TABLE.iter().find(|(code, _)| *code == request.code) {
        for need in needs.iter() {
            from_field(request, *need, &mut out);
        }
    }
    Ok(java_hash_map_order(out))
}

fn is_retry(name: &str) -> bool {
    name.starts_with(RETRY_PREFIX)
}

fn from_field(request: &RemotingCommand, need: Need, out: &mut Vec<(String, Perm)>) {
    let field = |key| request.ext_fields.get(key).map(str::to_owned);
    let entry = match need {
        Need::SendTopic(key) => field(key).map(|t| {
            let perm = if is_retry(&t) { Perm::SUB } else { Perm::PUB };
            (t, perm)
        }),
        Need::Topic(key, perm) => field(key).map(|t| (t, perm)),
        Need::Group(key) => field(key).map(|g| (format!("{RETRY_PREFIX}{g}"), Perm::SUB)),
    };
    out.extend(entry);
}

/// Every consumer group of the heartbeat (SUB on its retry resource) and every topic it
/// subscribes to (SUB). Producers need nothing. Names Java would read as `null` (empty here)
/// add nothing, as in Java.
fn heartbeat(request: &RemotingCommand, out: &mut Vec<(String, Perm)>) -> Result<(), String> {
    if request.body.is_empty() {
        return Err(NO_HEARTBEAT_BODY.to_owned());
    }
    let data: HeartbeatData =
        from_fastjson_slice(&request.body.to_bytes()).map_err(|e| e.to_string())?;
    for consumer in &data.consumer_data_set {
        if !consumer.group_name.is_empty() {
            out.push((format!("{RETRY_PREFIX}{}", consumer.group_name), Perm::SUB));
        }
        for sub in &consumer.subscription_data_set {
            if !sub.topic.is_empty() {
                out.push((sub.topic.clone(), Perm::SUB));
            }
        }
    }
    Ok(())
}

/// Orders `entries` as a `java.util.HashMap<String, _>` filled with them iterates: a later
/// entry for the same key replaces the value in place; keys go by bucket (the spread
/// `String.hashCode` masked by the table size, which doubles past 3/4 full from 16), then
/// by insertion within a bucket. Not modelled: buckets Java turns into trees (eight or more
/// colliding keys), and Java's insertion order for heartbeats, which follows the identity
/// hashes of its `HashSet<ConsumerData>`; so when two refused resources of one heartbeat share
/// a bucket, the one named may differ from Java's.
pub(crate) fn java_hash_map_order(entries: Vec<(String, Perm)>) -> Vec<(String, Perm)> {
    let mut unique: Vec<(String, Perm)> = Vec::with_capacity(entries.len());
    let mut position: HashMap<String, usize> = HashMap::with_capacity(entries.len());
    for (key, perm) in entries {
        match position.get(&key) {
            Some(&i) => unique[i].1 = perm,
            None => {
                position.insert(key.clone(), unique.len());
                unique.push((key, perm));
            }
        }
    }
    let mut capacity: usize = 16;
    while unique.len() > capacity / 4 * 3 {
        capacity *= 2;
    }
    let bucket = |key: &str| {
        let h = java_string_hash(key) as u32;
        ((h ^ (h >> 16)) as usize) & (capacity - 1)
    };
    // A stable sort keeps insertion order within a bucket.
    unique.sort_by_key(|(k, _)| bucket(k));
    unique
}

#[cfg(test)]
#[path = "resources_tests.rs"]
mod tests;
