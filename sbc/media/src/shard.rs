//! The engine of one media worker: its streams, and the packet path.
//!
//! The packet path, [`Shard::handle_packet`], runs named phases over one datagram:
//!
//! 1. **demux** — the socket id gives the stream slot and the endpoint (side, RTP/RTCP);
//! 2. **parse** — RTP or RTCP header ([`packet`](mod@crate::packet)); anything else is junk;
//! 3. **latch** — is the source this side's peer (or confirmed as its new address)?
//! 4. **transform** — RTCP SDES hidden ([`sdes`](crate::sdes)); the seam for SRTP,
//!    transcoding and DTMF;
//! 5. **send** — which of the other side's sockets, to which address.
//!
//! It only indexes preallocated state: no allocation, no hashing, no lock.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sbc_core::{LatchReason, MediaEvent, StreamKey, StreamStats};

use crate::calls::Calls;
use crate::config::{Forwarder, ShardConfig};
use crate::offload::KernelRelay;
use crate::packet::{self, Junk, Packet};
use crate::side::Source;
use crate::stream::{Endpoint, SocketId, Stream, ix};

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
    /// Send the first `len` bytes of the buffer from `socket` to `to`.
    Forward {
        socket: SocketId,
        to: SocketAddr,
        len: usize,
    },
    Drop(DropReason),
}

/// Why a datagram was not relayed (each is counted in the side's [`StreamStats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The socket belongs to no stream (a late packet of a closed one).
    NoStream,
    Junk(Junk),
    /// From a source the side is not latched to and may not latch to now.
    Foreign,
    /// From a new source whose consistency is still being checked.
    Latching,
    /// From a fork that is not the one relayed.
    OtherFork,
    /// The other side has no address to send to yet (no SDP, or held).
    NoDestination,
    /// RTP of a stream the kernel forwards, still queued on the socket from before the
    /// handover. Relaying it would create a conntrack entry without NAT for the stream's
    /// tuple, which would pull the stream back to the sockets for good.
    Offloaded,
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
    pub(crate) streams: Vec<Option<Stream>>,
    pub(crate) free: Vec<usize>,
    pub(crate) by_key: HashMap<StreamKey, usize>,
    pub(crate) calls: Calls,
    pub(crate) events: VecDeque<MediaEvent>,
    pub(crate) io: VecDeque<IoOp>,
    /// Datagrams on sockets of no stream.
    pub(crate) strays: u64,
}

impl Shard {
    pub fn new(config: ShardConfig) -> Self {
        let cap = config.capacity;
        Shard {
            calls: Calls::new(cap, config.inactivity, config.hold_inactivity),
            config,
            streams: Vec::with_capacity(cap),
            free: Vec::with_capacity(cap),
            by_key: HashMap::with_capacity(cap),
            events: VecDeque::with_capacity(64),
            io: VecDeque::with_capacity(64),
            strays: 0,
        }
    }

    /// The packet path (see the module docs). `buf` is the datagram; a transform may
    /// rewrite it in place, so [`Verdict::Forward`] says how many bytes to send.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        socket: SocketId,
        from: SocketAddr,
        buf: &mut [u8],
    ) -> Verdict {
        // demux
        let (slot, ep) = socket.split();
        let Some(Some(stream)) = self.streams.get_mut(slot) else {
            self.strays += 1;
            return Verdict::Drop(DropReason::NoStream);
        };
        // parse
        let parsed = if stream.udptl {
            packet::parse_udptl(buf)
        } else {
            packet::parse(buf)
        };
        let packet = match parsed {
            Ok(p) => p,
            Err(junk) => {
                stream.side_mut(ep.side).stats.drop_junk();
                return Verdict::Drop(DropReason::Junk(junk));
            }
        };
        // latch
        let needed = self.config.latch_packets;
        let peer = match latch(stream, ep, from, &packet, now, needed, &mut self.events) {
            Ok(peer) => peer,
            Err(reason) => {
                let stats = &mut stream.side_mut(ep.side).stats;
                match reason {
                    DropReason::Foreign => stats.drop_foreign(),
                    _ => stats.drop_other(),
                }
                return Verdict::Drop(reason);
            }
        };
        if stream.forwarder == Forwarder::Kernel && !ep.rtcp {
            stream.side_mut(ep.side).stats.drop_other();
            return Verdict::Drop(DropReason::Offloaded);
        }
        let clock_rate = stream.clock_rate;
        let side = stream.side_mut(ep.side);
        if !side.relays(peer) {
            side.stats.drop_other();
            return Verdict::Drop(DropReason::OtherFork);
        }
        side.stats
            .count(buf.len(), matches!(packet, Packet::Rtcp { .. }));
        if let Packet::Rtp(h) = packet {
            side.stats.rtp(now, h.ssrc, h.seq, h.timestamp, clock_rate);
        }
        self.calls.activity(stream.call, now);
        // transform
        let Ok(len) = transform(&self.config, &packet, buf) else {
            stream.side_mut(ep.side).stats.drop_junk();
            return Verdict::Drop(DropReason::Junk(Junk::BadSdes));
        };
        // send
        match destination(stream, ep, &packet) {
            Some((socket, to)) => {
                if !ep.rtcp {
                    self.maybe_offload(slot, now);
                }
                Verdict::Forward { socket, to, len }
            }
            None => {
                stream.side_mut(ep.side).stats.drop_other();
                Verdict::Drop(DropReason::NoDestination)
            }
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
        match self.streams.get_mut(slot) {
            Some(Some(s)) => s.side_mut(ep.side).stats.drop_junk(),
            _ => self.strays += 1,
        }
    }

    /// The next socket operation for the IO layer.
    pub fn poll_io(&mut self) -> Option<IoOp> {
        self.io.pop_front()
    }

    /// The next event for the control plane.
    pub fn poll_event(&mut self) -> Option<MediaEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.calls.poll_timeout()
    }

    /// Fires what is due: [`MediaEvent::Inactive`] for calls silent too long.
    pub fn handle_timeout(&mut self, now: Instant) {
        let events = &mut self.events;
        self.calls
            .handle_timeout(now, |call| events.push_back(MediaEvent::Inactive { call }));
    }

    /// Counters and latches of a stream.
    pub fn stats(&self, key: StreamKey) -> Option<StreamReport> {
        let s = self.stream(key)?;
        let latched = |i: usize| {
            let side = &s.sides[i];
            side.target().and_then(|p| p.latched)
        };
        Some(StreamReport {
            forwarder: s.forwarder,
            a: s.sides[0].stats.snapshot(),
            b: s.sides[1].stats.snapshot(),
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

    pub(crate) fn stream(&self, key: StreamKey) -> Option<&Stream> {
        self.streams.get(*self.by_key.get(&key)?)?.as_ref()
    }
}

/// The latch phase: the index of the peer (of the endpoint's side) that sent `packet`.
fn latch(
    stream: &mut Stream,
    ep: Endpoint,
    from: SocketAddr,
    packet: &Packet,
    now: Instant,
    needed: u8,
    events: &mut VecDeque<MediaEvent>,
) -> Result<usize, DropReason> {
    let key = stream.key;
    let side = stream.side_mut(ep.side);
    match *packet {
        Packet::Rtcp { .. } => side.rtcp_source(from, !ep.rtcp).ok_or(DropReason::Foreign),
        Packet::Rtp(_) | Packet::Udptl { .. } if ep.rtcp => Err(DropReason::Foreign),
        Packet::Rtp(_) | Packet::Udptl { .. } => {
            let (ssrc, seq) = match *packet {
                Packet::Rtp(h) => (h.ssrc, h.seq),
                _ => (0, udptl_seq(packet)),
            };
            match side.rtp_source(now, from, ssrc, seq, needed) {
                Source::Peer(i, latched) => {
                    // Reported when it decides what the side relays: a fork that is not
                    // (and will not be) relayed keeps its latch as state, reported by the
                    // answer that makes it the relayed one (`ForkAnswered`).
                    let relayed = side.active.is_none_or(|a| a == i);
                    if let Some(reason) = latched.filter(|&r| relayed && side.report(from, r)) {
                        events.push_back(MediaEvent::Latched {
                            stream: key,
                            side: ep.side,
                            addr: from,
                            reason,
                        });
                    }
                    Ok(i)
                }
                Source::Pending => Err(DropReason::Latching),
                Source::Foreign => Err(DropReason::Foreign),
            }
        }
    }
}

fn udptl_seq(packet: &Packet) -> u16 {
    match *packet {
        Packet::Udptl { seq } => seq,
        _ => 0,
    }
}

/// The transform phase: rewrites the packet in place; returns its new length. RTCP source
/// descriptions get their CNAME replaced by its pseudonym and lose every other item
/// ([`sdes`](crate::sdes): topology hiding); RTP is relayed as it came (the seam for SRTP,
/// transcoding and DTMF interworking).
#[inline]
fn transform(
    config: &ShardConfig,
    packet: &Packet,
    buf: &mut [u8],
) -> Result<usize, crate::sdes::Malformed> {
    match packet {
        Packet::Rtcp { .. } => crate::sdes::scrub(buf, &config.pseudonyms),
        _ => Ok(buf.len()),
    }
}

/// The send phase: the other side's socket and peer address. RTCP goes over the RTP
/// socket to the RTP address when that peer muxes (RFC 5761), else over the RTCP socket.
fn destination(stream: &Stream, ep: Endpoint, packet: &Packet) -> Option<(SocketId, SocketAddr)> {
    let side = ep.side.other();
    let peer = stream.sides[ix(side)].target()?;
    let rtcp = matches!(packet, Packet::Rtcp { .. }) && !peer.rtcp_mux;
    let to = if rtcp {
        peer.rtcp_dest()?
    } else {
        peer.rtp_dest()?
    };
    Some((SocketId::new(stream.slot, Endpoint { side, rtcp }), to))
}
