//! Who forwards a stream: the decision to hand a stream to the kernel fast path, and to
//! take it back.
//!
//! With [`ShardConfig::kernel_forwarding`](crate::ShardConfig::kernel_forwarding) on, a
//! stream becomes [`Forwarder::Kernel`] on the first packet the packet path relays once it
//! qualifies (`eligible`): the stream does not need the engine
//! ([`Shard::needs_userspace`]: not UDPTL, no SRTP, no transform, payload-type map or
//! rewrite on either side), no rtcp-mux (its RTCP, read for call quality, would follow the
//! RTP port into the kernel), both sides sending, each side's relayed peer
//! latched to the address media is sent to (symmetric; a peer whose window ended without a
//! latch is fixed to its SDP address, the only source accepted), and both windows over — so
//! no new source can be learned while the kernel forwards, which keeps the RTP Bleed
//! defence: the kernel maps are keyed by the latched source, anything else still reaches
//! the socket and is judged here. The shard emits [`IoOp::Offload`]; the IO layer installs
//! the relay or answers [`Shard::offload_failed`]. From then on RTP still arriving on the
//! stream's RTP sockets (queued before the handover) is dropped
//! ([`DropReason::Offloaded`](crate::DropReason::Offloaded)), never sent: a send from the
//! socket would create a conntrack entry without NAT for the stream's tuple, and the peers'
//! packets would follow it back to the sockets for good.
//!
//! A new SDP for either side (`Remote`), an answer (`Answered`, a fork switch) or `Close`
//! takes the stream back first ([`IoOp::Reclaim`], forwarder `Userspace`): the packet path
//! relatches within the new window and hands it over again afterwards. RTCP stays in
//! userspace (a few packets per second). Counters of kernel-forwarded packets come back
//! through [`Shard::add_offloaded`], which also counts as activity for the inactivity
//! timer.

use std::net::SocketAddr;
use std::time::Instant;

use sbc_core::{Side as Leg, StreamKey};

use crate::config::Forwarder;
use crate::shard::{IoOp, Shard};
use crate::stream::Stream;

/// A relay as the kernel sees it: what `a_peer` sends to `a_local` goes to `b_peer` from
/// `b_local`, and back (RTP sockets only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KernelRelay {
    /// The SBC's RTP address on leg A.
    pub a_local: SocketAddr,
    /// Leg A's latched peer.
    pub a_peer: SocketAddr,
    /// The SBC's RTP address on leg B.
    pub b_local: SocketAddr,
    /// Leg B's latched peer.
    pub b_peer: SocketAddr,
}

/// The relay the kernel could take over now, or `None` while the stream does not qualify.
pub(crate) fn eligible(stream: &Stream, now: Instant) -> Option<KernelRelay> {
    if stream.kernel_refused || stream.needs_userspace().is_some() {
        return None;
    }
    let mut peers = [None; 2];
    for (i, side) in stream.sides.iter().enumerate() {
        let peer = side.target()?;
        let settled = peer.window_until.is_none_or(|w| now >= w);
        // Latched, or (the window over without a latch) fixed to its SDP address: the
        // packet path accepts nothing else from it either.
        let addr = peer.latched.map(|(a, _)| a).or(peer.sdp_rtp)?;
        // With rtcp-mux its RTCP shares the RTP port: the kernel would forward it too, and
        // the stream's quality would be lost (crate::quality reads RTCP here).
        if peer.rtcp_mux {
            return None;
        }
        if !side.sends || !settled || peer.rtp_dest() != Some(addr) {
            return None;
        }
        // The kernel path is IPv4 only, and needs both legs in one family.
        if !addr.is_ipv4() || !stream.local[i].is_ipv4() {
            return None;
        }
        peers[i] = Some(addr);
    }
    Some(KernelRelay {
        a_local: stream.local[0],
        a_peer: peers[0]?,
        b_local: stream.local[1],
        b_peer: peers[1]?,
    })
}

impl Shard {
    /// After a relayed packet: hand the stream to the kernel if it qualifies now.
    pub(crate) fn maybe_offload(&mut self, slot: usize, now: Instant) {
        if !self.config.kernel_forwarding {
            return;
        }
        let Some(Some(s)) = self.streams.get_mut(slot) else {
            return;
        };
        if s.forwarder == Forwarder::Kernel {
            return;
        }
        if let Some(relay) = eligible(s, now) {
            s.forwarder = Forwarder::Kernel;
            s.offloaded = Some(relay);
            self.io.push_back(IoOp::Offload {
                stream: s.key,
                relay,
            });
        }
    }

    /// Before an op that may change a side's peer (or closes the stream): take it back.
    pub(crate) fn reclaim(&mut self, slot: usize, why: &'static str) {
        let Some(Some(s)) = self.streams.get_mut(slot) else {
            return;
        };
        s.forwarder = Forwarder::Userspace;
        if let Some(relay) = s.offloaded.take() {
            self.io.push_back(IoOp::Reclaim {
                stream: s.key,
                relay,
                why,
            });
        }
    }

    /// The IO layer could not install the kernel relay: the stream stays in userspace for
    /// the rest of its life (no retry per packet).
    pub fn offload_failed(&mut self, key: StreamKey) {
        if let Some(&slot) = self.by_key.get(&key) {
            if let Some(Some(s)) = self.streams.get_mut(slot) {
                s.forwarder = Forwarder::Userspace;
                s.offloaded = None;
                s.kernel_refused = true;
            }
        }
    }

    /// Folds in counters of packets the kernel forwarded from `side`'s peer, so stats are
    /// complete whoever forwards; packets count as activity for the inactivity timer.
    pub fn add_offloaded(
        &mut self,
        now: Instant,
        key: StreamKey,
        side: Leg,
        packets: u64,
        bytes: u64,
    ) {
        let Some(&slot) = self.by_key.get(&key) else {
            return;
        };
        let Some(Some(s)) = self.streams.get_mut(slot) else {
            return;
        };
        let c = &mut s.side_mut(side).stats.counters;
        c.packets += packets;
        c.bytes += bytes;
        c.kernel_packets += packets;
        c.kernel_bytes += bytes;
        if packets > 0 {
            let call = s.call;
            self.calls.activity(call, now);
        }
    }

    /// The kernel relay of a stream handed over (`None` in userspace).
    pub fn kernel_relay(&self, key: StreamKey) -> Option<KernelRelay> {
        self.stream(key)?.offloaded
    }
}
