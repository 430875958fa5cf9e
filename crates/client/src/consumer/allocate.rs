//! Queue allocation strategies (Java's `AllocateMessageQueueStrategy` implementations). Every
//! client of a group runs the same strategy on the same sorted queue and client-id lists, so
//! each queue ends up with exactly one client without any coordination.

use std::collections::{BTreeMap, BTreeSet};

use ferromq_model::MessageQueue;
use md5::{Digest, Md5};

/// How a consumer group splits a topic's queues among its clients.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AllocateStrategy {
    /// Contiguous blocks; the first `queues % clients` clients get one more (`AVG`, default).
    #[default]
    Averagely,
    /// Round-robin: queue `i` goes to client `i % clients` (`AVG_BY_CIRCLE`).
    AveragelyByCircle,
    /// A consistent-hash ring of client ids with virtual nodes (`CONSISTENT_HASH`; Java's
    /// default is 10 virtual nodes per client, MD5 hashing).
    ConsistentHash {
        /// Virtual nodes per client.
        virtual_nodes: usize,
    },
    /// A fixed list, whatever the group looks like (`CONFIG`).
    ByConfig(Vec<MessageQueue>),
    /// Only queues of brokers named `room@name` whose room is listed, then averaged
    /// (`MACHINE_ROOM`).
    ByMachineRoom {
        /// Rooms this group consumes from.
        rooms: BTreeSet<String>,
    },
}

impl AllocateStrategy {
    /// Java's consistent hash with its default 10 virtual nodes.
    pub fn consistent_hash() -> Self {
        AllocateStrategy::ConsistentHash { virtual_nodes: 10 }
    }

    /// The strategy name Java reports (also used by 5.x QUERY_ASSIGNMENT).
    pub fn name(&self) -> &'static str {
        match self {
            AllocateStrategy::Averagely => "AVG",
            AllocateStrategy::AveragelyByCircle => "AVG_BY_CIRCLE",
            AllocateStrategy::ConsistentHash { .. } => "CONSISTENT_HASH",
            AllocateStrategy::ByConfig(_) => "CONFIG",
            AllocateStrategy::ByMachineRoom { .. } => "MACHINE_ROOM",
        }
    }

    /// The queues `current` should consume. `mq_all` and `cid_all` must be sorted (see
    /// `allocate_sorted`). `None` when the input is unusable (no queue, no client, or
    /// `current` not among the clients): the caller then keeps what it has, as Java does.
    pub fn allocate(
        &self,
        current: &str,
        mq_all: &[MessageQueue],
        cid_all: &[String],
    ) -> Option<Vec<MessageQueue>> {
        if let AllocateStrategy::ByConfig(list) = self {
            return Some(list.clone());
        }
        if current.is_empty() || mq_all.is_empty() || cid_all.is_empty() {
            return None;
        }
        let index = cid_all.iter().position(|c| c == current)?;
        Some(match self {
            AllocateStrategy::Averagely => averagely(index, mq_all, cid_all.len()),
            AllocateStrategy::AveragelyByCircle => mq_all
                .iter()
                .enumerate()
                .filter(|(i, _)| i % cid_all.len() == index)
                .map(|(_, mq)| mq.clone())
                .collect(),
            AllocateStrategy::ConsistentHash { virtual_nodes } => {
                let ring = HashRing::new(cid_all, *virtual_nodes);
                mq_all
                    .iter()
                    .filter(|mq| ring.route(&mq.to_string()) == Some(current))
                    .cloned()
                    .collect()
            }
            AllocateStrategy::ByMachineRoom { rooms } => {
                let eligible: Vec<MessageQueue> = mq_all
                    .iter()
                    .filter(|mq| {
                        let parts: Vec<&str> = mq.broker_name.split('@').collect();
                        parts.len() == 2 && rooms.contains(parts[0])
                    })
                    .cloned()
                    .collect();
                let n = cid_all.len();
                let per = eligible.len() / n;
                let rem = eligible.len() % n;
                let mut out: Vec<MessageQueue> = eligible[index * per..index * per + per].to_vec();
                if rem > index {
                    out.push(eligible[index + per * n].clone());
                }
                out
            }
            AllocateStrategy::ByConfig(list) => list.clone(),
        })
    }
}

/// Java `AllocateMessageQueueAveragely`.
fn averagely(index: usize, mq_all: &[MessageQueue], clients: usize) -> Vec<MessageQueue> {
    let n = mq_all.len();
    let m = n % clients;
    let average = if n <= clients {
        1
    } else if m > 0 && index < m {
        n / clients + 1
    } else {
        n / clients
    };
    let start = if m > 0 && index < m {
        index * average
    } else {
        index * average + m
    };
    let range = average.min(n.saturating_sub(start));
    mq_all[start.min(n)..start.min(n) + range].to_vec()
}

/// Sorts the inputs as every client does (`Collections.sort`) and allocates.
pub(super) fn allocate_sorted(
    strategy: &AllocateStrategy,
    current: &str,
    mqs: impl IntoIterator<Item = MessageQueue>,
    cids: impl IntoIterator<Item = String>,
) -> Option<Vec<MessageQueue>> {
    let mq_all: Vec<MessageQueue> = mqs
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut cid_all: Vec<String> = cids.into_iter().collect();
    cid_all.sort_by(|a, b| ferromq_model::java::compare_strings(a, b));
    cid_all.dedup();
    strategy.allocate(current, &mq_all, &cid_all)
}

/// Java's `ConsistentHashRouter` with its MD5 hash (first 4 digest bytes, big-endian).
struct HashRing<'a> {
    ring: BTreeMap<u64, &'a str>,
}

fn md5_hash(key: &str) -> u64 {
    let digest = Md5::digest(key.as_bytes());
    digest[..4]
        .iter()
        .fold(0u64, |h, b| (h << 8) | u64::from(*b))
}

impl<'a> HashRing<'a> {
    fn new(nodes: &'a [String], virtual_nodes: usize) -> Self {
        let mut ring = BTreeMap::new();
        for node in nodes {
            for i in 0..virtual_nodes {
                ring.insert(md5_hash(&format!("{node}-{i}")), node.as_str());
            }
        }
        HashRing { ring }
    }

    fn route(&self, key: &str) -> Option<&'a str> {
        let h = md5_hash(key);
        self.ring
            .range(h..)
            .next()
            .or_else(|| self.ring.iter().next())
            .map(|(_, n)| *n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn mqs(brokers: &[&str], per: i32) -> Vec<MessageQueue> {
        let mut v: Vec<_> = brokers
            .iter()
            .flat_map(|b| (0..per).map(move |i| MessageQueue::new("T", *b, i)))
            .collect();
        v.sort();
        v
    }

    fn cids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("10.0.0.{i}@c")).collect()
    }

    fn ids(v: &[MessageQueue]) -> Vec<(String, i32)> {
        v.iter()
            .map(|q| (q.broker_name.clone(), q.queue_id))
            .collect()
    }

    #[test]
    fn averagely_matches_java_tables() {
        let all = mqs(&["a"], 8);
        let c = cids(3);
        let s = AllocateStrategy::Averagely;
        let got: Vec<Vec<i32>> = c
            .iter()
            .map(|id| {
                s.allocate(id, &all, &c)
                    .unwrap()
                    .iter()
                    .map(|q| q.queue_id)
                    .collect()
            })
            .collect();
        assert_eq!(got, vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7]]);
        // More clients than queues: the last clients get nothing.
        let few = mqs(&["a"], 3);
        let c5 = cids(5);
        let got: Vec<usize> = c5
            .iter()
            .map(|id| s.allocate(id, &few, &c5).unwrap().len())
            .collect();
        assert_eq!(got, vec![1, 1, 1, 0, 0]);
        // Unknown client, empty lists: no decision.
        assert!(s.allocate("x", &all, &c).is_none());
        assert!(s.allocate(&c[0], &[], &c).is_none());
        assert!(s.allocate(&c[0], &all, &[]).is_none());
    }

    #[test]
    fn by_circle_matches_java_tables() {
        let all = mqs(&["a"], 8);
        let c = cids(3);
        let s = AllocateStrategy::AveragelyByCircle;
        let got: Vec<Vec<i32>> = c
            .iter()
            .map(|id| {
                s.allocate(id, &all, &c)
                    .unwrap()
                    .iter()
                    .map(|q| q.queue_id)
                    .collect()
            })
            .collect();
        assert_eq!(got, vec![vec![0, 3, 6], vec![1, 4, 7], vec![2, 5]]);
    }

    #[test]
    fn machine_room() {
        let all = mqs(&["hz@b1", "sh@b2", "plain"], 3);
        let c = cids(2);
        let s = AllocateStrategy::ByMachineRoom {
            rooms: ["hz".to_string()].into(),
        };
        assert_eq!(
            ids(&s.allocate(&c[0], &all, &c).unwrap()),
            vec![("hz@b1".into(), 0), ("hz@b1".into(), 2)]
        );
        assert_eq!(
            ids(&s.allocate(&c[1], &all, &c).unwrap()),
            vec![("hz@b1".into(), 1)]
        );
        let cfg = AllocateStrategy::ByConfig(vec![MessageQueue::new("T", "x", 9)]);
        assert_eq!(cfg.allocate("anyone", &[], &[]).unwrap().len(), 1);
    }

    #[test]
    fn md5_ring_matches_java_hash() {
        // MD5("a") = 0cc175b9…; Java keeps the first 4 bytes as an unsigned long.
        assert_eq!(md5_hash("a"), 0x0cc1_75b9);
        assert_eq!(md5_hash(""), 0xd41d_8cd9);
    }

    /// Every strategy (but CONFIG) gives each queue to exactly one client, for many shapes.
    #[test]
    fn every_queue_exactly_once() {
        let strategies = [
            AllocateStrategy::Averagely,
            AllocateStrategy::AveragelyByCircle,
            AllocateStrategy::consistent_hash(),
            AllocateStrategy::ConsistentHash { virtual_nodes: 1 },
        ];
        for s in &strategies {
            for brokers in [&["a"][..], &["a", "b"][..], &["a", "b", "c"][..]] {
                for per in [1, 3, 4, 8, 16] {
                    let all = mqs(brokers, per);
                    for n in 1..7 {
                        let c = cids(n);
                        let mut owner: HashMap<MessageQueue, usize> = HashMap::new();
                        for id in &c {
                            for q in s.allocate(id, &all, &c).unwrap() {
                                *owner.entry(q).or_default() += 1;
                            }
                        }
                        assert_eq!(owner.len(), all.len(), "{s:?} {brokers:?} {per} {n}");
                        assert!(
                            owner.values().all(|&k| k == 1),
                            "{s:?} {brokers:?} {per} {n}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn consistent_hash_moves_few_queues_when_a_client_joins() {
        let all = mqs(&["a", "b"], 32);
        let before = cids(4);
        let after = cids(5);
        let s = AllocateStrategy::consistent_hash();
        let owner = |c: &[String]| -> HashMap<MessageQueue, String> {
            c.iter()
                .flat_map(|id| {
                    s.allocate(id, &all, c)
                        .unwrap()
                        .into_iter()
                        .map(move |q| (q, id.clone()))
                })
                .collect()
        };
        let (o1, o2) = (owner(&before), owner(&after));
        let moved = all.iter().filter(|q| o1[q] != o2[q]).count();
        // Only queues taken over by the new client move.
        assert!(all.iter().all(|q| o1[q] == o2[q] || o2[q] == after[4]));
        assert!(moved < all.len() / 2, "moved {moved}");
    }

    /// Allocations printed by Java 5.3.3's strategies (a one-off program against
    /// `rocketmq-client-5.3.3.jar`) for 7 queues on each of two brokers and five clients.
    #[test]
    fn identical_to_java_5_3_3() {
        let all = {
            let mut v: Vec<_> = ["broker-a", "broker-b"]
                .iter()
                .flat_map(|b| (0..7).map(move |i| MessageQueue::new("TopicTest", *b, i)))
                .collect();
            v.sort();
            v
        };
        let cids: Vec<String> = (0..5)
            .map(|i| format!("10.0.0.{i}@{}#{}", 1000 + i, 77 * i))
            .collect();
        let java = [
            (
                AllocateStrategy::Averagely,
                "a0,a1,a2 a3,a4,a5 a6,b0,b1 b2,b3,b4 b5,b6",
            ),
            (
                AllocateStrategy::AveragelyByCircle,
                "a0,a5,b3 a1,a6,b4 a2,b0,b5 a3,b1,b6 a4,b2",
            ),
            (
                AllocateStrategy::consistent_hash(),
                "b1 b5 a0,a3,b2,b3 a4,a5,b4,b6 a1,a2,a6,b0",
            ),
            (
                AllocateStrategy::ConsistentHash { virtual_nodes: 3 },
                "- b5 a0,a3,b0,b2 a4,a5,a6,b4,b6 a1,a2,b1,b3",
            ),
        ];
        for (strategy, expected) in java {
            let got: Vec<String> = cids
                .iter()
                .map(|c| {
                    let qs = strategy.allocate(c, &all, &cids).unwrap();
                    if qs.is_empty() {
                        return "-".to_string();
                    }
                    qs.iter()
                        .map(|q| format!("{}{}", &q.broker_name[7..], q.queue_id))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .collect();
            assert_eq!(got.join(" "), expected, "{}", strategy.name());
        }
    }

    #[test]
    fn sorted_inputs() {
        let shuffled = vec![
            MessageQueue::new("T", "b", 0),
            MessageQueue::new("T", "a", 1),
            MessageQueue::new("T", "a", 0),
        ];
        let got = allocate_sorted(
            &AllocateStrategy::Averagely,
            "c1",
            shuffled,
            vec!["c2".to_string(), "c1".to_string()],
        )
        .unwrap();
        assert_eq!(ids(&got), vec![("a".into(), 0), ("a".into(), 1)]);
    }
}
