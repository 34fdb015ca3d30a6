//! Non-INVITE client transactions (RFC 3261 §17.1.2) on a virtual clock.

mod transaction_util;

use sbc_sip::transaction::new_branch;
use sbc_sip::{Timer, TransactionEvent, TxId};
use transaction_util::*;

#[test]
fn timer_e_doubles_up_to_t2_and_timer_f_fires_at_64_t1() {
    let mut h = Harness::new();
    let id = h
        .layer
        .start_client(h.now, outgoing("OPTIONS", &new_branch(1), 1), udp())
        .expect("valid");
    h.drain();
    h.run_out();
    assert_eq!(
        h.sent_times("OPTIONS"),
        [
            0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
        .map(ms),
        "E doubles from T1 to T2 = 4 s, then stays there"
    );
    assert_eq!(
        h.events,
        [
            (
                secs(32),
                TransactionEvent::Timeout {
                    tx: id,
                    timer: Timer::F
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
fn proceeding_retransmits_every_t2() {
    let mut h = Harness::new();
    let bye = outgoing("BYE", &new_branch(2), 2);
    let id = h
        .layer
        .start_client(h.now, bye.clone(), udp())
        .expect("valid");
    h.drain();
    h.advance_to(ms(600));
    h.receive(reply(&bye, 100, "Trying", None), udp());
    h.advance_to(ms(14_000));
    // E fired at 0.5 (Trying: next in 1 s), then in Proceeding every T2.
    assert_eq!(
        h.sent_times("BYE"),
        [0, 500, 1500, 5500, 9500, 13500].map(ms)
    );
    assert!(
        matches!(&h.take_events()[..], [TransactionEvent::Response { tx, response }]
        if *tx == id && response.status() == Some(100))
    );
}

#[test]
fn final_response_completes_and_timer_k_absorbs_retransmissions() {
    let mut h = Harness::new();
    let bye = outgoing("BYE", &new_branch(3), 2);
    let id = h
        .layer
        .start_client(h.now, bye.clone(), udp())
        .expect("valid");
    h.drain();
    h.advance_to(ms(100));
    let ok = reply(&bye, 200, "OK", Some("t"));
    h.receive(ok.clone(), udp());
    assert!(
        matches!(&h.take_events()[..], [TransactionEvent::Response { tx, response }]
        if *tx == id && response.status() == Some(200))
    );
    h.advance_to(secs(3));
    h.receive(ok.clone(), udp());
    assert!(h.take_events().is_empty(), "retransmitted final absorbed");
    h.advance_to(ms(5_099));
    assert_eq!(h.layer.len(), 1);
    h.advance_to(ms(5_100));
    assert_eq!(
        h.take_events(),
        [TransactionEvent::Terminated { tx: id.into() }]
    );
    assert_eq!(
        h.sent_times("BYE"),
        [secs(0)],
        "no retransmission after the final"
    );
}

#[test]
fn tcp_has_no_timer_e_and_terminates_on_the_final_response() {
    let mut h = Harness::new();
    let reg = outgoing("REGISTER", &new_branch(4), 1);
    let id = h
        .layer
        .start_client(h.now, reg.clone(), tcp())
        .expect("valid");
    h.drain();
    h.advance_to(secs(20));
    assert_eq!(h.sent_times("REGISTER"), [secs(0)]);
    h.receive(reply(&reg, 401, "Unauthorized", Some("t")), tcp());
    let events = h.take_events();
    assert!(matches!(&events[0], TransactionEvent::Response { .. }));
    assert_eq!(events[1], TransactionEvent::Terminated { tx: id.into() });
    assert!(h.layer.is_empty());
    assert_eq!(h.layer.poll_timeout(), None);
}

#[test]
fn custom_t1_scales_every_timer() {
    let config = sbc_sip::TimerConfig {
        t1: ms(100),
        ..Default::default()
    };
    let mut h = Harness::with(config);
    let id = h
        .layer
        .start_client(h.now, outgoing("INFO", &new_branch(5), 1), udp())
        .expect("valid");
    h.drain();
    h.run_out();
    assert_eq!(
        h.events[0],
        (
            ms(6_400),
            TransactionEvent::Timeout {
                tx: id,
                timer: Timer::F
            }
        )
    );
}
