//! Shared by the `registration_*` tests: a configuration, the registrar's responses
//! built from text, and checks on every REGISTER the client hands out.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use sbc_core::Transport;
use sbc_sip::auth::Authorization;
use sbc_sip::registration::{Backoff, RegistrationClient, RegistrationConfig};
use sbc_sip::{Framing, Known, Limits, Message, Peer};

pub const REGISTRAR: &str = "sip:carrier.example.com";
pub const CONTACT: &str = "sip:+4930123@192.0.2.1:5060";

pub fn parse(text: &str) -> Message {
    Message::parse(
        text.as_bytes().to_vec(),
        Framing::Datagram,
        &Limits::default(),
    )
    .unwrap_or_else(|e| panic!("message does not parse: {e}\n{text}"))
}

pub fn config() -> RegistrationConfig {
    let peer = Peer {
        transport: Transport::Udp,
        local: "192.0.2.1:5060".parse().expect("addr"),
        remote: "198.51.100.20:5060".parse().expect("addr"),
    };
    let mut c = RegistrationConfig::new(
        REGISTRAR,
        "sip:+4930123@carrier.example.com",
        "+4930123",
        "s3cret",
        CONTACT,
        peer,
    );
    c.backoff = Backoff {
        jitter_percent: 0,
        ..Backoff::default()
    };
    c.user_agent = Some("edge-sbc".into());
    c.expires = 600;
    c
}

/// A response to `request` with the registrar's extra header lines.
pub fn reply(request: &Message, status: &str, extra: &str) -> Message {
    let h = |k: Known| request.header(k).expect("request header");
    parse(&format!(
        "SIP/2.0 {status}\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=reg\r\nCall-ID: {}\r\nCSeq: {}\r\n{extra}Content-Length: 0\r\n\r\n",
        h(Known::Via),
        h(Known::From),
        h(Known::To),
        h(Known::CallId),
        h(Known::CSeq),
    ))
}

pub const CHALLENGE: &str = "WWW-Authenticate: Digest realm=\"carrier.example.com\", nonce=\"n1\", qop=\"auth\", algorithm=MD5\r\n";

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// The next REGISTER, checked for what RFC 3261 §10.2 requires, and re-parsed.
pub fn next(reg: &mut RegistrationClient, now: Instant, random: u64) -> Message {
    let m = reg.poll_request(now, random).expect("a REGISTER is due");
    assert!(reg.poll_request(now, random + 1).is_none(), "one at a time");
    let m = parse(std::str::from_utf8(&m.to_bytes()).expect("utf-8"));
    assert_eq!(m.request_uri(), Some(REGISTRAR));
    assert_eq!(
        m.header(Known::To),
        Some("<sip:+4930123@carrier.example.com>")
    );
    assert!(m.from().expect("From").tag().is_some());
    assert_eq!(m.max_forwards(), Some(70));
    assert!(m.top_via().expect("Via").is_rfc3261());
    assert_eq!(m.header(Known::UserAgent), Some("edge-sbc"));
    m
}

pub fn cseq(m: &Message) -> u32 {
    m.cseq().expect("CSeq").seq
}

pub fn expires(m: &Message) -> (&str, &str) {
    (
        m.header(Known::Contact).expect("Contact"),
        m.header(Known::Expires).expect("Expires"),
    )
}

pub fn authorization(m: &Message) -> Authorization {
    Authorization::parse(m.header(Known::Authorization).expect("credentials")).expect("valid")
}
