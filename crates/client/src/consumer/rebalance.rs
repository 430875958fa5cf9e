//! Rebalance as a pure decision (Java `RebalanceImpl.rebalanceByTopic` +
//! `updateProcessQueueTableInRebalance`): from the topic's queues, the group's client ids and
//! the queues this client holds, which queues to drop and which to start.

use std::collections::BTreeSet;

use ferromq_model::{MessageModel, MessageQueue};

use crate::consumer::allocate::{allocate_sorted, AllocateStrategy};

/// What this client should own of one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Assignment {
    /// These queues.
    Queues(BTreeSet<MessageQueue>),
    /// Not enough information (route or client list missing): keep what is held.
    Unknown,
}

/// The queues a client should consume: all of them when broadcasting, its allocation when
/// clustering.
pub(super) fn assign(
    model: MessageModel,
    strategy: &AllocateStrategy,
    client_id: &str,
    topic_queues: Option<&BTreeSet<MessageQueue>>,
    client_ids: Option<&[String]>,
) -> Assignment {
    let Some(mqs) = topic_queues else {
        return Assignment::Unknown;
    };
    match model {
        MessageModel::Broadcasting => Assignment::Queues(mqs.clone()),
        MessageModel::Clustering => {
            let Some(cids) = client_ids else {
                return Assignment::Unknown;
            };
            match allocate_sorted(
                strategy,
                client_id,
                mqs.iter().cloned(),
                cids.iter().cloned(),
            ) {
                Some(v) => Assignment::Queues(v.into_iter().collect()),
                None => Assignment::Unknown,
            }
        }
    }
}

/// Changes to apply to one topic's held queues.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct RebalancePlan {
    /// Held queues to stop (no longer assigned, or stuck).
    pub drop: Vec<MessageQueue>,
    /// Assigned queues to start.
    pub add: Vec<MessageQueue>,
}

#[cfg(test)]
impl RebalancePlan {
    /// Whether nothing changes.
    pub(super) fn is_empty(&self) -> bool {
        self.drop.is_empty() && self.add.is_empty()
    }
}

/// Compares what is held of `topic` (with a "pull expired" flag per queue) to `assigned`.
pub(super) fn plan(
    topic: &str,
    held: &[(MessageQueue, bool)],
    assigned: &BTreeSet<MessageQueue>,
) -> RebalancePlan {
    let mut p = RebalancePlan::default();
    for (mq, pull_expired) in held.iter().filter(|(mq, _)| mq.topic == topic) {
        if !assigned.contains(mq) || *pull_expired {
            p.drop.push(mq.clone());
        }
    }
    let held_set: BTreeSet<&MessageQueue> = held.iter().map(|(mq, _)| mq).collect();
    for mq in assigned {
        if !held_set.contains(mq) {
            p.add.push(mq.clone());
        }
    }
    p.drop.sort();
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn mqs(n: i32) -> BTreeSet<MessageQueue> {
        (0..n)
            .flat_map(|i| {
                [
                    MessageQueue::new("T", "a", i),
                    MessageQueue::new("T", "b", i),
                ]
            })
            .collect()
    }

    #[test]
    fn plan_drops_and_adds() {
        let all = mqs(2);
        let v: Vec<_> = all.iter().cloned().collect();
        let held = vec![
            (v[0].clone(), false),
            (v[1].clone(), true),
            (MessageQueue::new("U", "a", 0), false),
        ];
        let assigned: BTreeSet<_> = [v[1].clone(), v[2].clone()].into();
        let p = plan("T", &held, &assigned);
        // v[0] no longer assigned; v[1] assigned but stuck (re-created next round).
        assert_eq!(p.drop, vec![v[0].clone(), v[1].clone()]);
        assert_eq!(p.add, vec![v[2].clone()]);
        assert!(plan("T", &[(v[2].clone(), false)], &[v[2].clone()].into()).is_empty());
    }

    #[test]
    fn unknown_inputs_keep_current_assignment() {
        let all = mqs(2);
        let s = AllocateStrategy::Averagely;
        assert_eq!(
            assign(
                MessageModel::Clustering,
                &s,
                "c1",
                None,
                Some(&["c1".into()])
            ),
            Assignment::Unknown
        );
        assert_eq!(
            assign(MessageModel::Clustering, &s, "c1", Some(&all), None),
            Assignment::Unknown
        );
        assert_eq!(
            assign(
                MessageModel::Clustering,
                &s,
                "c9",
                Some(&all),
                Some(&["c1".into()])
            ),
            Assignment::Unknown
        );
        assert_eq!(
            assign(MessageModel::Broadcasting, &s, "c9", Some(&all), None),
            Assignment::Queues(all.clone())
        );
    }

    /// Simulated group membership changes: clients join and leave; after each client applies
    /// its plan, every queue is held by exactly one client, and queues only move when they
    /// must.
    #[test]
    fn simulated_membership_changes() {
        let all = mqs(4); // 8 queues on two brokers
        for strategy in [
            AllocateStrategy::Averagely,
            AllocateStrategy::AveragelyByCircle,
            AllocateStrategy::consistent_hash(),
        ] {
            let mut held: BTreeMap<String, BTreeSet<MessageQueue>> = BTreeMap::new();
            let rounds: Vec<Vec<&str>> = vec![
                vec!["c1"],
                vec!["c1", "c2"],
                vec!["c1", "c2", "c3"],
                vec!["c2", "c3"], // c1 crashed
                vec!["c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10"], // more clients than queues
                vec!["c3"],
            ];
            for members in rounds {
                let cids: Vec<String> = members.iter().map(|s| s.to_string()).collect();
                held.retain(|c, _| cids.contains(c));
                // Every client sees the same inputs (possibly in a different order).
                let mut shuffled = cids.clone();
                shuffled.reverse();
                for c in &cids {
                    let mine = held.entry(c.clone()).or_default();
                    let Assignment::Queues(assigned) = assign(
                        MessageModel::Clustering,
                        &strategy,
                        c,
                        Some(&all),
                        Some(&shuffled),
                    ) else {
                        panic!("assignment expected");
                    };
                    let current: Vec<_> = mine.iter().map(|q| (q.clone(), false)).collect();
                    let p = plan("T", &current, &assigned);
                    for q in &p.drop {
                        mine.remove(q);
                    }
                    mine.extend(p.add);
                    assert_eq!(*mine, assigned);
                }
                let mut count: BTreeMap<&MessageQueue, usize> = BTreeMap::new();
                for qs in held.values() {
                    for q in qs {
                        *count.entry(q).or_default() += 1;
                    }
                }
                assert_eq!(count.len(), all.len(), "{strategy:?} {members:?}");
                assert!(count.values().all(|&n| n == 1), "{strategy:?} {members:?}");
                if members.len() == 2 && strategy == AllocateStrategy::Averagely {
                    assert!(held.values().all(|q| q.len() == 4));
                }
            }
        }
    }
}
