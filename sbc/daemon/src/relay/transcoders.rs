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

use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::Instant;

use sbc_media::transcode_job::TranscodeJob;
use tracing::{debug, warn};

use super::worker::Worker;

/// Jobs a transcoding thread's queue holds. One job is one direction's packets (one, or
/// a few when the thread was behind), so this is directions waiting, not packets.
pub const QUEUE_DEPTH: usize = 256;

/// Where a finished job goes: its worker's return queue, and the waker of its loop.
#[derive(Debug)]
pub(super) struct Home {
    pub(super) tx: std_mpsc::Sender<Box<TranscodeJob>>,
    pub(super) waker: Arc<mio::Waker>,
}

type Task = (Arc<Home>, Box<TranscodeJob>);

/// A worker's end: the threads' queues, and its return queue.
#[derive(Debug)]
pub(super) struct Link {
    to: Arc<[std_mpsc::SyncSender<Task>]>,
    home: Arc<Home>,
    back: std_mpsc::Receiver<Box<TranscodeJob>>,
}

/// The transcoding threads.
#[derive(Debug)]
pub(super) struct Pool {
    to: Arc<[std_mpsc::SyncSender<Task>]>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `n` (at least one) transcoding threads, `SCHED_FIFO` at `priority` if given
    /// (else normal scheduling).
    pub(super) fn start(n: usize, priority: Option<u8>) -> std::io::Result<Pool> {
        let mut to = Vec::new();
        let mut threads = Vec::new();
        for i in 0..n.max(1) {
            let (tx, rx) = std_mpsc::sync_channel::<Task>(QUEUE_DEPTH);
            to.push(tx);
            let t = std::thread::Builder::new()
                .name(format!("sbc-transcode-{i}"))
                .spawn(move || run(i, rx, priority))?;
            threads.push(t);
        }
        Ok(Pool {
            to: to.into(),
            threads,
        })
    }

    /// A worker's link to the threads; `waker` wakes its loop.
    pub(super) fn link(&self, waker: Arc<mio::Waker>) -> Link {
        let (tx, back) = std_mpsc::channel();
        Link {
            to: self.to.clone(),
            home: Arc::new(Home { tx, waker }),
            back,
        }
    }

    /// Waits for the threads, once every worker (and so every queue's sender) is gone.
    pub(super) fn join(self) {
        drop(self.to);
        for t in self.threads {
            if t.join().is_err() {
                tracing::error!("a transcoding thread panicked");
            }
        }
    }
}

/// A transcoding thread: runs jobs until every sender is gone.
fn run(id: usize, rx: std_mpsc::Receiver<Task>, priority: Option<u8>) {
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
    // The workers to wake once the jobs queued now are done (one wake per worker and
    // batch, not per job: each wake is a syscall and a context switch). Sized for every
    // worker once; never grows past their number.
    let mut to_wake: Vec<Arc<Home>> = Vec::with_capacity(64);
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some((home, mut job)) = next {
            job.run();
            // The worker may be gone (shutdown): the job is moot then.
            if home.tx.send(job).is_ok() && !to_wake.iter().any(|h| Arc::ptr_eq(h, &home)) {
                to_wake.push(home);
            }
            next = rx.try_recv().ok();
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
        let Some(link) = &self.transcode else {
            return;
        };
        while let Ok(job) = link.back.try_recv() {
            self.shard.transcoded(now, job);
        }
        while let Some(job) = self.shard.poll_transcode() {
            let n = link.to.len();
            let which = super::shard_of(job.stream().call, n);
            let refused = match link.to[which].try_send((link.home.clone(), job)) {
                Ok(()) => continue,
                Err(std_mpsc::TrySendError::Full((_, job))) => job,
                Err(std_mpsc::TrySendError::Disconnected((_, job))) => job,
            };
            self.shard.transcode_refused(refused);
        }
    }
}
