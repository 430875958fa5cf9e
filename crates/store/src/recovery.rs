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

use std::collections::HashMap;
use std::sync::Arc;

use crate::checkpoint::Checkpoint;
use crate::commit_log::{scan_record_within, CommitLog, Scanned};
use crate::consume_queue_table::ConsumeQueueTable;
use crate::dispatch::{is_dispatched_to_queue, Dispatcher};
use crate::error::StoreError;
use crate::index::IndexStore;
use crate::mapped_file::MappedFile;
use crate::queue_name::check_queue;

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
pub(crate) struct RecoveryContext<'a> {
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

/// The file's bytes that hold data: recovery never reads the holes of a sparse file (on
/// tmpfs a read there allocates a page, and on a full disk faults).
fn file_data(f: &MappedFile) -> &[u8] {
    &f.whole()[..f.data_end() as usize]
}

fn first_record_stamp(f: &MappedFile, check_crc: bool) -> Option<(i64, i64)> {
    match scan_record_within(file_data(f), 0, check_crc, f.size() as usize) {
        Scanned::Record(v) => Some((v.physical_offset, v.store_timestamp)),
        _ => None,
    }
}

/// Runs recovery. Afterwards the CommitLog, the queues and the dispatcher agree on the end.
pub(crate) fn recover(ctx: &RecoveryContext<'_>) -> Result<RecoveryReport, StoreError> {
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

    let scan = scan_log(
        ctx,
        &files[start..],
        scan_from,
        dispatched_through,
        &mut report,
    );
    let end = scan.end;
    let last_ts = scan.last_store_timestamp;

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
        // Records recovery could not dispatch still hold their queue offsets.
        for ((topic, queue_id), next) in &scan.undispatched_next_offsets {
            if *next > w.queue_offsets.next(topic, *queue_id) {
                w.queue_offsets.set(topic, *queue_id, *next);
            }
        }
    }
    let min = ctx.log.min_offset() as i64;
    for cq in ctx.cqs.all() {
        cq.correct_min_offset(min);
    }
    // The dispatcher thread resumes where recovery had to stop (a full disk), if it did.
    ctx.dispatcher
        .set_reput_offset(scan.undispatched_from.unwrap_or(end).min(end));
    report.end_offset = end;
    tracing::info!(?report, "recovery done");
    Ok(report)
}

/// Where the scan of [`scan_log`] ended and what it could not dispatch.
struct ScanEnd {
    /// End of the last valid record.
    end: u64,
    last_store_timestamp: i64,
    /// First record a transient failure (disk full) kept out of the queues, if any.
    undispatched_from: Option<u64>,
    /// Next queue offset of each queue with records at or after `undispatched_from`.
    undispatched_next_offsets: HashMap<(String, i32), i64>,
}

/// Walks the records from `scan_from` (the start of `files[0]`) to the end of the log,
/// dispatching those the queues miss. A transient dispatch failure does not fail the open:
/// dispatching stops there (the dispatcher thread retries it) while the scan goes on to find
/// the end and the queue offsets the undispatched records hold.
fn scan_log(
    ctx: &RecoveryContext<'_>,
    files: &[Arc<MappedFile>],
    scan_from: u64,
    dispatched_through: i64,
    report: &mut RecoveryReport,
) -> ScanEnd {
    let mut out = ScanEnd {
        end: scan_from,
        last_store_timestamp: 0,
        undispatched_from: None,
        undispatched_next_offsets: HashMap::new(),
    };
    'files: for f in files {
        let data = file_data(f);
        let mut pos = 0usize;
        loop {
            match scan_record_within(data, pos, ctx.check_crc, f.size() as usize) {
                Scanned::Record(v) => {
                    report.records_scanned += 1;
                    let at = f.start_offset() + pos as u64;
                    let size = v.total_size();
                    let missing =
                        v.physical_offset.saturating_add(size as i64) > dispatched_through;
                    if out.undispatched_from.is_none() && (ctx.abnormal || missing) {
                        match ctx.dispatcher.dispatch(&v, at, false) {
                            Ok(()) => report.records_dispatched += 1,
                            Err(e) => {
                                tracing::error!(offset = at, error = %e, "recovery cannot dispatch: the dispatcher retries from here");
                                out.undispatched_from = Some(at);
                            }
                        }
                    }
                    if out.undispatched_from.is_some() && is_dispatched_to_queue(v.sys_flag) {
                        let topic = v.topic_str().into_owned();
                        if check_queue(&topic, v.queue_id).is_ok() && v.queue_offset >= 0 {
                            let next = out
                                .undispatched_next_offsets
                                .entry((topic, v.queue_id))
                                .or_insert(0);
                            *next = (*next).max(v.queue_offset.saturating_add(1));
                        }
                    }
                    out.last_store_timestamp = v.store_timestamp;
                    pos += size;
                    out.end = at + size as u64;
                }
                Scanned::Blank => {
                    out.end = f.start_offset() + f.size();
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
    out
}

/// Zeroes non-zero bytes from `from` until a zero run longer than `max_record` (or the end).
/// Returns how many bytes were zeroed.
fn zero_tail(f: &MappedFile, from: u64, max_record: u64) -> u64 {
    const CHUNK: u64 = 64 * 1024;
    let data = file_data(f);
    let size = data.len() as u64;
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
