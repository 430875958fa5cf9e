//! The wall clock as RocketMQ counts it: milliseconds since the Unix epoch, an `i64` (Java's
//! `System.currentTimeMillis()`). Every timestamp the system writes — store times, born times,
//! data versions, timer deadlines — comes from here, so there is one place to read the clock
//! and logic that decides takes `now` as an argument.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the epoch (0 if the clock is before 1970).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Nanoseconds since the epoch (0 if the clock is before 1970).
pub fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_2024() {
        assert!(now_ms() > 1_704_067_200_000);
        assert!(now_nanos() / 1_000_000 >= now_ms() - 1000);
    }
}
