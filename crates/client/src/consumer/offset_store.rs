//! Where a consumer group's offsets live: on the broker for clustering (QUERY_CONSUMER_OFFSET,
//! UPDATE_CONSUMER_OFFSET one-way every 5 s), in a local file for broadcasting
//! (`~/.rocketmq_offsets/{clientId}/{group}/offsets.json`, fastjson with queue object keys,
//! plus a `.bak` copy).

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use ferromq_model::{MessageQueue, ResetOffsetBody};

use crate::consumer::offset_table::OffsetTable;
use crate::consumer::puller::Puller;
use crate::error::{ClientError, Result};

/// What reading an offset from the store found (Java returns −1 / −2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StoredOffset {
    /// The store has an offset.
    Found(i64),
    /// The store has none (QUERY_NOT_FOUND): apply consume-from-where.
    NotFound,
    /// The store could not be read.
    Failed,
}

/// A consumer group's offset store.
pub(crate) struct OffsetStore {
    table: OffsetTable,
    backend: Backend,
}

enum Backend {
    Broker {
        puller: Arc<dyn Puller>,
        group: String,
    },
    File {
        path: PathBuf,
    },
}

/// The default local offset directory: `$HOME/.rocketmq_offsets`.
pub(super) fn default_local_offset_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join(".rocketmq_offsets")
}

/// `{dir}/{clientId}/{group}/offsets.json`.
pub(super) fn local_offset_path(dir: &std::path::Path, client_id: &str, group: &str) -> PathBuf {
    dir.join(client_id).join(group).join("offsets.json")
}

impl OffsetStore {
    /// Offsets kept by the brokers, reached through `puller`.
    pub(crate) fn broker(puller: Arc<dyn Puller>, group: &str) -> Self {
        OffsetStore {
            table: OffsetTable::new(),
            backend: Backend::Broker {
                puller,
                group: group.to_string(),
            },
        }
    }

    /// Offsets kept in `path`.
    pub(super) fn file(path: PathBuf) -> Self {
        OffsetStore {
            table: OffsetTable::new(),
            backend: Backend::File { path },
        }
    }

    /// The in-memory offsets.
    pub(super) fn table(&self) -> &OffsetTable {
        &self.table
    }

    /// Loads a local file into memory (no-op for the broker store).
    pub(super) async fn load(&self) -> Result<()> {
        if let Backend::File { path } = &self.backend {
            if let Some(body) = read_offset_file(path).await? {
                for (mq, off) in body.offset_table {
                    self.table.update(&mq, off, false);
                }
            }
        }
        Ok(())
    }

    /// Reads `mq`'s offset from the store (not from memory) and caches it.
    pub(super) async fn read_from_store(&self, mq: &MessageQueue) -> StoredOffset {
        let found = match &self.backend {
            Backend::Broker { puller, group } => match puller.query_offset(group, mq).await {
                Ok(o) => o,
                Err(e) => {
                    tracing::warn!(queue = %mq, error = %e, "query consumer offset failed");
                    return StoredOffset::Failed;
                }
            },
            Backend::File { path } => match read_offset_file(path).await {
                Ok(body) => body.and_then(|b| b.offset_table.get(mq).copied()),
                Err(e) => {
                    tracing::warn!(error = %e, "reading the local offset file failed");
                    return StoredOffset::Failed;
                }
            },
        };
        match found {
            Some(o) => {
                self.table.update(mq, o, false);
                StoredOffset::Found(o)
            }
            None => StoredOffset::NotFound,
        }
    }

    /// Commits `mq`'s in-memory offset now.
    pub(super) async fn persist(&self, mq: &MessageQueue) {
        let Some(offset) = self.table.get(mq) else {
            return;
        };
        match &self.backend {
            Backend::Broker { puller, group } => {
                if let Err(e) = puller.update_offset(group, mq, offset, true).await {
                    tracing::debug!(queue = %mq, error = %e, "offset commit failed");
                }
            }
            Backend::File { .. } => {
                let all: BTreeSet<_> = self.table.snapshot(None).into_keys().collect();
                self.persist_all(&all).await;
            }
        }
    }

    /// Commits the offsets of `assigned` and forgets other queues.
    pub(super) async fn persist_all(&self, assigned: &BTreeSet<MessageQueue>) {
        let offsets = self.table.take_for_commit(assigned);
        match &self.backend {
            Backend::Broker { puller, group } => {
                for (mq, offset) in offsets {
                    if let Err(e) = puller.update_offset(group, &mq, offset, true).await {
                        tracing::debug!(queue = %mq, error = %e, "offset commit failed");
                    }
                }
            }
            Backend::File { path } => {
                if offsets.is_empty() {
                    return;
                }
                let body = ResetOffsetBody {
                    offset_table: offsets.into_iter().collect::<HashMap<_, _>>(),
                };
                if let Err(e) = write_offset_file(path, &body).await {
                    tracing::warn!(error = %e, "writing the local offset file failed");
                }
            }
        }
    }

    /// Writes one offset to the broker and waits for the answer (broker store only).
    pub(super) async fn commit_sync(&self, mq: &MessageQueue, offset: i64) -> Result<()> {
        self.table.update(mq, offset, false);
        match &self.backend {
            Backend::Broker { puller, group } => {
                puller.update_offset(group, mq, offset, false).await
            }
            Backend::File { .. } => {
                self.persist(mq).await;
                Ok(())
            }
        }
    }
}

async fn read_offset_file(path: &PathBuf) -> Result<Option<ResetOffsetBody>> {
    let io = |source| ClientError::Io {
        path: path.display().to_string(),
        source,
    };
    let text = match tokio::fs::read_to_string(path).await {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Java falls back to the backup copy.
            let bak = path.with_extension("json.bak");
            match tokio::fs::read_to_string(&bak).await {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(io(e)),
            }
        }
        Err(e) => return Err(io(e)),
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    Ok(Some(ResetOffsetBody::from_fastjson(&text)?))
}

async fn write_offset_file(path: &PathBuf, body: &ResetOffsetBody) -> Result<()> {
    let io = |source| ClientError::Io {
        path: path.display().to_string(),
        source,
    };
    let text = body.to_fastjson_string()?;
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(io)?;
    }
    if tokio::fs::metadata(path).await.is_ok() {
        let _ = tokio::fs::copy(path, path.with_extension("json.bak")).await;
    }
    let tmp = path.with_extension("json.tmp");
    tokio::fs::write(&tmp, text).await.map_err(io)?;
    tokio::fs::rename(&tmp, path).await.map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_file_round_trip_with_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = local_offset_path(dir.path(), "127.0.0.1@DEFAULT", "g");
        let store = OffsetStore::file(path.clone());
        let (a, b) = (
            MessageQueue::new("T", "b", 0),
            MessageQueue::new("T", "b", 1),
        );
        assert_eq!(store.read_from_store(&a).await, StoredOffset::NotFound);
        store.table().update(&a, 7, false);
        store.table().update(&b, 9, false);
        store.persist_all(&[a.clone(), b.clone()].into()).await;
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("{\"offsetTable\":{{"),
            "fastjson object keys: {text}"
        );
        // Written again: the previous file becomes the backup.
        store.table().update(&a, 8, true);
        store.persist(&a).await;
        assert!(path.with_extension("json.bak").exists());

        let reopened = OffsetStore::file(path.clone());
        reopened.load().await.unwrap();
        assert_eq!(reopened.table().get(&a), Some(8));
        assert_eq!(reopened.read_from_store(&b).await, StoredOffset::Found(9));
        std::fs::remove_file(&path).unwrap();
        let from_backup = OffsetStore::file(path.clone());
        assert_eq!(
            from_backup.read_from_store(&a).await,
            StoredOffset::Found(7)
        );
        std::fs::write(&path, "not json").unwrap();
        assert_eq!(from_backup.read_from_store(&a).await, StoredOffset::Failed);
    }
}
