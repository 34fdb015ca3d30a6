//! Hold before REFER, through the real B2BUA engine and media hook on a virtual clock: the
//! PBX holds the carrier, refers it to a new party, and once that party answers
//! `sendrecv` the SBC re-INVITEs the carrier off hold (a 491 first: retried after
//! RFC 3261 §14.1's wait).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sbc_core::Transport;
use sbc_sip::b2bua::{
    Engine, EngineConfig, EngineEvent, LegIdentity, ReferMode, RelayPlan, Target,
};
use sbc_sip::transaction::{Peer, TimerConfig};
use sbc_sip::{Framing, Known, Limits, Message};

use super::MediaHook;
use super::golden::{golden_config, test_names};

const CARRIER: &str = "198.51.100.20:5060";
const SBC_OUTSIDE: &str = "203.0.113.10:5060";
const SBC_INSIDE: &str = "10.0.0.1:5060";
const PBX: &str = "10.0.0.20:5060";
const TARGET: &str = "10.0.0.30:5060";

const OFFER: &str = "v=0\r\no=c 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\n\
    t=0 0\r\nm=audio 49170 RTP/AVP 8\r\n";
const ANSWER: &str = "v=0\r\no=p 1 1 IN IP4 10.0.0.20\r\ns=-\r\nc=IN IP4 10.0.0.20\r\n\
    t=0 0\r\nm=audio 40000 RTP/AVP 8\r\n";
const NEW_PARTY: &str = "v=0\r\no=n 5 5 IN IP4 10.0.0.30\r\ns=-\r\nc=IN IP4 10.0.0.30\r\n\
    t=0 0\r\nm=audio 41000 RTP/AVP 8\r\n";

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("test address")
}

fn parse(text: &str) -> Message {
    Message::parse(
        text.as_bytes().to_vec(),
        Framing::Datagram,
        &Limits::default(),
    )
    .unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn peer(local: &str, remote: &str) -> Peer {
    Peer {
        transport: Transport::Udp,
        local: addr(local),
        remote: addr(remote),
    }
}

/// The engine, the media hook and a virtual clock; what the SBC sent, by destination.
struct Lab {
    engine: Engine,
    hook: MediaHook,
    now: Instant,
    sent: Vec<(SocketAddr, Message)>,
}

impl Lab {
    fn new() -> Self {
        Lab {
            engine: Engine::new(EngineConfig {
                timers: TimerConfig::default(),
                agent: "sbc/test".into(),
                seed: 3,
            }),
            hook: MediaHook::new(golden_config(), 1, test_names())
                .with_key_source(crate::KeySource::Seeded(1)),
            now: Instant::now(),
            sent: Vec::new(),
        }
    }

    fn deliver(&mut self, msg: Message, from: Peer) {
        self.engine
            .handle_message(self.now, msg, from, &mut self.hook);
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(ev) = self.engine.poll_event() {
            match ev {
                EngineEvent::Request { tx, request, peer } => {
                    self.engine
                        .relay(self.now, tx, &request, peer, plan(), &mut self.hook)
                        .expect("relayed");
                }
                EngineEvent::Transfer { call, .. } => {
                    let target = Target {
                        peer: peer(SBC_INSIDE, TARGET),
                        host: TARGET.into(),
                        request_uri: None,
                    };
                    let identity = LegIdentity {
                        advertised: SBC_INSIDE.into(),
                    };
                    self.engine
                        .transfer_to(self.now, call, target, &identity, &mut self.hook)
                        .expect("transfer placed");
                }
                _ => {}
            }
        }
        while let Some(t) = self.engine.poll_transmit() {
            let m = Message::parse(t.payload, Framing::Datagram, &Limits::default())
                .expect("the SBC sends what parses");
            self.sent.push((t.remote, m));
        }
        self.hook.drain_ops();
    }

    fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        while let Some(t) = self.engine.poll_timeout().filter(|t| *t <= end) {
            self.now = self.now.max(t);
            self.engine.handle_timeout(self.now, &mut self.hook);
            self.drain();
        }
        self.now = end;
    }

    /// What was sent to `to` since the last take.
    fn take(&mut self, to: &str) -> Vec<Message> {
        let to = addr(to);
        let (mine, rest) = self.sent.drain(..).partition(|(t, _)| *t == to);
        self.sent = rest;
        mine.into_iter().map(|(_, m)| m).collect()
    }

    /// The one request with `method` sent to `to` since the last take.
    fn request(&mut self, to: &str, method: &str) -> Message {
        let mut found: Vec<Message> = self
            .take(to)
            .into_iter()
            .filter(|m| m.method().is_some_and(|x| x.as_str() == method))
            .collect();
        assert_eq!(found.len(), 1, "one {method} to {to}: {found:?}");
        found.remove(0)
    }
}

fn plan() -> RelayPlan {
    RelayPlan {
        inbound: LegIdentity {
            advertised: SBC_OUTSIDE.into(),
        },
        inbound_transport: Transport::Udp,
        outbound: LegIdentity {
            advertised: SBC_INSIDE.into(),
        },
        targets: vec![Target {
            peer: peer(SBC_INSIDE, PBX),
            host: PBX.into(),
            request_uri: None,
        }],
        user: "1000".into(),
        trust_identity: false,
        from_name: "carrier".into(),
        to_name: "pbx".into(),
        invite_timeout: None,
        no_target_code: None,
        inbound_refer: ReferMode::Reject,
        outbound_refer: ReferMode::Handle,
    }
}

/// A response to `request` (as the SBC sent it), with `tag` added to To and `sdp`.
fn response(request: &Message, code: u16, tag: &str, contact: &str, sdp: &str) -> Message {
    let mut text = format!("SIP/2.0 {code} X\r\n");
    for v in request.header_values(Known::Via) {
        text.push_str(&format!("Via: {v}\r\n"));
    }
    let to = request.header(Known::To).unwrap_or_default();
    let to = if to.contains("tag=") {
        to.to_owned()
    } else {
        format!("{to};tag={tag}")
    };
    text.push_str(&format!("To: {to}\r\n"));
    for name in [Known::From, Known::CallId, Known::CSeq] {
        let value = request.header(name).unwrap_or_default();
        text.push_str(&format!("{}: {value}\r\n", name.as_str()));
    }
    text.push_str(&format!("Contact: <sip:x@{contact}>\r\n"));
    if !sdp.is_empty() {
        text.push_str("Content-Type: application/sdp\r\n");
    }
    text.push_str(&format!("Content-Length: {}\r\n\r\n{sdp}", sdp.len()));
    parse(&text)
}

/// A request of the PBX in the dialog the SBC's INVITE `invite` opened (PBX tag `p1`).
fn from_pbx(invite: &Message, method: &str, cseq: u32, extra: &str, sdp: &str) -> Message {
    let ct = if sdp.is_empty() {
        ""
    } else {
        "Content-Type: application/sdp\r\n"
    };
    parse(&format!(
        "{method} sip:{SBC_INSIDE} SIP/2.0\r\nVia: SIP/2.0/UDP {PBX};branch=z9hG4bKp{method}{cseq}\r\n\
         Max-Forwards: 70\r\nFrom: {};tag=p1\r\nTo: {}\r\nCall-ID: {}\r\nCSeq: {cseq} {method}\r\n\
         Contact: <sip:pbx@{PBX}>\r\n{extra}{ct}Content-Length: {}\r\n\r\n{sdp}",
        invite.header(Known::To).unwrap_or_default(),
        invite.header(Known::From).unwrap_or_default(),
        invite.call_id().unwrap_or_default(),
        sdp.len()
    ))
}

fn body(m: &Message) -> String {
    String::from_utf8_lossy(m.body()).into_owned()
}

fn line<'a>(sdp: &'a str, prefix: &str) -> &'a str {
    sdp.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {sdp}"))
}

/// What a transfer left: the SBC's answer to the carrier's INVITE and, when the PBX held
/// the carrier first, the re-INVITE that held it.
struct Transferred {
    lab: Lab,
    first: Message,
    held: Option<Message>,
}

/// A call carrier -> PBX, the carrier held by the PBX first when `hold`, then referred by
/// the PBX to the target, which answers `sendrecv`.
fn transferred(call_id: &str, hold: bool) -> Transferred {
    let mut lab = Lab::new();
    let (carrier, pbx) = (peer(SBC_OUTSIDE, CARRIER), peer(SBC_INSIDE, PBX));
    let invite = format!(
        "INVITE sip:1000@{SBC_OUTSIDE} SIP/2.0\r\nVia: SIP/2.0/UDP {CARRIER};branch=z9hG4bKc1\r\n\
         From: <sip:a@{CARRIER}>;tag=c1\r\nTo: <sip:1000@{SBC_OUTSIDE}>\r\nCall-ID: {call_id}\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:a@{CARRIER}>\r\nMax-Forwards: 70\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{OFFER}",
        OFFER.len()
    );
    lab.deliver(parse(&invite), carrier);
    let to_pbx = lab.request(PBX, "INVITE");
    lab.deliver(response(&to_pbx, 200, "p1", PBX, ANSWER), pbx);
    let first = lab
        .take(CARRIER)
        .into_iter()
        .find(|m| m.status() == Some(200))
        .expect("200 to the carrier");
    let to_carrier = first.header(Known::To).expect("To").to_owned();
    let ack = format!(
        "ACK sip:1000@{SBC_OUTSIDE} SIP/2.0\r\nVia: SIP/2.0/UDP {CARRIER};branch=z9hG4bKc2\r\n\
         From: <sip:a@{CARRIER}>;tag=c1\r\nTo: {to_carrier}\r\nCall-ID: {call_id}\r\n\
         CSeq: 1 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    lab.deliver(parse(&ack), carrier);
    let mut cseq = 1;
    let held = hold.then(|| {
        // The PBX holds the carrier; the carrier answers recvonly.
        let hold = ANSWER.replace("o=p 1 1", "o=p 1 2") + "a=sendonly\r\n";
        lab.deliver(from_pbx(&to_pbx, "INVITE", cseq, "", &hold), pbx);
        let held = lab.request(CARRIER, "INVITE");
        assert!(body(&held).contains("a=sendonly"), "{}", body(&held));
        let recvonly = OFFER.replace("o=c 1 1", "o=c 1 2") + "a=recvonly\r\n";
        lab.deliver(response(&held, 200, "", CARRIER, &recvonly), carrier);
        let _ = lab.take(PBX);
        lab.deliver(from_pbx(&to_pbx, "ACK", cseq, "", ""), pbx);
        let _ = lab.take(CARRIER);
        cseq += 1;
        held
    });
    // Its REFER: the new party is asked for two-way audio, not the hold.
    let refer_to = format!("Refer-To: <sip:2000@{TARGET}>\r\n");
    lab.deliver(from_pbx(&to_pbx, "REFER", cseq, &refer_to, ""), pbx);
    let to_target = lab.request(TARGET, "INVITE");
    let offered = body(&to_target);
    assert!(!offered.contains("recvonly"), "{offered}");
    assert!(!offered.contains("inactive"), "{offered}");
    let target = peer(SBC_INSIDE, TARGET);
    lab.deliver(response(&to_target, 200, "n1", TARGET, NEW_PARTY), target);
    assert!(
        lab.take(PBX)
            .iter()
            .any(|m| m.body().starts_with(b"SIP/2.0 200")),
        "the final NOTIFY"
    );
    Transferred { lab, first, held }
}

fn invites(lab: &mut Lab, to: &str) -> Vec<Message> {
    lab.take(to)
        .into_iter()
        .filter(|m| m.method().is_some_and(|x| x.as_str() == "INVITE"))
        .collect()
}

#[test]
fn a_kept_party_held_before_the_refer_is_resumed_after_a_491() {
    let Transferred {
        mut lab,
        first,
        held,
    } = transferred("held-1", true);
    let carrier = peer(SBC_OUTSIDE, CARRIER);
    let held = held.expect("held");
    let first_sdp = body(&first);

    // The carrier is re-INVITEd off hold: its own description, sendrecv, next version.
    let resume = lab.request(CARRIER, "INVITE");
    let offer = body(&resume);
    assert!(offer.contains("a=sendrecv"), "{offer}");
    assert!(!offer.contains("sendonly"), "{offer}");
    let held_sdp = body(&held);
    assert_eq!(line(&offer, "m=audio"), line(&held_sdp, "m=audio"));
    assert_eq!(line(&offer, "c="), line(&held_sdp, "c="));
    assert_eq!(
        line(&held_sdp, "m=audio").split(' ').nth(1),
        line(&first_sdp, "m=audio").split(' ').nth(1),
        "the port the carrier has had since the answer"
    );
    let version = |sdp: &str| -> u64 {
        line(sdp, "o=")
            .split(' ')
            .nth(2)
            .and_then(|v| v.parse().ok())
            .expect("o= version")
    };
    assert_eq!(version(&offer), version(&held_sdp) + 1, "{offer}");
    let resume_cseq = resume.cseq().expect("CSeq").seq;

    // 491: nothing at once; within §14.1's 0-2 s (the carrier chose this Call-ID) again.
    lab.deliver(response(&resume, 491, "", CARRIER, ""), carrier);
    let at_once = invites(&mut lab, CARRIER);
    assert!(at_once.is_empty(), "{at_once:?}");
    lab.advance(Duration::from_millis(2010));
    let again = invites(&mut lab, CARRIER)
        .into_iter()
        .next()
        .expect("the resume retried");
    assert!(again.cseq().expect("CSeq").seq > resume_cseq);
    assert_eq!(body(&again), offer, "the same offer");
    let sendrecv = OFFER.replace("o=c 1 1", "o=c 1 3");
    lab.deliver(response(&again, 200, "", CARRIER, &sendrecv), carrier);
    let ack = lab.request(CARRIER, "ACK");
    assert_eq!(
        ack.cseq().expect("CSeq").seq,
        again.cseq().expect("CSeq").seq
    );
    // Nothing more: no further re-INVITE.
    lab.advance(Duration::from_secs(10));
    assert!(invites(&mut lab, CARRIER).is_empty());
    assert_eq!(lab.engine.call_count(), 1);
}

#[test]
fn a_refused_resume_leaves_the_call_as_it_is() {
    let Transferred { mut lab, .. } = transferred("held-2", true);
    let resume = lab.request(CARRIER, "INVITE");
    lab.deliver(
        response(&resume, 488, "", CARRIER, ""),
        peer(SBC_OUTSIDE, CARRIER),
    );
    lab.advance(Duration::from_secs(10));
    let to_carrier = lab.take(CARRIER);
    assert!(
        to_carrier
            .iter()
            .all(|m| m.method().is_some_and(|x| x.as_str() == "ACK")),
        "only the ACK of the 488, no retry and no BYE: {to_carrier:?}"
    );
    assert_eq!(lab.engine.call_count(), 1, "the call goes on");
}

#[test]
fn a_kept_party_never_held_is_not_reinvited() {
    let Transferred { mut lab, .. } = transferred("held-3", false);
    lab.advance(Duration::from_secs(10));
    assert!(
        invites(&mut lab, CARRIER).is_empty(),
        "a kept party that was not held hears nothing"
    );
    assert_eq!(lab.engine.call_count(), 1);
}
