//! HEP v3 capture (`[hep]`): a copy of every SIP message of both legs, sent and received,
//! to a Homer collector, each with the other leg's Call-ID as correlation id (chunk 0x0011:
//! topology hiding gives the legs different Call-IDs, and this is how Homer joins them).
//!
//! The core task calls [`HepTap::received`] and [`HepTap::sent`] where it reads and writes
//! SIP messages, and [`HepTap::legs`] when the engine reports a call's legs. Captures wait
//! in a short list until [`HepTap::flush`] at the end of the core's round: by then the
//! engine has reported the legs of a call its INVITE started, so even the first INVITE
//! carries its correlation id. Flushing encodes ([`encode`]) and hands each packet to the
//! sender task ([`sender`]) through a bounded queue: a slow or dead collector costs the call
//! path nothing but dropped captures, counted in `sbc_hep_packets_total{result}`.
//!
//! Received messages are captured as parsed (re-serialized: the same headers and body, the
//! folding and header-name case of the wire normalized); sent ones byte for byte.
//! Timestamps are the wall clock when the core handled the message.
//!
//! RTCP reports the peers send go out as protocol type 5 (a JSON report, [`rtcp`]), with
//! the Call-ID of the leg they arrived on as correlation id (Homer's join to that leg's
//! SIP): the media workers pass copies through a bounded channel that [`HepTap::flush`]
//! drains.

pub mod encode;
pub mod rtcp;
pub mod sender;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use sbc_config::Hep;
use sbc_core::Transport;

use encode::{Capture, PROTO_RTCP, PROTO_SIP};
pub use sender::{HepCounts, HepSink};

/// Captures waiting for the round's end at most (more are dropped, counted).
const PENDING: usize = 1024;
/// How long a call's Call-IDs stay known after its end (late retransmissions, BYE answers).
const LINGER: Duration = Duration::from_secs(32);

#[derive(Debug)]
struct Pending {
    src: SocketAddr,
    dst: SocketAddr,
    transport: Transport,
    at: SystemTime,
    payload: Vec<u8>,
    /// RTCP (type 5): the call and side whose leg's Call-ID correlates it; `None`: SIP,
    /// correlated by its own Call-ID.
    rtcp: Option<(u64, sbc_core::Side)>,
}

/// The core's HEP state: the sender, the Call-ID pairs, the captures of this round.
#[derive(Debug)]
pub struct HepTap {
    sink: HepSink,
    id: u32,
    password: Option<String>,
    /// Each leg's Call-ID -> the other leg's.
    other: HashMap<String, String>,
    /// The Call-ID pair of each call (by the engine's call number).
    calls: HashMap<u64, (String, String)>,
    /// Ended calls, forgotten after [`LINGER`].
    ended: VecDeque<(Instant, u64)>,
    pending: Vec<Pending>,
    /// RTCP copies from the media workers.
    rtcp: Option<rtcp::RtcpRx>,
}

impl HepTap {
    /// Starts the sender for `[hep]` (on the current tokio runtime); RTCP copies arrive
    /// on `rtcp` (the workers hold its other end).
    pub fn start(hep: &Hep, rtcp: Option<rtcp::RtcpRx>) -> Self {
        HepTap {
            sink: HepSink::start(hep.collector),
            id: hep.id,
            password: hep.password.clone(),
            other: HashMap::new(),
            calls: HashMap::new(),
            ended: VecDeque::new(),
            pending: Vec::new(),
            rtcp,
        }
    }

    /// The sender's counters (for the metrics).
    pub fn counts(&self) -> &HepCounts {
        &self.sink.counts
    }

    fn capture(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        transport: Transport,
        payload: Vec<u8>,
    ) {
        if self.pending.len() >= PENDING {
            self.sink
                .counts
                .dropped_queue
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return;
        }
        self.pending.push(Pending {
            src,
            dst,
            transport,
            at: SystemTime::now(),
            payload,
            rtcp: None,
        });
    }

    /// Moves the RTCP copies the workers sent into this round's captures.
    fn take_rtcp(&mut self) {
        let Some(rx) = &mut self.rtcp else { return };
        let dropped = rx.dropped.swap(0, std::sync::atomic::Ordering::Relaxed);
        self.sink
            .counts
            .dropped_queue
            .fetch_add(dropped, std::sync::atomic::Ordering::Relaxed);
        while self.pending.len() < PENDING {
            let Ok(s) = rx.rx.try_recv() else { return };
            let c = s.copy;
            // Neither SR nor RR (a lone XR): nothing Homer reads.
            let Some(body) = rtcp::json(&c.report, c.blocks.as_slice()) else {
                continue;
            };
            self.pending.push(Pending {
                src: c.remote,
                dst: c.local,
                transport: sbc_core::Transport::Udp,
                at: s.at,
                payload: body.into_bytes(),
                rtcp: Some((c.stream.call, c.side)),
            });
        }
    }

    /// A message the SBC received from `remote` on its `local` socket.
    pub fn received(
        &mut self,
        transport: Transport,
        remote: SocketAddr,
        local: SocketAddr,
        msg: Vec<u8>,
    ) {
        self.capture(remote, local, transport, msg);
    }

    /// A message the SBC sends.
    pub fn sent(&mut self, t: &sbc_core::Transmit) {
        self.capture(t.local, t.remote, t.transport, t.payload.clone());
    }

    /// Call `call`'s two legs' Call-IDs.
    pub fn legs(&mut self, call: u64, a: &str, b: &str) {
        if a == b || self.calls.contains_key(&call) {
            return;
        }
        self.other.insert(a.to_owned(), b.to_owned());
        self.other.insert(b.to_owned(), a.to_owned());
        self.calls.insert(call, (a.to_owned(), b.to_owned()));
    }

    /// Call `call` ended: its pair is forgotten after [`LINGER`].
    pub fn ended(&mut self, now: Instant, call: u64) {
        self.ended.push_back((now + LINGER, call));
    }

    /// Encodes this round's captures and queues them for the sender.
    pub fn flush(&mut self, now: Instant) {
        while self.ended.front().is_some_and(|(at, _)| *at <= now) {
            if let Some((a, b)) = self
                .ended
                .pop_front()
                .and_then(|(_, c)| self.calls.remove(&c))
            {
                self.other.remove(&a);
                self.other.remove(&b);
            }
        }
        self.take_rtcp();
        for p in std::mem::take(&mut self.pending) {
            let correlation = match p.rtcp {
                None => call_id(&p.payload).and_then(|id| self.other.get(id)),
                Some((call, side)) => self.calls.get(&call).map(|(a, b)| match side {
                    sbc_core::Side::A => a,
                    sbc_core::Side::B => b,
                }),
            };
            let capture = Capture {
                src: p.src,
                dst: p.dst,
                transport: p.transport,
                at: p.at,
                proto: if p.rtcp.is_some() {
                    PROTO_RTCP
                } else {
                    PROTO_SIP
                },
                agent_id: self.id,
                password: self.password.as_deref(),
                correlation: correlation.map(String::as_str),
                payload: &p.payload,
            };
            match encode::encode(&capture) {
                Ok(packet) => self.sink.push(packet),
                Err(_) => {
                    self.sink
                        .counts
                        .dropped_send
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
    }
}

/// `sbc_hep_packets_total{result}` (`sent`, `dropped-queue`, `dropped-send`).
pub fn render(e: &mut crate::observe::exposition::Exposition, counts: [u64; 3]) {
    let name = "sbc_hep_packets_total";
    e.family(
        name,
        crate::observe::exposition::Kind::Counter,
        "HEP captures sent to the collector, or dropped (queue full: collector behind; send: unreachable or failing).",
    );
    for (result, n) in ["sent", "dropped-queue", "dropped-send"]
        .into_iter()
        .zip(counts)
    {
        e.sample(name, &[("result", result)], n);
    }
}

/// The Call-ID of a serialized SIP message (`Call-ID` or compact `i`, any case).
pub fn call_id(payload: &[u8]) -> Option<&str> {
    let end = payload
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(payload.len());
    let head = std::str::from_utf8(&payload[..end]).ok()?;
    head.split("\r\n").skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        let name = name.trim();
        (name.eq_ignore_ascii_case("call-id") || name.eq_ignore_ascii_case("i"))
            .then(|| value.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_id_of_full_and_compact_headers() {
        let m = b"INVITE sip:a@b SIP/2.0\r\nVia: x\r\nCall-ID:  abc@h \r\n\r\nbody: Call-ID: no";
        assert_eq!(call_id(m), Some("abc@h"));
        assert_eq!(call_id(b"SIP/2.0 200 OK\r\ni: x1\r\n\r\n"), Some("x1"));
        assert_eq!(call_id(b"SIP/2.0 200 OK\r\n\r\n"), None);
        assert_eq!(call_id(&[0xff, 0xfe]), None);
    }
}
