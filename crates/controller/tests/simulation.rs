//! A deterministic simulation of a broker set in controller mode: the controller's real
//! decisions and state (`View`, `ControllerState`, `LiveTable`) and the store's real epoch
//! logic (`EpochCache`, `consistent_point`), driving modelled brokers over a modelled
//! network with an injected clock. Thousands of seeded schedules of crashes, restarts and
//! partitions; after every step:
//! - one master per epoch (the controller never names two, no two brokers act as master of
//!   the same epoch);
//! - no acknowledged message is lost: with `allAckInSyncStateSet` every acknowledged
//!   message is in the log of the controller's current master;
//! - offsets never go backwards: what was acknowledged stays at its offset.
//!
//! The controller group is one linearizable service here (its Raft replication is tested on
//! its own, `raft_group.rs`); brokers keep their logs across crashes (flushed).
//! `FERROMQ_SIM_SEEDS=n` runs more schedules.

use std::collections::{BTreeMap, BTreeSet};

use ferromq_controller::{ControllerState, LiveTable, View};
use ferromq_controller::{Event, Heartbeat};
use ferromq_model::SyncStateSet;
use ferromq_protocol::headers::*;
use ferromq_protocol::response_code as code;
use ferromq_store::{consistent_point, EpochCache};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const BROKERS: u64 = 3;
const TICK_MS: i64 = 100;
const TICKS: usize = 600;
const HB_TIMEOUT_MS: i64 = 1_000;
const LAG_MS: i64 = 1_500;

/// One message: the epoch that wrote it and a unique id.
type Msg = (i32, u64);

#[derive(Debug, Clone, PartialEq)]
enum Role {
    Unknown,
    Master,
    Slave(u64),
}

#[derive(Debug)]
struct Broker {
    id: u64,
    up: bool,
    log: Vec<Msg>,
    epochs: EpochCache,
    role: Role,
    /// The master epoch this broker follows.
    epoch: i32,
    /// Master only: when each slave last caught up.
    caught_up: BTreeMap<u64, i64>,
}

struct World {
    rng: StdRng,
    now: i64,
    state: ControllerState,
    live: LiveTable,
    brokers: Vec<Broker>,
    /// Links cut: (broker, broker) pairs and (broker, CONTROLLER).
    cut: BTreeSet<(u64, u64)>,
    /// Acknowledged messages: the log prefix every member of the SyncStateSet held.
    acked: Vec<Msg>,
    next_msg: u64,
    masters_by_epoch: BTreeMap<i32, u64>,
}

const CONTROLLER: u64 = 0;

impl World {
    fn new(seed: u64) -> Self {
        let mut w = World {
            rng: StdRng::seed_from_u64(seed),
            now: 0,
            state: ControllerState::default(),
            live: LiveTable::default(),
            brokers: (1..=BROKERS)
                .map(|id| Broker {
                    id,
                    up: true,
                    log: Vec::new(),
                    epochs: EpochCache::default(),
                    role: Role::Unknown,
                    epoch: 0,
                    caught_up: BTreeMap::new(),
                })
                .collect(),
            cut: BTreeSet::new(),
            acked: Vec::new(),
            next_msg: 0,
            masters_by_epoch: BTreeMap::new(),
        };
        for id in 1..=BROKERS {
            let d = w.view().apply_broker_id(&ApplyBrokerIdRequestHeader {
                cluster_name: Some("c".into()),
                broker_name: "b".into(),
                applied_broker_id: id as i64,
                register_check_code: format!("b{id};0"),
            });
            assert_eq!(d.response.code, code::SUCCESS);
            w.commit(&d.events);
        }
        w
    }

    fn view(&self) -> View<'_> {
        View {
            state: &self.state,
            live: &self.live,
            now_ms: self.now,
            elect_unclean: false,
        }
    }

    fn linked(&self, a: u64, b: u64) -> bool {
        !self.cut.contains(&(a.min(b), a.max(b)))
    }

    fn b(&mut self, id: u64) -> &mut Broker {
        &mut self.brokers[id as usize - 1]
    }

    /// Replicates events (the controller's log) and checks one master per epoch.
    fn commit(&mut self, events: &[Event]) {
        for e in events {
            self.state.apply(e);
            if let Event::ElectMaster {
                new_master: Some(m),
                ..
            } = e
            {
                let epoch = self.state.set("b").unwrap().master_epoch();
                let prev = self.masters_by_epoch.insert(epoch, *m);
                assert!(prev.is_none(), "epoch {epoch} named two masters");
            }
        }
    }

    fn faults(&mut self) {
        let r: f64 = self.rng.gen();
        let id = self.rng.gen_range(1..=BROKERS);
        let other = self.rng.gen_range(0..=BROKERS);
        if r < 0.01 {
            let b = self.b(id);
            b.up = false;
            b.role = Role::Unknown;
        } else if r < 0.04 {
            let b = self.b(id);
            if !b.up {
                b.up = true;
                b.role = Role::Unknown;
                b.epoch = b.epochs.last_epoch().max(0);
            }
        } else if r < 0.05 && other != id {
            self.cut.insert((id.min(other), id.max(other)));
        } else if r < 0.08 {
            self.cut.clear();
        }
    }

    fn heartbeats(&mut self) {
        for i in 0..self.brokers.len() {
            let b = &self.brokers[i];
            if !b.up || !self.linked(b.id, CONTROLLER) {
                continue;
            }
            let hb = Heartbeat {
                cluster: "c".into(),
                broker_name: "b".into(),
                broker_id: b.id,
                addr: format!("b{}", b.id),
                epoch: b.epochs.last_epoch(),
                max_offset: b.log.len() as i64,
                confirm_offset: b.log.len() as i64,
                timeout_ms: HB_TIMEOUT_MS,
                election_priority: i32::MAX,
            };
            self.live.heartbeat(hb, b.id, self.now);
        }
    }

    /// The controller's scan and the brokers' own election requests.
    fn elections(&mut self) {
        self.live.expire(self.now);
        let set = self.state.set("b").unwrap().clone();
        let master_alive = set
            .master()
            .is_some_and(|m| self.live.is_alive("b", m, self.now));
        let someone = (1..=BROKERS).any(|id| self.live.is_alive("b", id, self.now));
        if !master_alive && someone && (set.master().is_some() || set.master_epoch() == 0) {
            // A broker asks first after a start; the controller's own request otherwise.
            let asker = if set.master_epoch() == 0 {
                (1..=BROKERS)
                    .find(|id| self.live.is_alive("b", *id, self.now))
                    .map(|i| i as i64)
            } else {
                Some(-1)
            };
            let d = self.view().elect_master(&ElectMasterRequestHeader {
                cluster_name: Some("c".into()),
                broker_name: "b".into(),
                broker_id: asker,
                designate_elect: Some(false),
                invoke_time: None,
            });
            self.commit(&d.events);
        }
    }

    /// Brokers learn their role from the controller (role notices and the 1004 poll) when
    /// the epoch is newer than theirs.
    fn roles(&mut self) {
        let set = self.state.set("b").unwrap().clone();
        let Some(m) = set.master() else { return };
        let epoch = set.master_epoch();
        for i in 0..self.brokers.len() {
            let id = self.brokers[i].id;
            if !self.brokers[i].up
                || !self.linked(id, CONTROLLER)
                || epoch <= self.brokers[i].epoch && self.brokers[i].role != Role::Unknown
            {
                continue;
            }
            let b = &mut self.brokers[i];
            b.epoch = epoch;
            if id == m {
                // changeToMaster: a new epoch starts at the end of its log. Epochs after it
                // are dropped; the same epoch again (a restarted master) keeps its start —
                // Java drops and re-appends it, leaving its offsets without an epoch.
                b.role = Role::Master;
                b.epochs.truncate_epochs_from(epoch + 1);
                b.epochs.append(epoch, b.log.len() as u64);
                b.caught_up.clear();
                let prev = self.masters_by_epoch.get(&epoch).copied();
                assert_eq!(
                    prev,
                    Some(id),
                    "broker {id} acts as master of epoch {epoch}"
                );
            } else {
                b.role = Role::Slave(m);
            }
        }
        // No two brokers act as master of one epoch.
        let mut seen = BTreeMap::new();
        for b in self
            .brokers
            .iter()
            .filter(|b| b.up && b.role == Role::Master)
        {
            assert!(
                seen.insert(b.epoch, b.id).is_none(),
                "two masters of epoch {}",
                b.epoch
            );
        }
    }

    /// Slaves copy from their master: agree on the epochs, truncate, append.
    fn replicate(&mut self) {
        for i in 0..self.brokers.len() {
            let Role::Slave(m) = self.brokers[i].role else {
                continue;
            };
            let id = self.brokers[i].id;
            let mi = m as usize - 1;
            if !self.brokers[i].up
                || !self.brokers[mi].up
                || self.brokers[mi].role != Role::Master
                || !self.linked(id, m)
            {
                continue;
            }
            let (s, master) = pair(&mut self.brokers, i, mi);
            let (mlog, mepochs) = (&master.log, &master.epochs);
            let Some(point) =
                consistent_point(&s.epochs, s.log.len() as u64, mepochs, mlog.len() as u64)
            else {
                continue;
            };
            s.log.truncate(point as usize);
            s.epochs.truncate_from(point);
            let batch = 1 + (self.next_msg % 5) as usize;
            for off in s.log.len()..mlog.len().min(s.log.len() + batch) {
                let e = mepochs
                    .epoch_at(off as u64, mlog.len() as u64)
                    .expect("every offset of a master's log has an epoch");
                s.epochs.append(e.epoch, e.start_offset);
                s.log.push(mlog[off]);
            }
            if s.log.len() == mlog.len() {
                master.caught_up.insert(id, self.now);
            }
        }
    }

    /// The master writes, grows and shrinks its SyncStateSet through the controller, and
    /// acknowledges what every member holds (`allAckInSyncStateSet`).
    fn master_work(&mut self) {
        let set = self.state.set("b").unwrap().clone();
        let Some(m) = set.master() else { return };
        let mi = m as usize - 1;
        if !self.brokers[mi].up
            || self.brokers[mi].role != Role::Master
            || self.brokers[mi].epoch != set.master_epoch()
        {
            return;
        }
        if self.rng.gen_bool(0.7) {
            let msg = (set.master_epoch(), self.next_msg);
            self.next_msg += 1;
            self.brokers[mi].log.push(msg);
        }
        // Proposed set: self plus slaves caught up within LAG_MS.
        let now = self.now;
        let mut proposed: BTreeSet<i64> = [m as i64].into();
        for (id, at) in &self.brokers[mi].caught_up {
            if now - at <= LAG_MS && self.live.is_alive("b", *id, now) {
                proposed.insert(*id as i64);
            }
        }
        let current: BTreeSet<i64> = set.sync_state_set().iter().map(|i| *i as i64).collect();
        if proposed != current && self.linked(m, CONTROLLER) {
            let d = self.view().alter_sync_state_set(
                &AlterSyncStateSetRequestHeader {
                    broker_name: "b".into(),
                    master_broker_id: Some(m as i64),
                    master_epoch: Some(set.master_epoch()),
                    invoke_time: None,
                },
                &SyncStateSet {
                    sync_state_set: proposed,
                    sync_state_set_epoch: set.sync_state_set_epoch(),
                },
            );
            self.commit(&d.events);
        }
        // Acknowledge what every member of the (controller's) SyncStateSet holds.
        let set = self.state.set("b").unwrap();
        let master_log = &self.brokers[mi].log;
        let held = set
            .sync_state_set()
            .iter()
            .map(|id| {
                let b = &self.brokers[*id as usize - 1];
                // A member holds the prefix it shares with the master.
                b.log
                    .iter()
                    .zip(master_log)
                    .take_while(|(a, b)| a == b)
                    .count()
            })
            .min()
            .unwrap_or(0);
        if held > self.acked.len() {
            // What was acknowledged before stays at its offset.
            assert_eq!(
                &master_log[..self.acked.len()],
                &self.acked[..],
                "acknowledged offsets moved"
            );
            self.acked
                .extend_from_slice(&master_log[self.acked.len()..held]);
        }
    }

    fn check(&self) {
        let set = self.state.set("b").unwrap();
        let Some(m) = set.master() else { return };
        let master = &self.brokers[m as usize - 1];
        let n = self.acked.len();
        assert!(
            master.log.len() >= n && master.log[..n] == self.acked[..],
            "acknowledged messages lost on master {m} (epoch {})",
            set.master_epoch()
        );
    }

    fn run(&mut self) {
        for _ in 0..TICKS {
            self.now += TICK_MS;
            self.faults();
            self.heartbeats();
            self.elections();
            self.roles();
            self.replicate();
            self.master_work();
            self.check();
        }
    }
}

/// Two distinct brokers, mutably.
fn pair(brokers: &mut [Broker], i: usize, j: usize) -> (&mut Broker, &mut Broker) {
    assert_ne!(i, j);
    if i < j {
        let (a, b) = brokers.split_at_mut(j);
        (&mut a[i], &mut b[0])
    } else {
        let (a, b) = brokers.split_at_mut(i);
        (&mut b[0], &mut a[j])
    }
}

#[test]
fn seeded_crashes_and_partitions_lose_nothing_acknowledged() {
    let seeds: u64 = std::env::var("FERROMQ_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000);
    let mut elections = 0;
    let mut acked = 0;
    for seed in 0..seeds {
        let mut w = World::new(seed);
        w.run();
        elections += w.masters_by_epoch.len();
        acked += w.acked.len();
    }
    println!("{seeds} schedules: {elections} elections, {acked} acknowledged messages checked");
    assert!(
        elections > seeds as usize,
        "the schedules must exercise failover"
    );
    assert!(acked > seeds as usize * 10);
}
