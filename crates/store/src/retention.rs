//! Retention: which CommitLog files to delete, and why (Java `CleanCommitLogService`).
//!
//! Expired files (last modified more than `fileReservedTime` hours ago) are deleted at a
//! `deleteWhen` hour, or at any hour while disk usage exceeds `diskMaxUsedSpaceRatio`. Above
//! `diskSpaceCleanForciblyRatio` the oldest files go even if not expired. The newest file is
//! never deleted, nor any file the dispatcher has not entirely read: its messages would be
//! acknowledged but never reach a ConsumeQueue. Above `diskSpaceWarningLevelRatio` appends
//! are refused (disk full). The ratios are of data, not of space allocated ahead of writers
//! ([`crate::space`]). [`plan`] is pure; the store executes the plan, logs each decision and
//! counts it.

use crate::config::StoreConfig;

/// Why a file was deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeleteReason {
    /// Older than `fileReservedTime`, at a `deleteWhen` hour.
    ExpiredAtDeleteWhen,
    /// Older than `fileReservedTime`, disk above `diskMaxUsedSpaceRatio`.
    ExpiredDiskOverMaxRatio,
    /// Disk above `diskSpaceCleanForciblyRatio`: deleted although not expired.
    ForcedDiskNearlyFull,
    /// Older than `fileReservedTime`, deletion requested by an operator.
    ExpiredManual,
}

impl DeleteReason {
    /// All reasons, in counter order.
    pub const ALL: [DeleteReason; 4] = [
        DeleteReason::ExpiredAtDeleteWhen,
        DeleteReason::ExpiredDiskOverMaxRatio,
        DeleteReason::ForcedDiskNearlyFull,
        DeleteReason::ExpiredManual,
    ];

    /// Counter slot.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Short label for logs and metrics.
    pub fn label(self) -> &'static str {
        match self {
            DeleteReason::ExpiredAtDeleteWhen => "expired_at_delete_when",
            DeleteReason::ExpiredDiskOverMaxRatio => "expired_disk_over_max_ratio",
            DeleteReason::ForcedDiskNearlyFull => "forced_disk_nearly_full",
            DeleteReason::ExpiredManual => "expired_manual",
        }
    }
}

/// A CommitLog file as retention sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileAge {
    pub start_offset: u64,
    /// Offset just past the file (start + file size).
    pub end_offset: u64,
    pub modified_ms: i64,
}

/// The situation retention decides on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetentionInput<'a> {
    pub now_ms: i64,
    /// Local hour of day (0–23).
    pub hour: u32,
    /// Used space of the CommitLog's disk, percent.
    pub disk_used_percent: f64,
    /// Files oldest first.
    pub files: &'a [FileAge],
    /// An operator asked for deletion now.
    pub manual: bool,
    /// CommitLog offset up to which the dispatcher has built queues and index.
    pub dispatched_offset: u64,
}

/// One decision: delete `files[index]` for `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Deletion {
    pub index: usize,
    pub start_offset: u64,
    pub reason: DeleteReason,
}

/// Whether appends must be refused for lack of space.
pub(crate) fn is_disk_full(config: &StoreConfig, disk_used_percent: f64) -> bool {
    disk_used_percent > config.disk_space_warning_level_ratio as f64
}

/// Decides which of the oldest files to delete (a prefix, never the newest file, never a
/// file ending past the dispatched offset, at most `delete_file_batch_max`).
pub(crate) fn plan(config: &StoreConfig, input: &RetentionInput<'_>) -> Vec<Deletion> {
    let time_up = config.delete_hours().contains(&input.hour);
    let over_max = input.disk_used_percent > config.disk_max_used_space_ratio as f64;
    let forced = config.clean_file_forcibly_enable
        && input.disk_used_percent > config.disk_space_clean_forcibly_ratio as f64;
    if !(time_up || over_max || forced || input.manual) {
        return Vec::new();
    }
    let reserved_ms = config.file_reserved_time_hours as i64 * 3_600_000;
    let mut out = Vec::new();
    let candidates = input.files.len().saturating_sub(1);
    for (i, f) in input.files.iter().take(candidates).enumerate() {
        if out.len() >= config.delete_file_batch_max.max(1) || !is_dispatched(input, f) {
            break;
        }
        let expired = input.now_ms >= f.modified_ms + reserved_ms;
        let reason = if expired {
            if over_max {
                DeleteReason::ExpiredDiskOverMaxRatio
            } else if time_up {
                DeleteReason::ExpiredAtDeleteWhen
            } else if input.manual {
                DeleteReason::ExpiredManual
            } else {
                DeleteReason::ForcedDiskNearlyFull
            }
        } else if forced {
            DeleteReason::ForcedDiskNearlyFull
        } else {
            break;
        };
        out.push(Deletion {
            index: i,
            start_offset: f.start_offset,
            reason,
        });
    }
    out
}

/// Whether the dispatcher has read all of `f` (its messages are in their queues).
pub(crate) fn is_dispatched(input: &RetentionInput<'_>, f: &FileAge) -> bool {
    f.end_offset <= input.dispatched_offset
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn files(ages_h: &[i64], now: i64) -> Vec<FileAge> {
        ages_h
            .iter()
            .enumerate()
            .map(|(i, a)| FileAge {
                start_offset: i as u64 * 100,
                end_offset: (i as u64 + 1) * 100,
                modified_ms: now - a * H,
            })
            .collect()
    }

    #[test]
    fn deletes_expired_only_at_delete_when() {
        let c = StoreConfig::default(); // 72 h, "04"
        let now = 1000 * H;
        let f = files(&[100, 80, 10, 1], now);
        let at = |hour, disk| {
            plan(
                &c,
                &RetentionInput {
                    now_ms: now,
                    hour,
                    disk_used_percent: disk,
                    files: &f,
                    manual: false,
                    dispatched_offset: u64::MAX,
                },
            )
        };
        assert!(at(3, 50.0).is_empty());
        let d = at(4, 50.0);
        assert_eq!(d.len(), 2);
        assert!(d
            .iter()
            .all(|d| d.reason == DeleteReason::ExpiredAtDeleteWhen));
        let d = at(13, 80.0);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].reason, DeleteReason::ExpiredDiskOverMaxRatio);
        let d = at(13, 86.0);
        assert_eq!(
            d.len(),
            3,
            "forced clean takes unexpired files but never the newest"
        );
        assert_eq!(d[2].reason, DeleteReason::ForcedDiskNearlyFull);
        let d = plan(
            &c,
            &RetentionInput {
                now_ms: now,
                hour: 13,
                disk_used_percent: 10.0,
                files: &f,
                manual: true,
                dispatched_offset: u64::MAX,
            },
        );
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].reason, DeleteReason::ExpiredManual);
    }

    #[test]
    fn batch_limit_and_single_file() {
        let c = StoreConfig {
            delete_file_batch_max: 1,
            ..Default::default()
        };
        let now = 1000 * H;
        let f = files(&[100, 100, 100], now);
        assert_eq!(
            plan(
                &c,
                &RetentionInput {
                    now_ms: now,
                    hour: 4,
                    disk_used_percent: 0.0,
                    files: &f,
                    manual: false,
                    dispatched_offset: u64::MAX,
                }
            )
            .len(),
            1
        );
        let one = files(&[100], now);
        assert!(plan(
            &c,
            &RetentionInput {
                now_ms: now,
                hour: 4,
                disk_used_percent: 99.0,
                files: &one,
                manual: false,
                dispatched_offset: u64::MAX,
            }
        )
        .is_empty());
        assert!(is_disk_full(&c, 91.0));
        assert!(!is_disk_full(&c, 89.0));
    }

    #[test]
    fn never_deletes_what_is_not_dispatched() {
        let c = StoreConfig::default();
        let now = 1000 * H;
        let f = files(&[100, 100, 100, 100], now);
        let at = |dispatched| {
            plan(
                &c,
                &RetentionInput {
                    now_ms: now,
                    hour: 4,
                    disk_used_percent: 99.0,
                    files: &f,
                    manual: true,
                    dispatched_offset: dispatched,
                },
            )
            .len()
        };
        assert_eq!(at(u64::MAX), 3, "all but the newest");
        assert_eq!(
            at(250),
            2,
            "the third file ends at 300, past what is dispatched"
        );
        assert_eq!(at(200), 2);
        assert_eq!(at(99), 0);
        assert_eq!(at(0), 0);
    }
}
