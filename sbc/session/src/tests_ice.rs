//! ICE-lite towards a trunk with `ice = "lite"` (a Teams-like side B behind the realm's
//! `public_ip`), a plain carrier on side A: the SBC's lines in what B gets, nothing of
//! ICE in what A gets, the engine told each fork's ufrag under one set of local
//! credentials, and a restart after the answer.

use std::sync::Arc;

use sbc_config::Config;
use sbc_core::{IceCredentials, MediaOp, Side};
use sbc_sip::b2bua::{Body, BodyRole, CallId, SessionHook};

use super::MediaHook;
use super::golden::test_names;
use super::tests::{Calls, plan};

const CONFIG: &str = r#"
[system]
name = "ice"

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
public_ip = "198.51.100.9"

[[trunk]]
name = "carrier"
realm = "outside"
peers = ["udp:198.51.100.20:5060"]

[[trunk]]
name = "teams"
realm = "cloud"
peers = ["udp:52.114.0.10:5060"]
ice = "lite"
"#;

const OFFER: &str = "v=0\r\no=c 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\n\
    t=0 0\r\nm=audio 49170 RTP/AVP 8 0\r\n";

fn answer_from(endpoint: &str, ufrag: &str, pwd: &str) -> String {
    format!(
        "v=0\r\no=t 1 1 IN IP4 {endpoint}\r\ns=-\r\nc=IN IP4 {endpoint}\r\nt=0 0\r\n\
         m=audio 50000 RTP/AVP 8\r\na=ice-ufrag:{ufrag}\r\na=ice-pwd:{pwd}\r\n\
         a=candidate:1 1 UDP 2130706431 {endpoint} 50000 typ host\r\n"
    )
}

fn body<'a>(
    call: CallId,
    from: Side,
    role: BodyRole,
    fork: Option<&'a str>,
    bytes: &'a [u8],
) -> Body<'a> {
    Body {
        call,
        from,
        role,
        fork,
        content_type: Some("application/sdp"),
        bytes,
    }
}

fn ice_ops(ops: &[MediaOp]) -> Vec<(Side, Option<String>, IceCredentials, Option<String>)> {
    ops.iter()
        .filter_map(|op| match op {
            MediaOp::Ice {
                side,
                fork,
                local,
                remote_ufrag,
                ..
            } => Some((*side, fork.clone(), local.clone()?, remote_ufrag.clone())),
            _ => None,
        })
        .collect()
}

fn attribute<'t>(text: &'t str, name: &str) -> Option<&'t str> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("a={name}:")))
}

#[test]
fn the_sbc_is_a_lite_agent_towards_the_ice_trunk_only() {
    let config = Arc::new(Config::from_toml_str(CONFIG, "/etc/sbc").expect("valid config"));
    let mut hook =
        MediaHook::new(config, 1, test_names()).with_key_source(crate::KeySource::Seeded(3));
    let mut calls = Calls::new();
    let id = calls.next();
    hook.call_started(id, &plan("carrier", "teams"));

    // The offer towards Teams: ice-lite, credentials, one host candidate per component
    // on the public address and the SBC's port there.
    let to_b = hook
        .relay_body(body(id, Side::A, BodyRole::Offer, None, OFFER.as_bytes()))
        .expect("anchored");
    let to_b = String::from_utf8(to_b).expect("utf-8");
    assert!(to_b.contains("\r\na=ice-lite\r\n"), "{to_b}");
    let ufrag = attribute(&to_b, "ice-ufrag").expect("a ufrag").to_owned();
    let pwd = attribute(&to_b, "ice-pwd").expect("a password").to_owned();
    assert!(ufrag.len() >= 4 && pwd.len() >= 22);
    let port = to_b
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|l| l.split(' ').next())
        .and_then(|p| p.parse::<u16>().ok())
        .expect("a port");
    assert!(
        to_b.contains(&format!(
            "a=candidate:1 1 UDP 2130706431 198.51.100.9 {port} typ host\r\n"
        )),
        "{to_b}"
    );
    assert!(
        to_b.contains(&format!(
            "a=candidate:1 2 UDP 2130706430 198.51.100.9 {} typ host\r\n",
            port + 1
        )),
        "RTCP's own candidate (no rtcp-mux): {to_b}"
    );
    let local = IceCredentials {
        ufrag: ufrag.clone(),
        pwd: pwd.clone(),
    };
    let ops = hook.drain_ops();
    let open = ops
        .iter()
        .position(|op| matches!(op, MediaOp::Open { .. }))
        .expect("opened");
    let first_ice = ops
        .iter()
        .position(|op| matches!(op, MediaOp::Ice { .. }))
        .expect("ICE told");
    assert!(
        open < first_ice,
        "the stream exists before ICE is set on it"
    );
    assert_eq!(ice_ops(&ops), vec![(Side::B, None, local.clone(), None)]);

    // Two forked 183s, each its own remote agent, then the 200 from the second: the SBC's
    // credentials never change; the answers to A carry no ICE.
    for (fork, endpoint, their_ufrag) in [
        ("f1", "52.114.1.1", "endpointOne"),
        ("f2", "52.114.2.2", "endpointTwo"),
    ] {
        let sdp = answer_from(endpoint, their_ufrag, "theirPasswordIs22Chars");
        let to_a = hook
            .relay_body(body(
                id,
                Side::B,
                BodyRole::Answer,
                Some(fork),
                sdp.as_bytes(),
            ))
            .expect("accepted");
        let to_a = String::from_utf8(to_a).expect("utf-8");
        assert!(
            !to_a.contains("ice") && !to_a.contains("candidate"),
            "{to_a}"
        );
        assert_eq!(
            ice_ops(&hook.drain_ops()),
            vec![(
                Side::B,
                Some(fork.to_owned()),
                local.clone(),
                Some(their_ufrag.to_owned())
            )]
        );
    }
    let sdp = answer_from("52.114.2.2", "endpointTwo", "theirPasswordIs22Chars");
    hook.relay_body(body(
        id,
        Side::B,
        BodyRole::Answer,
        Some("f2"),
        sdp.as_bytes(),
    ))
    .expect("accepted");
    hook.answered(id, Some("f2"));
    let _ = hook.drain_ops();

    // A re-INVITE from Teams with the same credentials: the same ones back.
    let reoffer = answer_from("52.114.2.2", "endpointTwo", "theirPasswordIs22Chars");
    let to_a = hook
        .relay_body(body(id, Side::B, BodyRole::Offer, None, reoffer.as_bytes()))
        .expect("anchored");
    assert!(!String::from_utf8_lossy(&to_a).contains("ice-"));
    let back = hook
        .relay_body(body(id, Side::A, BodyRole::Answer, None, OFFER.as_bytes()))
        .expect("answered");
    let back = String::from_utf8(back).expect("utf-8");
    assert_eq!(attribute(&back, "ice-ufrag"), Some(ufrag.as_str()));
    let _ = hook.drain_ops();

    // A re-INVITE with new credentials is an ICE restart: the SBC's change too.
    let restart = answer_from("52.114.2.2", "restartedUfrag", "restartedPasswordOf22c");
    hook.relay_body(body(id, Side::B, BodyRole::Offer, None, restart.as_bytes()))
        .expect("anchored");
    let back = hook
        .relay_body(body(id, Side::A, BodyRole::Answer, None, OFFER.as_bytes()))
        .expect("answered");
    let back = String::from_utf8(back).expect("utf-8");
    let new_ufrag = attribute(&back, "ice-ufrag").expect("a ufrag");
    let new_pwd = attribute(&back, "ice-pwd").expect("a password");
    assert_ne!(new_ufrag, ufrag);
    assert_ne!(new_pwd, pwd);
    let ops = ice_ops(&hook.drain_ops());
    assert!(
        ops.iter()
            .all(|(side, _, l, _)| *side == Side::B && l.ufrag == new_ufrag),
        "{ops:?}"
    );
    assert!(
        ops.iter()
            .any(|(_, _, _, r)| r.as_deref() == Some("restartedUfrag"))
    );
    hook.call_ended(id);
}
