//! The consume threads of a push consumer (Java's `consumeExecutor`, `consumeThreadMin` =
//! `consumeThreadMax` threads): a fixed set of long-lived OS threads taking jobs from one FIFO
//! channel.
//!
//! Listeners are blocking code, so they cannot run on the async runtime. Handing each call to
//! tokio's blocking pool cost more than the listener itself (a task, a wake-up of the pool and
//! a wake-up back to the runtime per call); here a hand-over is one channel send, and the
//! thread finishes the bookkeeping of a call (offset table, process queue) itself. Each thread
//! has the consumer's runtime entered, so jobs can spawn the rare asynchronous follow-ups
//! (send-back, delayed retries).
//!
//! (A mutex + condvar queue, whose idle threads sleep at once instead of spinning briefly,
//! measured 10–20 % more CPU per message: more threads go to sleep and need a wake-up.)

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;
use tokio::runtime::Handle;
use tokio_util::task::TaskTracker;

/// One unit of work: a listener call and its bookkeeping.
pub(crate) type Job = Box<dyn FnOnce() + Send + 'static>;

/// A fixed pool of consume threads.
pub(crate) struct ConsumeThreads {
    name: String,
    sender: Mutex<Option<Sender<Job>>>,
    receiver: Receiver<Job>,
    /// Set at shutdown: queued jobs are dropped instead of run.
    stopping: Arc<AtomicBool>,
    /// One token per live thread.
    live: TaskTracker,
    started: AtomicBool,
}

impl ConsumeThreads {
    /// A pool whose threads will be named `{name}_{n}`; jobs queue until
    /// [`ConsumeThreads::start`].
    pub(super) fn new(name: impl Into<String>) -> Self {
        let (sender, receiver) = crossbeam_channel::unbounded();
        ConsumeThreads {
            name: name.into(),
            sender: Mutex::new(Some(sender)),
            receiver,
            stopping: Arc::new(AtomicBool::new(false)),
            live: TaskTracker::new(),
            started: AtomicBool::new(false),
        }
    }

    /// Starts `threads` threads (at least one) with `runtime` entered; a second call does
    /// nothing.
    pub(super) fn start(&self, threads: usize, runtime: &Handle) -> std::io::Result<()> {
        if self.started.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        for n in 1..=threads.max(1) {
            let receiver = self.receiver.clone();
            let stopping = self.stopping.clone();
            let token = self.live.token();
            let runtime = runtime.clone();
            std::thread::Builder::new()
                .name(format!("{}_{n}", self.name))
                .spawn(move || {
                    let _runtime = runtime.enter();
                    let _live = token;
                    run(&receiver, &stopping);
                })?;
        }
        Ok(())
    }

    /// Queues `job` behind those already waiting; false (and the job is dropped) once the pool
    /// is shut down.
    pub(super) fn submit(&self, job: Job) -> bool {
        match &*self.sender.lock() {
            Some(sender) => sender.send(job).is_ok(),
            None => false,
        }
    }

    /// Stops taking jobs and drops the queued ones, then waits up to `timeout` for the jobs
    /// already running to finish. Returns whether every thread ended in time.
    pub(super) async fn shutdown(&self, timeout: Duration) -> bool {
        self.stopping.store(true, Ordering::SeqCst);
        // Dropping the only sender wakes every idle thread: the channel reports disconnected
        // once the queue is empty.
        drop(self.sender.lock().take());
        self.live.close();
        tokio::time::timeout(timeout, self.live.wait())
            .await
            .is_ok()
    }
}

/// A consume thread's loop: run jobs in arrival order until the channel is closed and empty.
fn run(receiver: &Receiver<Job>, stopping: &AtomicBool) {
    for job in receiver.iter() {
        if stopping.load(Ordering::SeqCst) {
            continue;
        }
        // Listener panics are caught by the jobs themselves; this keeps the thread alive if
        // the bookkeeping around them ever panics.
        if catch_unwind(AssertUnwindSafe(job)).is_err() {
            tracing::error!("a consume job panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn record(log: &Arc<Mutex<Vec<usize>>>, i: usize) -> Job {
        let log = log.clone();
        Box::new(move || log.lock().push(i))
    }

    #[tokio::test]
    async fn one_thread_runs_jobs_in_submission_order() {
        let pool = ConsumeThreads::new("t_order");
        let log = Arc::new(Mutex::new(Vec::new()));
        // Queued before start: they wait, then run in order.
        for i in 0..50 {
            assert!(pool.submit(record(&log, i)));
        }
        assert_eq!(pool.receiver.len(), 50);
        pool.start(1, &Handle::current()).unwrap();
        for i in 50..100 {
            assert!(pool.submit(record(&log, i)));
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while log.lock().len() < 100 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(*log.lock(), (0..100).collect::<Vec<_>>());
        assert!(pool.shutdown(Duration::from_secs(5)).await);
    }

    #[tokio::test]
    async fn runs_at_most_the_configured_number_of_jobs_at_once() {
        let pool = ConsumeThreads::new("t_width");
        pool.start(3, &Handle::current()).unwrap();
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        for _ in 0..30 {
            let (running, peak, done) = (running.clone(), peak.clone(), done.clone());
            pool.submit(Box::new(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(5));
                running.fetch_sub(1, Ordering::SeqCst);
                done.fetch_add(1, Ordering::SeqCst);
            }));
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while done.load(Ordering::SeqCst) < 30 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(done.load(Ordering::SeqCst), 30);
        assert_eq!(
            peak.load(Ordering::SeqCst),
            3,
            "all three threads were used, no more"
        );
        assert!(pool.shutdown(Duration::from_secs(5)).await);
    }

    #[tokio::test]
    async fn shutdown_waits_for_running_jobs_and_drops_queued_ones() {
        let pool = ConsumeThreads::new("t_stop");
        pool.start(1, &Handle::current()).unwrap();
        let (entered_tx, entered_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let finished = Arc::new(AtomicBool::new(false));
        let ran_queued = Arc::new(AtomicUsize::new(0));
        {
            let finished = finished.clone();
            pool.submit(Box::new(move || {
                entered_tx.send(()).unwrap();
                release_rx.recv().unwrap();
                finished.store(true, Ordering::SeqCst);
            }));
        }
        for _ in 0..5 {
            let ran = ran_queued.clone();
            pool.submit(Box::new(move || {
                ran.fetch_add(1, Ordering::SeqCst);
            }));
        }
        tokio::task::spawn_blocking(move || entered_rx.recv().unwrap())
            .await
            .unwrap();
        // The running job holds its thread: a short shutdown gives up waiting…
        assert!(!pool.shutdown(Duration::from_millis(100)).await);
        assert!(!finished.load(Ordering::SeqCst));
        assert!(!pool.submit(Box::new(|| {})), "no jobs after shutdown");
        // …and a longer one sees it finish; the queued jobs never ran.
        release_tx.send(()).unwrap();
        assert!(pool.shutdown(Duration::from_secs(5)).await);
        assert!(finished.load(Ordering::SeqCst));
        assert_eq!(ran_queued.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_panicking_job_does_not_kill_its_thread_and_jobs_can_spawn_tasks() {
        let pool = ConsumeThreads::new("t_panic");
        pool.start(1, &Handle::current()).unwrap();
        pool.submit(Box::new(|| panic!("listener bug")));
        let (tx, rx) = tokio::sync::oneshot::channel();
        pool.submit(Box::new(move || {
            // The runtime is entered on consume threads.
            tokio::spawn(async move {
                let _ = tx.send(7);
            });
        }));
        let got = tokio::time::timeout(Duration::from_secs(5), rx).await;
        assert_eq!(got.unwrap().unwrap(), 7);
        assert!(pool.shutdown(Duration::from_secs(5)).await);
    }
}
