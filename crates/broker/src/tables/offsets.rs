//! Consumer offsets (`config/consumerOffset.json`, key `topic@group`): the next offset each
//! group consumes per queue, committed by clients (UPDATE_CONSUMER_OFFSET, or piggy-backed on
//! pulls) and flushed to disk every 5 s and at shutdown.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use ferromq_config::BrokerConfig;
use ferromq_model::ConsumerOffsetSerializeWrapper;
use parking_lot::RwLock;

use super::json_file;
use crate::error::BrokerError;

type QueueOffsets = BTreeMap<i32, i64>;

/// topic → group → queue → offset.
#[derive(Default)]
struct Table {
    by_topic: HashMap<String, HashMap<String, QueueOffsets>>,
}

/// The consumer offset table.
pub struct ConsumerOffsets {
    table: RwLock<Table>,
    /// Offsets an admin reset to, handed to the group's next pull of each queue.
    resets: parking_lot::Mutex<HashMap<(String, String, i32), i64>>,
    /// Java's `dataVersion`: a Java slave syncing offsets from this broker reads it (and
    /// fails on its absence).
    version: ferromq_model::DataVersion,
    path: PathBuf,
}

impl ConsumerOffsets {
    /// Loads `consumerOffset.json` (fastjson's unquoted queue ids are fine).
    pub fn load(config: &BrokerConfig) -> Result<Self, BrokerError> {
        let path = PathBuf::from(&config.store.store_path_root_dir)
            .join("config")
            .join("consumerOffset.json");
        let loaded: Option<ConsumerOffsetSerializeWrapper> = json_file::load(&path)?;
        // A time-stamped version, not `Default`'s zeros, when the file has none.
        let version = match loaded.as_ref().and_then(|w| w.data_version) {
            Some(v) => v,
            None => ferromq_model::DataVersion::new(),
        };
        let mut table = Table::default();
        for (key, queues) in loaded.map(|w| w.offset_table).unwrap_or_default() {
            match ferromq_model::split_topic_group_key(&key) {
                Some((topic, group)) => {
                    table
                        .by_topic
                        .entry(topic.to_string())
                        .or_default()
                        .insert(group.to_string(), queues);
                }
                None => tracing::warn!(key, "ignoring consumer offset entry without `@`"),
            }
        }
        Ok(ConsumerOffsets {
            table: RwLock::new(table),
            resets: parking_lot::Mutex::new(HashMap::new()),
            version,
            path,
        })
    }

    /// Records that `group` will next consume `offset` of `topic`/`queue_id`.
    pub fn commit(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        let mut t = self.table.write();
        let groups = match t.by_topic.get_mut(topic) {
            Some(g) => g,
            None => t.by_topic.entry(topic.to_string()).or_default(),
        };
        let queues = match groups.get_mut(group) {
            Some(q) => q,
            None => groups.entry(group.to_string()).or_default(),
        };
        queues.insert(queue_id, offset);
    }

    /// Resets `group`'s offset of a queue (server-side reset): the table changes now, and
    /// the group's next pull of that queue is told to move there.
    pub fn assign_reset(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.resets
            .lock()
            .insert((topic.to_string(), group.to_string(), queue_id), offset);
        self.commit(group, topic, queue_id, offset);
    }

    /// Takes a pending reset of a queue, if any.
    pub fn take_reset(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        let mut r = self.resets.lock();
        if r.is_empty() {
            return None;
        }
        r.remove(&(topic.to_string(), group.to_string(), queue_id))
    }

    /// The committed offset, if any.
    pub fn query(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        self.table
            .read()
            .by_topic
            .get(topic)?
            .get(group)?
            .get(&queue_id)
            .copied()
    }

    /// Every committed queue offset of `group` on `topic`.
    pub fn queues(&self, group: &str, topic: &str) -> QueueOffsets {
        self.table
            .read()
            .by_topic
            .get(topic)
            .and_then(|g| g.get(group))
            .cloned()
            .unwrap_or_default()
    }

    /// Topics `group` has offsets for.
    pub fn topics_of_group(&self, group: &str) -> Vec<String> {
        let t = self.table.read();
        let mut v: Vec<String> = t
            .by_topic
            .iter()
            .filter(|(_, g)| g.contains_key(group))
            .map(|(t, _)| t.clone())
            .collect();
        v.sort();
        v
    }

    /// Groups with offsets on `topic`.
    pub fn groups_of_topic(&self, topic: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .table
            .read()
            .by_topic
            .get(topic)
            .map(|g| g.keys().cloned().collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Every group with offsets.
    pub fn all_groups(&self) -> Vec<String> {
        let t = self.table.read();
        let mut v: Vec<String> = t
            .by_topic
            .values()
            .flat_map(|g| g.keys().cloned())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Drops `group`'s offsets (on all topics, or one).
    pub fn remove_group(&self, group: &str, topic: Option<&str>) {
        let mut t = self.table.write();
        t.by_topic.retain(|name, groups| {
            if topic.is_none_or(|only| only == name) {
                groups.remove(group);
            }
            !groups.is_empty()
        });
    }

    /// Drops every group's offsets on `topic` (topic deleted).
    pub fn remove_topic(&self, topic: &str) {
        self.table.write().by_topic.remove(topic);
    }

    /// Copies `src`'s offsets to `dest` (CLONE_GROUP_OFFSET).
    pub fn clone_group(&self, src: &str, dest: &str, topic: Option<&str>) {
        let mut t = self.table.write();
        for (name, groups) in t.by_topic.iter_mut() {
            if topic.is_some_and(|only| only != name) {
                continue;
            }
            if let Some(q) = groups.get(src).cloned() {
                groups.insert(dest.to_string(), q);
            }
        }
    }

    /// A slave takes its master's offsets (Java's `syncConsumerOffset`: every `topic@group`
    /// the master has replaces ours; others stay). Keys that do not split into a valid topic
    /// and group are skipped. Returns how many entries were taken.
    pub fn merge_from_master(&self, master: ConsumerOffsetSerializeWrapper) -> usize {
        let mut t = self.table.write();
        let mut n = 0;
        for (key, queues) in master.offset_table {
            let Some((topic, group)) = ferromq_model::split_topic_group_key(&key) else {
                continue;
            };
            if ferromq_model::validate::validate_topic(topic).is_err()
                || ferromq_model::validate::validate_group(group).is_err()
            {
                continue;
            }
            t.by_topic
                .entry(topic.to_string())
                .or_default()
                .insert(group.to_string(), queues);
            n += 1;
        }
        n
    }

    /// The file form.
    pub fn wrapper(&self) -> ConsumerOffsetSerializeWrapper {
        let t = self.table.read();
        let mut offset_table = BTreeMap::new();
        for (topic, groups) in &t.by_topic {
            for (group, queues) in groups {
                offset_table.insert(ferromq_model::topic_group_key(topic, group), queues.clone());
            }
        }
        ConsumerOffsetSerializeWrapper {
            data_version: Some(self.version),
            offset_table,
        }
    }

    /// Persists `consumerOffset.json`.
    pub fn persist(&self) -> Result<(), BrokerError> {
        json_file::store(&self.path, || self.wrapper())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &std::path::Path) -> BrokerConfig {
        let mut c = BrokerConfig::default();
        c.store.store_path_root_dir = dir.to_string_lossy().into_owned();
        c
    }

    #[test]
    fn commit_query_persist_reload() {
        let dir = tempfile::tempdir().unwrap();
        let o = ConsumerOffsets::load(&config(dir.path())).unwrap();
        o.commit("g", "T", 0, 10);
        o.commit("g", "T", 1, 11);
        o.commit("h", "T", 0, 5);
        assert_eq!(o.query("g", "T", 1), Some(11));
        assert_eq!(o.query("g", "U", 1), None);
        assert_eq!(o.groups_of_topic("T"), vec!["g", "h"]);
        o.persist().unwrap();
        let text = std::fs::read_to_string(dir.path().join("config/consumerOffset.json")).unwrap();
        assert!(text.contains("T@g"));
        let again = ConsumerOffsets::load(&config(dir.path())).unwrap();
        assert_eq!(again.query("h", "T", 0), Some(5));
        again.clone_group("g", "k", None);
        assert_eq!(again.query("k", "T", 1), Some(11));
        again.remove_group("g", None);
        assert_eq!(again.query("g", "T", 0), None);
    }

    #[test]
    fn reads_java_fastjson_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        std::fs::write(
            dir.path().join("config/consumerOffset.json"),
            "{\n\t\"offsetTable\":{\n\t\t\"TopicTest@please_rename_unique_group_name_4\":{0:250,1:250,2:249,3:251\n\t\t}\n\t}\n}",
        )
        .unwrap();
        let o = ConsumerOffsets::load(&config(dir.path())).unwrap();
        assert_eq!(
            o.query("please_rename_unique_group_name_4", "TopicTest", 2),
            Some(249)
        );
    }
}
