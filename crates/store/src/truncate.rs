//! [`MessageStore::truncate_to`]: cutting the CommitLog of an open store (Java's
//! `DefaultMessageStore.truncateFiles` / `truncateDirtyFiles`), for controller mode: a broker
//! that returns as a slave drops what its new master does not have, a broker about to become
//! master drops what the in-sync replicas never confirmed.

use std::sync::atomic::Ordering;

use crate::error::StoreError;
use crate::queue_offsets::QueueOffsetTable;
use crate::store::MessageStore;

impl MessageStore {
    /// Cuts the CommitLog at `offset` while the store runs; returns the bytes removed
    /// (`max_phys_offset - offset`), 0 when `offset` is at or past the end (nothing to do).
    ///
    /// `offset` must be at least [`MessageStore::min_phys_offset`] and a record boundary:
    /// the start of a record or of an end-of-file blank, a file start, or the end (found by
    /// walking the record headers of its file). Otherwise it fails with
    /// [`StoreError::InvalidArgument`] and changes nothing; on a shut down store with
    /// [`StoreError::Shutdown`].
    ///
    /// The dispatcher is paused throughout. Every ConsumeQueue loses its entries of records at
    /// or past `offset` (their bytes are zeroed), the index re-indexes from `offset` (its
    /// entries past the cut stay, and lookups skip them as they skip any stale entry), the
    /// next queue offset of every queue is re-seeded from the queues (and from records below
    /// `offset` not dispatched yet), and dispatching resumes at `min(dispatched, offset)`.
    /// On disk, later files are deleted and the rest of the cut file is zeroed, so a restart,
    /// after a crash too, recovers exactly to `offset` plus what is appended afterwards.
    /// Appends ([`MessageStore::append_raw`] at `offset`, puts) continue at `offset`.
    ///
    /// Must not race with puts or raw appends (the caller is a slave, or a broker about to
    /// become master). Zero-copy buffers handed out earlier for records past the cut see
    /// their bytes zeroed or overwritten.
    ///
    /// An I/O error after the checks (deleting or zeroing files) is returned once the cut is
    /// complete in memory: the log then ends at `offset` all the same, but a crash may bring
    /// back part of the old tail, which a new call cuts again.
    pub fn truncate_to(&self, offset: u64) -> Result<u64, StoreError> {
        let s = &self.shared;
        let _paused = s.dispatcher.pause();
        let _no_retention = s.log.lock_truncation();
        let mut w = s.log.lock_writer();
        if s.stop.load(Ordering::Acquire) {
            return Err(StoreError::Shutdown);
        }
        let max = s.log.max_offset();
        if offset >= max {
            return Ok(0);
        }
        let min = s.log.min_offset();
        if offset < min {
            return Err(StoreError::InvalidArgument(format!(
                "cannot truncate the commitlog at {offset}: it starts at {min}"
            )));
        }
        if !s.log.is_cut_point(offset) {
            return Err(StoreError::InvalidArgument(format!(
                "cannot truncate the commitlog at {offset}: not a record boundary"
            )));
        }
        let reput = s.dispatcher.reput_offset();
        // Records below the cut that the queues do not hold yet keep their queue offsets.
        let undispatched = s.log.next_queue_offsets(reput.min(offset), offset);
        let last_ts = s.log.store_timestamp_before(offset);

        // Dispatching resumes at the cut at the latest, so if a step below fails before the
        // log is cut, the dispatcher rebuilds whatever queue entries were already removed.
        s.dispatcher.set_reput_offset(reput.min(offset));
        if let Some(index) = &s.index {
            index.truncate_to(offset as i64);
        }
        for cq in s.cqs.all() {
            cq.truncate_dirty(offset as i64)?;
        }
        let cut = s.log.truncate(&mut w, offset);

        w.queue_offsets = QueueOffsetTable::seeded(&s.cqs, &undispatched);
        if let Some(ts) = last_ts {
            // Crash recovery replays from the checkpoint's times: they must not be those of
            // records that are gone.
            s.log.set_last_store_timestamp(ts);
            s.dispatcher.lower_last_store_timestamp(ts);
            s.checkpoint
                .physic_msg_timestamp
                .fetch_min(ts, Ordering::AcqRel);
            s.checkpoint
                .logics_msg_timestamp
                .fetch_min(ts, Ordering::AcqRel);
        }
        let removed = max - offset;
        tracing::info!(
            offset,
            old_end = max,
            bytes_removed = removed,
            dispatched_was = reput,
            dispatch_from = reput.min(offset),
            "commitlog truncated"
        );
        cut?;
        Ok(removed)
    }
}
