//! The media plane's IO: worker threads that own the RTP/RTCP sockets and relay packets
//! through the sans-IO engine of [`sbc_media`].
//!
//! # The API the control plane uses
//!
//! ```ignore
//! let (relay, mut events) = relay::start(RelayConfig::default())?; // once, in run.rs
//! let media: MediaHandle = relay.handle();   // cheap to clone; give one to the core
//! media.send(MediaOp::Open { .. });          // never blocks, never fails
//! // in the core's select loop:
//! ev = events.recv() => match ev { Some(MediaEvent::Inactive { call }) => .., .. }
//! relay.shutdown();                          // after the core stopped: joins the workers
//! ```
//!
//! * [`MediaHandle::send`] routes each [`MediaOp`] to the worker that owns its stream and
//!   wakes that worker; it returns at once (an unbounded queue: ops come at signalling
//!   rate, not packet rate). Ops of one call are applied in the order they were sent.
//! * [`MediaEvents`] is a tokio receiver of [`MediaEvent`]s from every worker:
//!   `Latched` (log it), `Inactive { call }` (end the call), `BindFailed { stream, .. }`
//!   (a port of `Open` could not be bound: the stream is already closed, fail the call),
//!   `Stats` (answer to `QueryStats`), `Closed` (final counters after `Close`).
//!   `MediaEvent` may grow: match with a `_ =>` arm.
//! * Optional ops: `ClockRate { stream, rate }` (from `a=rtpmap`; jitter assumes 8000 Hz
//!   until told), `Udptl { stream }` right after `Open` for a T.38 `m=image ... udptl`
//!   stream (relayed as datagrams, not parsed as RTP: without it, UDPTL is dropped as junk),
//!   `QueryStats { stream }`; `Srtp { stream, side, fork, keys }` (SDES keys of one leg;
//!   `keys: None` is plain RTP, keys are refused and logged until SRTP is implemented —
//!   they print redacted, see `sbc_core::SrtpKey`).
//! * Ports: the control plane allocates them from its port pools (`sbc-session`)
//!   before `Open` and releases them when it sends `Close` (the pool hands ports out least
//!   recently used first, so a port is not bound again while its old socket closes).
//!
//! # Threads and ownership
//!
//! `workers` threads (default: one per core), each owning one [`Shard`](sbc_media::Shard)
//! (a plain `&mut` engine, no locks) and the sockets of its streams. All streams of a call
//! go to the same worker (hash of the call id), so both legs' sockets of a stream are in
//! one shard (forwarding stays local) and the call's inactivity timer sees all its streams.
//! Each worker runs an epoll loop ([`worker`]): ops from its queue, batches of datagrams
//! with `recvmmsg`, the engine's verdicts sent with `sendmmsg` ([`batch`], [`sys`]).
//! The timers (`inactivity` 60 s, `hold_inactivity` 1 h, `latch_window` 3 s) and the
//! worker count come from `[media]` ([`RelayConfig::from_settings`]). On a reload
//! [`MediaHandle::set_timers`] hands the new timers to every worker: calls opened from then
//! on use them, calls in progress keep theirs; the worker count needs a restart.
//! `media.realtime_priority` ([`RelayConfig::realtime`]) runs the workers `SCHED_FIFO`: on
//! a host with other work it keeps packets from waiting for a CFS turn (the added latency's
//! p99 went from milliseconds to ~0.1 ms in scripts/bench/media).
//!
//! `media.kernel_forwarding` ([`RelayConfig::kernel_table`]) sets up the kernel media fast
//! path's nftables table at start (and IPv4 forwarding; both undone at shutdown) and gives
//! each worker a handle on it ([`kernel`]): the shards decide per stream who forwards
//! (`sbc_media::offload`), the workers install and remove the kernel relays and fold the
//! kernel's counters back into the streams' stats.
//!
//! Calls picked for RTP capture (`MediaOp::Capture { call, on, show_digits }`) have
//! their packets copied by the shard; each worker hands its batch to the core as
//! `MediaEvent::Captured` every time round its loop, within a budget of bytes in flight
//! ([`capture`]); the core releases each batch with [`MediaHandle::captured`].
//!
//! Transcoded streams' codec work runs on separate transcoding threads
//! ([`transcoders`], `media.transcode_threads`), handed off and taken back by the
//! workers through bounded queues, so that relaying never waits behind a codec.
//!
//! The developer binary `sbc-media-harness` (`src/bin/sbc-media-harness.rs`, not shipped)
//! runs the same workers driven by text ops on stdin: the lab test `tests/tests/media.rs`
//! and `scripts/bench/media` use it.

mod batch;
pub mod capture;
mod kernel;
mod sys;
#[cfg(feature = "transcoding")]
mod transcoders;
mod uring;
mod uring_loop;
mod worker;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_keys;
#[cfg(test)]
mod tests_transmit;
#[cfg(test)]
mod tests_uring;

use std::io;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use sbc_core::{MediaEvent, MediaOp, Pseudonyms};
use tokio::sync::mpsc;
use tracing::{error, warn};

/// The events of every worker, for the core's select loop.
pub type MediaEvents = mpsc::UnboundedReceiver<MediaEvent>;

/// How the relay runs.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Worker threads (at least 1). Default: the number of cores.
    pub workers: usize,
    /// An answered call with no RTP/RTCP on any stream for this long is reported
    /// [`MediaEvent::Inactive`].
    pub inactivity: Duration,
    /// The same while a side of the call does not send (hold, inactive).
    pub hold_inactivity: Duration,
    /// How long after an SDP (or the answer) a side may latch to where its packets come
    /// from. Outside it, packets from anywhere but the latched source are dropped.
    pub latch_window: Duration,
    /// Run the workers under `SCHED_FIFO` at this priority (1..=99); `None`: normal
    /// scheduling. On a host shared with other work this is what keeps the added latency's
    /// p99 near 100 µs instead of milliseconds (see scripts/bench/media).
    pub realtime: Option<u8>,
    /// The kernel media fast path's nftables table (`[media] kernel_forwarding`): streams
    /// that need no transformation are handed to nftables NAT + conntrack once latched
    /// ([`kernel`]). `None`: every stream is relayed by the workers.
    pub kernel_table: Option<String>,
    /// Where the fast path remembers the forwarding flag it switched on
    /// (`<state_dir>/fastpath-forwarding`), so a crash does not leave "on" for good.
    pub forwarding_memo: Option<std::path::PathBuf>,
    /// Pseudonyms for RTCP CNAMEs (a random key per run); the SDP side gets the same from
    /// [`MediaHandle::pseudonyms`].
    pub pseudonyms: Pseudonyms,
    /// Drive the sockets with io_uring (multishot receive into provided buffers, sends
    /// queued on the ring) instead of epoll + `recvmmsg`/`sendmmsg`; a worker whose ring
    /// cannot be set up (old kernel, seccomp) falls back to epoll.
    pub io_uring: bool,
    /// Threads the transcoding codecs run on ([`transcoders`]); 0: inline in the
    /// workers. Default: the number of cores.
    pub transcode_threads: usize,
    /// `SCHED_FIFO` priority of the transcoding threads (`media.transcode_priority`, below
    /// [`realtime`](Self::realtime)); `None`: normal scheduling.
    pub transcode_priority: Option<u8>,
    /// Where the workers publish their totals once a second (the metrics endpoint);
    /// `None`: they keep none.
    pub board: Option<Arc<crate::observe::media::MediaBoard>>,
    /// With `[hep]`: where the workers send copies of the RTCP reports they read.
    pub hep_rtcp: Option<crate::hep::rtcp::RtcpTx>,
}

impl Default for RelayConfig {
    fn default() -> Self {
        let shard = sbc_media::ShardConfig::default();
        RelayConfig {
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            inactivity: shard.inactivity,
            hold_inactivity: shard.hold_inactivity,
            latch_window: shard.latch_window,
            realtime: None,
            kernel_table: None,
            forwarding_memo: None,
            pseudonyms: Pseudonyms::new(random_key()),
            board: None,
            io_uring: false,
            transcode_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            transcode_priority: None,
            hep_rtcp: None,
        }
    }
}

impl RelayConfig {
    /// From the validated `[media]` section (absent `workers`: one per core).
    pub fn from_settings(m: &sbc_config::MediaSettings) -> Self {
        let mut c = RelayConfig::default();
        if let Some(w) = m.workers {
            c.workers = w;
        }
        c.inactivity = m.inactivity;
        c.hold_inactivity = m.hold_inactivity;
        c.latch_window = m.latch_window;
        c.realtime = m.realtime_priority;
        if let Some(t) = m.transcode_threads {
            c.transcode_threads = t;
        }
        c.transcode_priority = m.transcode_priority;
        c.io_uring = m.io == sbc_config::MediaIo::IoUring;
        c.kernel_table = m
            .kernel_forwarding
            .then(|| sbc_firewall::fastpath::DEFAULT_TABLE.to_owned());
        c
    }

    /// The file the fast path remembers the forwarding flag in (in the state directory).
    pub fn with_forwarding_memo(mut self, path: std::path::PathBuf) -> Self {
        self.forwarding_memo = Some(path);
        self
    }

    /// The fast path's table named after the firewall's (`<table>_fast`), when it is on.
    pub fn with_fast_path_table(mut self, table: String) -> Self {
        if self.kernel_table.is_some() {
            self.kernel_table = Some(table);
        }
        self
    }

    fn shard(&self) -> sbc_media::ShardConfig {
        sbc_media::ShardConfig {
            inactivity: self.inactivity,
            hold_inactivity: self.hold_inactivity,
            latch_window: self.latch_window,
            kernel_forwarding: self.kernel_table.is_some(),
            pseudonyms: self.pseudonyms,
            ntp: wall_clock(),
            transcode_offload: cfg!(feature = "transcoding") && self.transcode_threads > 0,
            rtcp_copies: if self.hep_rtcp.is_some() {
                crate::hep::rtcp::SHARD_COPIES
            } else {
                0
            },
            ..sbc_media::ShardConfig::default()
        }
    }
}

/// The wall clock now, for the NTP timestamps of the RTCP the engine writes for
/// transcoded legs (`None` on a clock before 1970).
fn wall_clock() -> Option<sbc_media::rtcp_gen::NtpAnchor> {
    let since_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(sbc_media::rtcp_gen::NtpAnchor::from_unix(
        std::time::Instant::now(),
        since_unix,
    ))
}

/// What a worker's queue carries.
#[derive(Debug)]
enum Command {
    Op(MediaOp),
    /// New timers (reload): inactivity, hold inactivity, latch window.
    Timers([Duration; 3]),
    Stop,
}

/// One worker's queue and the waker of its epoll loop.
#[derive(Debug)]
struct WorkerTx {
    queue: std_mpsc::Sender<Command>,
    waker: Arc<mio::Waker>,
}

impl WorkerTx {
    fn send(&self, cmd: Command) -> bool {
        if self.queue.send(cmd).is_err() {
            return false;
        }
        if let Err(e) = self.waker.wake() {
            warn!("media worker wake-up failed: {e}");
        }
        true
    }
}

/// The control plane's handle on the media plane: sends [`MediaOp`]s to the workers.
#[derive(Debug, Clone)]
pub struct MediaHandle {
    workers: Arc<[WorkerTx]>,
    pseudonyms: Pseudonyms,
    /// Captured bytes on their way from the workers ([`capture`]).
    capture: capture::CaptureBudget,
}

impl MediaHandle {
    /// The pseudonyms the workers give RTCP CNAMEs: SDP must use the same.
    pub fn pseudonyms(&self) -> Pseudonyms {
        self.pseudonyms
    }

    /// Hands `op` to the worker owning its stream. Never blocks. A worker that died (a
    /// bug: it would have logged its panic) loses the op, logged here.
    pub fn send(&self, op: MediaOp) {
        let call = match &op {
            MediaOp::Open { stream, .. }
            | MediaOp::Remote { stream, .. }
            | MediaOp::Answered { stream, .. }
            | MediaOp::Sending { stream, .. }
            | MediaOp::Close { stream }
            | MediaOp::ClockRate { stream, .. }
            | MediaOp::QueryStats { stream }
            | MediaOp::Udptl { stream }
            | MediaOp::Srtp { stream, .. }
            | MediaOp::Dtmf { stream, .. }
            | MediaOp::PlayDigit { stream, .. }
            | MediaOp::Transcode { stream, .. }
            | MediaOp::Ice { stream, .. } => stream.call,
            MediaOp::Capture { call, .. } => *call,
        };
        let worker = &self.workers[shard_of(call, self.workers.len())];
        if !worker.send(Command::Op(op)) {
            error!(call, "media worker is gone: op dropped");
        }
    }

    /// New timers for every worker (a reload): calls opened from now on use them.
    pub fn set_timers(&self, m: &sbc_config::MediaSettings) {
        for w in self.workers.iter() {
            w.send(Command::Timers([
                m.inactivity,
                m.hold_inactivity,
                m.latch_window,
            ]));
        }
    }

    /// The core took a batch of captured packets ([`MediaEvent::Captured`]): its bytes
    /// no longer count against the workers' budget.
    pub fn captured(&self, batch: &sbc_core::CaptureBatch) {
        self.capture.release(batch.data.len());
    }

    /// How many workers (shards) relay media.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }
}

/// The worker of a call: a mixed hash, so sequential call ids spread evenly.
fn shard_of(call: u64, workers: usize) -> usize {
    let h = call.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    // `workers >= 1` (start() guarantees it); the modulo keeps the index in range.
    ((h >> 32) as usize) % workers.max(1)
}

/// The running relay: its workers and their handle.
#[derive(Debug)]
pub struct Relay {
    handle: MediaHandle,
    threads: Vec<JoinHandle<()>>,
    /// The fast path's table (owner: removes it and restores forwarding at shutdown).
    kernel: Option<sbc_firewall::FastPath>,
    /// Each worker's heartbeat (for the systemd watchdog).
    beats: Vec<crate::liveness::Beat>,
    /// The transcoding threads (joined after the workers).
    #[cfg(feature = "transcoding")]
    transcoders: Option<transcoders::Pool>,
}

impl Relay {
    pub fn handle(&self) -> MediaHandle {
        self.handle.clone()
    }

    /// The workers' heartbeats: each ticks every time round its loop, at least once a
    /// second ([`crate::liveness`]).
    pub fn beats(&self) -> Vec<crate::liveness::Beat> {
        self.beats.clone()
    }

    /// Stops every worker (their sockets close) and waits for them.
    pub fn shutdown(self) {
        for w in self.handle.workers.iter() {
            w.send(Command::Stop);
        }
        for t in self.threads {
            if t.join().is_err() {
                error!("a media worker panicked");
            }
        }
        #[cfg(feature = "transcoding")]
        if let Some(pool) = self.transcoders {
            pool.join();
        }
        if let Some(k) = self.kernel {
            if let Err(e) = k.shutdown() {
                error!("kernel media fast path: removing its table failed: {e}");
            }
        }
    }
}

/// 128 random bits for the pseudonym key.
fn random_key() -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&crate::ids::random_u64().to_le_bytes());
    key[8..].copy_from_slice(&crate::ids::random_u64().to_le_bytes());
    key
}

/// Starts `config.workers` worker threads (at least one).
pub fn start(config: RelayConfig) -> io::Result<(Relay, MediaEvents)> {
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let mut workers = Vec::new();
    let mut threads = Vec::new();
    let mut beats = Vec::new();
    let budget = capture::CaptureBudget::default();
    let kernel = match &config.kernel_table {
        Some(table) => {
            let forwarding = sbc_firewall::Forwarding::Enable {
                memo: config.forwarding_memo.clone(),
            };
            Some(sbc_firewall::FastPath::setup(table, forwarding).map_err(io::Error::other)?)
        }
        None => None,
    };
    #[cfg(feature = "transcoding")]
    let pool = match config.transcode_threads {
        0 => None,
        n => Some(transcoders::Pool::start(n, config.transcode_priority)?),
    };
    for i in 0..config.workers.max(1) {
        let (queue, rx) = std_mpsc::channel();
        let mut w = worker::Worker::new(i, config.shard(), rx, events_tx.clone())?;
        w.realtime = config.realtime;
        w.want_uring = config.io_uring;
        w.hep_rtcp = config.hep_rtcp.clone();
        w.capture = budget.clone();
        w.tally = config
            .board
            .as_ref()
            .map(|b| crate::observe::media::MediaTally::new(i, b.clone()));
        beats.push(w.beat.clone());
        if let Some(k) = &kernel {
            let fast = sbc_firewall::FastPath::attach(k.table()).map_err(io::Error::other)?;
            w.kernel = Some(kernel::KernelPath::new(fast));
        }
        #[cfg(feature = "transcoding")]
        {
            w.transcode = pool.as_ref().map(|p| p.link(w.waker()));
        }
        workers.push(WorkerTx {
            queue,
            waker: w.waker(),
        });
        let t = std::thread::Builder::new()
            .name(format!("sbc-media-{i}"))
            .spawn(move || w.run())?;
        threads.push(t);
    }
    let handle = MediaHandle {
        workers: workers.into(),
        pseudonyms: config.pseudonyms,
        capture: budget,
    };
    Ok((
        Relay {
            handle,
            threads,
            kernel,
            beats,
            #[cfg(feature = "transcoding")]
            transcoders: pool,
        },
        events_rx,
    ))
}
