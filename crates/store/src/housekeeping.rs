//! Background housekeeping of [`crate::MessageStore`]: preparing and pre-faulting the next
//! CommitLog file, flushing ConsumeQueues/index and the checkpoint, retention passes and TPS
//! sampling.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::error::StoreError;
use crate::retention::{self, FileAge, RetentionInput};
use crate::store::Shared;
use ferromq_protocol::time::now_ms as now_millis;

pub(crate) fn prepare_loop(s: &Shared) {
    while !s.stop.load(Ordering::Acquire) {
        if s.config.preallocate_next_file {
            if let Err(e) = s.log.prepare_next() {
                tracing::warn!(error = %e, "preparing the next commitlog file failed");
                s.sleep(Duration::from_millis(500));
            }
        }
        if s.config.prefault_window > 0 {
            let sync = s.group_commit.is_some();
            if let Err(e) = s.log.prefault(s.config.prefault_window, sync) {
                // Typically a full disk: the writer allocates what it needs itself (and
                // reports DiskFull if it cannot).
                tracing::warn!(error = %e, "allocating and pre-faulting ahead of the writer failed");
                s.sleep(Duration::from_millis(500));
            }
        }
        std::thread::park_timeout(Duration::from_millis(2));
    }
}

pub(crate) fn flush_queues_and_checkpoint(s: &Shared, thorough: bool) -> Result<(), StoreError> {
    let least = if thorough {
        0
    } else {
        s.config.flush_consume_queue_least_pages
    };
    let logics_ts = s.dispatcher.last_store_timestamp();
    let mut result = Ok(());
    for cq in s.cqs.all() {
        if let Err(e) = cq.flush(least) {
            result = Err(e);
        }
    }
    let index_ts = match &s.index {
        Some(i) => match i.flush() {
            Ok(ts) => Some(ts),
            Err(e) => {
                result = Err(e);
                None
            }
        },
        None => None,
    };
    result?;
    if logics_ts > 0 {
        s.checkpoint
            .logics_msg_timestamp
            .store(logics_ts, Ordering::Release);
    }
    if let Some(ts) = index_ts.filter(|t| *t > 0) {
        s.checkpoint
            .index_msg_timestamp
            .store(ts, Ordering::Release);
    }
    s.checkpoint.flush()
}

pub(crate) fn housekeeping_loop(s: &Shared) {
    let start = Instant::now();
    let mut last_cq_flush = start;
    let mut last_thorough = start;
    let mut last_clean = start;
    let mut last_sample = start;
    s.stats.sample();
    while !s.stop.load(Ordering::Acquire) {
        s.sleep(Duration::from_millis(100));
        let now = Instant::now();
        if now.duration_since(last_sample) >= Duration::from_secs(1) {
            last_sample = now;
            s.stats.sample();
        }
        // Every tick, not only at retention passes: a filling disk must stop writes before it
        // is exhausted, and writes resume as soon as space is back.
        crate::space::refresh_disk_full(s);
        if now.duration_since(last_cq_flush) >= s.config.flush_interval_consume_queue {
            last_cq_flush = now;
            let thorough =
                now.duration_since(last_thorough) >= s.config.flush_consume_queue_thorough_interval;
            if thorough {
                last_thorough = now;
            }
            if let Err(e) = flush_queues_and_checkpoint(s, thorough) {
                tracing::error!(error = %e, "flushing consume queues / checkpoint failed");
            }
        }
        if now.duration_since(last_clean) >= s.config.clean_resource_interval
            || s.manual_delete.load(Ordering::Acquire)
        {
            last_clean = now;
            retention_pass(s);
        }
    }
}

/// One retention pass: disk check, CommitLog deletions by plan, then queue/index cleanup.
pub(crate) fn retention_pass(s: &Shared) {
    let used = crate::space::refresh_disk_full(s).unwrap_or(0.0);
    let truncations = s.log.truncations();
    let files = s.log.files().files();
    let ages: Vec<FileAge> = files
        .iter()
        .map(|f| FileAge {
            start_offset: f.start_offset(),
            end_offset: f.start_offset() + f.size(),
            modified_ms: s.fs.modified_ms(f.path()).unwrap_or(i64::MAX / 2),
        })
        .collect();
    let dispatched_offset = s.dispatcher.reput_offset();
    let now = now_millis();
    let hour = {
        use chrono::Timelike;
        chrono::Local::now().hour()
    };
    let manual = s.manual_delete.swap(false, Ordering::AcqRel);
    let input = RetentionInput {
        now_ms: now,
        hour,
        disk_used_percent: used,
        files: &ages,
        manual,
        dispatched_offset,
    };
    let plan = retention::plan(&s.config, &input);
    if used > s.config.disk_space_clean_forcibly_ratio as f64 {
        if let Some(kept) = ages
            .get(plan.len())
            .filter(|f| plan.len() + 1 < ages.len() && !retention::is_dispatched(&input, f))
        {
            tracing::warn!(
                file_start = kept.start_offset,
                dispatched_offset,
                disk_used_percent = used,
                "disk nearly full, but the oldest file is not dispatched yet: kept"
            );
        }
    }
    let _no_truncation = s.log.lock_truncation();
    if !plan.is_empty() && s.log.truncations() != truncations {
        tracing::info!("commitlog truncated while retention planned: deleting nothing this pass");
    } else if !plan.is_empty() {
        for d in &plan {
            tracing::info!(
                file = %files[d.index].path().display(),
                reason = d.reason.label(),
                disk_used_percent = used,
                reserved_hours = s.config.file_reserved_time_hours,
                "deleting commitlog file"
            );
            s.stats.record_deletion(d.reason);
        }
        s.log.remove_oldest(plan.len());
    }
    let min = s.log.min_offset() as i64;
    for cq in s.cqs.all() {
        let n = cq.delete_expired_files(min);
        if n > 0 {
            tracing::info!(
                topic = cq.topic(),
                queue = cq.queue_id(),
                files = n,
                reason = "entries below commitlog min offset",
                "deleted consume queue files"
            );
        }
    }
    if let Some(i) = &s.index {
        i.delete_expired(min);
    }
}
