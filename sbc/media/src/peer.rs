//! The latch phase: where one peer (one SDP: side A's, or one fork of side B) really is.
//!
//! A [`Peer`] starts from its SDP addresses. Within the latch window that each new SDP
//! opens, a peer whose [`LatchMode`] allows it learns the source of its packets (symmetric
//! RTP behind NAT), but only from a source that sent `latch_packets` consecutive packets of
//! one SSRC with increasing sequence numbers. Once latched within a window, only the exact
//! SDP address may still take over in that window; after the window nothing moves the
//! latch until the next SDP. This is what keeps an injector (RTP Bleed) from taking a
//! stream mid-call.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use sbc_core::{LatchMode, LatchReason, RemoteSpec};

use crate::crypto::CryptoContext;

/// Sources being watched at once, per side, while latching; an injector interleaving its
/// packets cannot reset the real peer's progress unless it uses as many sources.
const CANDIDATES: usize = 4;
/// A new source's sequence numbers may skip this many (loss) and still be consecutive.
const MAX_SEQ_STEP: u16 = 16;

/// One remote endpoint of a side.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The early dialog (To tag) its SDP came from, on side B before the answer.
    pub fork: Option<String>,
    pub sdp_rtp: Option<SocketAddr>,
    pub sdp_rtcp: Option<SocketAddr>,
    pub rtcp_mux: bool,
    /// Where its RTP comes from and is sent to, and why.
    pub latched: Option<(SocketAddr, LatchReason)>,
    /// Where its RTCP comes from (learned from its latched IP); `None`: the SDP's.
    pub latched_rtcp: Option<SocketAddr>,
    /// Latching allowed until then (set by each SDP, and by the answer while unlatched).
    pub window_until: Option<Instant>,
    /// Latched during the current window: only the exact SDP address may still take over.
    pub latched_in_window: bool,
    /// This peer may learn addresses from packets at all (its mode and SDP address).
    pub learns: bool,
    /// SRTP of what it sends (the unprotect phase's context); `None`: plain RTP. Boxed:
    /// a context is large, and a plain peer stays small for the latch phase's scans.
    pub srtp: Option<Box<CryptoContext>>,
}

/// What the latch phase decided for a packet from a source not (yet) latched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Learn {
    /// Not enough consistent packets from this source yet.
    Pending,
    /// Confirmed: latch to it.
    Latch,
}

/// Progress of one new source towards latching.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    from: SocketAddr,
    ssrc: u32,
    seq: u16,
    count: u8,
    seen: Instant,
}

/// The sources being watched by one side.
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    slots: [Option<Candidate>; CANDIDATES],
}

impl Candidates {
    /// Notes an RTP packet of `from`; `Latch` once `needed` consistent packets arrived.
    pub fn observe(
        &mut self,
        now: Instant,
        from: SocketAddr,
        ssrc: u32,
        seq: u16,
        needed: u8,
    ) -> Learn {
        if let Some(c) = self.slots.iter_mut().flatten().find(|c| c.from == from) {
            let step = seq.wrapping_sub(c.seq);
            if c.ssrc == ssrc && (1..=MAX_SEQ_STEP).contains(&step) {
                c.count = c.count.saturating_add(1);
            } else {
                c.ssrc = ssrc;
                c.count = 1;
            }
            c.seq = seq;
            c.seen = now;
            if c.count >= needed {
                self.clear();
                return Learn::Latch;
            }
            return Learn::Pending;
        }
        if needed <= 1 {
            self.clear();
            return Learn::Latch;
        }
        let new = Candidate {
            from,
            ssrc,
            seq,
            count: 1,
            seen: now,
        };
        // A free slot, else the one heard from least recently.
        let slot = match self.slots.iter().position(Option::is_none) {
            Some(i) => i,
            None => (0..CANDIDATES)
                .min_by_key(|&i| self.slots[i].map(|c| c.seen))
                .unwrap_or(0),
        };
        self.slots[slot] = Some(new);
        Learn::Pending
    }

    pub fn clear(&mut self) {
        self.slots = [None; CANDIDATES];
    }
}

/// RFC 1918, RFC 6598 (CGN), loopback, link-local, IPv6 ULA and link-local: a peer that
/// signals such an address is (probably) behind NAT.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments()[0];
            v6.is_loopback() || (s & 0xfe00) == 0xfc00 || (s & 0xffc0) == 0xfe80
        }
    }
}

impl Peer {
    /// A peer from its first SDP.
    pub fn new(remote: &RemoteSpec) -> Self {
        Peer {
            fork: remote.fork.clone(),
            sdp_rtp: None,
            sdp_rtcp: None,
            rtcp_mux: remote.rtcp_mux,
            latched: None,
            latched_rtcp: None,
            window_until: None,
            latched_in_window: false,
            learns: false,
            srtp: None,
        }
    }

    /// A (new) SDP of this peer: opens a latch window until `window_until`. Returns the
    /// signalled latch when this peer does not learn (mode `Never`, or `PrivateOnly` with a
    /// public address) and it changed: the SDP address is used as written.
    pub fn update(
        &mut self,
        remote: &RemoteSpec,
        mode: LatchMode,
        window_until: Instant,
    ) -> Option<SocketAddr> {
        self.sdp_rtp = remote.rtp;
        self.sdp_rtcp = remote.rtcp;
        self.rtcp_mux = remote.rtcp_mux;
        self.learns = match (mode, remote.rtp) {
            (LatchMode::Always, _) => true,
            (LatchMode::PrivateOnly, Some(a)) => is_private(a.ip()),
            (LatchMode::PrivateOnly, None) | (LatchMode::Never, _) => false,
        };
        self.window_until = Some(window_until);
        self.latched_in_window = false;
        self.latched_rtcp = None;
        match remote.rtp {
            // Held (0.0.0.0) or rejected: nothing to send to until the next SDP.
            None => {
                self.latched = None;
                None
            }
            // ICE: a nomination outranks the SDP's default candidate.
            Some(_) if matches!(self.latched, Some((_, LatchReason::Nominated))) => None,
            // Already used as written (an SDP repeated: 183 then 200, a re-INVITE):
            // nothing new to report.
            Some(a) if !self.learns && self.latched == Some((a, LatchReason::Signalled)) => None,
            Some(a) if !self.learns => {
                self.latched = Some((a, LatchReason::Signalled));
                Some(a)
            }
            // Learning: the old latch stays until a new source is confirmed.
            Some(_) => None,
        }
    }

    /// Whether RTP from `from` is this peer's, as latched or (never latched) as signalled.
    pub fn owns_rtp(&self, from: SocketAddr) -> bool {
        match self.latched {
            Some((a, _)) => a == from,
            None => self.sdp_rtp == Some(from),
        }
    }

    /// Whether RTCP from `from` is this peer's, as far as can be told without learning
    /// (its RTP address when muxed, its RTCP address, or its latched RTP host).
    pub fn owns_rtcp(&self, from: SocketAddr) -> bool {
        self.owns_rtp(from)
            || self.latched_rtcp == Some(from)
            || self.sdp_rtcp == Some(from)
            || self.latched.is_some_and(|(rtp, _)| rtp.ip() == from.ip())
    }

    /// Whether this peer may latch to `from` now (window open, mode allows; once latched
    /// in this window, only its exact SDP address may take over).
    pub fn may_learn(&self, now: Instant, from: SocketAddr) -> bool {
        self.learns
            && self.window_until.is_some_and(|w| now < w)
            && (!self.latched_in_window || (self.sdp_rtp == Some(from) && !self.owns_rtp(from)))
    }

    /// Latches RTP to `from`.
    pub fn latch(&mut self, from: SocketAddr, reason: LatchReason) {
        if self.latched.is_some_and(|(a, _)| a.ip() != from.ip()) {
            self.latched_rtcp = None;
        }
        self.latched = Some((from, reason));
        self.latched_in_window = true;
    }

    /// Where to send RTP to this peer.
    pub fn rtp_dest(&self) -> Option<SocketAddr> {
        self.latched.map(|(a, _)| a).or(self.sdp_rtp)
    }

    /// Where to send RTCP to this peer (unmuxed): learned, signalled, or RTP port + 1.
    pub fn rtcp_dest(&self) -> Option<SocketAddr> {
        self.latched_rtcp.or(self.sdp_rtcp).or_else(|| {
            let rtp = self.rtp_dest()?;
            Some(SocketAddr::new(rtp.ip(), rtp.port().checked_add(1)?))
        })
    }

    /// Whether RTCP from `from` (arriving on the RTCP port, or muxed on the RTP port) is
    /// this peer's; learns the RTCP source from the latched RTP IP on first sight.
    pub fn accept_rtcp(&mut self, from: SocketAddr, muxed: bool) -> bool {
        if muxed {
            return self.owns_rtp(from);
        }
        if self.latched_rtcp == Some(from) || self.sdp_rtcp == Some(from) {
            return true;
        }
        match (self.latched, self.latched_rtcp) {
            (Some((rtp, LatchReason::Observed | LatchReason::ForkAnswered)), None)
                if rtp.ip() == from.ip() =>
            {
                self.latched_rtcp = Some(from);
                true
            }
            _ => self.rtp_dest().is_some_and(|rtp| {
                self.sdp_rtcp.is_none()
                    && rtp.ip() == from.ip()
                    && rtp.port().checked_add(1) == Some(from.port())
            }),
        }
    }
}
