//! Making the CommitLog durable: the [`DurableHandle`] a put returns, the group commit used
//! under SYNC_FLUSH (one fsync completes every waiting append) and the timed flush used under
//! ASYNC_FLUSH.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::commit_log::CommitLog;
use crate::error::{PutMessageStatus, StoreError};

#[derive(Debug)]
struct Waiter {
    target: u64,
    deadline: Instant,
    state: Mutex<WaiterState>,
    cv: Condvar,
}

#[derive(Debug, Default)]
struct WaiterState {
    outcome: Option<PutMessageStatus>,
    waker: Option<Waker>,
}

impl Waiter {
    fn complete(&self, status: PutMessageStatus) {
        let waker = {
            let mut s = self.state.lock();
            if s.outcome.is_some() {
                return;
            }
            s.outcome = Some(status);
            s.waker.take()
        };
        self.cv.notify_all();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// Completes when an append is durable. Block with [`DurableHandle::wait`] or `.await` it.
///
/// Outcomes: `PutOk` once fsynced, `FlushDiskTimeout` after `sync_flush_timeout` (the message
/// stays stored), `UnknownError` if the fsync failed (never reported as OK). Under
/// ASYNC_FLUSH, or when the producer set `WAIT=false`, it is ready at once.
#[derive(Debug, Clone)]
pub struct DurableHandle {
    inner: HandleInner,
}

#[derive(Debug, Clone)]
enum HandleInner {
    Ready(PutMessageStatus),
    Pending(Arc<Waiter>),
}

impl DurableHandle {
    /// A handle that is already complete.
    pub fn ready(status: PutMessageStatus) -> Self {
        DurableHandle {
            inner: HandleInner::Ready(status),
        }
    }

    /// The outcome if already known.
    pub fn try_status(&self) -> Option<PutMessageStatus> {
        match &self.inner {
            HandleInner::Ready(s) => Some(*s),
            HandleInner::Pending(w) => w.state.lock().outcome,
        }
    }

    /// Blocks until durable or timed out.
    pub fn wait(&self) -> PutMessageStatus {
        match &self.inner {
            HandleInner::Ready(s) => *s,
            HandleInner::Pending(w) => {
                let mut s = w.state.lock();
                loop {
                    if let Some(o) = s.outcome {
                        return o;
                    }
                    if w.cv.wait_until(&mut s, w.deadline).timed_out() {
                        return s.outcome.unwrap_or(PutMessageStatus::FlushDiskTimeout);
                    }
                }
            }
        }
    }
}

impl Future for DurableHandle {
    type Output = PutMessageStatus;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<PutMessageStatus> {
        match &self.inner {
            HandleInner::Ready(s) => Poll::Ready(*s),
            HandleInner::Pending(w) => {
                let mut s = w.state.lock();
                if let Some(o) = s.outcome {
                    return Poll::Ready(o);
                }
                if Instant::now() >= w.deadline {
                    return Poll::Ready(PutMessageStatus::FlushDiskTimeout);
                }
                // The flusher completes expired waiters on its next pass and wakes us.
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// The queue of appends waiting for an fsync.
#[derive(Debug)]
pub(crate) struct GroupCommit {
    pending: Mutex<Vec<Arc<Waiter>>>,
    cv: Condvar,
    timeout: Duration,
}

impl GroupCommit {
    /// Waiters time out after `timeout` (`syncFlushTimeout`).
    pub(crate) fn new(timeout: Duration) -> Self {
        GroupCommit {
            pending: Mutex::new(Vec::new()),
            cv: Condvar::new(),
            timeout,
        }
    }

    /// Registers an append ending at `target`; the flusher completes the handle.
    pub(crate) fn register(&self, target: u64) -> DurableHandle {
        let w = Arc::new(Waiter {
            target,
            deadline: Instant::now() + self.timeout,
            state: Mutex::new(WaiterState::default()),
            cv: Condvar::new(),
        });
        self.pending.lock().push(w.clone());
        self.cv.notify_one();
        DurableHandle {
            inner: HandleInner::Pending(w),
        }
    }

    /// Fails every pending waiter (shutdown).
    pub(crate) fn fail_all(&self, status: PutMessageStatus) {
        for w in self.pending.lock().drain(..) {
            w.complete(status);
        }
    }

    /// Wakes the flusher (shutdown).
    pub(crate) fn wake(&self) {
        self.cv.notify_all();
    }

    /// The group-commit loop: waits for requests, flushes everything written with one fsync
    /// per dirty file, and completes all requests it covers. `on_flushed(ts)` reports the
    /// store time now durable; `on_error` is told about failed flushes.
    pub(crate) fn run(
        &self,
        log: &CommitLog,
        stop: &AtomicBool,
        on_flushed: &dyn Fn(i64),
        on_error: &dyn Fn(&StoreError),
    ) {
        loop {
            let batch = {
                let mut p = self.pending.lock();
                while p.is_empty() && !stop.load(Ordering::Acquire) {
                    self.cv.wait_for(&mut p, Duration::from_millis(10));
                }
                std::mem::take(&mut *p)
            };
            if batch.is_empty() && stop.load(Ordering::Acquire) {
                return;
            }
            let ts = log.last_store_timestamp();
            let end = log.max_offset();
            match log.flush(0) {
                Ok(flushed) => {
                    if flushed >= end && ts > 0 {
                        on_flushed(ts);
                    }
                    let now = Instant::now();
                    let mut again = Vec::new();
                    for w in batch {
                        if w.target <= flushed {
                            w.complete(PutMessageStatus::PutOk);
                        } else if now >= w.deadline {
                            w.complete(PutMessageStatus::FlushDiskTimeout);
                        } else {
                            again.push(w);
                        }
                    }
                    if !again.is_empty() {
                        self.pending.lock().extend(again);
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "group commit flush failed");
                    on_error(&e);
                    for w in batch {
                        w.complete(PutMessageStatus::UnknownError);
                    }
                }
            }
        }
    }
}

/// Settings of the ASYNC_FLUSH loop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimedFlush {
    pub interval: Duration,
    pub least_pages: u32,
    pub thorough_interval: Duration,
}

impl TimedFlush {
    /// Flushes every `interval` when `least_pages` are dirty, and everything at least every
    /// `thorough_interval`; a final full flush happens at stop.
    pub(crate) fn run(
        &self,
        log: &CommitLog,
        stop: &AtomicBool,
        sleeper: &dyn Fn(Duration),
        on_flushed: &dyn Fn(i64),
        on_error: &dyn Fn(&StoreError),
    ) {
        let mut last_thorough = Instant::now();
        loop {
            let stopping = stop.load(Ordering::Acquire);
            if !stopping {
                sleeper(self.interval);
            }
            let thorough = stopping || last_thorough.elapsed() >= self.thorough_interval;
            if thorough {
                last_thorough = Instant::now();
            }
            let ts = log.last_store_timestamp();
            let end = log.max_offset();
            match log.flush(if thorough { 0 } else { self.least_pages }) {
                Ok(flushed) => {
                    if flushed >= end && ts > 0 {
                        on_flushed(ts);
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "commitlog flush failed");
                    on_error(&e);
                }
            }
            if stopping {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_times_out_and_completes() {
        let gc = GroupCommit::new(Duration::from_millis(20));
        let h = gc.register(10);
        assert_eq!(h.try_status(), None);
        assert_eq!(h.wait(), PutMessageStatus::FlushDiskTimeout);
        let h2 = gc.register(10);
        gc.fail_all(PutMessageStatus::UnknownError);
        assert_eq!(h2.wait(), PutMessageStatus::UnknownError);
        assert_eq!(
            DurableHandle::ready(PutMessageStatus::PutOk).wait(),
            PutMessageStatus::PutOk
        );
        let h3 = gc.register(1);
        gc.fail_all(PutMessageStatus::PutOk);
        assert_eq!(futures_lite_block_on(h3), PutMessageStatus::PutOk);
    }

    fn futures_lite_block_on<F: Future>(f: F) -> F::Output {
        use std::task::{RawWaker, RawWakerVTable};
        fn noop(_: *const ()) {}
        fn clone(p: *const ()) -> RawWaker {
            RawWaker::new(p, &VTABLE)
        }
        static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);
        // SAFETY: the vtable functions ignore the data pointer.
        let waker = unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) };
        let mut cx = Context::from_waker(&waker);
        let mut f = std::pin::pin!(f);
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}
