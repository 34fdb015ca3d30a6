//! INVITE server transactions (RFC 3261 §17.2.1, RFC 6026 §8.5–8.7) on a virtual clock.

mod transaction_util;

use sbc_sip::transaction::response_for;
use sbc_sip::{Known, ServerTxId, TimerConfig, TransactionError, TransactionEvent};
use transaction_util::*;

/// Receives an INVITE and returns its transaction.
fn invite_arrives(h: &mut Harness, via: &str, cseq: u32) -> (ServerTxId, sbc_sip::Message) {
    let invite = incoming("INVITE", via, cseq, None);
    h.receive(invite.clone(), udp());
    let events = h.take_events();
    let [TransactionEvent::Request { tx, request, peer }] = &events[..] else {
        panic!("expected one Request event, got {events:?}");
    };
    assert_eq!(request, &invite);
    assert_eq!(*peer, udp());
    (*tx, invite)
}

#[test]
fn trying_is_sent_at_once_and_resent_for_a_retransmitted_invite() {
    let mut h = Harness::new();
    let (_, invite) = invite_arrives(&mut h, VIA_A, 1);
    assert_eq!(h.sent.len(), 1);
    let (_, t) = &h.sent[0];
    assert_eq!(
        (t.remote, t.local),
        (udp().remote, udp().local),
        "symmetric"
    );
    let trying = parse_bytes(&t.payload);
    assert_eq!(status(&trying), 100);
    assert_eq!(
        header(&trying, Known::To),
        "<sip:bob@sbc.example.net>",
        "no tag on 100"
    );
    assert_eq!(trying.header_values(Known::Via).count(), 2);
    h.advance_to(ms(500));
    h.receive(invite, udp());
    assert!(
        h.take_events().is_empty(),
        "the TU never sees a retransmission"
    );
    assert_eq!(h.sent_times("SIP/2.0 100"), [ms(0), ms(500)]);
}

#[test]
fn delayed_trying_is_skipped_when_the_tu_answers_in_time() {
    let config = TimerConfig {
        trying_delay: Some(ms(200)),
        ..Default::default()
    };
    let mut h = Harness::with(config);
    let (tx, invite) = invite_arrives(&mut h, VIA_A, 1);
    h.advance_to(ms(100));
    h.layer
        .respond(
            h.now,
            tx,
            response_for(&invite, 180, "Ringing", Some("sbc-1")),
        )
        .expect("allowed");
    h.drain();
    h.advance_to(secs(1));
    assert_eq!(h.sent_times("SIP/2.0 100"), []);
    assert_eq!(h.sent_times("SIP/2.0 180"), [ms(100)]);

    let (_, _) = invite_arrives(
        &mut h,
        "SIP/2.0/UDP 198.51.100.20:5070;branch=z9hG4bKother",
        2,
    );
    h.advance_to(ms(1_300));
    assert_eq!(
        h.sent_times("SIP/2.0 100"),
        [ms(1_200)],
        "sent when the TU is slow"
    );
}

#[test]
fn non_2xx_final_is_retransmitted_by_timer_g_until_timer_h() {
    let mut h = Harness::new();
    let (tx, invite) = invite_arrives(&mut h, VIA_A, 1);
    h.layer
        .respond(
            h.now,
            tx,
            response_for(&invite, 486, "Busy Here", Some("sbc-1")),
        )
        .expect("allowed");
    h.drain();
    h.run_out();
    assert_eq!(
        h.sent_times("SIP/2.0 486"),
        [
            0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
        .map(ms),
        "G doubles from T1 up to T2"
    );
    assert_eq!(
        h.take_events(),
        [
            TransactionEvent::ServerTimeout { tx },
            TransactionEvent::Terminated { tx: tx.into() },
        ]
    );
    assert_eq!(h.now - h.t0, secs(32), "Timer H = 64*T1");
    assert!(h.layer.is_empty());
}

#[test]
fn ack_confirms_and_timer_i_cleans_up() {
    let mut h = Harness::new();
    let (tx, invite) = invite_arrives(&mut h, VIA_A, 1);
    h.advance_to(secs(1));
    h.layer
        .respond(
            h.now,
            tx,
            response_for(&invite, 603, "Decline", Some("sbc-1")),
        )
        .expect("allowed");
    h.drain();
    h.advance_to(ms(1_700));
    // A retransmitted INVITE in Completed gets the final response again.
    h.receive(invite.clone(), udp());
    let ack = incoming("ACK", VIA_A, 1, Some("sbc-1"));
    h.advance_to(ms(1_800));
    h.receive(ack.clone(), udp());
    h.advance_to(secs(3));
    h.receive(ack, udp());
    assert!(h.take_events().is_empty(), "ACK for a non-2xx is absorbed");
    assert_eq!(h.sent_times("SIP/2.0 603"), [1_000, 1_500, 1_700].map(ms));
    h.advance_to(ms(6_799));
    assert_eq!(h.layer.len(), 1);
    h.advance_to(ms(6_800));
    assert_eq!(
        h.take_events(),
        [TransactionEvent::Terminated { tx: tx.into() }]
    );
    assert!(h.layer.is_empty());
    assert_eq!(
        h.layer
            .respond(h.now, tx, response_for(&invite, 603, "Decline", None)),
        Err(TransactionError::UnknownServer { tx })
    );
}

#[test]
fn tcp_has_no_timer_g_and_the_ack_ends_the_transaction() {
    let mut h = Harness::new();
    let invite = incoming(
        "INVITE",
        "SIP/2.0/TCP 198.51.100.20:5070;branch=z9hG4bKt",
        1,
        None,
    );
    h.receive(invite.clone(), tcp());
    let tx = match &h.take_events()[..] {
        [TransactionEvent::Request { tx, .. }] => *tx,
        other => panic!("{other:?}"),
    };
    h.layer
        .respond(
            h.now,
            tx,
            response_for(&invite, 480, "Temporarily Unavailable", Some("s")),
        )
        .expect("allowed");
    h.drain();
    h.advance_to(secs(10));
    assert_eq!(h.sent_times("SIP/2.0 480"), [secs(0)]);
    h.receive(
        incoming(
            "ACK",
            "SIP/2.0/TCP 198.51.100.20:5070;branch=z9hG4bKt",
            1,
            Some("s"),
        ),
        tcp(),
    );
    assert_eq!(
        h.take_events(),
        [TransactionEvent::Terminated { tx: tx.into() }]
    );
    assert!(h.layer.is_empty());
}

#[test]
fn accepted_passes_tu_2xx_absorbs_invites_and_hands_the_ack_to_the_tu() {
    let mut h = Harness::new();
    let (tx, invite) = invite_arrives(&mut h, VIA_A, 1);
    let ok = response_for(&invite, 200, "OK", Some("sbc-1"));
    h.layer.respond(h.now, tx, ok.clone()).expect("allowed");
    h.drain();
    h.advance_to(ms(500));
    h.receive(invite.clone(), udp());
    // The TU's UAS core retransmits the 2xx (§13.3.1.4).
    h.layer
        .respond(h.now, tx, ok.clone())
        .expect("2xx retransmission allowed");
    h.drain();
    assert_eq!(h.sent_times("SIP/2.0 200"), [ms(0), ms(500)]);
    assert_eq!(
        h.sent_times("SIP/2.0 100"),
        [ms(0)],
        "INVITE absorbed in Accepted"
    );
    assert!(matches!(
        h.layer.respond(
            h.now,
            tx,
            response_for(&invite, 486, "Busy Here", Some("sbc-1"))
        ),
        Err(TransactionError::ResponseNotAllowed {
            status: 486,
            state: "Accepted",
            ..
        })
    ));
    // The ACK for a 2xx has its own branch: it reaches the TU.
    let ack = incoming(
        "ACK",
        "SIP/2.0/UDP 198.51.100.20:5070;branch=z9hG4bKack2xx",
        1,
        Some("sbc-1"),
    );
    h.receive(ack.clone(), udp());
    assert_eq!(
        h.take_events(),
        [TransactionEvent::Ack {
            request: ack,
            peer: udp()
        }]
    );
    // Timer L = 64*T1 after the 2xx.
    h.advance_to(ms(31_999));
    assert_eq!(h.layer.len(), 1);
    h.advance_to(secs(32));
    assert_eq!(
        h.take_events(),
        [TransactionEvent::Terminated { tx: tx.into() }]
    );
}

#[test]
fn provisional_responses_answer_retransmissions_in_proceeding() {
    let mut h = Harness::new();
    let (tx, invite) = invite_arrives(&mut h, VIA_A, 1);
    h.layer
        .respond(
            h.now,
            tx,
            response_for(&invite, 180, "Ringing", Some("sbc-1")),
        )
        .expect("allowed");
    h.drain();
    h.advance_to(secs(1));
    h.receive(invite.clone(), udp());
    assert_eq!(h.sent_times("SIP/2.0 180"), [secs(0), secs(1)]);
    assert_eq!(h.layer.poll_timeout(), None, "Proceeding waits for the TU");
    assert!(matches!(
        h.layer
            .respond(h.now, tx, incoming("BYE", VIA_A, 2, Some("x"))),
        Err(TransactionError::NotAResponse)
    ));
}
