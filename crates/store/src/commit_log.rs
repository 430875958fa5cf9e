//! [`CommitLog`]: the append-only log of every message, on fixed-size mapped files.
//!
//! A single writer (behind a short mutex) encodes each record straight into the mapped page
//! at the write position — no intermediate buffer — and publishes the new end; readers and the
//! dispatcher only look below the published end and never take the mutex. A record never
//! spans files: when it does not fit (with 8 spare bytes), the file is closed with Java's blank
//! marker (`totalSize = remaining`, `magic = BLANK`) and the record goes to the next file.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use ferromq_protocol::message::record::{RecordView, BLANK_MAGIC_CODE, END_FILE_MIN_BLANK_LENGTH};
use parking_lot::{Mutex, MutexGuard};

use crate::dispatch::is_dispatched_to_queue;
use crate::error::StoreError;
use crate::io::FileSystem;
use crate::mapped_file::MappedFile;
use crate::mapped_file_queue::MappedFileQueue;
use crate::queue_name::check_queue;
use crate::queue_offsets::QueueOffsetTable;

/// Blocks the writer allocates past what an append needs when the preparer (which allocates
/// and pre-faults `prefault_window` ahead) has not been there yet.
pub(crate) const COMMIT_LOG_ALLOC_WINDOW: u64 = 1 << 20;

/// Free space the CommitLog leaves to ConsumeQueues and index: 5 % of the disk, at most
/// 256 MiB. Queue entries take 20 bytes per record and are allocated in small windows, so
/// this always holds those of every record the log accepted.
pub(crate) fn keep_free(disk_total: u64) -> u64 {
    (disk_total / 20).min(256 << 20)
}

/// Where one record went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placement {
    /// Physical offset of the record.
    pub phys_offset: u64,
    /// Record size.
    pub size: u32,
}

/// State owned by the single writer.
#[derive(Debug)]
pub(crate) struct Writer {
    current: Option<Arc<MappedFile>>,
    /// Next queue offset of every topic-queue.
    pub queue_offsets: QueueOffsetTable,
}

/// The CommitLog.
#[derive(Debug)]
pub(crate) struct CommitLog {
    files: MappedFileQueue,
    writer: Mutex<Writer>,
    /// Prepared next file (created, preallocated, pre-faulted) for the writer to take.
    next_file: Mutex<Option<Arc<MappedFile>>>,
    /// Held by the preparer for a whole step (it reads the last file, then creates or
    /// pre-faults after it) and by [`CommitLog::truncate`], which drops a prepared file that
    /// no longer follows the last one.
    prepare_gate: Mutex<()>,
    /// Held for a whole truncation, and by retention while it deletes the files it planned
    /// to delete (see [`CommitLog::lock_truncation`]).
    cut_lock: Mutex<()>,
    /// Truncations so far: retention drops a plan made before one.
    cuts: AtomicU64,
    max_offset: AtomicU64,
    last_store_timestamp: AtomicI64,
    /// Physical offset where the oldest file's first record starts (for `min_offset`).
    min_offset: AtomicU64,
}

/// Result of scanning one position of the log.
#[derive(Debug)]
pub(crate) enum Scanned<'a> {
    /// A well-formed record.
    Record(RecordView<'a>),
    /// End-of-file blank: continue at the next file.
    Blank,
    /// No (valid) record here: end of data, torn write or corruption.
    End,
}

/// Reads the record at `pos` of `buf` (a whole file), checking the body CRC if asked.
pub(crate) fn scan_record(buf: &[u8], pos: usize, check_crc: bool) -> Scanned<'_> {
    scan_record_within(buf, pos, check_crc, buf.len())
}

/// [`scan_record`] over the first bytes of a file of `file_len` bytes: nothing past `buf` is
/// read (recovery passes the file's data, never its holes), and an end-of-file blank counts
/// if its size reaches `file_len`.
pub(crate) fn scan_record_within(
    buf: &[u8],
    pos: usize,
    check_crc: bool,
    file_len: usize,
) -> Scanned<'_> {
    let rest = &buf[pos.min(buf.len())..];
    let Some((total, magic)) = ferromq_protocol::message::record::peek_header(rest) else {
        return Scanned::End;
    };
    if magic == BLANK_MAGIC_CODE {
        // Java writes `remaining` as the size; accept it only if it reaches the end.
        return if total > 0 && total as usize == file_len.saturating_sub(pos) {
            Scanned::Blank
        } else {
            Scanned::End
        };
    }
    match RecordView::parse(rest) {
        Ok(v) => {
            if check_crc && v.verify_body_crc().is_err() {
                return Scanned::End;
            }
            Scanned::Record(v)
        }
        Err(_) => Scanned::End,
    }
}

impl CommitLog {
    /// Loads the files in `dir`; [`crate::recovery`] then finds the real end.
    pub(crate) fn load(
        fs: Arc<dyn FileSystem>,
        dir: &std::path::Path,
        file_size: u64,
    ) -> Result<Self, StoreError> {
        let files = MappedFileQueue::load(fs, dir, file_size, COMMIT_LOG_ALLOC_WINDOW)?;
        let min = files.min_offset();
        Ok(CommitLog {
            files,
            writer: Mutex::new(Writer {
                current: None,
                queue_offsets: QueueOffsetTable::default(),
            }),
            next_file: Mutex::new(None),
            prepare_gate: Mutex::new(()),
            cut_lock: Mutex::new(()),
            cuts: AtomicU64::new(0),
            max_offset: AtomicU64::new(0),
            last_store_timestamp: AtomicI64::new(0),
            min_offset: AtomicU64::new(min),
        })
    }

    /// The underlying files.
    pub(crate) fn files(&self) -> &MappedFileQueue {
        &self.files
    }

    /// Size of each file.
    pub(crate) fn file_size(&self) -> u64 {
        self.files.file_size()
    }

    /// Offset just past the last published record.
    pub(crate) fn max_offset(&self) -> u64 {
        self.max_offset.load(Ordering::Acquire)
    }

    /// Offset of the oldest stored byte.
    pub(crate) fn min_offset(&self) -> u64 {
        self.min_offset.load(Ordering::Acquire)
    }

    /// Store timestamp of the last appended record.
    pub(crate) fn last_store_timestamp(&self) -> i64 {
        self.last_store_timestamp.load(Ordering::Acquire)
    }

    /// Sets the end after recovery: truncates past `offset` and positions the writer.
    pub(crate) fn set_end(&self, offset: u64) -> Result<(), StoreError> {
        self.files.truncate(offset)?;
        self.files.set_flushed_where(offset);
        let mut w = self.writer.lock();
        w.current = self.files.last();
        self.max_offset.store(offset, Ordering::Release);
        self.min_offset
            .store(self.files.min_offset().min(offset), Ordering::Release);
        Ok(())
    }

    /// Sets the last store timestamp (recovery).
    pub(crate) fn set_last_store_timestamp(&self, ts: i64) {
        self.last_store_timestamp.store(ts, Ordering::Release);
    }

    /// Takes the writer role. Hold it only for the copy of one append.
    pub(crate) fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        self.writer.lock()
    }

    /// The file to append `len` bytes into, rolling (with a blank) when needed.
    fn file_for(&self, w: &mut Writer, len: u64) -> Result<(Arc<MappedFile>, u64), StoreError> {
        if len + END_FILE_MIN_BLANK_LENGTH as u64 > self.file_size() {
            return Err(StoreError::InvalidArgument(format!(
                "record of {len} bytes does not fit a {} byte file",
                self.file_size()
            )));
        }
        if let Some(f) = &w.current {
            let pos = f.wrote_position();
            let remaining = f.size() - pos;
            if len + END_FILE_MIN_BLANK_LENGTH as u64 <= remaining {
                self.allocate(f, pos + len)?;
                return Ok((f.clone(), pos));
            }
            if remaining > 0 {
                self.allocate(f, pos + (END_FILE_MIN_BLANK_LENGTH as u64).min(remaining))?;
                write_blank(f, pos, remaining);
                self.max_offset.store(f.end_offset(), Ordering::Release);
            }
        }
        let next_start = match &w.current {
            Some(f) => f.start_offset() + f.size(),
            None => self.max_offset().div_ceil(self.file_size()) * self.file_size(),
        };
        let f = self.take_or_create(next_start)?;
        w.current = Some(f.clone());
        self.allocate(&f, len)?;
        Ok((f, 0))
    }

    /// Allocates the blocks of `f` up to `upto` (and a window beyond) before anything is
    /// written there, leaving the disk's last [`keep_free`] bytes to the ConsumeQueues and
    /// the index: messages that were acknowledged must always find room for their queue
    /// entries. Fails with [`StoreError::DiskFull`] when the log may not grow.
    fn allocate(&self, f: &MappedFile, upto: u64) -> Result<(), StoreError> {
        let have = f.allocated_position();
        let upto = upto.min(f.size());
        if upto <= have {
            return Ok(());
        }
        let Ok(u) = self.files.fs().disk_usage(self.files.dir()) else {
            return f.allocate_to(upto);
        };
        let need = upto - have;
        let spare = u
            .free_bytes
            .checked_sub(keep_free(u.total_bytes))
            .and_then(|s| s.checked_sub(need));
        match spare {
            Some(spare) => f.allocate_with_window(upto, COMMIT_LOG_ALLOC_WINDOW.min(spare)),
            None => Err(StoreError::DiskFull {
                path: f.path().to_path_buf(),
                source: std::io::Error::from_raw_os_error(libc::ENOSPC),
            }),
        }
    }

    /// Allocated but unwritten bytes: the rest of the current file's allocated window and the
    /// prepared next file's. Space held in reserve, not data.
    pub(crate) fn reserved_bytes(&self) -> u64 {
        let next = self
            .next_file
            .lock()
            .as_ref()
            .map(|f| f.reserved_bytes())
            .unwrap_or(0);
        self.files.reserved_bytes() + next
    }

    fn take_or_create(&self, start: u64) -> Result<Arc<MappedFile>, StoreError> {
        let prepared = self.next_file.lock().take();
        let f = match prepared {
            Some(f) if f.start_offset() == start => f,
            _ => self.files.prepare(start)?,
        };
        self.files.push(f.clone());
        tracing::debug!(file = %f.path().display(), "commitlog rolled");
        Ok(f)
    }

    /// Prepares the file after the current one, off the append path. Returns whether one was
    /// made.
    pub(crate) fn prepare_next(&self) -> Result<bool, StoreError> {
        let _g = self.prepare_gate.lock();
        let Some(cur) = self.files.last() else {
            return Ok(false);
        };
        let start = cur.start_offset() + cur.size();
        if self
            .next_file
            .lock()
            .as_ref()
            .is_some_and(|f| f.start_offset() == start)
        {
            return Ok(false);
        }
        let f = self.files.prepare(start)?;
        *self.next_file.lock() = Some(f);
        Ok(true)
    }

    /// Pre-faults the current file up to `window` bytes ahead of the writer, and the start of
    /// the prepared next file when the writer is close to the end.
    /// With `sync`, the pre-faulted zeros are written out too (SYNC_FLUSH: makes fsyncs of
    /// real data cheaper).
    pub(crate) fn prefault(&self, window: u64, sync: bool) -> Result<(), StoreError> {
        let _g = self.prepare_gate.lock();
        if let Some(cur) = self.files.last() {
            let target = cur.wrote_position() + window;
            // In steps, so the writer's fsyncs interleave with ours.
            let step = 4 << 20;
            let mut at = cur.populated_position();
            while at < target.min(cur.size()) {
                at = (at + step).min(target);
                self.allocate(&cur, at)?;
                cur.populate_to(at, sync)?;
            }
            if target > cur.size() {
                if let Some(next) = self.next_file.lock().clone() {
                    self.allocate(&next, target - cur.size())?;
                    next.populate_to(target - cur.size(), sync)?;
                }
            }
        }
        Ok(())
    }

    /// Appends one record of `len` bytes, encoded by `encode(phys_offset, out)` directly into
    /// the mapping, under the writer role `w`.
    pub(crate) fn append_locked<E>(
        &self,
        w: &mut Writer,
        len: usize,
        store_timestamp: i64,
        encode: impl FnOnce(&mut Writer, u64, &mut [u8]) -> Result<(), E>,
    ) -> Result<Result<Placement, E>, StoreError> {
        let (file, pos) = self.file_for(w, len as u64)?;
        let phys = file.start_offset() + pos;
        // SAFETY: we hold the writer role and `pos` is the file's write position.
        let out = unsafe { file.region_mut(pos, len) };
        if let Err(e) = encode(w, phys, out) {
            return Ok(Err(e));
        }
        file.publish(pos + len as u64);
        self.last_store_timestamp
            .store(store_timestamp, Ordering::Release);
        self.max_offset.store(phys + len as u64, Ordering::Release);
        Ok(Ok(Placement {
            phys_offset: phys,
            size: len as u32,
        }))
    }

    /// Appends raw bytes (a slave replicating the master) at `phys`, which must equal the
    /// current end — or, while the log holds no file at all, the start of a file: a new slave
    /// of a master with history begins at the master's last file, as in Java. The bytes must
    /// be whole records and blanks in file order.
    pub(crate) fn append_raw(&self, phys: u64, data: &[u8]) -> Result<(), StoreError> {
        let mut w = self.writer.lock();
        let empty = w.current.is_none() && self.files.last().is_none();
        if empty && phys != self.max_offset() && phys % self.file_size() == 0 {
            // Nothing stored yet: the log starts where the master's stream does.
            self.min_offset.store(phys, Ordering::Release);
            self.max_offset.store(phys, Ordering::Release);
            self.files.set_flushed_where(phys);
        }
        if phys != self.max_offset() {
            return Err(StoreError::InvalidArgument(format!(
                "raw append at {phys}, log ends at {}",
                self.max_offset()
            )));
        }
        let mut off = 0usize;
        while off < data.len() {
            let cur_end = self.max_offset();
            let file = match &w.current {
                Some(f) if !f.is_full() => f.clone(),
                _ => {
                    let start = cur_end.div_ceil(self.file_size()) * self.file_size();
                    let f = self.take_or_create(start)?;
                    w.current = Some(f.clone());
                    f
                }
            };
            let room = (file.size() - file.wrote_position()) as usize;
            let n = room.min(data.len() - off);
            self.allocate(&file, file.wrote_position() + n as u64)?;
            if !file.append(&data[off..off + n])? {
                return Err(StoreError::InvalidArgument("raw append overflow".into()));
            }
            off += n;
            self.max_offset.store(file.end_offset(), Ordering::Release);
        }
        Ok(())
    }

    /// Whole record bytes at `phys` of `size` (zero copy).
    pub(crate) fn read(&self, phys: u64, size: usize) -> Option<Bytes> {
        let f = self.files.find(phys)?;
        f.read(phys - f.start_offset(), size)
    }

    /// Raw bytes from `phys` to the end of its file's written data, at most `max` (for
    /// replication).
    pub(crate) fn read_raw(&self, phys: u64, max: usize) -> Option<Bytes> {
        let f = self.files.find(phys)?;
        let pos = phys - f.start_offset();
        let avail = f.wrote_position().checked_sub(pos)? as usize;
        if avail == 0 {
            return None;
        }
        f.read(pos, avail.min(max))
    }

    /// The record at `phys`, size read from its header.
    pub(crate) fn read_record(&self, phys: u64) -> Option<Bytes> {
        let f = self.files.find(phys)?;
        let pos = phys - f.start_offset();
        let head = f.slice(pos, 8)?;
        let total = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        if total <= 0
            || i32::from_be_bytes([head[4], head[5], head[6], head[7]]) == BLANK_MAGIC_CODE
        {
            return None;
        }
        f.read(pos, total as usize)
    }

    /// Store timestamp of the record at `phys` (for offset-by-time searches), or -1.
    pub(crate) fn store_timestamp_at(&self, phys: u64, size: usize) -> i64 {
        let Some(f) = self.files.find(phys) else {
            return -1;
        };
        let pos = phys - f.start_offset();
        let Some(rec) = f.slice(pos, size.max(64)) else {
            return -1;
        };
        let sys_flag = i32::from_be_bytes([rec[36], rec[37], rec[38], rec[39]]);
        let at = ferromq_protocol::message::record::store_timestamp_position(sys_flag);
        match rec.get(at..at + 8) {
            Some(b) => i64::from_be_bytes(b.try_into().unwrap_or([0; 8])),
            None => -1,
        }
    }

    /// Next file boundary after `phys` (skip a removed file).
    pub(crate) fn roll_next_file(&self, phys: u64) -> u64 {
        let fs = self.file_size();
        (phys - phys % fs).saturating_add(fs)
    }

    /// Whether walking the records from `from` (a record boundary, e.g. the dispatched
    /// offset) lands exactly on `target`, looking at no more than `max_span` bytes. Only
    /// record headers are read; end-of-file blanks lead to the next file.
    pub(crate) fn is_record_boundary(&self, from: u64, target: u64, max_span: u64) -> bool {
        if target < from || target - from > max_span || target >= self.max_offset() {
            return false;
        }
        let mut pos = from;
        while pos < target {
            let Some(f) = self.files.find(pos) else {
                return false;
            };
            let rel = (pos - f.start_offset()) as usize;
            let Some(buf) = f.slice(0, f.wrote_position() as usize) else {
                return false;
            };
            let Some((total, magic)) =
                ferromq_protocol::message::record::peek_header(&buf[rel.min(buf.len())..])
            else {
                return false;
            };
            if magic == BLANK_MAGIC_CODE {
                pos = f.start_offset() + f.size();
            } else if total > 0 && rel + total as usize <= buf.len() {
                pos += total as u64;
            } else {
                return false;
            }
        }
        pos == target
    }

    /// Whether the log may be cut at `offset`: the end, a file start, or the start of a record
    /// or of an end-of-file blank, found by walking the record headers of its file from the
    /// file's start.
    pub(crate) fn is_cut_point(&self, offset: u64) -> bool {
        let max = self.max_offset();
        if offset >= max {
            return offset == max;
        }
        let Some(f) = self.files.find(offset) else {
            return false;
        };
        offset == f.start_offset() || self.is_record_boundary(f.start_offset(), offset, f.size())
    }

    /// Store time of the last record ending at or before `offset` (a record boundary), from
    /// the file holding `offset - 1`; `None` if that file holds no record below `offset`.
    pub(crate) fn store_timestamp_before(&self, offset: u64) -> Option<i64> {
        let f = self.files.find(offset.checked_sub(1)?)?;
        let buf = f.slice(0, f.wrote_position() as usize)?;
        let limit = ((offset - f.start_offset()) as usize).min(buf.len());
        let mut pos = 0;
        let mut last = None;
        while pos < limit {
            match scan_record(buf, pos, false) {
                Scanned::Record(v) if pos + v.total_size() <= limit => {
                    last = Some(v.store_timestamp);
                    pos += v.total_size();
                }
                _ => break,
            }
        }
        last
    }

    /// The next queue offset of every queue with records in `[from, to)` (record
    /// boundaries): one past the highest queue offset found there, as recovery counts
    /// records it could not dispatch.
    pub(crate) fn next_queue_offsets(&self, from: u64, to: u64) -> HashMap<(String, i32), i64> {
        let mut out = HashMap::new();
        let mut pos = from;
        while pos < to {
            let Some(f) = self.files.find(pos) else {
                break;
            };
            let Some(buf) = f.slice(0, f.wrote_position() as usize) else {
                break;
            };
            match scan_record(buf, (pos - f.start_offset()) as usize, false) {
                Scanned::Record(v) => {
                    if is_dispatched_to_queue(v.sys_flag) && v.queue_offset >= 0 {
                        let topic = v.topic_str();
                        if check_queue(&topic, v.queue_id).is_ok() {
                            let next = out.entry((topic.into_owned(), v.queue_id)).or_insert(0);
                            *next = (*next).max(v.queue_offset.saturating_add(1));
                        }
                    }
                    pos += v.total_size() as u64;
                }
                Scanned::Blank => pos = f.start_offset() + f.size(),
                Scanned::End => break,
            }
        }
        out
    }

    /// Excludes truncations (held by [`crate::MessageStore::truncate_to`] throughout, and
    /// by retention around its deletions, which it skips if [`CommitLog::truncations`] moved
    /// since it planned them: a plan made for the old file list must not be applied to the
    /// new one).
    pub(crate) fn lock_truncation(&self) -> MutexGuard<'_, ()> {
        self.cut_lock.lock()
    }

    /// How many times the log was truncated while running.
    pub(crate) fn truncations(&self) -> u64 {
        self.cuts.load(Ordering::Acquire)
    }

    /// Cuts the log at `offset` (a record boundary below the end), under the writer role
    /// `w`: the end, the writer's file and the flushed offset move back to `offset`, later
    /// files are deleted and the cut file's old tail is zeroed (see [`MappedFileQueue::cut`]),
    /// and a prepared next file that no longer follows the last file is deleted. The caller
    /// re-seeds `w.queue_offsets`. Returns the bytes zeroed in the cut file.
    ///
    /// The in-memory cut always happens; an I/O error of the disk steps is returned after.
    pub(crate) fn truncate(&self, w: &mut Writer, offset: u64) -> Result<u64, StoreError> {
        let _g = self.prepare_gate.lock();
        self.cuts.fetch_add(1, Ordering::AcqRel);
        self.max_offset.store(offset, Ordering::Release);
        let result = self.files.cut(offset);
        w.current = self.files.last();
        let next_start = w.current.as_ref().map(|f| f.start_offset() + f.size());
        let stale = {
            let mut next = self.next_file.lock();
            match next.as_ref() {
                Some(f) if Some(f.start_offset()) != next_start => next.take(),
                _ => None,
            }
        };
        if let Some(f) = stale {
            if let Err(e) = self.files.fs().remove_file(f.path()) {
                tracing::warn!(file = %f.path().display(), error = %e, "deleting the prepared commitlog file failed");
            }
        }
        result
    }

    /// Deletes the oldest `n` files; returns them.
    pub(crate) fn remove_oldest(&self, n: usize) -> Vec<Arc<MappedFile>> {
        let gone = self.files.remove_first(n);
        let min = self.files.min_offset().max(
            gone.last()
                .map(|f| f.start_offset() + f.size())
                .unwrap_or(0),
        );
        self.min_offset.fetch_max(min, Ordering::AcqRel);
        gone
    }

    /// Flushes what is written (least pages 0 = all). Returns the durable offset.
    pub(crate) fn flush(&self, least_pages: u32) -> Result<u64, StoreError> {
        self.files.flush(least_pages)
    }

    /// The durable offset.
    pub(crate) fn flushed_offset(&self) -> u64 {
        self.files.flushed_where()
    }
}

fn write_blank(f: &MappedFile, pos: u64, remaining: u64) {
    let n = (END_FILE_MIN_BLANK_LENGTH as u64).min(remaining) as usize;
    let mut head = [0u8; END_FILE_MIN_BLANK_LENGTH];
    head[..4].copy_from_slice(&(remaining as i32).to_be_bytes());
    head[4..].copy_from_slice(&BLANK_MAGIC_CODE.to_be_bytes());
    // SAFETY: called with the writer role at the write position.
    unsafe { f.region_mut(pos, n) }.copy_from_slice(&head[..n]);
    f.publish(f.size());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::OsFs;
    use ferromq_protocol::message::record::{body_crc, RecordVersion};

    fn append(log: &CommitLog, body: &[u8]) -> u64 {
        let v = |phys: u64| RecordView {
            version: RecordVersion::V1,
            body_crc: body_crc(body),
            queue_id: 0,
            flag: 0,
            queue_offset: 0,
            physical_offset: phys as i64,
            sys_flag: 0,
            born_timestamp: 1,
            born_host: "127.0.0.1:1".parse().unwrap(),
            store_timestamp: 2,
            store_host: "127.0.0.1:2".parse().unwrap(),
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            body,
            topic: b"T",
            properties: b"",
        };
        let len = v(0).encoded_len();
        let mut w = log.lock_writer();
        let p = log
            .append_locked(&mut w, len, 2, |_, phys, out| {
                v(phys).encode_into(out).map(|_| ())
            })
            .unwrap()
            .unwrap();
        p.phys_offset
    }

    #[test]
    fn record_boundaries_are_found_by_walking_headers() {
        let dir = tempfile::tempdir().unwrap();
        let log = CommitLog::load(Arc::new(OsFs), dir.path(), 4096).unwrap();
        log.set_end(0).unwrap();
        let starts: Vec<u64> = (0..60).map(|i| append(&log, &[i as u8; 200])).collect();
        assert!(log.files().files().len() >= 3, "crosses end-of-file blanks");
        for &s in &starts {
            assert!(log.is_record_boundary(0, s, u64::MAX), "{s}");
            assert!(!log.is_record_boundary(0, s + 88, u64::MAX), "inside {s}");
        }
        let last = *starts.last().unwrap();
        assert!(log.is_record_boundary(starts[10], last, u64::MAX));
        assert!(!log.is_record_boundary(starts[10], last, last - starts[10] - 1));
        assert!(!log.is_record_boundary(last, starts[10], u64::MAX));
        assert!(!log.is_record_boundary(0, log.max_offset(), u64::MAX));
        assert_eq!(log.roll_next_file(u64::MAX), u64::MAX);
        assert_eq!(log.roll_next_file(5000), 8192);
    }
}
