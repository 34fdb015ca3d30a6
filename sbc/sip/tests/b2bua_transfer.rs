//! `refer = "handle"`: a blind transfer (RFC 3515) from B's leg — the Teams side — completed
//! by the SBC. B refers the caller A to C: the SBC answers 202, NOTIFYs B of C's progress
//! (sipfrag), and on C's 2xx bridges A to C; B's BYE then ends only B's old dialog. A
//! failure, a target no route allows and a loop each leave A–B as it was.

mod b2bua_util;

use std::time::Duration;

use b2bua_util::*;
use sbc_sip::b2bua::{CallId, EngineEvent, LegIdentity, ReferMode, Target};
use sbc_sip::{Known, Message};

/// The transfer target on B's side.
const C_PEER: &str = "10.20.0.60:5060";
const REFER_TO: &str = "<sip:+4930999@10.20.0.60;user=phone;x-m=ab1;x-t=7>";
const TARGET: &str = "sip:+4930999@10.20.0.60;user=phone;x-m=ab1;x-t=7";
const SDP_C: &str = "v=0\r\no=c 3 3 IN IP4 10.20.0.60\r\ns=-\r\nc=IN IP4 10.20.0.60\r\nt=0 0\r\nm=audio 52000 RTP/AVP 0\r\n";

struct Up {
    h: Harness,
    call: CallId,
    b_invite: Message,
    a_tag: String,
}

/// A confirmed call A -> B, B's trunk handling REFER.
fn up(call_id: &str) -> Up {
    let mut h = Harness::new();
    h.outbound_refer = ReferMode::Handle;
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
    let call = h
        .events
        .iter()
        .find_map(|e| match e {
            EngineEvent::CallStarted { call } => Some(*call),
            _ => None,
        })
        .expect("a call started");
    Up {
        h,
        call,
        b_invite,
        a_tag,
    }
}

/// B's REFER to `refer_to`.
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

/// The transfer the engine asked the daemon about.
fn asked(h: &mut Harness) -> String {
    let asked = h.events.iter().rev().find_map(|e| match e {
        EngineEvent::Transfer { from, request, .. } => Some((*from, request.target.clone())),
        _ => None,
    });
    let (from, target) = asked.expect("a transfer asked for");
    assert_eq!(from, sbc_sip::b2bua::Side::B);
    target
}

/// Routes the transfer to C on B's side and returns C's INVITE.
fn place(u: &mut Up) -> Message {
    let target = Target {
        peer: Harness::b_peer(C_PEER),
        host: C_PEER.into(),
        request_uri: None,
    };
    let me = LegIdentity {
        advertised: SBC_B.into(),
    };
    u.h.engine
        .transfer_to(u.h.now, u.call, target, &me, &mut u.h.hook)
        .expect("placed");
    u.h.drain();
    u.h.request_to(C_PEER, "INVITE")
}

/// What B got since the last take: response codes, and the NOTIFYs (each answered 200)
/// as (sipfrag, Subscription-State).
fn to_b(h: &mut Harness) -> (Vec<u16>, Vec<(String, String)>) {
    let mut codes = Vec::new();
    let mut out = Vec::new();
    for m in h.take_to(B_PEER) {
        if let Some(code) = m.status() {
            codes.push(code);
            continue;
        }
        assert_eq!(m.method().map(|x| x.as_str()), Some("NOTIFY"), "{m:?}");
        assert_eq!(m.header(Known::Event), Some("refer"));
        let ct = m.header(Known::ContentType).unwrap_or_default();
        assert!(ct.starts_with("message/sipfrag"), "{ct}");
        out.push((
            String::from_utf8_lossy(m.body()).trim_end().to_owned(),
            m.header(Known::SubscriptionState)
                .unwrap_or_default()
                .to_owned(),
        ));
        h.deliver_from_b(B_PEER, a_response(&m, 200, "OK"));
    }
    (codes, out)
}

fn notifies(h: &mut Harness) -> Vec<(String, String)> {
    let (codes, n) = to_b(h);
    assert!(codes.is_empty(), "{codes:?}");
    n
}

fn c_response(invite: &Message, code: u16, reason: &str, body: &str) -> Message {
    let mut r = b_response(invite, code, reason, Some("ctag"), body);
    if r.has_header(Known::Contact) {
        r.set_header(Known::Contact, format!("<sip:c@{C_PEER}>"));
    }
    r
}

#[test]
fn a_blind_transfer_bridges_the_caller_to_the_target() {
    let mut u = up("xfer-1@carrier");
    refer(&mut u, 5, REFER_TO);
    assert_eq!(asked(&mut u.h), TARGET);
    assert!(
        u.h.take_to(B_PEER).is_empty(),
        "the REFER waits for routing"
    );

    let c_invite = place(&mut u);
    let (codes, first) = to_b(&mut u.h);
    assert_eq!(codes, vec![202]);
    // The Refer-To URI as received, Referred-By copied, the offer of A's media as B had it.
    assert_eq!(c_invite.request_uri(), Some(TARGET));
    assert_eq!(
        c_invite.header(Known::ReferredBy),
        Some("<sip:agent@10.20.0.50>")
    );
    assert_eq!(c_invite.body(), SDP_A.as_bytes());
    // Headers only: PassThrough leaves the SDP as it was (the media hook anchors it).
    let mut headers = c_invite.clone();
    headers.set_body(Vec::new());
    let text = String::from_utf8_lossy(&headers.to_bytes()).into_owned();
    assert!(!text.contains("203.0.113.50"), "A's address leaked: {text}");
    assert!(
        !text.contains("xfer-1@carrier"),
        "A's Call-ID leaked: {text}"
    );

    // B can reach the SBC by the time the 202 and the first NOTIFY go out.
    u.h.deliver_from_b(C_PEER, c_response(&c_invite, 180, "Ringing", ""));
    u.h.deliver_from_b(C_PEER, c_response(&c_invite, 200, "OK", SDP_C));
    let ack = u.h.request_to(C_PEER, "ACK");
    assert_eq!(ack.request_uri(), Some("sip:c@10.20.0.60:5060"));
    let mut all = first;
    all.extend(notifies(&mut u.h));
    assert_eq!(
        all,
        vec![
            ("SIP/2.0 100 Trying".into(), "active;expires=60".into()),
            ("SIP/2.0 180 Ringing".into(), "active;expires=60".into()),
            (
                "SIP/2.0 200 OK".into(),
                "terminated;reason=noresource".into()
            ),
        ]
    );
    assert!(u.h.take_to(A_PEER).is_empty(), "A hears nothing of it");
    assert!(
        u.h.events
            .iter()
            .any(|e| matches!(e, EngineEvent::TransferEnded { code: 200, .. }))
    );

    // A retransmitted 2xx is ACKed again.
    u.h.deliver_from_b(C_PEER, c_response(&c_invite, 200, "OK", SDP_C));
    let _ = u.h.request_to(C_PEER, "ACK");

    // B hangs up its old dialog: 200, and A stays.
    u.h.deliver_from_b(B_PEER, in_dialog_from_b("BYE", &u.b_invite, "btag", 6));
    assert_eq!(u.h.codes_to(B_PEER), vec![200]);
    assert!(u.h.take_to(A_PEER).is_empty(), "A's leg stays up");
    assert_eq!(u.h.engine.call_count(), 1);

    // A's requests now reach C; A's BYE ends C's leg.
    let info = in_dialog_from_a("INFO", "xfer-1@carrier", 2, &u.a_tag, "");
    u.h.deliver_from_a(&info);
    let relayed = u.h.request_to(C_PEER, "INFO");
    u.h.deliver_from_b(C_PEER, a_response(&relayed, 200, "OK"));
    assert_eq!(u.h.codes_to(A_PEER), vec![200]);
    u.h.deliver_from_a(&in_dialog_from_a("BYE", "xfer-1@carrier", 3, &u.a_tag, ""));
    assert_eq!(u.h.codes_to(A_PEER), vec![200]);
    let bye = u.h.request_to(C_PEER, "BYE");
    assert!(u.h.take_to(B_PEER).is_empty(), "B's dialog is over already");
    u.h.deliver_from_b(C_PEER, a_response(&bye, 200, "OK"));
    u.h.assert_drained();
}

#[test]
fn a_failed_transfer_keeps_the_call() {
    let mut u = up("xfer-2@carrier");
    refer(&mut u, 5, REFER_TO);
    let c_invite = place(&mut u);
    let (codes, mut all) = to_b(&mut u.h);
    assert_eq!(codes, vec![202]);
    u.h.deliver_from_b(C_PEER, c_response(&c_invite, 486, "Busy Here", ""));
    let _ack = u.h.request_to(C_PEER, "ACK");
    all.extend(notifies(&mut u.h));
    assert_eq!(
        all,
        vec![
            ("SIP/2.0 100 Trying".into(), "active;expires=60".into()),
            (
                "SIP/2.0 486 Busy Here".into(),
                "terminated;reason=noresource".into()
            ),
        ]
    );
    // The call is A–B as before: B's BYE ends it on A.
    u.h.deliver_from_b(B_PEER, in_dialog_from_b("BYE", &u.b_invite, "btag", 6));
    assert_eq!(u.h.codes_to(B_PEER), vec![200]);
    let bye = u.h.request_to(A_PEER, "BYE");
    u.h.deliver_msg_from_a(a_response(&bye, 200, "OK"));
    u.h.assert_drained();
}

#[test]
fn a_target_that_never_answers_is_a_408_and_the_call_stays() {
    let mut u = up("xfer-3@carrier");
    refer(&mut u, 5, REFER_TO);
    let _c_invite = place(&mut u);
    let (codes, first) = to_b(&mut u.h);
    assert_eq!((codes, first.len()), (vec![202], 1));
    u.h.advance(Duration::from_secs(40));
    let last = notifies(&mut u.h);
    assert_eq!(
        last.last().map(|n| n.0.as_str()),
        Some("SIP/2.0 408 Request Timeout")
    );
    let info = in_dialog_from_a("INFO", "xfer-3@carrier", 2, &u.a_tag, "");
    u.h.deliver_from_a(&info);
    let relayed = u.h.request_to(B_PEER, "INFO");
    u.h.deliver_from_b(B_PEER, a_response(&relayed, 200, "OK"));
    assert_eq!(u.h.codes_to(A_PEER), vec![200]);
}

#[test]
fn a_target_no_route_allows_gets_403_and_the_call_stays() {
    let mut u = up("xfer-4@carrier");
    refer(&mut u, 5, "<sip:+1900555@198.51.100.99>");
    let _ = asked(&mut u.h);
    u.h.engine
        .refuse_transfer(u.h.now, u.call, 403, "no route allows the transfer target")
        .expect("refused");
    u.h.drain();
    assert_eq!(u.h.codes_to(B_PEER), vec![403]);
    assert!(u.h.take_to(C_PEER).is_empty());
    // A second decision finds nothing waiting.
    assert!(
        u.h.engine
            .refuse_transfer(u.h.now, u.call, 403, "again")
            .is_err()
    );
    // Another REFER may follow.
    refer(&mut u, 6, REFER_TO);
    let _ = place(&mut u);
    assert_eq!(to_b(&mut u.h).0, vec![202]);
}

#[test]
fn a_refer_loop_is_refused_with_482() {
    let mut u = up("xfer-5@carrier");
    // Back at the SBC itself, and to the referrer's own Contact (the same dialog).
    for (cseq, target) in [
        (5, "<sip:1000@10.20.0.1:5060>"),
        (6, "<sip:pbx@10.20.0.50:5060>"),
    ] {
        refer(&mut u, cseq, target);
        assert_eq!(u.h.codes_to(B_PEER), vec![482], "{target}");
    }
    assert!(
        !u.h.events
            .iter()
            .any(|e| matches!(e, EngineEvent::Transfer { .. }))
    );
    // Attended transfer (Replaces) is refused too; the call goes on.
    refer(
        &mut u,
        7,
        "<sip:1000@10.20.0.60?Replaces=x%3Bto-tag%3D1%3Bfrom-tag%3D2>",
    );
    assert_eq!(u.h.codes_to(B_PEER), vec![403]);
    u.h.deliver_from_a(&in_dialog_from_a("BYE", "xfer-5@carrier", 2, &u.a_tag, ""));
    assert_eq!(u.h.codes_to(A_PEER), vec![200]);
    let bye = u.h.request_to(B_PEER, "BYE");
    u.h.deliver_from_b(B_PEER, a_response(&bye, 200, "OK"));
    u.h.assert_drained();
}

#[test]
fn a_referrer_hanging_up_early_leaves_the_kept_party_to_the_new_one() {
    let mut u = up("xfer-6@carrier");
    refer(&mut u, 5, REFER_TO);
    let c_invite = place(&mut u);
    let (codes, first) = to_b(&mut u.h);
    assert_eq!((codes, first.len()), (vec![202], 1));
    // B (Teams) hangs up before the final NOTIFY: 200, and A is not hung up on.
    u.h.deliver_from_b(B_PEER, in_dialog_from_b("BYE", &u.b_invite, "btag", 6));
    assert_eq!(u.h.codes_to(B_PEER), vec![200]);
    assert!(u.h.take_to(A_PEER).is_empty(), "A's leg stays up");
    assert!(u.h.take_to(C_PEER).is_empty(), "C is still being called");

    // C answers: bridged to A, B is told nothing more.
    u.h.deliver_from_b(C_PEER, c_response(&c_invite, 180, "Ringing", ""));
    u.h.deliver_from_b(C_PEER, c_response(&c_invite, 200, "OK", SDP_C));
    let _ack = u.h.request_to(C_PEER, "ACK");
    assert!(u.h.take_to(B_PEER).is_empty(), "no NOTIFY after B's BYE");
    assert!(u.h.take_to(A_PEER).is_empty());
    let info = in_dialog_from_a("INFO", "xfer-6@carrier", 2, &u.a_tag, "");
    u.h.deliver_from_a(&info);
    let relayed = u.h.request_to(C_PEER, "INFO");
    u.h.deliver_from_b(C_PEER, a_response(&relayed, 200, "OK"));
    assert_eq!(u.h.codes_to(A_PEER), vec![200]);
    // A's BYE ends C's leg, and nothing goes to B's finished dialog.
    u.h.deliver_from_a(&in_dialog_from_a("BYE", "xfer-6@carrier", 3, &u.a_tag, ""));
    assert_eq!(u.h.codes_to(A_PEER), vec![200]);
    let bye = u.h.request_to(C_PEER, "BYE");
    u.h.deliver_from_b(C_PEER, a_response(&bye, 200, "OK"));
    assert!(u.h.take_to(B_PEER).is_empty());
    u.h.assert_drained();
}

#[test]
fn a_transfer_failing_after_its_referrer_left_ends_the_kept_leg() {
    for failure in ["486", "timeout"] {
        let mut u = up(&format!("xfer-7-{failure}@carrier"));
        refer(&mut u, 5, REFER_TO);
        let c_invite = place(&mut u);
        let _ = to_b(&mut u.h);
        u.h.deliver_from_b(B_PEER, in_dialog_from_b("BYE", &u.b_invite, "btag", 6));
        assert_eq!(u.h.codes_to(B_PEER), vec![200]);
        if failure == "486" {
            u.h.deliver_from_b(C_PEER, c_response(&c_invite, 486, "Busy Here", ""));
        } else {
            u.h.advance(Duration::from_secs(40));
        }
        // A has nobody left: the SBC ends its leg; B hears nothing more.
        let bye = u.h.request_to_once(A_PEER, "BYE");
        u.h.deliver_msg_from_a(a_response(&bye, 200, "OK"));
        assert!(
            u.h.take_to(B_PEER).is_empty(),
            "{failure}: B's dialog is over"
        );
        u.h.assert_drained();
    }
}

#[test]
fn a_transfer_of_a_transfer_beyond_the_limit_is_refused_with_482() {
    let mut u = up("xfer-8@carrier");
    let mut dialog = u.b_invite.clone();
    let (mut tag, mut peer) = ("btag", B_PEER);
    for round in 0..u32::from(sbc_sip::b2bua::MAX_TRANSFERS) {
        let r = with(
            in_dialog_from_b("REFER", &dialog, tag, 10 + round),
            &[(Known::ReferTo, REFER_TO)],
        );
        u.h.deliver_from_b(peer, r);
        let c_invite = place(&mut u);
        u.h.deliver_from_b(C_PEER, c_response(&c_invite, 200, "OK", SDP_C));
        let _ = (u.h.take_to(B_PEER), u.h.take_to(C_PEER));
        // The new party is now the one on B's side, and refers in its turn.
        dialog = c_invite;
        (tag, peer) = ("ctag", C_PEER);
    }
    let r = with(
        in_dialog_from_b("REFER", &dialog, tag, 20),
        &[(Known::ReferTo, REFER_TO)],
    );
    u.h.deliver_from_b(peer, r);
    let mut codes = u.h.codes_to(B_PEER);
    codes.extend(u.h.codes_to(C_PEER));
    assert_eq!(codes, vec![482]);
    let transfers_asked =
        u.h.events
            .iter()
            .filter(|e| matches!(e, EngineEvent::Transfer { .. }))
            .count();
    assert_eq!(
        transfers_asked,
        usize::from(sbc_sip::b2bua::MAX_TRANSFERS),
        "the last REFER never reached the daemon"
    );
}

#[test]
fn a_refer_without_or_with_a_bad_refer_to_gets_400_and_the_call_stays() {
    let mut u = up("xfer-9@carrier");
    let bare = in_dialog_from_b("REFER", &u.b_invite, "btag", 5);
    u.h.deliver_from_b(B_PEER, bare);
    assert_eq!(u.h.codes_to(B_PEER), vec![400]);
    for (cseq, bad) in [
        (6, "<sip:>"),
        (7, "<not a uri"),
        (8, "<sip:a@b>, <sip:c@d>"),
    ] {
        refer(&mut u, cseq, bad);
        assert_eq!(u.h.codes_to(B_PEER), vec![400], "{bad}");
    }
    assert!(
        !u.h.events
            .iter()
            .any(|e| matches!(e, EngineEvent::Transfer { .. }))
    );
    // Still A–B.
    let info = in_dialog_from_a("INFO", "xfer-9@carrier", 2, &u.a_tag, "");
    u.h.deliver_from_a(&info);
    let relayed = u.h.request_to(B_PEER, "INFO");
    u.h.deliver_from_b(B_PEER, a_response(&relayed, 200, "OK"));
    assert_eq!(u.h.codes_to(A_PEER), vec![200]);
}
