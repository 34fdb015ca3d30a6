//! Transcoding threads: where the codec work of transcoded streams runs, so that a relay
//! worker never spends 20–200 µs decoding and encoding in its packet path (a relayed
//! packet costs about 2 µs; one transcoded direction at 20 ms costs 10–100 times that).
//!
//! The engine stays sans-IO ([`sbc_media::transcode_job`]): with
//! `ShardConfig::transcode_offload` on, a transcoding step copies each packet into its
//! direction's job and the shard hands the job out ([`Shard::poll_transcode`]). Each
//! worker, once per turn of its loop (after the packet path and its timers):
//!
//! 1. takes back the jobs its transcoding threads finished (its own return queue, which
//!    wakes it through the same waker as its ops) and hands them to the shard
//!    ([`Shard::transcoded`]): the step numbers the outputs and they leave with the
//!    worker's next `sendmmsg`;
//! 2. gives each job the shard hands out to a transcoding thread through that thread's
//!    bounded queue ([`QUEUE_DEPTH`]). A full queue does not block the worker: the job
//!    goes back to the shard unrun ([`Shard::transcode_refused`]) and its packets are
//!    counted as `transcode-queue` drops (the worker's drop counters, the metrics'
//!    `sbc_media_dropped_packets_total{reason="transcode-queue"}`).
//!
//! A direction has one job, at home or away: the codec state travels with it, so no
//! locks, and a direction's packets stay in order (the next job leaves when the last one
//! is back). A job goes to the thread its call hashes to.
//!
//! Scheduling: each thread sets its own policy at start, whatever it inherited. By
//! default normal scheduling: a `SCHED_FIFO` relay worker always preempts it, but on a
//! core shared with other work it gets only its fair share, and what it cannot finish in
//! time is lost (40–64 % of 300 Opus calls on a core shared with compilers; a nice value
//! does not help across sessions and cgroups). With `media.transcode_priority` it runs
//! `SCHED_FIFO` below the workers (validation refuses the same priority or above): a
//! worker still preempts it, nothing else does. Never at the workers' own priority: a
//! transcoder that inherited it lost 85 % of 300 Opus calls on one core in the benchmark
//! (same-priority FIFO threads never preempt each other, so a busy transcoder kept its
//! worker from receiving). The price of the realtime option: codecs that fall behind
//! hold their core but for the kernel's realtime throttling, the SIP core task included,
//! so `media.max_transcoded` must stay within what the cores carry (README, "Transcoded
//! sessions against rtpengine").
//!
//! `media.transcode_threads`
//! sets how many (default: one per core); `0` runs the codecs inline in the relay
//! workers, as before.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Instant;

use sbc_media::transcode_job::TranscodeJob;
use tracing::{debug, warn};

use super::worker::Worker;

/// Jobs a transcoding thread's queue holds. One job is one direction's packets (one, or
/// a few when the thread was behind), so this is directions waiting, not packets.
pub const QUEUE_DEPTH: usize = 256;

/// Locks `m`; a panic elsewhere while holding it leaves plain data (jobs), still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where a finished job goes: its worker's return queue, and the waker of its loop.
///
/// Both queues between a worker and a transcoding thread are a futex mutex around a deque,
/// never a spinning channel: the two threads often share a core at different priorities
/// (a `SCHED_FIFO` worker, a normally scheduled transcoder), and a worker spinning on a
/// queue slot or lock that a preempted transcoder holds never lets it run again, but for
/// the kernel's realtime throttling (measured with `std::sync::mpsc`: 50 ms stalls of
/// every stream of the worker). A contended futex puts the worker to sleep instead.
#[derive(Debug)]
// Boxed: the shard hands jobs out and takes them back as boxes, so they move between
// threads without copying their buffers.
#[allow(clippy::vec_box)]
pub(super) struct Home {
    done: Mutex<Vec<Box<TranscodeJob>>>,
    pub(super) waker: Arc<mio::Waker>,
}

type Task = (Arc<Home>, Box<TranscodeJob>);

/// A transcoding thread's bounded queue.
#[derive(Debug, Default)]
struct Inbox {
    state: Mutex<InboxState>,
    ready: Condvar,
}

#[derive(Debug, Default)]
struct InboxState {
    tasks: VecDeque<Task>,
    closed: bool,
}

impl Inbox {
    /// Queues `task`; gives it back when the queue is full or closed.
    fn push(&self, task: Task) -> Result<(), Task> {
        let mut state = lock(&self.state);
        if state.closed || state.tasks.len() >= QUEUE_DEPTH {
            return Err(task);
        }
        state.tasks.push_back(task);
        drop(state);
        self.ready.notify_one();
        Ok(())
    }

    /// Waits for tasks and moves all of them into `batch`; false once closed and empty.
    fn take(&self, batch: &mut VecDeque<Task>) -> bool {
        let mut state = lock(&self.state);
        while state.tasks.is_empty() {
            if state.closed {
                return false;
            }
            state = self
                .ready
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        std::mem::swap(&mut state.tasks, batch);
        true
    }

    fn close(&self) {
        lock(&self.state).closed = true;
        self.ready.notify_all();
    }
}

/// A worker's end: the threads' queues, and its return queue.
#[derive(Debug)]
// Boxed jobs, as in `Home`.
#[allow(clippy::vec_box)]
pub(super) struct Link {
    to: Arc<[Arc<Inbox>]>,
    home: Arc<Home>,
    /// The returned jobs being handed to the shard (swapped with the home's, so neither
    /// allocates once grown).
    returned: Vec<Box<TranscodeJob>>,
}

/// The transcoding threads.
#[derive(Debug)]
pub(super) struct Pool {
    to: Arc<[Arc<Inbox>]>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `n` (at least one) transcoding threads, `SCHED_FIFO` at `priority` if given
    /// (else normal scheduling).
    pub(super) fn start(n: usize, priority: Option<u8>) -> std::io::Result<Pool> {
        let mut to = Vec::new();
        let mut threads = Vec::new();
        for i in 0..n.max(1) {
            let inbox = Arc::new(Inbox::default());
            to.push(inbox.clone());
            let t = std::thread::Builder::new()
                .name(format!("sbc-transcode-{i}"))
                .spawn(move || run(i, &inbox, priority))?;
            threads.push(t);
        }
        Ok(Pool {
            to: to.into(),
            threads,
        })
    }

    /// A worker's link to the threads; `waker` wakes its loop.
    pub(super) fn link(&self, waker: Arc<mio::Waker>) -> Link {
        Link {
            to: self.to.clone(),
            home: Arc::new(Home {
                done: Mutex::new(Vec::with_capacity(QUEUE_DEPTH)),
                waker,
            }),
            returned: Vec::with_capacity(QUEUE_DEPTH),
        }
    }

    /// Stops the threads (what they hold is dropped) and waits for them, once every
    /// worker is gone.
    pub(super) fn join(self) {
        for inbox in self.to.iter() {
            inbox.close();
        }
        for t in self.threads {
            if t.join().is_err() {
                tracing::error!("a transcoding thread panicked");
            }
        }
    }
}

/// A transcoding thread: runs jobs until its queue is closed.
fn run(id: usize, inbox: &Inbox, priority: Option<u8>) {
    let set = match priority {
        Some(p) => super::sys::set_realtime(p),
        None => super::sys::set_normal(),
    };
    if let Err(e) = set {
        warn!(
            thread = id,
            ?priority,
            "transcoding thread: could not set its scheduling: {e}"
        );
    }
    debug!(thread = id, "transcoding thread started");
    // What was queued at once, run as one batch; each worker it came from is woken once
    // (a wake is a syscall and a context switch). Both sized once; never past their
    // bounds.
    let mut batch: VecDeque<Task> = VecDeque::with_capacity(QUEUE_DEPTH);
    let mut to_wake: Vec<Arc<Home>> = Vec::with_capacity(64);
    while inbox.take(&mut batch) {
        for (home, mut job) in batch.drain(..) {
            job.run();
            lock(&home.done).push(job);
            if !to_wake.iter().any(|h| Arc::ptr_eq(h, &home)) {
                to_wake.push(home);
            }
        }
        for home in to_wake.drain(..) {
            if let Err(e) = home.waker.wake() {
                warn!("transcoding thread: waking a media worker failed: {e}");
            }
        }
    }
    debug!(thread = id, "transcoding thread stopped");
}

impl Worker {
    /// Finished jobs back into the shard, new ones out to the threads (see the module
    /// docs). Nothing to do without a link.
    pub(super) fn transcoding(&mut self, now: Instant) {
        let Some(link) = &mut self.transcode else {
            return;
        };
        std::mem::swap(&mut *lock(&link.home.done), &mut link.returned);
        for job in link.returned.drain(..) {
            self.shard.transcoded(now, job);
        }
        while let Some(job) = self.shard.poll_transcode() {
            let n = link.to.len();
            let which = super::shard_of(job.stream().call, n);
            if let Err((_, refused)) = link.to[which].push((link.home.clone(), job)) {
                self.shard.transcode_refused(refused);
            }
        }
    }
}
