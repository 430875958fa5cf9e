//! `--rate`: paces senders to a target number of messages per second, to measure latency at a
//! load below the peak (the "p99 at half the peak rate" figure).
//!
//! Each message gets a departure slot `1/rate` after the previous one. The timer only wakes
//! tasks at millisecond ticks, so a sender that woke late may use up to [`BURST_WINDOW`] of
//! missed slots at once; longer idle time is not banked, so the rate never overshoots by
//! more than one window's worth of messages.

use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// How far behind "now" the next free slot may lag (credit a late sender may catch up on).
pub const BURST_WINDOW: Duration = Duration::from_millis(2);

/// The slot arithmetic, without clocks or sleeping.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: Option<Instant>,
}

impl Pacer {
    /// A pacer for `per_second` messages per second (must be positive).
    pub fn new(per_second: f64) -> Self {
        let per_second = per_second.max(f64::MIN_POSITIVE);
        Pacer {
            interval: Duration::from_secs_f64((1.0 / per_second).min(3600.0)),
            next: None,
        }
    }

    /// Reserves slots for `n` messages asked for at `now`; returns when they may leave
    /// (`<= now` means at once).
    pub fn reserve(&mut self, now: Instant, n: u64) -> Instant {
        let earliest = now.checked_sub(BURST_WINDOW).unwrap_or(now);
        let slot = match self.next {
            Some(next) if next > earliest => next,
            _ => earliest,
        };
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        self.next = Some(slot + self.interval.saturating_mul(n));
        slot
    }
}

/// A [`Pacer`] shared by all senders of a run.
#[derive(Debug)]
pub struct RateLimiter {
    pacer: Mutex<Pacer>,
}

impl RateLimiter {
    /// A limiter for `per_second` messages per second.
    pub fn new(per_second: f64) -> Self {
        RateLimiter {
            pacer: Mutex::new(Pacer::new(per_second)),
        }
    }

    /// Waits until `n` more messages may be sent.
    pub async fn acquire(&self, n: u64) {
        let now = tokio::time::Instant::now().into_std();
        let at = self.pacer.lock().reserve(now, n);
        if at > now {
            tokio::time::sleep_until(at.into()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_spaced_by_the_interval() {
        let t0 = Instant::now() + Duration::from_secs(1);
        let mut p = Pacer::new(1000.0);
        let first = p.reserve(t0, 1);
        assert!(first <= t0);
        let second = p.reserve(t0, 1);
        assert_eq!(second - first, Duration::from_millis(1));
        // A batch of 10 takes ten slots.
        let third = p.reserve(t0, 10);
        assert_eq!(third - second, Duration::from_millis(1));
        let fourth = p.reserve(t0, 1);
        assert_eq!(fourth - third, Duration::from_millis(10));
    }

    #[test]
    fn idle_time_is_not_banked_beyond_the_window() {
        let t0 = Instant::now() + Duration::from_secs(1);
        let mut p = Pacer::new(10_000.0); // 100 µs apart
        p.reserve(t0, 1);
        let later = t0 + Duration::from_secs(1);
        let mut immediate = 0;
        while p.reserve(later, 1) <= later {
            immediate += 1;
            assert!(immediate < 1000, "credit was banked");
        }
        // 2 ms of credit at 100 µs per message, plus the slot at exactly `now`.
        assert_eq!(immediate, 21);
    }

    #[test]
    fn simulated_senders_with_a_millisecond_timer_hold_the_rate() {
        // One sender, timer that only fires on whole milliseconds (like tokio's).
        let start = Instant::now() + Duration::from_secs(1);
        let mut p = Pacer::new(50_000.0);
        let mut now = start;
        let total = 10_000u64;
        for _ in 0..total {
            let at = p.reserve(now, 1);
            if at > now {
                let wait = (at - now).as_nanos().div_ceil(1_000_000) as u32;
                now += Duration::from_millis(1) * wait;
            }
        }
        let secs = (now - start).as_secs_f64();
        let rate = total as f64 / secs;
        assert!((rate - 50_000.0).abs() < 50_000.0 * 0.02, "rate {rate}");
    }

    #[test]
    fn slow_sender_goes_at_its_own_pace() {
        // Asking less often than the rate allows never waits.
        let start = Instant::now() + Duration::from_secs(1);
        let mut p = Pacer::new(1000.0);
        for i in 0..100u32 {
            let now = start + Duration::from_millis(5) * i;
            assert!(p.reserve(now, 1) <= now);
        }
    }

    #[tokio::test]
    async fn limiter_sleeps_until_the_slot() {
        let l = RateLimiter::new(1000.0); // 1 ms apart
        let t0 = Instant::now();
        for _ in 0..61 {
            l.acquire(1).await;
        }
        // The first slot is free and 2 ms of credit may be used; the other ~58 slots need
        // ~58 ms. The upper bound only guards against a runaway (the machine may be busy).
        let waited = t0.elapsed();
        assert!(waited >= Duration::from_millis(55), "{waited:?}");
        assert!(waited <= Duration::from_secs(2), "{waited:?}");
    }
}
