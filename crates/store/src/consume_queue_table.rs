//! [`ConsumeQueueTable`]: every topic's ConsumeQueues, found by `(topic, queue_id)`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::RwLock;

use crate::consume_queue::ConsumeQueue;
use crate::error::StoreError;
use crate::io::FileSystem;
use crate::queue_name::{check_queue, check_topic, parse_queue_dir_name};

type Queues = HashMap<String, HashMap<i32, Arc<ConsumeQueue>>>;

/// All ConsumeQueues under `{root}/consumequeue`.
#[derive(Debug)]
pub(crate) struct ConsumeQueueTable {
    root: PathBuf,
    fs: Arc<dyn FileSystem>,
    file_size: u64,
    queues: RwLock<Queues>,
}

impl ConsumeQueueTable {
    /// Opens every `consumequeue/{topic}/{queueId}` directory. Entries that no valid queue
    /// could have created (a foreign topic name, a queue directory not named by its canonical
    /// id, a plain file) are left alone with a warning: the store never opens, writes or
    /// deletes them.
    pub(crate) fn load(
        fs: Arc<dyn FileSystem>,
        root: &Path,
        file_size: u64,
    ) -> Result<Self, StoreError> {
        fs.create_dir_all(root)
            .map_err(|e| StoreError::io(root, e))?;
        let mut queues: Queues = HashMap::new();
        for topic_dir in fs.list_dir(root).map_err(|e| StoreError::io(root, e))? {
            let Some(topic) = valid_topic_dir(&topic_dir) else {
                continue;
            };
            let qdirs = match fs.list_dir(&topic_dir) {
                Ok(q) => q,
                Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
                    tracing::warn!(path = %topic_dir.display(), "ignoring a file in consumequeue/");
                    continue;
                }
                Err(e) => return Err(StoreError::io(&topic_dir, e)),
            };
            for qdir in qdirs {
                let name = qdir.file_name().and_then(|n| n.to_str()).unwrap_or("");
                let Some(qid) = parse_queue_dir_name(name) else {
                    tracing::warn!(path = %qdir.display(), "ignoring a foreign entry in a topic's consume queue directory");
                    continue;
                };
                let cq = ConsumeQueue::load(fs.clone(), root, &topic, qid, file_size)?;
                queues
                    .entry(topic.clone())
                    .or_default()
                    .insert(qid, Arc::new(cq));
            }
        }
        Ok(ConsumeQueueTable {
            root: root.to_path_buf(),
            fs,
            file_size,
            queues: RwLock::new(queues),
        })
    }

    /// The queue, if it exists.
    pub(crate) fn find(&self, topic: &str, queue_id: i32) -> Option<Arc<ConsumeQueue>> {
        self.queues.read().get(topic)?.get(&queue_id).cloned()
    }

    /// The queue, created empty if missing. Fails with [`StoreError::InvalidTopic`] /
    /// [`StoreError::InvalidQueueId`] for names that cannot be a queue directory.
    pub(crate) fn find_or_create(
        &self,
        topic: &str,
        queue_id: i32,
    ) -> Result<Arc<ConsumeQueue>, StoreError> {
        if let Some(q) = self.find(topic, queue_id) {
            return Ok(q);
        }
        check_queue(topic, queue_id)?;
        let mut w = self.queues.write();
        if let Some(q) = w.get(topic).and_then(|m| m.get(&queue_id)) {
            return Ok(q.clone());
        }
        let q = Arc::new(ConsumeQueue::load(
            self.fs.clone(),
            &self.root,
            topic,
            queue_id,
            self.file_size,
        )?);
        w.entry(topic.to_string())
            .or_default()
            .insert(queue_id, q.clone());
        Ok(q)
    }

    /// Every queue.
    pub(crate) fn all(&self) -> Vec<Arc<ConsumeQueue>> {
        self.queues
            .read()
            .values()
            .flat_map(|m| m.values().cloned())
            .collect()
    }

    /// Queue ids of a topic, sorted.
    pub(crate) fn queue_ids(&self, topic: &str) -> Vec<i32> {
        let mut v: Vec<i32> = self
            .queues
            .read()
            .get(topic)
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default();
        v.sort_unstable();
        v
    }

    /// Topic names.
    pub(crate) fn topics(&self) -> Vec<String> {
        self.queues.read().keys().cloned().collect()
    }

    /// Deletes a topic's queues and their files: `consumequeue/{topic}` and nothing else.
    /// Fails with [`StoreError::InvalidTopic`], touching nothing, for a name that is not one
    /// plain component (such a directory was never created nor loaded).
    pub(crate) fn remove_topic(&self, topic: &str) -> Result<bool, StoreError> {
        check_topic(topic).map_err(|reason| StoreError::invalid_topic(topic, reason))?;
        let removed = self.queues.write().remove(topic);
        let Some(m) = removed else {
            return Ok(false);
        };
        for q in m.values() {
            q.destroy()?;
        }
        let dir = self.root.join(topic);
        self.fs
            .remove_dir_all(&dir)
            .map_err(|e| StoreError::io(&dir, e))?;
        Ok(true)
    }

    /// Deletes all queues (the CommitLog is gone).
    pub(crate) fn destroy_all(&self) -> Result<(), StoreError> {
        let topics = self.topics();
        for t in topics {
            self.remove_topic(&t)?;
        }
        Ok(())
    }
}

/// The topic a directory under `consumequeue/` stands for, if its name is a valid topic.
fn valid_topic_dir(path: &Path) -> Option<String> {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        tracing::warn!(path = %path.display(), "ignoring a non-UTF-8 entry in consumequeue/");
        return None;
    };
    match check_topic(name) {
        Ok(()) => Some(name.to_string()),
        Err(reason) => {
            tracing::warn!(path = %path.display(), %reason, "ignoring a directory that is not a valid topic in consumequeue/");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::OsFs;

    /// Topic names that would leave the queue directory, or that Java refuses.
    const HOSTILE: &[&str] = &[
        "%DLQ%/../..",
        "..",
        ".",
        "",
        "a/b",
        "/abs",
        "%DLQ%a\u{0}",
        "a b",
        "a.b",
    ];

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn the_queue_table_builds_no_path_from_a_bad_name() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("store").join("consumequeue");
        let table = ConsumeQueueTable::load(Arc::new(OsFs), &root, 1000).unwrap();
        for t in HOSTILE {
            let e = table.find_or_create(t, 0).unwrap_err();
            assert!(matches!(e, StoreError::InvalidTopic { .. }), "{t:?}: {e}");
            assert!(table.remove_topic(t).is_err());
        }
        let e = table.find_or_create("T", -3).unwrap_err();
        assert!(matches!(e, StoreError::InvalidQueueId { queue_id: -3, .. }));
        assert!(table.find_or_create(&"y".repeat(256), 0).is_err());
        assert!(table.find_or_create(&"y".repeat(255), 0).is_ok());
        assert_eq!(names(dir.path()), vec!["store"]);
        assert_eq!(names(&dir.path().join("store")), vec!["consumequeue"]);
        assert_eq!(names(&root), vec!["y".repeat(255)]);
    }
}
