//! The NameServer address list with failover: calls go to the current NameServer; when one
//! fails the next address becomes current (Java picks a random start and sticks to a working
//! NameServer).

use std::sync::atomic::{AtomicUsize, Ordering};

/// NameServer addresses and the one currently in use.
#[derive(Debug)]
pub struct NameServerList {
    addrs: Vec<String>,
    current: AtomicUsize,
}

impl NameServerList {
    /// A list starting at a random address, so clients spread over NameServers.
    pub fn new(addrs: Vec<String>) -> Self {
        let start = if addrs.is_empty() {
            0
        } else {
            rand::random::<usize>() % addrs.len()
        };
        Self::starting_at(addrs, start)
    }

    /// A list starting at `start` (tests).
    pub fn starting_at(addrs: Vec<String>, start: usize) -> Self {
        NameServerList {
            addrs,
            current: AtomicUsize::new(start),
        }
    }

    /// All addresses.
    pub fn addrs(&self) -> &[String] {
        &self.addrs
    }

    /// Addresses in the order to try them: the current one first, then the others.
    pub fn attempt_order(&self) -> Vec<String> {
        let n = self.addrs.len();
        if n == 0 {
            return Vec::new();
        }
        let start = self.current.load(Ordering::Relaxed) % n;
        (0..n)
            .map(|i| self.addrs[(start + i) % n].clone())
            .collect()
    }

    /// Records that `addr` failed: if it is the current one, move to the next.
    pub fn mark_failed(&self, addr: &str) {
        let n = self.addrs.len();
        if n == 0 {
            return;
        }
        let cur = self.current.load(Ordering::Relaxed) % n;
        if self.addrs[cur] == addr {
            let _ = self.current.compare_exchange(
                cur,
                (cur + 1) % n,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
    }

    /// Records that `addr` answered: it becomes current.
    pub fn mark_ok(&self, addr: &str) {
        if let Some(i) = self.addrs.iter().position(|a| a == addr) {
            self.current.store(i, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_over_and_sticks() {
        let l = NameServerList::starting_at(vec!["a".into(), "b".into(), "c".into()], 1);
        assert_eq!(l.attempt_order(), vec!["b", "c", "a"]);
        l.mark_failed("b");
        assert_eq!(l.attempt_order(), vec!["c", "a", "b"]);
        l.mark_failed("b"); // stale failure report: no change
        assert_eq!(l.attempt_order()[0], "c");
        l.mark_ok("a");
        assert_eq!(l.attempt_order(), vec!["a", "b", "c"]);
        assert!(NameServerList::new(vec![]).attempt_order().is_empty());
    }
}
