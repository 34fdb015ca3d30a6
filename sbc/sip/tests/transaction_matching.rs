//! Matching (RFC 3261 §17.1.3, §17.2.3 with the RFC 2543 fallback), CANCEL (§9.2),
//! merged requests (§8.2.2.2), stray and malformed messages.

mod transaction_util;

use sbc_sip::transaction::{new_branch, response_for};
use sbc_sip::{Known, Message, Method, ServerTxId, TransactionEvent};
use transaction_util::*;

fn request_tx(h: &mut Harness) -> ServerTxId {
    match &h.take_events()[..] {
        [TransactionEvent::Request { tx, .. }] => *tx,
        other => panic!("expected one Request event, got {other:?}"),
    }
}

#[test]
fn cancel_matches_the_invite_and_is_answered_200_with_the_invites_to_tag() {
    let mut h = Harness::new();
    let invite = incoming("INVITE", VIA_A, 1, None);
    h.receive(invite.clone(), udp());
    let invite_tx = request_tx(&mut h);
    h.layer
        .respond(
            h.now,
            invite_tx,
            response_for(&invite, 180, "Ringing", Some("sbc-7")),
        )
        .expect("allowed");
    h.drain();
    h.take_sent();

    let cancel = incoming("CANCEL", VIA_A, 1, None);
    h.receive(cancel.clone(), udp());
    let events = h.take_events();
    let [
        TransactionEvent::Cancel {
            tx: _,
            invite: Some(matched),
            request,
            peer,
        },
    ] = &events[..]
    else {
        panic!("expected a Cancel event, got {events:?}");
    };
    assert_eq!((*matched, request, *peer), (invite_tx, &cancel, udp()));
    let sent = h.take_sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(status(&sent[0]), 200);
    assert_eq!(header(&sent[0], Known::CSeq), "1 CANCEL");
    assert_eq!(
        header(&sent[0], Known::To),
        "<sip:bob@sbc.example.net>;tag=sbc-7"
    );

    // A retransmitted CANCEL gets the same 200; the TU hears nothing more.
    h.receive(cancel, udp());
    assert_eq!(h.take_sent().len(), 1);
    assert!(h.take_events().is_empty());

    // The TU ends the INVITE with 487, built from the INVITE the layer remembers (the
    // CANCEL's Via stack and CSeq method are not the INVITE's); the peer ACKs it.
    let terminated = h
        .layer
        .response_to(invite_tx, 487, "Request Terminated", Some("sbc-7"))
        .expect("live transaction");
    assert_eq!(header(&terminated, Known::CSeq), "1 INVITE");
    assert_eq!(terminated.header_values(Known::Via).count(), 2);
    assert_eq!(
        header(&terminated, Known::To),
        "<sip:bob@sbc.example.net>;tag=sbc-7"
    );
    assert_eq!(
        terminated.to_bytes(),
        response_for(&invite, 487, "Request Terminated", Some("sbc-7")).to_bytes()
    );
    h.layer
        .respond(h.now, invite_tx, terminated)
        .expect("allowed");
    h.receive(incoming("ACK", VIA_A, 1, Some("sbc-7")), udp());
    h.drain();
    h.run_out();
    let ended: Vec<_> = h
        .take_events()
        .into_iter()
        .filter(|e| matches!(e, TransactionEvent::Terminated { .. }))
        .collect();
    assert_eq!(ended.len(), 2);
    assert!(h.layer.is_empty());
    assert!(matches!(
        h.layer
            .response_to(invite_tx, 487, "Request Terminated", None),
        Err(sbc_sip::TransactionError::UnknownServer { .. })
    ));
}

#[test]
fn cancel_after_the_final_response_gets_200_but_nothing_to_cancel() {
    let mut h = Harness::new();
    let invite = incoming("INVITE", VIA_A, 1, None);
    h.receive(invite.clone(), udp());
    let tx = request_tx(&mut h);
    h.layer
        .respond(h.now, tx, response_for(&invite, 200, "OK", Some("s")))
        .expect("allowed");
    h.drain();
    h.take_sent();
    h.receive(incoming("CANCEL", VIA_A, 1, None), udp());
    assert!(matches!(
        &h.take_events()[..],
        [TransactionEvent::Cancel { invite: None, .. }]
    ));
    assert_eq!(status(&h.take_sent()[0]), 200);
}

#[test]
fn unmatched_cancel_is_answered_481() {
    let mut h = Harness::new();
    h.receive(incoming("CANCEL", VIA_A, 1, None), udp());
    assert!(matches!(
        &h.take_events()[..],
        [TransactionEvent::Cancel { invite: None, .. }]
    ));
    let sent = h.take_sent();
    assert_eq!(status(&sent[0]), 481);
    assert!(
        sent[0].to().expect("To").tag().is_some(),
        "a final response carries a To tag"
    );
    h.run_out();
    assert!(h.layer.is_empty());
}

#[test]
fn merged_request_is_answered_482_by_the_layer() {
    let mut h = Harness::new();
    let first = incoming("INVITE", VIA_A, 1, None);
    h.receive(first, udp());
    request_tx(&mut h);
    h.take_sent();
    // Same From tag, Call-ID and CSeq, no To tag, another branch: forked upstream and
    // merged here.
    let via_b = "SIP/2.0/UDP 198.51.100.21:5060;branch=z9hG4bKpeer-b";
    let merged = incoming("INVITE", via_b, 1, None);
    h.receive(merged.clone(), udp());
    assert!(
        h.take_events().is_empty(),
        "the TU never sees a merged request"
    );
    let sent = h.take_sent();
    assert_eq!(sent.len(), 1, "482 only, no 100 Trying");
    assert_eq!(status(&sent[0]), 482);
    let tag = sent[0].to().expect("To").tag().expect("tag").to_owned();
    // Retransmission: same 482. ACK: absorbed.
    h.receive(merged, udp());
    assert_eq!(status(&h.take_sent()[0]), 482);
    h.receive(incoming("ACK", via_b, 1, Some(&tag)), udp());
    assert!(h.take_events().is_empty());
    assert_eq!(h.layer.len(), 2);

    // A request with a To tag is never a merge candidate.
    h.receive(
        incoming("INVITE", "SIP/2.0/UDP h;branch=z9hG4bKre", 1, Some("x")),
        udp(),
    );
    request_tx(&mut h);
}

#[test]
fn rfc2543_requests_match_without_a_branch() {
    let mut h = Harness::new();
    let old_via = "SIP/2.0/UDP 198.51.100.20:5070";
    let invite = incoming("INVITE", old_via, 3, None);
    h.receive(invite.clone(), udp());
    let tx = request_tx(&mut h);
    h.receive(invite.clone(), udp());
    assert!(h.take_events().is_empty(), "retransmission absorbed");
    assert_eq!(h.sent_times("SIP/2.0 100").len(), 2);

    // CANCEL matches by Request-URI, From tag, Call-ID, CSeq number, top Via, To tag.
    h.receive(incoming("CANCEL", old_via, 3, None), udp());
    assert!(matches!(&h.take_events()[..],
        [TransactionEvent::Cancel { invite: Some(i), .. }] if *i == tx));

    h.layer
        .respond(
            h.now,
            tx,
            response_for(&invite, 487, "Request Terminated", Some("sbc-9")),
        )
        .expect("allowed");
    h.drain();
    // The ACK's To tag is the response's: it matches and is absorbed.
    h.receive(incoming("ACK", old_via, 3, Some("sbc-9")), udp());
    assert!(h.take_events().is_empty());
    // Another CSeq is another transaction.
    h.receive(incoming("INVITE", old_via, 4, Some("sbc-9")), udp());
    request_tx(&mut h);
    // An ACK with a foreign To tag matches nothing: it goes to the TU.
    h.receive(incoming("ACK", old_via, 3, Some("elsewhere")), udp());
    assert!(matches!(
        &h.take_events()[..],
        [TransactionEvent::Ack { .. }]
    ));
}

#[test]
fn sent_by_and_method_are_part_of_the_key() {
    let mut h = Harness::new();
    h.receive(incoming("OPTIONS", VIA_A, 1, Some("t")), udp());
    request_tx(&mut h);
    // Same branch, other sent-by: another transaction.
    h.receive(
        incoming(
            "OPTIONS",
            "SIP/2.0/UDP 203.0.113.5:5070;branch=z9hG4bKpeer-a",
            1,
            Some("t"),
        ),
        udp(),
    );
    request_tx(&mut h);
    // Same branch and sent-by, other method: another transaction.
    h.receive(incoming("INFO", VIA_A, 1, Some("t")), udp());
    request_tx(&mut h);
}

#[test]
fn responses_match_by_branch_and_cseq_method_else_stray() {
    let mut h = Harness::new();
    let branch = new_branch(77);
    let invite = outgoing("INVITE", &branch, 1);
    let id = h
        .layer
        .start_client(h.now, invite.clone(), udp())
        .expect("valid");
    h.drain();
    // Same branch, CSeq method CANCEL: not the INVITE's.
    let mut wrong_method = reply(&invite, 200, "OK", Some("t"));
    wrong_method.set_header(Known::CSeq, "1 CANCEL");
    h.receive(wrong_method, udp());
    assert!(matches!(
        &h.take_events()[..],
        [TransactionEvent::StrayResponse { .. }]
    ));
    // Another branch: stray, with the peer it came from.
    let other = reply(
        &outgoing("INVITE", &new_branch(78), 1),
        200,
        "OK",
        Some("t"),
    );
    h.receive(other.clone(), udp());
    assert_eq!(
        h.take_events(),
        [TransactionEvent::StrayResponse {
            response: other,
            peer: udp()
        }]
    );
    h.receive(reply(&invite, 100, "Trying", None), udp());
    assert!(matches!(&h.take_events()[..], [TransactionEvent::Response { tx, .. }] if *tx == id));
}

#[test]
fn unmatched_ack_goes_to_the_tu() {
    let mut h = Harness::new();
    let ack = incoming("ACK", VIA_A, 1, Some("t"));
    h.receive(ack.clone(), udp());
    assert_eq!(
        h.take_events(),
        [TransactionEvent::Ack {
            request: ack,
            peer: udp()
        }]
    );
    assert!(h.sent.is_empty());
    assert!(h.layer.is_empty());
}

#[test]
fn messages_without_a_usable_via_are_dropped() {
    let mut h = Harness::new();
    // Parsed, but the Via has no branch: cannot be a response to us.
    h.receive(
        parse(
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1:5060\r\nFrom: <sip:a@x>;tag=1\r\n\
             To: <sip:b@x>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n",
        ),
        udp(),
    );
    // Hand-built, with no headers at all.
    h.receive(Message::response(200, "OK"), udp());
    h.receive(Message::request(Method::Invite, "sip:x@y"), udp());
    // Hand-built with a garbage Via and CSeq.
    let mut junk = Message::response(180, "Ringing");
    junk.push_header(Known::Via, "garbage");
    junk.push_header(Known::CSeq, "x y z");
    h.receive(junk, udp());
    let mut junk = Message::request(Method::Options, "sip:x@y");
    junk.push_header(Known::Via, "SIP/2.0/UDP h;branch=z9hG4bK1");
    junk.push_header(Known::CSeq, "1 OPTIONS");
    h.receive(junk, udp());
    assert!(h.events.is_empty());
    assert!(h.sent.is_empty());
    assert!(h.layer.is_empty());
}
