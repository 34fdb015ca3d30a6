//! Shared by the `b2bua_*` tests: an [`Engine`] between a simulated caller (A, on the
//! carrier side) and callee (B, on the PBX side), on a virtual clock.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sbc_core::Transport;
use sbc_sip::b2bua::{
    Engine, EngineConfig, EngineEvent, LegIdentity, PassThrough, RelayPlan, Target,
};
use sbc_sip::transaction::{Peer, TimerConfig};
use sbc_sip::{Framing, Known, Limits, Message};

pub const A_PEER: &str = "203.0.113.50:5060";
pub const SBC_A: &str = "203.0.113.1:5060";
pub const SBC_B: &str = "10.20.0.1:5060";
pub const B_PEER: &str = "10.20.0.50:5060";
pub const B_PEER_2: &str = "10.20.0.51:5060";

pub const SDP_A: &str = "v=0\r\no=alice 1 1 IN IP4 203.0.113.50\r\ns=-\r\nc=IN IP4 203.0.113.50\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";
pub const SDP_B: &str = "v=0\r\no=pbx 7 7 IN IP4 10.20.0.50\r\ns=-\r\nc=IN IP4 10.20.0.50\r\nt=0 0\r\nm=audio 50000 RTP/AVP 0\r\n";

pub fn addr(s: &str) -> SocketAddr {
    s.parse().expect("test address")
}

pub fn parse(text: &str) -> Message {
    Message::parse(
        text.as_bytes().to_vec(),
        Framing::Datagram,
        &Limits::default(),
    )
    .unwrap_or_else(|e| panic!("test message does not parse: {e}\n{text}"))
}

/// What the SBC sent: where to, and the parsed message.
#[derive(Debug, Clone)]
pub struct Sent {
    pub to: SocketAddr,
    pub from: SocketAddr,
    pub msg: Message,
    pub raw: String,
}

pub struct Harness {
    pub engine: Engine,
    pub hook: PassThrough,
    pub now: Instant,
    pub sent: Vec<Sent>,
    pub events: Vec<EngineEvent>,
    pub targets: Vec<&'static str>,
    /// Answer out-of-dialog requests by relaying them (true) or with 404 (false).
    pub relay: bool,
    /// The plan's `invite_timeout` and `no_target_code` (fast failover).
    pub invite_timeout: Option<Duration>,
    pub no_target_code: Option<u16>,
    /// The plan's REFER policy for B's leg.
    pub outbound_refer: sbc_sip::b2bua::ReferMode,
    /// Every target's whole Request-URI (`None`: `sip:<user>@<host>`).
    pub request_uri: Option<&'static str>,
}

impl Harness {
    pub fn new() -> Self {
        Harness {
            engine: Engine::new(EngineConfig {
                timers: TimerConfig::default(),
                agent: "edge-sbc".into(),
                seed: 42,
            }),
            hook: PassThrough,
            now: Instant::now(),
            sent: Vec::new(),
            events: Vec::new(),
            targets: vec![B_PEER],
            relay: true,
            invite_timeout: None,
            no_target_code: None,
            outbound_refer: Default::default(),
            request_uri: None,
        }
    }

    pub fn a_peer() -> Peer {
        Peer {
            transport: Transport::Udp,
            local: addr(SBC_A),
            remote: addr(A_PEER),
        }
    }

    pub fn b_peer(remote: &str) -> Peer {
        Peer {
            transport: Transport::Udp,
            local: addr(SBC_B),
            remote: addr(remote),
        }
    }

    fn plan(&self) -> RelayPlan {
        RelayPlan {
            inbound: LegIdentity {
                advertised: SBC_A.into(),
            },
            inbound_transport: sbc_core::Transport::Udp,
            outbound: LegIdentity {
                advertised: SBC_B.into(),
            },
            targets: self
                .targets
                .iter()
                .map(|t| Target {
                    peer: Harness::b_peer(t),
                    host: (*t).into(),
                    request_uri: self.request_uri.map(str::to_owned),
                })
                .collect(),
            user: "4930123".into(),
            trust_identity: false,
            from_name: "carrier".into(),
            to_name: "pbx".into(),
            invite_timeout: self.invite_timeout,
            no_target_code: self.no_target_code,
            inbound_refer: Default::default(),
            outbound_refer: self.outbound_refer,
        }
    }

    /// Delivers a message from A.
    pub fn deliver_from_a(&mut self, text: &str) {
        let msg = parse(text);
        self.engine
            .handle_message(self.now, msg, Harness::a_peer(), &mut self.hook);
        self.drain();
    }

    /// Delivers a parsed message from A.
    pub fn deliver_msg_from_a(&mut self, msg: Message) {
        self.engine
            .handle_message(self.now, msg, Harness::a_peer(), &mut self.hook);
        self.drain();
    }

    /// Requests with `method` sent to `to` since the last take (everything else sent
    /// to `to` is dropped).
    pub fn requests_to(&mut self, to: &str, method: &str) -> Vec<Message> {
        self.take_to(to)
            .into_iter()
            .filter(|m| m.method().map(|x| x.as_str()) == Some(method))
            .collect()
    }

    /// The one request with `method` sent to `to`, retransmissions (same branch) aside.
    pub fn request_to_once(&mut self, to: &str, method: &str) -> Message {
        let mut found = self.requests_to(to, method);
        let branch = |m: &Message| m.header(Known::Via).unwrap_or_default().to_owned();
        assert!(!found.is_empty(), "expected a {method} to {to}");
        let first = branch(&found[0]);
        assert!(
            found.iter().all(|m| branch(m) == first),
            "expected one {method} to {to}, got {found:?}"
        );
        found.remove(0)
    }

    /// Asserts the call and every transaction are gone.
    pub fn assert_drained(&mut self) {
        self.settle();
        assert_eq!(self.engine.call_count(), 0, "calls left");
        assert_eq!(self.engine.transaction_count(), 0, "transactions left");
    }

    /// Delivers a message from B (peer address `remote`).
    pub fn deliver_from_b(&mut self, remote: &str, msg: Message) {
        self.engine
            .handle_message(self.now, msg, Harness::b_peer(remote), &mut self.hook);
        self.drain();
    }

    pub fn drain(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(ev) = self.engine.poll_event() {
                progressed = true;
                if let EngineEvent::Request { tx, request, peer } = &ev {
                    if self.relay {
                        let plan = self.plan();
                        let _ =
                            self.engine
                                .relay(self.now, *tx, request, *peer, plan, &mut self.hook);
                    } else {
                        self.engine
                            .answer(self.now, *tx, 404, Vec::new(), Some("no route"));
                    }
                }
                self.events.push(ev);
            }
            while let Some(t) = self.engine.poll_transmit() {
                progressed = true;
                let raw = String::from_utf8_lossy(&t.payload).into_owned();
                let msg = Message::parse(t.payload.clone(), Framing::Datagram, &Limits::default())
                    .unwrap_or_else(|e| {
                        panic!("the SBC sent a message that does not parse: {e}\n{raw}")
                    });
                self.sent.push(Sent {
                    to: t.remote,
                    from: t.local,
                    msg,
                    raw,
                });
            }
            if !progressed {
                break;
            }
        }
    }

    /// Advances the virtual clock, firing every timer due on the way.
    pub fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        while let Some(t) = self.engine.poll_timeout() {
            if t > end {
                break;
            }
            self.now = self.now.max(t);
            self.engine.handle_timeout(self.now, &mut self.hook);
            self.drain();
        }
        self.now = end;
    }

    /// Runs the clock until nothing is left to time out.
    pub fn settle(&mut self) {
        self.advance(Duration::from_secs(300));
    }

    /// Takes what was sent to `to` since the last take.
    pub fn take_to(&mut self, to: &str) -> Vec<Message> {
        let to = addr(to);
        let (mine, rest): (Vec<Sent>, Vec<Sent>) = self.sent.drain(..).partition(|s| s.to == to);
        self.sent = rest;
        mine.into_iter().map(|s| s.msg).collect()
    }

    /// The single request with `method` sent to `to` (panics otherwise).
    pub fn request_to(&mut self, to: &str, method: &str) -> Message {
        let all = self.take_to(to);
        let mut found: Vec<Message> = all
            .into_iter()
            .filter(|m| m.method().map(|x| x.as_str()) == Some(method))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "expected one {method} to {to}, got {found:?}"
        );
        found.remove(0)
    }

    /// Status codes sent to `to` since the last take, in order.
    pub fn codes_to(&mut self, to: &str) -> Vec<u16> {
        self.take_to(to)
            .iter()
            .filter_map(Message::status)
            .collect()
    }
}

/// An INVITE from A with an SDP offer.
pub fn invite_from_a(call_id: &str, cseq: u32, with_sdp: bool) -> String {
    invite_from_a_with(call_id, cseq, with_sdp, "")
}

/// An INVITE from A with extra header lines (`extra`, each ending in CRLF).
pub fn invite_from_a_with(call_id: &str, cseq: u32, with_sdp: bool, extra: &str) -> String {
    let body = if with_sdp { SDP_A } else { "" };
    let ct = if with_sdp {
        "Content-Type: application/sdp\r\n"
    } else {
        ""
    };
    let branch_id: String = call_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!(
        "INVITE sip:+4930123@{SBC_A} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {A_PEER};branch=z9hG4bKa{cseq}{branch_id};rport\r\n\
         Max-Forwards: 70\r\n\
         From: \"Alice\" <sip:+4989555@carrier.example.com>;tag=atag\r\n\
         To: <sip:+4930123@{SBC_A}>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} INVITE\r\n\
         Contact: <sip:alice@{A_PEER}>\r\n\
         Record-Route: <sip:proxy.carrier.example.com;lr>\r\n\
         X-Carrier-Secret: do-not-leak\r\n\
         User-Agent: CarrierSwitch/9\r\n\
         {extra}{ct}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// An in-dialog request from A (after the 2xx): `to_tag` is the SBC's A-leg tag.
pub fn in_dialog_from_a(
    method: &str,
    call_id: &str,
    cseq: u32,
    to_tag: &str,
    body: &str,
) -> String {
    in_dialog_from_a_with(method, call_id, cseq, to_tag, body, "")
}

/// An in-dialog request from A with extra header lines (each ending in CRLF).
pub fn in_dialog_from_a_with(
    method: &str,
    call_id: &str,
    cseq: u32,
    to_tag: &str,
    body: &str,
    extra: &str,
) -> String {
    let ct = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/sdp\r\n"
    };
    format!(
        "{method} sip:{SBC_A} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {A_PEER};branch=z9hG4bKad{method}{cseq};rport\r\n\
         Max-Forwards: 70\r\n\
         Route: <sip:proxy.carrier.example.com;lr>\r\n\
         From: \"Alice\" <sip:+4989555@carrier.example.com>;tag=atag\r\n\
         To: <sip:+4930123@{SBC_A}>;tag={to_tag}\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} {method}\r\n\
         Contact: <sip:alice@{A_PEER}>\r\n\
         {extra}{ct}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// A response from B to `request` (a request the SBC sent to B).
pub fn b_response(
    request: &Message,
    code: u16,
    reason: &str,
    to_tag: Option<&str>,
    body: &str,
) -> Message {
    let mut text = format!("SIP/2.0 {code} {reason}\r\n");
    for v in request.header_values(Known::Via) {
        text.push_str(&format!("Via: {v}\r\n"));
    }
    text.push_str(&format!(
        "From: {}\r\n",
        request.header(Known::From).unwrap_or_default()
    ));
    let to = request.header(Known::To).unwrap_or_default();
    match to_tag {
        Some(t) if !to.contains("tag=") => text.push_str(&format!("To: {to};tag={t}\r\n")),
        _ => text.push_str(&format!("To: {to}\r\n")),
    }
    text.push_str(&format!(
        "Call-ID: {}\r\n",
        request.call_id().unwrap_or_default()
    ));
    text.push_str(&format!(
        "CSeq: {}\r\n",
        request.header(Known::CSeq).unwrap_or_default()
    ));
    if (101..300).contains(&code) && request.method().map(|m| m.as_str()) == Some("INVITE") {
        text.push_str(&format!(
            "Contact: <sip:pbx@{B_PEER}>\r\nRecord-Route: <sip:pbx-proxy.internal;lr>\r\n"
        ));
    }
    text.push_str("Server: SecretPBX/1.0\r\n");
    if !body.is_empty() {
        text.push_str("Content-Type: application/sdp\r\n");
    }
    text.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    parse(&text)
}

/// A request from B inside the B-leg dialog established by `invite` (as the SBC sent
/// it) and answered with B's tag `b_tag`.
pub fn in_dialog_from_b(method: &str, invite: &Message, b_tag: &str, cseq: u32) -> Message {
    let from = invite.header(Known::From).unwrap_or_default();
    let to = invite.header(Known::To).unwrap_or_default();
    parse(&format!(
        "{method} sip:{SBC_B} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {B_PEER};branch=z9hG4bKb{method}{cseq}\r\n\
         Max-Forwards: 70\r\n\
         From: {to};tag={b_tag}\r\n\
         To: {from}\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} {method}\r\n\
         Content-Length: 0\r\n\r\n",
        call_id = invite.call_id().unwrap_or_default(),
    ))
}

/// The To tag of a response.
pub fn to_tag(m: &Message) -> String {
    m.to()
        .ok()
        .and_then(|t| t.tag().map(str::to_owned))
        .expect("To tag")
}

/// `m` with extra header fields.
pub fn with(mut m: Message, headers: &[(Known, &str)]) -> Message {
    for (name, value) in headers {
        m.push_header(*name, *value);
    }
    m
}

/// A response of A to a request the SBC sent to A (BYE, UPDATE, re-INVITE ...).
pub fn a_response(request: &Message, code: u16, reason: &str) -> Message {
    let mut text = format!("SIP/2.0 {code} {reason}\r\n");
    for v in request.header_values(Known::Via) {
        text.push_str(&format!("Via: {v}\r\n"));
    }
    for name in [Known::From, Known::To, Known::CallId, Known::CSeq] {
        text.push_str(&format!(
            "{}: {}\r\n",
            name.as_str(),
            request.header(name).unwrap_or_default()
        ));
    }
    text.push_str("Content-Length: 0\r\n\r\n");
    parse(&text)
}

/// Whether `name` of `m` lists `token` (Supported, Require, Allow ...).
pub fn lists(m: &Message, name: Known, token: &str) -> bool {
    m.header_values(name)
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}
