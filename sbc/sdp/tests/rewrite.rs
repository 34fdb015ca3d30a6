//! The rewrite helpers one by one.

use std::net::IpAddr;

use sbc_sdp::{Crypto, Direction, LegOrigin, Origin, Retained, SessionDescription};

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test literal")
}

fn parse(text: &str) -> SessionDescription {
    SessionDescription::parse(text.replace('\n', "\r\n").as_bytes())
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn head(media: &str) -> SessionDescription {
    parse(&format!(
        "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\n{media}"
    ))
}

fn text(sdp: &SessionDescription) -> String {
    String::from_utf8(sdp.to_bytes()).expect("utf-8")
}

#[test]
fn retain_codecs_filters_reorders_and_cleans_up() {
    let mut sdp = head(
        "m=audio 5000 RTP/AVP 0 96 8 101\na=rtpmap:96 opus/48000/2\na=fmtp:96 useinbandfec=1\na=rtcp-fb:96 nack\na=rtcp-fb:* trr-int 5\na=rtpmap:101 telephone-event/8000\n",
    );
    let m = &mut sdp.media[0];
    assert_eq!(
        m.retain_codecs(&["telephone-event", "pcma", "PCMU"]),
        Retained::Kept {
            removed: vec!["96".into()]
        }
    );
    assert_eq!(m.formats, ["101", "8", "0"]);
    assert!(!text(&sdp).contains("96"));
    assert!(text(&sdp).contains("a=rtcp-fb:* trr-int 5"));
}

#[test]
fn retain_codecs_with_only_auxiliary_left_changes_nothing() {
    let mut sdp = head("m=audio 5000 RTP/AVP 0 101 13\na=rtpmap:101 telephone-event/8000\n");
    let before = sdp.clone();
    assert_eq!(
        sdp.media[0].retain_codecs(&["PCMA", "telephone-event", "CN"]),
        Retained::NoCodec
    );
    assert_eq!(sdp, before);
    assert_eq!(sdp.media[0].retain_codecs(&[]), Retained::NoCodec);
}

#[test]
fn retain_codecs_pins_clock_rates_and_knows_static_types() {
    let mut sdp = head(
        "m=audio 5000 RTP/AVP 9 18 101 102\na=rtpmap:101 telephone-event/48000\na=rtpmap:102 telephone-event/8000\n",
    );
    let kept = sdp.media[0].retain_codecs(&["G729", "G722", "telephone-event/8000"]);
    assert_eq!(
        kept,
        Retained::Kept {
            removed: vec!["101".into()]
        }
    );
    assert_eq!(sdp.media[0].formats, ["18", "9", "102"]);
}

#[test]
fn retain_codecs_leaves_rejected_streams_alone() {
    let mut sdp = head("m=video 0 RTP/AVP 96\n");
    assert_eq!(
        sdp.media[0].retain_codecs(&["PCMA"]),
        Retained::Kept { removed: vec![] }
    );
    assert_eq!(sdp.media[0].formats, ["96"]);
}

#[test]
fn port_zero_is_preserved() {
    let mut sdp = head("m=audio 5000/2 RTP/AVP 0\nm=video 0 RTP/AVP 31\n");
    assert!(sdp.media[0].set_port(30000));
    assert_eq!((sdp.media[0].port, sdp.media[0].port_count), (30000, None));
    assert!(!sdp.media[1].set_port(30002));
    assert_eq!(sdp.media[1].port, 0);
    sdp.media[0].reject();
    assert!(sdp.streams().all(|s| s.is_rejected()));
    assert_eq!(sdp.media.len(), 2);
}

#[test]
fn anchoring_replaces_every_address() {
    let mut sdp = head("m=audio 5000 RTP/AVP 0\nc=IN IP4 10.9.9.9\nm=video 0 RTP/AVP 31\n");
    sdp.anchor_connections(ip("2001:db8::1"));
    let out = text(&sdp);
    assert!(!out.contains("10.9.9.9") && !out.contains("c=IN IP4 10.0.0.1"));
    assert_eq!(out.matches("c=IN IP6 2001:db8::1\r\n").count(), 2);
    sdp.set_session_connection(ip("192.0.2.9"));
    sdp.media[0].remove_connection();
    assert_eq!(
        sdp.stream(0)
            .and_then(|s| s.connection())
            .map(|c| c.to_string()),
        Some("IN IP4 192.0.2.9".to_owned())
    );
    assert!(sdp.remove_session_connection().is_some());
}

#[test]
fn rtcp_and_mux() {
    let mut sdp = head("m=audio 5000 RTP/AVP 0\na=rtcp:5001 IN IP4 10.0.0.1\n");
    let m = &mut sdp.media[0];
    m.set_rtcp(30001, Some(ip("192.0.2.1")));
    assert_eq!(m.attributes.value("rtcp"), Some("30001 IN IP4 192.0.2.1"));
    m.set_rtcp(30001, None);
    assert_eq!(m.attributes.value("rtcp"), Some("30001"));
    assert!(m.remove_rtcp());
    assert!(!m.remove_rtcp());
    m.set_rtcp_mux(true);
    m.set_rtcp_mux(true);
    assert_eq!(
        m.attributes.iter().filter(|a| a.name == "rtcp-mux").count(),
        1
    );
    m.set_rtcp_mux(false);
    assert!(!m.rtcp_mux());
}

#[test]
fn ice_is_stripped_at_both_levels() {
    let mut sdp = head(
        "a=ice-lite\na=ice-options:trickle\nm=audio 5000 RTP/AVP 0\na=ice-ufrag:x\na=ice-pwd:y\na=candidate:1 1 UDP 1 10.0.0.1 5000 typ host\na=end-of-candidates\na=mid:0\n",
    );
    assert_eq!(sdp.strip_ice(), 6);
    assert!(!sdp.attributes.has_ice() && !sdp.media[0].attributes.has_ice());
    assert_eq!(sdp.media[0].attributes.mid(), Some("0"));
}

#[test]
fn crypto_is_replaced_in_place_or_stripped() {
    let mut sdp = head(
        "m=audio 5000 RTP/SAVP 0\na=ptime:20\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA\na=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:BBBB\na=sendrecv\n",
    );
    let mine = Crypto::inline(1, "AES_CM_128_HMAC_SHA1_80", "CCCC");
    sdp.media[0].set_crypto(std::slice::from_ref(&mine));
    let names: Vec<&str> = sdp.media[0]
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["ptime", "crypto", "sendrecv"]);
    assert_eq!(sdp.media[0].cryptos(), [mine]);
    assert_eq!(sdp.strip_crypto(), 1);
    assert!(sdp.media[0].cryptos().is_empty());
}

#[test]
fn effective_direction_and_hold() {
    let sdp = head(
        "a=sendonly\nm=audio 5000 RTP/AVP 0\nm=audio 5002 RTP/AVP 0\na=sendrecv\nm=audio 0 RTP/AVP 0\na=inactive\nm=audio 5004 RTP/AVP 0\nc=IN IP4 0.0.0.0\na=sendrecv\n",
    );
    let dirs: Vec<Direction> = sdp.streams().map(|s| s.direction()).collect();
    use Direction::*;
    assert_eq!(dirs, [SendOnly, SendRecv, Inactive, SendRecv]);
    let holds: Vec<bool> = sdp.streams().map(|s| s.is_hold()).collect();
    assert_eq!(
        holds,
        [true, false, false, true],
        "a rejected stream is not on hold"
    );
    assert_eq!(SendOnly.reversed(), RecvOnly);
    assert_eq!(Inactive.reversed(), Inactive);
}

#[test]
fn old_hold_becomes_a_direction_but_not_with_ice() {
    let mut sdp = head(
        "m=audio 5000 RTP/AVP 0\nc=IN IP4 0.0.0.0\nm=audio 5002 RTP/AVP 0\nc=IN IP4 0.0.0.0\na=recvonly\nm=audio 9 RTP/AVP 0\nc=IN IP4 0.0.0.0\na=ice-ufrag:x\n",
    );
    assert!(
        !sdp.stream(2).expect("stream").is_hold(),
        "ICE placeholder address"
    );
    assert_eq!(sdp.normalize_old_hold(), 2);
    let dirs: Vec<Option<Direction>> = sdp.media.iter().map(|m| m.direction()).collect();
    assert_eq!(
        dirs,
        [Some(Direction::SendOnly), Some(Direction::Inactive), None]
    );
}

#[test]
fn set_direction_session_wide() {
    let mut sdp = head(
        "a=inactive\nm=audio 5000 RTP/AVP 0\na=sendrecv\na=ptime:20\nm=audio 5002 RTP/AVP 0\n",
    );
    sdp.set_direction(Direction::SendOnly);
    assert_eq!(sdp.attributes.direction(), None);
    assert!(sdp.streams().all(|s| s.direction() == Direction::SendOnly));
    assert_eq!(
        sdp.media[0]
            .attributes
            .iter()
            .next()
            .map(|a| a.name.as_str()),
        Some("sendonly")
    );
}

#[test]
fn leg_origin_bumps_only_on_change() {
    let mut leg = LegOrigin::new(Origin::new("sbc", 42, 1, ip("192.0.2.1")));
    let mut offer = head("m=audio 5000 RTP/AVP 0 8\n");
    let first = leg.stamp(&mut offer);
    assert!(String::from_utf8_lossy(&first).contains("o=sbc 42 1 IN IP4 192.0.2.1\r\n"));
    let mut same = head("m=audio 5000 RTP/AVP 0 8\n");
    assert_eq!(leg.stamp(&mut same), first);
    let mut changed = head("m=audio 5000 RTP/AVP 8\n");
    let bytes = leg.stamp(&mut changed);
    assert!(String::from_utf8_lossy(&bytes).contains("o=sbc 42 2 IN IP4 192.0.2.1\r\n"));
    assert_eq!(leg.origin().session_version, 2);
    let mut again = head("m=audio 5000 RTP/AVP 8\n");
    leg.stamp(&mut again);
    assert_eq!(leg.origin().session_version, 2);
}

#[test]
fn set_origin_hides_the_peer() {
    let mut sdp = head("m=audio 5000 RTP/AVP 0\n");
    sdp.set_origin("sbc", 7, 9, ip("2001:db8::1"));
    assert!(text(&sdp).starts_with("v=0\r\no=sbc 7 9 IN IP6 2001:db8::1\r\n"));
}
