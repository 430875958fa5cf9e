//! [`IndexStore`]: the list of [`IndexFile`]s, fed by the dispatcher with the keys of every
//! message (`topic#UNIQ_KEY` and `topic#key` for each of `KEYS`), queried by key and time.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use ferromq_protocol::hash::index_key_hash;
use ferromq_protocol::message::sysflag::message as sysflag;
use parking_lot::RwLock;

use crate::error::StoreError;
use crate::index_file::IndexFile;
use crate::io::FileSystem;
use ferromq_protocol::time::now_ms as now_millis;

/// What the index needs from one dispatched record.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IndexRequest<'a> {
    pub topic: &'a str,
    pub phys_offset: i64,
    pub store_timestamp: i64,
    pub sys_flag: i32,
    /// `KEYS` (space separated), if any.
    pub keys: Option<&'a str>,
    /// `UNIQ_KEY`, if any.
    pub uniq_key: Option<&'a str>,
}

/// Formats a file name as Java does: local time `yyyyMMddHHmmssSSS`.
pub(crate) fn index_file_name(millis: i64) -> String {
    use chrono::{Local, TimeZone};
    match Local.timestamp_millis_opt(millis) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            t.format("%Y%m%d%H%M%S%3f").to_string()
        }
        chrono::LocalResult::None => format!("{millis:017}"),
    }
}

/// All index files, oldest first.
#[derive(Debug)]
pub(crate) struct IndexStore {
    dir: PathBuf,
    fs: Arc<dyn FileSystem>,
    slots: u32,
    entries: u32,
    files: RwLock<Vec<Arc<IndexFile>>>,
    /// Records at or below this physical offset are already indexed.
    indexed_through: AtomicI64,
    /// When creating a file last failed (ms, 0 = never): creation is not retried for every
    /// record while the disk is full, only once per [`CREATE_RETRY_MS`].
    create_failed_at: AtomicI64,
}

/// Pause after a failed index file creation before the next attempt.
const CREATE_RETRY_MS: i64 = 1000;

impl IndexStore {
    /// Opens the files in `dir`.
    pub(crate) fn load(
        fs: Arc<dyn FileSystem>,
        dir: &Path,
        slots: u32,
        entries: u32,
    ) -> Result<Self, StoreError> {
        fs.create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        let mut names: Vec<PathBuf> = fs
            .list_dir(dir)
            .map_err(|e| StoreError::io(dir, e))?
            .into_iter()
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.len() == 17 && n.bytes().all(|b| b.is_ascii_digit()))
            })
            .collect();
        names.sort();
        let size = crate::index_file::index_file_size(slots, entries);
        let mut files = Vec::new();
        for p in names {
            match fs.file_len(&p) {
                Ok(len) if len == size => files.push(IndexFile::open(
                    fs.as_ref(),
                    &p,
                    slots,
                    entries,
                    false,
                    None,
                )?),
                Ok(len) => {
                    tracing::warn!(file = %p.display(), len, "index file of unexpected size ignored");
                }
                Err(e) => return Err(StoreError::io(&p, e)),
            }
        }
        let through = files.last().map(|f| f.end_phys_offset()).unwrap_or(-1);
        Ok(IndexStore {
            dir: dir.to_path_buf(),
            fs,
            slots,
            entries,
            files: RwLock::new(files),
            indexed_through: AtomicI64::new(through),
            create_failed_at: AtomicI64::new(0),
        })
    }

    /// Re-index records from `phys` on (after a crash, or after the CommitLog was cut).
    pub(crate) fn reindex_from(&self, phys: i64) {
        let cur = self.indexed_through.load(Ordering::Acquire);
        self.indexed_through
            .store(cur.min(phys - 1), Ordering::Release);
    }

    /// The CommitLog was cut at `phys` while running: re-index from there, and lower the
    /// newest file's end offset (from which the next start resumes indexing) below it.
    /// Entries of the cut records stay; queries check each hit against the CommitLog.
    /// Only while the dispatcher, the single writer, is paused.
    pub(crate) fn truncate_to(&self, phys: i64) {
        self.reindex_from(phys);
        if let Some(f) = self.files.read().last() {
            f.lower_end_phys_offset(phys - 1);
        }
    }

    /// Store time of the newest indexed entry.
    pub(crate) fn last_timestamp(&self) -> i64 {
        self.files
            .read()
            .last()
            .map(|f| f.end_timestamp())
            .unwrap_or(0)
    }

    /// Indexes one record's keys. Records already indexed are skipped.
    pub(crate) fn build(&self, req: &IndexRequest<'_>) -> Result<(), StoreError> {
        if req.phys_offset <= self.indexed_through.load(Ordering::Acquire) {
            return Ok(());
        }
        if sysflag::transaction_value(req.sys_flag) == sysflag::TRANSACTION_ROLLBACK_TYPE {
            return Ok(());
        }
        let mut key = String::with_capacity(req.topic.len() + 40);
        if let Some(u) = req.uniq_key.filter(|u| !u.is_empty()) {
            self.put_key(&mut key, req, u)?;
        }
        if let Some(keys) = req.keys {
            for k in keys.split(' ').filter(|k| !k.is_empty()) {
                self.put_key(&mut key, req, k)?;
            }
        }
        self.indexed_through
            .store(req.phys_offset, Ordering::Release);
        Ok(())
    }

    fn put_key(&self, buf: &mut String, req: &IndexRequest<'_>, k: &str) -> Result<(), StoreError> {
        buf.clear();
        buf.push_str(req.topic);
        buf.push('#');
        buf.push_str(k);
        let h = index_key_hash(buf);
        for _ in 0..3 {
            let f = self.writable_file(req.store_timestamp)?;
            if f.put(h, req.phys_offset, req.store_timestamp)? {
                return Ok(());
            }
        }
        Err(StoreError::InvalidArgument(
            "index file full after roll".into(),
        ))
    }

    fn writable_file(&self, now_hint: i64) -> Result<Arc<IndexFile>, StoreError> {
        if let Some(f) = self.files.read().last() {
            if !f.is_full() {
                return Ok(f.clone());
            }
        }
        let now = now_millis();
        let failed_at = self.create_failed_at.load(Ordering::Acquire);
        if failed_at != 0 && now.saturating_sub(failed_at) < CREATE_RETRY_MS {
            return Err(StoreError::NotWriteable(
                "no writable index file: creating one failed less than a second ago".into(),
            ));
        }
        let mut files = self.files.write();
        let prev = files
            .last()
            .map(|f| (f.end_phys_offset(), f.end_timestamp()));
        let mut ms = now.max(now_hint);
        let mut path = self.dir.join(index_file_name(ms));
        while self.fs.exists(&path) || files.iter().any(|f| f.path() == path) {
            ms += 1;
            path = self.dir.join(index_file_name(ms));
        }
        let f = IndexFile::open(
            self.fs.as_ref(),
            &path,
            self.slots,
            self.entries,
            true,
            prev,
        )
        .inspect_err(|_| self.create_failed_at.store(now, Ordering::Release))?;
        self.create_failed_at.store(0, Ordering::Release);
        if let Some(full) = files.last() {
            // The full file will not change any more: make it durable now.
            if let Err(e) = full.flush() {
                tracing::warn!(file = %full.path().display(), error = %e, "flushing full index file failed");
            }
        }
        files.push(f.clone());
        tracing::info!(file = %path.display(), "index file created");
        Ok(f)
    }

    /// Physical offsets stored for `topic#key` in `[begin, end]`, newest first, at most `max`
    /// (duplicates from a rebuild removed).
    pub(crate) fn query(
        &self,
        topic: &str,
        key: &str,
        max: usize,
        begin: i64,
        end: i64,
    ) -> Vec<i64> {
        let full = format!("{topic}#{key}");
        let h = index_key_hash(&full);
        let files = self.files.read().clone();
        let mut out = Vec::new();
        for f in files.iter().rev() {
            if f.time_matched(begin, end) {
                f.select(h, max, begin, end, &mut out);
            }
            if f.begin_timestamp() < begin || out.len() >= max {
                break;
            }
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|p| seen.insert(*p));
        out
    }

    /// Deletes files (never the newest) whose entries all point below `min_phys`.
    pub(crate) fn delete_expired(&self, min_phys: i64) -> usize {
        let mut files = self.files.write();
        let mut n = 0;
        while files.len() > 1 && files[0].end_phys_offset() < min_phys {
            let f = files.remove(0);
            if let Err(e) = self.fs.remove_file(f.path()) {
                tracing::warn!(file = %f.path().display(), error = %e, "index delete failed");
            }
            tracing::info!(file = %f.path().display(), reason = "all entries below commitlog min offset", "index file deleted");
            n += 1;
        }
        n
    }

    /// Flushes every file; returns the newest indexed store time at the start of the flush.
    pub(crate) fn flush(&self) -> Result<i64, StoreError> {
        let files = self.files.read().clone();
        let ts = files.last().map(|f| f.end_timestamp()).unwrap_or(0);
        if let Some(f) = files.last() {
            f.flush()?;
        }
        Ok(ts)
    }

    /// Allocated but unwritten entry bytes of the newest file: reserve, not data.
    pub(crate) fn reserved_bytes(&self) -> u64 {
        self.files
            .read()
            .last()
            .map(|f| f.reserved_bytes())
            .unwrap_or(0)
    }

    /// Number of files.
    #[cfg(test)]
    pub(crate) fn file_count(&self) -> usize {
        self.files.read().len()
    }

    /// Deletes all index files.
    pub(crate) fn destroy(&self) -> Result<(), StoreError> {
        let mut files = self.files.write();
        for f in files.drain(..) {
            self.fs
                .remove_file(f.path())
                .map_err(|e| StoreError::io(f.path(), e))?;
        }
        self.indexed_through.store(-1, Ordering::Release);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::OsFs;

    #[test]
    fn rolls_and_queries_across_files() {
        let dir = tempfile::tempdir().unwrap();
        let idx = IndexStore::load(Arc::new(OsFs), dir.path(), 11, 4).unwrap();
        for i in 0..10i64 {
            idx.build(&IndexRequest {
                topic: "T",
                phys_offset: i * 100,
                store_timestamp: 1_000_000 + i * 1000,
                sys_flag: 0,
                keys: Some("a b"),
                uniq_key: Some(&format!("U{i}")),
            })
            .unwrap();
        }
        assert!(idx.file_count() >= 7, "3 keys per message, 3 per file");
        let a = idx.query("T", "a", 64, 0, i64::MAX);
        assert_eq!(a, (0..10).rev().map(|i| i * 100).collect::<Vec<_>>());
        assert_eq!(idx.query("T", "U3", 64, 0, i64::MAX), vec![300]);
        assert_eq!(idx.query("T", "a", 3, 0, i64::MAX).len(), 3);
        assert!(idx.query("X", "a", 64, 0, i64::MAX).is_empty());
        // Re-dispatch of an indexed record is a no-op.
        let before = idx.file_count();
        idx.build(&IndexRequest {
            topic: "T",
            phys_offset: 900,
            store_timestamp: 1,
            sys_flag: 0,
            keys: Some("a"),
            uniq_key: None,
        })
        .unwrap();
        assert_eq!(idx.file_count(), before);
        idx.flush().unwrap();
        drop(idx);
        let idx = IndexStore::load(Arc::new(OsFs), dir.path(), 11, 4).unwrap();
        assert_eq!(idx.query("T", "b", 64, 0, i64::MAX).len(), 10);
        assert!(idx.delete_expired(500) > 0);
        assert!(idx.query("T", "b", 64, 0, i64::MAX).len() < 10);
        assert_eq!(index_file_name(0).len(), 17);
    }
}
