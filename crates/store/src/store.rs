//! [`MessageStore`]: the facade the broker uses — open/recover/shutdown, puts, and (in
//! [`crate::read`]) reads and lookups. Background threads: the dispatcher, the CommitLog
//! flusher (group commit or timed), the file preparer (next file + pre-faulting), and
//! housekeeping (ConsumeQueue/index flush, checkpoint, retention, TPS sampling).

use std::fs::File;
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::checkpoint::Checkpoint;
use crate::commit_log::CommitLog;
use crate::config::{FlushDiskType, StoreConfig};
use crate::consume_queue_table::ConsumeQueueTable;
use crate::dispatch::{ArrivalListener, Dispatcher};
use crate::error::{PutMessageStatus, StoreError};
use crate::flush::{GroupCommit, TimedFlush};
use crate::housekeeping::{
    flush_queues_and_checkpoint, housekeeping_loop, prepare_loop, retention_pass,
};
use crate::index::IndexStore;
use crate::io::{FileSystem, OsFs};
use crate::recovery::{recover, RecoveryContext, RecoveryReport};
use crate::stats::StoreStats;

/// How long shutdown waits for a dispatcher that makes no progress.
const SHUTDOWN_DISPATCH_STALL: Duration = Duration::from_secs(1);
/// How long shutdown waits for the dispatcher in all.
const SHUTDOWN_DISPATCH_MAX: Duration = Duration::from_secs(30);

/// State shared with the background threads.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: StoreConfig,
    pub(crate) fs: Arc<dyn FileSystem>,
    pub(crate) log: CommitLog,
    pub(crate) cqs: Arc<ConsumeQueueTable>,
    pub(crate) index: Option<Arc<IndexStore>>,
    pub(crate) checkpoint: Checkpoint,
    pub(crate) dispatcher: Dispatcher,
    pub(crate) group_commit: Option<GroupCommit>,
    pub(crate) stats: StoreStats,
    pub(crate) stop: AtomicBool,
    /// Set when writes must stop (a failed flush): the reason.
    pub(crate) not_writeable: Mutex<Option<String>>,
    pub(crate) disk_full: AtomicBool,
    pub(crate) manual_delete: AtomicBool,
    sleep: (Mutex<()>, Condvar),
    pub(crate) total_memory: u64,
}

impl Shared {
    /// Sleeps up to `d`, returning early at shutdown.
    pub(crate) fn sleep(&self, d: Duration) {
        let mut g = self.sleep.0.lock();
        if !self.stop.load(Ordering::Acquire) {
            self.sleep.1.wait_for(&mut g, d);
        }
    }

    fn mark_flush_failed(&self, e: &StoreError) {
        self.stats.flush_failures.fetch_add(1, Ordering::Relaxed);
        let mut nw = self.not_writeable.lock();
        if nw.is_none() {
            tracing::error!(error = %e, "flush failed: the store refuses writes until restart");
            *nw = Some(format!("flush failed: {e}"));
        }
    }
}

/// The message store. Open it with [`MessageStore::open`]; close it with
/// [`MessageStore::shutdown`] (dropping without shutdown leaves the `abort` marker, and the
/// next open runs crash recovery).
#[derive(Debug)]
pub struct MessageStore {
    pub(crate) shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    pub(crate) dispatcher_thread: OnceLock<Thread>,
    preparer_thread: OnceLock<Thread>,
    recovery: RecoveryReport,
    _lock: File,
    shut: AtomicBool,
}

fn total_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages > 0 && size > 0 {
        pages as u64 * size as u64
    } else {
        8 << 30
    }
}

impl MessageStore {
    /// Opens the store on the real file system.
    pub fn open(config: StoreConfig) -> Result<Arc<Self>, StoreError> {
        Self::open_with(config, Arc::new(OsFs))
    }

    /// Opens the store: locks the directory, writes the `abort` marker, recovers (normally or
    /// after a crash), and starts the background threads.
    pub fn open_with(
        config: StoreConfig,
        fs: Arc<dyn FileSystem>,
    ) -> Result<Arc<Self>, StoreError> {
        check_config(&config)?;
        let root = config.store_path_root_dir.clone();
        fs.create_dir_all(&root)
            .map_err(|e| StoreError::io(&root, e))?;
        let lock = lock_dir(&config.lock_path())?;
        let abort = config.abort_path();
        let abnormal = fs.exists(&abort);
        fs.write(&abort, b"", true)
            .map_err(|e| StoreError::io(&abort, e))?;
        fs.sync_dir(&root).map_err(|e| StoreError::io(&root, e))?;

        let checkpoint = Checkpoint::open(fs.clone(), &config.checkpoint_path())?;
        let log = CommitLog::load(
            fs.clone(),
            &config.commit_log_dir(),
            config.mapped_file_size_commit_log,
        )?;
        let cqs = Arc::new(ConsumeQueueTable::load(
            fs.clone(),
            &config.consume_queue_dir(),
            config.mapped_file_size_consume_queue,
        )?);
        let index = if config.message_index_enable {
            Some(Arc::new(IndexStore::load(
                fs.clone(),
                &config.index_dir(),
                config.max_hash_slot_num,
                config.max_index_num,
            )?))
        } else {
            None
        };
        let dispatcher =
            Dispatcher::new(cqs.clone(), index.clone(), config.delay_levels_ms.clone());
        let report = recover(&RecoveryContext {
            log: &log,
            cqs: &cqs,
            index: index.as_ref(),
            checkpoint: &checkpoint,
            dispatcher: &dispatcher,
            check_crc: config.check_crc_on_recover,
            abnormal,
            max_record_size: config.max_message_size as u64 + 64 * 1024,
        })?;
        let group_commit = (config.flush_disk_type == FlushDiskType::SyncFlush)
            .then(|| GroupCommit::new(config.sync_flush_timeout));
        let shared = Arc::new(Shared {
            fs,
            log,
            cqs,
            index,
            checkpoint,
            dispatcher,
            group_commit,
            stats: StoreStats::default(),
            stop: AtomicBool::new(false),
            not_writeable: Mutex::new(None),
            disk_full: AtomicBool::new(false),
            manual_delete: AtomicBool::new(false),
            sleep: (Mutex::new(()), Condvar::new()),
            total_memory: total_memory(),
            config,
        });
        let store = Arc::new(MessageStore {
            shared,
            threads: Mutex::new(Vec::new()),
            dispatcher_thread: OnceLock::new(),
            preparer_thread: OnceLock::new(),
            recovery: report,
            _lock: lock,
            shut: AtomicBool::new(false),
        });
        crate::space::refresh_disk_full(&store.shared);
        store.start_threads()?;
        Ok(store)
    }

    fn spawn(&self, name: &str, f: impl FnOnce() + Send + 'static) -> Result<Thread, StoreError> {
        let h = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(f)
            .map_err(|e| StoreError::io(name, e))?;
        let t = h.thread().clone();
        self.threads.lock().push(h);
        Ok(t)
    }

    fn start_threads(&self) -> Result<(), StoreError> {
        let s = self.shared.clone();
        let t = self.spawn("ferromq-dispatch", move || {
            s.dispatcher.run(&s.log, &s.stop)
        })?;
        let _ = self.dispatcher_thread.set(t);

        let s = self.shared.clone();
        self.spawn("ferromq-flush", move || {
            let on_flushed = |ts: i64| {
                s.checkpoint
                    .physic_msg_timestamp
                    .store(ts, Ordering::Release)
            };
            let on_error = |e: &StoreError| s.mark_flush_failed(e);
            match &s.group_commit {
                Some(gc) => gc.run(&s.log, &s.stop, &on_flushed, &on_error),
                None => TimedFlush {
                    interval: s.config.flush_interval_commit_log,
                    least_pages: s.config.flush_commit_log_least_pages,
                    thorough_interval: s.config.flush_commit_log_thorough_interval,
                }
                .run(&s.log, &s.stop, &|d| s.sleep(d), &on_flushed, &on_error),
            }
        })?;

        let s = self.shared.clone();
        let t = self.spawn("ferromq-prepare", move || prepare_loop(&s))?;
        let _ = self.preparer_thread.set(t);

        let s = self.shared.clone();
        self.spawn("ferromq-housekeeping", move || housekeeping_loop(&s))?;
        Ok(())
    }

    /// The configuration in use.
    pub fn config(&self) -> &StoreConfig {
        &self.shared.config
    }

    /// What recovery did at open.
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.recovery
    }

    /// Registers the callback told about every message dispatched to a ConsumeQueue.
    pub fn set_arrival_listener(&self, listener: Option<ArrivalListener>) {
        self.shared.dispatcher.set_listener(listener);
    }

    /// Appends raw CommitLog bytes at `phys` (a slave copying its master). `phys` must be the
    /// current end; the dispatcher builds queues and index from them.
    pub fn append_raw(&self, phys: u64, data: &[u8]) -> Result<(), StoreError> {
        if let Some(r) = self.not_writeable_reason() {
            return Err(StoreError::NotWriteable(r));
        }
        self.shared.log.append_raw(phys, data)?;
        self.after_append();
        Ok(())
    }

    /// Flushes the CommitLog, queues and index now and writes the checkpoint.
    pub fn flush_all(&self) -> Result<(), StoreError> {
        flush_queues_and_checkpoint(&self.shared, true)
    }

    /// Blocks until the dispatcher has caught up with the CommitLog end, or with the confirm
    /// offset when one is set (see [`MessageStore::set_confirm_offset`]), or `timeout`.
    pub fn wait_dispatched(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.shared.dispatcher.caught_up(&self.shared.log) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            self.after_append();
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Limits what the dispatcher builds ConsumeQueue entries and index keys from (RocketMQ's
    /// confirm offset: a controller-mode master dispatches only what every in-sync replica
    /// holds). With `Some(x)`, only records starting below `x` are dispatched (a record
    /// starting below `x` is dispatched whole, as Java's reput does); the rest waits until the
    /// limit rises, which wakes the dispatcher at once. `None`, the default at open,
    /// dispatches everything. `Some(u64::MAX)` is the same as `None`.
    ///
    /// The limit lives in memory (and in the checkpoint's `confirmPhyOffset`, as Java keeps
    /// it) and does not survive a restart: recovery at the next open dispatches every record
    /// of the log. [`MessageStore::wait_dispatched`] and shutdown count the limit as the end.
    pub fn set_confirm_offset(&self, limit: Option<u64>) {
        let s = &self.shared;
        s.dispatcher.set_confirm_offset(limit);
        if let Some(x) = limit {
            s.checkpoint
                .confirm_phy_offset
                .store(i64::try_from(x).unwrap_or(i64::MAX), Ordering::Release);
        }
        self.after_append();
    }

    /// The dispatch limit set by [`MessageStore::set_confirm_offset`], if any.
    pub fn confirm_offset(&self) -> Option<u64> {
        self.shared.dispatcher.confirm_offset()
    }

    /// Waits for the dispatcher to reach the CommitLog end (or the confirm offset) as long
    /// as it moves: gives up after `stall` without progress, or after `max` in all. Returns
    /// whether it caught up.
    fn drain_dispatcher(&self, stall: Duration, max: Duration) -> bool {
        let start = Instant::now();
        let mut last = (self.shared.dispatcher.reput_offset(), Instant::now());
        loop {
            let reput = self.shared.dispatcher.reput_offset();
            if self.shared.dispatcher.caught_up(&self.shared.log) {
                return true;
            }
            let now = Instant::now();
            if reput != last.0 {
                last = (reput, now);
            }
            if now.duration_since(last.1) >= stall || now.duration_since(start) >= max {
                return false;
            }
            self.after_append();
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Asks retention to delete expired files on its next pass, whatever the hour.
    pub fn delete_expired_files_now(&self) {
        self.shared.manual_delete.store(true, Ordering::Release);
    }

    /// Runs one retention pass immediately (for tests and admin commands).
    pub fn run_retention(&self) {
        retention_pass(&self.shared);
    }

    /// Usage of the CommitLog's disk by data: space allocated ahead of writers and not
    /// written yet counts as free. The ratios the store acts on are
    /// computed from it. `None` if the file system cannot say.
    pub fn disk_usage(&self) -> Option<crate::io::DiskUsage> {
        crate::space::data_usage(&self.shared)
    }

    /// Whether writes are refused for lack of space (disk above
    /// `disk_space_warning_level_ratio`, or an allocation just failed with ENOSPC).
    pub fn is_disk_full(&self) -> bool {
        self.shared.disk_full.load(Ordering::Acquire)
    }

    /// Flushes everything, writes the checkpoint, stops the threads and removes `abort`.
    pub fn shutdown(&self) -> Result<(), StoreError> {
        if self.shut.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        self.shared.stop.store(true, Ordering::Release);
        // Let the dispatcher finish what is written before stopping it, but not wait on a
        // dispatcher that is stuck (a full disk): the next start dispatches what is left.
        if !self.drain_dispatcher(SHUTDOWN_DISPATCH_STALL, SHUTDOWN_DISPATCH_MAX) {
            tracing::warn!(
                dispatched = self.shared.dispatcher.reput_offset(),
                end = self.shared.log.max_offset(),
                "shutting down with undispatched records: recovery dispatches them at the next start"
            );
        }
        self.shared.sleep.1.notify_all();
        if let Some(gc) = &self.shared.group_commit {
            gc.wake();
        }
        if let Some(t) = self.dispatcher_thread.get() {
            t.unpark();
        }
        if let Some(t) = self.preparer_thread.get() {
            t.unpark();
        }
        for h in self.threads.lock().drain(..) {
            let _ = h.join();
        }
        if let Some(gc) = &self.shared.group_commit {
            gc.fail_all(PutMessageStatus::ServiceNotAvailable);
        }
        let s = &self.shared;
        s.log.flush(0)?;
        s.checkpoint
            .physic_msg_timestamp
            .store(s.log.last_store_timestamp(), Ordering::Release);
        flush_queues_and_checkpoint(s, true)?;
        if s.not_writeable.lock().is_none() {
            let abort = s.config.abort_path();
            s.fs.remove_file(&abort)
                .map_err(|e| StoreError::io(&abort, e))?;
            let root = &s.config.store_path_root_dir;
            s.fs.sync_dir(root).map_err(|e| StoreError::io(root, e))?;
        }
        tracing::info!("message store shut down");
        Ok(())
    }
}

impl Drop for MessageStore {
    fn drop(&mut self) {
        if !self.shut.load(Ordering::Acquire) {
            // Stop threads without the clean-shutdown steps: the abort marker stays.
            self.shared.stop.store(true, Ordering::Release);
            self.shared.sleep.1.notify_all();
            if let Some(gc) = &self.shared.group_commit {
                gc.wake();
            }
            for t in [self.dispatcher_thread.get(), self.preparer_thread.get()]
                .into_iter()
                .flatten()
            {
                t.unpark();
            }
            for h in self.threads.lock().drain(..) {
                let _ = h.join();
            }
        }
    }
}

/// Geometry the store divides by or builds files from: refused up front instead of failing
/// (or dividing by zero) later.
fn check_config(config: &StoreConfig) -> Result<(), StoreError> {
    let bad = |what: &str| Err(StoreError::InvalidArgument(what.into()));
    if config.mapped_file_size_consume_queue == 0 || config.mapped_file_size_consume_queue % 20 != 0
    {
        return bad("mapped_file_size_consume_queue must be a positive multiple of 20");
    }
    if config.mapped_file_size_commit_log < 4096 {
        return bad("mapped_file_size_commit_log must be at least 4096");
    }
    if config.message_index_enable && (config.max_hash_slot_num == 0 || config.max_index_num == 0) {
        return bad("max_hash_slot_num and max_index_num must be positive");
    }
    Ok(())
}

fn lock_dir(path: &std::path::Path) -> Result<File, StoreError> {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| StoreError::io(path, e))?;
    // SAFETY: flock on an owned descriptor.
    let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        return Err(StoreError::Locked(path.to_path_buf()));
    }
    Ok(f)
}
