//! Start-up recovery: find the real end of the CommitLog, cut torn or corrupt tails, and
//! bring ConsumeQueues and the index back in line with it.
//!
//! * Normal (no `abort` file): scan from the newest file whose first record is already in a
//!   ConsumeQueue, dispatch only what the queues miss.
//! * After a crash (`abort` present): scan from the newest file whose first record is older
//!   than the checkpoint's minimum time (minus 3 s), re-dispatching everything (entries already
//!   present are skipped), and re-index from there.
//!
//! Records are validated (body CRC when `check_crc_on_recover`); the first invalid one ends
//! the log. Bytes of the old tail past the new end are zeroed so a later crash can never
//! resurrect them.

use std::sync::Arc;

use crate::checkpoint::Checkpoint;
use crate::commit_log::{scan_record, CommitLog, Scanned};
use crate::consume_queue_table::ConsumeQueueTable;
use crate::dispatch::Dispatcher;
use crate::error::StoreError;
use crate::index::IndexStore;
use crate::mapped_file::MappedFile;

/// What recovery did, for logs and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Whether the previous run ended without a clean shutdown.
    pub abnormal: bool,
    /// Offset where the scan started.
    pub scan_from: u64,
    /// The recovered end of the CommitLog.
    pub end_offset: u64,
    /// Records scanned.
    pub records_scanned: u64,
    /// Records dispatched to ConsumeQueues/index during recovery.
    pub records_dispatched: u64,
    /// Bytes cut from the tail (written-looking bytes past the end), if any.
    pub truncated_bytes: u64,
}

/// Inputs of [`recover`].
pub struct RecoveryContext<'a> {
    pub log: &'a CommitLog,
    pub cqs: &'a ConsumeQueueTable,
    pub index: Option<&'a Arc<IndexStore>>,
    pub checkpoint: &'a Checkpoint,
    pub dispatcher: &'a Dispatcher,
    pub check_crc: bool,
    pub abnormal: bool,
    /// Longest possible record (body limit + 64 KiB); bounds the tail zeroing scan.
    pub max_record_size: u64,
}

fn first_record_stamp(f: &MappedFile, check_crc: bool) -> Option<(i64, i64)> {
    match scan_record(f.whole(), 0, check_crc) {
        Scanned::Record(v) => Some((v.physical_offset, v.store_timestamp)),
        _ => None,
    }
}

/// Runs recovery. Afterwards the CommitLog, the queues and the dispatcher agree on the end.
pub fn recover(ctx: &RecoveryContext<'_>) -> Result<RecoveryReport, StoreError> {
    let mut report = RecoveryReport {
        abnormal: ctx.abnormal,
        ..Default::default()
    };
    for cq in ctx.cqs.all() {
        cq.recover()?;
    }
    let files = ctx.log.files().files();
    if files.is_empty() {
        if !ctx.cqs.all().is_empty() {
            tracing::warn!("commitlog is empty: deleting consume queues and index");
        }
        ctx.cqs.destroy_all()?;
        if let Some(i) = ctx.index {
            i.destroy()?;
        }
        ctx.log.set_end(0)?;
        ctx.dispatcher.set_reput_offset(0);
        return Ok(report);
    }

    let dispatched_through: i64 = ctx
        .cqs
        .all()
        .iter()
        .map(|q| q.max_phys_offset())
        .max()
        .unwrap_or(-1);
    let min_ts = if ctx.index.is_some() {
        ctx.checkpoint.min_timestamp_index()
    } else {
        ctx.checkpoint.min_timestamp()
    };
    let mut start = 0usize;
    for i in (0..files.len()).rev() {
        let Some((phys, ts)) = first_record_stamp(&files[i], ctx.check_crc) else {
            continue;
        };
        let ok = if ctx.abnormal {
            ts != 0 && ts <= min_ts
        } else {
            ts != 0 && phys <= dispatched_through
        };
        if ok {
            start = i;
            break;
        }
    }
    let scan_from = files[start].start_offset();
    report.scan_from = scan_from;
    tracing::info!(abnormal = ctx.abnormal, file = %files[start].path().display(), "commitlog recovery starts");
    if let Some(index) = ctx.index {
        if ctx.abnormal {
            index.reindex_from(scan_from as i64);
        }
    }

    let mut end = scan_from;
    let mut last_ts = 0i64;
    'files: for f in &files[start..] {
        let data = f.whole();
        let mut pos = 0usize;
        loop {
            match scan_record(data, pos, ctx.check_crc) {
                Scanned::Record(v) => {
                    report.records_scanned += 1;
                    let size = v.total_size();
                    if ctx.abnormal || v.physical_offset + size as i64 > dispatched_through {
                        ctx.dispatcher.dispatch(&v, false)?;
                        report.records_dispatched += 1;
                    }
                    last_ts = v.store_timestamp;
                    pos += size;
                    end = f.start_offset() + pos as u64;
                }
                Scanned::Blank => {
                    end = f.start_offset() + f.size();
                    continue 'files;
                }
                Scanned::End => {
                    if pos < data.len()
                        && data[pos..data.len().min(pos + 8)].iter().any(|&b| b != 0)
                    {
                        tracing::warn!(
                            offset = f.start_offset() + pos as u64,
                            "torn or corrupt record: the commitlog ends here"
                        );
                    }
                    break 'files;
                }
            }
        }
    }

    // Zero leftover bytes past the end in its file (a torn write, or data after a corrupt
    // record), up to a zero run longer than any record.
    if let Some(f) = ctx.log.files().find(end) {
        report.truncated_bytes = zero_tail(f.as_ref(), end - f.start_offset(), ctx.max_record_size);
    }

    for cq in ctx.cqs.all() {
        cq.truncate_dirty(end as i64)?;
    }
    ctx.log.set_end(end)?;
    ctx.log.set_last_store_timestamp(last_ts);
    if let Some(index) = ctx.index {
        index.reindex_from(end as i64);
    }
    {
        let mut w = ctx.log.lock_writer();
        for cq in ctx.cqs.all() {
            w.queue_offsets
                .set(cq.topic(), cq.queue_id(), cq.max_offset_in_queue());
        }
    }
    let min = ctx.log.min_offset() as i64;
    for cq in ctx.cqs.all() {
        cq.correct_min_offset(min);
    }
    ctx.dispatcher.set_reput_offset(end);
    report.end_offset = end;
    tracing::info!(?report, "recovery done");
    Ok(report)
}

/// Zeroes non-zero bytes from `from` until a zero run longer than `max_record` (or the end).
/// Returns how many bytes were zeroed.
fn zero_tail(f: &MappedFile, from: u64, max_record: u64) -> u64 {
    const CHUNK: u64 = 64 * 1024;
    let data = f.whole();
    let size = f.size();
    let mut pos = from;
    let mut zero_run = 0u64;
    let mut last_nonzero_end = from;
    while pos < size && zero_run <= max_record {
        let end = (pos + CHUNK).min(size);
        let chunk = &data[pos as usize..end as usize];
        match chunk.iter().rposition(|&b| b != 0) {
            Some(i) => {
                last_nonzero_end = pos + i as u64 + 1;
                zero_run = end - last_nonzero_end;
            }
            None => zero_run += end - pos,
        }
        pos = end;
    }
    if last_nonzero_end > from {
        if let Err(e) = f.zero_range(from, last_nonzero_end) {
            tracing::warn!(error = %e, "syncing zeroed tail failed");
        }
        tracing::warn!(
            from = f.start_offset() + from,
            bytes = last_nonzero_end - from,
            "zeroed dirty commitlog tail"
        );
        return last_nonzero_end - from;
    }
    0
}
