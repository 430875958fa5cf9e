//! Unique message ids (`UNIQ_KEY`), generated as Java's `MessageClientIDSetter` does:
//! hex of `ip | pid (2 bytes) | class-loader hash (4) | ms since the start of the current month,
//! local time (4) | counter (2)`. The class-loader hash becomes a random word per generator.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Datelike, Local, TimeZone};
use ferromq_protocol::message::id::build_uniq_key;
use parking_lot::Mutex;

/// Generates `UNIQ_KEY`s; one per client instance.
#[derive(Debug)]
pub struct UniqueIdGenerator {
    ip: IpAddr,
    pid: u32,
    random: i32,
    counter: AtomicU32,
    /// `(start of this month, start of next month)` in epoch ms.
    month: Mutex<(i64, i64)>,
}

/// Start of the month of `now` and of the next month, in epoch ms, in `now`'s time zone.
pub(crate) fn month_bounds<Tz: TimeZone>(now: &DateTime<Tz>) -> (i64, i64) {
    let tz = now.timezone();
    let start_of = |y: i32, m: u32| {
        tz.with_ymd_and_hms(y, m, 1, 0, 0, 0)
            .earliest()
            .map(|d| d.timestamp_millis())
            .unwrap_or_else(|| now.timestamp_millis())
    };
    let (y, m) = (now.year(), now.month());
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (start_of(y, m), start_of(ny, nm))
}

impl UniqueIdGenerator {
    /// A generator for a client at `ip` in process `pid`.
    pub fn new(ip: IpAddr, pid: u32) -> Self {
        UniqueIdGenerator {
            ip,
            pid,
            random: rand::random(),
            counter: AtomicU32::new(0),
            month: Mutex::new(month_bounds(&Local::now())),
        }
    }

    /// The next id.
    pub fn next_id(&self) -> String {
        // The local time zone is only consulted when the month changes.
        let current = ferromq_protocol::time::now_ms();
        self.next_id_with(current, || month_bounds(&Local::now()))
    }

    /// The next id as generated at `now` (tests pass a fixed clock).
    pub fn next_id_at<Tz: TimeZone>(&self, now: &DateTime<Tz>) -> String {
        self.next_id_with(now.timestamp_millis(), || month_bounds(now))
    }

    /// The next id at epoch ms `current`; `bounds` gives the month of `current` when the
    /// cached one does not hold it.
    fn next_id_with(&self, current: i64, bounds: impl FnOnce() -> (i64, i64)) -> String {
        let start = {
            let mut month = self.month.lock();
            if current >= month.1 || current < month.0 - 1_000_000 {
                *month = bounds();
            }
            month.0
        };
        let mut diff = (current - start) as i32;
        if diff < 0 && diff > -1_000_000 {
            // Clock stepped back across the month start (NTP): Java clamps to 0.
            diff = 0;
        }
        let counter = self.counter.fetch_add(1, Ordering::Relaxed) as i16;
        build_uniq_key(self.ip, self.pid, self.random, diff, counter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, Utc};
    use ferromq_protocol::message::id::hex_to_bytes;

    #[test]
    fn layout_matches_java() {
        let g = UniqueIdGenerator::new("10.0.0.1".parse().unwrap(), 0x1_2345);
        let now = Utc.with_ymd_and_hms(2024, 3, 2, 0, 0, 1).unwrap();
        let a = g.next_id_at(&now);
        let b = g.next_id_at(&now);
        assert_eq!(a.len(), 32);
        let bytes = hex_to_bytes(&a).unwrap();
        assert_eq!(&bytes[0..4], &[10, 0, 0, 1]);
        assert_eq!(&bytes[4..6], &[0x23, 0x45], "low 2 bytes of the pid");
        // 1 day + 1 s since 2024-03-01T00:00Z.
        let ms = i32::from_be_bytes(bytes[10..14].try_into().unwrap());
        assert_eq!(ms, 86_401_000);
        assert_eq!(&bytes[14..16], &[0, 0]);
        let bytes_b = hex_to_bytes(&b).unwrap();
        assert_eq!(&bytes_b[14..16], &[0, 1], "counter increments");
        assert_eq!(&a[..28], &b[..28]);
    }

    #[test]
    fn month_rollover_and_zones() {
        let tz = FixedOffset::east_opt(8 * 3600).unwrap();
        let end_of_jan = tz.with_ymd_and_hms(2024, 1, 31, 23, 59, 59).unwrap();
        let (s, n) = month_bounds(&end_of_jan);
        assert_eq!(n - s, 31 * 86_400_000);
        let dec = tz.with_ymd_and_hms(2023, 12, 5, 0, 0, 0).unwrap();
        let (s, n) = month_bounds(&dec);
        assert_eq!(n - s, 31 * 86_400_000);
        let g = UniqueIdGenerator::new("::1".parse().unwrap(), 7);
        let id = g.next_id_at(&end_of_jan);
        assert_eq!(id.len(), 56);
        let feb = tz.with_ymd_and_hms(2024, 2, 1, 0, 0, 2).unwrap();
        let id = g.next_id_at(&feb);
        let bytes = hex_to_bytes(&id).unwrap();
        assert_eq!(i32::from_be_bytes(bytes[22..26].try_into().unwrap()), 2000);
    }

    #[test]
    fn ids_from_the_system_clock_count_from_the_local_month_start() {
        let g = UniqueIdGenerator::new("10.0.0.1".parse().unwrap(), 1);
        let before = Local::now();
        let id = g.next_id();
        let after = Local::now();
        let (start, _) = month_bounds(&before);
        let ms = i32::from_be_bytes(hex_to_bytes(&id).unwrap()[10..14].try_into().unwrap());
        // Java's `(int)` cast wraps after ~24.8 days of the month; so does the id.
        let earliest = (before.timestamp_millis() - start) as i32;
        let spread = (after.timestamp_millis() - before.timestamp_millis()) as i32;
        assert!(
            (0..=spread).contains(&ms.wrapping_sub(earliest)),
            "{ms} vs {earliest}"
        );
        assert_ne!(g.next_id(), id);
    }
}
