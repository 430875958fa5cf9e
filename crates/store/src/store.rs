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

use ferromq_protocol::message::properties::{find_property, keys};
use ferromq_protocol::message::record::{
    body_crc, record_len, sys_flag_for_hosts, RecordVersion, RecordView,
};
use ferromq_protocol::message::sysflag::message as sysflag;
use parking_lot::{Condvar, Mutex};

use crate::checkpoint::Checkpoint;
use crate::commit_log::CommitLog;
use crate::config::{FlushDiskType, StoreConfig};
use crate::consume_queue_table::ConsumeQueueTable;
use crate::dispatch::{ArrivalListener, Dispatcher};
use crate::error::{PutMessageStatus, StoreError};
use crate::flush::{DurableHandle, GroupCommit, TimedFlush};
use crate::housekeeping::{
    flush_queues_and_checkpoint, housekeeping_loop, prepare_loop, retention_pass,
};
use crate::index::IndexStore;
use crate::io::{FileSystem, OsFs};
use crate::message::{AppendInfo, BatchToStore, MessageToStore, PutResult};
use crate::recovery::{recover, RecoveryContext, RecoveryReport};
use crate::retention;
use crate::stats::StoreStats;

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
    dispatcher_thread: OnceLock<Thread>,
    preparer_thread: OnceLock<Thread>,
    recovery: RecoveryReport,
    _lock: File,
    shut: AtomicBool,
}

pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
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
        if config.mapped_file_size_consume_queue % 20 != 0 {
            return Err(StoreError::InvalidArgument(
                "mapped_file_size_consume_queue must be a multiple of 20".into(),
            ));
        }
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
        store.check_disk();
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

    fn write_gate(&self) -> Option<PutMessageStatus> {
        if self.shared.stop.load(Ordering::Acquire) {
            return Some(PutMessageStatus::ServiceNotAvailable);
        }
        if self.shared.not_writeable.lock().is_some() {
            return Some(PutMessageStatus::ServiceNotAvailable);
        }
        if self.shared.disk_full.load(Ordering::Acquire) {
            return Some(PutMessageStatus::DiskFull);
        }
        None
    }

    /// Why writes are refused, if they are.
    pub fn not_writeable_reason(&self) -> Option<String> {
        if let Some(r) = self.shared.not_writeable.lock().clone() {
            return Some(r);
        }
        if self.shared.disk_full.load(Ordering::Acquire) {
            return Some("disk full".into());
        }
        self.shared
            .stop
            .load(Ordering::Acquire)
            .then(|| "shut down".into())
    }

    fn append_error(&self, e: StoreError) -> PutResult {
        self.shared
            .stats
            .put_failures
            .fetch_add(1, Ordering::Relaxed);
        let status = match &e {
            StoreError::DiskFull { .. } => PutMessageStatus::DiskFull,
            StoreError::InvalidArgument(_) => PutMessageStatus::MessageIllegal,
            _ => PutMessageStatus::CreateMappedFileFailed,
        };
        tracing::error!(error = %e, status = status.name(), "append failed");
        PutResult::failed(status)
    }

    fn durable(&self, end: u64, properties: &str) -> DurableHandle {
        match &self.shared.group_commit {
            Some(gc) => {
                let wait = find_property(properties, keys::WAIT_STORE_MSG_OK)
                    .map(|v| !v.eq_ignore_ascii_case("false"))
                    .unwrap_or(true);
                if wait {
                    gc.register(end)
                } else {
                    DurableHandle::ready(PutMessageStatus::PutOk)
                }
            }
            None => DurableHandle::ready(PutMessageStatus::PutOk),
        }
    }

    fn after_append(&self) {
        if let Some(t) = self.dispatcher_thread.get() {
            t.unpark();
        }
    }

    /// Appends one message. The store assigns the queue offset (none for PREPARED/ROLLBACK
    /// transaction halves), physical offset and store time. Await/wait `durable` for the
    /// final status under SYNC_FLUSH.
    pub fn put_message(&self, msg: &MessageToStore) -> PutResult {
        if let Some(s) = self.write_gate() {
            return PutResult::failed(s);
        }
        let cfg = &self.shared.config;
        if msg.body.len() > cfg.max_message_size
            || msg.topic.is_empty()
            || msg.topic.len() > i16::MAX as usize
            || msg.queue_id < 0
        {
            return PutResult::failed(PutMessageStatus::MessageIllegal);
        }
        if msg.properties.len() > i16::MAX as usize {
            return PutResult::failed(PutMessageStatus::PropertiesSizeExceeded);
        }
        let crc = body_crc(&msg.body);
        let version = RecordVersion::for_topic_len(msg.topic.len());
        let sys_flag = sys_flag_for_hosts(msg.sys_flag, &msg.born_host, &msg.store_host);
        let len = record_len(
            version,
            sys_flag,
            msg.body.len(),
            msg.topic.len(),
            msg.properties.len(),
        );
        let tx = sysflag::transaction_value(sys_flag);
        let takes_offset = !matches!(
            tx,
            sysflag::TRANSACTION_PREPARED_TYPE | sysflag::TRANSACTION_ROLLBACK_TYPE
        );

        let log = &self.shared.log;
        let (placement, queue_offset, store_ts) = {
            let mut w = log.lock_writer();
            let store_ts = now_millis();
            let queue_offset = if takes_offset {
                w.queue_offsets.next(&msg.topic, msg.queue_id)
            } else {
                0
            };
            let r = log.append_locked(&mut w, len, store_ts, |w, phys, out| {
                let rec = RecordView {
                    version,
                    body_crc: crc,
                    queue_id: msg.queue_id,
                    flag: msg.flag,
                    queue_offset,
                    physical_offset: phys as i64,
                    sys_flag,
                    born_timestamp: msg.born_timestamp,
                    born_host: msg.born_host,
                    store_timestamp: store_ts,
                    store_host: msg.store_host,
                    reconsume_times: msg.reconsume_times,
                    prepared_transaction_offset: msg.prepared_transaction_offset,
                    body: &msg.body,
                    topic: msg.topic.as_bytes(),
                    properties: msg.properties.as_bytes(),
                };
                rec.encode_into(out)?;
                if takes_offset {
                    w.queue_offsets.advance(&msg.topic, msg.queue_id, 1);
                }
                Ok::<(), ferromq_protocol::message::record::RecordError>(())
            });
            match r {
                Ok(Ok(p)) => (p, queue_offset, store_ts),
                Ok(Err(_)) => return PutResult::failed(PutMessageStatus::MessageIllegal),
                Err(e) => {
                    drop(w);
                    return self.append_error(e);
                }
            }
        };
        self.after_append();
        self.shared.stats.record_put(1, placement.size as u64);
        PutResult {
            status: PutMessageStatus::PutOk,
            append: Some(AppendInfo {
                phys_offset: placement.phys_offset as i64,
                wrote_bytes: placement.size,
                queue_offset,
                msg_count: 1,
                store_timestamp: store_ts,
                phys_offsets: vec![placement.phys_offset as i64],
            }),
            durable: self.durable(
                placement.phys_offset + placement.size as u64,
                &msg.properties,
            ),
        }
    }

    /// Appends a batch in one append: one record per message, consecutive queue offsets.
    /// Transactional or delayed batches are illegal (as in Java).
    pub fn put_batch(&self, batch: &BatchToStore) -> PutResult {
        if let Some(s) = self.write_gate() {
            return PutResult::failed(s);
        }
        let cfg = &self.shared.config;
        if batch.messages.is_empty()
            || batch.topic.is_empty()
            || batch.topic.len() > i16::MAX as usize
            || batch.queue_id < 0
            || sysflag::transaction_value(batch.sys_flag) != sysflag::TRANSACTION_NOT_TYPE
        {
            return PutResult::failed(PutMessageStatus::MessageIllegal);
        }
        let body_total: usize = batch
            .messages
            .iter()
            .map(|m| m.body.len() + m.properties.len() + 22)
            .sum();
        if body_total > cfg.max_message_size {
            return PutResult::failed(PutMessageStatus::MessageIllegal);
        }
        if batch
            .messages
            .iter()
            .any(|m| m.properties.len() > i16::MAX as usize)
        {
            return PutResult::failed(PutMessageStatus::PropertiesSizeExceeded);
        }
        let version = RecordVersion::for_topic_len(batch.topic.len());
        let sys_flag = sys_flag_for_hosts(batch.sys_flag, &batch.born_host, &batch.store_host);
        let lens: Vec<usize> = batch
            .messages
            .iter()
            .map(|m| {
                record_len(
                    version,
                    sys_flag,
                    m.body.len(),
                    batch.topic.len(),
                    m.properties.len(),
                )
            })
            .collect();
        let crcs: Vec<i32> = batch.messages.iter().map(|m| body_crc(&m.body)).collect();
        let total: usize = lens.iter().sum();
        let n = batch.messages.len();
        let log = &self.shared.log;
        let mut phys_offsets = Vec::with_capacity(n);
        let (placement, first_qo, store_ts) = {
            let mut w = log.lock_writer();
            let store_ts = now_millis();
            let first_qo = w.queue_offsets.next(&batch.topic, batch.queue_id);
            let r = log.append_locked(&mut w, total, store_ts, |w, phys, out| {
                let mut at = 0usize;
                for (i, m) in batch.messages.iter().enumerate() {
                    let rec = RecordView {
                        version,
                        body_crc: crcs[i],
                        queue_id: batch.queue_id,
                        flag: m.flag,
                        queue_offset: first_qo + i as i64,
                        physical_offset: (phys + at as u64) as i64,
                        sys_flag,
                        born_timestamp: batch.born_timestamp,
                        born_host: batch.born_host,
                        store_timestamp: store_ts,
                        store_host: batch.store_host,
                        reconsume_times: batch.reconsume_times,
                        prepared_transaction_offset: 0,
                        body: &m.body,
                        topic: batch.topic.as_bytes(),
                        properties: &m.properties,
                    };
                    phys_offsets.push((phys + at as u64) as i64);
                    at += rec.encode_into(&mut out[at..])?;
                }
                w.queue_offsets
                    .advance(&batch.topic, batch.queue_id, n as i64);
                Ok::<(), ferromq_protocol::message::record::RecordError>(())
            });
            match r {
                Ok(Ok(p)) => (p, first_qo, store_ts),
                Ok(Err(_)) => return PutResult::failed(PutMessageStatus::MessageIllegal),
                Err(e) => {
                    drop(w);
                    return self.append_error(e);
                }
            }
        };
        self.after_append();
        self.shared
            .stats
            .record_put(n as u64, placement.size as u64);
        let wait_props = batch
            .messages
            .first()
            .map(|m| String::from_utf8_lossy(&m.properties).into_owned())
            .unwrap_or_default();
        PutResult {
            status: PutMessageStatus::PutOk,
            append: Some(AppendInfo {
                phys_offset: placement.phys_offset as i64,
                wrote_bytes: placement.size,
                queue_offset: first_qo,
                msg_count: n as u32,
                store_timestamp: store_ts,
                phys_offsets,
            }),
            durable: self.durable(placement.phys_offset + placement.size as u64, &wait_props),
        }
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

    /// Blocks until the dispatcher has caught up with the CommitLog end (or `timeout`).
    pub fn wait_dispatched(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.shared.dispatcher.reput_offset() >= self.shared.log.max_offset() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            self.after_append();
            std::thread::sleep(Duration::from_micros(200));
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

    fn check_disk(&self) {
        let dir = self.shared.config.commit_log_dir();
        if let Ok(u) = self.shared.fs.disk_usage(&dir) {
            let full = retention::is_disk_full(&self.shared.config, u.used_ratio_percent());
            let was = self.shared.disk_full.swap(full, Ordering::AcqRel);
            if full != was {
                tracing::warn!(
                    used_percent = u.used_ratio_percent(),
                    full,
                    "disk full state changed"
                );
            }
        }
    }

    /// Flushes everything, writes the checkpoint, stops the threads and removes `abort`.
    pub fn shutdown(&self) -> Result<(), StoreError> {
        if self.shut.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        self.shared.stop.store(true, Ordering::Release);
        // Let the dispatcher finish what is written before stopping it.
        self.wait_dispatched(Duration::from_secs(30));
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
