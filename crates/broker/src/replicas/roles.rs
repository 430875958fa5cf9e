//! Becoming master or slave in controller mode (Java's `ReplicasManager.changeToMaster` /
//! `changeToSlave` with `AutoSwitchHAService`): record the epoch, switch the role, the
//! broker id the NameServer sees (0 for the master), the master-only services, and register
//! at once so routes follow.

use std::collections::BTreeSet;
use std::time::Duration;

use super::ReplicasManager;
use crate::delayed::{schedule, timer, transaction};
use crate::ha::SyncSet;
use ferromq_config::BrokerRole;

/// How long a new master waits for its dispatcher to catch up before serving.
const DISPATCH_CATCH_UP: Duration = Duration::from_secs(30);

impl ReplicasManager {
    /// Takes the master role under `epoch`.
    pub(super) async fn become_master(&self, epoch: i32, ss_epoch: i32, set: BTreeSet<i64>) {
        let c = self.controlled();
        let repl = self.ctx.replication();
        if self.older_than_log(epoch, "be master of an older epoch") {
            return;
        }
        let me = c.my_id();
        let store = self.ctx.store().clone();
        let was_master = !repl.is_slave() && c.master_id() == me;
        if !was_master {
            // What it holds is the set's log now: dispatch all of it before serving.
            // From here on no frame of the old master moves the dispatch gate.
            repl.stop_following(&store).await;
            let s = store.clone();
            let caught_up = tokio::task::spawn_blocking(move || {
                // Its old master may have died mid-batch: a torn last record goes first
                // (the dispatcher would wait for its end for ever, and the new epoch must
                // start on a record boundary).
                if let Err(e) = s.truncate_invalid_tail() {
                    tracing::error!(error = %e, "cutting the torn tail failed");
                }
                s.wait_dispatched(DISPATCH_CATCH_UP)
            })
            .await;
            if !matches!(caught_up, Ok(true)) {
                tracing::warn!("the dispatcher did not catch up before the role change");
            }
            // A slave's raw appends left the writer's queue offsets behind.
            store.recover_queue_offsets();
        }
        let end = store.max_phys_offset().max(0) as u64;
        let saved = c.update_epochs(|e| {
            e.truncate_epochs_from(epoch);
            e.append(epoch, end);
        });
        if let Err(e) = saved {
            tracing::error!(error = %e, "saving the epoch file failed: not becoming master");
            return;
        }
        c.set_master(me, epoch);
        c.update_sync_set(|s| *s = SyncSet::new(me, set, ss_epoch));
        if !was_master {
            c.clear_caught_up();
            self.ctx.identity().set_id(ferromq_model::names::MASTER_ID);
            repl.reset_master(None);
            repl.set_role(BrokerRole::SyncMaster);
            self.start_master_services();
        }
        self.refresh_confirm();
        self.ctx.tables().topics().bump_state_version(epoch as i64);
        tracing::info!(epoch, id = me, start = end, "became master");
        self.ctx.registration().now().await;
        self.report_sync_state_set().await;
    }

    /// Follows master `master_id` at `master_addr` under `epoch`.
    pub(super) async fn become_slave(&self, master_id: i64, master_addr: String, epoch: i32) {
        let c = self.controlled();
        let repl = self.ctx.replication();
        if self.older_than_log(epoch, "follow an older epoch") {
            return;
        }
        let same_master = repl.is_slave() && !repl.is_fenced() && c.master_id() == master_id;
        c.set_master(master_id, epoch);
        if !same_master {
            self.stop_master_services();
            repl.start_following();
            self.ctx.identity().set_id(c.my_id());
            repl.reset_master(Some(master_addr.clone()));
            repl.set_role(BrokerRole::Slave);
        }
        self.ctx.tables().topics().bump_state_version(epoch as i64);
        tracing::info!(epoch, master = master_id, addr = %master_addr, "became slave");
        // The registration's answer names the new master's HA address.
        self.ctx.registration().now().await;
    }

    /// Whether `epoch` is older than the last one in the epoch file (Java refuses such a
    /// role change); logged as "refusing to `what`".
    fn older_than_log(&self, epoch: i32, what: &str) -> bool {
        let last = self.controlled().epochs().last_epoch();
        if epoch < last {
            tracing::warn!(epoch, last, "refusing to {what}");
        }
        epoch < last
    }

    fn start_master_services(&self) {
        let token = self.stop.child_token();
        let old = self.master_services.lock().replace(token.clone());
        if let Some(old) = old {
            old.cancel();
        }
        let ctx = self.ctx.clone();
        tokio::spawn(schedule::run(ctx.clone(), token.clone()));
        tokio::spawn(timer::run(ctx.clone(), token.clone()));
        tokio::spawn(transaction::run(ctx.clone(), token.clone()));
        tokio::spawn(crate::pop::revive::run(ctx, token));
    }

    fn stop_master_services(&self) {
        if let Some(t) = self.master_services.lock().take() {
            t.cancel();
        }
    }
}
