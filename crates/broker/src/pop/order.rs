//! Orderly POP (Java's `ConsumerOrderInfoManager`): a queue's next messages are not handed
//! out while the previous batch is neither acked nor past its invisibility. A pop with the
//! same `attemptId` as the batch's (a client retrying its request) gets the batch again
//! without counting an attempt; any other pop of the batch after its invisibility counts one
//! more attempt per message, which the response reports in `orderCountInfo`.
//!
//! The group's offset is not moved by an orderly pop: acks move it ([`OrderTable::ack`]).
//! The batches survive a restart in `config/consumerOrderInfo.json`, in Java's form.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::error::BrokerError;
use crate::tables::{load_json, store_json};

/// A queue of a group's topic.
pub(crate) type QueueKey = (String, String, i32);

/// The batch handed out last on an orderly queue.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Batch {
    attempt_id: Option<String>,
    pop_time: i64,
    /// Visible again at this time.
    visible_at: i64,
    offsets: Vec<i64>,
    acked: Vec<bool>,
    /// Attempts before this one, per offset.
    counts: HashMap<i64, i32>,
}

/// Orderly batches by queue.
#[derive(Debug, Default)]
pub(crate) struct OrderTable {
    batches: Mutex<HashMap<QueueKey, Batch>>,
    path: Option<PathBuf>,
}

/// Java's `OrderInfo` as fastjson writes it.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct OrderInfo {
    #[serde(rename = "popTime")]
    pop_time: i64,
    #[serde(rename = "i")]
    invisible_time: Option<i64>,
    /// The first offset, then each other one's distance from it.
    #[serde(rename = "o")]
    offset_list: Vec<i64>,
    #[serde(rename = "ot")]
    offset_next_visible_time: BTreeMap<i64, i64>,
    #[serde(rename = "oc")]
    offset_consumed_count: BTreeMap<i64, i32>,
    #[serde(rename = "l")]
    last_consume_timestamp: i64,
    #[serde(rename = "cm")]
    commit_offset_bit: i64,
    #[serde(rename = "a", skip_serializing_if = "Option::is_none")]
    attempt_id: Option<String>,
}

/// `{"table":{"topic@group":{queueId:OrderInfo}}}`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct OrderFile {
    table: BTreeMap<String, BTreeMap<i32, OrderInfo>>,
}

/// Batches of at most this many offsets are kept (the commit bits are a `long`).
const MAX_BATCH: usize = 64;

impl Batch {
    fn to_info(&self) -> OrderInfo {
        let first = self.offsets.first().copied().unwrap_or(0);
        let offset_list = self
            .offsets
            .iter()
            .enumerate()
            .map(|(i, o)| if i == 0 { *o } else { o - first })
            .collect();
        let bits = self
            .acked
            .iter()
            .take(MAX_BATCH)
            .enumerate()
            .filter(|(_, a)| **a)
            .fold(0i64, |b, (i, _)| b | (1 << i));
        OrderInfo {
            pop_time: self.pop_time,
            invisible_time: Some(self.visible_at - self.pop_time),
            offset_list,
            offset_next_visible_time: BTreeMap::new(),
            offset_consumed_count: self
                .counts
                .iter()
                .filter(|(_, c)| **c > 0)
                .map(|(o, c)| (*o, *c))
                .collect(),
            last_consume_timestamp: self.pop_time,
            commit_offset_bit: bits,
            attempt_id: self.attempt_id.clone(),
        }
    }

    fn from_info(info: OrderInfo) -> Option<Batch> {
        let first = *info.offset_list.first()?;
        let offsets: Vec<i64> = info
            .offset_list
            .iter()
            .take(MAX_BATCH)
            .enumerate()
            .map(|(i, d)| {
                if i == 0 {
                    first
                } else {
                    first.saturating_add(*d)
                }
            })
            .collect();
        let acked = (0..offsets.len())
            .map(|i| info.commit_offset_bit & (1 << i) != 0)
            .collect();
        let counts = offsets
            .iter()
            .map(|o| (*o, info.offset_consumed_count.get(o).copied().unwrap_or(0)))
            .collect();
        let visible_at = info
            .offset_next_visible_time
            .values()
            .copied()
            .max()
            .unwrap_or_else(|| {
                info.pop_time
                    .saturating_add(info.invisible_time.unwrap_or(0))
            });
        Some(Batch {
            attempt_id: info.attempt_id,
            pop_time: info.pop_time,
            visible_at,
            offsets,
            acked,
            counts,
        })
    }
}

impl OrderTable {
    /// Loads `config/consumerOrderInfo.json` under the store root.
    pub(crate) fn load(root: &str) -> Result<Self, BrokerError> {
        let path = Path::new(root)
            .join("config")
            .join("consumerOrderInfo.json");
        let file: Option<OrderFile> = load_json(&path)?;
        let mut batches = HashMap::new();
        for (key, queues) in file.map(|f| f.table).unwrap_or_default() {
            let Some((topic, group)) = key.split_once('@') else {
                continue;
            };
            for (qid, info) in queues {
                if let Some(b) = Batch::from_info(info) {
                    batches.insert((topic.to_string(), group.to_string(), qid), b);
                }
            }
        }
        Ok(OrderTable {
            batches: Mutex::new(batches),
            path: Some(path),
        })
    }

    /// Writes the file (nothing for a table without one).
    pub(crate) fn persist(&self) -> Result<(), BrokerError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        store_json(path, || {
            let mut file = OrderFile::default();
            for ((topic, group, qid), b) in self.batches.lock().iter() {
                file.table
                    .entry(format!("{topic}@{group}"))
                    .or_default()
                    .insert(*qid, b.to_info());
            }
            file
        })
    }

    /// Whether the queue's previous batch still blocks a pop by `attempt_id` at `now`.
    pub(crate) fn blocked(&self, key: &QueueKey, attempt_id: Option<&str>, now: i64) -> bool {
        let batches = self.batches.lock();
        let Some(b) = batches.get(key) else {
            return false;
        };
        if b.acked.iter().all(|a| *a) {
            return false;
        }
        if attempt_id.is_some() && b.attempt_id.as_deref() == attempt_id {
            return false;
        }
        now < b.visible_at
    }

    /// A batch was handed out; returns each offset's attempt count (0 the first time).
    pub(crate) fn update(
        &self,
        key: QueueKey,
        attempt_id: Option<&str>,
        pop_time: i64,
        invisible_time: i64,
        offsets: &[i64],
    ) -> Vec<(i64, i32)> {
        let mut batches = self.batches.lock();
        let previous = batches.remove(&key);
        let same_attempt = attempt_id.is_some()
            && previous.as_ref().and_then(|b| b.attempt_id.as_deref()) == attempt_id;
        let mut counts = HashMap::new();
        for o in offsets {
            let before = previous
                .as_ref()
                .filter(|b| b.offsets.contains(o))
                .and_then(|b| {
                    b.counts
                        .get(o)
                        .copied()
                        .map(|c| c + i32::from(!same_attempt))
                });
            counts.insert(*o, before.unwrap_or(0));
        }
        let out = offsets.iter().map(|o| (*o, counts[o])).collect();
        batches.insert(
            key,
            Batch {
                attempt_id: attempt_id.map(str::to_string),
                pop_time,
                visible_at: pop_time.saturating_add(invisible_time),
                offsets: offsets.to_vec(),
                acked: vec![false; offsets.len()],
                counts,
            },
        );
        out
    }

    /// An ack of `offset` from the pop at `pop_time`: the offset to commit, if any — the
    /// first offset of the batch not yet acked, or past the batch once all are. A receipt of
    /// an older pop commits nothing.
    pub(crate) fn ack(&self, key: &QueueKey, offset: i64, pop_time: i64) -> Option<i64> {
        let mut batches = self.batches.lock();
        let Some(b) = batches.get_mut(key) else {
            return Some(offset + 1);
        };
        if b.pop_time != pop_time {
            return None;
        }
        let i = b.offsets.iter().position(|o| *o == offset)?;
        b.acked[i] = true;
        let next = match b.acked.iter().position(|a| !a) {
            Some(j) => b.offsets[j],
            None => b.offsets.last().map(|o| o + 1).unwrap_or(offset + 1),
        };
        if b.acked.iter().all(|a| *a) {
            // Keep the counts for a re-pop; nothing blocks any more.
            b.visible_at = 0;
        }
        Some(next)
    }

    /// CHANGE_MESSAGE_INVISIBLETIME on an orderly message: the batch is visible at
    /// `visible_at` instead.
    pub(crate) fn change_invisible(&self, key: &QueueKey, pop_time: i64, visible_at: i64) {
        if let Some(b) = self.batches.lock().get_mut(key) {
            if b.pop_time == pop_time {
                b.visible_at = visible_at;
            }
        }
    }

    /// Forgets a queue's batch (its offset was reset).
    pub(crate) fn clear(&self, key: &QueueKey) {
        self.batches.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> QueueKey {
        ("T".into(), "g".into(), 0)
    }

    #[test]
    fn a_batch_blocks_until_acked_or_invisible_time_over() {
        let t = OrderTable::default();
        assert!(!t.blocked(&key(), None, 0));
        assert_eq!(
            t.update(key(), Some("a1"), 1000, 100, &[5, 6]),
            vec![(5, 0), (6, 0)]
        );
        assert!(t.blocked(&key(), Some("other"), 1050));
        assert!(t.blocked(&key(), None, 1050));
        assert!(
            !t.blocked(&key(), Some("a1"), 1050),
            "the same attempt retries"
        );
        assert!(!t.blocked(&key(), None, 1100), "invisibility over");
        // Acks move the offset to commit; a stale receipt moves nothing.
        assert_eq!(t.ack(&key(), 5, 999), None);
        assert_eq!(t.ack(&key(), 6, 1000), Some(5));
        assert!(t.blocked(&key(), None, 1050));
        assert_eq!(t.ack(&key(), 5, 1000), Some(7));
        assert!(!t.blocked(&key(), None, 1050), "all acked");
    }

    #[test]
    fn re_pops_count_attempts_except_for_the_same_attempt() {
        let t = OrderTable::default();
        t.update(key(), Some("a1"), 1000, 100, &[5, 6]);
        assert_eq!(
            t.update(key(), Some("a1"), 1010, 100, &[5, 6]),
            vec![(5, 0), (6, 0)]
        );
        assert_eq!(
            t.update(key(), Some("a2"), 1200, 100, &[5, 6]),
            vec![(5, 1), (6, 1)]
        );
        assert_eq!(
            t.update(key(), None, 1400, 100, &[6, 7]),
            vec![(6, 2), (7, 0)]
        );
        t.change_invisible(&key(), 1400, 5000);
        assert!(t.blocked(&key(), None, 4000));
        t.clear(&key());
        assert!(!t.blocked(&key(), None, 4000));
    }

    #[test]
    fn batches_survive_a_restart_in_javas_form() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_string_lossy().to_string();
        let t = OrderTable::load(&root).unwrap();
        t.update(key(), Some("a1"), 1000, 100, &[5, 7, 8]);
        t.update(key(), Some("a2"), 1200, 100, &[5, 7, 8]);
        assert_eq!(t.ack(&key(), 7, 1200), Some(5));
        t.persist().unwrap();
        let text =
            std::fs::read_to_string(dir.path().join("config/consumerOrderInfo.json")).unwrap();
        let compact = text.replace([' ', '\n'], "");
        assert!(compact.contains(r#""T@g":{"0":{"#), "{text}");
        assert!(compact.contains(r#""o":[5,2,3]"#), "{text}");
        assert!(compact.contains(r#""cm":2"#), "{text}");
        assert!(compact.contains(r#""a":"a2""#), "{text}");
        let again = OrderTable::load(&root).unwrap();
        assert!(
            again.blocked(&key(), Some("a3"), 1250),
            "still blocked after the restart"
        );
        assert!(!again.blocked(&key(), Some("a2"), 1250));
        assert_eq!(again.ack(&key(), 5, 1200), Some(8));
        assert_eq!(again.update(key(), None, 1400, 100, &[8]), vec![(8, 2)]);
    }
}
