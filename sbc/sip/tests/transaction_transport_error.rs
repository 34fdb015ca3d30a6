//! Transport failures (RFC 3261 §17.1.4, §18.4): `TransactionLayer::transport_error`
//! fails the client transactions of one flow at once, and nothing else.

mod transaction_util;

use sbc_core::Transport;
use sbc_sip::transaction::new_branch;
use sbc_sip::{Peer, Timer, TransactionEvent, TxId};
use transaction_util::*;

/// The failure of `p`'s flow, reported at the harness's current time.
fn fail(h: &mut Harness, p: Peer) -> usize {
    let failed = h
        .layer
        .transport_error(h.now, p.transport, p.local, p.remote);
    h.drain();
    failed
}

/// `tcp()` to another remote port.
fn other_tcp() -> Peer {
    Peer {
        remote: "198.51.100.20:5071".parse().expect("addr"),
        ..tcp()
    }
}

fn timeout_then_terminated(id: sbc_sip::ClientTxId) -> [TransactionEvent; 2] {
    [
        TransactionEvent::Timeout {
            tx: id,
            timer: Timer::Transport,
        },
        TransactionEvent::Terminated {
            tx: TxId::Client(id),
        },
    ]
}

#[test]
fn an_invite_over_tcp_fails_at_once_not_after_timer_b() {
    let mut h = Harness::new();
    let id = h
        .layer
        .start_client(h.now, outgoing("INVITE", &new_branch(1), 1), tcp())
        .expect("valid INVITE");
    h.drain();
    h.advance_to(ms(20));
    assert_eq!(fail(&mut h, tcp()), 1);
    assert_eq!(h.take_events(), timeout_then_terminated(id));
    assert!(h.layer.is_empty());
    assert_eq!(h.layer.poll_timeout(), None, "Timer B is gone with it");
    assert_eq!(h.sent_times("INVITE"), [ms(0)], "nothing sent again");
}

#[test]
fn other_flows_and_server_transactions_are_untouched() {
    let mut h = Harness::new();
    let failing = h
        .layer
        .start_client(h.now, outgoing("INVITE", &new_branch(2), 1), tcp())
        .expect("valid");
    let options = h
        .layer
        .start_client(h.now, outgoing("OPTIONS", &new_branch(3), 2), tcp())
        .expect("valid");
    let other_port = h
        .layer
        .start_client(h.now, outgoing("INVITE", &new_branch(4), 1), other_tcp())
        .expect("valid");
    let over_tls = h
        .layer
        .start_client(
            h.now,
            outgoing("INVITE", &new_branch(5), 1),
            peer(Transport::Tls),
        )
        .expect("valid");
    let over_udp = h
        .layer
        .start_client(h.now, outgoing("INVITE", &new_branch(6), 1), udp())
        .expect("valid");
    // A request from the same peer over the same connection: a server transaction.
    h.receive(
        incoming(
            "INVITE",
            "SIP/2.0/TCP 198.51.100.20:5070;branch=z9hG4bKsrv",
            1,
            None,
        ),
        tcp(),
    );
    h.take_events();
    assert_eq!(h.layer.len(), 6);

    assert_eq!(fail(&mut h, tcp()), 2);
    let mut expected = timeout_then_terminated(failing).to_vec();
    expected.extend(timeout_then_terminated(options));
    assert_eq!(h.take_events(), expected, "in start order");
    assert_eq!(
        h.layer.len(),
        4,
        "other flows and the server transaction stay"
    );

    // The others still time out as usual (Timer B), the server transaction waits
    // for its TU.
    h.advance_to(secs(33));
    let timed_out: Vec<_> = h
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            TransactionEvent::Timeout { tx, timer } => Some((tx, timer)),
            _ => None,
        })
        .collect();
    assert_eq!(
        timed_out,
        [
            (other_port, Timer::B),
            (over_tls, Timer::B),
            (over_udp, Timer::B)
        ]
    );
    assert_eq!(h.layer.len(), 1);
}

#[test]
fn a_transaction_with_a_final_response_is_left_alone() {
    let mut h = Harness::new();
    let invite = outgoing("INVITE", &new_branch(7), 1);
    let id = h
        .layer
        .start_client(h.now, invite.clone(), tcp())
        .expect("valid");
    h.receive(reply(&invite, 200, "OK", Some("b")), tcp());
    h.take_events();
    // Accepted (RFC 6026): the TU ACKs the 2xx itself; nothing is left to send.
    assert_eq!(fail(&mut h, tcp()), 0);
    assert!(h.take_events().is_empty());
    assert_eq!(h.layer.len(), 1);
    h.run_out();
    assert_eq!(
        h.take_events(),
        [TransactionEvent::Terminated {
            tx: TxId::Client(id)
        }],
        "Timer M ends it as usual"
    );
}

#[test]
fn a_proceeding_invite_fails_with_its_cancel() {
    let mut h = Harness::new();
    let invite = outgoing("INVITE", &new_branch(8), 1);
    let id = h
        .layer
        .start_client(h.now, invite.clone(), tcp())
        .expect("valid");
    h.receive(reply(&invite, 180, "Ringing", Some("b")), tcp());
    let cancel = h.layer.cancel(h.now, id).expect("cancellable");
    h.drain();
    assert_eq!(h.sent_times("CANCEL"), [ms(0)]);
    h.take_events();

    assert_eq!(fail(&mut h, tcp()), 2);
    let mut expected = timeout_then_terminated(id).to_vec();
    expected.extend(timeout_then_terminated(cancel));
    assert_eq!(h.take_events(), expected);
    assert!(h.layer.is_empty());
    assert_eq!(h.layer.poll_timeout(), None);
}

#[test]
fn a_deferred_cancel_ends_with_its_invite() {
    let mut h = Harness::new();
    let id = h
        .layer
        .start_client(h.now, outgoing("INVITE", &new_branch(9), 1), tcp())
        .expect("valid");
    // No provisional response yet: the CANCEL waits (§9.1), nothing of it was sent.
    let cancel = h.layer.cancel(h.now, id).expect("cancellable");
    h.drain();
    assert!(h.sent_times("CANCEL").is_empty());

    assert_eq!(
        fail(&mut h, tcp()),
        1,
        "the CANCEL is not failed, only ended"
    );
    let mut expected = timeout_then_terminated(id).to_vec();
    expected.push(TransactionEvent::Terminated {
        tx: TxId::Client(cancel),
    });
    assert_eq!(h.take_events(), expected);
    assert!(h.layer.is_empty());
}

#[test]
fn a_late_response_after_the_failure_is_stray() {
    let mut h = Harness::new();
    let options = outgoing("OPTIONS", &new_branch(10), 1);
    h.layer
        .start_client(h.now, options.clone(), tcp())
        .expect("valid");
    h.drain();
    assert_eq!(fail(&mut h, tcp()), 1);
    h.take_events();
    h.receive(reply(&options, 200, "OK", Some("b")), tcp());
    assert!(matches!(
        h.take_events().as_slice(),
        [TransactionEvent::StrayResponse { .. }]
    ));
    assert_eq!(fail(&mut h, tcp()), 0, "a second report finds nothing");
}
