//! The SBC's INVITE towards a peer whose Request-URI is `sips:` (a trunk's
//! `uri_scheme = "sips"`): To and Contact follow the scheme (RFC 3261 §8.1.1.8: a SIPS
//! Request-URI needs a SIPS Contact); by default everything stays `sip:`.

mod b2bua_util;

use b2bua_util::*;
use sbc_sip::Known;

#[test]
fn a_sips_request_uri_brings_a_sips_contact_and_to() {
    let mut h = Harness::new();
    h.request_uri = Some("sips:4930123@10.20.0.50:5060");
    h.deliver_from_a(&invite_from_a("sips-1@carrier", 1, true));
    let invite = h.request_to(B_PEER, "INVITE");
    let raw = String::from_utf8_lossy(&invite.to_bytes()).into_owned();
    assert!(
        raw.starts_with("INVITE sips:4930123@10.20.0.50:5060 SIP/2.0\r\n"),
        "{raw}"
    );
    assert_eq!(invite.header(Known::Contact), Some("<sips:10.20.0.1:5060>"));
    assert_eq!(
        invite.header(Known::To),
        Some("<sips:+4930123@10.20.0.50:5060>")
    );
}

#[test]
fn by_default_the_sbcs_uris_stay_sip() {
    let mut h = Harness::new();
    h.deliver_from_a(&invite_from_a("sip-1@carrier", 1, true));
    let invite = h.request_to(B_PEER, "INVITE");
    let raw = String::from_utf8_lossy(&invite.to_bytes()).into_owned();
    assert!(
        raw.starts_with("INVITE sip:4930123@10.20.0.50:5060 SIP/2.0\r\n"),
        "{raw}"
    );
    assert_eq!(invite.header(Known::Contact), Some("<sip:10.20.0.1:5060>"));
    assert_eq!(
        invite.header(Known::To),
        Some("<sip:+4930123@10.20.0.50:5060>")
    );
}
