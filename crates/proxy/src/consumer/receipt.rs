//! Receipt handles: what a gRPC consumer holds for a received message, and the broker's POP
//! `extraInfo` it is made of.
//!
//! A receipt handle is the broker's extraInfo (`ckQueueOffset popTime invisibleTime reviveQid
//! topicType brokerName queueId queueOffset`) with the message's CommitLog offset appended —
//! Java's `ReceiptHandle` (common module). The proxy hands the whole string back to the broker
//! as `extraInfo` on ACK and CHANGE_INVISIBLETIME: the broker reads the first eight fields and
//! ignores the ninth. Everything here is pure and total: text from the network never panics,
//! it becomes a [`ReceiptError`].

use std::collections::HashMap;

use ferromq_model::names::RETRY_GROUP_TOPIC_PREFIX;

/// topicType of a message popped from the topic itself.
pub const NORMAL_TOPIC: &str = "0";
/// topicType of a message popped from the V1 pop retry topic `%RETRY%{group}_{topic}`.
pub const RETRY_TOPIC_V1: &str = "1";
/// topicType of a message popped from the V2 pop retry topic `%RETRY%{group}+{topic}`.
pub const RETRY_TOPIC_V2: &str = "2";

/// Why a receipt handle or a POP response's offset info could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// Fewer than the eight required fields.
    #[error("receipt handle has {0} fields, at least 8 are required")]
    TooShort(usize),
    /// A numeric field does not parse.
    #[error("receipt handle field {field} is not a number: `{value}`")]
    NotANumber { field: &'static str, value: String },
    /// The broker's startOffsetInfo/msgOffsetInfo/orderCountInfo is malformed.
    #[error("malformed {0} in the POP response")]
    OffsetInfo(&'static str),
}

/// A decoded receipt handle (Java's `ReceiptHandle`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptHandle {
    /// The check point's queue offset (the first offset popped from that queue in that pop).
    pub start_offset: i64,
    /// When the broker popped the message (ms).
    pub retrieve_time: i64,
    /// How long the message stays invisible from `retrieve_time` (ms).
    pub invisible_time: i64,
    /// The revive queue holding the check point (999 for FIFO pops).
    pub revive_queue_id: i32,
    /// [`NORMAL_TOPIC`], [`RETRY_TOPIC_V1`] or [`RETRY_TOPIC_V2`] (kept as sent).
    pub topic_type: String,
    /// The broker group that popped the message.
    pub broker_name: String,
    /// The queue the message was popped from.
    pub queue_id: i32,
    /// The message's queue offset.
    pub offset: i64,
    /// The message's CommitLog offset; -1 when the handle has only eight fields.
    pub commit_log_offset: i64,
    /// The handle exactly as received: the broker is given this string, not a re-encoding.
    pub raw: String,
}

fn num<T: std::str::FromStr>(field: &'static str, value: &str) -> Result<T, ReceiptError> {
    value.parse().map_err(|_| ReceiptError::NotANumber {
        field,
        value: value.chars().take(32).collect(),
    })
}

/// Splits on single spaces like Java's `String.split(" ")`: empty fields stay, trailing empty
/// fields are dropped.
fn java_split(s: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = s.split(' ').collect();
    while parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    if parts.len() == 1 && parts[0].is_empty() {
        parts.clear();
    }
    parts
}

impl ReceiptHandle {
    /// Decodes a handle as Java's `ReceiptHandle.decode` does: at least eight space-separated
    /// fields, an optional ninth (the CommitLog offset), anything after ignored.
    pub fn decode(handle: &str) -> Result<Self, ReceiptError> {
        let f = java_split(handle);
        if f.len() < 8 {
            return Err(ReceiptError::TooShort(f.len()));
        }
        Ok(ReceiptHandle {
            start_offset: num("startOffset", f[0])?,
            retrieve_time: num("retrieveTime", f[1])?,
            invisible_time: num("invisibleTime", f[2])?,
            revive_queue_id: num("reviveQueueId", f[3])?,
            topic_type: f[4].to_owned(),
            broker_name: f[5].to_owned(),
            queue_id: num("queueId", f[6])?,
            offset: num("offset", f[7])?,
            commit_log_offset: match f.get(8) {
                Some(v) => num("commitLogOffset", v)?,
                None => -1,
            },
            raw: handle.to_owned(),
        })
    }

    /// The nine-field text form (Java's `encode`); the proxy forwards `raw` instead, so only
    /// tests re-encode.
    #[cfg(test)]
    pub fn encode(&self) -> String {
        format!(
            "{} {} {} {} {} {} {} {} {}",
            self.start_offset,
            self.retrieve_time,
            self.invisible_time,
            self.revive_queue_id,
            self.topic_type,
            self.broker_name,
            self.queue_id,
            self.offset,
            self.commit_log_offset
        )
    }

    /// When the message becomes visible again (ms).
    pub fn next_visible_time(&self) -> i64 {
        self.retrieve_time.saturating_add(self.invisible_time)
    }

    /// Whether the broker has already made the message visible again at `now_ms`: such a
    /// handle cannot be acked or changed any more.
    pub fn is_expired(&self, now_ms: i64) -> bool {
        self.next_visible_time() <= now_ms
    }

    /// The topic the broker knows the message under: the pop retry topic for retried
    /// messages, else `topic` itself.
    pub fn real_topic(&self, topic: &str, group: &str) -> String {
        real_topic(&self.topic_type, topic, group)
    }
}

/// The topic named by `topic_type` for `topic` and `group` (Java's `getRealTopic`).
pub fn real_topic(topic_type: &str, topic: &str, group: &str) -> String {
    match topic_type {
        RETRY_TOPIC_V1 => format!("{RETRY_GROUP_TOPIC_PREFIX}{group}_{topic}"),
        RETRY_TOPIC_V2 => format!("{RETRY_GROUP_TOPIC_PREFIX}{group}+{topic}"),
        _ => topic.to_owned(),
    }
}

/// The topicType of a topic a record was stored under (Java's `ExtraInfoUtil.getRetry`).
pub fn topic_type_of(topic: &str) -> &'static str {
    if topic.starts_with(RETRY_GROUP_TOPIC_PREFIX) {
        if topic.contains('+') {
            RETRY_TOPIC_V2
        } else {
            RETRY_TOPIC_V1
        }
    } else {
        NORMAL_TOPIC
    }
}

/// The broker's eight-field extraInfo (Java's `ExtraInfoUtil.buildExtraInfo` with a message
/// queue offset).
#[allow(clippy::too_many_arguments)] // the eight fields of the wire format
pub fn build_extra_info(
    ck_queue_offset: i64,
    pop_time: i64,
    invisible_time: i64,
    revive_qid: i32,
    topic: &str,
    broker_name: &str,
    queue_id: i32,
    msg_queue_offset: i64,
) -> String {
    format!(
        "{ck_queue_offset} {pop_time} {invisible_time} {revive_qid} {} {broker_name} {queue_id} {msg_queue_offset}",
        topic_type_of(topic)
    )
}

/// A receipt handle from a message's extraInfo (`POP_CK`) and CommitLog offset (Java's
/// `ConsumerProcessor.createHandle`).
pub fn create_handle(extra_info: &str, commit_log_offset: i64) -> String {
    format!("{extra_info} {commit_log_offset}")
}

/// The parts of a POP_MESSAGE response header the extraInfo is built from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PopInfo {
    pub pop_time: i64,
    pub invisible_time: i64,
    pub revive_qid: i32,
    pub start_offset_info: Option<String>,
    pub msg_offset_info: Option<String>,
    pub order_count_info: Option<String>,
}

/// What [`stamp_pop_result`] needs of one popped record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoppedRef<'a> {
    /// The topic the record is stored under (a pop retry topic for retried messages).
    pub topic: &'a str,
    pub queue_id: i32,
    pub queue_offset: i64,
    /// A `POP_CK` property the broker already put on the record, if any.
    pub pop_ck: Option<&'a str>,
}

/// What a popped record gets: its extraInfo and, for FIFO pops, the broker's count of earlier
/// deliveries (which replaces the record's reconsume times).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The extraInfo; `None` keeps the record's own `POP_CK`.
    pub extra_info: Option<String>,
    pub reconsume_times: Option<i32>,
}

/// `topicType queueId value;...` → `topicType@queueId` → value, as Java's
/// `ExtraInfoUtil.parse*Info` (a repeated key is an error there too).
fn parse_info<'a>(
    what: &'static str,
    info: &'a str,
) -> Result<HashMap<String, &'a str>, ReceiptError> {
    let mut map = HashMap::new();
    for one in info.split(';') {
        let f = java_split(one);
        if f.len() != 3 {
            return Err(ReceiptError::OffsetInfo(what));
        }
        if map.insert(format!("{}@{}", f[0], f[1]), f[2]).is_some() {
            return Err(ReceiptError::OffsetInfo(what));
        }
    }
    Ok(map)
}

fn parse_map<T: std::str::FromStr>(
    what: &'static str,
    info: Option<&str>,
) -> Result<HashMap<String, T>, ReceiptError> {
    let Some(info) = info.filter(|s| !s.is_empty()) else {
        return Ok(HashMap::new());
    };
    parse_info(what, info)?
        .into_iter()
        .map(|(k, v)| Ok((k, v.parse().map_err(|_| ReceiptError::OffsetInfo(what))?)))
        .collect()
}

fn parse_offsets(info: Option<&str>) -> Result<HashMap<String, Vec<i64>>, ReceiptError> {
    let what = "msgOffsetInfo";
    let Some(info) = info.filter(|s| !s.is_empty()) else {
        return Ok(HashMap::new());
    };
    parse_info(what, info)?
        .into_iter()
        .map(|(k, v)| {
            let offs = v
                .split(',')
                .map(|o| o.parse().map_err(|_| ReceiptError::OffsetInfo(what)))
                .collect::<Result<Vec<i64>, _>>()?;
            Ok((k, offs))
        })
        .collect()
}

/// Builds each popped record's extraInfo from the POP response, as Java's client does in
/// `MQClientAPIImpl.processPopResponse` (LMQ topics aside): without startOffsetInfo (old
/// brokers) every record of a queue shares the first record's check point; with it, the check
/// point comes from startOffsetInfo and the acked offset from msgOffsetInfo, matched by the
/// record's rank among the records of its queue. Where the broker's info lacks a queue the
/// record's own queue offset stands in (Java would fail the whole receive).
pub fn stamp_pop_result(
    info: &PopInfo,
    broker_name: &str,
    order: bool,
    records: &[PoppedRef<'_>],
) -> Result<Vec<Stamp>, ReceiptError> {
    let extra = |ck: i64, r: &PoppedRef<'_>, off: i64| {
        build_extra_info(
            ck,
            info.pop_time,
            info.invisible_time,
            info.revive_qid,
            r.topic,
            broker_name,
            r.queue_id,
            off,
        )
    };
    let starts: HashMap<String, i64> =
        parse_map("startOffsetInfo", info.start_offset_info.as_deref())?;
    if starts.is_empty() {
        // An old broker: the first record of each queue is the check point.
        let mut first: HashMap<(&str, i32), i64> = HashMap::new();
        return Ok(records
            .iter()
            .map(|r| {
                let ck = *first.entry((r.topic, r.queue_id)).or_insert(r.queue_offset);
                Stamp {
                    extra_info: Some(extra(ck, r, r.queue_offset)),
                    reconsume_times: None,
                }
            })
            .collect());
    }
    let offsets = parse_offsets(info.msg_offset_info.as_deref())?;
    let counts: HashMap<String, i32> =
        parse_map("orderCountInfo", info.order_count_info.as_deref())?;
    let ranks = ranks(records);
    Ok(records
        .iter()
        .map(|r| {
            if r.pop_ck.is_some() {
                return Stamp {
                    extra_info: None,
                    reconsume_times: None,
                };
            }
            let qkey = format!("{}@{}", topic_type_of(r.topic), r.queue_id);
            let index = ranks
                .get(&qkey)
                .and_then(|l| l.iter().position(|o| *o == r.queue_offset));
            let msg_off = index
                .and_then(|i| offsets.get(&qkey).and_then(|l| l.get(i)))
                .copied()
                .unwrap_or(r.queue_offset);
            let ck = starts.get(&qkey).copied().unwrap_or(r.queue_offset);
            Stamp {
                extra_info: Some(extra(ck, r, msg_off)),
                reconsume_times: order.then(|| order_count(&counts, &qkey, r)).flatten(),
            }
        })
        .collect())
}

/// topicType@queueId → the records' queue offsets, in response order (Java's sort map keys a
/// record by its POP_CK's type when it has one: the broker may rewrite the topic).
fn ranks(records: &[PoppedRef<'_>]) -> HashMap<String, Vec<i64>> {
    let mut ranks: HashMap<String, Vec<i64>> = HashMap::new();
    for r in records {
        let ty = match r.pop_ck {
            Some(ck) => java_split(ck).get(4).copied().unwrap_or(NORMAL_TOPIC),
            None => topic_type_of(r.topic),
        };
        ranks
            .entry(format!("{ty}@{}", r.queue_id))
            .or_default()
            .push(r.queue_offset);
    }
    ranks
}

/// A FIFO record's earlier deliveries: by its queue offset (`qo{queueId}%{offset}`), else by
/// its queue; none when zero.
fn order_count(counts: &HashMap<String, i32>, qkey: &str, r: &PoppedRef<'_>) -> Option<i32> {
    let okey = format!(
        "{}@qo{}%{}",
        topic_type_of(r.topic),
        r.queue_id,
        r.queue_offset
    );
    counts
        .get(&okey)
        .or_else(|| counts.get(qkey))
        .copied()
        .filter(|c| *c > 0)
}

#[cfg(test)]
#[path = "receipt_tests.rs"]
mod tests;
