//! Session timers (RFC 4028) kept by the B2BUA: the watchdog that ends unrefreshed
//! calls, refreshes that re-arm it, the SBC refreshing B itself, 422 handling.

mod b2bua_util;

use std::time::Duration;

use b2bua_util::*;
use sbc_sip::b2bua::{EndReason, EngineEvent};
use sbc_sip::{Known, Message};

const CALL: &str = "timer-call@carrier";
const TIMER_A: &str = "Supported: timer\r\nSession-Expires: 90\r\n";
const UPDATE_OK: &str = "INVITE, ACK, BYE, CANCEL, UPDATE";

/// A call from A (`extra` headers in its INVITE) answered by B's 200 with `headers`;
/// A has ACKed. Returns (B's INVITE, the SBC's A-leg tag, A's 200).
fn call(h: &mut Harness, extra: &str, headers: &[(Known, &str)]) -> (Message, String, Message) {
    h.deliver_from_a(&invite_from_a_with(CALL, 1, true, extra));
    assert_eq!(h.codes_to(A_PEER), vec![100]);
    let b_invite = h.request_to(B_PEER, "INVITE");
    assert!(lists(&b_invite, Known::Supported, "timer"));
    let ok = with(
        b_response(&b_invite, 200, "OK", Some("btag"), SDP_B),
        headers,
    );
    h.deliver_from_b(B_PEER, ok);
    let ok = h
        .take_to(A_PEER)
        .into_iter()
        .find(|m| m.status() == Some(200))
        .expect("200 to A");
    let _ack = h.request_to(B_PEER, "ACK");
    let a_tag = to_tag(&ok);
    h.deliver_from_a(&in_dialog_from_a("ACK", CALL, 1, &a_tag, ""));
    (b_invite, a_tag, ok)
}

fn ended_by(h: &Harness, reason: EndReason) -> bool {
    h.events
        .iter()
        .any(|e| matches!(e, EngineEvent::CallEnded { reason: r, .. } if *r == reason))
}

/// BYEs went to both legs: answer them and check everything is gone.
fn byes_to_both_then_drain(h: &mut Harness) {
    let bye_a = h.request_to_once(A_PEER, "BYE");
    let bye_b = h.request_to_once(B_PEER, "BYE");
    h.deliver_msg_from_a(a_response(&bye_a, 200, "OK"));
    h.deliver_from_b(B_PEER, b_response(&bye_b, 200, "OK", None, ""));
    h.assert_drained();
}

#[test]
fn an_unrefreshed_session_ends_after_its_interval() {
    let mut h = Harness::new();
    let (b_invite, _a_tag, ok) = call(
        &mut h,
        TIMER_A,
        &[
            (Known::SessionExpires, "90;refresher=uac"),
            (Known::Require, "timer"),
        ],
    );
    assert_eq!(b_invite.header(Known::SessionExpires), Some("90"));
    assert_eq!(ok.header(Known::SessionExpires), Some("90;refresher=uac"));
    assert!(lists(&ok, Known::Require, "timer"));
    h.advance(Duration::from_secs(89));
    assert!(h.requests_to(A_PEER, "BYE").is_empty());
    assert!(h.requests_to(B_PEER, "BYE").is_empty());
    h.advance(Duration::from_secs(2));
    byes_to_both_then_drain(&mut h);
    assert!(ended_by(&h, EndReason::SessionExpired));
}

#[test]
fn a_refresh_rearms_the_watchdog() {
    let mut h = Harness::new();
    let (_b_invite, a_tag, _ok) = call(
        &mut h,
        TIMER_A,
        &[
            (Known::SessionExpires, "90;refresher=uac"),
            (Known::Require, "timer"),
        ],
    );
    h.advance(Duration::from_secs(60));
    h.deliver_from_a(&in_dialog_from_a_with(
        "INVITE",
        CALL,
        2,
        &a_tag,
        SDP_A,
        "Supported: timer\r\nSession-Expires: 90;refresher=uac\r\n",
    ));
    let reinvite = h.request_to(B_PEER, "INVITE");
    assert_eq!(
        reinvite.header(Known::SessionExpires),
        Some("90;refresher=uac")
    );
    h.deliver_from_b(
        B_PEER,
        with(
            b_response(&reinvite, 200, "OK", Some("btag"), SDP_B),
            &[
                (Known::SessionExpires, "90;refresher=uac"),
                (Known::Require, "timer"),
            ],
        ),
    );
    assert_eq!(h.codes_to(A_PEER), vec![100, 200]);
    let _ack = h.request_to(B_PEER, "ACK");
    h.deliver_from_a(&in_dialog_from_a("ACK", CALL, 2, &a_tag, ""));
    // 60 + 85 s: past the first deadline (90 s), before the new one (150 s).
    h.advance(Duration::from_secs(85));
    assert!(h.requests_to(A_PEER, "BYE").is_empty());
    assert!(h.requests_to(B_PEER, "BYE").is_empty());
    h.advance(Duration::from_secs(6));
    byes_to_both_then_drain(&mut h);
    assert!(ended_by(&h, EndReason::SessionExpired));
}

#[test]
fn the_sbc_refreshes_b_with_update_at_half_the_interval() {
    let mut h = Harness::new();
    // A does not support timers: B makes the SBC's side the refresher.
    let (_b_invite, a_tag, ok) = call(
        &mut h,
        "",
        &[
            (Known::SessionExpires, "90;refresher=uac"),
            (Known::Require, "timer"),
            (Known::Allow, UPDATE_OK),
        ],
    );
    assert_eq!(ok.header(Known::SessionExpires), None, "hidden from A");
    assert!(!lists(&ok, Known::Require, "timer"));
    h.advance(Duration::from_secs(44));
    assert!(h.take_to(B_PEER).is_empty());
    for round in 0..3 {
        h.advance(Duration::from_secs(2));
        let update = h.request_to_once(B_PEER, "UPDATE");
        assert_eq!(
            update.header(Known::SessionExpires),
            Some("90;refresher=uac"),
            "round {round}"
        );
        assert!(update.body().is_empty());
        assert!(update.header(Known::To).is_some_and(|t| t.contains("btag")));
        h.deliver_from_b(
            B_PEER,
            with(
                b_response(&update, 200, "OK", None, ""),
                &[
                    (Known::SessionExpires, "90;refresher=uac"),
                    (Known::Require, "timer"),
                ],
            ),
        );
        assert!(h.take_to(A_PEER).is_empty(), "A sees nothing of it");
        h.advance(Duration::from_secs(43));
        assert!(h.take_to(B_PEER).is_empty());
    }
    h.deliver_from_a(&in_dialog_from_a("BYE", CALL, 2, &a_tag, ""));
    assert_eq!(h.codes_to(A_PEER), vec![200]);
    let bye = h.request_to(B_PEER, "BYE");
    h.deliver_from_b(B_PEER, b_response(&bye, 200, "OK", None, ""));
    h.assert_drained();
    assert!(ended_by(&h, EndReason::Bye(sbc_sip::b2bua::Side::A)));
}

#[test]
fn without_update_the_sbc_refreshes_with_a_reinvite_of_the_last_sdp() {
    let mut h = Harness::new();
    let (b_invite, a_tag, _ok) = call(
        &mut h,
        "",
        &[
            (Known::SessionExpires, "120;refresher=uac"),
            (Known::Require, "timer"),
            (Known::Allow, "INVITE, ACK, BYE, CANCEL"),
        ],
    );
    h.advance(Duration::from_secs(61));
    let reinvite = h.request_to_once(B_PEER, "INVITE");
    assert_eq!(
        reinvite.body(),
        b_invite.body(),
        "the SDP the SBC sent to B"
    );
    assert_eq!(reinvite.cseq().map(|c| c.seq), Ok(2));
    h.deliver_from_b(
        B_PEER,
        with(
            b_response(&reinvite, 200, "OK", Some("btag"), SDP_B),
            &[(Known::SessionExpires, "120;refresher=uac")],
        ),
    );
    let ack = h.request_to(B_PEER, "ACK");
    assert_eq!(ack.cseq().map(|c| c.seq), Ok(2));
    assert!(h.take_to(A_PEER).is_empty());
    h.deliver_from_a(&in_dialog_from_a("BYE", CALL, 2, &a_tag, ""));
    let bye = h.request_to(B_PEER, "BYE");
    h.deliver_from_b(B_PEER, b_response(&bye, 200, "OK", None, ""));
    h.assert_drained();
}

#[test]
fn a_timer_that_b_ignores_is_kept_for_a() {
    let mut h = Harness::new();
    // B's 2xx has no Session-Expires: A asked for one and gets to refresh it (§8.2).
    let (_b_invite, _a_tag, ok) = call(&mut h, TIMER_A, &[]);
    assert_eq!(ok.header(Known::SessionExpires), Some("90;refresher=uac"));
    assert!(lists(&ok, Known::Require, "timer"));
    h.advance(Duration::from_secs(91));
    byes_to_both_then_drain(&mut h);
    assert!(ended_by(&h, EndReason::SessionExpired));
}

#[test]
fn no_timer_on_either_side_means_no_watchdog() {
    let mut h = Harness::new();
    let (_b_invite, a_tag, ok) = call(&mut h, "", &[]);
    assert_eq!(ok.header(Known::SessionExpires), None);
    h.advance(Duration::from_secs(3600));
    assert!(h.take_to(A_PEER).is_empty());
    assert!(h.take_to(B_PEER).is_empty());
    assert_eq!(h.engine.call_count(), 1);
    h.deliver_from_a(&in_dialog_from_a("BYE", CALL, 2, &a_tag, ""));
    let bye = h.request_to(B_PEER, "BYE");
    h.deliver_from_b(B_PEER, b_response(&bye, 200, "OK", None, ""));
    h.assert_drained();
}

#[test]
fn a_422_from_b_is_retried_once_with_its_min_se() {
    let mut h = Harness::new();
    h.deliver_from_a(&invite_from_a_with(CALL, 1, true, TIMER_A));
    assert_eq!(h.codes_to(A_PEER), vec![100]);
    let first = h.request_to(B_PEER, "INVITE");
    h.deliver_from_b(
        B_PEER,
        with(
            b_response(&first, 422, "Session Interval Too Small", Some("b1"), ""),
            &[(Known::MinSe, "1800")],
        ),
    );
    assert!(h.take_to(A_PEER).is_empty(), "A sees nothing of the 422");
    let second = h.request_to(B_PEER, "INVITE");
    assert_eq!(second.call_id(), first.call_id());
    assert_eq!(second.cseq().map(|c| c.seq), Ok(2));
    assert_eq!(second.header(Known::SessionExpires), Some("1800"));
    assert_eq!(second.header(Known::MinSe), Some("1800"));
    // A second 422 goes to A.
    h.deliver_from_b(
        B_PEER,
        with(
            b_response(&second, 422, "Session Interval Too Small", Some("b1"), ""),
            &[(Known::MinSe, "3600")],
        ),
    );
    let to_a = h.take_to(A_PEER);
    assert_eq!(to_a.len(), 1);
    assert_eq!(to_a[0].status(), Some(422));
    assert_eq!(to_a[0].header(Known::MinSe), Some("3600"));
    h.assert_drained();
}

#[test]
fn a_refresh_from_b_is_relayed_and_a_missing_timer_filled_in() {
    let mut h = Harness::new();
    let (b_invite, _a_tag, ok) = call(
        &mut h,
        TIMER_A,
        &[(Known::SessionExpires, "90;refresher=uas")],
    );
    assert_eq!(ok.header(Known::SessionExpires), Some("90;refresher=uas"));
    h.advance(Duration::from_secs(40));
    let update = with(
        in_dialog_from_b("UPDATE", &b_invite, "btag", 1),
        &[
            (Known::Supported, "timer"),
            (Known::SessionExpires, "90;refresher=uas"),
            (Known::Contact, "<sip:pbx@10.20.0.50:5060>"),
        ],
    );
    h.deliver_from_b(B_PEER, update);
    let to_a = h.request_to(A_PEER, "UPDATE");
    assert_eq!(to_a.header(Known::SessionExpires), Some("90;refresher=uas"));
    // A answers without a Session-Expires: B asked for a timer, so the SBC makes B
    // the refresher (RFC 4028 §8.2) rather than let the timer lapse.
    h.deliver_msg_from_a(a_response(&to_a, 200, "OK"));
    let to_b = h.take_to(B_PEER);
    assert_eq!(to_b.len(), 1);
    assert_eq!(to_b[0].status(), Some(200));
    assert_eq!(
        to_b[0].header(Known::SessionExpires),
        Some("90;refresher=uac")
    );
    assert!(lists(&to_b[0], Known::Require, "timer"));
    // Re-armed at 40 s: nothing at 90 s, BYE at 130 s.
    h.advance(Duration::from_secs(85));
    assert!(h.requests_to(A_PEER, "BYE").is_empty());
    assert!(h.requests_to(B_PEER, "BYE").is_empty());
    h.advance(Duration::from_secs(6));
    byes_to_both_then_drain(&mut h);
    assert!(ended_by(&h, EndReason::SessionExpired));
}

#[test]
fn an_update_refused_by_b_is_retried_as_a_reinvite() {
    let mut h = Harness::new();
    let (b_invite, a_tag, _ok) = call(
        &mut h,
        "",
        &[
            (Known::SessionExpires, "90;refresher=uac"),
            (Known::Allow, UPDATE_OK),
        ],
    );
    h.advance(Duration::from_secs(46));
    let update = h.request_to_once(B_PEER, "UPDATE");
    h.deliver_from_b(
        B_PEER,
        b_response(&update, 405, "Method Not Allowed", None, ""),
    );
    let reinvite = h.request_to_once(B_PEER, "INVITE");
    assert_eq!(reinvite.body(), b_invite.body());
    assert_eq!(
        reinvite.header(Known::SessionExpires),
        Some("90;refresher=uac")
    );
    h.deliver_from_b(
        B_PEER,
        with(
            b_response(&reinvite, 200, "OK", Some("btag"), SDP_B),
            &[(Known::SessionExpires, "90;refresher=uac")],
        ),
    );
    let _ack = h.request_to(B_PEER, "ACK");
    h.deliver_from_a(&in_dialog_from_a("BYE", CALL, 2, &a_tag, ""));
    let bye = h.request_to(B_PEER, "BYE");
    h.deliver_from_b(B_PEER, b_response(&bye, 200, "OK", None, ""));
    h.assert_drained();
}

#[test]
fn refreshes_in_quick_succession_are_each_relayed_once() {
    let mut h = Harness::new();
    let (_b_invite, a_tag, _ok) = call(
        &mut h,
        TIMER_A,
        &[(Known::SessionExpires, "90;refresher=uac")],
    );
    let refresh = "Supported: timer\r\nSession-Expires: 90;refresher=uac\r\n";
    h.deliver_from_a(&in_dialog_from_a_with(
        "INVITE", CALL, 2, &a_tag, SDP_A, refresh,
    ));
    let reinvite = h.request_to(B_PEER, "INVITE");
    let ok = with(
        b_response(&reinvite, 200, "OK", Some("btag"), SDP_B),
        &[(Known::SessionExpires, "90;refresher=uac")],
    );
    h.deliver_from_b(B_PEER, ok.clone());
    assert_eq!(h.codes_to(A_PEER), vec![100, 200]);
    let ack = h.request_to(B_PEER, "ACK");
    assert_eq!(ack.cseq().map(|c| c.seq), Ok(2));
    // B did not get the ACK and retransmits its 2xx: re-ACKed, not relayed again.
    h.deliver_from_b(B_PEER, ok);
    let again = h.request_to(B_PEER, "ACK");
    assert_eq!(again.cseq().map(|c| c.seq), Ok(2));
    assert!(h.take_to(A_PEER).is_empty());
    h.deliver_from_a(&in_dialog_from_a("ACK", CALL, 2, &a_tag, ""));
    // A refreshes again at once, with UPDATE: the re-INVITE is over, so no 491.
    h.advance(Duration::from_secs(5));
    h.deliver_from_a(&in_dialog_from_a_with(
        "UPDATE", CALL, 3, &a_tag, "", refresh,
    ));
    let update = h.request_to(B_PEER, "UPDATE");
    h.deliver_from_b(
        B_PEER,
        with(
            b_response(&update, 200, "OK", None, ""),
            &[(Known::SessionExpires, "90;refresher=uac")],
        ),
    );
    assert_eq!(h.codes_to(A_PEER), vec![200]);
    // Re-armed at 5 s: the call lives until 95 s.
    h.advance(Duration::from_secs(88));
    assert!(h.requests_to(A_PEER, "BYE").is_empty());
    h.advance(Duration::from_secs(3));
    byes_to_both_then_drain(&mut h);
}
