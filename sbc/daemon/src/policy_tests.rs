//! The realm `domain` in the policy: it is the host of the SBC's Via/Contact/Record-Route
//! on that realm, and a Request-URI naming it is the SBC's own (OPTIONS answered 200, not
//! relayed nor refused), whatever its case. A trunk's `uri_scheme = "sips"` makes the
//! Request-URI of its `tls:` targets `sips:`.

use std::time::Instant;

use sbc_config::Config;
use sbc_sip::registrar::RegistrarRelay;
use sbc_sip::transaction::Peer;
use sbc_sip::uas::Capabilities;
use sbc_sip::{Framing, Known, Limits, Message};

use crate::policy::{Decision, decide};
use crate::trunks::Health;

fn config() -> Config {
    config_with("")
}

/// The test configuration with `carrier_extra` appended to the carrier trunk.
fn config_with(carrier_extra: &str) -> Config {
    let text = r#"
[system]
name = "t"
[management]
listen = "127.0.0.1:8443"
[firewall]
enabled = false
[[realm]]
name = "outside"
listen = ["udp:192.0.2.1:5060"]
media_ip = "192.0.2.1"
media_ports = "20000-20099"
domain = "sbc1.example.com"
[[realm]]
name = "inside"
listen = ["udp:10.0.0.1:5060"]
media_ip = "10.0.0.1"
media_ports = "30000-30099"
[[trunk]]
name = "carrier"
realm = "outside"
peers = ["udp:198.51.100.20:5060"]
CARRIER_EXTRA
[[trunk]]
name = "pbx"
realm = "inside"
peers = ["udp:10.0.0.20:5060"]
[[route]]
from = "pbx"
to = "carrier"
"#;
    Config::from_toml_str(&text.replace("CARRIER_EXTRA", carrier_extra), "/tmp")
        .expect("valid config")
}

fn request(method: &str, uri: &str, from: &str) -> Message {
    Message::parse(
        format!(
            "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {from};branch=z9hG4bK1\r\nFrom: <sip:x@h>;tag=1\r\nTo: <{uri}>\r\nCall-ID: c\r\nCSeq: 1 {method}\r\nContact: <sip:x@{from}>\r\nContent-Length: 0\r\n\r\n"
        )
        .into_bytes(),
        Framing::Datagram,
        &Limits::default(),
    )
    .expect("valid")
}

fn peer(local: &str, remote: &str) -> Peer {
    Peer {
        transport: sbc_core::Transport::Udp,
        local: local.parse().expect("addr"),
        remote: remote.parse().expect("addr"),
    }
}

#[test]
fn options_to_the_realms_domain_are_the_sbcs_own() {
    let c = config();
    let health = Health::new(Instant::now(), &c, "sbc".into());
    let phones = RegistrarRelay::new("sbc");
    let caps = Capabilities::sbc("sbc");
    for uri in ["sip:sbc1.example.com", "sip:SBC1.Example.com:5060"] {
        let d = decide(
            &c,
            &caps,
            &request("OPTIONS", uri, "198.51.100.20:5060"),
            &peer("192.0.2.1:5060", "198.51.100.20:5060"),
            &health,
            &phones,
        );
        match d {
            Decision::Answer(a) => assert_eq!(a.code, 200, "{uri}: {a:?}"),
            other => panic!("{uri}: {other:?}"),
        }
    }
}

#[test]
fn calls_towards_the_realm_carry_its_domain_in_via_and_contact() {
    let c = config();
    let health = Health::new(Instant::now(), &c, "sbc".into());
    let phones = RegistrarRelay::new("sbc");
    let caps = Capabilities::sbc("sbc");
    let d = decide(
        &c,
        &caps,
        &request("INVITE", "sip:4930123@10.0.0.1", "10.0.0.20:5060"),
        &peer("10.0.0.1:5060", "10.0.0.20:5060"),
        &health,
        &phones,
    );
    let Decision::Relay(plan) = d else {
        panic!("{d:?}");
    };
    assert_eq!(plan.outbound.advertised, "sbc1.example.com:5060");
    // The realm without a domain keeps its address.
    assert_eq!(plan.inbound.advertised, "10.0.0.1:5060");
}

/// `pbx` reached over TLS, with `trunk_keys` added to it.
fn tls_config(trunk_keys: &str) -> Config {
    let text = format!(
        r#"
[system]
name = "t"
[management]
listen = "127.0.0.1:8443"
[firewall]
enabled = false
[[realm]]
name = "outside"
listen = ["udp:192.0.2.1:5060"]
media_ip = "192.0.2.1"
media_ports = "20000-20099"
[[realm]]
name = "inside"
listen = ["tls:10.0.0.1:5061"]
media_ip = "10.0.0.1"
media_ports = "30000-30099"
tls_cert = "in.pem"
tls_key = "in.key"
[[trunk]]
name = "carrier"
realm = "outside"
peers = ["udp:198.51.100.20:5060"]
[[trunk]]
name = "pbx"
realm = "inside"
peers = ["tls:10.0.0.20:5061"]
{trunk_keys}
[[route]]
from = "carrier"
to = "pbx"
"#
    );
    Config::from_toml_str(&text, "/tmp").expect("valid config")
}

#[test]
fn uri_scheme_sips_gives_tls_targets_a_sips_request_uri() {
    let call = |c: &Config| {
        let health = Health::new(Instant::now(), c, "sbc".into());
        let d = decide(
            c,
            &Capabilities::sbc("sbc"),
            &request("INVITE", "sip:4930123@192.0.2.1", "198.51.100.20:5060"),
            &peer("192.0.2.1:5060", "198.51.100.20:5060"),
            &health,
            &RegistrarRelay::new("sbc"),
        );
        match d {
            Decision::Relay(plan) => plan.targets[0].request_uri.clone(),
            other => panic!("{other:?}"),
        }
    };
    // Default: the B2BUA writes `sip:<user>@<host>;transport=tls`.
    assert_eq!(call(&tls_config("")), None);
    assert_eq!(
        call(&tls_config("uri_scheme = \"sip\"")),
        None,
        "sip is the default"
    );
    assert_eq!(
        call(&tls_config("uri_scheme = \"sips\"")).as_deref(),
        Some("sips:4930123@10.0.0.20:5061")
    );
}

/// What the 200 to an OPTIONS for the SBC says: its FQDN Contact, and an Allow list
/// true for the asking trunk (REFER only where the SBC handles it, REGISTER only on a
/// realm with a registrar).
#[test]
fn the_options_answer_has_the_fqdn_contact_and_a_truthful_allow() {
    let health_of = |c: &Config| Health::new(Instant::now(), c, "sbc".into());
    let phones = RegistrarRelay::new("sbc");
    let caps = Capabilities::sbc("sbc");
    let ask = |c: &Config| {
        let health = health_of(c);
        match decide(
            c,
            &caps,
            &request("OPTIONS", "sip:sbc1.example.com", "198.51.100.20:5060"),
            &peer("192.0.2.1:5060", "198.51.100.20:5060"),
            &health,
            &phones,
        ) {
            Decision::Answer(a) => a,
            other => panic!("{other:?}"),
        }
    };
    let header = |a: &crate::policy::Answer, k: Known| {
        a.headers
            .iter()
            .find(|(h, _)| *h == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let plain = ask(&config());
    assert_eq!(plain.code, 200);
    assert_eq!(
        header(&plain, Known::Contact),
        "<sip:sbc1.example.com:5060>"
    );
    assert_eq!(
        header(&plain, Known::Allow),
        "INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO"
    );
    let handling = ask(&config_with(r#"refer = "handle""#));
    assert_eq!(
        header(&handling, Known::Allow),
        "INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, REFER"
    );
}
