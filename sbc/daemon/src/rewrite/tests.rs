//! The rewriter picks the realm by the listener and the trunk by the peer's IP; an
//! outbound rule reads the message last received on the call's other leg.

use std::net::SocketAddr;

use sbc_config::Config;
use sbc_core::{Transmit, Transport};
use sbc_sip::transaction::Peer;
use sbc_sip::{Framing, Limits, Message};

use super::Rewriter;

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
server_header = ""

[[realm]]
name = "inside"
listen = ["udp:127.0.0.1:5070"]
media_ip = "127.0.0.1"
media_ports = "21000-21099"

[[trunk]]
name = "carrier"
realm = "outside"
peers = ["udp:127.0.0.2:5060"]
sources = ["127.0.1.0/24"]

[[trunk.rule]]
message = "request"
action = "set"
header = "X-To-Carrier"
value = "yes"

[[trunk.rule]]
direction = "inbound"
action = "remove"
header = "X-Carrier-Secret"

[[trunk]]
name = "pbx"
realm = "inside"
peers = ["udp:127.0.0.3:5060"]
"#;

const OPTIONS: &str = "OPTIONS sip:127.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\nFrom: <sip:sbc@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.2>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nUser-Agent: sbc\r\nX-Carrier-Secret: s\r\nContent-Length: 0\r\n\r\n";

fn rewriter() -> Rewriter {
    let config = Config::from_toml_str(CONFIG, "/tmp").expect("valid config");
    Rewriter::new(&config)
}

fn transmit(local: &str, remote: &str) -> Transmit {
    Transmit {
        transport: Transport::Udp,
        local: local.parse().expect("address"),
        remote: remote.parse().expect("address"),
        payload: OPTIONS.as_bytes().to_vec(),
    }
}

#[test]
fn outbound_rules_and_server_header_follow_realm_and_trunk() {
    let r = rewriter();
    let mut t = transmit("127.0.0.1:5060", "127.0.0.2:5060");
    r.outbound(&mut t);
    let text = String::from_utf8(t.payload).expect("utf-8");
    assert!(text.contains("X-To-Carrier: yes\r\n"), "{text}");
    assert!(!text.contains("User-Agent"), "{text}");
    // The inbound rule does not act on what the SBC sends.
    assert!(text.contains("X-Carrier-Secret: s\r\n"), "{text}");

    // Another realm, another trunk: untouched.
    let mut t = transmit("127.0.0.1:5070", "127.0.0.3:5060");
    r.outbound(&mut t);
    assert_eq!(t.payload, OPTIONS.as_bytes());
}

#[test]
fn inbound_rules_run_on_the_trunks_requests_only() {
    let mut r = rewriter();
    let parse = || {
        Message::parse(
            OPTIONS.as_bytes().to_vec(),
            Framing::Datagram,
            &Limits::default(),
        )
        .expect("parses")
    };
    let peer = |local: &str, remote: &str| Peer {
        transport: Transport::Udp,
        local: local.parse::<SocketAddr>().expect("address"),
        remote: remote.parse::<SocketAddr>().expect("address"),
    };
    let from_carrier = r.inbound(parse(), &peer("127.0.0.1:5060", "127.0.0.2:40000"));
    let text = String::from_utf8(from_carrier.to_bytes()).expect("utf-8");
    assert!(!text.contains("X-Carrier-Secret"), "{text}");
    let from_pbx = r.inbound(parse(), &peer("127.0.0.1:5070", "127.0.0.3:5060"));
    let text = String::from_utf8(from_pbx.to_bytes()).expect("utf-8");
    assert!(text.contains("X-Carrier-Secret"), "{text}");
}

/// The pbx trunk copies the caller's P-Asserted-Identity into what it is sent.
const OTHER_LEG_RULE: &str = r#"
[[trunk.rule]]
method = "INVITE"
message = "request"
action = "set"
header = "P-Asserted-Identity"
value = "${other.P-Asserted-Identity}"
"#;

fn message(text: &str) -> Message {
    Message::parse(
        text.as_bytes().to_vec(),
        Framing::Datagram,
        &Limits::default(),
    )
    .expect("parses")
}

#[test]
fn an_outbound_rule_reads_the_other_legs_last_message() {
    let config =
        Config::from_toml_str(&format!("{CONFIG}{OTHER_LEG_RULE}"), "/tmp").expect("valid config");
    let mut r = Rewriter::new(&config);
    let caller_invite = "INVITE sip:4930123@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bKa\r\nFrom: <sip:alice@127.0.0.2>;tag=a\r\nTo: <sip:4930123@127.0.0.1>\r\nCall-ID: a-leg\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContact: <sip:alice@127.0.0.2>\r\nP-Asserted-Identity: <sip:+4930111@carrier.example>\r\nContent-Length: 0\r\n\r\n";
    let peer = Peer {
        transport: Transport::Udp,
        local: "127.0.0.1:5060".parse().expect("address"),
        remote: "127.0.0.2:5060".parse().expect("address"),
    };
    let _ = r.inbound(message(caller_invite), &peer);
    r.call_started(7, "a-leg", "b-leg");
    let b_invite = "INVITE sip:4930123@127.0.0.3:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKb\r\nFrom: <sip:alice@127.0.0.1>;tag=b\r\nTo: <sip:4930123@127.0.0.3>\r\nCall-ID: b-leg\r\nCSeq: 1 INVITE\r\nMax-Forwards: 69\r\nContact: <sip:127.0.0.1:5070>\r\nContent-Length: 0\r\n\r\n";
    let to_pbx = || Transmit {
        transport: Transport::Udp,
        local: "127.0.0.1:5070".parse().expect("address"),
        remote: "127.0.0.3:5060".parse().expect("address"),
        payload: b_invite.as_bytes().to_vec(),
    };
    let mut t = to_pbx();
    r.outbound(&mut t);
    let text = String::from_utf8(t.payload).expect("utf-8");
    assert!(
        text.contains("P-Asserted-Identity: <sip:+4930111@carrier.example>\r\n"),
        "{text}"
    );

    // A reload keeps what was received; the end of the call forgets it, and the rule
    // then leaves the message alone.
    r.reload(&config);
    let mut t = to_pbx();
    r.outbound(&mut t);
    assert!(String::from_utf8_lossy(&t.payload).contains("P-Asserted-Identity"));
    r.call_ended(7);
    assert_eq!(r.other_legs.kept(), 0);
    let mut t = to_pbx();
    r.outbound(&mut t);
    assert_eq!(t.payload, b_invite.as_bytes());
}

#[test]
fn invites_of_one_batch_each_find_their_call_and_the_rest_is_dropped() {
    let config =
        Config::from_toml_str(&format!("{CONFIG}{OTHER_LEG_RULE}"), "/tmp").expect("valid config");
    let mut r = Rewriter::new(&config);
    let peer = Peer {
        transport: Transport::Udp,
        local: "127.0.0.1:5060".parse().expect("address"),
        remote: "127.0.0.2:5060".parse().expect("address"),
    };
    let invite = |call_id: &str| {
        message(&format!(
            "INVITE sip:1@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK{call_id}\r\nFrom: <sip:a@127.0.0.2>;tag=a\r\nTo: <sip:1@127.0.0.1>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContact: <sip:a@127.0.0.2>\r\nContent-Length: 0\r\n\r\n"
        ))
    };
    // Three INVITEs in one batch before the core acts on any; two start calls.
    for id in ["a1", "a2", "refused"] {
        let _ = r.inbound(invite(id), &peer);
    }
    r.call_started(1, "a1", "b1");
    r.call_started(2, "a2", "b2");
    assert!(r.other_legs.other_of("b1").is_some() && r.other_legs.other_of("b2").is_some());
    assert_eq!(r.other_legs.kept(), 3);
    r.settle();
    assert_eq!(
        r.other_legs.kept(),
        2,
        "the INVITE that started no call is dropped"
    );
}

#[test]
fn without_a_rule_reading_the_other_leg_nothing_is_kept() {
    let mut r = rewriter();
    let peer = Peer {
        transport: Transport::Udp,
        local: "127.0.0.1:5060".parse().expect("address"),
        remote: "127.0.0.2:5060".parse().expect("address"),
    };
    let _ = r.inbound(message(OPTIONS), &peer);
    r.call_started(1, "c1", "c2");
    assert_eq!(r.other_legs.kept(), 0);
}

/// A trunk's `sources` are its peers for its rules too: an answer to a request from
/// anywhere in them (Teams' proxies send from their whole ranges) gets the outbound
/// rules, and what they send the inbound ones.
#[test]
fn rules_follow_the_trunks_sources() {
    let r = rewriter();
    let mut t = transmit("127.0.0.1:5060", "127.0.1.77:5061");
    r.outbound(&mut t);
    let text = String::from_utf8(t.payload).expect("utf-8");
    assert!(text.contains("X-To-Carrier: yes\r\n"), "{text}");
    let mut stranger = transmit("127.0.0.1:5060", "127.0.2.1:5060");
    r.outbound(&mut stranger);
    let text = String::from_utf8(stranger.payload).expect("utf-8");
    assert!(!text.contains("X-To-Carrier"), "{text}");
}
