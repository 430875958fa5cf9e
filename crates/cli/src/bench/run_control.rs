//! When a benchmark stops: after `-q` messages, after `--duration`, or on Ctrl-C/SIGTERM —
//! whichever comes first.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Messages still to send, shared by all senders; `-q 0` means no limit.
#[derive(Debug)]
pub struct Quota {
    remaining: Option<AtomicU64>,
}

impl Quota {
    /// A quota of `total` messages (0 = unlimited).
    pub fn new(total: u64) -> Self {
        Quota {
            remaining: (total > 0).then(|| AtomicU64::new(total)),
        }
    }

    /// Takes up to `want` messages from the quota; 0 when it is used up.
    pub fn claim(&self, want: u64) -> u64 {
        let Some(remaining) = &self.remaining else {
            return want;
        };
        let mut cur = remaining.load(Ordering::Relaxed);
        loop {
            let take = cur.min(want);
            if take == 0 {
                return 0;
            }
            match remaining.compare_exchange_weak(
                cur,
                cur - take,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return take,
                Err(actual) => cur = actual,
            }
        }
    }
}

/// A token cancelled after `duration_secs` (0 = never) or on the first SIGINT/SIGTERM.
pub fn stop_token(duration_secs: u64) -> CancellationToken {
    let stop = CancellationToken::new();
    let s = stop.clone();
    tokio::spawn(async move {
        let limit = async {
            if duration_secs == 0 {
                std::future::pending::<()>().await
            } else {
                tokio::time::sleep(Duration::from_secs(duration_secs)).await
            }
        };
        tokio::select! {
            _ = limit => {}
            _ = crate::shutdown::signal() => {}
            _ = s.cancelled() => {}
        }
        s.cancel();
    });
    stop
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn quota_hands_out_exactly_the_total() {
        let q = Quota::new(10);
        assert_eq!(q.claim(4), 4);
        assert_eq!(q.claim(4), 4);
        assert_eq!(q.claim(4), 2);
        assert_eq!(q.claim(4), 0);
        assert_eq!(Quota::new(0).claim(7), 7);
    }

    #[test]
    fn concurrent_claims_never_overshoot() {
        let q = Arc::new(Quota::new(100_000));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let q = q.clone();
                std::thread::spawn(move || {
                    let mut got = 0;
                    loop {
                        let n = q.claim(3);
                        if n == 0 {
                            return got;
                        }
                        got += n;
                    }
                })
            })
            .collect();
        let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(total, 100_000);
    }

    #[tokio::test]
    async fn duration_stops_the_run() {
        let stop = stop_token(1);
        tokio::time::timeout(Duration::from_secs(5), stop.cancelled())
            .await
            .expect("stopped after the duration");
    }
}
