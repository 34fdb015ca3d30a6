//! The far side's INVITE to a relayed REFER's token is screened like every new request
//! (RFC 3261 §8.2) before its token is looked at: a refused one leaves the token live.
//!
//! A real engine on a virtual clock carries a call Teams -> PBX; Teams relays a REFER
//! (`refer = "relay"`), and the PBX calls the token it got.

use std::time::Instant;

use sbc_config::Config;
use sbc_sip::b2bua::{
    Engine, EngineConfig, EngineEvent, LegIdentity, PassThrough, ReferMode, RelayPlan, Target,
};
use sbc_sip::transaction::{Peer, TimerConfig};
use sbc_sip::uas::Capabilities;
use sbc_sip::{Framing, Known, Limits, Message};

use crate::policy::Decision;
use crate::transfer::relayed_refer_call;
use crate::trunks::Health;

const CONFIG: &str = r#"
[system]
name = "t"
[management]
listen = "127.0.0.1:8443"
[firewall]
enabled = false
[[realm]]
name = "outside"
listen = ["udp:127.0.0.1:5060"]
media_ip = "127.0.0.1"
media_ports = "20000-20099"
[[realm]]
name = "inside"
listen = ["udp:127.0.0.1:5070"]
media_ip = "127.0.0.1"
media_ports = "21000-21099"
[[trunk]]
name = "teams"
realm = "outside"
peers = ["udp:127.0.0.2:5061"]
refer = "relay"
[[trunk]]
name = "pbx"
realm = "inside"
peers = ["udp:127.0.0.3:5060"]
[[route]]
from = "teams"
to = "pbx"
"#;

const SDP: &str = "v=0\r\no=x 1 1 IN IP4 127.0.0.9\r\ns=-\r\nc=IN IP4 127.0.0.9\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n";

fn parse(text: &str) -> Message {
    Message::parse(
        text.as_bytes().to_vec(),
        Framing::Datagram,
        &Limits::default(),
    )
    .expect("test message parses")
}

fn peer(local: &str, remote: &str) -> Peer {
    Peer {
        transport: sbc_core::Transport::Udp,
        local: local.parse().expect("addr"),
        remote: remote.parse().expect("addr"),
    }
}

fn teams() -> Peer {
    peer("127.0.0.1:5060", "127.0.0.2:5061")
}

fn pbx() -> Peer {
    peer("127.0.0.1:5070", "127.0.0.3:5060")
}

/// The engine between Teams and the PBX, and what it sent.
struct Sbc {
    engine: Engine,
    hook: PassThrough,
    now: Instant,
    sent: Vec<Message>,
}

impl Sbc {
    fn deliver(&mut self, text: &str, from: Peer) {
        self.engine
            .handle_message(self.now, parse(text), from, &mut self.hook);
        while let Some(ev) = self.engine.poll_event() {
            if let EngineEvent::Request { tx, request, peer } = ev {
                let plan = plan();
                let _ = self
                    .engine
                    .relay(self.now, tx, &request, peer, plan, &mut self.hook);
            }
        }
        while let Some(t) = self.engine.poll_transmit() {
            let m = Message::parse(t.payload, Framing::Datagram, &Limits::default())
                .expect("the SBC sends what parses");
            self.sent.push(m);
        }
    }

    /// The last message sent that `pick` accepts.
    fn last(&self, pick: impl Fn(&Message) -> bool) -> Message {
        self.sent
            .iter()
            .rev()
            .find(|m| pick(m))
            .cloned()
            .expect("sent")
    }
}

fn plan() -> RelayPlan {
    RelayPlan {
        inbound: LegIdentity {
            advertised: "127.0.0.1:5060".into(),
        },
        inbound_transport: sbc_core::Transport::Udp,
        outbound: LegIdentity {
            advertised: "127.0.0.1:5070".into(),
        },
        targets: vec![Target {
            peer: pbx(),
            host: "127.0.0.3:5060".into(),
            request_uri: None,
        }],
        user: "9000".into(),
        trust_identity: false,
        from_name: "teams".into(),
        to_name: "pbx".into(),
        invite_timeout: None,
        no_target_code: None,
        inbound_refer: ReferMode::Relay,
        outbound_refer: ReferMode::Reject,
    }
}

fn request(method: &str, uri: &str, from: &str, to: &str, cseq: u32, extra: &str) -> String {
    format!(
        "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5061;branch=z9hG4bK{method}{cseq}\r\nMax-Forwards: 70\r\nFrom: {from}\r\nTo: {to}\r\nCall-ID: teams-1\r\nCSeq: {cseq} {method}\r\nContact: <sip:agent@127.0.0.2:5061>\r\n{extra}Content-Length: 0\r\n\r\n"
    )
}

/// A call up between Teams and the PBX, Teams' REFER relayed to the PBX: the engine and
/// the token the relayed REFER names.
fn relayed_refer() -> (Sbc, String) {
    let mut sbc = Sbc {
        engine: Engine::new(EngineConfig {
            timers: TimerConfig::default(),
            agent: "edge-sbc".into(),
            seed: 7,
        }),
        hook: PassThrough,
        now: Instant::now(),
        sent: Vec::new(),
    };
    let from = "<sip:agent@127.0.0.2>;tag=t1";
    let invite = format!(
        "INVITE sip:9000@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5061;branch=z9hG4bKinv\r\nMax-Forwards: 70\r\nFrom: {from}\r\nTo: <sip:9000@127.0.0.1>\r\nCall-ID: teams-1\r\nCSeq: 1 INVITE\r\nContact: <sip:agent@127.0.0.2:5061>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{SDP}",
        SDP.len()
    );
    sbc.deliver(&invite, teams());
    let to_pbx = sbc.last(|m| m.method().is_some_and(|x| x.as_str() == "INVITE"));
    let mut ok = String::from("SIP/2.0 200 OK\r\n");
    for v in to_pbx.header_values(Known::Via) {
        ok.push_str(&format!("Via: {v}\r\n"));
    }
    for name in [Known::From, Known::CallId, Known::CSeq] {
        ok.push_str(&format!(
            "{}: {}\r\n",
            name.as_str(),
            to_pbx.header(name).unwrap_or_default()
        ));
    }
    ok.push_str(&format!(
        "To: {};tag=p1\r\nContact: <sip:9000@127.0.0.3:5060>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{SDP}",
        to_pbx.header(Known::To).unwrap_or_default(),
        SDP.len()
    ));
    sbc.deliver(&ok, pbx());
    let ok_to_teams = sbc.last(|m| m.status() == Some(200));
    let to = ok_to_teams.header(Known::To).expect("To").to_owned();
    sbc.deliver(
        &request("ACK", "sip:127.0.0.1:5060", from, &to, 1, ""),
        teams(),
    );
    let refer_to = "Refer-To: <sip:+4930999@127.0.0.2:5061>\r\n";
    sbc.deliver(
        &request("REFER", "sip:127.0.0.1:5060", from, &to, 2, refer_to),
        teams(),
    );
    let relayed = sbc.last(|m| m.method().is_some_and(|x| x.as_str() == "REFER"));
    let token = relayed
        .header(Known::ReferTo)
        .expect("Refer-To")
        .trim_start_matches("<sip:")
        .split('@')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(token.starts_with("xfer-"), "{token}");
    assert_eq!(sbc.engine.relayed_refers(), 1);
    (sbc, token)
}

/// The PBX's INVITE to the token, with `extra` header fields.
fn invite_to(token: &str, extra: &str) -> Message {
    parse(&format!(
        "INVITE sip:{token}@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.3:5060;branch=z9hG4bKx\r\nFrom: <sip:9000@127.0.0.3>;tag=x1\r\nTo: <sip:{token}@127.0.0.1>\r\nCall-ID: pbx-2\r\nCSeq: 1 INVITE\r\nContact: <sip:9000@127.0.0.3:5060>\r\n{extra}Content-Length: 0\r\n\r\n"
    ))
}

#[test]
fn an_invite_to_a_token_is_screened_before_its_token_is_taken() {
    let config = Config::from_toml_str(CONFIG, "/tmp").expect("valid config");
    let health = Health::new(Instant::now(), &config, "sbc".into());
    let caps = Capabilities::sbc("sbc");
    let (mut sbc, token) = relayed_refer();
    let mut call = |extra: &str| {
        relayed_refer_call(
            &config,
            &caps,
            &mut sbc.engine,
            sbc.now,
            &invite_to(&token, extra),
            &pbx(),
            &health,
        )
    };
    let code = |d: Option<Decision>| match d {
        Some(Decision::Answer(a)) => a.code,
        other => panic!("expected an answer, got {other:?}"),
    };
    assert_eq!(
        code(call("Max-Forwards: 70\r\nRequire: x-unknown-extension\r\n")),
        420
    );
    assert_eq!(code(call("Max-Forwards: 0\r\n")), 483);
    // Screened out: the token is still there for the INVITE the PBX sends next.
    let plan = match call("Max-Forwards: 70\r\n") {
        Some(Decision::Relay(plan)) => plan,
        other => panic!("expected the call mapped back, got {other:?}"),
    };
    assert_eq!(
        (plan.from_name.as_str(), plan.to_name.as_str()),
        ("pbx", "teams")
    );
    assert_eq!(
        plan.targets.first().and_then(|t| t.request_uri.as_deref()),
        Some("sip:+4930999@127.0.0.2:5061")
    );
    assert_eq!(sbc.engine.relayed_refers(), 0, "taken once");
}
