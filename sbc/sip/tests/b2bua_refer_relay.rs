//! `refer = "relay"`: B's REFER crosses to A with Refer-To and Referred-By rewritten to SBC
//! URIs (nothing of B's side in them), its 202 and A's NOTIFYs cross back (a sipfrag as its
//! status line only), and the Refer-To token maps back once, only for the leg it was
//! relayed to, for a bounded time.

mod b2bua_util;

use std::time::Duration;

use b2bua_util::*;
use sbc_sip::b2bua::{CallId, EngineEvent, RELAYED_REFER_LIFETIME, ReferMode, TOKEN_PREFIX};
use sbc_sip::{Known, Message};

const REFER_TO: &str = "<sip:+4930999@10.20.0.60;user=phone;x-m=ab1;x-t=7>";
const TARGET: &str = "sip:+4930999@10.20.0.60;user=phone;x-m=ab1;x-t=7";

struct Up {
    h: Harness,
    b_invite: Message,
    a_tag: String,
}

/// A confirmed call A -> B, B's trunk relaying REFER.
fn up(call_id: &str) -> Up {
    let mut h = Harness::new();
    h.outbound_refer = ReferMode::Relay;
    h.deliver_from_a(&invite_from_a(call_id, 1, true));
    let b_invite = h.request_to(B_PEER, "INVITE");
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 200, "OK", Some("btag"), SDP_B),
    );
    let ok = h
        .take_to(A_PEER)
        .into_iter()
        .find(|m| m.status() == Some(200))
        .expect("200 to A");
    let a_tag = to_tag(&ok);
    let _ack = h.request_to(B_PEER, "ACK");
    h.deliver_from_a(&in_dialog_from_a("ACK", call_id, 1, &a_tag, ""));
    assert!(
        h.events
            .iter()
            .any(|e| matches!(e, EngineEvent::CallStarted { .. }))
    );
    Up { h, b_invite, a_tag }
}

fn refer(u: &mut Up, cseq: u32, refer_to: &str) {
    let r = with(
        in_dialog_from_b("REFER", &u.b_invite, "btag", cseq),
        &[
            (Known::ReferTo, refer_to),
            (Known::ReferredBy, "<sip:agent@10.20.0.50>"),
        ],
    );
    u.h.deliver_from_b(B_PEER, r);
}

/// The user part of `<sip:USER@host>`.
fn user_of(name_addr: &str) -> String {
    name_addr
        .trim_start_matches("<sip:")
        .split('@')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_relayed_refer_names_only_the_sbc_and_maps_back_once() {
    let mut u = up("relay-1@carrier");
    refer(&mut u, 5, REFER_TO);
    let relayed = u.h.request_to(A_PEER, "REFER");
    let refer_to = relayed.header(Known::ReferTo).expect("Refer-To").to_owned();
    let referred_by = relayed
        .header(Known::ReferredBy)
        .expect("Referred-By")
        .to_owned();
    assert!(refer_to.ends_with(&format!("@{SBC_A}>")), "{refer_to}");
    assert!(
        referred_by.ends_with(&format!("@{SBC_A}>")),
        "{referred_by}"
    );
    let token = user_of(&refer_to);
    assert!(token.starts_with(TOKEN_PREFIX), "{token}");
    assert_eq!(token.len(), TOKEN_PREFIX.len() + 32, "128 bits: {token}");
    // Nothing of B's side: not the target, not the agent, not B's address.
    let text = String::from_utf8_lossy(&relayed.to_bytes()).into_owned();
    for secret in ["10.20.0.60", "10.20.0.50", "+4930999", "x-m=", "agent"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }

    // A accepts: 202 back to B. A's NOTIFY's sipfrag crosses as its status line.
    u.h.deliver_msg_from_a(a_response(&relayed, 202, "Accepted"));
    assert_eq!(u.h.codes_to(B_PEER), vec![202]);
    let mut notify = parse(&in_dialog_from_a_with(
        "NOTIFY",
        "relay-1@carrier",
        2,
        &u.a_tag,
        "",
        "Event: refer\r\nSubscription-State: terminated;reason=noresource\r\n",
    ));
    notify.push_header(Known::ContentType, "message/sipfrag");
    notify.set_body(b"SIP/2.0 200 OK\r\nContact: <sip:inner@192.0.2.99:5060>\r\n".to_vec());
    u.h.deliver_msg_from_a(notify);
    let crossed = u.h.request_to(B_PEER, "NOTIFY");
    assert_eq!(crossed.body(), b"SIP/2.0 200 OK\r\n");
    assert_eq!(crossed.header(Known::Event), Some("refer"));

    // The token maps back to the Refer-To as received: only for A's leg ("carrier"),
    // only once.
    let now = u.h.now;
    assert!(u.h.engine.take_relayed_refer(now, &token, "pbx").is_none());
    assert!(
        u.h.engine
            .take_relayed_refer(now, "xfer-0", "carrier")
            .is_none()
    );
    let back =
        u.h.engine
            .take_relayed_refer(now, &token, "carrier")
            .expect("mapped back");
    assert_eq!(back.request.target, TARGET);
    assert_eq!(back.request.user.as_deref(), Some("+4930999"));
    assert_eq!(back.referrer, "pbx");
    assert_eq!(back.relayed_to, "carrier");
    assert_eq!(
        back.request.referred_by.as_deref(),
        Some("<sip:agent@10.20.0.50>")
    );
    assert!(
        u.h.engine
            .take_relayed_refer(now, &token, "carrier")
            .is_none(),
        "a token maps back once"
    );
    assert_eq!(u.h.engine.relayed_refers(), 0);
}

#[test]
fn a_token_expires() {
    let mut u = up("relay-2@carrier");
    refer(&mut u, 5, REFER_TO);
    let relayed = u.h.request_to(A_PEER, "REFER");
    let token = user_of(relayed.header(Known::ReferTo).expect("Refer-To"));
    let later = u.h.now + RELAYED_REFER_LIFETIME + Duration::from_secs(1);
    assert!(
        u.h.engine
            .take_relayed_refer(later, &token, "carrier")
            .is_none()
    );
    assert_eq!(u.h.engine.relayed_refers(), 0);
}

#[test]
fn bad_refers_are_refused_as_when_handled_and_nothing_crosses() {
    let mut u = up("relay-3@carrier");
    for (cseq, bad, code) in [
        (5, "<not a uri", 400),
        (6, "<tel:+4930999>", 416),
        (7, "<sip:1@10.20.0.60?Replaces=a%3Bto-tag%3D1>", 403),
        (8, "<sip:1000@10.20.0.1:5060>", 482),
    ] {
        refer(&mut u, cseq, bad);
        assert_eq!(u.h.codes_to(B_PEER), vec![code], "{bad}");
        assert!(u.h.take_to(A_PEER).is_empty(), "{bad} crossed");
    }
    let call: Option<CallId> = u.h.events.iter().find_map(|e| match e {
        EngineEvent::CallStarted { call } => Some(*call),
        _ => None,
    });
    assert!(call.is_some());
    assert_eq!(u.h.engine.relayed_refers(), 0);
}

#[test]
fn a_refused_relayed_refer_frees_its_token_at_once() {
    let mut u = up("relay-4@carrier");
    refer(&mut u, 5, REFER_TO);
    let relayed = u.h.request_to(A_PEER, "REFER");
    let token = user_of(relayed.header(Known::ReferTo).expect("Refer-To"));
    assert_eq!(u.h.engine.relayed_refers(), 1);
    // A provisional response keeps it; the refusal crosses back and frees it.
    u.h.deliver_msg_from_a(a_response(&relayed, 100, "Trying"));
    assert_eq!(u.h.engine.relayed_refers(), 1);
    u.h.deliver_msg_from_a(a_response(&relayed, 603, "Decline"));
    assert_eq!(u.h.codes_to(B_PEER), vec![603]);
    assert_eq!(u.h.engine.relayed_refers(), 0, "freed before it expires");
    let now = u.h.now;
    assert!(
        u.h.engine
            .take_relayed_refer(now, &token, "carrier")
            .is_none(),
        "a refused REFER's token maps back to nothing"
    );
    // The call goes on: B may refer again, and that token is live.
    refer(&mut u, 6, REFER_TO);
    let again = u.h.request_to(A_PEER, "REFER");
    u.h.deliver_msg_from_a(a_response(&again, 202, "Accepted"));
    assert_eq!(u.h.codes_to(B_PEER), vec![202]);
    assert_eq!(u.h.engine.relayed_refers(), 1, "an accepted REFER keeps it");
}

#[test]
fn an_unanswered_relayed_refer_frees_its_token() {
    let mut u = up("relay-5@carrier");
    refer(&mut u, 5, REFER_TO);
    let _relayed = u.h.request_to(A_PEER, "REFER");
    assert_eq!(u.h.engine.relayed_refers(), 1);
    // Timer F (64 T1) without a response: 408 to B, the call ends, the token with it.
    u.h.advance(Duration::from_secs(40));
    assert!(u.h.codes_to(B_PEER).contains(&408));
    assert_eq!(u.h.engine.relayed_refers(), 0);
}
