//! A call's SIP ladder as the daemon hands it over ([`LadderView`]), and its pcap
//! rendering ([`pcap`]).
//!
//! The daemon keeps every SIP message of a recent call's two legs as it was on the wire
//! (see the daemon's `observe::ladder`), and the RTP/RTCP of calls picked for capture
//! (`POST /api/calls/{call}/capture`); management asks for one call's by
//! [`crate::live::Command::Ladder`] and serves it as JSON (`GET /api/calls/{call}/ladder`,
//! without the RTP packets: only their counts in `rtp`) or as a pcap file
//! (`GET /api/calls/{call}/pcap`, SIP and RTP merged in time order).

use serde::{Deserialize, Serialize};

/// Every message of one call's two legs kept, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LadderView {
    /// The call's number (as in the CDR's `call` and the live view's `id`).
    pub call: u64,
    /// The call has ended (the ladder is complete unless `dropped`).
    pub ended: bool,
    /// Messages not kept (the call's share of memory was used up).
    pub dropped: u64,
    /// `a` (the caller's leg) and `b`, each with its Call-ID.
    pub legs: Vec<LadderLeg>,
    pub messages: Vec<LadderMessage>,
    /// The call's RTP capture, if it was picked for one.
    #[serde(default)]
    pub rtp: RtpCapture,
    /// The captured RTP/RTCP packets, oldest first: filled for the pcap only
    /// ([`Command::Ladder`](crate::live::Command::Ladder) with `media`), never in the JSON.
    #[serde(skip)]
    pub media: Vec<MediaPacket>,
}

/// What was captured of a call's RTP/RTCP (`POST /api/calls/{call}/capture`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RtpCapture {
    /// Being captured now.
    pub capturing: bool,
    /// Packets and bytes kept (both legs, received and sent).
    pub packets: u64,
    pub bytes: u64,
    /// Packets not kept: over the call's or the capture's memory, or lost on the way
    /// from a media worker that was ahead of the daemon's core.
    pub dropped: u64,
}

/// One captured RTP/RTCP packet as it was on the wire (SRTP in the clear).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaPacket {
    /// Microseconds since the Unix epoch.
    pub unix_us: i64,
    pub src: std::net::SocketAddr,
    pub dst: std::net::SocketAddr,
    pub bytes: Vec<u8>,
}

/// One leg of a laddered call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LadderLeg {
    pub side: String,
    pub call_id: String,
}

/// One message as it was on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LadderMessage {
    /// RFC 3339 with microseconds, UTC.
    pub time: String,
    /// Microseconds since the Unix epoch.
    pub unix_us: i64,
    /// `a` or `b`.
    pub leg: String,
    /// `in` (received by the SBC) or `out` (sent by it).
    pub direction: String,
    /// `udp`, `tcp` or `tls`.
    pub transport: String,
    /// Source and destination, `ip:port` (`[v6]:port`).
    pub src: String,
    pub dst: String,
    pub first_line: String,
    /// The whole message (DTMF digits masked unless shown).
    pub message: String,
}

mod clear_sdp;
pub mod pcap;
