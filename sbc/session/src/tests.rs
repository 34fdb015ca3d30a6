//! Unit tests of the media hook beyond the golden scenarios: body types, port pool
//! exhaustion and its rollback, unknown calls and realms, and a call through the real
//! B2BUA engine.

use std::net::SocketAddr;
use std::time::Instant;

use sbc_core::{MediaOp, Side, Transport};
use sbc_sip::b2bua::{
    Body, BodyRole, CallId, EndReason, Engine, EngineConfig, EngineEvent, LegIdentity, PassThrough,
    RelayPlan, SessionHook, Target,
};
use sbc_sip::transaction::{Peer, TimerConfig};
use sbc_sip::{Framing, Limits, Message};

use super::MediaHook;
use super::golden::{golden_config, test_names};

const CARRIER: &str = "198.51.100.20:5060";
const SBC_OUTSIDE: &str = "203.0.113.10:5060";
const SBC_INSIDE: &str = "10.0.0.1:5060";
const PBX: &str = "10.0.0.20:5060";

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("test address")
}

fn engine() -> Engine {
    Engine::new(EngineConfig {
        timers: TimerConfig::default(),
        agent: "sbc/test".into(),
        seed: 1,
    })
}

fn invite(call_id: &str, sdp: &str) -> Message {
    let ct = if sdp.is_empty() {
        String::new()
    } else {
        "Content-Type: application/sdp\r\n".to_owned()
    };
    let text = format!(
        "INVITE sip:1000@{SBC_OUTSIDE} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {CARRIER};branch=z9hG4bK-{call_id}\r\n\
         From: <sip:a@{CARRIER}>;tag=a-{call_id}\r\n\
         To: <sip:1000@{SBC_OUTSIDE}>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:a@{CARRIER}>\r\n\
         Max-Forwards: 70\r\n\
         {ct}Content-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    Message::parse(text.into_bytes(), Framing::Datagram, &Limits::default()).expect("INVITE")
}

/// A relay plan from `from` (trunk or realm) to `to`, with the carrier/PBX addresses.
pub(super) fn plan(from: &str, to: &str) -> RelayPlan {
    RelayPlan {
        inbound: LegIdentity {
            advertised: SBC_OUTSIDE.into(),
        },
        inbound_transport: sbc_core::Transport::Udp,
        outbound: LegIdentity {
            advertised: SBC_INSIDE.into(),
        },
        targets: vec![Target {
            peer: Peer {
                transport: Transport::Udp,
                local: addr(SBC_INSIDE),
                remote: addr(PBX),
            },
            host: PBX.into(),
            request_uri: None,
        }],
        user: "1000".into(),
        trust_identity: false,
        from_name: from.into(),
        to_name: to.into(),
        invite_timeout: None,
        no_target_code: None,
        inbound_refer: Default::default(),
        outbound_refer: Default::default(),
    }
}

/// Real call ids: each is a call relayed by a B2BUA engine (bodies pass through it).
pub(super) struct Calls {
    engine: Engine,
    n: u64,
}

impl Calls {
    pub(super) fn new() -> Self {
        Calls {
            engine: engine(),
            n: 0,
        }
    }

    pub(crate) fn next(&mut self) -> CallId {
        self.n += 1;
        let now = Instant::now();
        let peer = carrier_peer();
        let request = invite(&format!("c{}", self.n), "");
        self.engine
            .handle_message(now, request, peer, &mut PassThrough);
        let (tx, request, peer) = std::iter::from_fn(|| self.engine.poll_event())
            .find_map(|ev| match ev {
                EngineEvent::Request { tx, request, peer } => Some((tx, request, peer)),
                _ => None,
            })
            .expect("the engine reports the INVITE");
        self.engine
            .relay(
                now,
                tx,
                &request,
                peer,
                plan("carrier", "pbx"),
                &mut PassThrough,
            )
            .expect("relayed")
    }
}

fn carrier_peer() -> Peer {
    Peer {
        transport: Transport::Udp,
        local: addr(SBC_OUTSIDE),
        remote: addr(CARRIER),
    }
}

const OFFER: &str = "v=0\r\no=c 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\n\
    t=0 0\r\nm=audio 49170 RTP/AVP 8 0\r\n";

fn body<'a>(
    call: CallId,
    from: Side,
    role: BodyRole,
    ct: Option<&'a str>,
    bytes: &'a [u8],
) -> Body<'a> {
    Body {
        call,
        from,
        role,
        fork: None,
        content_type: ct,
        bytes,
    }
}

fn started(hook: &mut MediaHook, calls: &mut Calls, from: &str, to: &str) -> CallId {
    let id = calls.next();
    hook.call_started(id, &plan(from, to));
    id
}

#[test]
fn other_bodies_cross_unchanged_and_multipart_sdp_is_refused() {
    let mut hook = MediaHook::new(golden_config(), 1, test_names())
        .with_key_source(crate::KeySource::Seeded(1));
    let mut calls = Calls::new();
    let id = started(&mut hook, &mut calls, "carrier", "pbx");
    let isup = b"\x01\x02 not SDP";
    let out = hook.relay_body(body(
        id,
        Side::A,
        BodyRole::Offer,
        Some("application/isup"),
        isup,
    ));
    assert_eq!(out.as_deref(), Ok(&isup[..]));
    let multipart = b"--x\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--x--\r\n";
    let ct = Some("multipart/mixed;boundary=x");
    let err = hook
        .relay_body(body(id, Side::A, BodyRole::Offer, ct, multipart))
        .expect_err("refused");
    assert!(err.0.contains("multipart"), "{err}");
    // No Content-Type, but SDP.
    let out = hook
        .relay_body(body(id, Side::A, BodyRole::Offer, None, OFFER.as_bytes()))
        .expect("anchored");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains("c=IN IP4 10.0.0.1\r\n"), "{text}");
    assert!(!text.contains("198.51.100.20"), "{text}");
    hook.call_ended(id);
    assert_eq!(hook.free_ports("inside").map(|u| u.free), Some(50));
}

#[test]
fn an_unknown_trunk_or_call_is_refused() {
    let mut hook = MediaHook::new(golden_config(), 1, test_names())
        .with_key_source(crate::KeySource::Seeded(1));
    let mut calls = Calls::new();
    let id = started(&mut hook, &mut calls, "nobody", "pbx");
    let sdp = Some("application/sdp");
    let err = hook
        .relay_body(body(id, Side::A, BodyRole::Offer, sdp, OFFER.as_bytes()))
        .expect_err("refused");
    assert!(err.0.contains("nobody is no trunk or realm"), "{err}");
    hook.call_ended(id);
    let err = hook
        .relay_body(body(id, Side::A, BodyRole::Offer, sdp, OFFER.as_bytes()))
        .expect_err("refused");
    assert!(err.0.contains("not known"), "{err}");
    assert!(hook.drain_ops().is_empty());
}

#[test]
fn an_exhausted_pool_refuses_the_offer_and_keeps_nothing() {
    let mut hook = MediaHook::new(golden_config(), 1, test_names())
        .with_key_source(crate::KeySource::Seeded(1));
    let mut calls = Calls::new();
    let sdp = Some("application/sdp");
    // 50 pairs per realm: 50 one-stream calls fill "outside".
    let mut ids = Vec::new();
    for _ in 0..50 {
        let id = started(&mut hook, &mut calls, "carrier", "pbx");
        hook.relay_body(body(id, Side::A, BodyRole::Offer, sdp, OFFER.as_bytes()))
            .expect("anchored");
        ids.push(id);
    }
    assert_eq!(hook.free_ports("outside").map(|u| u.free), Some(0));
    let _ = hook.drain_ops();
    let id = started(&mut hook, &mut calls, "carrier", "pbx");
    let err = hook
        .relay_body(body(id, Side::A, BodyRole::Offer, sdp, OFFER.as_bytes()))
        .expect_err("no ports");
    assert_eq!(err.0, "no media ports left in realm outside");
    assert!(hook.drain_ops().is_empty(), "nothing opened");
    assert_eq!(
        hook.free_ports("inside").map(|u| u.free),
        Some(0),
        "rolled back"
    );
    hook.call_ended(id);
    for id in ids {
        hook.call_ended(id);
    }
    let closes = hook
        .drain_ops()
        .iter()
        .filter(|op| matches!(op, MediaOp::Close { .. }))
        .count();
    assert_eq!(closes, 50);
    for realm in ["outside", "inside"] {
        let u = hook.free_ports(realm).expect("pool");
        assert_eq!(u.free, u.total, "{realm}");
    }
    assert_eq!(
        hook.port_summary(),
        "inside 50/50, inside6 50/50, outside 50/50, phones 50/50, secure 50/50"
    );
}

#[test]
fn the_b2bua_relays_the_anchored_offer_and_media_timeout_hangs_up() {
    let mut hook = MediaHook::new(golden_config(), 1, test_names())
        .with_key_source(crate::KeySource::Seeded(1));
    let mut engine = engine();
    let now = Instant::now();
    engine.handle_message(now, invite("m1", OFFER), carrier_peer(), &mut hook);
    let Some(EngineEvent::Request { tx, request, peer }) = engine.poll_event() else {
        panic!("the engine reports the INVITE");
    };
    let id = engine
        .relay(now, tx, &request, peer, plan("carrier", "pbx"), &mut hook)
        .expect("relayed");
    let sent: Vec<String> = std::iter::from_fn(|| engine.poll_transmit())
        .map(|t| String::from_utf8_lossy(&t.payload).into_owned())
        .collect();
    let to_pbx = sent
        .iter()
        .find(|m| m.starts_with("INVITE "))
        .expect("INVITE to the PBX");
    assert!(to_pbx.contains("\r\nc=IN IP4 10.0.0.1\r\n"), "{to_pbx}");
    // telephone-event added: the PBX is an rfc4733 leg (the default), the carrier offered none.
    assert!(
        to_pbx.contains("m=audio 30000 RTP/AVP 8 0 101\r\n"),
        "{to_pbx}"
    );
    assert!(!to_pbx.contains("198.51.100.20"), "{to_pbx}");
    let ops = hook.drain_ops();
    assert!(matches!(ops.first(), Some(MediaOp::Open { .. })), "{ops:?}");
    assert_eq!(hook.call_of(id.get()), Some(id));

    // The media plane reports no packets: the call ends, its streams close.
    assert!(engine.hang_up(now, id, EndReason::MediaTimeout, &mut hook));
    let ops = hook.drain_ops();
    assert!(matches!(ops[..], [MediaOp::Close { .. }]), "{ops:?}");
    assert_eq!(hook.call_of(id.get()), None);
    let u = hook.free_ports("outside").expect("pool");
    assert_eq!(u.free, u.total);
    // Unanswered: A gets a final error (the INVITE's server transaction answers it).
    let to_carrier: Vec<String> = std::iter::from_fn(|| engine.poll_transmit())
        .map(|t| String::from_utf8_lossy(&t.payload).into_owned())
        .collect();
    assert!(
        to_carrier.iter().any(|m| m.starts_with("SIP/2.0 500")),
        "{to_carrier:?}"
    );
}

#[test]
fn a_refused_answer_of_b_tells_a_nothing_of_b() {
    let mut hook = MediaHook::new(golden_config(), 1, test_names())
        .with_key_source(crate::KeySource::Seeded(1));
    let mut calls = Calls::new();
    let id = started(&mut hook, &mut calls, "carrier", "pbx");
    let sdp = Some("application/sdp");
    hook.relay_body(body(id, Side::A, BodyRole::Offer, sdp, OFFER.as_bytes()))
        .expect("anchored");
    hook.answered(id, Some("t1"));
    let answer = "v=0\r\no=p 1 1 IN IP4 10.0.0.20\r\ns=-\r\nc=IN IP4 10.0.0.20\r\n\
        t=0 0\r\nm=audio 443 RTP/AVP 8\r\n";
    let mut b = body(id, Side::B, BodyRole::Answer, sdp, answer.as_bytes());
    b.fork = Some("t1");
    let err = hook.relay_body(b).expect_err("port 443 refused");
    assert_eq!(err.0, "the called side's SDP: unusable media address");
    // A re-INVITE of B's own gets the details (its 488 goes back to B).
    let reoffer = answer.replace("o=p 1 1", "o=p 1 2");
    let err = hook
        .relay_body(body(id, Side::B, BodyRole::Offer, sdp, reoffer.as_bytes()))
        .expect_err("port 443 refused");
    assert_eq!(
        err.0,
        "media section 0: port 443 is not a media port (1024-65535)"
    );
    hook.call_ended(id);
}

#[test]
fn a_stream_the_engine_could_not_bind_is_not_closed_again() {
    let mut hook = MediaHook::new(golden_config(), 1, test_names())
        .with_key_source(crate::KeySource::Seeded(1));
    let mut calls = Calls::new();
    let id = started(&mut hook, &mut calls, "carrier", "pbx");
    let sdp = Some("application/sdp");
    hook.relay_body(body(id, Side::A, BodyRole::Offer, sdp, OFFER.as_bytes()))
        .expect("anchored");
    let Some(MediaOp::Open { stream, .. }) = hook.drain_ops().first().cloned() else {
        panic!("opened");
    };
    hook.stream_failed(stream);
    assert_eq!(hook.free_ports("outside").map(|u| u.free), Some(50));
    hook.call_ended(id);
    assert!(
        hook.drain_ops().is_empty(),
        "no Close for a stream already gone"
    );
}
