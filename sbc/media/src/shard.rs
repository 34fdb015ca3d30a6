//! The engine of one media worker: its streams, the queues the IO layer and the control
//! plane drain, and its counters. The packet path is in [`pipeline`](crate::pipeline),
//! the timers in [`timer`](crate::timer), the control plane's ops in `ops` and `configure`.
//!
//! It only indexes preallocated state per packet: no allocation, no hashing, no lock.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Duration;

use sbc_core::{DropCounts, LatchReason, MediaEvent, StreamKey, StreamStats};

use crate::DropReason;
use crate::calls::Calls;
use crate::config::{Forwarder, ShardConfig};
use crate::offload::KernelRelay;
use crate::packet::Junk;
use crate::slots::Slots;
use crate::stream::{SocketId, Stream};
use crate::transmit::TxQueue;

/// What the IO layer must do with its sockets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IoOp {
    /// Bind a UDP socket on `local` and feed its datagrams in as `socket`. A failure goes
    /// back through [`Shard::bind_failed`].
    Bind { socket: SocketId, local: SocketAddr },
    /// Close `socket` (ignore it if it was never bound).
    Unbind { socket: SocketId },
    /// Hand the stream's RTP to the kernel fast path; a failure goes back through
    /// [`Shard::offload_failed`]. The sockets stay bound.
    Offload {
        stream: StreamKey,
        relay: KernelRelay,
    },
    /// Take the stream back from the kernel (remove the relay and its connection); comes
    /// before the `Unbind`s of a closing stream.
    Reclaim {
        stream: StreamKey,
        relay: KernelRelay,
        /// What prompted it, for the log.
        why: &'static str,
    },
}

/// What to do with a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send the `len` bytes at `start` of the buffer from `socket` to `to` (`start` is 0
    /// for [`Shard::handle_packet`]).
    Forward {
        socket: SocketId,
        to: SocketAddr,
        start: usize,
        len: usize,
    },
    /// Not sent (counted under the reason's [`DropKind`](sbc_core::DropKind)).
    Drop(DropReason),
}

/// Latches and counters of one stream, for the UI and the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamReport {
    pub forwarder: Forwarder,
    pub a: StreamStats,
    pub b: StreamStats,
    /// Where each side's relayed peer is, and why.
    pub latched: [Option<(SocketAddr, LatchReason)>; 2],
}

/// One media worker's engine.
#[derive(Debug)]
pub struct Shard {
    pub(crate) config: ShardConfig,
    pub(crate) streams: Slots,
    pub(crate) free: Vec<usize>,
    pub(crate) by_key: HashMap<StreamKey, usize>,
    pub(crate) calls: Calls,
    pub(crate) events: VecDeque<MediaEvent>,
    pub(crate) io: VecDeque<IoOp>,
    /// Datagrams on sockets of no stream.
    pub(crate) strays: u64,
    /// Every drop of this shard, per reason (streams' and strays', and emitted packets').
    pub(crate) drops: DropCounts,
    /// Packets of the engine's own, waiting for `poll_transmit`.
    pub(crate) tx: TxQueue,
    /// Slots of the streams with a transform installed (the timers to look at).
    pub(crate) timed: Vec<usize>,
    /// RTCP reports copied for a capture, and those a full queue dropped
    /// ([`quality::copy`](crate::quality::copy)).
    pub(crate) rtcp_copies: VecDeque<crate::quality::copy::RtcpCopy>,
    pub(crate) rtcp_copies_dropped: u64,
    /// Calls picked for RTP capture and the batch of copies ([`capture`](crate::capture)).
    pub(crate) capture: crate::capture::Capture,
}

impl Shard {
    pub fn new(config: ShardConfig) -> Self {
        let cap = config.capacity;
        Shard {
            calls: Calls::new(cap, config.inactivity, config.hold_inactivity),
            streams: Slots::with_capacity(cap),
            free: Vec::with_capacity(cap),
            by_key: HashMap::with_capacity(cap),
            events: VecDeque::with_capacity(64),
            io: VecDeque::with_capacity(64),
            strays: 0,
            drops: DropCounts::default(),
            tx: TxQueue::new(config.transmit_slots),
            timed: Vec::new(),
            rtcp_copies: VecDeque::with_capacity(config.rtcp_copies),
            rtcp_copies_dropped: 0,
            capture: crate::capture::Capture::default(),
            config,
        }
    }

    /// New timers (a config reload): the inactivity timers apply to calls opened from now
    /// on (calls in progress keep theirs), the latch window to each SDP from now on.
    pub fn set_timers(
        &mut self,
        inactivity: Duration,
        hold_inactivity: Duration,
        latch_window: Duration,
    ) {
        self.config.inactivity = inactivity;
        self.config.hold_inactivity = hold_inactivity;
        self.config.latch_window = latch_window;
        self.calls.set_timers(inactivity, hold_inactivity);
    }

    /// Counts a datagram the IO layer could not take whole (larger than its buffer).
    pub fn truncated(&mut self, socket: SocketId) {
        let (slot, ep) = socket.split();
        let kind = DropReason::Junk(Junk::Truncated).kind();
        self.drops.add(kind);
        match self.streams.get_mut(slot) {
            Some(Some(s)) => s.side_mut(ep.side).stats.drop(kind),
            _ => self.strays += 1,
        }
    }

    /// The next socket operation for the IO layer.
    pub fn poll_io(&mut self) -> Option<IoOp> {
        self.io.pop_front()
    }

    /// The next RTCP report copied for a capture (only with
    /// [`ShardConfig::rtcp_copies`] above 0).
    pub fn poll_rtcp_copy(&mut self) -> Option<crate::quality::copy::RtcpCopy> {
        self.rtcp_copies.pop_front()
    }

    /// RTCP copies dropped since the last call (the queue was full).
    pub fn take_rtcp_copies_dropped(&mut self) -> u64 {
        std::mem::take(&mut self.rtcp_copies_dropped)
    }

    /// The next event for the control plane.
    pub fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front().or_else(|| self.digit_event())
    }

    /// Counters and latches of a stream.
    pub fn stats(&self, key: StreamKey) -> Option<StreamReport> {
        let s = self.stream(key)?;
        let latched = |i: usize| {
            let side = &s.sides[i];
            side.target().and_then(|p| p.latched)
        };
        let [a, b] = crate::quality::assess(s);
        Some(StreamReport {
            forwarder: s.forwarder,
            a,
            b,
            latched: [latched(0), latched(1)],
        })
    }

    /// Whether the stream is relayed here or by the kernel.
    pub fn forwarder(&self, key: StreamKey) -> Option<Forwarder> {
        Some(self.stream(key)?.forwarder)
    }

    /// Streams open in this shard.
    pub fn streams(&self) -> usize {
        self.by_key.len()
    }

    /// Calls with at least one open stream in this shard.
    pub fn calls(&self) -> usize {
        self.calls.len()
    }

    /// Datagrams received on sockets that belong to no stream.
    pub fn strays(&self) -> u64 {
        self.strays
    }

    /// Every packet this shard did not send, per reason: what the streams' stats count,
    /// and what no stream can be charged with (strays, packets of its own).
    pub fn drops(&self) -> &DropCounts {
        &self.drops
    }

    pub(crate) fn stream(&self, key: StreamKey) -> Option<&Stream> {
        self.streams.get(*self.by_key.get(&key)?)?.as_ref()
    }
}
