//! Shared by the `transaction_*` tests: a virtual clock driving a [`TransactionLayer`]
//! and recording what it sends and reports, and SIP messages built from text.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sbc_core::{Transmit, Transport};
use sbc_sip::{
    Framing, Known, Limits, Message, Peer, TimerConfig, TransactionEvent, TransactionLayer,
};

pub fn parse(text: &str) -> Message {
    Message::parse(
        text.as_bytes().to_vec(),
        Framing::Datagram,
        &Limits::default(),
    )
    .unwrap_or_else(|e| panic!("test message does not parse: {e}\n{text}"))
}

pub fn parse_bytes(bytes: &[u8]) -> Message {
    Message::parse(bytes.to_vec(), Framing::Datagram, &Limits::default())
        .unwrap_or_else(|e| panic!("sent message does not parse: {e}"))
}

pub fn peer(transport: Transport) -> Peer {
    Peer {
        transport,
        local: "192.0.2.1:5060".parse().expect("addr"),
        remote: "198.51.100.20:5070".parse().expect("addr"),
    }
}

pub fn udp() -> Peer {
    peer(Transport::Udp)
}

pub fn tcp() -> Peer {
    peer(Transport::Tcp)
}

/// A request from the SBC (client side): our Via, the given branch.
pub fn outgoing(method: &str, branch: &str, cseq: u32) -> Message {
    parse(&format!(
        "{method} sip:+4930123@pbx.example.net SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.0.2.1:5060;branch={branch};rport\r\n\
         Max-Forwards: 70\r\n\
         Route: <sip:edge1.example.net;lr>\r\n\
         Route: <sip:edge2.example.net;lr>\r\n\
         From: <sip:+4989555@sbc.example.net>;tag=sbc-from\r\n\
         To: <sip:+4930123@pbx.example.net>\r\n\
         Call-ID: out-call-1@192.0.2.1\r\n\
         CSeq: {cseq} {method}\r\n\
         Contact: <sip:192.0.2.1:5060>\r\n\
         Content-Length: 0\r\n\r\n"
    ))
}

/// A request from a peer (server side). `via` is the whole top Via value; `to_tag` and
/// `from_tag` as given.
pub fn incoming(method: &str, via: &str, cseq: u32, to_tag: Option<&str>) -> Message {
    let to = match to_tag {
        Some(t) => format!("<sip:bob@sbc.example.net>;tag={t}"),
        None => "<sip:bob@sbc.example.net>".into(),
    };
    parse(&format!(
        "{method} sip:bob@sbc.example.net SIP/2.0\r\n\
         Via: {via}\r\n\
         Via: SIP/2.0/UDP 10.9.9.9:5060;branch=z9hG4bKbehind\r\n\
         Max-Forwards: 69\r\n\
         From: \"Alice\" <sip:alice@carrier.example.com>;tag=alice-1\r\n\
         To: {to}\r\n\
         Call-ID: in-call-1@carrier.example.com\r\n\
         CSeq: {cseq} {method}\r\n\
         Content-Length: 0\r\n\r\n"
    ))
}

pub const VIA_A: &str = "SIP/2.0/UDP 198.51.100.20:5070;branch=z9hG4bKpeer-a";

/// A response from the peer to one of our requests, as a real UAS would build it.
pub fn reply(request: &Message, code: u16, reason: &str, to_tag: Option<&str>) -> Message {
    let r = sbc_sip::transaction::response_for(request, code, reason, to_tag);
    parse_bytes(&r.to_bytes())
}

/// Whole seconds and milliseconds.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// The layer on a virtual clock, with everything it sent and reported, stamped with
/// the time since the start.
pub struct Harness {
    pub layer: TransactionLayer,
    pub t0: Instant,
    pub now: Instant,
    pub sent: Vec<(Duration, Transmit)>,
    pub events: Vec<(Duration, TransactionEvent)>,
}

impl Harness {
    pub fn new() -> Self {
        Harness::with(TimerConfig::default())
    }

    pub fn with(config: TimerConfig) -> Self {
        let t0 = Instant::now();
        Harness {
            layer: TransactionLayer::new(config),
            t0,
            now: t0,
            sent: Vec::new(),
            events: Vec::new(),
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    /// Collects what the layer has to say.
    pub fn drain(&mut self) {
        let at = self.elapsed();
        while let Some(t) = self.layer.poll_transmit() {
            self.sent.push((at, t));
        }
        while let Some(e) = self.layer.poll_event() {
            self.events.push((at, e));
        }
    }

    /// Moves the clock to `t0 + at`, firing every timer due on the way at its own time.
    pub fn advance_to(&mut self, at: Duration) {
        let end = self.t0 + at;
        while let Some(next) = self.layer.poll_timeout() {
            if next > end {
                break;
            }
            assert!(next >= self.now, "timer in the past");
            self.now = next;
            self.layer.handle_timeout(next);
            self.drain();
        }
        self.now = end;
    }

    /// Runs timers until none is left (bounded, so a bug cannot hang the test).
    pub fn run_out(&mut self) {
        for _ in 0..10_000 {
            let Some(next) = self.layer.poll_timeout() else {
                return;
            };
            self.now = next;
            self.layer.handle_timeout(next);
            self.drain();
        }
        panic!("timers never ran out");
    }

    pub fn receive(&mut self, msg: Message, peer: Peer) {
        self.layer.handle_message(self.now, msg, peer);
        self.drain();
    }

    /// Messages sent, parsed, with their send time.
    pub fn sent_messages(&self) -> Vec<(Duration, Message)> {
        self.sent
            .iter()
            .map(|(at, t)| (*at, parse_bytes(&t.payload)))
            .collect()
    }

    /// Send times of messages whose first line starts with `prefix`.
    pub fn sent_times(&self, prefix: &str) -> Vec<Duration> {
        self.sent
            .iter()
            .filter(|(_, t)| t.payload.starts_with(prefix.as_bytes()))
            .map(|(at, _)| *at)
            .collect()
    }

    /// Removes and returns everything sent so far.
    pub fn take_sent(&mut self) -> Vec<Message> {
        std::mem::take(&mut self.sent)
            .into_iter()
            .map(|(_, t)| parse_bytes(&t.payload))
            .collect()
    }

    /// Removes and returns every event so far.
    pub fn take_events(&mut self) -> Vec<TransactionEvent> {
        std::mem::take(&mut self.events)
            .into_iter()
            .map(|(_, e)| e)
            .collect()
    }
}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

pub fn status(m: &Message) -> u16 {
    m.status().expect("a response")
}

pub fn header(m: &Message, name: Known) -> &str {
    m.header(name)
        .unwrap_or_else(|| panic!("{} missing", name.as_str()))
}

/// The peer's address as a `SocketAddr`, for checking symmetric response routing.
pub fn remote() -> SocketAddr {
    udp().remote
}
