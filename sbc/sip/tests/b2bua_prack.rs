//! Reliable provisional responses (RFC 3262) through the B2BUA, each leg on its own:
//! the SBC PRACKs B's reliable 18x itself, and sends 18x reliably to an A that allows it.

mod b2bua_util;

use std::time::Duration;

use b2bua_util::*;
use sbc_sip::b2bua::{EndReason, EngineEvent};
use sbc_sip::{Known, Message};

const CALL: &str = "prack-call@carrier";

/// A's INVITE with `extra` headers; returns the INVITE the SBC sent to B.
fn invite(h: &mut Harness, call_id: &str, sdp: bool, extra: &str) -> Message {
    h.deliver_from_a(&invite_from_a_with(call_id, 1, sdp, extra));
    assert_eq!(h.codes_to(A_PEER), vec![100], "100 Trying to A");
    h.request_to(B_PEER, "INVITE")
}

/// A reliable provisional response of B.
fn reliable(request: &Message, code: u16, tag: &str, rseq: u32, body: &str) -> Message {
    let rseq = rseq.to_string();
    with(
        b_response(request, code, "Session Progress", Some(tag), body),
        &[(Known::Require, "100rel"), (Known::RSeq, &rseq)],
    )
}

/// A's PRACK for the reliable response with `rseq`.
fn prack_from_a(cseq: u32, a_tag: &str, rseq: u32, body: &str) -> String {
    in_dialog_from_a_with(
        "PRACK",
        CALL,
        cseq,
        a_tag,
        body,
        &format!("RAck: {rseq} 1 INVITE\r\n"),
    )
}

/// A's ACK for a non-2xx final response to its INVITE (same branch, §17.1.1.3).
fn ack_failure(a_tag: &str) -> String {
    format!(
        "ACK sip:+4930123@{SBC_A} SIP/2.0\r\nVia: SIP/2.0/UDP {A_PEER};branch=z9hG4bKa1prackcallcarrier;rport\r\nMax-Forwards: 70\r\nFrom: \"Alice\" <sip:+4989555@carrier.example.com>;tag=atag\r\nTo: <sip:+4930123@{SBC_A}>;tag={a_tag}\r\nCall-ID: {CALL}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
    )
}

fn rseq_of(m: &Message) -> u32 {
    m.header(Known::RSeq)
        .and_then(|v| v.trim().parse().ok())
        .expect("RSeq")
}

/// Ends an answered, confirmed call with BYE from A and checks everything is gone.
fn bye_from_a_and_drain(h: &mut Harness, a_tag: &str, cseq: u32) {
    h.deliver_from_a(&in_dialog_from_a("BYE", CALL, cseq, a_tag, ""));
    assert_eq!(h.codes_to(A_PEER), vec![200]);
    let bye = h.request_to(B_PEER, "BYE");
    h.deliver_from_b(B_PEER, b_response(&bye, 200, "OK", None, ""));
    h.assert_drained();
}

#[test]
fn reliable_18x_from_b_is_pracked_by_the_sbc_and_relayed_once() {
    let mut h = Harness::new();
    let b_invite = invite(&mut h, CALL, true, "");
    assert!(lists(&b_invite, Known::Supported, "100rel"));
    assert!(lists(&b_invite, Known::Supported, "timer"));

    h.deliver_from_b(B_PEER, reliable(&b_invite, 183, "btag", 42, SDP_B));
    let prack = h.request_to(B_PEER, "PRACK");
    assert_eq!(prack.header(Known::RAck), Some("42 1 INVITE"));
    assert_eq!(prack.cseq().map(|c| c.seq), Ok(2));
    assert_eq!(prack.call_id(), b_invite.call_id());
    assert!(
        prack
            .header(Known::To)
            .is_some_and(|t| t.contains("tag=btag"))
    );
    assert_eq!(
        prack.request_uri(),
        Some(format!("sip:pbx@{B_PEER}").as_str()),
        "the early dialog's remote target"
    );
    assert_eq!(
        prack.header(Known::Route),
        Some("<sip:pbx-proxy.internal;lr>")
    );
    let to_a = h.take_to(A_PEER);
    assert_eq!(to_a.len(), 1);
    assert_eq!(to_a[0].status(), Some(183));
    assert_eq!(to_a[0].body(), SDP_B.as_bytes());
    assert!(
        !to_a[0].has_header(Known::RSeq) && !lists(&to_a[0], Known::Require, "100rel"),
        "A did not ask for 100rel: its 183 is unreliable"
    );

    // B retransmits the 183 (our PRACK crossed it): no new PRACK, nothing to A.
    h.deliver_from_b(B_PEER, reliable(&b_invite, 183, "btag", 42, SDP_B));
    assert!(h.take_to(B_PEER).is_empty());
    assert!(h.take_to(A_PEER).is_empty());
    h.deliver_from_b(B_PEER, b_response(&prack, 200, "OK", None, ""));

    // The next one in order is PRACKed; one out of order is ignored (§4).
    h.deliver_from_b(B_PEER, reliable(&b_invite, 180, "btag", 43, ""));
    let prack2 = h.request_to(B_PEER, "PRACK");
    assert_eq!(prack2.header(Known::RAck), Some("43 1 INVITE"));
    assert_eq!(prack2.cseq().map(|c| c.seq), Ok(3));
    assert_eq!(h.codes_to(A_PEER), vec![180]);
    h.deliver_from_b(B_PEER, b_response(&prack2, 200, "OK", None, ""));
    h.deliver_from_b(B_PEER, reliable(&b_invite, 180, "btag", 45, ""));
    assert!(h.take_to(B_PEER).is_empty());
    assert!(h.take_to(A_PEER).is_empty());

    // Another fork starts its own RSeq space.
    h.deliver_from_b(B_PEER, reliable(&b_invite, 180, "fork2", 7, ""));
    let prack3 = h.request_to(B_PEER, "PRACK");
    assert_eq!(prack3.header(Known::RAck), Some("7 1 INVITE"));
    assert!(
        prack3
            .header(Known::To)
            .is_some_and(|t| t.contains("tag=fork2"))
    );
    h.deliver_from_b(B_PEER, b_response(&prack3, 200, "OK", None, ""));
    assert_eq!(h.codes_to(A_PEER), vec![180]);

    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 200, "OK", Some("btag"), SDP_B),
    );
    let ok = h
        .take_to(A_PEER)
        .into_iter()
        .find(|m| m.status() == Some(200))
        .expect("200 to A");
    let ack = h.request_to(B_PEER, "ACK");
    assert_eq!(ack.cseq().map(|c| c.seq), Ok(1));
    let a_tag = to_tag(&ok);
    h.deliver_from_a(&in_dialog_from_a("ACK", CALL, 1, &a_tag, ""));
    bye_from_a_and_drain(&mut h, &a_tag, 2);
}

#[test]
fn reliable_18x_to_a_is_retransmitted_until_its_prack() {
    let mut h = Harness::new();
    let b_invite = invite(&mut h, CALL, true, "Supported: 100rel, timer\r\n");
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 180, "Ringing", Some("btag"), ""),
    );
    let ringing = h.take_to(A_PEER);
    assert_eq!(ringing.len(), 1);
    assert_eq!(ringing[0].status(), Some(180));
    assert!(lists(&ringing[0], Known::Require, "100rel"));
    let rseq = rseq_of(&ringing[0]);
    assert!(
        (1..1 << 31).contains(&rseq),
        "RSeq {rseq} starts below 2**31"
    );
    let a_tag = to_tag(&ringing[0]);

    // A 183 while the 180 is unacknowledged waits (one outstanding at a time, §3).
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 183, "Session Progress", Some("btag"), ""),
    );
    assert!(h.take_to(A_PEER).is_empty());

    // Retransmitted at T1, doubling: 0.5 s and 1.5 s.
    h.advance(Duration::from_millis(2000));
    let again = h.take_to(A_PEER);
    assert_eq!(again.len(), 2, "retransmissions: {again:?}");
    assert!(
        again
            .iter()
            .all(|m| m.status() == Some(180) && rseq_of(m) == rseq)
    );

    // A PRACK that acknowledges nothing: 481.
    h.deliver_from_a(&prack_from_a(2, &a_tag, rseq + 5, ""));
    assert_eq!(h.codes_to(A_PEER), vec![481]);

    h.deliver_from_a(&prack_from_a(3, &a_tag, rseq, ""));
    let after = h.take_to(A_PEER);
    let codes: Vec<(u16, String)> = after
        .iter()
        .map(|m| {
            (
                m.status().unwrap_or(0),
                m.header(Known::CSeq).unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![(200, "3 PRACK".into()), (183, "1 INVITE".into())],
        "200 for the PRACK, then the queued 183"
    );
    assert_eq!(rseq_of(&after[1]), rseq + 1);
    assert!(h.take_to(B_PEER).is_empty(), "A's PRACK stays on the A leg");

    h.deliver_from_a(&prack_from_a(4, &a_tag, rseq + 1, ""));
    assert_eq!(h.codes_to(A_PEER), vec![200]);
    h.advance(Duration::from_secs(10));
    assert!(
        h.take_to(A_PEER).is_empty(),
        "no retransmission after the PRACK"
    );

    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 200, "OK", Some("btag"), SDP_B),
    );
    assert_eq!(h.codes_to(A_PEER), vec![200]);
    h.deliver_from_a(&in_dialog_from_a("ACK", CALL, 1, &a_tag, ""));
    h.advance(Duration::from_secs(5));
    assert!(
        h.take_to(A_PEER).is_empty(),
        "the ACK (CSeq 1) matched the 2xx"
    );
    bye_from_a_and_drain(&mut h, &a_tag, 5);
}

#[test]
fn no_prack_fails_the_invite_with_500_and_cancels_b() {
    let mut h = Harness::new();
    let b_invite = invite(&mut h, CALL, true, "Require: 100rel\r\n");
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 180, "Ringing", Some("btag"), ""),
    );
    h.advance(Duration::from_secs(31));
    let ringing = h.codes_to(A_PEER);
    assert_eq!(
        ringing,
        vec![180; 6],
        "sent at 0, 0.5, 1.5, 3.5, 7.5, 15.5 s"
    );
    h.advance(Duration::from_millis(1200));
    let to_a = h.take_to(A_PEER);
    let codes: Vec<u16> = to_a.iter().filter_map(Message::status).collect();
    assert_eq!(
        codes,
        vec![180, 500],
        "31.5 s: last retransmission; 32 s: 500"
    );
    let cancel = h.request_to(B_PEER, "CANCEL");
    h.deliver_from_b(B_PEER, b_response(&cancel, 200, "OK", Some("btag"), ""));
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 487, "Request Terminated", Some("btag"), ""),
    );
    h.deliver_from_a(&ack_failure(&to_tag(&to_a[1])));
    h.assert_drained();
    assert!(h.events.iter().any(|e| matches!(
        e,
        EngineEvent::CallEnded {
            reason: EndReason::PrackTimeout,
            ..
        }
    )));
}

#[test]
fn the_2xx_waits_for_the_prack_of_an_18x_with_sdp() {
    let mut h = Harness::new();
    let b_invite = invite(&mut h, CALL, true, "Supported: 100rel\r\n");
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 183, "Session Progress", Some("btag"), SDP_B),
    );
    let early = h.take_to(A_PEER);
    assert_eq!(early.len(), 1);
    assert_eq!(early[0].body(), SDP_B.as_bytes());
    let rseq = rseq_of(&early[0]);
    let a_tag = to_tag(&early[0]);

    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 200, "OK", Some("btag"), SDP_B),
    );
    assert_eq!(
        h.requests_to(B_PEER, "ACK").len(),
        1,
        "B's 2xx is ACKed at once"
    );
    assert!(
        h.codes_to(A_PEER).is_empty(),
        "no 2xx to A before the PRACK (RFC 3262 §3)"
    );
    h.advance(Duration::from_secs(1));
    assert_eq!(
        h.codes_to(A_PEER),
        vec![183],
        "the 183 is still retransmitted"
    );

    h.deliver_from_a(&prack_from_a(2, &a_tag, rseq, ""));
    assert_eq!(
        h.codes_to(A_PEER),
        vec![200, 200],
        "the PRACK's, then the INVITE's"
    );
    h.deliver_from_a(&in_dialog_from_a("ACK", CALL, 1, &a_tag, ""));
    h.advance(Duration::from_secs(10));
    assert!(h.take_to(A_PEER).is_empty());
    bye_from_a_and_drain(&mut h, &a_tag, 3);
}

#[test]
fn a_2xx_goes_at_once_when_the_outstanding_18x_has_no_sdp() {
    let mut h = Harness::new();
    let b_invite = invite(&mut h, CALL, true, "Supported: 100rel\r\n");
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 180, "Ringing", Some("btag"), ""),
    );
    let ringing = h.take_to(A_PEER);
    let rseq = rseq_of(&ringing[0]);
    let a_tag = to_tag(&ringing[0]);
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 200, "OK", Some("btag"), SDP_B),
    );
    assert_eq!(h.codes_to(A_PEER), vec![200]);
    h.deliver_from_a(&in_dialog_from_a("ACK", CALL, 1, &a_tag, ""));
    h.advance(Duration::from_secs(5));
    assert!(
        h.take_to(A_PEER).is_empty(),
        "retransmissions stop with the 2xx"
    );
    // A late PRACK is still answered.
    h.deliver_from_a(&prack_from_a(2, &a_tag, rseq, ""));
    assert_eq!(h.codes_to(A_PEER), vec![200]);
    bye_from_a_and_drain(&mut h, &a_tag, 3);
}

#[test]
fn late_offer_from_b_in_a_reliable_18x_is_answered_in_the_pracks() {
    let mut h = Harness::new();
    let b_invite = invite(&mut h, CALL, false, "Supported: 100rel\r\n");
    assert!(b_invite.body().is_empty());
    assert!(lists(&b_invite, Known::Supported, "100rel"));
    h.deliver_from_b(B_PEER, reliable(&b_invite, 183, "btag", 1, SDP_B));
    assert!(
        h.take_to(B_PEER).is_empty(),
        "B's PRACK waits for A's answer"
    );
    let early = h.take_to(A_PEER);
    assert_eq!(early.len(), 1);
    assert_eq!(early[0].body(), SDP_B.as_bytes(), "B's offer reaches A");
    let rseq = rseq_of(&early[0]);
    let a_tag = to_tag(&early[0]);

    h.deliver_from_a(&prack_from_a(2, &a_tag, rseq, SDP_A));
    assert_eq!(h.codes_to(A_PEER), vec![200]);
    let prack = h.request_to(B_PEER, "PRACK");
    assert_eq!(prack.header(Known::RAck), Some("1 1 INVITE"));
    assert_eq!(
        prack.body(),
        SDP_A.as_bytes(),
        "A's answer in the PRACK to B"
    );
    h.deliver_from_b(B_PEER, b_response(&prack, 200, "OK", None, ""));

    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 200, "OK", Some("btag"), SDP_B),
    );
    assert_eq!(h.codes_to(A_PEER), vec![200]);
    let ack = h.request_to(B_PEER, "ACK");
    assert!(
        ack.body().is_empty(),
        "offer/answer is done: B's ACK goes at once"
    );
    h.deliver_from_a(&in_dialog_from_a("ACK", CALL, 1, &a_tag, ""));
    assert!(h.take_to(B_PEER).is_empty());
    bye_from_a_and_drain(&mut h, &a_tag, 3);
}

#[test]
fn late_offer_without_100rel_on_a_does_not_offer_it_to_b() {
    let mut h = Harness::new();
    let b_invite = invite(&mut h, CALL, false, "");
    assert!(!lists(&b_invite, Known::Supported, "100rel"));
    assert!(lists(&b_invite, Known::Supported, "timer"));
}

#[test]
fn an_offer_in_a_prack_gets_488() {
    let mut h = Harness::new();
    let b_invite = invite(&mut h, CALL, true, "Supported: 100rel\r\n");
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 183, "Session Progress", Some("btag"), SDP_B),
    );
    let early = h.take_to(A_PEER);
    let rseq = rseq_of(&early[0]);
    let a_tag = to_tag(&early[0]);
    h.deliver_from_a(&prack_from_a(2, &a_tag, rseq, SDP_A));
    assert_eq!(h.codes_to(A_PEER), vec![488]);
    h.advance(Duration::from_secs(5));
    assert!(
        h.take_to(A_PEER).is_empty(),
        "the 183 counts as acknowledged all the same"
    );
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 200, "OK", Some("btag"), SDP_B),
    );
    assert_eq!(h.codes_to(A_PEER), vec![200]);
    h.deliver_from_a(&in_dialog_from_a("ACK", CALL, 1, &a_tag, ""));
    bye_from_a_and_drain(&mut h, &a_tag, 3);
}

#[test]
fn cancel_while_the_2xx_is_held_byes_b() {
    let mut h = Harness::new();
    let b_invite = invite(&mut h, CALL, true, "Supported: 100rel\r\n");
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 183, "Session Progress", Some("btag"), SDP_B),
    );
    let a_tag = to_tag(&h.take_to(A_PEER)[0]);
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 200, "OK", Some("btag"), SDP_B),
    );
    let _ack = h.request_to(B_PEER, "ACK");
    h.deliver_from_a(&format!(
        "CANCEL sip:+4930123@{SBC_A} SIP/2.0\r\nVia: SIP/2.0/UDP {A_PEER};branch=z9hG4bKa1prackcallcarrier;rport\r\nMax-Forwards: 70\r\nFrom: \"Alice\" <sip:+4989555@carrier.example.com>;tag=atag\r\nTo: <sip:+4930123@{SBC_A}>\r\nCall-ID: {CALL}\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n"
    ));
    let mut codes = h.codes_to(A_PEER);
    codes.sort();
    assert_eq!(codes, vec![200, 487]);
    let bye = h.request_to(B_PEER, "BYE");
    h.deliver_from_b(B_PEER, b_response(&bye, 200, "OK", None, ""));
    h.deliver_from_a(&ack_failure(&a_tag));
    h.advance(Duration::from_secs(1));
    assert!(h.take_to(A_PEER).is_empty(), "the 487 was ACKed");
    h.assert_drained();
}

#[test]
fn requests_in_the_early_dialog() {
    let mut h = Harness::new();
    let b_invite = invite(&mut h, CALL, true, "");
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 180, "Ringing", Some("btag"), ""),
    );
    let a_tag = to_tag(&h.take_to(A_PEER)[0]);
    // A's UPDATE cannot be relayed before B's dialog exists: a harmless 500.
    h.deliver_from_a(&in_dialog_from_a("UPDATE", CALL, 2, &a_tag, SDP_A));
    assert_eq!(h.codes_to(A_PEER), vec![500]);
    assert!(h.take_to(B_PEER).is_empty());
    // B ends its early dialog: A's INVITE fails, B's is cancelled.
    h.deliver_from_b(B_PEER, in_dialog_from_b("BYE", &b_invite, "btag", 2));
    let to_b = h.take_to(B_PEER);
    assert_eq!(to_b.len(), 2, "{to_b:?}");
    assert_eq!(to_b[0].status(), Some(200), "for the BYE");
    let cancel = to_b[1].clone();
    assert_eq!(cancel.method().map(|m| m.as_str()), Some("CANCEL"));
    assert_eq!(h.codes_to(A_PEER), vec![487]);
    h.deliver_from_b(B_PEER, b_response(&cancel, 200, "OK", Some("btag"), ""));
    h.deliver_from_b(
        B_PEER,
        b_response(&b_invite, 487, "Request Terminated", Some("btag"), ""),
    );
    h.deliver_from_a(&ack_failure(&a_tag));
    h.assert_drained();
    assert!(h.events.iter().any(|e| matches!(
        e,
        EngineEvent::CallEnded {
            reason: EndReason::Bye(sbc_sip::b2bua::Side::B),
            ..
        }
    )));
}
