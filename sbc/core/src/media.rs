//! What the control plane tells the media plane, and what the media plane reports back.
//!
//! The B2BUA never talks to the media engine: the daemon's session hook turns offers and
//! answers into [`MediaOp`]s for the engine, and the engine's [`MediaEvent`]s come back to
//! the daemon (for latching logs, inactivity teardown, the UI).

use std::fmt;
use std::net::SocketAddr;

use crate::registry::SrtpSuite;
use crate::{
    Digit, DropCounts, DtmfLeg, HeardDigit, Quality, RtcpStats, Side, SrtpKey, SrtpKeyError,
    Transcoding,
};

/// One anchored stream: a call (the B2BUA's id) and the index of its m-line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamKey {
    pub call: u64,
    pub index: u16,
}

impl fmt::Display for StreamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call#{}/m{}", self.call, self.index)
    }
}

/// When the engine learns a peer's real address from its packets (symmetric RTP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LatchMode {
    /// Always latch to where the packets come from (within the latch window).
    Always,
    /// Only when the SDP address is private (RFC 1918/6598, ULA, link-local): the peer is
    /// behind NAT; a public SDP address is used as written.
    PrivateOnly,
    /// Never: send to the SDP address and accept packets only from it.
    Never,
}

/// Where one side's peer sends from and wants media sent to, per its SDP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSpec {
    /// RTP address; `None` when the stream is rejected (port 0) or held with 0.0.0.0.
    pub rtp: Option<SocketAddr>,
    /// RTCP address (`a=rtcp`, else RTP port + 1); `None` with rtcp-mux.
    pub rtcp: Option<SocketAddr>,
    pub rtcp_mux: bool,
    /// On side B before the answer: the early dialog (To tag) this SDP came from.
    pub fork: Option<String>,
}

/// A command to the media plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaOp {
    /// Anchor a stream on the SBC's ports: `a_local`/`b_local` are the RTP addresses on
    /// each leg's realm (even ports; RTCP on the next port unless muxed).
    Open {
        stream: StreamKey,
        a_local: SocketAddr,
        b_local: SocketAddr,
        latch_a: LatchMode,
        latch_b: LatchMode,
    },
    /// An SDP of `side` says where its peer is. A new one (re-INVITE, another 183) opens a
    /// new latch window; on side B before the answer each fork adds a candidate.
    Remote {
        stream: StreamKey,
        side: Side,
        remote: RemoteSpec,
    },
    /// B's answer came from `fork`: its media wins, other forks' packets are dropped.
    Answered {
        stream: StreamKey,
        fork: Option<String>,
    },
    /// Whether `side`'s peer is expected to send (hold, inactive): the inactivity timer
    /// waits longer for a side that does not.
    Sending {
        stream: StreamKey,
        side: Side,
        sends: bool,
    },
    /// The stream is over: stop relaying and release its ports.
    Close { stream: StreamKey },
    /// The RTP clock rate of the stream's payload (Hz, from `a=rtpmap`), for jitter in
    /// RFC 3550 timestamp units. Optional: the engine assumes 8000 until told.
    ClockRate { stream: StreamKey, rate: u32 },
    /// Ask for the stream's counters: answered with [`MediaEvent::Stats`].
    QueryStats { stream: StreamKey },
    /// The stream is T.38 over UDPTL (`m=image ... udptl t38`), not RTP: its datagrams are
    /// relayed as they are, latched on their source and UDPTL sequence number (no RTP
    /// checks, no loss/jitter). Send it right after `Open`.
    Udptl { stream: StreamKey },
    /// SRTP on `side`'s leg (SDES, RFC 4568), or plain RTP again (`keys: None`, the state
    /// of a new stream). Each op names one leg, so keys never cross from one leg to the
    /// other. On side B before the answer, `fork` names the early dialog whose `a=crypto`
    /// this is (each fork brings its own); the side's egress context is made from the
    /// outbound key of the last op (after the answer, the winner's: the session tells it
    /// again if another fork's came last). The same keys again keep their contexts.
    Srtp {
        stream: StreamKey,
        side: Side,
        fork: Option<String>,
        keys: Option<SrtpKeys>,
    },
    /// How `side`'s leg of the stream carries DTMF, as its latest offer/answer settled it.
    /// With both legs known, the engine converts between them (RFC 4733 events, in-band
    /// tones, digits reported for SIP INFO), renumbers event payload types, or relays
    /// events untouched when both legs carry them.
    Dtmf {
        stream: StreamKey,
        side: Side,
        leg: DtmfLeg,
    },
    /// Transcode what goes towards `toward`'s peer as `spec` says (`None`: relay it
    /// again). Sent after the answer that chose a codec the other leg did not offer, for
    /// each direction; the stream stays in the engine (no kernel fast path).
    Transcode {
        stream: StreamKey,
        toward: Side,
        spec: Option<Transcoding>,
    },
    /// ICE-lite on `side`'s leg (RFC 8445 §2.5): the SBC answers the peer's connectivity
    /// checks with `local`'s password, and the peer's media latch follows its nominations
    /// instead of the latch window. `remote_ufrag` is the `a=ice-ufrag` of the peer's
    /// SDP — on side B before the answer, of early dialog `fork` (each fork is its own
    /// remote agent). Other `local` credentials than before are an ICE restart; `None`
    /// turns ICE off for the side (checks dropped again).
    Ice {
        stream: StreamKey,
        side: Side,
        fork: Option<String>,
        local: Option<IceCredentials>,
        remote_ufrag: Option<String>,
    },
    /// Play `digit` towards `toward`'s peer for `duration_ms` (a SIP INFO of the other
    /// leg): as RFC 4733 events or in-band tones, however that leg carries DTMF. Queued
    /// behind digits still playing.
    PlayDigit {
        stream: StreamKey,
        toward: Side,
        digit: Digit,
        duration_ms: u32,
    },
    /// Start (`on`) or stop capturing every RTP/RTCP packet of `call`'s streams (those
    /// open and those opened later), received and sent on both legs, in the clear: the
    /// copies come back as [`MediaEvent::Captured`]. A captured stream stays in (or is
    /// taken back to) userspace. Telephone-event payloads are masked in the copies unless
    /// `show_digits` (both legs allow digits to be shown).
    Capture {
        call: u64,
        on: bool,
        show_digits: bool,
    },
}

/// The SRTP keys of one leg of a stream: what its peer protects with (the media plane
/// unprotects), and what the media plane protects with towards it, under one suite of the
/// [`registry`](crate::registry). Logged with `Debug` like every op: the keys print
/// redacted ([`SrtpKey`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrtpKeys {
    suite: SrtpSuite,
    inbound: SrtpKey,
    outbound: SrtpKey,
    /// The master key identifier the peer's packets carry (RFC 3711 §3.1): bytes, length.
    inbound_mki: ([u8; 16], u8),
}

impl SrtpKeys {
    /// The keys of a leg; both must have the suite's key and salt lengths.
    pub fn new(
        suite: SrtpSuite,
        inbound: SrtpKey,
        outbound: SrtpKey,
    ) -> Result<Self, SrtpKeyError> {
        for k in [&inbound, &outbound] {
            if k.key().len() != usize::from(suite.key_len)
                || k.salt().len() != usize::from(suite.salt_len)
            {
                return Err(SrtpKeyError::Suite { suite: suite.name });
            }
        }
        Ok(SrtpKeys {
            suite,
            inbound,
            outbound,
            inbound_mki: ([0; 16], 0),
        })
    }

    /// The same keys, the peer's packets carrying `mki` (its `|MKI:len` key parameter).
    pub fn with_inbound_mki(mut self, mki: &[u8]) -> Result<Self, SrtpKeyError> {
        if mki.len() > 16 {
            return Err(SrtpKeyError::MkiLength { len: mki.len() });
        }
        self.inbound_mki.0[..mki.len()].copy_from_slice(mki);
        // Invariant: at most 16.
        self.inbound_mki.1 = mki.len() as u8;
        Ok(self)
    }

    /// The MKI of the peer's packets (empty: none).
    pub fn inbound_mki(&self) -> &[u8] {
        &self.inbound_mki.0[..usize::from(self.inbound_mki.1)]
    }

    pub fn suite(&self) -> SrtpSuite {
        self.suite
    }

    /// The peer's master key and salt (from its `a=crypto`).
    pub fn inbound(&self) -> &SrtpKey {
        &self.inbound
    }

    /// The SBC's own for this leg (in the `a=crypto` the SBC sends on it).
    pub fn outbound(&self) -> &SrtpKey {
        &self.outbound
    }
}

/// The SBC's ICE username fragment and password on one leg of a stream (what its SDP
/// there says in `a=ice-ufrag`/`a=ice-pwd`). `Debug` prints the password redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct IceCredentials {
    pub ufrag: String,
    pub pwd: String,
}

impl fmt::Debug for IceCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IceCredentials")
            .field("ufrag", &self.ufrag)
            .field("pwd", &"<redacted>")
            .finish()
    }
}

/// Why a stream latched where it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatchReason {
    /// The first packets in the latch window came from there (symmetric RTP, NAT).
    Observed,
    /// Latching is off (or the SDP address is public): the SDP address is used.
    Signalled,
    /// A fork answered; its latched address replaced the early one.
    ForkAnswered,
    /// ICE: the source of the peer's last authenticated connectivity check with
    /// USE-CANDIDATE (the SBC is a lite agent).
    Nominated,
}

/// What the media plane reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// `side`'s peer is now at `addr`.
    Latched {
        stream: StreamKey,
        side: Side,
        addr: SocketAddr,
        reason: LatchReason,
    },
    /// No RTP/RTCP on any stream of `call` for the inactivity time.
    Inactive { call: u64 },
    /// The stream could not be anchored: binding `local` failed (port in use, address
    /// not configured). The stream is closed already; the call cannot have media.
    BindFailed {
        stream: StreamKey,
        local: SocketAddr,
        reason: String,
    },
    /// The answer to [`MediaOp::QueryStats`]: what each side's peer sent.
    Stats {
        stream: StreamKey,
        a: StreamStats,
        b: StreamStats,
    },
    /// A digit heard on a side of the stream (RFC 4733 events or in-band tones), and where
    /// it went; with [`Delivery::Info`](crate::dtmf::Delivery::Info) the control plane
    /// sends it as SIP INFO on the other leg.
    Digit {
        stream: StreamKey,
        digit: HeardDigit,
    },
    /// The stream is closed (after [`MediaOp::Close`]) and its sockets are gone: the
    /// final counters of each side.
    Closed {
        stream: StreamKey,
        a: StreamStats,
        b: StreamStats,
    },
    /// Packets of calls picked for capture ([`MediaOp::Capture`]).
    Captured(crate::CaptureBatch),
}

/// Counters of one side of a stream (what the peer on that side sent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    pub packets: u64,
    pub bytes: u64,
    /// Packets missing from sequence-number gaps (RFC 3550 A.3).
    pub lost: u64,
    /// Interarrival jitter in RTP timestamp units (RFC 3550 A.8).
    pub jitter: u32,
    /// Packets dropped: from a wrong source, not RTP/RTCP, or while the stream is held.
    pub dropped: u64,
    /// Of `dropped`: datagrams that were neither RTP nor RTCP (junk, scans, truncated).
    pub junk: u64,
    /// Of `dropped`: packets from a source the side is not latched to (RTP Bleed
    /// attempts, a fork that lost, a peer that moved without signalling).
    pub foreign: u64,
    /// RTCP packets among `packets`, and their bytes among `bytes`.
    pub rtcp: u64,
    pub rtcp_bytes: u64,
    /// RTP packets and bytes among `packets`/`bytes` that the kernel fast path forwarded
    /// (the rest went through the media workers).
    pub kernel_packets: u64,
    pub kernel_bytes: u64,
    /// Packets of this side that went no further, per reason (`dropped`, `junk` and
    /// `foreign` sum some of them; `Consumed` is not in `dropped`).
    pub drops: DropCounts,
    /// What this side's peer reported in RTCP, and the round trip to it.
    pub rtcp_report: RtcpStats,
    /// Quality of what this side's peer sent (loss, jitter, round trip, MOS).
    pub quality: Quality,
    /// ICE connectivity checks the SBC's lite agent answered on this side (refused ones
    /// are `drops` of kind `ice-auth`).
    pub ice_checks: u64,
}
