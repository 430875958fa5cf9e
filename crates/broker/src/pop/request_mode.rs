//! 5.x server-side rebalance: the PULL/POP mode of each (topic, group), kept in
//! `config/messageRequestMode.json` as Java's `MessageRequestModeManager` keeps it, set by
//! SET_MESSAGE_REQUEST_MODE (401, `mqadmin setConsumeMode`), listed by
//! GET_ALL_MESSAGE_REQUEST_MODE, and handed to clients with their queues by
//! QUERY_ASSIGNMENT (400). A push consumer with `clientRebalance=false` learns POP mode there.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ferromq_model::{
    from_fastjson_slice, names, MessageModel, MessageQueue, MessageQueueAssignment,
    MessageRequestMode, QueryAssignmentRequestBody, QueryAssignmentResponseBody,
    SetMessageRequestModeRequestBody,
};
use ferromq_protocol::{response_code, RemotingCommand};
use ferromq_remoting::{ok_json, Channel, RequestError, RequestResult};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::context::BrokerContext;
use crate::error::BrokerError;
use crate::names::{group_name, topic_name};
use crate::tables::{load_json, store_json};

/// At most this many (topic, group) modes are kept: they come from admin requests.
const MAX_MODES: usize = 65_536;

type ModeMap = BTreeMap<String, BTreeMap<String, SetMessageRequestModeRequestBody>>;

/// The file form: `{"messageRequestModeMap":{topic:{group:{…}}}}`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ModeFile {
    message_request_mode_map: ModeMap,
}

/// The modes by topic and group.
pub(crate) struct RequestModes {
    map: Mutex<ModeMap>,
    path: PathBuf,
}

impl RequestModes {
    /// Loads `config/messageRequestMode.json` under the store root.
    pub(crate) fn load(root: &str) -> Result<Self, BrokerError> {
        let path = PathBuf::from(root)
            .join("config")
            .join("messageRequestMode.json");
        let f: Option<ModeFile> = load_json(&path)?;
        Ok(RequestModes {
            map: Mutex::new(f.map(|f| f.message_request_mode_map).unwrap_or_default()),
            path,
        })
    }

    /// The mode set for `topic` and `group`.
    pub(crate) fn get(&self, topic: &str, group: &str) -> Option<SetMessageRequestModeRequestBody> {
        self.map.lock().get(topic)?.get(group).cloned()
    }

    /// Sets a mode; false when the table is full.
    fn set(&self, body: SetMessageRequestModeRequestBody) -> bool {
        let mut map = self.map.lock();
        let n: usize = map.values().map(BTreeMap::len).sum();
        let exists = map
            .get(&body.topic)
            .is_some_and(|g| g.contains_key(&body.consumer_group));
        if !exists && n >= MAX_MODES {
            return false;
        }
        map.entry(body.topic.clone())
            .or_default()
            .insert(body.consumer_group.clone(), body);
        true
    }

    /// A slave takes its master's modes (Java's `SlaveSynchronize`): pairs with invalid names
    /// are skipped, at most [`MAX_MODES`] kept. Returns whether anything changed.
    pub(crate) fn replace_from_master(&self, master: ModeFile) -> bool {
        let mut next = ModeMap::new();
        let mut n = 0;
        for (topic, groups) in master.message_request_mode_map {
            if topic_name(&topic).is_err() {
                continue;
            }
            for (group, mut body) in groups {
                if group_name(&group).is_err() || n >= MAX_MODES {
                    continue;
                }
                body.topic = topic.clone();
                body.consumer_group = group.clone();
                next.entry(topic.clone()).or_default().insert(group, body);
                n += 1;
            }
        }
        let mut map = self.map.lock();
        if *map == next {
            return false;
        }
        *map = next;
        true
    }

    fn file(&self) -> ModeFile {
        ModeFile {
            message_request_mode_map: self.map.lock().clone(),
        }
    }

    /// Writes the file.
    pub(crate) fn persist(&self) -> Result<(), BrokerError> {
        store_json(&self.path, || self.file())
    }
}

/// SET_MESSAGE_REQUEST_MODE (401).
pub(crate) fn set_mode(ctx: &BrokerContext, _: &Channel, req: &RemotingCommand) -> RequestResult {
    let body: SetMessageRequestModeRequestBody = from_fastjson_slice(&req.body.to_bytes())
        .map_err(|e| RequestError::system(format!("bad SetMessageRequestModeRequestBody: {e}")))?;
    topic_name(&body.topic)?;
    group_name(&body.consumer_group)?;
    if names::is_retry_topic(&body.topic) {
        return Err(RequestError::system(
            "retry topic is not allowed to set mode",
        ));
    }
    let modes = ctx.pop().modes();
    if !modes.set(body) {
        return Err(RequestError::system(format!(
            "at most {MAX_MODES} message request modes"
        )));
    }
    if let Err(e) = modes.persist() {
        tracing::error!(error = %e, "persisting messageRequestMode.json failed");
    }
    Ok(RemotingCommand::success())
}

/// GET_ALL_MESSAGE_REQUEST_MODE: the file's content (what a slave syncs).
pub(crate) fn all_modes(ctx: &BrokerContext) -> RemotingCommand {
    ok_json(&ctx.pop().modes().file())
}

/// QUERY_ASSIGNMENT (400): the client's queues of the topic and the mode to consume them.
pub(crate) fn query_assignment(
    ctx: &BrokerContext,
    _: &Channel,
    req: &RemotingCommand,
) -> RequestResult {
    let body: QueryAssignmentRequestBody = from_fastjson_slice(&req.body.to_bytes())
        .map_err(|e| RequestError::system(format!("bad QueryAssignmentRequestBody: {e}")))?;
    topic_name(&body.topic)?;
    group_name(&body.consumer_group)?;
    let mode = mode_of(ctx, &body.topic, &body.consumer_group);
    let assigned = assign(ctx, &body, &mode);
    let out = QueryAssignmentResponseBody {
        message_queue_assignments: assigned
            .unwrap_or_default()
            .into_iter()
            .map(|mq| MessageQueueAssignment {
                attachments: None,
                message_queue: mq,
                mode: mode.mode,
            })
            .collect(),
    };
    let mut r = ok_json(&out);
    r.code = response_code::SUCCESS;
    Ok(r)
}

/// The mode set for the pair, else Java's default (PULL; retry topics always PULL).
fn mode_of(ctx: &BrokerContext, topic: &str, group: &str) -> SetMessageRequestModeRequestBody {
    ctx.pop()
        .modes()
        .get(topic, group)
        .unwrap_or_else(|| SetMessageRequestModeRequestBody {
            consumer_group: group.to_string(),
            mode: MessageRequestMode::Pull,
            pop_share_queue_num: 0,
            topic: topic.to_string(),
        })
}

/// The queues of `body.topic` this client gets. The topic's queues are this broker's (a
/// FerroMQ broker answers for its own queues; Java asks the NameServer for every broker's).
fn assign(
    ctx: &BrokerContext,
    body: &QueryAssignmentRequestBody,
    mode: &SetMessageRequestModeRequestBody,
) -> Option<Vec<MessageQueue>> {
    let cfg = ctx.tables().topics().get(&body.topic)?;
    let broker = ctx.identity().name().to_string();
    let all: Vec<MessageQueue> = (0..cfg.read_queue_nums)
        .map(|q| MessageQueue {
            broker_name: broker.clone(),
            queue_id: q,
            topic: body.topic.clone(),
        })
        .collect();
    if body.message_model == MessageModel::Broadcasting
        || !ctx.settings().get().broker.server_load_balancer_enable
    {
        return Some(all);
    }
    let group = ctx.clients().consumer_group(&body.consumer_group)?;
    let mut cids: Vec<String> = group
        .members
        .values()
        .map(|m| m.client_id.clone())
        .collect();
    cids.sort();
    cids.dedup();
    if mode.mode == MessageRequestMode::Pop
        && (mode.pop_share_queue_num <= 0 || mode.pop_share_queue_num >= cids.len() as i32 - 1)
    {
        // Every client pops every queue: the broker picks the queue (-1).
        return Some(
            std::iter::once(MessageQueue {
                broker_name: broker,
                queue_id: -1,
                topic: body.topic.clone(),
            })
            .collect(),
        );
    }
    let mine = allocate(&body.strategy_name, &body.client_id, &all, &cids)?;
    if mode.mode != MessageRequestMode::Pop {
        return Some(mine);
    }
    // POP sharing: also the queues of the next `popShareQueueNum` clients.
    let mut out = mine;
    let me = cids.iter().position(|c| *c == body.client_id)?;
    for i in 1..=mode.pop_share_queue_num as usize {
        let other = &cids[(me + i) % cids.len()];
        out.extend(allocate(&body.strategy_name, other, &all, &cids)?);
    }
    out.sort_by_key(|m| m.queue_id);
    out.dedup();
    Some(out)
}

/// Java's `AVG` and `AVG_BY_CIRCLE` strategies; others are not known (no assignment).
fn allocate(
    strategy: &str,
    cid: &str,
    all: &[MessageQueue],
    cids: &[String],
) -> Option<Vec<MessageQueue>> {
    let idx = cids.iter().position(|c| c == cid)?;
    let (n, m) = (all.len(), cids.len());
    match strategy {
        "AVG" | "" => {
            let modulo = n % m;
            let size = if n <= m {
                1
            } else if modulo > 0 && idx < modulo {
                n / m + 1
            } else {
                n / m
            };
            let start = if modulo > 0 && idx < modulo {
                idx * size
            } else {
                idx * size + modulo
            };
            let range = size.min(n.saturating_sub(start));
            Some((0..range).map(|i| all[(start + i) % n].clone()).collect())
        }
        "AVG_BY_CIRCLE" => Some(
            all.iter()
                .enumerate()
                .filter(|(i, _)| i % m == idx)
                .map(|(_, q)| q.clone())
                .collect(),
        ),
        _ => None,
    }
}

/// Counts of modes, for tests.
#[cfg(test)]
fn count(m: &RequestModes) -> std::collections::HashMap<String, usize> {
    m.map
        .lock()
        .iter()
        .map(|(t, g)| (t.clone(), g.len()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qs(n: i32) -> Vec<MessageQueue> {
        (0..n)
            .map(|q| MessageQueue {
                broker_name: "b".into(),
                queue_id: q,
                topic: "T".into(),
            })
            .collect()
    }

    fn ids(v: Vec<MessageQueue>) -> Vec<i32> {
        v.into_iter().map(|m| m.queue_id).collect()
    }

    #[test]
    fn javas_average_strategies() {
        let cids: Vec<String> = vec!["a".into(), "b".into(), "c".into()];
        let all = qs(8);
        assert_eq!(
            ids(allocate("AVG", "a", &all, &cids).unwrap()),
            vec![0, 1, 2]
        );
        assert_eq!(
            ids(allocate("AVG", "b", &all, &cids).unwrap()),
            vec![3, 4, 5]
        );
        assert_eq!(ids(allocate("AVG", "c", &all, &cids).unwrap()), vec![6, 7]);
        assert_eq!(
            ids(allocate("AVG_BY_CIRCLE", "b", &all, &cids).unwrap()),
            vec![1, 4, 7]
        );
        assert!(allocate("AVG", "zz", &all, &cids).is_none());
        assert!(allocate("CONSISTENT_HASH", "a", &all, &cids).is_none());
        assert_eq!(
            ids(allocate("AVG", "c", &qs(2), &cids).unwrap()),
            Vec::<i32>::new()
        );
    }

    #[test]
    fn modes_persist_in_javas_file_form() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_string_lossy().to_string();
        let m = RequestModes::load(&root).unwrap();
        assert!(m.set(SetMessageRequestModeRequestBody {
            consumer_group: "g".into(),
            mode: MessageRequestMode::Pop,
            pop_share_queue_num: 2,
            topic: "T".into(),
        }));
        m.persist().unwrap();
        let text =
            std::fs::read_to_string(dir.path().join("config/messageRequestMode.json")).unwrap();
        assert!(text.contains(r#""messageRequestModeMap""#), "{text}");
        assert!(text.replace(' ', "").contains(r#""mode":"POP""#), "{text}");
        let again = RequestModes::load(&root).unwrap();
        assert_eq!(again.get("T", "g").unwrap().pop_share_queue_num, 2);
        assert_eq!(count(&again).get("T"), Some(&1));
        // A slave takes the master's table, without names that are not names.
        let mut master = again.file();
        master
            .message_request_mode_map
            .insert("a/b".into(), BTreeMap::new());
        let slave = RequestModes::load(&format!("{root}/slave")).unwrap();
        assert!(slave.replace_from_master(master));
        assert_eq!(slave.get("T", "g").unwrap().mode, MessageRequestMode::Pop);
        assert!(!slave.replace_from_master(again.file()), "unchanged");
        assert_eq!(count(&slave).len(), 1);
    }
}
