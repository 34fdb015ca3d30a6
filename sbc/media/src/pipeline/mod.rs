//! The packet path: named phases over a per-packet context.
//!
//! [`Shard::handle_datagram`] runs one received datagram through, in this order:
//!
//! | phase | decides | file |
//! |---|---|---|
//! | demux | the stream (socket id -> slot, endpoint) and the class of datagram (RFC 7983: STUN answered on ICE sides, `../ice.rs`; DTLS, ... dropped, counted) | `demux.rs` |
//! | parse | RTP/RTCP (or UDPTL) header fields, else junk | `parse.rs` |
//! | unprotect | SRTP/SRTCP with the sending peer's context (none today: pass-through) | `unprotect.rs` |
//! | latch | which peer sent it, learning a new source within the latch window; is it relayed (fork, kernel) | `latch.rs` |
//! | (quality) | an accepted RTCP packet read for call quality ([`crate::quality`]) | `quality/` |
//! | transform | SDES scrub, the receiving side's transform (1 -> 0, 1 -> 1, 1 -> n), payload-type map, SSRC/seq/ts rewrite | `transform.rs` |
//! | protect | SRTP/SRTCP with the receiving side's context (none today: pass-through) | `protect.rs` |
//! | send | which socket, which address | `send.rs` |
//!
//! Unprotect comes before latch, so a latch is only ever learned from a packet that
//! authenticated. Each phase either lets the packet on or ends it with a [`DropReason`];
//! the driver counts every drop once, per reason. The per-packet context is what parse
//! learnt (`PacketCtx`: time, source, ingress endpoint, header fields) and the packet's
//! bytes: the datagram in a [`PacketBuf`] with headroom and tailroom, rewritten in place
//! ([`Verdict::Forward`] says where its bytes are now). The two travel side by side, so
//! the context stays in registers (measured: 20 instructions a packet less than one struct). Packets a transform adds (1 -> n) or emits on its own
//! clock wait in the shard's queue for [`Shard::poll_transmit`], which runs them through
//! the egress half (protect, send) into the caller's buffer.
//!
//! Nothing here allocates, hashes or locks: the stream is an index into the slab, every
//! buffer is the caller's or preallocated.

mod demux;
mod emitted;
mod latch;
mod parse;
mod protect;
mod send;
mod transform;
mod unprotect;

use std::net::SocketAddr;
use std::time::Instant;

use crate::packet::Packet;
use crate::shard::{Shard, Verdict};
use crate::stream::{Endpoint, SocketId};
use crate::{DropReason, PacketBuf};

pub(crate) use send::destination;

/// What the phases know of one packet once it is parsed (its bytes are in the
/// [`PacketBuf`] beside it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PacketCtx {
    pub now: Instant,
    pub from: SocketAddr,
    /// The socket it came in on: its side and whether it is the RTCP port.
    pub ingress: Endpoint,
    pub packet: Packet,
    /// `packet` is RTCP.
    pub rtcp: bool,
}

impl Shard {
    /// The packet path for a datagram that fills `buf` exactly (no head- or tailroom: a
    /// step that must grow the packet drops it, counted). See
    /// [`handle_datagram`](Self::handle_datagram).
    pub fn handle_packet(
        &mut self,
        now: Instant,
        socket: SocketId,
        from: SocketAddr,
        buf: &mut [u8],
    ) -> Verdict {
        self.handle_datagram(now, socket, from, PacketBuf::exact(buf))
    }

    /// The packet path (see the module docs) for a datagram from `from` received on
    /// `socket`. Afterwards drain [`poll_transmit`](Self::poll_transmit): a transform may
    /// have added packets.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        socket: SocketId,
        from: SocketAddr,
        buf: PacketBuf<'_>,
    ) -> Verdict {
        let (slot, ep) = socket.split();
        match self.relay(now, slot, ep, from, buf) {
            Ok((socket, to, start, len)) => Verdict::Forward {
                socket,
                to,
                start,
                len,
            },
            Err(reason) => {
                self.count_drop(slot, ep, reason);
                Verdict::Drop(reason)
            }
        }
    }

    /// The phases, in order.
    #[inline]
    fn relay(
        &mut self,
        now: Instant,
        slot: usize,
        ep: Endpoint,
        from: SocketAddr,
        mut buf: PacketBuf<'_>,
    ) -> Result<(SocketId, SocketAddr, usize, usize), DropReason> {
        let Some(Some(stream)) = self.streams.get_mut_for_packet(slot) else {
            return Err(DropReason::NoStream);
        };
        if buf.data().first().is_some_and(|&b| b < 4)
            && stream.sides[crate::stream::ix(ep.side)].ice.is_some()
        {
            return self.ice_check(now, slot, ep, from, &mut buf);
        }
        demux::run(stream.udptl, buf.data()).map_err(DropReason::Junk)?;
        let packet = parse::run(stream.udptl, buf.data()).map_err(DropReason::Junk)?;
        let cx = PacketCtx {
            now,
            from,
            ingress: ep,
            packet,
            rtcp: matches!(packet, Packet::Rtcp { .. }),
        };
        let keyed = unprotect::run(stream.side_mut(ep.side), &cx, &mut buf)?;
        let peer = latch::run(
            stream,
            &cx,
            keyed,
            self.config.latch_packets,
            &mut self.events,
        )?;
        latch::accept(stream, &cx, buf.len(), peer)?;
        if stream.capture {
            capture_received(&mut self.capture, stream, &cx, buf.data());
        }
        self.calls.activity(stream.call, now);
        if cx.rtcp {
            let report = crate::quality::rtcp(stream, now, ep.side, buf.data());
            let local = stream.local_addr(ep);
            if let (Some(report), Some(local)) =
                (report.filter(|_| self.config.rtcp_copies > 0), local)
            {
                let copy = crate::quality::copy::RtcpCopy {
                    stream: stream.key,
                    side: ep.side,
                    remote: from,
                    local,
                    at: now,
                    report,
                    blocks: crate::quality::copy::ReportBlocks::read(buf.data()),
                };
                if self.rtcp_copies.len() < self.config.rtcp_copies {
                    self.rtcp_copies.push_back(copy);
                } else {
                    self.rtcp_copies_dropped += 1;
                }
            }
        }
        transform::run(stream, &cx, &mut buf, &self.config.pseudonyms, &mut self.tx)?;
        let toward = ep.side.other();
        let rtcp = cx.rtcp;
        if stream.capture {
            capture_sent(&mut self.capture, stream, now, toward, rtcp, buf.data());
        }
        protect::run(&mut stream.side_mut(toward).egress, &mut buf, rtcp)?;
        let (socket, to) =
            send::destination(stream, toward, rtcp).ok_or(DropReason::NoDestination)?;
        if !ep.rtcp {
            self.maybe_offload(slot, now);
        }
        Ok((socket, to, buf.start(), buf.len()))
    }
}

/// A captured stream's received packet, decrypted (after unprotect).
#[cold]
#[inline(never)]
fn capture_received(
    capture: &mut crate::capture::Capture,
    stream: &crate::stream::Stream,
    cx: &PacketCtx,
    bytes: &[u8],
) {
    let wire = crate::capture::Wire {
        at: cx.now,
        side: cx.ingress.side,
        way: sbc_core::CaptureWay::In,
        rtcp: cx.rtcp,
        local: stream.local_addr(cx.ingress),
        remote: cx.from,
    };
    capture.record(stream, wire, bytes);
}

/// A captured stream's packet on its way to `toward`'s peer, before protect (in the
/// clear). Not copied when it has nowhere to go (the send phase drops it).
#[cold]
#[inline(never)]
pub(crate) fn capture_sent(
    capture: &mut crate::capture::Capture,
    stream: &crate::stream::Stream,
    now: Instant,
    toward: sbc_core::Side,
    rtcp: bool,
    bytes: &[u8],
) {
    let Some((socket, to)) = send::destination(stream, toward, rtcp) else {
        return;
    };
    let wire = crate::capture::Wire {
        at: now,
        side: toward,
        way: sbc_core::CaptureWay::Out,
        rtcp,
        local: stream.local_addr(socket.split().1),
        remote: to,
    };
    capture.record(stream, wire, bytes);
}

impl Shard {
    /// Counts a drop in the shard and, when the socket still has a stream, in the stats of
    /// the side it came from.
    #[cold]
    #[inline(never)]
    fn count_drop(&mut self, slot: usize, ep: Endpoint, reason: DropReason) {
        let kind = reason.kind();
        self.drops.add(kind);
        match self.streams.get_mut_for_packet(slot) {
            Some(Some(s)) => s.side_mut(ep.side).stats.drop(kind),
            _ => self.strays += 1,
        }
    }
}
