//! Fast failover (`invite_timeout`, `no_target_code`) on a virtual clock: a target that
//! does not answer the INVITE at all within the timeout is abandoned for the next one
//! (no more retransmissions to it); what it sends late is dealt with on its own leg (a
//! provisional response gets a CANCEL, a 2xx an ACK and a BYE) and never reaches A;
//! with no target left, A gets `no_target_code` without Retry-After.

mod b2bua_util;

use std::time::Duration;

use b2bua_util::*;
use sbc_sip::{Known, Message};

const TIMEOUT: Duration = Duration::from_secs(4);

fn harness() -> Harness {
    let mut h = Harness::new();
    h.targets = vec![B_PEER, B_PEER_2];
    h.invite_timeout = Some(TIMEOUT);
    h.no_target_code = Some(503);
    h
}

/// A's INVITE; the first target's INVITE.
fn start(h: &mut Harness, call_id: &str) -> Message {
    h.deliver_from_a(&invite_from_a(call_id, 1, true));
    assert_eq!(h.codes_to(A_PEER), vec![100], "100 Trying to A");
    h.request_to(B_PEER, "INVITE")
}

fn methods_to(h: &mut Harness, to: &str) -> Vec<String> {
    h.take_to(to)
        .iter()
        .filter_map(|m| m.method().map(|x| x.as_str().to_owned()))
        .collect()
}

#[test]
fn a_silent_target_is_abandoned_after_the_timeout_not_timer_b() {
    let mut h = harness();
    let first = start(&mut h, "ff-1@carrier");
    h.advance(TIMEOUT - Duration::from_millis(100));
    assert!(
        h.take_to(B_PEER_2).is_empty(),
        "still waiting for the first target"
    );
    h.take_to(B_PEER);
    h.advance(Duration::from_millis(200));
    let second = h.request_to(B_PEER_2, "INVITE");
    assert_ne!(second.call_id(), first.call_id(), "a fresh B leg");
    // The second target answers at once (so it is kept); the abandoned INVITE is no
    // longer retransmitted.
    h.deliver_from_b(B_PEER_2, b_response(&second, 100, "Trying", None, ""));
    h.take_to(B_PEER);
    h.advance(Duration::from_secs(10));
    assert!(
        !methods_to(&mut h, B_PEER).contains(&"INVITE".to_owned()),
        "no retransmission to the abandoned target"
    );
    h.deliver_from_b(B_PEER_2, b_response(&second, 200, "OK", Some("b2"), SDP_B));
    assert_eq!(h.codes_to(A_PEER), vec![200]);
}

#[test]
fn a_late_provisional_response_gets_a_cancel_and_stays_off_a() {
    let mut h = harness();
    let first = start(&mut h, "ff-2@carrier");
    h.advance(TIMEOUT + Duration::from_millis(100));
    let _second = h.request_to(B_PEER_2, "INVITE");
    h.take_to(B_PEER);
    h.deliver_from_b(B_PEER, b_response(&first, 180, "Ringing", Some("late"), ""));
    let cancels = h.requests_to(B_PEER, "CANCEL");
    assert_eq!(cancels.len(), 1, "one CANCEL to the abandoned target");
    assert_eq!(cancels[0].call_id(), first.call_id());
    assert!(h.codes_to(A_PEER).is_empty(), "A sees nothing of it");
    // The 487 that follows is ACKed by the transaction layer, A still sees nothing.
    h.deliver_from_b(
        B_PEER,
        b_response(&first, 487, "Request Terminated", Some("late"), ""),
    );
    assert_eq!(h.requests_to(B_PEER, "ACK").len(), 1);
    assert!(h.codes_to(A_PEER).is_empty());
}

#[test]
fn a_late_2xx_is_acked_and_ended_with_a_bye() {
    let mut h = harness();
    let first = start(&mut h, "ff-3@carrier");
    h.advance(TIMEOUT + Duration::from_millis(100));
    let second = h.request_to(B_PEER_2, "INVITE");
    h.take_to(B_PEER);
    h.deliver_from_b(B_PEER, b_response(&first, 200, "OK", Some("late"), SDP_B));
    let sent = h.take_to(B_PEER);
    let ack = sent
        .iter()
        .find(|m| m.method().map(|x| x.as_str()) == Some("ACK"))
        .expect("an ACK for the late 2xx");
    let bye = sent
        .iter()
        .find(|m| m.method().map(|x| x.as_str()) == Some("BYE"))
        .expect("a BYE for the late 2xx");
    for m in [ack, bye] {
        assert_eq!(m.call_id(), first.call_id());
        assert!(m.header(Known::To).is_some_and(|t| t.contains("tag=late")));
    }
    assert_eq!(
        ack.cseq().expect("CSeq").seq,
        first.cseq().expect("CSeq").seq
    );
    assert!(h.codes_to(A_PEER).is_empty(), "A sees nothing of it");
    // The call goes on with the second target.
    h.deliver_from_b(B_PEER_2, b_response(&second, 200, "OK", Some("b2"), SDP_B));
    assert_eq!(h.codes_to(A_PEER), vec![200]);
}

#[test]
fn no_target_left_answers_no_target_code_without_retry_after() {
    let mut h = harness();
    let _first = start(&mut h, "ff-4@carrier");
    h.advance(TIMEOUT + Duration::from_millis(100));
    let second = h.request_to(B_PEER_2, "INVITE");
    h.deliver_from_b(
        B_PEER_2,
        with(
            b_response(&second, 503, "Service Unavailable", Some("x"), ""),
            &[(Known::RetryAfter, "3600")],
        ),
    );
    let to_a = h.take_to(A_PEER);
    let final_ = to_a
        .iter()
        .find(|m| m.status().is_some_and(|c| c >= 200))
        .expect("a final response to A");
    assert_eq!(final_.status(), Some(503));
    assert_eq!(final_.header(Known::RetryAfter), None, "{final_:?}");
}

#[test]
fn all_targets_silent_ends_within_the_timeouts() {
    let mut h = harness();
    h.no_target_code = Some(480);
    let _first = start(&mut h, "ff-5@carrier");
    h.advance(TIMEOUT + Duration::from_millis(100));
    let _second = h.request_to(B_PEER_2, "INVITE");
    h.advance(TIMEOUT);
    assert_eq!(h.codes_to(A_PEER), vec![480]);
}

#[test]
fn a_100_trying_keeps_the_target() {
    let mut h = harness();
    let first = start(&mut h, "ff-6@carrier");
    h.deliver_from_b(B_PEER, b_response(&first, 100, "Trying", None, ""));
    h.advance(TIMEOUT + Duration::from_secs(1));
    assert!(
        h.take_to(B_PEER_2).is_empty(),
        "a target that answered is kept"
    );
    h.deliver_from_b(B_PEER, b_response(&first, 200, "OK", Some("b"), SDP_B));
    assert_eq!(h.codes_to(A_PEER), vec![200]);
}
