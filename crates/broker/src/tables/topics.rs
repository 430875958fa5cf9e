//! The broker's topic table (`config/topics.json`): system topics created at start,
//! auto-creation from `TBW102` on send, retry/DLQ topics on demand, and the data version the
//! NameServer registration carries.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ferromq_config::BrokerConfig;
use ferromq_model::names;
use ferromq_model::perm::{PERM_INHERIT, PERM_READ, PERM_WRITE};
use ferromq_model::validate::{validate_topic, NameError};
use ferromq_model::{
    DataVersion, TopicConfig, TopicConfigAndMappingSerializeWrapper, TopicConfigSerializeWrapper,
};
use parking_lot::RwLock;

use super::json_file;
use crate::error::BrokerError;

/// Queues of `SCHEDULE_TOPIC_XXXX` (one per delay level).
pub(crate) const SCHEDULE_TOPIC_QUEUE_NUM: i32 = 18;

/// Most queues a topic may have (read or write). Java sets no limit; every per-queue
/// request (stats, offsets) walks them, so a client-supplied count must be bounded.
pub const MAX_QUEUE_NUMS: i32 = 16_384;

/// Why a topic config is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicConfigError {
    /// The name is not a topic name.
    #[error(transparent)]
    Name(#[from] NameError),
    /// A queue count is negative or above [`MAX_QUEUE_NUMS`].
    #[error("the queue nums of topic {topic} must be within 0..={MAX_QUEUE_NUMS}, read {read} write {write}")]
    QueueNums {
        /// The topic.
        topic: String,
        /// The requested read queues.
        read: i32,
        /// The requested write queues.
        write: i32,
    },
}

/// Checks what a stored topic config must satisfy.
pub(crate) fn check_config(cfg: &TopicConfig) -> Result<(), TopicConfigError> {
    validate_topic(&cfg.topic_name)?;
    let range = 0..=MAX_QUEUE_NUMS;
    if !range.contains(&cfg.read_queue_nums) || !range.contains(&cfg.write_queue_nums) {
        return Err(TopicConfigError::QueueNums {
            topic: cfg.topic_name.clone(),
            read: cfg.read_queue_nums,
            write: cfg.write_queue_nums,
        });
    }
    Ok(())
}

/// The topic table.
pub struct TopicTable {
    state: RwLock<State>,
    path: PathBuf,
    auto_create_topic_enable: bool,
}

struct State {
    topics: BTreeMap<String, TopicConfig>,
    version: DataVersion,
    /// The master epoch changes are made under (controller mode; 0 otherwise): the
    /// NameServer prefers the registration with the newer state.
    state_version: i64,
}

fn with(name: &str, read: i32, write: i32, perm: i32) -> TopicConfig {
    TopicConfig::with_queues(name, read, write, perm)
}

impl TopicTable {
    /// Loads `config/topics.json` under the store root and adds the system topics.
    pub fn load(config: &BrokerConfig) -> Result<Self, BrokerError> {
        let path = PathBuf::from(&config.store.store_path_root_dir)
            .join("config")
            .join("topics.json");
        let loaded: Option<TopicConfigSerializeWrapper> = json_file::load(&path)?;
        let (topics, version) = match loaded {
            Some(w) => (w.topic_config_table, w.data_version),
            None => (BTreeMap::new(), DataVersion::new()),
        };
        let table = TopicTable {
            state: RwLock::new(State {
                topics,
                version,
                state_version: 0,
            }),
            path,
            auto_create_topic_enable: config.broker.auto_create_topic_enable,
        };
        table.add_system_topics(config);
        Ok(table)
    }

    fn add_system_topics(&self, config: &BrokerConfig) {
        let b = &config.broker;
        let rw = PERM_READ | PERM_WRITE;
        let mut sys = vec![
            with(names::SELF_TEST_TOPIC, 1, 1, rw),
            with(names::BENCHMARK_TOPIC, 1024, 1024, rw),
            with(names::OFFSET_MOVED_EVENT, 1, 1, rw),
            with(
                names::SCHEDULE_TOPIC,
                SCHEDULE_TOPIC_QUEUE_NUM,
                SCHEDULE_TOPIC_QUEUE_NUM,
                rw,
            ),
            with(&names::reply_topic(&b.broker_cluster_name), 1, 1, rw),
            with(
                &names::revive_topic(&b.broker_cluster_name),
                b.revive_queue_num.clamp(1, 512),
                b.revive_queue_num.clamp(1, 512),
                rw,
            ),
            with(
                &format!(
                    "{}{}",
                    names::SYNC_BROKER_MEMBER_TOPIC_PREFIX,
                    b.broker_name
                ),
                1,
                1,
                PERM_INHERIT,
            ),
            with(names::TRANS_HALF_TOPIC, 1, 1, rw),
            with(names::TRANS_OP_HALF_TOPIC, 1, 1, rw),
            with(names::TIMER_TOPIC, 1, 1, rw),
        ];
        if b.auto_create_topic_enable {
            sys.push(with(
                names::AUTO_CREATE_TOPIC_KEY_TOPIC,
                b.default_topic_queue_nums,
                b.default_topic_queue_nums,
                PERM_INHERIT | rw,
            ));
        }
        let cluster_perm = if b.cluster_topic_enable {
            PERM_INHERIT | rw
        } else {
            PERM_INHERIT
        };
        sys.push(with(&b.broker_cluster_name, 16, 16, cluster_perm));
        let broker_perm = if b.broker_topic_enable {
            PERM_INHERIT | rw
        } else {
            PERM_INHERIT
        };
        sys.push(with(&b.broker_name, 1, 1, broker_perm));
        if b.trace_topic_enable {
            sys.push(with(&b.msg_trace_topic_name, 1, 1, rw));
        }
        let mut s = self.state.write();
        for t in sys {
            s.topics.insert(t.topic_name.clone(), t);
        }
    }

    /// A slave takes its master's table (Java's `SlaveSynchronize.syncTopicConfig`): when the
    /// versions differ, topics the master lacks go, the master's replace ours, and the
    /// master's version is ours. Entries that are not valid topic configs are skipped.
    /// Returns whether anything changed.
    pub fn replace_from_master(&self, master: TopicConfigAndMappingSerializeWrapper) -> bool {
        let mut s = self.state.write();
        if s.version == master.data_version {
            return false;
        }
        let mut topics = BTreeMap::new();
        for (name, cfg) in master.topic_config_table {
            if name != cfg.topic_name || check_config(&cfg).is_err() {
                tracing::warn!(topic = %name, "master sent an invalid topic config: skipped");
                continue;
            }
            topics.insert(name, cfg);
        }
        s.topics = topics;
        s.version = master.data_version;
        true
    }

    /// The config of `topic`.
    pub fn get(&self, topic: &str) -> Option<TopicConfig> {
        self.state.read().topics.get(topic).cloned()
    }

    /// Whether `topic` exists.
    pub fn contains(&self, topic: &str) -> bool {
        self.state.read().topics.contains_key(topic)
    }

    /// Every topic name.
    pub fn names(&self) -> Vec<String> {
        self.state.read().topics.keys().cloned().collect()
    }

    /// Every topic config.
    pub fn all(&self) -> Vec<TopicConfig> {
        self.state.read().topics.values().cloned().collect()
    }

    /// Number of topics.
    pub fn len(&self) -> usize {
        self.state.read().topics.len()
    }

    /// Whether there are no topics.
    pub fn is_empty(&self) -> bool {
        self.state.read().topics.is_empty()
    }

    /// Records a role change under master epoch `epoch` (Java's `DataVersion.nextVersion`
    /// with the store's state machine version).
    pub fn bump_state_version(&self, epoch: i64) {
        let mut s = self.state.write();
        s.state_version = epoch;
        s.version.next_version_with_state(epoch);
    }

    /// The current data version.
    pub fn data_version(&self) -> DataVersion {
        self.state.read().version
    }

    /// Creates or replaces a topic. Returns whether the table changed; a topic whose name is
    /// not a valid topic name, or whose queue counts are out of range, is refused.
    pub fn put(&self, cfg: TopicConfig) -> Result<bool, TopicConfigError> {
        check_config(&cfg)?;
        let mut s = self.state.write();
        if s.topics.get(&cfg.topic_name) == Some(&cfg) {
            return Ok(false);
        }
        tracing::info!(topic = %cfg.topic_name, read = cfg.read_queue_nums, write = cfg.write_queue_nums,
            perm = cfg.perm, "topic config updated");
        s.topics.insert(cfg.topic_name.clone(), cfg);
        let sv = s.state_version;
        s.version.next_version_with_state(sv);
        Ok(true)
    }

    /// Deletes a topic. Returns whether it existed.
    pub fn delete(&self, topic: &str) -> bool {
        let mut s = self.state.write();
        let removed = s.topics.remove(topic).is_some();
        if removed {
            let sv = s.state_version;
            s.version.next_version_with_state(sv);
            tracing::info!(topic, "topic deleted");
        }
        removed
    }

    /// Sets every topic's write permission on or off (the broker turning read-only and back).
    pub fn set_all_writable(&self, writable: bool) {
        let mut s = self.state.write();
        for t in s.topics.values_mut() {
            t.perm = if writable {
                t.perm | PERM_WRITE
            } else {
                t.perm & !PERM_WRITE
            };
        }
        let sv = s.state_version;
        s.version.next_version_with_state(sv);
    }

    /// Auto-creates `topic` on send from `default_topic` (normally TBW102): allowed when the
    /// default topic exists with the INHERIT permission. Queues = min(requested, default's
    /// write queues); perm = default's perm without INHERIT. Returns the config and whether
    /// it was created now.
    ///
    /// Only valid names are created, never a system topic (`rmq_sys_…` and the like are the
    /// broker's own), and only from a default topic that is itself a valid name.
    pub fn create_in_send(
        &self,
        topic: &str,
        default_topic: &str,
        requested_queue_nums: i32,
        topic_sys_flag: i32,
    ) -> Option<(TopicConfig, bool)> {
        if let Some(t) = self.get(topic) {
            return Some((t, false));
        }
        if validate_topic(topic).is_err()
            || validate_topic(default_topic).is_err()
            || names::is_sys_topic(topic)
        {
            tracing::warn!(topic, default_topic, "not auto-creating the topic");
            return None;
        }
        let default = self.get(default_topic)?;
        let mut perm = default.perm;
        if default_topic == names::AUTO_CREATE_TOPIC_KEY_TOPIC && !self.auto_create_topic_enable {
            perm = PERM_READ | PERM_WRITE;
        }
        if perm & PERM_INHERIT == 0 {
            tracing::warn!(
                topic,
                default_topic,
                "default topic does not allow inheritance; not creating"
            );
            return None;
        }
        let queues = requested_queue_nums.clamp(1, default.write_queue_nums.max(1));
        let mut cfg = TopicConfig::with_queues(topic, queues, queues, perm & !PERM_INHERIT);
        cfg.topic_sys_flag = topic_sys_flag;
        cfg.topic_filter_type = default.topic_filter_type;
        Some(self.put_if_absent(cfg))
    }

    /// Creates a retry/DLQ/system topic if absent (CONSUMER_SEND_MSG_BACK, heartbeats).
    /// `None` when `topic` is not a valid name (it derives from a client's group).
    pub fn create_if_absent(
        &self,
        topic: &str,
        queue_nums: i32,
        perm: i32,
        topic_sys_flag: i32,
    ) -> Option<(TopicConfig, bool)> {
        if let Some(t) = self.get(topic) {
            return Some((t, false));
        }
        let queue_nums = queue_nums.clamp(1, MAX_QUEUE_NUMS);
        let mut cfg = TopicConfig::with_queues(topic, queue_nums, queue_nums, perm);
        cfg.topic_sys_flag = topic_sys_flag;
        if let Err(e) = check_config(&cfg) {
            tracing::warn!(topic, error = %e, "not creating the topic");
            return None;
        }
        Some(self.put_if_absent(cfg))
    }

    fn put_if_absent(&self, cfg: TopicConfig) -> (TopicConfig, bool) {
        let mut s = self.state.write();
        if let Some(t) = s.topics.get(&cfg.topic_name) {
            return (t.clone(), false);
        }
        tracing::info!(topic = %cfg.topic_name, queues = cfg.write_queue_nums, perm = cfg.perm, "topic created");
        s.topics.insert(cfg.topic_name.clone(), cfg.clone());
        let sv = s.state_version;
        s.version.next_version_with_state(sv);
        (cfg, true)
    }

    /// What the NameServer registration and GET_ALL_TOPIC_CONFIG send.
    pub fn wrapper(&self) -> TopicConfigAndMappingSerializeWrapper {
        let s = self.state.read();
        TopicConfigAndMappingSerializeWrapper {
            data_version: s.version,
            topic_config_table: s.topics.clone(),
            ..Default::default()
        }
    }

    /// Persists `topics.json`.
    pub fn persist(&self) -> Result<(), BrokerError> {
        json_file::store(&self.path, || {
            let s = self.state.read();
            TopicConfigSerializeWrapper {
                data_version: s.version,
                topic_config_table: s.topics.clone(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &std::path::Path) -> BrokerConfig {
        let mut c = BrokerConfig::default();
        c.store.store_path_root_dir = dir.to_string_lossy().into_owned();
        c.broker.broker_name = "broker-a".into();
        c
    }

    #[test]
    fn system_topics_and_auto_create() {
        let dir = tempfile::tempdir().unwrap();
        let t = TopicTable::load(&config(dir.path())).unwrap();
        let tbw = t.get("TBW102").unwrap();
        assert_eq!(tbw.perm, 7);
        assert_eq!(tbw.write_queue_nums, 8);
        assert!(t.contains("SCHEDULE_TOPIC_XXXX"));
        assert_eq!(
            t.get("broker-a").unwrap().perm,
            PERM_INHERIT | PERM_READ | PERM_WRITE
        );
        let v0 = t.data_version();
        let (cfg, created) = t.create_in_send("NewTopic", "TBW102", 4, 0).unwrap();
        assert!(created);
        assert_eq!(
            (cfg.read_queue_nums, cfg.write_queue_nums, cfg.perm),
            (4, 4, 6)
        );
        assert!(t.data_version() > v0);
        let (_, again) = t.create_in_send("NewTopic", "TBW102", 4, 0).unwrap();
        assert!(!again);
        // queues are capped by the default topic's
        let (big, _) = t.create_in_send("Big", "TBW102", 64, 0).unwrap();
        assert_eq!(big.write_queue_nums, 8);
        // a default topic without INHERIT does not create
        assert!(t.create_in_send("X", "SELF_TEST_TOPIC", 4, 0).is_none());
        // neither do names that are not names, nor system topics
        assert!(t.create_in_send("a/b", "TBW102", 4, 0).is_none());
        assert!(t.create_in_send("rmq_sys_mine", "TBW102", 4, 0).is_none());
        assert!(t.create_in_send("Y", "../TBW102", 4, 0).is_none());
        assert!(t.create_if_absent("%DLQ%/../..", 1, 6, 0).is_none());
        assert!(t.create_if_absent("%DLQ%ok", 1, 6, 0).unwrap().1);
        assert!(t
            .put(TopicConfig::with_queues("Q", 1, MAX_QUEUE_NUMS + 1, 6))
            .is_err());
        assert!(t.put(TopicConfig::with_queues("Q", -1, 1, 6)).is_err());
        assert!(t.put(TopicConfig::with_queues("..", 1, 1, 6)).is_err());
    }

    #[test]
    fn no_tbw102_without_auto_create() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = config(dir.path());
        c.broker.auto_create_topic_enable = false;
        let t = TopicTable::load(&c).unwrap();
        assert!(t.get("TBW102").is_none());
        assert!(t.create_in_send("X", "TBW102", 4, 0).is_none());
    }

    #[test]
    fn persist_and_reload() {
        let dir = tempfile::tempdir().unwrap();
        let t = TopicTable::load(&config(dir.path())).unwrap();
        t.put(TopicConfig::with_queues("Mine", 3, 5, 6)).unwrap();
        t.persist().unwrap();
        let again = TopicTable::load(&config(dir.path())).unwrap();
        let m = again.get("Mine").unwrap();
        assert_eq!((m.read_queue_nums, m.write_queue_nums), (3, 5));
        assert_eq!(again.data_version(), t.data_version());
        assert!(t.delete("Mine"));
        assert!(!t.delete("Mine"));
    }
}
