//! One media worker thread: an epoll loop ([`mio::Poll`]) around one [`Shard`].
//!
//! The loop, until [`Command::Stop`] (or the handle is gone):
//!
//! 1. wait for readable sockets, the waker (ops queued), or the shard's next deadline;
//! 2. each readable socket: drain it in batches ([`batch`](super::batch)): each datagram
//!    through the packet path, then the packets the engine added behind it; a socket still
//!    readable after its turn (a flood) goes to a backlog served after the next wait, which
//!    then does not sleep;
//! 3. woken: apply every queued op, then do the shard's socket work (bind/unbind);
//! 4. transcoding jobs finished by the transcoding threads back into the shard
//!    ([`transcoders`](super::transcoders)), `handle_timeout(now)`, the codec work the
//!    packet path and the timers handed off out to the threads, send the packets of the engine's own it caused
//!    (`poll_transmit`), then pass every event to the core (and log it).
//!
//! Sockets live in a vector indexed by [`SocketId`]; the same index is the epoll token, so
//! a readiness event leads straight to the socket and the shard's stream slot.

use std::io;
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::Instant;

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token, Waker};
use sbc_core::MediaEvent;
use sbc_media::{IoOp, Shard, ShardConfig, SocketId};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use super::Command;
use super::batch::Batch;
use super::kernel::KernelPath;

/// The waker's token: above any socket id.
const WAKER: Token = Token(usize::MAX);

pub struct Worker {
    pub(super) id: usize,
    pub(super) shard: Shard,
    pub(super) poll: Poll,
    waker: Arc<Waker>,
    ops: std_mpsc::Receiver<Command>,
    events: mpsc::UnboundedSender<MediaEvent>,
    /// Indexed by socket id.
    pub(super) sockets: Vec<Option<UdpSocket>>,
    pub(super) batch: Batch,
    /// Datagrams the kernel refused to send (buffer full, unreachable).
    pub(super) send_errors: u64,
    /// Sockets left readable after their turn (flooded): served on the next round.
    pub(super) backlog: Vec<SocketId>,
    /// The backlog being served this round.
    serving: Vec<SocketId>,
    /// `SCHED_FIFO` priority for the thread, set when it starts.
    pub(super) realtime: Option<u8>,
    /// The kernel media fast path, when `[media] kernel_forwarding` is on.
    pub(super) kernel: Option<KernelPath>,
    /// Ticked every time round the loop (at least every [`BEAT`]): the systemd watchdog
    /// is petted only while every worker's beat is fresh.
    pub(super) beat: crate::liveness::Beat,
    /// Totals for the metrics endpoint (`[metrics]` configured).
    pub(super) tally: Option<crate::observe::media::MediaTally>,
    /// Drive the sockets through io_uring ([`uring`](super::uring)) instead of epoll,
    /// when the kernel allows it (`[media] io`).
    pub(super) want_uring: bool,
    /// The ring, set up when the thread starts (`None`: the epoll loop).
    pub(super) uring: Option<Box<super::uring::Uring>>,
    /// The transcoding threads, when the codecs do not run inline.
    #[cfg(feature = "transcoding")]
    pub(super) transcode: Option<super::transcoders::Link>,
    /// Where RTCP reports go for HEP (`[hep]` configured; the shard copies them then).
    pub(super) hep_rtcp: Option<crate::hep::rtcp::RtcpTx>,
    /// Bytes of captured packets on their way to the core ([`super::capture`]).
    pub(super) capture: super::capture::CaptureBudget,
}

/// The longest an idle worker sleeps, so that its beat shows it is alive.
pub(super) const BEAT: std::time::Duration = std::time::Duration::from_secs(1);

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("id", &self.id)
            .field("streams", &self.shard.streams())
            .finish_non_exhaustive()
    }
}

impl Worker {
    pub fn new(
        id: usize,
        config: ShardConfig,
        ops: std_mpsc::Receiver<Command>,
        events: mpsc::UnboundedSender<MediaEvent>,
    ) -> io::Result<Self> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        Ok(Worker {
            id,
            shard: Shard::new(config),
            poll,
            waker,
            ops,
            events,
            sockets: Vec::new(),
            batch: Batch::new(),
            send_errors: 0,
            backlog: Vec::with_capacity(64),
            serving: Vec::with_capacity(64),
            realtime: None,
            kernel: None,
            beat: crate::liveness::Beat::new(format!("media worker {id}")),
            tally: None,
            hep_rtcp: None,
            capture: super::capture::CaptureBudget::default(),
            want_uring: false,
            uring: None,
            #[cfg(feature = "transcoding")]
            transcode: None,
        })
    }

    pub fn waker(&self) -> Arc<Waker> {
        self.waker.clone()
    }

    /// The thread's body (see the module docs).
    pub fn run(mut self) {
        let mut ready = Events::with_capacity(1024);
        if let Some(priority) = self.realtime {
            match super::sys::set_realtime(priority) {
                Ok(()) => debug!(worker = self.id, priority, "media worker: SCHED_FIFO"),
                Err(e) => warn!(
                    worker = self.id,
                    "media worker: SCHED_FIFO {priority} refused ({e}); normal scheduling"
                ),
            }
        }
        debug!(worker = self.id, "media worker started");
        if self.want_uring {
            match super::uring::Uring::new(self.poll.as_raw_fd()) {
                Ok(u) => {
                    self.uring = Some(Box::new(u));
                    debug!(worker = self.id, "media worker: io_uring");
                    return self.run_uring();
                }
                Err(e) => warn!(
                    worker = self.id,
                    "media worker: io_uring refused ({e}); epoll instead"
                ),
            }
        }
        loop {
            let timeout = if self.backlog.is_empty() {
                let kernel = self.kernel.as_ref().and_then(KernelPath::poll_timeout);
                let due = match (self.shard.poll_timeout(), kernel) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                let due = due.map(|d| d.saturating_duration_since(Instant::now()));
                Some(due.map_or(BEAT, |d| d.min(BEAT)))
            } else {
                // Flooded sockets wait: only look for what else is ready.
                Some(std::time::Duration::ZERO)
            };
            if let Err(e) = self.poll.poll(&mut ready, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    warn!(worker = self.id, "media worker: epoll failed: {e}");
                }
                continue;
            }
            self.beat.tick();
            let now = Instant::now();
            let mut woken = false;
            for ev in ready.iter() {
                match ev.token() {
                    WAKER => woken = true,
                    Token(i) => self.read_socket(now, SocketId(i as u32)),
                }
            }
            std::mem::swap(&mut self.serving, &mut self.backlog);
            while let Some(socket) = self.serving.pop() {
                self.read_socket(now, socket);
            }
            // Handovers to the kernel decided by the packet path.
            self.socket_work(now);
            if woken && !self.take_ops(now) {
                break;
            }
            if let Some(k) = &mut self.kernel {
                k.poll(now, &mut self.shard);
            }
            self.timers(now);
            self.flush_events();
            if let Some(t) = &mut self.tally {
                t.publish(now, &self.shard);
            }
        }
        debug!(
            worker = self.id,
            send_errors = self.send_errors,
            strays = self.shard.strays(),
            drops = ?self.shard.drops(),
            "media worker stopped"
        );
    }

    /// Applies every queued op; `false` when the worker must stop.
    pub(super) fn take_ops(&mut self, now: Instant) -> bool {
        loop {
            match self.ops.try_recv() {
                Ok(Command::Op(op)) => {
                    if let Some(t) = &mut self.tally {
                        t.on_op(&op);
                    }
                    if let Err(e) = self.shard.apply(now, op) {
                        warn!(worker = self.id, "media op refused: {e}");
                    }
                    self.socket_work(now);
                }
                Ok(Command::Timers([inactivity, hold, latch_window])) => {
                    self.shard.set_timers(inactivity, hold, latch_window);
                }
                Ok(Command::Stop) | Err(std_mpsc::TryRecvError::Disconnected) => return false,
                Err(std_mpsc::TryRecvError::Empty) => return true,
            }
        }
    }

    /// Fires the shard's due timers and sends the packets of its own they (or the ops
    /// before them) caused.
    pub(super) fn timers(&mut self, now: Instant) {
        #[cfg(feature = "transcoding")]
        self.transcoding(now);
        self.shard.handle_timeout(now);
        // The packet path's and the timers' codec work out to the transcoding threads.
        #[cfg(feature = "transcoding")]
        self.transcoding(now);
        self.take_transmits();
        self.send_out();
    }

    /// Binds and unbinds what the shard asks for.
    pub(super) fn socket_work(&mut self, now: Instant) {
        while let Some(op) = self.shard.poll_io() {
            match op {
                IoOp::Bind { socket, local } => {
                    if let Err(e) = self.bind(socket, local) {
                        self.shard.bind_failed(socket, local, e.to_string());
                    }
                }
                IoOp::Unbind { socket } => {
                    if let Some(mut s) = self.sockets.get_mut(socket.index()).and_then(Option::take)
                    {
                        match &mut self.uring {
                            Some(u) => u.disarm(socket),
                            None => {
                                let _ = self.poll.registry().deregister(&mut s);
                            }
                        }
                    }
                }
                IoOp::Offload { stream, relay } => match &mut self.kernel {
                    Some(k) => k.offload(now, &mut self.shard, stream, &relay),
                    None => self.shard.offload_failed(stream),
                },
                IoOp::Reclaim { stream, why, .. } => {
                    if let Some(k) = &mut self.kernel {
                        k.reclaim(now, &mut self.shard, stream, why);
                    }
                }
            }
        }
    }

    fn bind(&mut self, socket: SocketId, local: SocketAddr) -> io::Result<()> {
        let std = StdUdpSocket::bind(local)?;
        std.set_nonblocking(true)?;
        let mut udp = UdpSocket::from_std(std);
        match &mut self.uring {
            Some(u) => u.arm(socket, udp.as_raw_fd())?,
            None => self.poll.registry().register(
                &mut udp,
                Token(socket.index()),
                Interest::READABLE,
            )?,
        }
        let i = socket.index();
        if self.sockets.len() <= i {
            self.sockets.resize_with(i + 1, || None);
        }
        self.sockets[i] = Some(udp);
        Ok(())
    }

    pub(super) fn flush_events(&mut self) {
        if let Some(hep) = &self.hep_rtcp {
            let (now, wall) = (Instant::now(), std::time::SystemTime::now());
            while let Some(copy) = self.shard.poll_rtcp_copy() {
                hep.send(copy, now, wall);
            }
            hep.dropped(self.shard.take_rtcp_copies_dropped());
        }
        if let Some(batch) = self.shard.poll_capture() {
            let _ = self
                .events
                .send(MediaEvent::Captured(self.capture.admit(batch)));
        }
        while let Some(ev) = self.shard.poll_event() {
            match &ev {
                MediaEvent::Latched {
                    stream,
                    side,
                    addr,
                    reason,
                } => info!(%stream, %side, %addr, ?reason, "media latched"),
                MediaEvent::Inactive { call } => info!(call, "media inactive"),
                MediaEvent::BindFailed {
                    stream,
                    local,
                    reason,
                } => warn!(%stream, %local, "media port not bound: {reason}"),
                MediaEvent::Closed { stream, a, b } => debug!(%stream, ?a, ?b, "media closed"),
                // The digit prints masked; the core logs it with the call's show_digits.
                MediaEvent::Digit { stream, digit } => debug!(
                    %stream,
                    from = %digit.from,
                    digit = %digit.digit,
                    delivery = digit.delivery.name(),
                    "media: DTMF digit heard"
                ),
                MediaEvent::Stats { .. } | MediaEvent::Captured(_) => {}
            }
            if let Some(t) = &mut self.tally {
                t.on_event(&ev);
            }
            // The core may be gone during shutdown; the event is moot then.
            let _ = self.events.send(ev);
        }
    }
}
