//! What a broker in controller mode (RIP-44) knows of its replica set: its controller id,
//! the master and its epoch, the SyncStateSet (as master), the epoch file, and the role hints
//! the controller pushes (NOTIFY_BROKER_ROLE_CHANGED). The replicas manager
//! (`crate::replicas`) decides role changes from them (an announcement only makes it ask the
//! controller leader at once); the AutoSwitch HA tasks read them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, AtomicI64, Ordering};

use ferromq_store::EpochCache;
use parking_lot::Mutex;
use tokio::sync::{watch, Notify};

use super::sync_set::SyncSet;

/// Controller-mode replication state.
pub struct Controlled {
    epochs: Mutex<EpochCache>,
    epoch_path: PathBuf,
    master_epoch: AtomicI32,
    /// The master's controller id, -1 while unknown.
    master_id: AtomicI64,
    /// This broker's controller id, -1 until assigned.
    me: AtomicI64,
    sync: Mutex<SyncSet>,
    /// Woken when the master's local SyncStateSet changed (to report it at once).
    sync_changed: Notify,
    /// When each slave (controller id) last caught up, ms.
    caught_up: Mutex<BTreeMap<i64, i64>>,
    /// The newest master epoch a role announcement named (0: none).
    announced: watch::Sender<i32>,
}

impl Controlled {
    /// The state over the epoch file at `epoch_path` (loaded now; a damaged file falls back
    /// to its backup, a missing one is empty).
    pub(crate) fn load(epoch_path: PathBuf) -> Self {
        let epochs = EpochCache::load(&epoch_path).unwrap_or_else(|e| {
            tracing::error!(path = %epoch_path.display(), error = %e, "epoch file unreadable: starting empty");
            EpochCache::default()
        });
        Controlled {
            epochs: Mutex::new(epochs),
            epoch_path,
            master_epoch: AtomicI32::new(0),
            master_id: AtomicI64::new(-1),
            me: AtomicI64::new(-1),
            sync: Mutex::new(SyncSet::default()),
            sync_changed: Notify::new(),
            caught_up: Mutex::new(BTreeMap::new()),
            announced: watch::channel(0).0,
        }
    }

    /// This broker's controller id, -1 until assigned.
    pub fn my_id(&self) -> i64 {
        self.me.load(Ordering::Acquire)
    }

    pub(crate) fn set_my_id(&self, id: i64) {
        self.me.store(id, Ordering::Release);
    }

    /// The master epoch this broker acts under (0 before the first).
    pub fn master_epoch(&self) -> i32 {
        self.master_epoch.load(Ordering::Acquire)
    }

    /// The master's controller id, -1 while unknown.
    pub fn master_id(&self) -> i64 {
        self.master_id.load(Ordering::Acquire)
    }

    pub(crate) fn set_master(&self, id: i64, epoch: i32) {
        self.master_id.store(id, Ordering::Release);
        self.master_epoch.store(epoch, Ordering::Release);
    }

    /// A copy of the epochs.
    pub fn epochs(&self) -> EpochCache {
        self.epochs.lock().clone()
    }

    /// Changes the epochs with `f` and saves the file when it changed.
    pub(crate) fn update_epochs(&self, f: impl FnOnce(&mut EpochCache)) -> std::io::Result<()> {
        let mut e = self.epochs.lock();
        let before = e.clone();
        f(&mut e);
        if *e != before {
            // A few lines, written only on role changes and epoch boundaries.
            e.save(&self.epoch_path)?;
        }
        Ok(())
    }

    /// The master's SyncStateSet.
    pub(crate) fn sync_set(&self) -> SyncSet {
        self.sync.lock().clone()
    }

    /// Changes the SyncStateSet with `f`; a change of the local view wakes the reporter.
    pub(crate) fn update_sync_set<R>(&self, f: impl FnOnce(&mut SyncSet) -> R) -> R {
        let mut s = self.sync.lock();
        let before = s.proposal();
        let r = f(&mut s);
        if s.proposal() != before && s.proposal().is_some() {
            self.sync_changed.notify_one();
        }
        r
    }

    /// Waits for a change of the master's local SyncStateSet.
    pub(crate) async fn sync_set_changed(&self) {
        self.sync_changed.notified().await
    }

    /// Slave `id` caught up at `now_ms`.
    pub(crate) fn caught_up(&self, id: i64, now_ms: i64) {
        self.caught_up.lock().insert(id, now_ms);
    }

    /// When slave `id` last caught up.
    pub(crate) fn last_caught_up(&self, id: i64) -> Option<i64> {
        self.caught_up.lock().get(&id).copied()
    }

    /// Forgets slave `id` (its last connection closed): what the HA port keeps per slave id
    /// lasts only as long as a connection, whatever ids connections claim.
    pub(crate) fn forget(&self, id: i64) {
        self.caught_up.lock().remove(&id);
    }

    /// Forgets the catch-up times (a new role).
    pub(crate) fn clear_caught_up(&self) {
        self.caught_up.lock().clear();
    }

    /// A role announcement named master epoch `epoch`; the replicas manager asks the
    /// controller leader when it is newer than its own. Only the newest is kept.
    pub(crate) fn announce(&self, epoch: i32) {
        self.announced.send_if_modified(|e| {
            let newer = epoch > *e;
            if newer {
                *e = epoch;
            }
            newer
        });
    }

    /// Follows the announced epochs.
    pub(crate) fn announcements(&self) -> watch::Receiver<i32> {
        self.announced.subscribe()
    }
}
