//! Non-INVITE server transactions (RFC 3261 §17.2.2) on a virtual clock.

mod transaction_util;

use sbc_sip::transaction::response_for;
use sbc_sip::{TransactionError, TransactionEvent};
use transaction_util::*;

#[test]
fn retransmissions_are_absorbed_then_answered_until_timer_j() {
    let mut h = Harness::new();
    let options = incoming("OPTIONS", VIA_A, 5, None);
    h.receive(options.clone(), udp());
    let tx = match &h.take_events()[..] {
        [TransactionEvent::Request { tx, .. }] => *tx,
        other => panic!("{other:?}"),
    };
    assert!(h.sent.is_empty(), "no 100 Trying for non-INVITE");
    h.advance_to(ms(500));
    h.receive(options.clone(), udp());
    assert!(
        h.sent.is_empty() && h.events.is_empty(),
        "Trying: absorbed silently"
    );

    h.advance_to(ms(600));
    h.layer
        .respond(h.now, tx, response_for(&options, 200, "OK", Some("sbc")))
        .expect("allowed");
    h.drain();
    h.advance_to(ms(1_500));
    h.receive(options.clone(), udp());
    assert_eq!(h.sent_times("SIP/2.0 200"), [ms(600), ms(1_500)]);
    assert!(h.events.is_empty());
    assert!(matches!(
        h.layer
            .respond(h.now, tx, response_for(&options, 500, "Oops", Some("sbc"))),
        Err(TransactionError::ResponseNotAllowed {
            status: 500,
            state: "Completed",
            ..
        })
    ));

    // Timer J: 64*T1 after the final response.
    h.advance_to(ms(32_599));
    assert_eq!(h.layer.len(), 1);
    h.advance_to(ms(32_600));
    assert_eq!(
        h.take_events(),
        [TransactionEvent::Terminated { tx: tx.into() }]
    );
    // A very late retransmission is a new request.
    h.receive(options, udp());
    assert!(matches!(
        &h.take_events()[..],
        [TransactionEvent::Request { .. }]
    ));
}

#[test]
fn provisional_then_final_and_timer_j_is_zero_on_tcp() {
    let mut h = Harness::new();
    let via = "SIP/2.0/TCP 198.51.100.20:5070;branch=z9hG4bKtcp";
    let bye = incoming("BYE", via, 7, Some("sbc"));
    h.receive(bye.clone(), tcp());
    let tx = match &h.take_events()[..] {
        [TransactionEvent::Request { tx, .. }] => *tx,
        other => panic!("{other:?}"),
    };
    h.layer
        .respond(h.now, tx, response_for(&bye, 183, "Progress", None))
        .expect("allowed");
    h.drain();
    h.receive(bye.clone(), tcp());
    assert_eq!(
        h.sent_times("SIP/2.0 183").len(),
        2,
        "last provisional re-sent"
    );
    h.layer
        .respond(h.now, tx, response_for(&bye, 200, "OK", None))
        .expect("allowed");
    h.drain();
    assert_eq!(
        h.take_events(),
        [TransactionEvent::Terminated { tx: tx.into() }]
    );
    assert!(h.layer.is_empty());
    assert_eq!(h.layer.poll_timeout(), None);
}
