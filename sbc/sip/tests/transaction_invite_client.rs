//! INVITE client transactions (RFC 3261 §17.1.1, RFC 6026 §8.4) and CANCEL (§9.1),
//! on a virtual clock.

mod transaction_util;

use sbc_sip::transaction::new_branch;
use sbc_sip::{Known, Method, Timer, TransactionError, TransactionEvent, TxId};
use transaction_util::*;

#[test]
fn timer_a_doubles_from_t1_and_timer_b_fires_at_64_t1() {
    let mut h = Harness::new();
    let id = h
        .layer
        .start_client(h.now, outgoing("INVITE", &new_branch(1), 1), udp())
        .expect("valid INVITE");
    h.drain();
    h.run_out();
    assert_eq!(
        h.sent_times("INVITE"),
        [0, 500, 1500, 3500, 7500, 15500, 31500].map(ms),
        "the INVITE and six retransmissions at 0.5, 1.5, 3.5 ... s"
    );
    assert!(
        h.sent
            .iter()
            .all(|(_, t)| t.remote == remote() && t.local == udp().local)
    );
    assert_eq!(
        h.events,
        [
            (
                secs(32),
                TransactionEvent::Timeout {
                    tx: id,
                    timer: Timer::B
                }
            ),
            (
                secs(32),
                TransactionEvent::Terminated {
                    tx: TxId::Client(id)
                }
            ),
        ]
    );
    assert!(h.layer.is_empty());
}

#[test]
fn no_retransmissions_on_tcp() {
    let mut h = Harness::new();
    let id = h
        .layer
        .start_client(h.now, outgoing("INVITE", &new_branch(2), 1), tcp())
        .expect("valid INVITE");
    h.drain();
    h.run_out();
    assert_eq!(h.sent_times("INVITE"), [secs(0)]);
    assert_eq!(
        h.events[0],
        (
            secs(32),
            TransactionEvent::Timeout {
                tx: id,
                timer: Timer::B
            }
        )
    );
    assert_eq!(h.layer.len(), 0);
}

#[test]
fn provisional_response_stops_a_and_b() {
    let mut h = Harness::new();
    let invite = outgoing("INVITE", &new_branch(3), 1);
    let id = h
        .layer
        .start_client(h.now, invite.clone(), udp())
        .expect("valid");
    h.drain();
    h.advance_to(ms(700));
    h.receive(reply(&invite, 180, "Ringing", Some("pbx-1")), udp());
    assert_eq!(
        h.layer.poll_timeout(),
        None,
        "Proceeding waits without timers"
    );
    h.advance_to(secs(120));
    assert_eq!(h.sent_times("INVITE"), [ms(0), ms(500)]);
    let events = h.take_events();
    assert!(
        matches!(&events[..], [TransactionEvent::Response { tx, response }]
        if *tx == id && response.status() == Some(180))
    );
    assert_eq!(h.layer.len(), 1);
}

#[test]
fn non_2xx_final_is_acked_by_the_transaction_and_reacked_on_retransmission() {
    let mut h = Harness::new();
    let branch = new_branch(4);
    let invite = outgoing("INVITE", &branch, 42);
    let id = h
        .layer
        .start_client(h.now, invite.clone(), udp())
        .expect("valid");
    h.drain();
    h.take_sent();
    h.advance_to(ms(100));
    let busy = reply(&invite, 486, "Busy Here", Some("pbx-tag"));
    h.receive(busy.clone(), udp());

    let sent = h.take_sent();
    assert_eq!(sent.len(), 1);
    let ack = &sent[0];
    assert_eq!(ack.method(), Some(&Method::Ack));
    assert_eq!(ack.request_uri(), invite.request_uri());
    let vias: Vec<_> = ack.header_values(Known::Via).collect();
    assert_eq!(vias.len(), 1, "exactly one Via");
    let via = ack.top_via().expect("via");
    assert_eq!(
        via.branch(),
        Some(branch.as_str()),
        "same branch as the INVITE"
    );
    assert_eq!(header(ack, Known::From), header(&invite, Known::From));
    assert_eq!(
        header(ack, Known::To),
        "<sip:+4930123@pbx.example.net>;tag=pbx-tag"
    );
    assert_eq!(header(ack, Known::CallId), header(&invite, Known::CallId));
    assert_eq!(header(ack, Known::CSeq), "42 ACK");
    assert_eq!(
        ack.header_values(Known::Route).collect::<Vec<_>>(),
        invite.header_values(Known::Route).collect::<Vec<_>>()
    );
    let events = h.take_events();
    assert!(
        matches!(&events[..], [TransactionEvent::Response { tx, response }]
        if *tx == id && response.status() == Some(486))
    );

    // The 486 is retransmitted (our ACK was lost): re-ACK, the TU hears nothing.
    h.advance_to(secs(4));
    h.receive(busy.clone(), udp());
    let again = h.take_sent();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].to_bytes(), ack.to_bytes());
    assert!(h.take_events().is_empty());

    // Timer D (32 s after the final response) ends the transaction.
    h.advance_to(ms(32_099));
    assert_eq!(h.layer.len(), 1);
    h.advance_to(ms(32_100));
    assert_eq!(
        h.take_events(),
        [TransactionEvent::Terminated { tx: id.into() }]
    );
    assert!(h.layer.is_empty());
    // Late retransmission: stray.
    h.receive(busy, udp());
    assert!(matches!(
        &h.take_events()[..],
        [TransactionEvent::StrayResponse { .. }]
    ));
}

#[test]
fn non_2xx_final_on_tcp_terminates_at_once() {
    let mut h = Harness::new();
    let invite = outgoing("INVITE", &new_branch(5), 1);
    let id = h
        .layer
        .start_client(h.now, invite.clone(), tcp())
        .expect("valid");
    h.drain();
    h.receive(reply(&invite, 503, "Service Unavailable", Some("x")), tcp());
    assert_eq!(h.sent_times("ACK"), [secs(0)]);
    let events = h.take_events();
    assert!(matches!(events[0], TransactionEvent::Response { .. }));
    assert_eq!(events[1], TransactionEvent::Terminated { tx: id.into() });
    assert!(h.layer.is_empty());
    assert_eq!(h.layer.poll_timeout(), None);
}

#[test]
fn two_xx_goes_to_the_tu_and_accepted_passes_later_2xx_until_timer_m() {
    let mut h = Harness::new();
    let invite = outgoing("INVITE", &new_branch(6), 1);
    let id = h
        .layer
        .start_client(h.now, invite.clone(), udp())
        .expect("valid");
    h.drain();
    h.take_sent();
    let ok = reply(&invite, 200, "OK", Some("pbx-a"));
    h.receive(ok.clone(), udp());
    assert!(h.take_sent().is_empty(), "the layer never ACKs a 2xx");
    h.advance_to(secs(2));
    h.receive(ok.clone(), udp());
    let forked = reply(&invite, 200, "OK", Some("pbx-b"));
    h.receive(forked, udp());
    let events = h.take_events();
    assert_eq!(events.len(), 3);
    for e in &events {
        assert!(matches!(e, TransactionEvent::Response { tx, response }
            if *tx == id && response.status() == Some(200)));
    }
    // A non-2xx after the 2xx is discarded.
    h.receive(reply(&invite, 486, "Busy Here", Some("pbx-c")), udp());
    assert!(h.take_events().is_empty());
    h.run_out();
    assert_eq!(
        h.events,
        [(secs(32), TransactionEvent::Terminated { tx: id.into() })]
    );
    h.events.clear();
    h.receive(ok, udp());
    assert!(
        matches!(&h.take_events()[..], [TransactionEvent::StrayResponse { response, peer }]
        if response.status() == Some(200) && *peer == udp())
    );
}

#[test]
fn cancel_waits_for_a_provisional_response_and_follows_9_1() {
    let mut h = Harness::new();
    let branch = new_branch(7);
    let invite = outgoing("INVITE", &branch, 9);
    let id = h
        .layer
        .start_client(h.now, invite.clone(), udp())
        .expect("valid");
    h.drain();
    h.take_sent();
    let cancel_id = h.layer.cancel(h.now, id).expect("cancellable");
    assert_eq!(h.layer.cancel(h.now, id), Ok(cancel_id), "idempotent");
    h.drain();
    assert!(
        h.take_sent().is_empty(),
        "no CANCEL before a provisional response"
    );

    h.advance_to(ms(200));
    h.receive(reply(&invite, 180, "Ringing", Some("pbx")), udp());
    let sent = h.take_sent();
    assert_eq!(sent.len(), 1);
    let cancel = &sent[0];
    assert_eq!(cancel.method(), Some(&Method::Cancel));
    assert_eq!(cancel.request_uri(), invite.request_uri());
    assert_eq!(
        cancel.top_via().expect("via").branch(),
        Some(branch.as_str())
    );
    assert_eq!(cancel.header_values(Known::Via).count(), 1);
    assert_eq!(header(cancel, Known::CSeq), "9 CANCEL");
    for name in [Known::From, Known::To, Known::CallId] {
        assert_eq!(header(cancel, name), header(&invite, name));
    }
    assert_eq!(cancel.header_values(Known::Route).count(), 2);

    // 200 for the CANCEL, 487 for the INVITE (ACKed by the layer).
    h.receive(reply(cancel, 200, "OK", Some("pbx")), udp());
    h.receive(
        reply(&invite, 487, "Request Terminated", Some("pbx")),
        udp(),
    );
    assert_eq!(h.take_sent().len(), 1, "the ACK for the 487");
    let statuses: Vec<_> = h
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            TransactionEvent::Response { tx, response } => Some((tx, response.status())),
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        [(id, Some(180)), (cancel_id, Some(200)), (id, Some(487))]
    );
    h.run_out();
    assert!(h.layer.is_empty());
}

#[test]
fn cancel_before_a_provisional_is_dropped_when_a_final_response_comes_first() {
    let mut h = Harness::new();
    let invite = outgoing("INVITE", &new_branch(8), 1);
    let id = h
        .layer
        .start_client(h.now, invite.clone(), udp())
        .expect("valid");
    let cancel_id = h.layer.cancel(h.now, id).expect("cancellable");
    h.drain();
    h.take_sent();
    h.receive(reply(&invite, 404, "Not Found", Some("t")), udp());
    assert_eq!(h.sent_times("CANCEL"), []);
    assert!(h.take_events().contains(&TransactionEvent::Terminated {
        tx: cancel_id.into()
    }));
    assert_eq!(h.layer.len(), 1, "only the INVITE, in Completed");
    assert_eq!(
        h.layer.cancel(h.now, id),
        Ok(cancel_id),
        "the TU already asked; no new CANCEL"
    );
    h.run_out();
    assert!(h.layer.is_empty());
}

#[test]
fn unanswered_cancel_ends_the_invite_64_t1_later() {
    let mut h = Harness::new();
    let invite = outgoing("INVITE", &new_branch(9), 1);
    let id = h
        .layer
        .start_client(h.now, invite.clone(), udp())
        .expect("valid");
    h.drain();
    h.receive(reply(&invite, 183, "Session Progress", Some("t")), udp());
    h.advance_to(secs(10));
    let cancel_id = h.layer.cancel(h.now, id).expect("cancellable");
    h.drain();
    h.take_events();
    h.run_out();
    // The INVITE is given up 64*T1 after the CANCEL (§9.1), when the CANCEL itself
    // times out (Timer F); timers due at the same instant fire in id order.
    assert_eq!(
        h.events,
        [
            (
                secs(42),
                TransactionEvent::Timeout {
                    tx: id,
                    timer: Timer::Cancel
                }
            ),
            (secs(42), TransactionEvent::Terminated { tx: id.into() }),
            (
                secs(42),
                TransactionEvent::Timeout {
                    tx: cancel_id,
                    timer: Timer::F
                }
            ),
            (
                secs(42),
                TransactionEvent::Terminated {
                    tx: cancel_id.into()
                }
            ),
        ]
    );
    assert!(h.layer.is_empty());
}

#[test]
fn tu_mistakes_are_errors() {
    let mut h = Harness::new();
    let now = h.now;
    let mut no_branch = outgoing("OPTIONS", "x", 1);
    no_branch.set_header(Known::Via, "SIP/2.0/UDP 192.0.2.1:5060");
    assert_eq!(
        h.layer.start_client(now, no_branch, udp()),
        Err(TransactionError::MissingBranch)
    );
    assert!(matches!(
        h.layer
            .start_client(now, outgoing("OPTIONS", "old-style", 1), udp()),
        Err(TransactionError::NotRfc3261Branch { .. })
    ));
    assert_eq!(
        h.layer
            .start_client(now, outgoing("ACK", &new_branch(10), 1), udp()),
        Err(TransactionError::AckTransaction)
    );
    let opts = h
        .layer
        .start_client(now, outgoing("OPTIONS", &new_branch(11), 1), udp())
        .expect("valid");
    assert!(matches!(
        h.layer
            .start_client(now, outgoing("OPTIONS", &new_branch(11), 2), udp()),
        Err(TransactionError::DuplicateTransaction { .. })
    ));
    assert_eq!(
        h.layer.cancel(now, opts),
        Err(TransactionError::NotInvite { tx: opts })
    );
    let invite = outgoing("INVITE", &new_branch(12), 1);
    let inv = h
        .layer
        .start_client(now, invite.clone(), udp())
        .expect("valid");
    h.layer
        .handle_message(now, reply(&invite, 200, "OK", Some("t")), udp());
    assert_eq!(
        h.layer.cancel(now, inv),
        Err(TransactionError::AlreadyFinal { tx: inv })
    );
    h.drain();
    h.run_out();
    assert!(h.layer.is_empty());
    assert_eq!(
        h.layer.cancel(h.now, inv),
        Err(TransactionError::UnknownClient { tx: inv })
    );
}
