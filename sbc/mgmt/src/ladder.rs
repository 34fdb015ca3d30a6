//! A call's SIP ladder as the daemon hands it over ([`LadderView`]), and its pcap
//! rendering ([`pcap`]).
//!
//! The daemon keeps every SIP message of a recent call's two legs as it was on the wire
//! (see the daemon's `observe::ladder`); management asks for one call's by
//! [`crate::live::Command::Ladder`] and serves it as JSON (`GET /api/calls/{call}/ladder`)
//! or as a pcap file (`GET /api/calls/{call}/pcap`).

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

pub mod pcap;
