//! `rtcp_mux = "offer"` on a trunk (the Teams profile's): the SBC offers rtcp-mux to that
//! trunk's peers whatever the other side offered, uses it with them when they accept,
//! and answers it to them when they offer it although the other side declines; the
//! other leg keeps RTCP on its own port. `"follow"` (the default) stays end to end.

use std::sync::Arc;

use sbc_config::Config;
use sbc_core::{MediaOp, Side};
use sbc_sip::b2bua::{Body, BodyRole, CallId, SessionHook};

use super::MediaHook;
use super::golden::test_names;
use super::tests::{Calls, plan};

const CONFIG: &str = r#"
[system]
name = "mux"

[management]
listen = "127.0.0.1:8443"

[[realm]]
name = "outside"
listen = ["udp:203.0.113.10:5060"]
media_ip = "203.0.113.10"
media_ports = "20000-20099"

[[realm]]
name = "cloud"
listen = ["udp:10.9.0.1:5060"]
media_ip = "10.9.0.1"
media_ports = "30000-30099"

[[trunk]]
name = "pbx"
realm = "outside"
peers = ["udp:198.51.100.20:5060"]

[[trunk]]
name = "teams"
realm = "cloud"
peers = ["udp:52.114.0.10:5060"]
rtcp_mux = "offer"
"#;

fn sdp(ip: &str, port: u16, mux: bool) -> String {
    format!(
        "v=0\r\no=x 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0\r\n{}",
        if mux { "a=rtcp-mux\r\n" } else { "" }
    )
}

fn send(hook: &mut MediaHook, call: CallId, from: Side, role: BodyRole, text: &str) -> String {
    let out = hook
        .relay_body(Body {
            call,
            from,
            role,
            fork: None,
            content_type: Some("application/sdp"),
            bytes: text.as_bytes(),
        })
        .expect("relayed");
    String::from_utf8(out).expect("utf-8")
}

/// Each side's rtcp-mux as the engine was last told (A's, B's), over offer and answer.
fn muxed(ops: &[MediaOp]) -> (Option<bool>, Option<bool>) {
    let mut out = (None, None);
    for op in ops {
        if let MediaOp::Remote { side, remote, .. } = op {
            match side {
                Side::A => out.0 = Some(remote.rtcp_mux),
                Side::B => out.1 = Some(remote.rtcp_mux),
            }
        }
    }
    out
}

fn hook() -> MediaHook {
    let config = Arc::new(Config::from_toml_str(CONFIG, "/etc/sbc").expect("valid config"));
    MediaHook::new(config, 1, test_names()).with_key_source(crate::KeySource::Seeded(5))
}

#[test]
fn offered_to_the_trunk_and_used_there_alone() {
    let mut hook = hook();
    let mut calls = Calls::new();
    let id = calls.next();
    hook.call_started(id, &plan("pbx", "teams"));
    // The PBX offers no mux; Teams is offered it, with RTCP's own port kept.
    let to_teams = send(
        &mut hook,
        id,
        Side::A,
        BodyRole::Offer,
        &sdp("198.51.100.20", 4000, false),
    );
    assert!(to_teams.contains("\r\na=rtcp-mux\r\n"), "{to_teams}");
    // Teams accepts: mux with Teams only, the PBX keeps RTCP on its own port.
    let to_pbx = send(
        &mut hook,
        id,
        Side::B,
        BodyRole::Answer,
        &sdp("52.114.0.10", 5000, true),
    );
    assert!(!to_pbx.contains("rtcp-mux"), "{to_pbx}");
    assert_eq!(muxed(&hook.drain_ops()), (Some(false), Some(true)));
}

#[test]
fn answered_to_the_trunk_when_it_offers_whatever_the_other_side_does() {
    let mut hook = hook();
    let mut calls = Calls::new();
    let id = calls.next();
    hook.call_started(id, &plan("teams", "pbx"));
    let to_pbx = send(
        &mut hook,
        id,
        Side::A,
        BodyRole::Offer,
        &sdp("52.114.0.10", 5000, true),
    );
    assert!(
        to_pbx.contains("a=rtcp-mux"),
        "the PBX is offered what Teams offered: {to_pbx}"
    );
    // The PBX declines mux; Teams still gets it.
    let to_teams = send(
        &mut hook,
        id,
        Side::B,
        BodyRole::Answer,
        &sdp("198.51.100.20", 4000, false),
    );
    assert!(to_teams.contains("\r\na=rtcp-mux\r\n"), "{to_teams}");
    assert!(
        !to_teams.contains("a=rtcp:"),
        "no separate RTCP port with mux: {to_teams}"
    );
    assert_eq!(muxed(&hook.drain_ops()), (Some(true), Some(false)));
}

#[test]
fn follow_stays_end_to_end() {
    let mut hook = hook();
    let mut calls = Calls::new();
    let id = calls.next();
    // Between two "follow" legs (the pbx trunk and the outside realm's phones).
    hook.call_started(id, &plan("outside", "pbx"));
    let to_pbx = send(
        &mut hook,
        id,
        Side::A,
        BodyRole::Offer,
        &sdp("192.0.2.9", 6000, true),
    );
    assert!(to_pbx.contains("a=rtcp-mux"), "{to_pbx}");
    let to_phone = send(
        &mut hook,
        id,
        Side::B,
        BodyRole::Answer,
        &sdp("198.51.100.20", 4000, false),
    );
    assert!(
        !to_phone.contains("rtcp-mux"),
        "declined by the PBX: {to_phone}"
    );
    assert_eq!(muxed(&hook.drain_ops()), (Some(false), Some(false)));
}
