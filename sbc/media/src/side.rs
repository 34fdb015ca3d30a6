//! One side of a stream: its peer(s), which of them is relayed, and what it sent.
//!
//! Side A has one peer. Side B has one peer per early dialog (fork) until the answer: the
//! first fork whose media is accepted becomes the active one (relayed to A, and A's media
//! is sent to it); packets of other forks are dropped. The answer keeps only the answering
//! fork, whatever was active before.

use std::net::SocketAddr;
use std::time::Instant;

use sbc_core::{LatchMode, LatchReason, RemoteSpec};

use crate::egress::Egress;
use crate::peer::{Candidates, Learn, Peer};
use crate::quality::RtcpState;
use crate::stats::SideStats;

/// Forks a side keeps at most before the answer (more are refused: the oldest stays).
pub const MAX_FORKS: usize = 8;

#[derive(Debug)]
pub struct Side {
    pub mode: LatchMode,
    pub peers: Vec<Peer>,
    /// The peer relayed (index into `peers`); `None` until one streams.
    pub active: Option<usize>,
    pub answered: bool,
    /// Whether the peer is expected to send (`MediaOp::Sending`).
    pub sends: bool,
    pub candidates: Candidates,
    /// Sources of the forks that lost the answer: never learned by the winner (they may
    /// stream on for a moment after the 200 OK). Cleared by the side's next SDP.
    pub losers: Vec<SocketAddr>,
    /// The last latch reported ([`MediaEvent::Latched`](sbc_core::MediaEvent::Latched)):
    /// each decision is reported once, however many SDPs or answers repeat it.
    pub reported: Option<(SocketAddr, LatchReason)>,
    pub stats: SideStats,
    /// The RTP clock rate of what this side's peer sends, when it differs from the
    /// stream's (a transcoded stream: each leg has its codec's); jitter is counted in it.
    pub clock_rate: Option<u32>,
    /// What its peer said in RTCP, and the SRs relayed to it ([`crate::quality`]).
    pub rtcp: RtcpState,
    /// What is done to packets on their way to this side's peer.
    pub egress: Egress,
    /// Some peer has an SRTP context: the unprotect phase has work (one flag test per
    /// packet for a plain side). Kept by [`refresh_keyed`](Self::refresh_keyed).
    pub(crate) keyed: bool,
    /// ICE-lite on this side ([`crate::ice`]): STUN answered, latches by nomination.
    pub(crate) ice: Option<Box<crate::ice::IceSide>>,
}

/// The latch phase's verdict on an RTP packet's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// From peer `usize`; `Some(reason)` when this packet confirmed a new latch.
    Peer(usize, Option<LatchReason>),
    /// A new source still being confirmed.
    Pending,
    /// From nobody this side may accept.
    Foreign,
}

impl Side {
    pub fn new(mode: LatchMode) -> Self {
        Side {
            mode,
            peers: Vec::with_capacity(1),
            active: None,
            answered: false,
            sends: true,
            candidates: Candidates::default(),
            losers: Vec::new(),
            reported: None,
            stats: SideStats::default(),
            clock_rate: None,
            rtcp: RtcpState::default(),
            egress: Egress::default(),
            keyed: false,
            ice: None,
        }
    }

    /// Recomputes [`keyed`](Self::keyed) after peers or their contexts changed.
    pub(crate) fn refresh_keyed(&mut self) {
        self.keyed = self.peers.iter().any(|p| p.srtp.is_some());
    }

    /// A new SDP of this side (see [`Peer::update`]). Returns the index of the updated
    /// peer and its signalled latch, if it does not learn.
    pub fn remote(
        &mut self,
        remote: &RemoteSpec,
        window_until: Instant,
    ) -> (usize, Option<SocketAddr>) {
        let i = match self.peers.iter().position(|p| p.fork == remote.fork) {
            Some(i) => i,
            // After the answer (or with a single peer and no fork tags) an SDP updates
            // the one peer: re-INVITE, UPDATE.
            None if self.answered || remote.fork.is_none() || self.peers.len() >= MAX_FORKS => {
                if self.peers.is_empty() {
                    self.peers.push(Peer::new(remote));
                }
                0
            }
            None => {
                self.peers.push(Peer::new(remote));
                self.peers.len() - 1
            }
        };
        let signalled = self.peers[i].update(remote, self.mode, window_until);
        if self.ice.is_some() {
            // Nominations move an ICE side's latch, not packets.
            self.peers[i].learns = false;
        }
        self.candidates.clear();
        self.losers.clear();
        (i, signalled)
    }

    /// The peer an op naming `fork` is about: the fork's, else (after the answer, or
    /// without fork tags) the one peer.
    pub fn peer_of(&self, fork: Option<&str>) -> Option<usize> {
        match self.peers.iter().position(|p| p.fork.as_deref() == fork) {
            Some(i) => Some(i),
            None if (self.answered || fork.is_none()) && !self.peers.is_empty() => Some(0),
            None => None,
        }
    }

    /// The answer came from `fork`: only its peer stays. Opens a window for a side not
    /// latched yet (a caller often sends only once answered). Returns the answering peer's
    /// address and how it is known, when it changed the relayed peer.
    pub fn answer(
        &mut self,
        fork: Option<&str>,
        window_until: Instant,
    ) -> Option<(SocketAddr, LatchReason)> {
        self.answered = true;
        let chosen = match fork {
            Some(tag) => self
                .peers
                .iter()
                .position(|p| p.fork.as_deref() == Some(tag)),
            None => self.active.or(self.peers.len().checked_sub(1)),
        };
        let switched = chosen.is_some() && chosen != self.active && self.peers.len() > 1;
        if let Some(i) = chosen {
            let peer = self.peers.swap_remove(i);
            let winner = peer.latched.map(|(a, _)| a);
            let lost = self
                .peers
                .drain(..)
                .filter_map(|p| p.latched.map(|(a, _)| a));
            self.losers.extend(lost.filter(|a| Some(*a) != winner));
            self.peers.push(peer);
            self.active = Some(0);
            self.refresh_keyed();
        }
        let peer = self.peers.first_mut()?;
        if peer.latched.is_none() {
            peer.window_until = Some(window_until);
            peer.latched_in_window = false;
        }
        self.candidates.clear();
        if !switched {
            return None;
        }
        match peer.latched {
            Some((addr, LatchReason::Observed)) => {
                peer.latched = Some((addr, LatchReason::ForkAnswered));
                Some((addr, LatchReason::ForkAnswered))
            }
            Some(l) => Some(l),
            None => peer.sdp_rtp.map(|a| (a, LatchReason::Signalled)),
        }
    }

    /// Why packets from or to this side need the engine (its peers' SRTP, its egress).
    pub fn needs_userspace(&self) -> Option<&'static str> {
        if self.keyed {
            return Some("SRTP");
        }
        if self.ice.is_some() {
            // The kernel would forward the peer's checks instead of answering them.
            return Some("ICE");
        }
        self.egress.needs_userspace()
    }

    /// Whether the latch `(addr, reason)` is news (not the one reported last); remembers it.
    pub fn report(&mut self, addr: SocketAddr, reason: LatchReason) -> bool {
        let new = self.reported != Some((addr, reason));
        self.reported = Some((addr, reason));
        new
    }

    /// The latch phase for an RTP packet from `from`.
    pub fn rtp_source(
        &mut self,
        now: Instant,
        from: SocketAddr,
        ssrc: u32,
        seq: u16,
        needed: u8,
        keyed: Option<usize>,
    ) -> Source {
        // A packet that authenticated under one peer's SRTP key is that peer's or nobody's.
        let allowed = |i: usize| keyed.is_none_or(|k| k == i);
        if let Some(i) = self
            .peers
            .iter()
            .position(|p| p.latched.is_some_and(|(a, _)| a == from))
        {
            return if allowed(i) {
                Source::Peer(i, None)
            } else {
                Source::Foreign
            };
        }
        let learner = if self.losers.contains(&from) {
            None
        } else {
            match keyed {
                Some(k) => self
                    .peers
                    .get(k)
                    .is_some_and(|p| p.may_learn(now, from))
                    .then_some(k),
                None => self.learner(now, from),
            }
        };
        if let Some(i) = learner {
            // The signalled address itself needs no proof of consistency.
            let needed = if self.peers[i].sdp_rtp == Some(from) {
                1
            } else {
                needed
            };
            return match self.candidates.observe(now, from, ssrc, seq, needed) {
                Learn::Pending => Source::Pending,
                Learn::Latch => {
                    self.peers[i].latch(from, LatchReason::Observed);
                    Source::Peer(i, Some(LatchReason::Observed))
                }
            };
        }
        match self.peers.iter().position(|p| p.owns_rtp(from)) {
            Some(i) if allowed(i) => Source::Peer(i, None),
            _ => Source::Foreign,
        }
    }

    /// The peer that may learn `from`: the one whose SDP has exactly that address, else
    /// that IP (a NAT that changes only ports), else the peer signalled first among those
    /// still learning (forks behind NAT cannot be told apart by address: the order of
    /// their 183s is the best guess, and their answer's SDP reopens the window).
    fn learner(&self, now: Instant, from: SocketAddr) -> Option<usize> {
        let learning = || (0..self.peers.len()).filter(|&i| self.peers[i].may_learn(now, from));
        learning()
            .find(|&i| self.peers[i].sdp_rtp == Some(from))
            .or_else(|| {
                learning().find(|&i| self.peers[i].sdp_rtp.map(|a| a.ip()) == Some(from.ip()))
            })
            .or_else(|| learning().min_by_key(|&i| self.peers[i].window_until))
    }

    /// The latch phase for RTCP from `from`: the index of its peer, if any.
    pub fn rtcp_source(&mut self, from: SocketAddr, muxed: bool) -> Option<usize> {
        self.peers
            .iter_mut()
            .position(|p| p.accept_rtcp(from, muxed))
    }

    /// Whether media of peer `i` is relayed: the active peer, or the first that streams.
    pub fn relays(&mut self, i: usize) -> bool {
        match self.active {
            Some(a) => a == i,
            None => {
                self.active = Some(i);
                true
            }
        }
    }

    /// The peer media is sent to: the active one, else the one signalled last.
    pub fn target(&self) -> Option<&Peer> {
        self.peers
            .get(self.active.unwrap_or(self.peers.len().checked_sub(1)?))
    }
}
