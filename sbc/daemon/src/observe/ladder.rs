//! SIP ladders: every message of a call's two legs, sent and received, as on the wire,
//! kept in memory for the web UI's ladder view and the per-call pcap download.
//!
//! The core task records each message it reads (before header rules rewrite it) and each
//! it writes (after they did), with the wall-clock time, the transport and both addresses.
//! A message belongs to a call by its Call-ID: each leg has its own (topology hiding), and
//! both are known from the moment the B2BUA relays the INVITE ([`Ladders::started`]); the
//! INVITE that started the call was read before that (the core reads up to a batch of
//! messages before it handles the engine's events) and waits among the last
//! [`UNCLAIMED`] INVITEs of no call.
//! Messages of no call (OPTIONS, REGISTER, refused requests) are not kept.
//!
//! Bounded: live calls and the last [`Limits::ended_calls`] ended ones, at most
//! [`Limits::call_bytes`] of messages per call (later ones counted as `dropped`) and
//! [`Limits::total_bytes`] in all. Over the total, the oldest ended call goes first; with
//! none left, new messages are dropped (counted). Lookups by Call-ID cost one hash per
//! message. Each message is kept as [`super::redact`] leaves it: the SRTP keys of its
//! `a=crypto` lines masked, always, and DTMF digits in INFO bodies unless both legs'
//! `show_digits` allow them (same length, so Content-Length stays right). The pcap is
//! written from these copies, so it holds no key either.
//!
//! Calls picked for RTP capture keep their captured RTP/RTCP here too, with the same
//! retention and caps of their own ([`rtp`]).
//!
//! Each recorded message that can end a leg (BYE, CANCEL, a final failure to an INVITE)
//! is returned with its Q.850 `Reason` (RFC 3326/6432), for the CDR.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use sbc_core::Transport;
use sbc_mgmt::ladder::{LadderLeg, LadderMessage, LadderView};
use sbc_sip::b2bua::Side;
use sbc_sip::q850::{self, Cause};

use super::redact::redact;

/// INVITEs of no call (yet) kept until the B2BUA relays them: more than the core reads
/// in one batch before it handles what the engine made of them.
pub const UNCLAIMED: usize = 256;
/// Bytes of those INVITEs at most (the oldest dropped first).
pub const UNCLAIMED_BYTES: usize = 1024 * 1024;

/// How much the ladders keep.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Ended calls kept (the oldest dropped first).
    pub ended_calls: usize,
    /// Bytes of messages per call.
    pub call_bytes: usize,
    /// Bytes of messages in all.
    pub total_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            ended_calls: 500,
            call_bytes: 512 * 1024,
            total_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Which way a message went, seen from the SBC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    In,
    Out,
}

/// Where a message went on the wire: the SBC's address and its peer's.
#[derive(Debug, Clone, Copy)]
pub struct Wire {
    pub transport: Transport,
    pub local: SocketAddr,
    pub remote: SocketAddr,
}

#[derive(Debug, Clone)]
struct Entry {
    unix_us: i64,
    side: Side,
    way: Way,
    wire: Wire,
    bytes: Vec<u8>,
}

#[derive(Debug)]
struct CallLadder {
    call_ids: [String; 2],
    entries: Vec<Entry>,
    bytes: usize,
    dropped: u64,
    ended: bool,
    show_digits: bool,
    /// Started while recording (`[log] ladder`): its messages are kept.
    recorded: bool,
    /// Its captured RTP/RTCP, if it was picked ([`rtp`]).
    rtp: rtp::CallRtp,
}

/// A recorded message that ended (or may end) a leg, with its Q.850 cause if it had one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    pub call: u64,
    pub side: Side,
    pub way: Way,
    pub cause: Cause,
}

/// The ladders of the calls kept (owned by the core task).
#[derive(Debug, Default)]
pub struct Ladders {
    limits: Limits,
    calls: HashMap<u64, CallLadder>,
    by_call_id: HashMap<String, (u64, Side)>,
    ended: VecDeque<u64>,
    bytes: usize,
    /// The last INVITEs read whose Call-ID belongs to no call yet, oldest first.
    unclaimed: VecDeque<(String, i64, Wire, Vec<u8>)>,
    /// Their bytes.
    unclaimed_bytes: usize,
    /// `[log] ladder`: messages are kept. Off, calls are still followed by Call-ID so
    /// that the messages ending their legs give the CDR its Q.850 causes.
    off: bool,
    rtp_limits: rtp::RtpLimits,
    /// Bytes of captured RTP kept in all calls.
    rtp_bytes: usize,
}

impl Ladders {
    pub fn new(limits: Limits) -> Self {
        Ladders {
            limits,
            ..Ladders::default()
        }
    }

    /// Keeps the messages of calls that start from now on (`true`) or none (`false`).
    pub fn set_recording(&mut self, on: bool) {
        self.off = !on;
        if self.off {
            self.unclaimed.clear();
            self.unclaimed_bytes = 0;
        }
    }

    /// Whether calls starting now get a ladder.
    pub fn recording(&self) -> bool {
        !self.off
    }

    /// Whether messages with this Call-ID are kept (an INVITE may start a call and is
    /// always offered).
    pub fn wants(&self, call_id: &str) -> bool {
        self.by_call_id.contains_key(call_id)
    }

    /// A message read from the wire; its Q.850 cause when it is one that ends a leg.
    pub fn received(&mut self, unix_us: i64, wire: Wire, bytes: Vec<u8>) -> Option<Ending> {
        let head = Head::scan(&bytes)?;
        match self.by_call_id.get(head.call_id) {
            Some(&(call, side)) => {
                let ending = head.ending(call, side, Way::In);
                self.push(call, side, Way::In, unix_us, wire, bytes);
                ending
            }
            None => {
                if !self.off && head.first_line.starts_with("INVITE ") {
                    while self.unclaimed.len() >= UNCLAIMED
                        || (self.unclaimed_bytes + bytes.len() > UNCLAIMED_BYTES
                            && !self.unclaimed.is_empty())
                    {
                        if let Some(u) = self.unclaimed.pop_front() {
                            self.unclaimed_bytes -= u.3.len();
                        }
                    }
                    self.unclaimed_bytes += bytes.len();
                    self.unclaimed
                        .push_back((head.call_id.to_owned(), unix_us, wire, bytes));
                }
                None
            }
        }
    }

    /// A message written to the wire; its Q.850 cause when it is one that ends a leg.
    pub fn sent(&mut self, unix_us: i64, wire: Wire, bytes: &[u8]) -> Option<Ending> {
        let head = Head::scan(bytes)?;
        let &(call, side) = self.by_call_id.get(head.call_id)?;
        let ending = head.ending(call, side, Way::Out);
        if self.calls.get(&call).is_some_and(|c| c.recorded) {
            self.push(call, side, Way::Out, unix_us, wire, bytes.to_vec());
        }
        ending
    }

    /// The B2BUA relayed an INVITE as call `call` with these legs' Call-IDs.
    pub fn started(&mut self, call: u64, a_call_id: &str, b_call_id: &str, show_digits: bool) {
        self.calls.insert(
            call,
            CallLadder {
                call_ids: [a_call_id.to_owned(), b_call_id.to_owned()],
                entries: Vec::new(),
                bytes: 0,
                dropped: 0,
                ended: false,
                show_digits,
                recorded: !self.off,
                rtp: rtp::CallRtp::default(),
            },
        );
        self.by_call_id
            .insert(a_call_id.to_owned(), (call, Side::A));
        self.by_call_id
            .insert(b_call_id.to_owned(), (call, Side::B));
        // The INVITE (and its retransmissions read meanwhile), in the order read.
        let (mine, others): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut self.unclaimed)
            .into_iter()
            .partition(|(id, ..)| id == a_call_id);
        self.unclaimed = others;
        for (_, unix_us, wire, bytes) in mine {
            self.unclaimed_bytes -= bytes.len();
            self.push(call, Side::A, Way::In, unix_us, wire, bytes);
        }
    }

    /// The call ended: it is kept among the last ended ones (messages that still come,
    /// such as the 200 to a BYE, are recorded). Returns whether it was being captured
    /// (the media plane is to stop then).
    pub fn ended(&mut self, call: u64) -> bool {
        let mut capturing = false;
        if let Some(c) = self.calls.get_mut(&call) {
            capturing = rtp::ended(&mut c.rtp);
            if !c.ended {
                c.ended = true;
                self.ended.push_back(call);
            }
        }
        while self.ended.len() > self.limits.ended_calls {
            self.evict_oldest();
        }
        capturing
    }

    /// The ladder of `call`, if kept; with `media`, its captured RTP/RTCP packets too.
    pub fn view(&self, call: u64, media: bool) -> Option<LadderView> {
        let c = self
            .calls
            .get(&call)
            .filter(|c| c.recorded || c.rtp.bytes() > 0)?;
        let (rtp, media) = self.rtp_view(call, media);
        let mut messages: Vec<LadderMessage> = c.entries.iter().map(message_view).collect();
        messages.sort_by_key(|m| m.unix_us);
        Some(LadderView {
            call,
            ended: c.ended,
            dropped: c.dropped,
            legs: vec![
                LadderLeg {
                    side: "a".into(),
                    call_id: c.call_ids[0].clone(),
                },
                LadderLeg {
                    side: "b".into(),
                    call_id: c.call_ids[1].clone(),
                },
            ],
            messages,
            rtp,
            media,
        })
    }

    /// Bytes of messages kept.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    fn push(&mut self, call: u64, side: Side, way: Way, unix_us: i64, wire: Wire, bytes: Vec<u8>) {
        let len = bytes.len();
        while self.bytes + len > self.limits.total_bytes && !self.ended.is_empty() {
            if self.ended.front() == Some(&call) {
                break;
            }
            self.evict_oldest();
        }
        let Some(c) = self.calls.get_mut(&call).filter(|c| c.recorded) else {
            return;
        };
        if c.bytes + len > self.limits.call_bytes || self.bytes + len > self.limits.total_bytes {
            c.dropped += 1;
            return;
        }
        let mut bytes = bytes;
        redact(&mut bytes, c.show_digits);
        c.bytes += len;
        self.bytes += len;
        c.entries.push(Entry {
            unix_us,
            side,
            way,
            wire,
            bytes,
        });
    }

    fn evict_oldest(&mut self) {
        let Some(call) = self.ended.pop_front() else {
            return;
        };
        if let Some(c) = self.calls.remove(&call) {
            self.bytes -= c.bytes;
            self.rtp_bytes -= c.rtp.bytes();
            for id in &c.call_ids {
                if self.by_call_id.get(id).is_some_and(|(n, _)| *n == call) {
                    self.by_call_id.remove(id);
                }
            }
        }
    }
}

fn message_view(e: &Entry) -> LadderMessage {
    let (src, dst) = match e.way {
        Way::In => (e.wire.remote, e.wire.local),
        Way::Out => (e.wire.local, e.wire.remote),
    };
    let text = String::from_utf8_lossy(&e.bytes).into_owned();
    let first_line = text.lines().next().unwrap_or_default().to_owned();
    LadderMessage {
        time: rfc3339_us(e.unix_us),
        unix_us: e.unix_us,
        leg: match e.side {
            Side::A => "a",
            Side::B => "b",
        }
        .into(),
        direction: match e.way {
            Way::In => "in",
            Way::Out => "out",
        }
        .into(),
        transport: e.wire.transport.as_str().into(),
        src: src.to_string(),
        dst: dst.to_string(),
        first_line,
        message: text,
    }
}

/// `2026-12-05T20:57:05.123456Z`.
fn rfc3339_us(unix_us: i64) -> String {
    let secs = unix_us.div_euclid(1_000_000);
    let us = unix_us.rem_euclid(1_000_000);
    let s = sbc_mgmt::clock::rfc3339(secs);
    match s.strip_suffix('Z') {
        Some(base) => format!("{base}.{us:06}Z"),
        None => s,
    }
}

/// What the ladder reads of a message's head: its first line and a few header values.
struct Head<'a> {
    first_line: &'a str,
    call_id: &'a str,
    cseq_method: &'a str,
    reason: Option<&'a str>,
}

impl<'a> Head<'a> {
    fn scan(bytes: &'a [u8]) -> Option<Head<'a>> {
        let end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(bytes.len());
        let head = std::str::from_utf8(&bytes[..end]).ok()?;
        let mut lines = head.split("\r\n");
        let first_line = lines.next()?;
        let (mut call_id, mut cseq_method, mut reason) = (None, "", None);
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let name = name.trim();
            if name.eq_ignore_ascii_case("call-id") || name.eq_ignore_ascii_case("i") {
                call_id = Some(value.trim());
            } else if name.eq_ignore_ascii_case("cseq") {
                cseq_method = value.split_whitespace().nth(1).unwrap_or("");
            } else if name.eq_ignore_ascii_case("reason") && reason.is_none() {
                reason = Some(value.trim());
            }
        }
        Some(Head {
            first_line,
            call_id: call_id?,
            cseq_method,
            reason,
        })
    }

    /// BYE, CANCEL and final failures to an INVITE end a leg; with a Q.850 Reason, the cause.
    fn ending(&self, call: u64, side: Side, way: Way) -> Option<Ending> {
        let ends = if let Some(rest) = self.first_line.strip_prefix("SIP/2.0 ") {
            let code: u16 = rest.get(..3)?.parse().ok()?;
            code >= 300 && self.cseq_method == "INVITE"
        } else {
            self.first_line.starts_with("BYE ") || self.first_line.starts_with("CANCEL ")
        };
        if !ends {
            return None;
        }
        let cause = q850::parse_reason(self.reason?)?;
        Some(Ending {
            call,
            side,
            way,
            cause,
        })
    }
}

pub mod rtp;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_rtp;
