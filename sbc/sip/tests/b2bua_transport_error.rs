//! The B2BUA on a transport failure (RFC 3261 §17.1.4): a B leg over TCP whose
//! connection cannot be opened fails over to the next peer at once, and the caller
//! gets its answer at once when no peer is left — no 32 s of Timer B.

mod b2bua_util;

use std::net::SocketAddr;
use std::time::Instant;

use b2bua_util::{
    A_PEER, B_PEER, B_PEER_2, SBC_A, SBC_B, SDP_A, SDP_B, addr, b_response, invite_from_a, parse,
};
use sbc_core::Transport;
use sbc_sip::b2bua::{
    EndReason, Engine, EngineConfig, EngineEvent, LegIdentity, PassThrough, RelayPlan, Target,
};
use sbc_sip::transaction::{Peer, TimerConfig};
use sbc_sip::{Framing, Limits, Message};

/// An engine whose calls go to `targets` over TCP; the clock never moves unless asked.
struct Tcp {
    engine: Engine,
    hook: PassThrough,
    now: Instant,
    targets: Vec<&'static str>,
    /// (transport, remote, message) of everything sent.
    sent: Vec<(Transport, SocketAddr, Message)>,
    events: Vec<EngineEvent>,
}

impl Tcp {
    fn new(targets: &[&'static str]) -> Self {
        Tcp {
            engine: Engine::new(EngineConfig {
                timers: TimerConfig::default(),
                agent: "edge-sbc".into(),
                seed: 7,
            }),
            hook: PassThrough,
            now: Instant::now(),
            targets: targets.to_vec(),
            sent: Vec::new(),
            events: Vec::new(),
        }
    }

    fn b_peer(remote: &str) -> Peer {
        Peer {
            transport: Transport::Tcp,
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
                    peer: Tcp::b_peer(t),
                    host: (*t).into(),
                    request_uri: None,
                })
                .collect(),
            user: "4930123".into(),
            trust_identity: false,
            from_name: "carrier".into(),
            to_name: "pbx".into(),
            invite_timeout: None,
            no_target_code: None,
            inbound_refer: Default::default(),
            outbound_refer: Default::default(),
        }
    }

    /// Relays every new request per [`Tcp::plan`]; records what is sent.
    fn drain(&mut self) {
        loop {
            let mut busy = false;
            while let Some(ev) = self.engine.poll_event() {
                busy = true;
                if let EngineEvent::Request { tx, request, peer } = &ev {
                    let plan = self.plan();
                    let _ = self
                        .engine
                        .relay(self.now, *tx, request, *peer, plan, &mut self.hook);
                }
                self.events.push(ev);
            }
            while let Some(t) = self.engine.poll_transmit() {
                busy = true;
                let msg = Message::parse(t.payload, Framing::Datagram, &Limits::default())
                    .expect("the SBC sends messages that parse");
                self.sent.push((t.transport, t.remote, msg));
            }
            if !busy {
                return;
            }
        }
    }

    fn deliver_from_a(&mut self, text: &str) {
        let a = Peer {
            transport: Transport::Udp,
            local: addr(SBC_A),
            remote: addr(A_PEER),
        };
        self.engine
            .handle_message(self.now, parse(text), a, &mut self.hook);
        self.drain();
    }

    fn deliver_from_b(&mut self, remote: &str, msg: Message) {
        self.engine
            .handle_message(self.now, msg, Tcp::b_peer(remote), &mut self.hook);
        self.drain();
    }

    /// The connection from the SBC's B side to `remote` could not be opened.
    fn connect_failed(&mut self, transport: Transport, remote: &str) -> usize {
        let failed = self.engine.transport_error(
            self.now,
            transport,
            addr(SBC_B),
            addr(remote),
            &mut self.hook,
        );
        self.drain();
        failed
    }

    /// Takes what was sent to `to`.
    fn take_to(&mut self, to: &str) -> Vec<(Transport, Message)> {
        let to = addr(to);
        let (mine, rest) = std::mem::take(&mut self.sent)
            .into_iter()
            .partition(|(_, remote, _)| *remote == to);
        self.sent = rest;
        mine.into_iter().map(|(t, _, m)| (t, m)).collect()
    }

    fn codes_to_a(&mut self) -> Vec<u16> {
        self.take_to(A_PEER)
            .iter()
            .filter_map(|(_, m)| m.status())
            .collect()
    }

    /// The one INVITE sent to `to`, over TCP.
    fn invite_to(&mut self, to: &str) -> Message {
        let mut invites: Vec<Message> = self
            .take_to(to)
            .into_iter()
            .inspect(|(t, _)| assert_eq!(*t, Transport::Tcp))
            .map(|(_, m)| m)
            .filter(|m| m.method().map(|x| x.as_str()) == Some("INVITE"))
            .collect();
        assert_eq!(invites.len(), 1, "one INVITE to {to}");
        invites.remove(0)
    }
}

#[test]
fn the_next_peer_is_tried_at_once_when_the_first_cannot_be_reached() {
    let mut h = Tcp::new(&[B_PEER, B_PEER_2]);
    let start = h.now;
    h.deliver_from_a(&invite_from_a("tcp-1@carrier", 1, true));
    assert_eq!(h.codes_to_a(), vec![100]);
    let first = h.invite_to(B_PEER);
    assert!(h.take_to(B_PEER_2).is_empty(), "one peer at a time");

    assert_eq!(h.connect_failed(Transport::Tcp, B_PEER), 1);
    assert_eq!(h.now, start, "no time passed");
    let second = h.invite_to(B_PEER_2);
    assert_ne!(second.call_id(), first.call_id(), "a fresh B leg");
    assert_eq!(second.body(), SDP_A.as_bytes(), "the offer goes along");
    assert!(h.codes_to_a().is_empty(), "A sees nothing of the failure");

    h.deliver_from_b(B_PEER_2, b_response(&second, 200, "OK", Some("b2"), SDP_B));
    assert_eq!(h.codes_to_a(), vec![200]);
    assert!(
        h.take_to(B_PEER).is_empty(),
        "nothing more to the dead peer"
    );
}

#[test]
fn the_caller_is_answered_at_once_when_no_peer_can_be_reached() {
    let mut h = Tcp::new(&[B_PEER, B_PEER_2]);
    let start = h.now;
    h.deliver_from_a(&invite_from_a("tcp-2@carrier", 1, true));
    h.invite_to(B_PEER);
    assert_eq!(h.connect_failed(Transport::Tcp, B_PEER), 1);
    h.invite_to(B_PEER_2);
    assert_eq!(h.connect_failed(Transport::Tcp, B_PEER_2), 1);
    assert_eq!(h.now, start);
    let codes = h.codes_to_a();
    assert_eq!(
        codes,
        vec![100, 503],
        "the B leg's failure (a transport error: 503, RFC 3261 §8.1.3.1), answered to A"
    );
    assert!(
        h.events.iter().any(|e| matches!(
            e,
            EngineEvent::CallEnded {
                reason: EndReason::Rejected(503),
                ..
            }
        )),
        "{:?}",
        h.events
    );
}

#[test]
fn a_failure_of_another_flow_does_not_touch_the_call() {
    let mut h = Tcp::new(&[B_PEER, B_PEER_2]);
    h.deliver_from_a(&invite_from_a("tcp-3@carrier", 1, true));
    let first = h.invite_to(B_PEER);
    // The same address over TLS, and another peer: not the INVITE's flow.
    assert_eq!(h.connect_failed(Transport::Tls, B_PEER), 0);
    assert_eq!(h.connect_failed(Transport::Tcp, B_PEER_2), 0);
    assert!(h.take_to(B_PEER_2).is_empty(), "no failover");
    h.deliver_from_b(B_PEER, b_response(&first, 200, "OK", Some("b1"), SDP_B));
    assert_eq!(h.codes_to_a(), vec![100, 200]);
}
