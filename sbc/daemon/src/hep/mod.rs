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
//! folding and header-name case of the wire normalized); sent ones byte for byte. Both are
//! masked as the ladders' copies are ([`crate::observe::redact`]): the SRTP keys of every
//! `a=crypto` line always, DTMF digits in INFO bodies unless both trunks of the call have
//! `show_digits = true` ([`HepTap::shows_digits`]; a message of no known call has them
//! masked).
//! Timestamps are the wall clock when the core handled the message.
//!
//! RTCP reports the peers send go out as protocol type 5 (a JSON report, [`rtcp`]), with
//! the Call-ID of the leg they arrived on as correlation id (Homer's join to that leg's
//! SIP): the media workers pass copies through a bounded channel that [`HepTap::flush`]
//! drains.
//!
//! A reload applies a changed `[hep]` ([`reload`]).

pub mod encode;
pub mod reload;
pub mod rtcp;
pub mod sender;

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use sbc_config::Hep;
use sbc_core::Transport;

use crate::observe::redact::redact;
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
    collector: sbc_core::TransportAddr,
    id: u32,
    password: Option<String>,
    /// Each leg's Call-ID -> the other leg's, and the call's number.
    other: HashMap<String, (String, u64)>,
    /// Calls whose DTMF digits are captured as they are (`show_digits` on both trunks).
    shown: HashSet<u64>,
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
        Self::with_counts(hep, rtcp, Default::default())
    }

    /// Like [`HepTap::start`], counting into `counts` (a tap started again on reload).
    fn with_counts(
        hep: &Hep,
        rtcp: Option<rtcp::RtcpRx>,
        counts: std::sync::Arc<HepCounts>,
    ) -> Self {
        HepTap {
            sink: HepSink::start_counting(hep.collector, counts),
            collector: hep.collector,
            id: hep.id,
            password: hep.password.clone(),
            other: HashMap::new(),
            shown: HashSet::new(),
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
        self.other.insert(a.to_owned(), (b.to_owned(), call));
        self.other.insert(b.to_owned(), (a.to_owned(), call));
        self.calls.insert(call, (a.to_owned(), b.to_owned()));
    }

    /// Both trunks of call `call` have `show_digits = true`: its DTMF digits are captured
    /// unmasked (without this call, they are masked).
    pub fn shows_digits(&mut self, call: u64) {
        self.shown.insert(call);
    }

    /// Call `call` ended: its pair is forgotten after [`LINGER`].
    pub fn ended(&mut self, now: Instant, call: u64) {
        self.ended.push_back((now + LINGER, call));
    }

    /// Encodes this round's captures and queues them for the sender.
    pub fn flush(&mut self, now: Instant) {
        while self.ended.front().is_some_and(|(at, _)| *at <= now) {
            let Some((_, call)) = self.ended.pop_front() else {
                break;
            };
            self.shown.remove(&call);
            if let Some((a, b)) = self.calls.remove(&call) {
                self.other.remove(&a);
                self.other.remove(&b);
            }
        }
        self.take_rtcp();
        for mut p in std::mem::take(&mut self.pending) {
            let correlation = match p.rtcp {
                None => {
                    let leg = call_id(&p.payload).and_then(|id| self.other.get(id));
                    let shown = leg.is_some_and(|(_, call)| self.shown.contains(call));
                    redact(&mut p.payload, shown);
                    leg.map(|(other, _)| other)
                }
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

    fn info(call_id: &str) -> sbc_core::Transmit {
        let body = "Signal=5\r\nDuration=160\r\n";
        let payload = format!(
            "INFO sip:pbx@10.0.0.2 SIP/2.0\r\nCall-ID: {call_id}\r\nCSeq: 2 INFO\r\n\
             Content-Type: application/dtmf-relay\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        sbc_core::Transmit {
            transport: Transport::Udp,
            local: "10.0.0.1:5060".parse().expect("addr"),
            remote: "10.0.0.2:5060".parse().expect("addr"),
            payload: payload.into_bytes(),
        }
    }

    /// The SIP message in a HEP3 packet (chunk 0x000f).
    fn payload_of(packet: &[u8]) -> String {
        let mut at = 6;
        while at + 6 <= packet.len() {
            let kind = u16::from_be_bytes([packet[at + 2], packet[at + 3]]);
            let len = usize::from(u16::from_be_bytes([packet[at + 4], packet[at + 5]]));
            if kind == 0x000f {
                return String::from_utf8_lossy(&packet[at + 6..at + len]).into_owned();
            }
            at += len;
        }
        panic!("no payload chunk")
    }

    /// An SRTP call's SDP reaches the collector with its keys masked, whether or not the
    /// call shows digits; the message handed to the socket keeps its key.
    #[tokio::test]
    async fn srtp_keys_are_masked_always() {
        const KEY: &str = "WnD7c+gh5JE6l2c1xMCkSBXdX1OHk4YrC5Hvd7Y4";
        let collector = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let hep = Hep {
            collector: sbc_core::TransportAddr {
                transport: Transport::Udp,
                addr: collector.local_addr().expect("addr"),
            },
            id: 1,
            password: None,
        };
        let mut tap = HepTap::start(&hep, None);
        tap.legs(1, "srtp-a", "srtp-b");
        tap.legs(2, "shown-a", "shown-b");
        tap.shows_digits(2);
        let body = format!(
            "v=0\r\nm=audio 4000 RTP/SAVP 8\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{KEY}|2^20\r\n"
        );
        let invite = |call_id: &str| sbc_core::Transmit {
            transport: Transport::Udp,
            local: "10.0.0.1:5060".parse().expect("addr"),
            remote: "10.0.0.2:5060".parse().expect("addr"),
            payload: format!(
                "INVITE sip:pbx@10.0.0.2 SIP/2.0\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n\
                 Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        };
        let (sent, shown) = (invite("srtp-b"), invite("shown-b"));
        tap.sent(&sent);
        tap.sent(&shown);
        tap.received(
            Transport::Udp,
            "10.0.0.2:5060".parse().expect("addr"),
            "10.0.0.1:5060".parse().expect("addr"),
            invite("srtp-a").payload,
        );
        tap.flush(Instant::now());
        assert!(String::from_utf8_lossy(&sent.payload).contains(KEY));
        let mut buf = [0u8; 2048];
        for _ in 0..3 {
            let n = tokio::time::timeout(Duration::from_secs(5), collector.recv(&mut buf))
                .await
                .expect("in time")
                .expect("recv");
            let m = payload_of(&buf[..n]);
            assert!(!m.contains(KEY), "{m}");
            assert!(
                m.ends_with(&format!("inline:{}|2^20\r\n", "A".repeat(40))),
                "{m}"
            );
        }
    }

    /// DTMF INFOs reach the collector masked, unless the call shows digits; the message
    /// handed to the socket is never changed.
    #[tokio::test]
    async fn dtmf_digits_are_masked_unless_the_call_shows_them() {
        let collector = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let hep = Hep {
            collector: sbc_core::TransportAddr {
                transport: Transport::Udp,
                addr: collector.local_addr().expect("addr"),
            },
            id: 1,
            password: None,
        };
        let mut tap = HepTap::start(&hep, None);
        tap.legs(1, "masked-a", "masked-b");
        tap.legs(2, "shown-a", "shown-b");
        tap.shows_digits(2);
        let (masked, shown, unknown) = (info("masked-b"), info("shown-b"), info("no-call"));
        for t in [&masked, &shown, &unknown] {
            tap.sent(t);
        }
        tap.flush(Instant::now());
        assert!(masked.payload.ends_with(b"Signal=5\r\nDuration=160\r\n"));
        let mut got = Vec::new();
        let mut buf = [0u8; 2048];
        for _ in 0..3 {
            let n = tokio::time::timeout(Duration::from_secs(5), collector.recv(&mut buf))
                .await
                .expect("in time")
                .expect("recv");
            got.push(payload_of(&buf[..n]));
        }
        let of = |id: &str| {
            got.iter()
                .find(|m| call_id(m.as_bytes()) == Some(id))
                .unwrap_or_else(|| panic!("{id} captured: {got:?}"))
        };
        assert!(of("masked-b").ends_with("Content-Length: 24\r\n\r\nSignal=x\r\nDuration=160\r\n"));
        assert!(of("shown-b").ends_with("Signal=5\r\nDuration=160\r\n"));
        assert!(of("no-call").ends_with("Signal=x\r\nDuration=160\r\n"));
    }
}
