//! The leader's decisions, checked against Java's rules without sockets or clocks.

use ferromq_model::fastjson::from_fastjson_slice;
use ferromq_model::{ElectMasterResponseBody, SyncStateSet};
use ferromq_protocol::headers::*;
use ferromq_protocol::response_code as code;

use crate::decide::View;
use crate::liveness::{Heartbeat, LiveTable};
use crate::state::{ControllerState, Event};

/// No broker alive.
static NOBODY: std::sync::LazyLock<LiveTable> = std::sync::LazyLock::new(LiveTable::default);

/// What a decision reads: state, liveness, the time, the unclean-election switch.
fn view<'a>(
    state: &'a ControllerState,
    live: &'a LiveTable,
    now_ms: i64,
    elect_unclean: bool,
) -> View<'a> {
    View {
        state,
        live,
        now_ms,
        elect_unclean,
    }
}

fn hb(id: u64, epoch: i32, max_offset: i64) -> Heartbeat {
    Heartbeat {
        cluster: "c".into(),
        broker_name: "b".into(),
        broker_id: id,
        addr: format!("10.0.0.{id}:10911"),
        epoch,
        max_offset,
        confirm_offset: max_offset,
        timeout_ms: 10_000,
        election_priority: i32::MAX,
    }
}

/// A set with brokers 1..=n registered.
fn registered(n: u64) -> ControllerState {
    let mut s = ControllerState::default();
    for id in 1..=n {
        let v = view(&s, &NOBODY, 0, false);
        let d = v.apply_broker_id(&ApplyBrokerIdRequestHeader {
            cluster_name: Some("c".into()),
            broker_name: "b".into(),
            applied_broker_id: id as i64,
            register_check_code: format!("10.0.0.{id}:10911;5"),
        });
        assert_eq!(d.response.code, code::SUCCESS, "{:?}", d.response.remark);
        for e in &d.events {
            s.apply(e);
        }
    }
    s
}

fn elect(
    s: &ControllerState,
    live: &LiveTable,
    id: Option<i64>,
    designate: bool,
) -> crate::Decision {
    View {
        state: s,
        live,
        now_ms: 1_000,
        elect_unclean: false,
    }
    .elect_master(&ElectMasterRequestHeader {
        cluster_name: Some("c".into()),
        broker_name: "b".into(),
        broker_id: id,
        designate_elect: Some(designate),
        invoke_time: None,
    })
}

fn apply(s: &mut ControllerState, events: &[Event]) {
    for e in events {
        s.apply(e);
    }
}

#[test]
fn broker_ids_are_offered_applied_and_idempotent() {
    let s = registered(2);
    let v = view(&s, &NOBODY, 0, false);
    let d = v.next_broker_id(&GetNextBrokerIdRequestHeader {
        cluster_name: Some("c".into()),
        broker_name: "b".into(),
    });
    let h: GetNextBrokerIdResponseHeader = d.response.decode_header().unwrap();
    assert_eq!(h.next_broker_id, Some(3));
    // The same broker retrying with its check code gets its id again; another does not.
    let retry = |check: &str| {
        v.apply_broker_id(&ApplyBrokerIdRequestHeader {
            cluster_name: Some("c".into()),
            broker_name: "b".into(),
            applied_broker_id: 2,
            register_check_code: check.into(),
        })
        .response
        .code
    };
    assert_eq!(retry("10.0.0.2:10911;5"), code::SUCCESS);
    assert_eq!(
        retry("10.9.9.9:10911;7"),
        code::CONTROLLER_BROKER_ID_INVALID
    );
    // A set the controller never saw accepts only id 1.
    let empty = ControllerState::default();
    let v = view(&empty, &NOBODY, 0, false);
    let d = v.apply_broker_id(&ApplyBrokerIdRequestHeader {
        cluster_name: None,
        broker_name: "new".into(),
        applied_broker_id: 2,
        register_check_code: "a:1;1".into(),
    });
    assert_eq!(d.response.code, code::CONTROLLER_BROKER_ID_INVALID);
    assert!(d.events.is_empty());
}

#[test]
fn elections_follow_the_sync_state_set_and_the_heartbeats() {
    let mut s = registered(3);
    let mut live = LiveTable::default();
    for id in 1..=3 {
        live.heartbeat(hb(id, 0, 0), id, 0);
    }
    // The first election takes whoever asks.
    let d = elect(&s, &live, Some(2), false);
    assert_eq!(d.response.code, code::SUCCESS);
    let h: ElectMasterResponseHeader = d.response.decode_header().unwrap();
    assert_eq!(
        (h.master_broker_id, h.master_epoch, h.sync_state_set_epoch),
        (Some(2), Some(1), Some(1))
    );
    let body: ElectMasterResponseBody = from_fastjson_slice(&d.response.body.to_bytes()).unwrap();
    assert_eq!(body.broker_member_group.unwrap().broker_addrs.len(), 3);
    apply(&mut s, &d.events);
    // Asking again while the master lives: 2011 with the current master.
    let d = elect(&s, &live, Some(1), false);
    assert_eq!(d.response.code, code::CONTROLLER_MASTER_STILL_EXIST);
    assert!(d.events.is_empty());
    let h: ElectMasterResponseHeader = d.response.decode_header().unwrap();
    assert_eq!(h.master_broker_id, Some(2));

    // The master grows its SyncStateSet to {2, 3}.
    let alter = |s: &ControllerState, set: &[i64], ss_epoch: i32, master_epoch: i32| {
        view(s, &live, 1_000, false).alter_sync_state_set(
            &AlterSyncStateSetRequestHeader {
                broker_name: "b".into(),
                master_broker_id: Some(2),
                master_epoch: Some(master_epoch),
                invoke_time: None,
            },
            &SyncStateSet {
                sync_state_set: set.iter().copied().collect(),
                sync_state_set_epoch: ss_epoch,
            },
        )
    };
    assert_eq!(
        alter(&s, &[2, 3], 1, 0).response.code,
        code::CONTROLLER_FENCED_MASTER_EPOCH
    );
    assert_eq!(
        alter(&s, &[2, 3], 0, 1).response.code,
        code::CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH
    );
    assert_eq!(
        alter(&s, &[3], 1, 1).response.code,
        code::CONTROLLER_ALTER_SYNC_STATE_SET_FAILED
    );
    assert_eq!(
        alter(&s, &[2, 9], 1, 1).response.code,
        code::CONTROLLER_INVALID_REPLICAS
    );
    assert_eq!(
        alter(&s, &[2], 1, 1).response.code,
        code::CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
        "unchanged"
    );
    let d = alter(&s, &[2, 3], 1, 1);
    assert_eq!(d.response.code, code::SUCCESS);
    let h: AlterSyncStateSetResponseHeader = d.response.decode_header().unwrap();
    assert_eq!(h.new_sync_state_set_epoch, 2);
    apply(&mut s, &d.events);

    // The master dies: the controller elects from the SyncStateSet — 3, not 1.
    let mut live = LiveTable::default();
    live.heartbeat(hb(1, 1, 9_000), 1, 0);
    live.heartbeat(hb(3, 1, 100), 3, 0);
    let d = elect(&s, &live, None, false);
    assert_eq!(d.response.code, code::SUCCESS);
    let h: ElectMasterResponseHeader = d.response.decode_header().unwrap();
    assert_eq!((h.master_broker_id, h.master_epoch), (Some(3), Some(2)));
    apply(&mut s, &d.events);
    assert_eq!(s.set("b").unwrap().sync_state_set(), &[3].into());

    // Nobody in the set is alive: the controller's own request clears the master (2004,
    // with an event); a broker's request fails without one (2012).
    let only_1 = {
        let mut l = LiveTable::default();
        l.heartbeat(hb(1, 1, 9_000), 1, 0);
        l
    };
    let d = elect(&s, &only_1, None, false);
    assert_eq!(d.response.code, code::CONTROLLER_MASTER_NOT_AVAILABLE);
    assert_eq!(d.events.len(), 1);
    let d = elect(&s, &only_1, Some(1), false);
    assert_eq!(d.response.code, code::CONTROLLER_ELECT_MASTER_FAILED);
    assert!(d.events.is_empty());
    // Unclean election may take 1.
    let d = view(&s, &only_1, 1_000, true).elect_master(&ElectMasterRequestHeader {
        cluster_name: None,
        broker_name: "b".into(),
        broker_id: Some(-1),
        designate_elect: None,
        invoke_time: None,
    });
    assert_eq!(d.response.code, code::SUCCESS);
}

#[test]
fn the_policy_prefers_newer_epochs_then_longer_logs_then_priority() {
    let mut s = registered(3);
    let mut live = LiveTable::default();
    for id in 1..=3 {
        live.heartbeat(hb(id, 0, 0), id, 0);
    }
    let first = elect(&s, &live, Some(1), false).events;
    apply(&mut s, &first);
    apply(
        &mut s,
        &[Event::AlterSyncStateSet {
            broker_name: "b".into(),
            sync_state_set: [1, 2, 3].into(),
        }],
    );
    let set = s.set("b").unwrap();
    let mut live = LiveTable::default();
    live.heartbeat(hb(2, 1, 500), 2, 0);
    live.heartbeat(hb(3, 1, 900), 3, 0);
    let v = view(&s, &live, 1_000, false);
    assert_eq!(v.elect_policy(set, Some(1), None), Some(3), "longer log");
    let mut live2 = LiveTable::default();
    live2.heartbeat(hb(2, 2, 10), 2, 0);
    live2.heartbeat(hb(3, 1, 900), 3, 0);
    let v = view(&s, &live2, 1_000, false);
    assert_eq!(v.elect_policy(set, Some(1), None), Some(2), "newer epoch");
    assert_eq!(v.elect_policy(set, Some(1), Some(3)), Some(3), "designated");
    assert_eq!(
        v.elect_policy(set, Some(1), Some(1)),
        None,
        "designated but dead"
    );
}

#[test]
fn register_reports_a_live_master_and_learns_new_addresses() {
    let mut s = registered(2);
    let mut live = LiveTable::default();
    live.heartbeat(hb(1, 0, 0), 1, 0);
    let first = elect(&s, &live, Some(1), false).events;
    apply(&mut s, &first);
    let v = view(&s, &live, 1_000, false);
    let reg = |id: i64, addr: &str| {
        v.register_broker(&RegisterBrokerToControllerRequestHeader {
            cluster_name: Some("c".into()),
            broker_name: "b".into(),
            broker_id: Some(id),
            broker_address: Some(addr.into()),
            invoke_time: None,
        })
    };
    let d = reg(2, "10.0.0.2:10911");
    assert!(d.events.is_empty());
    let h: RegisterBrokerToControllerResponseHeader = d.response.decode_header().unwrap();
    assert_eq!(h.master_broker_id, Some(1));
    assert_eq!(h.master_address.as_deref(), Some("10.0.0.1:10911"));
    assert_eq!(reg(2, "10.0.0.22:10911").events.len(), 1, "moved");
    assert_eq!(
        reg(7, "x:1").response.code,
        code::CONTROLLER_BROKER_NEED_TO_BE_REGISTERED
    );
    // A dead master is not reported.
    let v = view(&s, &live, 60_000, false);
    let d = v.register_broker(&RegisterBrokerToControllerRequestHeader {
        cluster_name: Some("c".into()),
        broker_name: "b".into(),
        broker_id: Some(2),
        broker_address: Some("10.0.0.2:10911".into()),
        invoke_time: None,
    });
    let h: RegisterBrokerToControllerResponseHeader = d.response.decode_header().unwrap();
    assert_eq!(h.master_broker_id, None);
}

#[test]
fn cleaning_refuses_living_brokers() {
    let mut s = registered(2);
    let mut live = LiveTable::default();
    live.heartbeat(hb(1, 0, 0), 1, 0);
    let first = elect(&s, &live, Some(1), false).events;
    apply(&mut s, &first);
    let v = view(&s, &live, 1_000, false);
    let clean = |ids: Option<&str>, living: bool| {
        v.clean_broker_data(&CleanControllerBrokerDataRequestHeader {
            cluster_name: Some("c".into()),
            broker_name: "b".into(),
            broker_controller_ids_to_clean: ids.map(str::to_string),
            is_clean_living_broker: Some(living),
            invoke_time: None,
        })
    };
    assert_eq!(
        clean(None, false).response.code,
        code::CONTROLLER_INVALID_CLEAN_BROKER_METADATA
    );
    assert_eq!(
        clean(Some("1"), false).response.code,
        code::CONTROLLER_INVALID_CLEAN_BROKER_METADATA
    );
    assert_eq!(
        clean(Some("x"), false).response.code,
        code::CONTROLLER_INVALID_CLEAN_BROKER_METADATA
    );
    let d = clean(Some("2"), false);
    assert_eq!(d.response.code, code::SUCCESS);
    apply(&mut s, &d.events);
    assert!(!s.set("b").unwrap().has(2));
    let v = view(&s, &live, 1_000, false);
    let d = v.clean_broker_data(&CleanControllerBrokerDataRequestHeader {
        cluster_name: None,
        broker_name: "b".into(),
        broker_controller_ids_to_clean: None,
        is_clean_living_broker: Some(true),
        invoke_time: None,
    });
    apply(&mut s, &d.events);
    assert!(s.set("b").is_none());
}

#[test]
fn hostile_names_and_sizes_are_refused_before_they_reach_the_state() {
    let s = ControllerState::default();
    let v = view(&s, &NOBODY, 0, false);
    let apply = |name: &str, check: String| {
        v.apply_broker_id(&ApplyBrokerIdRequestHeader {
            cluster_name: Some("c".into()),
            broker_name: name.into(),
            applied_broker_id: 1,
            register_check_code: check,
        })
    };
    for bad in ["", "../x", "a b", "a\u{0}", &"x".repeat(256)] {
        let d = apply(bad, "a:1;1".into());
        assert_eq!(d.response.code, code::CONTROLLER_INVALID_REQUEST, "{bad:?}");
        assert!(d.events.is_empty());
    }
    let d = apply("b", "x".repeat(crate::MAX_CHECK_CODE_LEN + 1));
    assert_eq!(d.response.code, code::CONTROLLER_INVALID_REQUEST);
    assert_eq!(
        apply("broker-a.1", "a:1;1".into()).response.code,
        code::SUCCESS
    );
}

#[test]
fn a_set_has_a_bounded_number_of_members() {
    let s = registered(crate::MAX_SET_MEMBERS as u64);
    let v = view(&s, &NOBODY, 0, false);
    let d = v.apply_broker_id(&ApplyBrokerIdRequestHeader {
        cluster_name: Some("c".into()),
        broker_name: "b".into(),
        applied_broker_id: crate::MAX_SET_MEMBERS as i64 + 1,
        register_check_code: "z:1;1".into(),
    });
    assert_eq!(d.response.code, code::CONTROLLER_BROKER_ID_INVALID);
}
