//! The dispatcher ("reput"): reads records from the CommitLog right after they are published
//! and writes their ConsumeQueue entry and index keys, then tells the broker a message
//! arrived (to wake long-polling pulls). Recovery replays records through the same code, so
//! ConsumeQueues and the index can always be rebuilt from the CommitLog.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferromq_protocol::hash::tag_code;
use ferromq_protocol::message::properties::keys;
use ferromq_protocol::message::record::{peek_header, RecordVersion, RecordView, BLANK_MAGIC_CODE};
use ferromq_protocol::message::sysflag::message as sysflag;
use parking_lot::{Mutex, MutexGuard, RwLock};

use crate::commit_log::{scan_record, CommitLog, Scanned};
use crate::consume_queue::CqEntry;
use crate::consume_queue_table::ConsumeQueueTable;
use crate::error::StoreError;
use crate::index::{IndexRequest, IndexStore};

/// The delay-level topic whose tag code is the delivery time.
pub(crate) const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";

/// A message became visible in a ConsumeQueue.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    pub topic: &'a str,
    pub queue_id: i32,
    /// Queue offset of this message.
    pub queue_offset: i64,
    /// Queue max offset now (next offset to be written).
    pub max_offset: i64,
    pub tag_code: i64,
    pub store_timestamp: i64,
    /// Encoded property string (for SQL92 filtering of held pulls).
    pub properties: &'a [u8],
}

/// Callback invoked after each ConsumeQueue dispatch. Keep it short: it runs on the
/// dispatcher thread.
pub type ArrivalListener = Arc<dyn Fn(&Arrival<'_>) + Send + Sync>;

/// The CQ tag code of a record: Java hash of `TAGS`, or for `SCHEDULE_TOPIC_XXXX` with a
/// `DELAY` level, the delivery time `store_timestamp + delay(level)`.
#[cfg(test)]
pub(crate) fn compute_tag_code(
    topic: &str,
    properties: &str,
    store_timestamp: i64,
    delay_levels_ms: &[u64],
) -> i64 {
    let p = DispatchProps::scan(properties);
    tag_code_of(topic, &p, store_timestamp, delay_levels_ms)
}

fn tag_code_of(
    topic: &str,
    p: &DispatchProps<'_>,
    store_timestamp: i64,
    delay_levels_ms: &[u64],
) -> i64 {
    if topic == SCHEDULE_TOPIC {
        if let Some(level) = p.delay.and_then(|l| l.trim().parse::<i32>().ok()) {
            let level = level.min(delay_levels_ms.len() as i32);
            if level > 0 {
                return store_timestamp
                    .saturating_add(delay_levels_ms[(level - 1) as usize] as i64);
            }
        }
    }
    tag_code(p.tags)
}

/// The properties the dispatcher needs, found in one pass.
///
/// A key may occur more than once: the Java broker stores every message of a batch with the
/// batch's own properties (`MSG_REGION`, `UNIQ_KEY`, `CLUSTER`, `WAIT`, `TRACE_ON`) appended
/// to the message's, so batch records carry two `UNIQ_KEY`s. Java parses properties into a
/// `HashMap` (`MessageDecoder.string2messageProperties`), so the **last** occurrence wins, for
/// the ConsumeQueue tag code, the index keys and the unique key alike; so does this scan.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct DispatchProps<'a> {
    pub(crate) tags: Option<&'a str>,
    pub(crate) keys: Option<&'a str>,
    pub(crate) uniq: Option<&'a str>,
    pub(crate) delay: Option<&'a str>,
}

impl<'a> DispatchProps<'a> {
    pub(crate) fn scan(props: &'a str) -> Self {
        let mut p = DispatchProps::default();
        for pair in props.split('\u{2}') {
            if let Some((k, v)) = pair.split_once('\u{1}') {
                let slot = match k {
                    keys::TAGS => &mut p.tags,
                    keys::KEYS => &mut p.keys,
                    keys::UNIQ_CLIENT_MESSAGE_ID_KEYIDX => &mut p.uniq,
                    keys::DELAY_TIME_LEVEL => &mut p.delay,
                    _ => continue,
                };
                *slot = Some(v);
            }
        }
        p
    }
}

fn text(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// Whether a record goes to its ConsumeQueue (not PREPARED/ROLLBACK transaction halves).
pub(crate) fn is_dispatched_to_queue(sys_flag: i32) -> bool {
    matches!(
        sysflag::transaction_value(sys_flag),
        sysflag::TRANSACTION_NOT_TYPE | sysflag::TRANSACTION_COMMIT_TYPE
    )
}

/// Writes CQ entries and index keys for records.
pub(crate) struct Dispatcher {
    cqs: Arc<ConsumeQueueTable>,
    index: Option<Arc<IndexStore>>,
    delay_levels_ms: Vec<u64>,
    listener: RwLock<Option<ArrivalListener>>,
    reput_offset: AtomicU64,
    last_store_timestamp: AtomicI64,
    /// Records skipped because they cannot be dispatched (see [`Dispatcher::dispatch`]).
    skipped: AtomicU64,
    /// Records whose index keys could not be written (the ConsumeQueue entry was).
    index_skipped: AtomicU64,
    /// Rounds that failed on a transient error (disk full, I/O) and were retried.
    retries: AtomicU64,
    skip_log: LogThrottle,
    index_log: LogThrottle,
    /// Set while the dispatcher thread is (about to be) parked: appenders unpark it only
    /// then, instead of paying a futex wake-up on every append.
    idle: AtomicBool,
    /// Held by the dispatcher thread while it reads and dispatches the records of one file,
    /// and by a truncation of the CommitLog for its whole length (see [`Dispatcher::pause`]).
    gate: Mutex<()>,
    /// Only records starting below this offset are dispatched ([`NO_CONFIRM_LIMIT`]: all).
    confirm_offset: AtomicU64,
}

/// The value of [`Dispatcher::confirm_offset`] when no limit is set.
const NO_CONFIRM_LIMIT: u64 = u64::MAX;

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("reput_offset", &self.reput_offset)
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// A dispatcher writing into `cqs` and, if given, the index.
    pub(crate) fn new(
        cqs: Arc<ConsumeQueueTable>,
        index: Option<Arc<IndexStore>>,
        delay_levels_ms: Vec<u64>,
    ) -> Self {
        Dispatcher {
            cqs,
            index,
            delay_levels_ms,
            listener: RwLock::new(None),
            reput_offset: AtomicU64::new(0),
            last_store_timestamp: AtomicI64::new(0),
            skipped: AtomicU64::new(0),
            index_skipped: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            skip_log: LogThrottle::default(),
            index_log: LogThrottle::default(),
            idle: AtomicBool::new(false),
            gate: Mutex::new(()),
            confirm_offset: AtomicU64::new(NO_CONFIRM_LIMIT),
        }
    }

    /// Stops the dispatcher thread between two files' worth of records until the guard is
    /// dropped: while it is held, the thread dispatches nothing and reads no CommitLog bytes.
    pub(crate) fn pause(&self) -> MutexGuard<'_, ()> {
        self.gate.lock()
    }

    /// Limits dispatching to records starting below `limit` (`None`: no limit). Whoever
    /// raises the limit wakes the dispatcher thread (it may be parked).
    pub(crate) fn set_confirm_offset(&self, limit: Option<u64>) {
        self.confirm_offset
            .store(limit.unwrap_or(NO_CONFIRM_LIMIT), Ordering::SeqCst);
    }

    /// The dispatch limit, if one is set.
    pub(crate) fn confirm_offset(&self) -> Option<u64> {
        let v = self.confirm_offset.load(Ordering::Acquire);
        (v != NO_CONFIRM_LIMIT).then_some(v)
    }

    /// Whether everything dispatchable is dispatched: the reput offset reached the end of the
    /// log or the confirm offset.
    pub(crate) fn caught_up(&self, log: &CommitLog) -> bool {
        let reput = self.reput_offset();
        reput >= log.max_offset() || reput >= self.confirm_offset.load(Ordering::SeqCst)
    }

    /// Lowers the store time of the last dispatched record to `ts` (the log was cut).
    pub(crate) fn lower_last_store_timestamp(&self, ts: i64) {
        self.last_store_timestamp.fetch_min(ts, Ordering::AcqRel);
    }

    /// Installs the arrival callback.
    pub(crate) fn set_listener(&self, l: Option<ArrivalListener>) {
        *self.listener.write() = l;
    }

    /// CommitLog offset up to which records are dispatched.
    pub(crate) fn reput_offset(&self) -> u64 {
        self.reput_offset.load(Ordering::Acquire)
    }

    /// Sets where dispatching continues (after recovery).
    pub(crate) fn set_reput_offset(&self, o: u64) {
        self.reput_offset.store(o, Ordering::Release);
    }

    /// Store time of the last dispatched record.
    pub(crate) fn last_store_timestamp(&self) -> i64 {
        self.last_store_timestamp.load(Ordering::Acquire)
    }

    /// Records skipped because they could not be dispatched, since start.
    pub(crate) fn skipped_count(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// Records left out of the index (their ConsumeQueue entry was written), since start.
    pub(crate) fn index_skipped_count(&self) -> u64 {
        self.index_skipped.load(Ordering::Relaxed)
    }

    /// Dispatch rounds retried after a transient failure, since start.
    pub(crate) fn retry_count(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Dispatches the record found at CommitLog offset `at`: its ConsumeQueue entry (unless
    /// it is a transaction half), its index keys, the arrival callback.
    ///
    /// Only a transient failure (disk full, an I/O error that may clear) is returned, and
    /// nothing of the record is lost by retrying it later. A record that cannot be dispatched
    /// because of what it contains (a topic that cannot name a queue, an impossible queue
    /// offset, a physical offset field that is not its position) would fail forever and stop
    /// every queue behind it: it is logged, counted and skipped. Index trouble never holds
    /// up the queues (Java likewise builds no index entry when it has no index file).
    pub(crate) fn dispatch(
        &self,
        v: &RecordView<'_>,
        at: u64,
        notify: bool,
    ) -> Result<(), StoreError> {
        match self.dispatch_record(v, at, notify) {
            Ok(()) => Ok(()),
            Err(e) if is_transient(&e) => Err(e),
            Err(e) => {
                let n = self.skipped.fetch_add(1, Ordering::Relaxed) + 1;
                if self.skip_log.allow() {
                    tracing::error!(
                        offset = at,
                        topic = %crate::queue_name::shorten(&text(v.topic)),
                        queue_id = v.queue_id,
                        error = %e,
                        skipped_total = n,
                        "record cannot be dispatched: skipped"
                    );
                }
                self.finish(v);
                Ok(())
            }
        }
    }

    fn dispatch_record(&self, v: &RecordView<'_>, at: u64, notify: bool) -> Result<(), StoreError> {
        if u64::try_from(v.physical_offset).ok() != Some(at) {
            return Err(StoreError::BadRecord {
                phys_offset: at as i64,
                reason: format!("its physical offset field says {}", v.physical_offset),
            });
        }
        let topic: Cow<'_, str> = text(v.topic);
        let props_text: Cow<'_, str> = text(v.properties);
        let props = DispatchProps::scan(&props_text);
        let size = v.total_size() as i32;
        if is_dispatched_to_queue(v.sys_flag) {
            let tag = tag_code_of(&topic, &props, v.store_timestamp, &self.delay_levels_ms);
            let cq = self.cqs.find_or_create(&topic, v.queue_id)?;
            cq.put(
                CqEntry {
                    phys_offset: v.physical_offset,
                    size,
                    tag_code: tag,
                },
                v.queue_offset,
            )?;
            if notify {
                if let Some(l) = self.listener.read().as_ref() {
                    l(&Arrival {
                        topic: &topic,
                        queue_id: v.queue_id,
                        queue_offset: v.queue_offset,
                        max_offset: cq.max_offset_in_queue(),
                        tag_code: tag,
                        store_timestamp: v.store_timestamp,
                        properties: v.properties,
                    });
                }
            }
        }
        if let Some(index) = &self.index {
            let req = IndexRequest {
                topic: &topic,
                phys_offset: v.physical_offset,
                store_timestamp: v.store_timestamp,
                sys_flag: v.sys_flag,
                keys: props.keys,
                uniq_key: props.uniq,
            };
            if let Err(e) = index.build(&req) {
                let n = self.index_skipped.fetch_add(1, Ordering::Relaxed) + 1;
                if self.index_log.allow() {
                    tracing::error!(offset = at, error = %e, skipped_total = n, "record left out of the index");
                }
            }
        }
        self.finish(v);
        Ok(())
    }

    fn finish(&self, v: &RecordView<'_>) {
        self.last_store_timestamp
            .store(v.store_timestamp, Ordering::Release);
    }

    fn catch_up_round(&self, log: &CommitLog) -> Result<Round, StoreError> {
        let mut n = 0;
        // Records starting at or past the confirm offset wait for it to rise (a record
        // starting below it is dispatched whole). Read once per round.
        let limit = self.confirm_offset.load(Ordering::SeqCst);
        loop {
            // One file's records at a time, so a truncation waits for at most that.
            let _gate = self.gate.lock();
            let reput = self.reput_offset();
            let max = log.max_offset();
            if reput >= max || reput >= limit {
                return Ok(Round::done(n));
            }
            let Some(file) = log.files().find(reput) else {
                // The file was deleted under us (retention): jump to the oldest file.
                let min = log.min_offset();
                if min > reput {
                    self.set_reput_offset(min);
                    continue;
                }
                return Ok(Round::done(n));
            };
            let pos = (reput - file.start_offset()) as usize;
            let wrote = file.wrote_position() as usize;
            let Some(buf) = file.slice(0, wrote) else {
                return Ok(Round::done(n));
            };
            let mut p = pos;
            while p < wrote {
                if file.start_offset() + p as u64 >= limit {
                    return Ok(Round::done(n));
                }
                match scan_record(buf, p, false) {
                    Scanned::Record(v) => {
                        self.dispatch(&v, file.start_offset() + p as u64, true)?;
                        p += v.total_size();
                        self.set_reput_offset(file.start_offset() + p as u64);
                        n += 1;
                    }
                    Scanned::Blank => {
                        p = wrote;
                        self.set_reput_offset(file.start_offset() + file.size());
                    }
                    Scanned::End if may_be_incomplete(&buf[p..], p as u64, file.size()) => {
                        // A raw append (replication) published the start of a record; the
                        // rest comes with the next append.
                        return Ok(Round {
                            dispatched: n,
                            waiting: true,
                        });
                    }
                    Scanned::End => {
                        // Published bytes that are no record (only raw appends can put them
                        // there): no record after them in this file can be found either.
                        // Skip to the published end (the next file once this one is full)
                        // rather than look at them forever.
                        let n = self.skipped.fetch_add(1, Ordering::Relaxed) + 1;
                        tracing::error!(
                            offset = file.start_offset() + p as u64,
                            skipped_to = file.start_offset() + wrote as u64,
                            skipped_total = n,
                            "undecodable bytes in the commitlog: skipped"
                        );
                        self.set_reput_offset(file.start_offset() + wrote as u64);
                        p = wrote;
                    }
                }
            }
        }
    }

    /// Whether an appender should unpark the dispatcher thread: true once per idle period.
    pub(crate) fn take_idle(&self) -> bool {
        self.idle.load(Ordering::Relaxed) && self.idle.swap(false, Ordering::SeqCst)
    }

    /// The dispatcher thread body. Under load it wakes itself every millisecond and catches
    /// up with everything appended meanwhile (as Java's reput service does), so appenders pay
    /// no wake-up per message; once it has found nothing for a whole period it announces
    /// itself idle and the next append wakes it at once (low latency for sparse traffic).
    pub(crate) fn run(&self, log: &CommitLog, stop: &AtomicBool) {
        let mut quiet_rounds = 0u32;
        let mut backoff = RETRY_MIN;
        loop {
            match self.catch_up_round(log) {
                Ok(Round {
                    dispatched: 0,
                    waiting: true,
                }) => {
                    // The rest of a record is still to come: look again shortly.
                    if stop.load(Ordering::Acquire) {
                        return;
                    }
                    std::thread::park_timeout(Duration::from_millis(1));
                }
                Ok(Round { dispatched: 0, .. }) => {
                    backoff = RETRY_MIN;
                    if stop.load(Ordering::Acquire) {
                        return;
                    }
                    quiet_rounds = quiet_rounds.saturating_add(1);
                    if quiet_rounds >= 2 {
                        // Announce idleness, then look once more: an append that raced with
                        // the announcement is either seen here or sees `idle` and unparks us.
                        self.idle.store(true, Ordering::SeqCst);
                        if !self.caught_up(log) {
                            self.idle.store(false, Ordering::SeqCst);
                            continue;
                        }
                    }
                    std::thread::park_timeout(Duration::from_millis(1));
                    self.idle.store(false, Ordering::SeqCst);
                }
                Ok(_) => {
                    quiet_rounds = 0;
                    backoff = RETRY_MIN;
                }
                Err(e) => {
                    let n = self.retries.fetch_add(1, Ordering::Relaxed) + 1;
                    if self.skip_log.allow() {
                        tracing::error!(error = %e, offset = self.reput_offset(), retries = n, "dispatch failed, retrying");
                    }
                    if stop.load(Ordering::Acquire) {
                        return;
                    }
                    // Parked, not slept: shutdown unparks us at once.
                    std::thread::park_timeout(backoff);
                    backoff = (backoff * 2).min(RETRY_MAX);
                }
            }
        }
    }
}

/// What one catch-up round of [`Dispatcher::run`] did.
#[derive(Debug, Clone, Copy)]
struct Round {
    dispatched: usize,
    /// Stopped at a record whose end is not published yet.
    waiting: bool,
}

impl Round {
    fn done(dispatched: usize) -> Self {
        Round {
            dispatched,
            waiting: false,
        }
    }
}

/// Whether `rest` (published bytes at offset `pos` of a file of `file_size` bytes) may be the
/// beginning of a record or blank whose end is not published yet: too short for a header, or
/// a header that is valid and reaches past `rest` but not past the file.
fn may_be_incomplete(rest: &[u8], pos: u64, file_size: u64) -> bool {
    let Some((total, magic)) = peek_header(rest) else {
        return true;
    };
    let known = RecordVersion::from_magic(magic).is_some() || magic == BLANK_MAGIC_CODE;
    known && total > 0 && total as usize > rest.len() && pos + total as u64 <= file_size
}

/// First and longest pause between retries of a failing dispatch.
const RETRY_MIN: Duration = Duration::from_millis(10);
const RETRY_MAX: Duration = Duration::from_secs(1);

/// Whether a dispatch failure may clear by itself (space freed, I/O recovered), so the record
/// must be retried rather than skipped.
fn is_transient(e: &StoreError) -> bool {
    match e {
        StoreError::DiskFull { .. } => true,
        StoreError::Io { source, .. } => matches!(
            source.raw_os_error(),
            Some(
                libc::EIO
                    | libc::ENOMEM
                    | libc::EMFILE
                    | libc::ENFILE
                    | libc::EAGAIN
                    | libc::EINTR
                    | libc::EBUSY
                    | libc::EROFS
            )
        ),
        _ => false,
    }
}

/// Lets a repeated error be logged at most once a second.
#[derive(Debug, Default)]
struct LogThrottle {
    last_ms: AtomicI64,
}

impl LogThrottle {
    fn allow(&self) -> bool {
        let now = ferromq_protocol::time::now_ms();
        let last = self.last_ms.load(Ordering::Relaxed);
        now.saturating_sub(last) >= 1000
            && self
                .last_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_codes() {
        let levels = crate::config::parse_delay_levels(crate::config::DEFAULT_MESSAGE_DELAY_LEVEL);
        assert_eq!(
            compute_tag_code("T", "TAGS\u{1}TagA\u{2}", 5, &levels),
            2598919
        );
        assert_eq!(compute_tag_code("T", "", 5, &levels), 0);
        assert_eq!(
            compute_tag_code(
                SCHEDULE_TOPIC,
                "DELAY\u{1}3\u{2}TAGS\u{1}x\u{2}",
                1000,
                &levels
            ),
            11_000
        );
        assert_eq!(
            compute_tag_code(SCHEDULE_TOPIC, "DELAY\u{1}99\u{2}", 0, &levels),
            7_200_000
        );
        // A Java batch record: the batch's properties follow the message's; the last wins.
        let batch_record = "TAGS\u{1}TagA\u{2}UNIQ_KEY\u{1}INNER\u{2}KEYS\u{1}a b\u{2}\
                            UNIQ_KEY\u{1}OUTER\u{2}TAGS\u{1}TagB\u{2}";
        let p = DispatchProps::scan(batch_record);
        assert_eq!(p.uniq, Some("OUTER"));
        assert_eq!(p.keys, Some("a b"));
        assert_eq!(
            compute_tag_code("T", batch_record, 0, &levels),
            ferromq_protocol::hash::tag_code(Some("TagB"))
        );
        assert!(!is_dispatched_to_queue(sysflag::TRANSACTION_PREPARED_TYPE));
        assert!(!is_dispatched_to_queue(sysflag::TRANSACTION_ROLLBACK_TYPE));
        assert!(is_dispatched_to_queue(
            sysflag::TRANSACTION_COMMIT_TYPE | sysflag::COMPRESSED
        ));
    }
}
