//! The latch phase: which peer of the ingress side sent the packet, learning a new source
//! when the side may ([`peer`](crate::peer), [`side`](crate::side)); then whether that
//! peer's media is relayed at all (the fork relayed, not a stream the kernel forwards),
//! and the accepted packet counted (stats, loss and jitter) and taken as activity.
//!
//! It runs after unprotect, so only an authenticated packet can move a latch.

use std::collections::VecDeque;

use sbc_core::MediaEvent;

use crate::DropReason;
use crate::config::Forwarder;
use crate::packet::Packet;
use crate::side::Source;
use crate::stream::Stream;

use super::PacketCtx;

/// The index of the peer (of the ingress side) that sent the packet. `keyed`: the peer
/// whose SRTP key authenticated it (the unprotect phase); the source can only be that
/// peer's.
#[inline(always)]
pub(crate) fn run(
    stream: &mut Stream,
    cx: &PacketCtx,
    keyed: Option<usize>,
    needed: u8,
    events: &mut VecDeque<MediaEvent>,
) -> Result<usize, DropReason> {
    let key = stream.key;
    let ep = cx.ingress;
    let side = stream.side_mut(ep.side);
    match cx.packet {
        Packet::Rtcp { .. } => side
            .rtcp_source(cx.from, !ep.rtcp)
            .filter(|&i| keyed.is_none_or(|k| k == i))
            .ok_or(DropReason::Foreign),
        Packet::Rtp(_) | Packet::Udptl { .. } if ep.rtcp => Err(DropReason::Foreign),
        Packet::Rtp(_) | Packet::Udptl { .. } => {
            let (ssrc, seq) = match cx.packet {
                Packet::Rtp(h) => (h.ssrc, h.seq),
                Packet::Udptl { seq } => (0, seq),
                Packet::Rtcp { .. } => (0, 0),
            };
            match side.rtp_source(cx.now, cx.from, ssrc, seq, needed, keyed) {
                Source::Peer(i, latched) => {
                    // Reported when it decides what the side relays: a fork that is not
                    // (and will not be) relayed keeps its latch as state, reported by the
                    // answer that makes it the relayed one (`ForkAnswered`).
                    let relayed = side.active.is_none_or(|a| a == i);
                    if let Some(reason) = latched.filter(|&r| relayed && side.report(cx.from, r)) {
                        events.push_back(MediaEvent::Latched {
                            stream: key,
                            side: ep.side,
                            addr: cx.from,
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

/// Whether media of `peer` goes on: not RTP of a stream the kernel forwards, and from the
/// fork relayed. Counts it as received from the side's peer.
#[inline(always)]
pub(crate) fn accept(
    stream: &mut Stream,
    cx: &PacketCtx,
    len: usize,
    peer: usize,
) -> Result<(), DropReason> {
    let ep = cx.ingress;
    if stream.forwarder == Forwarder::Kernel && !ep.rtcp {
        return Err(DropReason::Offloaded);
    }
    let stream_rate = stream.clock_rate;
    let side = stream.side_mut(ep.side);
    if !side.relays(peer) {
        return Err(DropReason::OtherFork);
    }
    side.stats.count(len, cx.rtcp);
    if let Packet::Rtp(h) = cx.packet {
        let clock_rate = side.clock_rate.unwrap_or(stream_rate);
        side.stats
            .rtp(cx.now, h.ssrc, h.seq, h.timestamp, clock_rate);
    }
    Ok(())
}
