//! The session description model: one struct per SDP section and typed line.
//!
//! Fields are public so the B2BUA can read and adjust anything; the rewrite helpers in
//! [`crate::session`] and [`crate::media`] cover what media anchoring needs. Values a
//! caller writes into text fields must not contain CR or LF, and token fields (user
//! name, media, proto, formats) no spaces either, or the printed description will not
//! parse back the same.

use std::net::IpAddr;

use crate::address::{Address, Connection};
use crate::attr::Attributes;

/// A whole description: the session section followed by its media sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=`
    pub origin: Origin,
    /// `s=`, byte-exact (often `-` or a single space).
    pub session_name: String,
    /// `i=`, byte-exact.
    pub information: Option<String>,
    /// `u=`, byte-exact.
    pub uri: Option<String>,
    /// `e=` lines, byte-exact.
    pub emails: Vec<String>,
    /// `p=` lines, byte-exact.
    pub phones: Vec<String>,
    /// Session-level `c=`, the default for media sections without their own.
    pub connection: Option<Connection>,
    /// Session-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// `t=` lines (at least one), each with its `r=` lines.
    pub timings: Vec<Timing>,
    /// `z=`, byte-exact.
    pub time_zones: Option<String>,
    /// Session-level `k=` (obsolete), byte-exact.
    pub key: Option<String>,
    /// Session-level `a=` lines in order.
    pub attributes: Attributes,
    /// Lines with a type letter SDP does not define, byte-exact, in order.
    pub other_lines: Vec<OtherLine>,
    /// `m=` sections in order. Their count must never change in an answer.
    pub media: Vec<MediaDescription>,
}

/// The `o=` line: who made the description and which version of it this is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// `-` when the creator has no user name.
    pub username: String,
    pub session_id: u64,
    /// Must grow by one each time a party sends a changed description (RFC 3264 §8).
    pub session_version: u64,
    pub address: Address,
}

impl Origin {
    /// An origin for a leg the SBC presents itself on.
    pub fn new(username: &str, session_id: u64, session_version: u64, address: IpAddr) -> Self {
        Origin {
            username: username.to_owned(),
            session_id,
            session_version,
            address: Address::Ip(address),
        }
    }

    /// Increments the version, as required when the description sent on a leg changes.
    pub fn bump(&mut self) {
        self.session_version = self.session_version.wrapping_add(1);
    }
}

/// A `t=` line with the `r=` lines that follow it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timing {
    /// NTP start time; 0 for an unbounded session (what SIP always uses).
    pub start: u64,
    /// NTP stop time; 0 for unbounded.
    pub stop: u64,
    /// `r=` values, byte-exact.
    pub repeats: Vec<String>,
}

impl Default for Timing {
    /// `t=0 0`
    fn default() -> Self {
        Timing {
            start: 0,
            stop: 0,
            repeats: Vec::new(),
        }
    }
}

/// A `b=<bwtype>:<bandwidth>` line, e.g. `b=AS:64` (kbit/s) or `b=TIAS:64000` (bit/s).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bandwidth {
    pub bwtype: String,
    pub value: u64,
}

/// A line whose type letter SDP does not define (e.g. `y=` from some gateways), kept
/// and printed back byte-exact at the end of its section.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OtherLine {
    /// The lower-case type letter.
    pub letter: char,
    pub value: String,
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// `audio`, `video`, `image`, `application`, ...
    pub media: String,
    /// 0 marks a rejected or disabled stream (RFC 3264 §6); it stays in place with 0.
    pub port: u16,
    /// The `/<number of ports>` suffix, for layered encodings only.
    pub port_count: Option<u16>,
    /// `RTP/AVP`, `RTP/SAVP`, `RTP/SAVPF`, `UDP/TLS/RTP/SAVP`, `udptl`, ...
    pub proto: String,
    /// Payload types for RTP protocols, other tokens (`t38`) otherwise. Never empty.
    pub formats: Vec<String>,
    /// `i=`, byte-exact.
    pub information: Option<String>,
    /// Media-level `c=`; when absent the session-level one applies.
    pub connection: Option<Connection>,
    /// Media-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// Media-level `k=` (obsolete), byte-exact.
    pub key: Option<String>,
    /// Media-level `a=` lines in order.
    pub attributes: Attributes,
    /// Lines with an undefined type letter, byte-exact, in order.
    pub other_lines: Vec<OtherLine>,
}

impl MediaDescription {
    /// A section with only its `m=` line filled in.
    pub fn new(media: &str, port: u16, proto: &str, formats: Vec<String>) -> Self {
        MediaDescription {
            media: media.to_owned(),
            port,
            port_count: None,
            proto: proto.to_owned(),
            formats,
            information: None,
            connection: None,
            bandwidths: Vec::new(),
            key: None,
            attributes: Attributes::default(),
            other_lines: Vec::new(),
        }
    }
}
