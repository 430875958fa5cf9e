//! [`ControllerState`] as openraft's state machine. Snapshots (the whole state as JSON) are
//! kept in `raft-snapshot.json`, so a restarted controller starts from its last snapshot
//! and replays only the log after it.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use openraft::storage::RaftStateMachine;
use openraft::{
    Entry, EntryPayload, ErrorSubject, ErrorVerb, LogId, OptionalSend, RaftSnapshotBuilder,
    Snapshot, SnapshotMeta, StorageError, StorageIOError, StoredMembership,
};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

use super::types::{NodeId, TypeConfig};
use super::ControllerState;
use crate::state::Applied;

type StoreResult<T> = Result<T, StorageError<NodeId>>;

/// What a snapshot holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Image {
    last_applied: Option<LogId<NodeId>>,
    membership: StoredMembership<NodeId, openraft::BasicNode>,
    state: ControllerState,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredSnapshot {
    meta: SnapshotMeta<NodeId, openraft::BasicNode>,
    data: Vec<u8>,
}

/// The state machine; clones share it. [`StateMachine::read`] gives the controller's
/// request handlers the applied state.
#[derive(Clone)]
pub struct StateMachine {
    image: Arc<RwLock<Image>>,
    snapshot: Arc<RwLock<Option<StoredSnapshot>>>,
    path: PathBuf,
}

fn sm_err(verb: ErrorVerb, e: impl std::error::Error + 'static) -> StorageError<NodeId> {
    StorageError::IO {
        source: StorageIOError::new(
            ErrorSubject::StateMachine,
            verb,
            openraft::AnyError::new(&e),
        ),
    }
}

impl StateMachine {
    /// Opens the state machine under `dir`, from its snapshot if there is one.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("raft-snapshot.json");
        let stored: Option<StoredSnapshot> = match std::fs::read(&path) {
            Ok(b) => Some(serde_json::from_slice(&b).map_err(std::io::Error::other)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let image = match &stored {
            Some(s) => serde_json::from_slice(&s.data).map_err(std::io::Error::other)?,
            None => Image::default(),
        };
        Ok(StateMachine {
            image: Arc::new(RwLock::new(image)),
            snapshot: Arc::new(RwLock::new(stored)),
            path,
        })
    }

    /// Reads the applied state.
    pub fn read<T>(&self, f: impl FnOnce(&ControllerState) -> T) -> T {
        f(&self.image.read().state)
    }

    fn save(&self, s: &StoredSnapshot) -> std::io::Result<()> {
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec(s).map_err(std::io::Error::other)?)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &self.path)
    }
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    async fn build_snapshot(&mut self) -> StoreResult<Snapshot<TypeConfig>> {
        let (data, meta) = {
            let image = self.image.read();
            let data = serde_json::to_vec(&*image).map_err(|e| sm_err(ErrorVerb::Write, e))?;
            let id = image
                .last_applied
                .map(|l| format!("{}-{}", l.leader_id, l.index))
                .unwrap_or_else(|| "none".into());
            let meta = SnapshotMeta {
                last_log_id: image.last_applied,
                last_membership: image.membership.clone(),
                snapshot_id: id,
            };
            (data, meta)
        };
        let stored = StoredSnapshot {
            meta: meta.clone(),
            data: data.clone(),
        };
        self.save(&stored)
            .map_err(|e| sm_err(ErrorVerb::Write, e))?;
        *self.snapshot.write() = Some(stored);
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(data)),
        })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = Self;

    async fn applied_state(
        &mut self,
    ) -> StoreResult<(
        Option<LogId<NodeId>>,
        StoredMembership<NodeId, openraft::BasicNode>,
    )> {
        let image = self.image.read();
        Ok((image.last_applied, image.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> StoreResult<Vec<Applied>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut image = self.image.write();
        let mut out = Vec::new();
        for e in entries {
            image.last_applied = Some(e.log_id);
            match e.payload {
                EntryPayload::Blank => out.push(Applied),
                EntryPayload::Normal(event) => {
                    tracing::debug!(?event, index = e.log_id.index, "controller event applied");
                    out.push(image.state.apply(&event));
                }
                EntryPayload::Membership(m) => {
                    image.membership = StoredMembership::new(Some(e.log_id), m);
                    out.push(Applied);
                }
            }
        }
        Ok(out)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> StoreResult<Box<Cursor<Vec<u8>>>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<NodeId, openraft::BasicNode>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> StoreResult<()> {
        let data = snapshot.into_inner();
        let image: Image = serde_json::from_slice(&data).map_err(|e| sm_err(ErrorVerb::Read, e))?;
        let stored = StoredSnapshot {
            meta: meta.clone(),
            data,
        };
        self.save(&stored)
            .map_err(|e| sm_err(ErrorVerb::Write, e))?;
        *self.image.write() = Image {
            last_applied: meta.last_log_id,
            membership: meta.last_membership.clone(),
            state: image.state,
        };
        *self.snapshot.write() = Some(stored);
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> StoreResult<Option<Snapshot<TypeConfig>>> {
        Ok(self.snapshot.read().as_ref().map(|s| Snapshot {
            meta: s.meta.clone(),
            snapshot: Box::new(Cursor::new(s.data.clone())),
        }))
    }
}
