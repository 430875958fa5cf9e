//! Disk space as the store's thresholds see it: data, not reservations.
//!
//! Data files are allocated in windows ahead of their writers (see [`crate::io`]); those
//! windows, and the CommitLog file prepared ahead, count as used space on the file system
//! although they hold nothing yet. Java's files are sparse, so its usage ratios measure data;
//! counting reservations made the forced-deletion ratio (85 %) trip long before the data did,
//! and acknowledged messages were deleted. So every ratio the store acts on (refusing writes
//! at `diskSpaceWarningLevelRatio`, deleting at `diskMaxUsedSpaceRatio` and
//! `diskSpaceCleanForciblyRatio`) is computed with unwritten reservations counted as free.
//!
//! The space the reservations really take is not lost track of: an allocation the disk cannot
//! hold fails with ENOSPC, which refuses that put (`DiskFull`) and makes the dispatcher wait
//! for space.

use std::sync::atomic::Ordering;

use crate::io::DiskUsage;
use crate::retention;
use crate::store::Shared;

/// Allocated but unwritten bytes of the CommitLog (current and prepared file), of every
/// ConsumeQueue's newest file and of the newest index file.
pub(crate) fn reserved_bytes(s: &Shared) -> u64 {
    let queues: u64 = s.cqs.all().iter().map(|q| q.files().reserved_bytes()).sum();
    let index = s.index.as_ref().map(|i| i.reserved_bytes()).unwrap_or(0);
    s.log.reserved_bytes() + queues + index
}

/// `raw` with `reserved` bytes counted as free (they hold no data).
pub(crate) fn without_reservations(raw: DiskUsage, reserved: u64) -> DiskUsage {
    DiskUsage {
        total_bytes: raw.total_bytes,
        free_bytes: raw.free_bytes.saturating_add(reserved).min(raw.total_bytes),
    }
}

/// The CommitLog disk's usage by data, or `None` if the file system cannot say.
pub(crate) fn data_usage(s: &Shared) -> Option<DiskUsage> {
    let dir = s.config.commit_log_dir();
    match s.fs.disk_usage(&dir) {
        Ok(raw) => Some(without_reservations(raw, reserved_bytes(s))),
        Err(e) => {
            tracing::warn!(error = %e, "disk usage unavailable");
            None
        }
    }
}

/// Re-evaluates whether writes must be refused for lack of space; returns the data usage
/// ratio (percent) it decided on.
pub(crate) fn refresh_disk_full(s: &Shared) -> Option<f64> {
    let used = data_usage(s)?.used_ratio_percent();
    set_disk_full(s, retention::is_disk_full(&s.config, used), used);
    Some(used)
}

fn set_disk_full(s: &Shared, full: bool, used_percent: f64) {
    if s.disk_full.swap(full, Ordering::AcqRel) != full {
        tracing::warn!(used_percent, full, "disk full state changed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_count_as_free() {
        let raw = DiskUsage {
            total_bytes: 1000,
            free_bytes: 100,
        };
        assert_eq!(raw.used_ratio_percent(), 90.0);
        let data = without_reservations(raw, 600);
        assert_eq!(data.used_ratio_percent(), 30.0);
        assert_eq!(without_reservations(raw, 5000).used_ratio_percent(), 0.0);
    }
}
